#!/usr/bin/env bash
# Installs what the deploy checks (meson suite 'deploy') need beyond deploy/packages.txt, each
# only when missing. Called by deploy/install-deps.sh.
#   - kubectl, for `kubectl kustomize`: Debian 12's kubernetes-client when no kubectl is on PATH
#     (a kubectl from another package would conflict with it, so it is not in packages.txt).
#   - npm: Debian's npm when no npm is on PATH (a Node.js from elsewhere bundles its own).
#   - the npm validators pinned in tests/deploy/package-lock.json (kubernetes-models,
#     @kubernetes-models/prometheus-operator, dockerfile-utils), installed with `npm ci` into
#     tests/deploy/node_modules/ (not committed) when it does not match the lock file.
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

apt_missing=()
command -v kubectl >/dev/null 2>&1 || apt_missing+=(kubernetes-client)
command -v npm >/dev/null 2>&1 || apt_missing+=(npm)
if [[ ${#apt_missing[@]} -gt 0 ]]; then
  echo "==> installing ${apt_missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-tools.sh: missing tools and not root: apt-get install ${apt_missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${apt_missing[@]}"
fi

# node_modules/ is up to date when it was installed from this exact lock file.
stamp="$DIR/node_modules/.promha-lock-sha256"
want="$(sha256sum "$DIR/package-lock.json" | cut -d' ' -f1)"
if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
echo "==> npm ci in tests/deploy (validators for the deploy checks)"
(cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error)
echo "$want" >"$stamp"
