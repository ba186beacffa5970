#!/bin/bash
# docs/measurements/ab-zen5-2026-12-07h.txt: two builds of dfl-bench, alternately, on the speed table's configs
# and the GAN pair (3 rounds; medians compared). OLD is a dfl-bench built from the earlier commit (for example in
# a `git worktree`), NEW this checkout's release build. PRECISIONS defaults to "bf16 fp32".
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS
NEW=${NEW:-.build/release/dfl-bench}; OLD=${OLD:?OLD=path to the earlier build of dfl-bench}
configs='df-ud-96-256-64-64-22 3 8
liae-ud-96-32-32-32-16 1 8
df-udt-192-128-48-32-16 1 4
df-udt-256-96-32-32-16 1 4
liae-udt-128-96-32-32-16 1 8'
for p in ${PRECISIONS:-bf16 fp32}; do
while read -r config ch b; do
  for r in 1 2 3; do
    for which in old new; do
      B=$OLD; [ $which = new ] && B=$NEW
      $B train "$config" --channels "$ch" --batch "$b" --iterations 6 --warmup 1 --precision $p --sgemm 1 | grep '^bench train' | sed "s/^/$which round=$r /"
    done
  done
done <<<"$configs"
for r in 1 2 3; do for which in old new; do
  B=$OLD; [ $which = new ] && B=$NEW
  for g in 0 0.1; do
  $B train liae-ud-96-32-32-32-16 --channels 1 --batch 8 --iterations 8 --warmup 1 --precision $p --gan-power $g --sgemm 1 | grep '^bench train' | sed "s/^/$which gan=$g round=$r /"
  done
done; done
done
