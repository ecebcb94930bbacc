#!/usr/bin/env bash
# Alert-path benchmark: builds promha and alert_path_bench in release mode, then runs every
# measurement ROUNDS times (default 2; the machine is shared, so figures are noisy) and prints
# `key=value` lines. Each round also starts a real Alertmanager (Debian prometheus-alertmanager)
# on a free loopback port, with a null receiver and its data in a temp dir, as the reference.
#
#   bench/alert_path/run.sh [--rounds N] [--no-alertmanager] [-- alert_path_bench args...]
#
# Environment: PROMHA_BENCH_BUILD (default build-release), PROMHA_BIN (default
# $PROMHA_BENCH_BUILD/src/cli/promha), ALERTMANAGER_BIN (default prometheus-alertmanager).
# Figures are for reading, never for asserting. Everything started here is stopped by PID.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

ROUNDS=2
WITH_AM=1
BENCH_ARGS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --no-alertmanager) WITH_AM=0; shift ;;
    --) shift; BENCH_ARGS=("$@"); break ;;
    *) echo "usage: $0 [--rounds N] [--no-alertmanager] [-- alert_path_bench args]" >&2; exit 2 ;;
  esac
done

BUILD="${PROMHA_BENCH_BUILD:-build-release}"
PROMHA_BIN="${PROMHA_BIN:-$BUILD/src/cli/promha}"
AM_BIN="${ALERTMANAGER_BIN:-prometheus-alertmanager}"
if [[ ! -f $BUILD/build.ninja ]]; then
  meson setup "$BUILD" --buildtype=release >/dev/null
fi
ninja -C "$BUILD" src/cli/promha bench/alert_path/alert_path_bench >/dev/null
BENCH="$BUILD/bench/alert_path/alert_path_bench"

TMP="$(mktemp -d -t promha-alert-bench.XXXXXX)"
AM_PID=""
stop_am() {
  if [[ -n $AM_PID ]]; then
    kill "$AM_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$AM_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$AM_PID" 2>/dev/null || true
    wait "$AM_PID" 2>/dev/null || true
    AM_PID=""
  fi
}
cleanup() { stop_am; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts Alertmanager 0.25 with a null receiver; sets AM_PID and AM_URL.
start_am() {
  local dir="$TMP/am-$1" port
  mkdir -p "$dir/data"
  cat >"$dir/alertmanager.yml" <<'YML'
route:
  receiver: 'null'
receivers:
  - name: 'null'
YML
  port="$(free_port)"
  "$AM_BIN" --config.file="$dir/alertmanager.yml" --storage.path="$dir/data" \
    --web.listen-address="127.0.0.1:$port" --cluster.listen-address= --log.level=warn \
    >"$dir/log" 2>&1 &
  AM_PID=$!
  AM_URL="http://127.0.0.1:$port"
  for _ in $(seq 150); do
    if curl -fsS -o /dev/null "$AM_URL/-/ready" 2>/dev/null; then return 0; fi
    kill -0 "$AM_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "alertmanager did not become ready; log:" >&2
  cat "$dir/log" >&2
  return 1
}

echo "# promha=$PROMHA_BIN alertmanager=$($AM_BIN --version 2>&1 | head -1) nproc=$(nproc)"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  echo "# round $round"
  am_args=()
  if [[ $WITH_AM == 1 ]]; then
    start_am "$round"
    am_args=(--alertmanager-url "$AM_URL" --alertmanager-pid "$AM_PID")
  fi
  "$BENCH" --promha "$PROMHA_BIN" "${am_args[@]}" "${BENCH_ARGS[@]}"
  stop_am
done
