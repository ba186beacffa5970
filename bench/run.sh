#!/usr/bin/env bash
# Speed figures for this machine: CPU, vector width, OpenBLAS kernel, sgemm GFLOP/s (1 and 2 threads,
# 2048³), then one full SAEHD training step per configuration, each in its own child process; then the trainer,
# bf16, held-out evaluation, GAN, extraction, XSeg (bench/xseg.sh) and merge figures.
#
#   bash bench/run.sh [BIN_DIR]        BIN_DIR defaults to `swift build -c release --show-bin-path`
#   QUICK=1    fewer iterations (smoke check)
#   THREADS=N  threads for the training step and the sgemm reference (default 2)
#   PEERS=1    also time the PyTorch port (../shared/peers/torch_saehd_step.py, or PEER_SCRIPT=path) with
#              PYTHON (default python3) when torch imports there, and with GAN / true face through
#              bench/torch_gan_step.py (which imports that script), and XSeg through bench/torch_xseg_step.py;
#              never a dependency of the project.
#
# Output: one `bench <name> key=value ...` line per measurement.
source "$(dirname "$0")/common.sh"

model_dir=$(mktemp -d)
trap 'rm -rf "$model_dir"' EXIT

args=(--threads "$THREADS")
if [ "${QUICK:-0}" = 1 ]; then args+=(--quick); fi
"$BIN/dfl-bench" "${args[@]}" | tee "$model_dir/engine.txt"

# The whole trainer (sample generator running ahead of the step, batches copied in, losses logged) next to
# the engine's step time, for every configuration above, on the real faces of the trainer's test fixtures
# (colour faces for 3 channels, gray for 1). The two run alternately, ROUNDS times, and the medians are
# compared, so a slow spell of a shared machine hits both. The trainer's time per iteration comes from its
# loss.csv (seconds since the start, per iteration) and leaves out the first two iterations, as the engine's
# leaves out its warm-up step. Both train with eyes and mouth priority, as the engine figure (and the peer) does.
faces=Tests/TrainerTests/Fixtures/faces
# The configurations of the NeuralNet issue (dfl-bench's own list): name, channels, batch.
configs='df-ud-96-256-64-64-22 3 8
liae-ud-96-32-32-32-16 1 8
df-udt-192-128-48-32-16 1 4
df-udt-256-96-32-32-16 1 4
liae-udt-128-96-32-32-16 1 8'
rounds=3; engine_iters=5; trainer_iters=10
if [ "${QUICK:-0}" = 1 ]; then rounds=1; engine_iters=3; trainer_iters=5; fi
while read -r config ch b; do
  if [ "$ch" = 3 ]; then src="$faces/src/train"; dst="$faces/dst/train"; else src="$faces/src_gray/train"; dst="$faces/dst_gray/train"; fi
  engine=(); trainer=()
  for _ in $(seq "$rounds"); do
    engine+=("$("$BIN/dfl-bench" train "$config" --channels "$ch" --batch "$b" --threads "$THREADS" --iterations "$engine_iters" \
      --warmup 1 | sed -n 's/^bench train .* ms_per_iter=\([0-9.]*\).*/\1/p')")
    rm -rf "$model_dir/t"
    "$BIN/dfl-train" --model "$model_dir/t" --src "$src" --dst "$dst" --config "$config" --channels "$ch" --batch-size "$b" \
      --eyes-mouth-prio --iterations $((trainer_iters + 2)) --preview-every 0 --save-every 0 --threads "$THREADS" -q
    trainer+=("$(awk -F, 'NR == 4 { t0 = $4; i0 = $1 } END { printf "%.1f", ($4 - t0) * 1000 / ($1 - i0) }' "$model_dir/t/loss.csv")")
  done
  e=$(printf '%s\n' "${engine[@]}" | median); t=$(printf '%s\n' "${trainer[@]}" | median)
  echo "bench trainer $config ch=$ch batch=$b threads=$THREADS rounds=$rounds engine_ms_per_iter=$e trainer_ms_per_iter=$t" \
    "trainer_over_engine=$(awk -v t="$t" -v e="$e" 'BEGIN { printf "%.3f", t / e }')"
done <<<"$configs"

