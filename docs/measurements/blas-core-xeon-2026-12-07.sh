#!/usr/bin/env bash
# OpenBLAS's generic fallback against the kernels the engine now picks (docs/blas-core.md), alternately, on a
# CPU Debian's OpenBLAS 0.3.21 does not know. OPENBLAS_CORETYPE=Prescott is what OpenBLAS chose by itself;
# unset, the engine replaces it. Usage: BIN=.build/release bash docs/measurements/blas-core-xeon-2026-12-07.sh
set -u
BIN=${BIN:-$(swift build -c release --show-bin-path)}
ROUNDS=${ROUNDS:-3}
grep -m1 "model name" /proc/cpuinfo; grep -m1 -o "avx512_bf16" /proc/cpuinfo || echo "no avx512_bf16"
for r in $(seq "$ROUNDS"); do
  for mode in prescott engine; do
    if [ $mode = prescott ]; then E="env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=Prescott"; else E="env -u OPENBLAS_L2_SIZE -u OPENBLAS_CORETYPE"; fi
    for t in 1 2; do echo "round=$r mode=$mode $($E "$BIN/dfl-bench" sgemm --threads $t | tail -1)"; done
    for g in 0 0.1; do
      echo "round=$r mode=$mode gan=$g $($E "$BIN/dfl-bench" train liae-ud-96-32-32-32-16 --channels 1 --batch 8 \
        --iterations 5 --gan-power $g 2>&1 | grep -o ' ms_per_iter=[0-9.]*')"
    done
    echo "round=$r mode=$mode df-udt-256 $($E "$BIN/dfl-bench" train df-udt-256-96-32-32-16 --channels 1 --batch 4 \
      --iterations 3 2>&1 | grep -o ' ms_per_iter=[0-9.]*\| peak_rss_mb=[0-9.]*' | tr -d '\n')"
    echo "round=$r mode=$mode $($E "$BIN/dfl-extract" --bench examples/data 2>&1 | grep '1280x720 detector=cnn')"
  done
done
