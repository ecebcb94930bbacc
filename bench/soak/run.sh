#!/usr/bin/env bash
# Soak test of promha (issue 7): bench/soak/soak.py with the release binary. Loopback only,
# bounded in time (per phase: --duration seconds of load, default 60, plus a bounded drain);
# every process it starts is stopped by PID, also when it fails.
#
#   bench/soak/run.sh [--duration S | --quick] [--mode alerts|rw|both] [--rate N] [--alerts N]
#                     [--rw-rate N] [--settle S] [--max-rss MiB] [--keep-dir]   (soak.py --help)
#
# Needs python3 (stdlib only) and a built promha: PROMHA_BIN, else build-release/src/cli/promha,
# else build/src/cli/promha (what tests/run.sh builds). Prints a report and `soak: PASS` or
# `soak: FAIL (reasons)`; exit status 1 on failure, 2 on bad usage.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

if [[ -z ${PROMHA_BIN:-} ]]; then
  for cand in build-release/src/cli/promha build/src/cli/promha; do
    if [[ -x $cand ]]; then PROMHA_BIN="$ROOT/$cand"; break; fi
  done
fi
if [[ -z ${PROMHA_BIN:-} || ! -x $PROMHA_BIN ]]; then
  echo "no promha binary: run tests/run.sh (builds build/), or" \
       "'meson setup build-release --buildtype=release && ninja -C build-release src/cli/promha'," \
       "or set PROMHA_BIN" >&2
  exit 2
fi
command -v python3 >/dev/null || { echo "python3 not installed" >&2; exit 2; }
export PROMHA_BIN
exec python3 "$ROOT/bench/soak/soak.py" "$@"