# bf16 matrix multiplies (docs/bf16.md) against fp32, on CPUs with AVX512-BF16 (elsewhere bf16 runs a portable
# kernel with the same results, slowly, and is not timed): every config's fast step with each precision,
# alternately ROUNDS times, medians. SAEHDBW's seed measured its two configs on a 2 GB GeForce 750 Ti:
# df-udt-256-96-32-32-16 b4 at about 1200 ms per iteration, liae-udt-128-96-32-32-16 b8 at 444-463 ms.
declare -A bf16_ms=()
if "$BIN/dfl-bench" train liae-ud-96-32-32-32-16 --channels 1 --batch 1 --iterations 1 --warmup 0 --precision auto \
     | grep -q 'matmul=bf16-avx512'; then
  while read -r config ch b; do
    f32=(); b16=(); gflops=()
    for _ in $(seq "$rounds"); do
      for p in fp32 bf16; do
        line=$("$BIN/dfl-bench" train "$config" --channels "$ch" --batch "$b" --threads "$THREADS" --iterations "$engine_iters" \
          --warmup 1 --precision "$p" | grep '^bench train' || true)
        ms=$(sed -n 's/.* ms_per_iter=\([0-9.]*\).*/\1/p' <<<"$line")
        if [ "$p" = fp32 ]; then f32+=("$ms"); else b16+=("$ms"); fi
        gflops+=("$(sed -n 's/.* sgemm_gflops=\([0-9.]*\).*/\1/p' <<<"$line")")
      done
    done
    f=$(printf '%s\n' "${f32[@]}" | median); g=$(printf '%s\n' "${b16[@]}" | median); bf16_ms[$config]=$g
    # The sgemm rate next to the steps: bf16's gain is measured against it. (On a Zen 5, sgemm runs at about 480
    # GFLOP/s on 2 threads with OpenBLAS's own kernel choice, 250 with OPENBLAS_CORETYPE=Haswell, which some
    # environments set and common.sh unsets; fp32 steps timed by hand under such a variable look 1.3-1.5x
    # slower and bf16's gain that much larger.)
    sg=$(printf '%s\n' "${gflops[@]}" | median_or_q)
    gpu=""
    case "$config" in
      df-udt-256-96-32-32-16) gpu=" gtx750ti_ms_per_iter=1200" ;;
      liae-udt-128-96-32-32-16) gpu=" gtx750ti_ms_per_iter=444-463" ;;
    esac
    echo "bench bf16 $config ch=$ch batch=$b threads=$THREADS rounds=$rounds fp32_ms_per_iter=$f bf16_ms_per_iter=$g" \
      "speedup=$(ratio "$f" "$g" 2) sgemm_gflops=$sg$gpu"
  done <<<"$configs"
else
  echo "bench bf16 skipped=1 reason=\"no AVX512-BF16 on this CPU\""
fi

# What held-out evaluation (dfl-train --holdout) costs: the README's liae-ud-96-32-32-32-16 1-channel model,
# batch 8, with the 8 gray held-out fixture faces resized to 96 px, evaluated every 2 iterations. One
# evaluation's seconds (median), the training iteration's ms, the evaluation in iterations, and its share
# of the training time at the defaults (one evaluation per 25-minute autosave). It grows with the number of
# held-out faces, a batch of them costing about one training step.
"$BIN/dfl-resize" --size 96 --out "$model_dir/held96" "$faces/dst_gray/heldout" > /dev/null
rm -rf "$model_dir/h"
"$BIN/dfl-train" --model "$model_dir/h" --src "$faces/src_gray/train" --dst "$faces/dst_gray/train" --holdout "$model_dir/held96" \
  --config liae-ud-96-32-32-32-16 --batch-size 8 --iterations $((trainer_iters + 2)) --eval-every 2 --preview-every 0 \
  --save-every 0 --threads "$THREADS" 2> "$model_dir/h.log"
eval_s=$(sed -n 's/.*held-out quality at iteration [0-9]* ([0-9]* faces, \([0-9.]*\) s).*/\1/p' "$model_dir/h.log" | median)
ms=$(awk -F, 'NR == 4 { t0 = $4; i0 = $1 } END { printf "%.1f", ($4 - t0) * 1000 / ($1 - i0) }' "$model_dir/h/loss.csv")
echo "bench holdout liae-ud-96-32-32-32-16 ch=1 batch=8 faces=8 threads=$THREADS eval_s=$eval_s trainer_ms_per_iter=$ms" \
  "eval_in_iterations=$(awk -v e="$eval_s" -v m="$ms" 'BEGIN { printf "%.2f", e * 1000 / m }')" \
  "share_at_default_autosave_pct=$(awk -v e="$eval_s" 'BEGIN { printf "%.3f", 100 * e / (25 * 60) }')"

