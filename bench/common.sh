# Sourced by bench/run.sh and bench/xseg.sh: the repository root as working directory, the binaries, the
# threads, OpenBLAS left to pick its own kernel, and the small helpers both print their figures with.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN="${1:-$(swift build -c release --show-bin-path)}"
THREADS="${THREADS:-2}"
# Let OpenBLAS pick its best kernel for this CPU, as on a user's machine (tests and CI keep these set).
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE

# The median of the numbers on stdin; the same, `?` when there are none.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
median_or_q() { local v; v=$(awk '/^[0-9]+(\.[0-9]*)?$/'); if [ -n "$v" ]; then median <<<"$v"; else echo "?"; fi; }
# a / b with 3 (or $3) decimals, `?` unless both are numbers.
ratio() { awk -v a="$1" -v b="$2" -v p="${3:-3}" 'BEGIN { n = "^[0-9]+(\\.[0-9]*)?$"; if (a ~ n && b ~ n && b > 0) printf("%." p "f", a / b); else printf "?" }'; }
