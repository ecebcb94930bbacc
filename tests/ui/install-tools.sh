#!/usr/bin/env bash
# Installs what the browser tests of the web UI (meson suite 'ui') need beyond
# deploy/packages.txt (which lists Debian's chromium): npm when no npm is on PATH, and the
# playwright-core pinned in tests/ui/package-lock.json, installed with `npm ci` into
# tests/ui/node_modules/ (not committed) when it does not match the lock file. playwright's own
# browser download is never used (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD): the tests drive
# /usr/bin/chromium. Called by deploy/install-deps.sh.
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! command -v npm >/dev/null 2>&1; then
  echo "==> installing npm"
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-tools.sh: npm is missing and not root: apt-get install npm" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends npm
fi

# node_modules/ is up to date when it was installed from this exact lock file.
stamp="$DIR/node_modules/.promha-lock-sha256"
want="$(sha256sum "$DIR/package-lock.json" | cut -d' ' -f1)"
if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
echo "==> npm ci in tests/ui (playwright-core for the browser tests)"
(cd "$DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
echo "$want" >"$stamp"