# GAN power and true-face power: the engine's step with DeepFaceLab's patch discriminator (and, df only, the
# code discriminator on the inter's output; liae builds none) next to the same step without, alternately ROUNDS
# times, medians compared. A run that fails or prints no figure (an engine without the flags) counts as `?`; a
# GAN figure counts only from a line that reports gan_power. Lines: name, channels, batch, the extra flags.
gan_configs='liae-ud-96-32-32-32-16 1 8 --gan-power 0.1
df-ud-96-256-64-64-22 3 8 --gan-power 0.1 --true-face-power 0.01'
# The flag's value in a flag list (0 when absent).
flag() { awk -v f="$1" '{ for (i = 1; i < NF; i++) if ($i == f) v = $(i + 1) } END { print (v == "") ? 0 : v }' <<<"$2"; }
declare -A gan_ms=()
while read -r config ch b gan_flags; do
  read -ra gan_args <<<"$gan_flags"
  plain=(); gan=()
  for _ in $(seq "$rounds"); do
    plain+=("$("$BIN/dfl-bench" train "$config" --channels "$ch" --batch "$b" --threads "$THREADS" --iterations "$engine_iters" \
      --warmup 1 | sed -n 's/^bench train .* ms_per_iter=\([0-9.]*\).*/\1/p' || true)")
    gan+=("$("$BIN/dfl-bench" train "$config" --channels "$ch" --batch "$b" --threads "$THREADS" --iterations "$engine_iters" \
      --warmup 1 "${gan_args[@]}" | sed -n 's/^bench train .* ms_per_iter=\([0-9.]*\).* gan_power=.*/\1/p' || true)")
  done
  p=$(printf '%s\n' "${plain[@]}" | median_or_q); g=$(printf '%s\n' "${gan[@]}" | median_or_q); gan_ms[$config]=$g
  echo "bench gan $config ch=$ch batch=$b threads=$THREADS rounds=$rounds gan_power=$(flag --gan-power "$gan_flags")" \
    "true_face_power=$(flag --true-face-power "$gan_flags") plain_ms_per_iter=$p gan_ms_per_iter=$g gan_over_plain=$(ratio "$g" "$p")"
done <<<"$gan_configs"

# Extraction frames/s at 640x360 and 1280x720, HOG upsample 0 and 1, on the example stills.
"$BIN/dfl-extract" --bench examples/data

# XSeg at DeepFaceLab's defaults (256 px, base 32, batch 4): a training step and apply's faces/s on the labelled
# example faces, with PEERS=1 its PyTorch peer in the same run (bench/xseg.sh, which also runs alone).
THREADS="$THREADS" bash bench/xseg.sh "$BIN"

