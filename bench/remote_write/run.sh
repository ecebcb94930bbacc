#!/usr/bin/env bash
# Remote-write benchmark: promha and vmagent 1.79.5 (Debian `victoria-metrics`) side by side, one
# after the other in the same run, each relabeling with `labeldrop replica` and forwarding to the
# same fast sink (nginx answering 204 to everything, on a free loopback port, config in a temp
# dir). rw_load sends realistic write requests (1,000 series x 10 samples, 8 labels per series,
# snappy) over --connections keep-alive connections for --duration seconds. For each proxy it
# prints key=value lines: samples/s accepted and forwarded, samples per CPU-second of the proxy
# process (user + system time from /proc, over the load and the drain that follows), peak RSS
# (VmHWM), and the answers the load generator got. First, rw_codec_bench's in-process figures
# for the decode path (protoc's classes against promha's wire-level decoder).
#
#   bench/remote_write/run.sh [--duration S] [--connections N] [--shards N] [--rounds N]
#                             [--no-vmagent] [--no-codec]
#
# Environment: PROMHA_BENCH_BUILD (default build-rw-release; set up as a release build when
# missing), PROMHA_BIN, VMAGENT_BIN (default vmagent), NGINX_BIN (default nginx).
# Figures are for reading, never for asserting; the machine may be shared (see the load average
# printed first). Everything started here is stopped by PID.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

DURATION=20
CONNECTIONS=4
SHARDS=2  # promha's max_shards and vmagent's -remoteWrite.queues: connections to the sink
ROUNDS=1
WITH_VMAGENT=1
WITH_CODEC=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --shards) SHARDS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --no-vmagent) WITH_VMAGENT=0; shift ;;
    --no-codec) WITH_CODEC=0; shift ;;
    *) echo "usage: $0 [--duration S] [--connections N] [--shards N] [--rounds N] [--no-vmagent] [--no-codec]" >&2; exit 2 ;;
  esac
done

BUILD="${PROMHA_BENCH_BUILD:-build-rw-release}"
PROMHA_BIN="${PROMHA_BIN:-$BUILD/src/cli/promha}"
VMAGENT_BIN="${VMAGENT_BIN:-vmagent}"
NGINX_BIN="${NGINX_BIN:-nginx}"
if [[ ! -f $BUILD/build.ninja ]]; then
  meson setup "$BUILD" --buildtype=release >/dev/null
fi
ninja -C "$BUILD" src/cli/promha bench/remote_write/rw_load bench/remote_write/rw_codec_bench \
  >/dev/null
LOAD="$BUILD/bench/remote_write/rw_load"
CODEC="$BUILD/bench/remote_write/rw_codec_bench"
command -v "$NGINX_BIN" >/dev/null || { echo "nginx not installed (Debian nginx-light)" >&2; exit 1; }

TMP="$(mktemp -d -t promha-rw-bench.XXXXXX)"
PIDS=()
stop_pid() {
  local pid=$1
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_http() {  # url
  for _ in $(seq 200); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "no answer from $1" >&2
  return 1
}
cpu_ticks() {  # pid -> utime + stime in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat"
}
peak_rss_kib() {
  awk '/^VmHWM:/ {print $2}' "/proc/$1/status"
}
metric() {  # url name [label filter] -> sum of the matching samples
  curl -fsS "$1/metrics" | awk -v n="$2" -v f="${3:-}" '
    $1 == n || index($1, n "{") == 1 { if (f == "" || index($1, f) > 0) s += $NF }
    END { printf "%.0f\n", s }'
}
TICK=$(getconf CLK_TCK)

# --- the sink ------------------------------------------------------------------------------
mkdir -p "$TMP/nginx/logs"
NGINX_PORT=$(free_port)
user_line=""
if [[ $(id -u) == 0 ]]; then user_line="user root;"; fi
cat >"$TMP/nginx/nginx.conf" <<CONF
$user_line
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_max_body_size 64m;
  client_body_buffer_size 1m;
  client_body_temp_path $TMP/nginx/body;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { return 204; }
  }
}
CONF
"$NGINX_BIN" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" &
PIDS+=($!)
SINK="http://127.0.0.1:$NGINX_PORT/api/v1/write"
for _ in $(seq 100); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data x "$SINK" || true)
  [[ $code == 204 ]] && break
  sleep 0.05
done

echo "# promha=$PROMHA_BIN vmagent=$(dpkg-query -W -f='${Version}' victoria-metrics 2>/dev/null || echo "?") nginx=$("$NGINX_BIN" -v 2>&1 | sed 's/.*\///')"
echo "# nproc=$(nproc) load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# workload: 1000 series x 10 samples per request, 8 labels per series; relabel: labeldrop replica"
echo "# load: connections=$CONNECTIONS duration=${DURATION}s; proxy connections to the sink: $SHARDS"

