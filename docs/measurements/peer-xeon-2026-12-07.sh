#!/bin/bash
# Our fp32 fast step against the PyTorch peer (fp32, 2 threads) on the Intel Xeon of docs/blas-core.md
# (AVX-512, no AVX512-BF16), alternately, ROUNDS rounds (default 2); then the GAN pair, ours and the peer's.
# Run from the repository root after a release build, with ../shared/peers and torch (PYTHON=...).
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS
B=.build/release/dfl-bench
PY=${PYTHON:-python3}
rounds=$(seq "${ROUNDS:-2}")
date
$B sgemm | tail -1
configs='df-ud-96-256-64-64-22 3 8
liae-ud-96-32-32-32-16 1 8
df-udt-192-128-48-32-16 1 4
df-udt-256-96-32-32-16 1 4
liae-udt-128-96-32-32-16 1 8'
while read -r config ch b; do
  read -r archi res ae e d dm <<<"$(sed 's/-\([0-9]*\)-\([0-9]*\)-\([0-9]*\)-\([0-9]*\)-\([0-9]*\)$/ \1 \2 \3 \4 \5/' <<<"$config")"
  for r in $rounds; do
    $B train "$config" --channels "$ch" --batch "$b" --iterations 5 --warmup 1 --precision fp32 | grep '^bench train' | sed "s/^/round=$r /"
    echo "round=$r peer torch-fp32 $config $($PY ../shared/peers/torch_saehd_step.py "$archi" "$res" "$ae" "$e" "$d" "$dm" "$ch" "$b" 2 6 2>&1 | tail -1)"
  done
done <<<"$configs"
for r in $rounds; do
  for g in 0 0.1; do
    $B train liae-ud-96-32-32-32-16 --channels 1 --batch 8 --iterations 6 --warmup 1 --precision fp32 --gan-power $g | grep '^bench train' | sed "s/^/gan=$g round=$r /"
  done
  echo "peer torch-plain round=$r liae-ud-96-32-32-32-16 $($PY ../shared/peers/torch_saehd_step.py liae-ud 96 32 32 32 16 1 8 2 6 2>&1 | tail -1)"
  echo "peer torch-gan round=$r liae-ud-96-32-32-32-16 $($PY bench/torch_gan_step.py --peer ../shared/peers/torch_saehd_step.py liae-ud 96 32 32 32 16 1 8 2 6 --gan-power 0.1 2>&1 | tail -1)"
done
date
