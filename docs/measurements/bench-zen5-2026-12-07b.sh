#!/bin/bash
# The figures of docs/measurements/bench-zen5-2026-12-07b.txt and -07c.txt (2 rounds) and -07d.txt to -07g.txt (ROUNDS=3
# PEER_GAN=1): README speed table, bf16 and GAN lines. One run on one machine, OpenBLAS left to choose its kernel
# as make bench does. Ours fp32 and bf16 alternately (ROUNDS rounds, default 2; medians), the PyTorch peer in
# fp32 and under bf16 autocast, the GAN pair (with PEER_GAN=1 also the peer's plain and GAN steps, fp32), and
# dfl-train's peak memory. Run from the repository root after a release build, with ../shared/peers and torch
# available. BIN names another build folder (default .build/release).
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS
BIN=${BIN:-.build/release}
B=$BIN/dfl-bench
rounds=$(seq "${ROUNDS:-2}")
date
$B sgemm 2>/dev/null | head -3 || true
configs='df-ud-96-256-64-64-22 3 8
liae-ud-96-32-32-32-16 1 8
df-udt-192-128-48-32-16 1 4
df-udt-256-96-32-32-16 1 4
liae-udt-128-96-32-32-16 1 8'
while read -r config ch b; do
  for r in $rounds; do
    for p in fp32 bf16; do
      $B train "$config" --channels "$ch" --batch "$b" --iterations 6 --warmup 1 --precision $p | grep '^bench train' | sed "s/^/round=$r /"
    done
  done
  read -r archi res ae e d dm <<<"$(sed 's/-\([0-9]*\)-\([0-9]*\)-\([0-9]*\)-\([0-9]*\)-\([0-9]*\)$/ \1 \2 \3 \4 \5/' <<<"$config")"
  echo "peer torch-fp32 $config $(python3 ../shared/peers/torch_saehd_step.py "$archi" "$res" "$ae" "$e" "$d" "$dm" "$ch" "$b" 2 8 2>&1 | tail -1)"
  echo "peer torch-bf16 $config $(python3 bench/torch_autocast_step.py --peer ../shared/peers/torch_saehd_step.py "$archi" "$res" "$ae" "$e" "$d" "$dm" "$ch" "$b" 2 8 2>&1 | tail -1)"
done <<<"$configs"
for r in $rounds; do
  for p in bf16 fp32; do
    for g in 0 0.1; do
      $B train liae-ud-96-32-32-32-16 --channels 1 --batch 8 --iterations 8 --warmup 1 --precision $p --gan-power $g | grep '^bench train' | sed "s/^/gan=$g round=$r /"
    done
  done
done
if [ "${PEER_GAN:-0}" = 1 ]; then
  for r in 1 2; do
    echo "peer torch-plain round=$r liae-ud-96-32-32-32-16 $(python3 ../shared/peers/torch_saehd_step.py liae-ud 96 32 32 32 16 1 8 2 8 2>&1 | tail -1)"
    echo "peer torch-gan round=$r liae-ud-96-32-32-32-16 $(python3 bench/torch_gan_step.py --peer ../shared/peers/torch_saehd_step.py liae-ud 96 32 32 32 16 1 8 2 8 --gan-power 0.1 2>&1 | tail -1)"
  done
fi
faces=Tests/TrainerTests/Fixtures/faces
for p in bf16 fp32; do
  rm -rf "${TMPDIR:-/tmp}"/dfl-bench-mt
  /usr/bin/time -f "trainer df-udt-256 c1 b4 $p maxrss_kib=%M" "$BIN"/dfl-train --model "${TMPDIR:-/tmp}"/dfl-bench-mt --src $faces/src_gray/train --dst $faces/dst_gray/train --config df-udt-256-96-32-32-16 --channels 1 --batch-size 4 --iterations 8 --save-every 4 --preview-every 0 --precision $p -q 2>&1 | tail -1
done
date
