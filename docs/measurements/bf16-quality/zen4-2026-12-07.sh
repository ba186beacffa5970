#!/bin/bash
# The 30-minute fp32 and bf16 runs of README's "bf16 training" section on a 2-core Zen 4
# (fp32-zen4-quality.csv, bf16-zen4-quality.csv): liae-ud-96-32-32-32-16, 1 channel, batch 8, default seed,
# src = the 80 faces of the example src clip, dst = dst frames 1-160, held out = frames 161-200, held-out
# SSIM every 300 iterations. fp32 first, then bf16, on the same machine, OpenBLAS left to choose its kernel.
# Then the fp32 model continues from its 30-minute save to bf16's iteration count, untimed
# (fp32-zen4-continued-quality.csv: the over-training test of README's "bf16 training").
# Run from the repository root after `make -C examples faces WORK=$WORK` and a release build (BIN).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS
BIN=${BIN:-.build/release}
WORK=${WORK:-examples/work}
OUT=${OUT:-/tmp/bf16-quality}
rm -rf "$OUT" && mkdir -p "$OUT/dst" "$OUT/holdout"
for f in "$WORK"/dst/gray96/*.jpg; do
  n=$(basename "$f" | cut -c1-4)
  if [ $((10#$n)) -le 160 ]; then cp "$f" "$OUT/dst/"; else cp "$f" "$OUT/holdout/"; fi
done
for p in fp32 bf16; do
  date
  timeout -s TERM "${SECONDS_PER_RUN:-1800}" "$BIN"/dfl-train --model "$OUT/model-$p" --src "$WORK"/src/gray96 \
    --dst "$OUT/dst" --holdout "$OUT/holdout" --config liae-ud-96-32-32-32-16 --channels 1 --batch-size 8 \
    --eval-every 300 --preview-every 0 --precision $p -q || [ $? = 124 ]
  cp "$OUT/model-$p/quality.csv" "$OUT/$p-zen4-quality.csv"
done
date
cp -a "$OUT/model-fp32" "$OUT/model-fp32-continued"
"$BIN"/dfl-train --model "$OUT/model-fp32-continued" --src "$WORK"/src/gray96 --dst "$OUT/dst" --holdout "$OUT/holdout" \
  --target-iter "$(tail -1 "$OUT/bf16-zen4-quality.csv" | cut -d, -f1)" --eval-every 300 --preview-every 0 --precision fp32 -q
cp "$OUT/model-fp32-continued/quality.csv" "$OUT/fp32-zen4-continued-quality.csv"
date
