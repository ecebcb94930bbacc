#!/bin/sh
# Prints the Debian packages that provide the shared libraries BINARY needs, one per line, sorted.
# The Dockerfile's build stage runs it on the freshly built promha so that the runtime stage
# installs exactly those packages: when the code starts linking a new library, the image follows
# without anyone editing a list. Fails (exit 1) when a library is missing or owned by no package.
#   deploy/docker/runtime-packages.sh build/src/cli/promha
set -eu
[ $# -eq 1 ] || { echo "usage: $0 BINARY" >&2; exit 2; }
bin=$1
out=$(ldd "$bin") || { echo "runtime-packages.sh: ldd $bin failed" >&2; exit 1; }
if printf '%s\n' "$out" | grep -q 'not found'; then
  printf '%s\n' "$out" | grep 'not found' >&2
  exit 1
fi
libs=$(printf '%s\n' "$out" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
# Each library under every spelling merged /usr allows; one dpkg-query call (it is slow).
candidates() { printf '%s\n' "$1" "$(readlink -f "$1")" "${1#/usr}" "/usr$1"; }
owners=$(for lib in $libs; do candidates "$lib"; done | sort -u |
  xargs dpkg-query -S 2>/dev/null || true)
pkgs=""
for lib in $libs; do
  pkg=$(for p in $(candidates "$lib"); do
          printf '%s\n' "$owners" | awk -v p="$p" '$NF == p { sub(/:.*/, "", $1); print $1 }'
        done | head -n1)
  [ -n "$pkg" ] || { echo "runtime-packages.sh: no package ships $lib" >&2; exit 1; }
  pkgs="$pkgs$pkg
"
done
printf '%s' "$pkgs" | sort -u
