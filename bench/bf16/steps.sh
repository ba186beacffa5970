#!/usr/bin/env bash
# One training step (dfl-bench train) per `make bench` configuration with fp32 and with bf16 multiplies,
# run alternately ROUNDS times; medians of the wall-clock and of the CPU time per step, and their ratios.
#
#   bash bench/bf16/steps.sh [BIN_DIR]     ROUNDS=3 ITERS=3 THREADS=2 ALGO=fast
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${1:-$(swift build -c release --show-bin-path)}"
rounds="${ROUNDS:-3}"; iters="${ITERS:-3}"; threads="${THREADS:-2}"; algo="${ALGO:-fast}"
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
while read -r config ch b; do
  declare -A wall=() cpu=()
  for _ in $(seq "$rounds"); do
    for p in fp32 bf16; do
      line=$("$BIN/dfl-bench" train "$config" --channels "$ch" --batch "$b" --threads "$threads" --iterations "$iters" \
        --warmup 1 --algo "$algo" --precision "$p" | grep '^bench train')
      wall[$p]+="$(sed -n 's/.* ms_per_iter=\([0-9.]*\).*/\1/p' <<<"$line") "
      cpu[$p]+="$(sed -n 's/.* cpu_ms_per_iter=\([0-9.]*\).*/\1/p' <<<"$line") "
    done
  done
  wf=$(tr ' ' '\n' <<<"${wall[fp32]}" | grep . | median); wb=$(tr ' ' '\n' <<<"${wall[bf16]}" | grep . | median)
  cf=$(tr ' ' '\n' <<<"${cpu[fp32]}" | grep . | median); cb=$(tr ' ' '\n' <<<"${cpu[bf16]}" | grep . | median)
  echo "bench bf16-step $config ch=$ch batch=$b threads=$threads algo=$algo rounds=$rounds load=\"$(cut -d' ' -f1-3 /proc/loadavg)\"" \
    "fp32_ms=$wf bf16_ms=$wb speedup=$(awk -v a="$wf" -v b="$wb" 'BEGIN { printf "%.2f", a / b }')" \
    "fp32_cpu_ms=$cf bf16_cpu_ms=$cb cpu_speedup=$(awk -v a="$cf" -v b="$cb" 'BEGIN { printf "%.2f", a / b }')"
  unset wall cpu
done <<'CONFIGS'
df-ud-96-256-64-64-22 3 8
liae-ud-96-32-32-32-16 1 8
df-udt-192-128-48-32-16 1 4
df-udt-256-96-32-32-16 1 4
liae-udt-128-96-32-32-16 1 8
CONFIGS
