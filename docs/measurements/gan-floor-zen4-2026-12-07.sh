#!/bin/bash
# The figures of docs/gan-cost.md, "What 1.45x would take" (gan-floor-zen4-2026-12-07.txt): on liae-ud-96 c1 b8
# in bf16, the plain and the GAN 0.1 step alternately (ROUNDS rounds, default 3; medians), one profile of each
# (time per convolution shape, and the time outside the convolutions), and the dense bf16 ceiling: a 1x1
# convolution 48x48 512->512 b8 (one GEMM of 18432 x 512 x 512 with its bf16 conversions) at 1 and 2 threads,
# and the discriminator's 48x48 64->128 stride-2 layer alone. Run from the repository root after a release build
# (BIN, default .build/release), on a quiet machine.
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS
BIN=${BIN:-.build/release}
B=$BIN/dfl-bench
config=liae-ud-96-32-32-32-16
date
grep -m1 'model name' /proc/cpuinfo
for r in $(seq "${ROUNDS:-3}"); do
  for g in 0 0.1; do
    $B train $config --channels 1 --batch 8 --iterations 8 --warmup 2 --precision bf16 --gan-power $g |
      grep '^bench train' | sed "s/^/round=$r /"
  done
done
for g in 0 0.1; do
  echo "profile gan_power=$g"
  $B train $config --channels 1 --batch 8 --iterations 4 --precision bf16 --gan-power $g --profile | grep '^bench \(profile\|conv\)'
done
for t in 1 2; do $B conv 48 512 512 1 1 8 --precision bf16 --no-sgemm --reps 10 --threads $t | tail -1; done
$B conv 48 64 128 3 2 8 --precision bf16 --no-sgemm --reps 20 | tail -1
date