if [ "${PEERS:-0}" = 1 ]; then
  PYTHON="${PYTHON:-python3}"
  PEER_SCRIPT="${PEER_SCRIPT:-../shared/peers/torch_saehd_step.py}"
  if [ ! -f "$PEER_SCRIPT" ] || ! "$PYTHON" -c "import torch" 2>/dev/null; then
    echo "bench peer torch skipped=1 reason=\"torch or $PEER_SCRIPT not available\""
    exit 0
  fi
  iters=10; if [ "${QUICK:-0}" = 1 ]; then iters=3; fi
  while read -r config ch b; do
    # The script takes archi res ae e d dm channels batch: the name's last five fields are the numbers.
    read -r archi res ae e d dm <<<"$(sed 's/-\([0-9]*\)-\([0-9]*\)-\([0-9]*\)-\([0-9]*\)-\([0-9]*\)$/ \1 \2 \3 \4 \5/' <<<"$config")"
    out=$("$PYTHON" "$PEER_SCRIPT" "$archi" "$res" "$ae" "$e" "$d" "$dm" "$ch" "$b" "$THREADS" "$iters" 2>&1 | tail -1)
    ms=$(sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' <<<"$out")
    rss=$(sed -n 's/.*peak RSS \([0-9.]*\) MB.*/\1/p' <<<"$out")
    # Our fast path's time for the same config from this run, and how many times faster it is.
    ours=$(grep "bench train $config ch=$ch batch=$b .*algo=fast" "$model_dir/engine.txt" \
      | sed -n 's/.* ms_per_iter=\([0-9.]*\).*/\1/p' | head -1)
    speedup="?"
    if [ -n "$ours" ] && [ -n "$ms" ]; then speedup=$(awk -v p="$ms" -v o="$ours" 'BEGIN { printf "%.2f", p / o }'); fi
    echo "bench peer torch $config ch=$ch batch=$b threads=$THREADS ms_per_iter=${ms:-?} peak_rss_mb=${rss:-?} fast_ms_per_iter=${ours:-?} fast_speedup=$speedup"
    # Where the CPU has bf16, the peer as its users run it there too (torch.autocast bf16), and our bf16 step
    # against the faster of the peer's two.
    if [ -n "${bf16_ms[$config]:-}" ]; then
      out=$("$PYTHON" bench/torch_autocast_step.py --peer "$PEER_SCRIPT" "$archi" "$res" "$ae" "$e" "$d" "$dm" "$ch" "$b" \
        "$THREADS" "$iters" 2>&1 | tail -1)
      am=$(sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' <<<"$out")
      fastest=$(printf '%s\n' "${ms:-}" "${am:-}" | awk '/^[0-9.]+$/' | sort -g | head -1)
      echo "bench peer torch-bf16 $config ch=$ch batch=$b threads=$THREADS ms_per_iter=${am:-?} fastest_peer_ms=${fastest:-?}" \
        "ours_bf16_ms_per_iter=${bf16_ms[$config]} bf16_speedup_over_fastest_peer=$(ratio "${fastest:-?}" "${bf16_ms[$config]}" 2)"
    fi
  done <<<"$configs"
  # The peer with GAN / true face: bench/torch_gan_step.py imports the peer script and adds DeepFaceLab's
  # discriminators and their steps (docs/dfl-model-folder.md §1-6). It and the plain peer run
  # alternately ROUNDS times, as the engine's pair above; speedup = the peer's GAN step over ours.
  while read -r config ch b gan_flags; do
    read -r archi res ae e d dm <<<"$(sed 's/-\([0-9]*\)-\([0-9]*\)-\([0-9]*\)-\([0-9]*\)-\([0-9]*\)$/ \1 \2 \3 \4 \5/' <<<"$config")"
    read -ra gan_args <<<"$gan_flags"
    plain=(); gan=()
    for _ in $(seq "$rounds"); do
      plain+=("$("$PYTHON" "$PEER_SCRIPT" "$archi" "$res" "$ae" "$e" "$d" "$dm" "$ch" "$b" "$THREADS" "$iters" 2>&1 | tail -1 \
        | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' || true)")
      gan+=("$("$PYTHON" bench/torch_gan_step.py --peer "$PEER_SCRIPT" "$archi" "$res" "$ae" "$e" "$d" "$dm" "$ch" "$b" "$THREADS" \
        "$iters" "${gan_args[@]}" 2>&1 | tail -1 | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' || true)")
    done
    p=$(printf '%s\n' "${plain[@]}" | median_or_q); g=$(printf '%s\n' "${gan[@]}" | median_or_q); ours="${gan_ms[$config]:-?}"
    echo "bench peer torch-gan $config ch=$ch batch=$b threads=$THREADS rounds=$rounds gan_power=$(flag --gan-power "$gan_flags")" \
      "true_face_power=$(flag --true-face-power "$gan_flags") ms_per_iter=$g plain_ms_per_iter=$p gan_over_plain=$(ratio "$g" "$p")" \
      "ours_gan_ms_per_iter=$ours speedup=$(ratio "$g" "$ours" 2)"
  done <<<"$gan_configs"
fi

# Merge frames/s at 1280x720 with an (untrained) df-udt-192-128-48-32-16 1-channel model: the dst frames of
# the merge tests padded to 1280x720 at the bottom-right (face coordinates unchanged), each used 6 times.
if command -v ffmpeg >/dev/null; then
  frames_dir="$model_dir/frames"; mkdir -p "$frames_dir"
  for f in Tests/MergeTests/Fixtures/frames/*.jpg; do
    ffmpeg -loglevel error -i "$f" -vf "pad=1280:720:0:0" "$frames_dir/$(basename "${f%.jpg}").png"
  done
  "$BIN/dfl-train" --model "$model_dir/merge-model" --src "$faces/src_gray/train" --dst "$faces/dst_gray/train" \
    --config df-udt-192-128-48-32-16 --batch-size 4 --iterations 1 --preview-every 0 --save-every 0 -q
  frames=(); for _ in 1 2 3 4 5 6; do frames+=("$frames_dir"/*.png); done
  "$BIN/dfl-merge" --bench --model "$model_dir/merge-model" --aligned Tests/MergeTests/Fixtures/aligned "${frames[@]}"
fi