if [[ $WITH_CODEC == 1 ]]; then
  echo "# rw_codec_bench (single thread, in process)"
  "$CODEC" | sed 's/^/codec_/'
fi

# Runs the load against one proxy and prints its figures with prefix $1.
measure() {  # prefix pid base_url forwarded_fn drained_fn
  local prefix=$1 pid=$2 base=$3 forwarded_fn=$4 drained_fn=$5
  local out c0 c1 t0 t1
  c0=$(cpu_ticks "$pid")
  t0=$(date +%s.%N)
  out=$("$LOAD" --url "$base/api/v1/write" --connections "$CONNECTIONS" --duration "$DURATION")
  for _ in $(seq 300); do "$drained_fn" "$base" && break; sleep 0.1; done
  t1=$(date +%s.%N)
  c1=$(cpu_ticks "$pid")
  local accepted forwarded cpu
  accepted=$(sed -n 's/^accepted_samples=//p' <<<"$out")
  forwarded=$("$forwarded_fn" "$base")
  cpu=$(awk -v a="$c0" -v b="$c1" -v t="$TICK" 'BEGIN { printf "%.2f", (b - a) / t }')
  sed "s/^/${prefix}_/" <<<"$out"
  echo "${prefix}_forwarded_samples=$forwarded"
  awk -v f="$forwarded" -v a="$accepted" -v s="$DURATION" -v t0="$t0" -v t1="$t1" -v c="$cpu" -v p="$prefix" 'BEGIN {
    printf "%s_forwarded_samples_per_s=%.0f\n", p, f / (t1 - t0)
    printf "%s_cpu_seconds=%.2f\n", p, c
    printf "%s_samples_per_cpu_second=%.0f\n", p, (c > 0 ? a / c : 0)
  }'
  echo "${prefix}_peak_rss_mib=$(awk -v k="$(peak_rss_kib "$pid")" 'BEGIN { printf "%.1f", k / 1024 }')"
}

promha_forwarded() { metric "$1" promha_remote_write_samples_forwarded_total; }
promha_drained() { [[ $(metric "$1" promha_remote_write_queue_length) == 0 ]]; }
vmagent_forwarded() {
  # Rows of the blocks vmagent sent (its per-URL queue counts rows after relabeling).
  metric "$1" vmagent_remotewrite_rows_pushed_after_relabel_total
}
vmagent_drained() {
  [[ $(metric "$1" vmagent_remotewrite_pending_data_bytes) == 0 &&
     $(metric "$1" vmagent_remotewrite_pending_inmemory_blocks) == 0 ]]
}

for round in $(seq "$ROUNDS"); do
  echo "# round $round"
  # --- promha ------------------------------------------------------------------------------
  port=$(free_port)
  cat >"$TMP/promha.yml" <<YML
remote_write:
  - url: $SINK
    write_relabel_configs:
      - {action: labeldrop, regex: replica}
    queue_config:
      max_shards: $SHARDS
      capacity: 20000
      max_samples_per_send: 10000
      batch_send_deadline: 1s
YML
  "$PROMHA_BIN" run --config.file="$TMP/promha.yml" --web.listen-address="127.0.0.1:$port" \
    --log.level=warn >"$TMP/promha.log" 2>&1 &
  PROMHA_PID=$!
  PIDS+=("$PROMHA_PID")
  wait_http "http://127.0.0.1:$port/-/ready"
  measure promha "$PROMHA_PID" "http://127.0.0.1:$port" promha_forwarded promha_drained
  echo "promha_failed_samples=$(metric "http://127.0.0.1:$port" promha_remote_write_samples_failed_total)"
  stop_pid "$PROMHA_PID"

  # --- vmagent -----------------------------------------------------------------------------
  if [[ $WITH_VMAGENT == 1 ]]; then
    port=$(free_port)
    printf -- '- action: labeldrop\n  regex: replica\n' >"$TMP/vmagent-relabel.yml"
    rm -rf "$TMP/vmagent-data"
    # vmagent's defaults otherwise: 1s flush interval, blocks of up to 10,000 rows (promha above
    # uses the same batch settings).
    "$VMAGENT_BIN" -httpListenAddr="127.0.0.1:$port" -remoteWrite.url="$SINK" \
      -remoteWrite.urlRelabelConfig="$TMP/vmagent-relabel.yml" \
      -remoteWrite.queues="$SHARDS" -remoteWrite.tmpDataPath="$TMP/vmagent-data" \
      -loggerLevel=WARN >"$TMP/vmagent.log" 2>&1 &
    VM_PID=$!
    PIDS+=("$VM_PID")
    wait_http "http://127.0.0.1:$port/health"
    measure vmagent "$VM_PID" "http://127.0.0.1:$port" vmagent_forwarded vmagent_drained
    stop_pid "$VM_PID"
  fi
done
