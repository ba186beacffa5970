#!/usr/bin/env bash
# Speed figures for this machine: CPU, vector width, OpenBLAS kernel, sgemm GFLOP/s (1 and 2 threads,
# 2048³), then one full SAEHD training step per configuration, each in its own child process.
#
#   bash bench/run.sh [BIN_DIR]        BIN_DIR defaults to `swift build -c release --show-bin-path`
#   QUICK=1    fewer iterations (smoke check)
#   THREADS=N  threads for the training step and the sgemm reference (default 2)
#   PEERS=1    also time the PyTorch port (../shared/peers/torch_saehd_step.py, or PEER_SCRIPT=path) with
#              PYTHON (default python3) when torch imports there; never a dependency of the project.
#
# Output: one `bench <name> key=value ...` line per measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-$(swift build -c release --show-bin-path)}"
THREADS="${THREADS:-2}"
# Let OpenBLAS pick its best kernel for this CPU, as on a user's machine (tests and CI keep these set).
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE

args=(--threads "$THREADS")
if [ "${QUICK:-0}" = 1 ]; then args+=(--quick); fi
"$BIN/dfl-bench" "${args[@]}"

if [ "${PEERS:-0}" = 1 ]; then
  PYTHON="${PYTHON:-python3}"
  PEER_SCRIPT="${PEER_SCRIPT:-../shared/peers/torch_saehd_step.py}"
  if [ ! -f "$PEER_SCRIPT" ] || ! "$PYTHON" -c "import torch" 2>/dev/null; then
    echo "bench peer torch skipped=1 reason=\"torch or $PEER_SCRIPT not available\""
    exit 0
  fi
  iters=10; if [ "${QUICK:-0}" = 1 ]; then iters=3; fi
  # archi res ae e d dm channels batch, as the issue's configurations.
  while read -r archi res ae e d dm ch b; do
    out=$("$PYTHON" "$PEER_SCRIPT" "$archi" "$res" "$ae" "$e" "$d" "$dm" "$ch" "$b" "$THREADS" "$iters" 2>&1 | tail -1)
    ms=$(sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' <<<"$out")
    rss=$(sed -n 's/.*peak RSS \([0-9.]*\) MB.*/\1/p' <<<"$out")
    echo "bench peer torch $archi-$res-$ae-$e-$d-$dm ch=$ch batch=$b threads=$THREADS ms_per_iter=${ms:-?} peak_rss_mb=${rss:-?}"
  done <<'CONFIGS'
df-ud 96 256 64 64 22 3 8
liae-ud 96 32 32 32 16 1 8
df-udt 192 128 48 32 16 1 4
df-udt 256 96 32 32 16 1 4
CONFIGS
fi
