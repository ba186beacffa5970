#!/usr/bin/env bash
# The bf16 kernel measurements of docs/bf16.md: the GEMM shapes of one training step (dfl-bench train
# --gemm-shapes) of liae-ud-96-32-32-32-16 c1 b8 and df-udt-256-96-32-32-16 c1 b4, the TOP shapes by flops,
# each timed single-threaded by bench/bf16/gemm_bench.c: OpenBLAS sgemm, our AVX512-BF16 kernel (fp32 in,
# conversion and packing included), the portable kernel, and libxsmm 1.17's bf16 kernel (operands already bf16
# and in its layout; and with the conversion) when libxsmm-dev is installed. A `mix` line per config weighs
# each column's rates by the shapes' share of the step's flops (time = Σ share / rate).
#
#   bash bench/bf16/run.sh [BIN_DIR]      TOP=20 REPS=15
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${1:-$(swift build -c release --show-bin-path)}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
flags=(); libs=()
if [ -f /usr/include/libxsmm.h ]; then flags=(-DHAVE_XSMM); libs=(-lxsmm -lpthread -lrt -ldl); fi
clang -O3 -march=native "${flags[@]}" -ISources/CBF16/include bench/bf16/gemm_bench.c Sources/CBF16/bf16gemm.c \
  -o "$out/gemm_bench" -lopenblas "${libs[@]}" -lm
while read -r config ch b; do
  "$BIN/dfl-bench" train "$config" --channels "$ch" --batch "$b" --iterations 1 --warmup 1 --gemm-shapes \
    | sed -n 's/^bench gemm [^ ]* ta=\([01]\) tb=\([01]\) m=\([0-9]*\) n=\([0-9]*\) k=\([0-9]*\) beta=\([01]\) calls=\([0-9]*\) share=\([0-9.]*\)/\1 \2 \3 \4 \5 \6 '"$config"':x\7:\8/p' \
    | head -"${TOP:-20}" > "$out/shapes"
  "$out/gemm_bench" --reps "${REPS:-15}" < "$out/shapes" | tee "$out/rates"
  # Flop-weighted rates (time = Σ share / rate) of each column: over every shape it measured ("all"; port
  # skips the biggest), and over the shapes libxsmm ran (non-transposed) for a like-for-like comparison.
  awk -v c="$config" '$1 ~ /:x/ { split($1, f, ":"); w = f[3]; for (i = 7; i <= 12; i++) if ($i > 0) { t[i] += w / $i; s[i] += w }
                                   if ($10 > 0) for (i = 7; i <= 12; i++) if ($i > 0) { tn[i] += w / $i; sn[i] += w } }
    END { split("sgemm ours port xsmm xsmm+cvt ours-in", name, " "); printf("mix %s all:", c)
          for (i = 7; i <= 12; i++) if (i < 10 || i == 12) printf(" %s=%.1f", name[i - 6], (s[i] > 0) ? s[i] / t[i] : 0)
          printf(" | libxsmm shapes (%.0f%% of the flops):", (s[7] > 0) ? 100 * sn[7] / s[7] : 0)
          for (i = 7; i <= 12; i++) printf(" %s=%.1f", name[i - 6], (sn[i] > 0) ? sn[i] / tn[i] : 0); print "" }' "$out/rates"
done <<'CONFIGS'
liae-ud-96-32-32-32-16 1 8
df-udt-256-96-32-32-16 1 4
CONFIGS
