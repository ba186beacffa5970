#!/usr/bin/env bash
# XSeg speed figures (docs/xseg.md) at DeepFaceLab's defaults, 256 px, base 32, batch 4: one training step of
# `dfl-xseg train` and `dfl-xseg apply`'s faces/s, on the 28 labelled faces of examples/data/xseg. bench/run.sh
# (`make bench`) runs it; it also runs alone:
#
#   bash bench/xseg.sh [BIN_DIR]       BIN_DIR defaults to `swift build -c release --show-bin-path`
#   QUICK=1    fewer iterations (1 warm-up + 3 timed steps, one apply pass)
#   THREADS=N  threads of the training step and of apply (default 2)
#   PEERS=1    also time the PyTorch peer, bench/torch_xseg_step.py (the same network, loss and optimizer), with
#              PYTHON (default python3) when torch imports there; never a dependency of the project.
#
# Output: one `bench <name> key=value ...` line per measurement.
source "$(dirname "$0")/common.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }

warmup=2; timed=8; apply_rounds=3
if [ "${QUICK:-0}" = 1 ]; then warmup=1; timed=3; apply_rounds=1; fi
res=256; base=32; batch=4

# The faces with their labelme files, labelled (seg_ie_polys written into the copies).
mkdir "$work/faces"
cp examples/data/xseg/faces/*.jpg examples/data/xseg/faces/*.json "$work/faces/"
"$BIN/dfl-xseg" label -q "$work/faces" > /dev/null
faces=("$work/faces"/*.jpg)

# Training: a new model, warm-up + timed iterations. The time per iteration comes from loss.csv (seconds since
# the start, per iteration: the whole trainer, the sample generator included), median over the timed ones.
"$BIN/dfl-xseg" train --model "$work/model" --resolution "$res" --base-channels "$base" --batch-size "$batch" \
  --iterations $((warmup + timed)) --save-every 0 --preview-every 0 --threads "$THREADS" "$work/faces" 2> "$work/train.log"
params=$(sed -n 's/.*, \([0-9]*\) parameters,.*/\1/p' "$work/train.log")
ms=$(awk -F, -v w="$warmup" 'NR > 1 { if ($1 > w) printf "%.1f\n", ($3 - prev) * 1000; prev = $3 }' "$work/model/loss.csv" | median)
echo "bench xseg train res=$res base=$base batch=$batch threads=$THREADS iterations=$timed params=${params:-?} ms_per_iter=$ms"

# Apply: that model on the 28 faces (--batch-size 4, the default), wall clock of the whole command (model load,
# JPEG decode, the network, PNG encode, metadata rewrite), after a one-batch warm-up; median of the rounds.
"$BIN/dfl-xseg" apply -q --model "$work/model" --threads "$THREADS" "${faces[@]:0:4}" > /dev/null
rates=()
for _ in $(seq "$apply_rounds"); do
  t0=$(now)
  "$BIN/dfl-xseg" apply -q --model "$work/model" --threads "$THREADS" "${faces[@]}" > /dev/null
  t1=$(now)
  rates+=("$(awk -v n="${#faces[@]}" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", n / (b - a) }')")
done
fps=$(printf '%s\n' "${rates[@]}" | median)
echo "bench xseg apply res=$res base=$base faces=${#faces[@]} batch=4 threads=$THREADS rounds=$apply_rounds faces_per_s=$fps"
# The network part of apply alone (dfl-bench xseg: XSegMasker.extract on faces already in memory), the figure
# the peer's forward pass compares with.
net_line=$("$BIN/dfl-bench" xseg --resolution "$res" --base-channels "$base" --batch 4 --faces "${#faces[@]}" \
  --rounds "$apply_rounds" --threads "$THREADS" | grep '^bench xseg-forward' || true)
echo "$net_line"
net_fps=$(sed -n 's/.* faces_per_s=\([0-9.]*\).*/\1/p' <<<"$net_line")

if [ "${PEERS:-0}" = 1 ]; then
  PYTHON="${PYTHON:-python3}"
  if ! "$PYTHON" -c "import torch" 2>/dev/null; then
    echo "bench peer torch-xseg skipped=1 reason=\"torch not available for $PYTHON\""
    exit 0
  fi
  # The peer times its training step (median of `timed` after 2 warm-up steps) and forward-only apply of as many
  # random faces, 4 at a time, with DFL's extract and the 0.5 threshold (no image I/O): apply_speedup compares it
  # with our network alone (xseg-forward), command_over_peer with the whole dfl-xseg apply.
  out=$("$PYTHON" bench/torch_xseg_step.py "$res" "$base" "$batch" "$THREADS" "$timed" "${#faces[@]}" 4 2>&1 | tail -1)
  pms=$(sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' <<<"$out")
  pfps=$(sed -n 's/.*apply \([0-9.]*\) faces\/s.*/\1/p' <<<"$out")
  pparams=$(sed -n 's/.*params \([0-9]*\).*/\1/p' <<<"$out")
  echo "bench peer torch-xseg res=$res base=$base batch=$batch threads=$THREADS params=${pparams:-?}" \
    "ms_per_iter=${pms:-?} faces_per_s=${pfps:-?} ours_ms_per_iter=$ms ours_network_faces_per_s=${net_fps:-?}" \
    "ours_command_faces_per_s=$fps train_speedup=$(ratio "${pms:-?}" "$ms" 2) apply_speedup=$(ratio "${net_fps:-?}" "${pfps:-?}" 2)" \
    "command_over_peer=$(ratio "$fps" "${pfps:-?}" 2)"
fi
