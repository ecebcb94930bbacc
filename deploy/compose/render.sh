#!/bin/sh
# Renders the demo configs of conf/demo/ (the templates shared with deploy/local/demo.sh and the
# end-to-end tests) for the docker-compose demo: every {{KEY}} placeholder gets its compose value
# (service names, container ports). The compose file runs it once, in the `render` service, into
# a volume that the other services mount read-only. It also copies the promha mixin's alerting
# rules next to the Prometheus configs and adds two compose-only things to them: a scrape job for
# both promha sidecars and the Alertmanagers (for the dashboard and the mixin), and the mixin's
# rule file.
#   render.sh TEMPLATE_DIR MIXIN_DIR OUT_DIR
set -eu
[ $# -eq 3 ] || { echo "usage: $0 TEMPLATE_DIR MIXIN_DIR OUT_DIR" >&2; exit 2; }
src=$1 mixin=$2 out=$3
mkdir -p "$out"

# render TEMPLATE OUTPUT [KEY=VALUE...]: fails when a placeholder is left, as tests/e2e/harness.py.
render() {
  tpl=$1 dst=$2
  shift 2
  script=""
  for kv in "$@"; do
    # '|' delimits the sed command; values are plain host:port lists and never contain it.
    script="$script s|{{${kv%%=*}}}|${kv#*=}|g;"
  done
  sed -e "$script" "$tpl" >"$dst.tmp"
  if grep -n '{{' "$dst.tmp" >&2; then
    echo "render.sh: $tpl: unrendered placeholder (above)" >&2
    rm -f "$dst.tmp"
    exit 1
  fi
  mv "$dst.tmp" "$dst"
  chmod 0644 "$dst"
  echo "rendered $dst"
}

# insert_after FILE LINE TEXT: inserts TEXT after the line that is exactly LINE (which must exist).
insert_after() {
  grep -qx "$2" "$1" || { echo "render.sh: $1: no line '$2' to extend" >&2; exit 1; }
  awk -v anchor="$2" -v text="$3" '{ print } $0 == anchor { print text }' "$1" >"$1.tmp"
  mv "$1.tmp" "$1"
  chmod 0644 "$1"
}

render "$src/alertmanager.yml" "$out/alertmanager.yml" \
  WEBHOOK_URL=http://webhook:8080/notify GROUP_WAIT=1s
render "$src/promha.yml" "$out/promha.yml" \
  'ALERTMANAGER_TARGETS=["alertmanager-1:9093", "alertmanager-2:9093", "alertmanager-3:9093"]' \
  PROMETHEUS_A=prometheus-a:9090 PROMETHEUS_B=prometheus-b:9090 \
  PROMHA_A=prometheus-a:9095 PROMHA_B=prometheus-b:9095
render "$src/rules.yml" "$out/rules.yml"
cp "$mixin/alerts.yaml" "$out/promha-mixin-alerts.yaml"
chmod 0644 "$out/promha-mixin-alerts.yaml"

# Each promha shares its Prometheus's network namespace: Prometheus reaches its own sidecar at
# localhost:9095, and the other services reach it at prometheus-X:9095.
for r in a b; do
  dst="$out/prometheus-$r.yml"
  render "$src/prometheus.yml" "$dst" \
    REPLICA="$(echo $r | tr ab AB)" SELF=localhost:9090 PROMHA=localhost:9095 RULES=rules.yml
  insert_after "$dst" 'rule_files:' '  - promha-mixin-alerts.yaml'
  insert_after "$dst" 'scrape_configs:' "$(cat <<EOF
  - job_name: promha
    static_configs:
      - targets: ['prometheus-a:9095', 'prometheus-b:9095']
  - job_name: alertmanager
    static_configs:
      - targets: ['alertmanager-1:9093', 'alertmanager-2:9093', 'alertmanager-3:9093']
EOF
)"
done
