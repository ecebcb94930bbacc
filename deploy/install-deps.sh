#!/usr/bin/env bash
# Installs the Debian 12 packages promha needs (deploy/packages.txt) that are missing, with one
# apt-get call, and only when something is missing; then the tools of the deploy checks
# (tests/deploy/install-tools.sh: kubectl, npm and the pinned npm validators, each only when
# missing) and of the web UI's browser tests (tests/ui/install-tools.sh: the pinned
# playwright-core). Used by tests/run.sh, deploy/local/demo.sh and the Dockerfile's build stage.
#   deploy/install-deps.sh                  everything
#   deploy/install-deps.sh --packages-only  the Debian list only, no test tools
#   deploy/install-deps.sh --build-only     only what building needs (the Dockerfile's build
#                                           stage): the list up to its #@build-only-ends-here line
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEST_TOOLS=1
BUILD_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --packages-only) TEST_TOOLS=0 ;;
    --build-only) TEST_TOOLS=0; BUILD_ONLY=1 ;;
    *) echo "install-deps.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done
test_tools() {
  [[ $TEST_TOOLS -eq 1 ]] || return 0
  "$ROOT/tests/deploy/install-tools.sh"
  "$ROOT/tests/ui/install-tools.sh"
}
list="$ROOT/deploy/packages.txt"
listed() {  # the package names of the list (up to the build-only marker with --build-only)
  if [[ $BUILD_ONLY -eq 1 ]]; then sed -e '/^#@build-only-ends-here/,$d' "$list"; else cat "$list"; fi
}
mapfile -t pkgs < <(listed | sed -e 's/#.*//' | tr -s ' \t' '\n\n' | sed '/^$/d')
installed="$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${pkgs[@]}" 2>/dev/null |
             awk '$2 == "installed" { print $1 }' || true)"
missing=()
for p in "${pkgs[@]}"; do
  grep -qxF "$p" <<<"$installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  test_tools
  exit 0
fi
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
[[ $rc -eq 0 ]] || exit $rc
test_tools
