#!/usr/bin/env bash
# Installs the Debian 12 packages promha needs (deploy/packages.txt) that are missing, with one
# apt-get call, and only when something is missing. Used by tests/run.sh, deploy/local/demo.sh
# and the Dockerfile's build stage.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
list="$ROOT/deploy/packages.txt"
mapfile -t pkgs < <(sed -e 's/#.*//' "$list" | tr -s ' \t' '\n\n' | sed '/^$/d')
installed="$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${pkgs[@]}" 2>/dev/null |
             awk '$2 == "installed" { print $1 }' || true)"
missing=()
for p in "${pkgs[@]}"; do
  grep -qxF "$p" <<<"$installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
echo "==> installing ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps.sh: missing packages and not root: apt-get install ${missing[*]}" >&2
  exit 1
fi
# prometheus, prometheus-alertmanager and victoria-metrics would start system services on their
# default ports. promha's tests and demo run their own instances on ports picked at run time;
# keep the packaged services from starting during the install (invoke-rc.d honours policy-rc.d).
policy=/usr/sbin/policy-rc.d
made_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\n# temporary, from promha deploy/install-deps.sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  made_policy=1
fi
rc=0
export DEBIAN_FRONTEND=noninteractive
{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } || rc=$?
[[ $made_policy -eq 1 ]] && rm -f "$policy"
exit $rc
