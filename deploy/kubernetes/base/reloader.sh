#!/bin/sh
# Config reloader of the Prometheus pod (busybox sh, wget, md5sum). Kubernetes updates mounted
# ConfigMaps and Secrets in place, about a minute after they change; neither Prometheus nor promha
# watch their files, so this POSTs each /-/reload URL when the content under a DIR changes.
# promha validates the whole new config and keeps the old one when it is invalid (see
# promha_config_last_reload_successful and the PromhaConfigReloadFailed alert), so a failed reload
# is logged, not retried: the next change, or a restart, tries again.
#   reloader.sh INTERVAL_SECONDS URL... -- DIR...
set -eu
usage() { echo "usage: $0 INTERVAL_SECONDS URL... -- DIR..." >&2; exit 2; }
[ $# -ge 4 ] || usage
interval=$1
shift
urls=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  urls="$urls $1"
  shift
done
if [ $# -lt 2 ] || [ -z "$urls" ]; then usage; fi
shift

# The kubelet swaps a hidden timestamped directory, so the listing changes on every update.
checksum() { find "$@" -type f | sort | xargs -r md5sum | md5sum; }

last=$(checksum "$@")
echo "reloader: watching $* every ${interval}s; reload URLs:$urls"
# As PID 1 the shell ignores SIGTERM unless trapped; `wait` lets the trap run at once.
trap 'exit 0' TERM INT
while :; do
  sleep "$interval" &
  wait $!
  now=$(checksum "$@")
  [ "$now" = "$last" ] && continue
  last=$now
  for url in $urls; do
    if wget -q -O /dev/null --post-data= "$url"; then
      echo "reloader: reloaded $url"
    else
      echo "reloader: reload failed: $url" >&2
    fi
  done
done
