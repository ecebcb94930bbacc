#!/usr/bin/env bash
# The local HA demo (README Quick start). Installs missing Debian packages, builds promha, then
# runs 2 Prometheus + 2 promha + 3 Alertmanagers + a webhook receiver on 127.0.0.1.
#   ./deploy/local/demo.sh           run until Ctrl-C
#   ./deploy/local/demo.sh --check   exit 0 after verifying exactly one notification per group
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
"$ROOT/deploy/install-deps.sh"
if [[ ! -d "$ROOT/build" ]]; then meson setup "$ROOT/build" "$ROOT" >/dev/null; fi
ninja -C "$ROOT/build" src/cli/promha >/dev/null
PROMHA_BIN="$ROOT/build/src/cli/promha" exec python3 "$ROOT/deploy/local/demo.py" "$@"
