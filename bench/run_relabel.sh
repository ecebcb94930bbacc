#!/usr/bin/env bash
# Generates the relabel workloads and prints ns_per_labelset for both configs.
#
#   bench/run_relabel.sh [relabel_bench args, e.g. --iterations 50 --rounds 9]
#
# Builds bench/relabel_bench in build-bench/ (--buildtype=release) if needed; workloads go to
# bench/out/ (gitignored). Figures are for reading, not for asserting.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD="${PROMHA_BENCH_BUILD:-build-bench}"
if [[ ! -f $BUILD/build.ninja ]]; then
  meson setup "$BUILD" --buildtype=release >/dev/null
fi
ninja -C "$BUILD" bench/relabel_bench >/dev/null
mkdir -p bench/out
if [[ ! -s bench/out/labelsets-alerts.json || ! -s bench/out/labelsets-k8s.json ||
      bench/relabel/gen.py -nt bench/out/labelsets-k8s.json ]]; then
  python3 bench/relabel/gen.py --out bench/out
fi
for pair in alert-ha.yml:labelsets-alerts.json k8s-heavy.yml:labelsets-k8s.json; do
  rules=${pair%%:*}
  sets=${pair#*:}
  echo "== $rules x $sets"
  "$BUILD/bench/relabel_bench" --rules "bench/relabel/$rules" --labelsets "bench/out/$sets" "$@"
done
