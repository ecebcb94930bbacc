#!/usr/bin/env bash
# Builds promha and runs every test; the last line printed is "N passed, N failed".
#
#   tests/run.sh            install missing packages, build, unit tests, sanitizer pass, fuzzing
#   tests/run.sh --quick    install, build, unit tests only (for developers)
#   tests/run.sh --tsan     also build the concurrent parts' tests (queues, senders, watcher,
#                           remote write, HA, listener) with ThreadSanitizer and run them
#                           (not in CI: the build takes ~15 min on 2 cores)
#
# Counting: each doctest executable contributes its own "test cases" counts; every other check
# (a meson test without doctest output, a sanitizer-build test without them, a fuzz run, a build
# step that fails) counts as one test. Exit status is non-zero when anything failed.
#
# Environment:
#   PROMHA_FUZZ_SECONDS   seconds per fuzz target (default 30)
#   PROMHA_JOBS           ninja parallelism (default: ninja's own)
#
# Works from any directory, on a clean clone, and does little when everything is up to date.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

QUICK=0
TSAN=0
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    --tsan) TSAN=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done
FUZZ_SECONDS="${PROMHA_FUZZ_SECONDS:-30}"
NINJA_ARGS=()
if [[ -n "${PROMHA_JOBS:-}" ]]; then NINJA_ARGS=(-j "$PROMHA_JOBS"); fi

PASSED=0
FAILED=0
FINISHED=0
START=$SECONDS

note() { printf '==> %s\n' "$*"; }

finish() {
  local rc=$?
  # An unexpected exit (set -e) still reports, and is never reported as success.
  if [[ $FINISHED -eq 0 && $rc -ne 0 && $FAILED -eq 0 ]]; then FAILED=$((FAILED + 1)); fi
  note "done in $((SECONDS - START)) s"
  echo "$PASSED passed, $FAILED failed"
  if [[ $FAILED -ne 0 && $rc -eq 0 ]]; then exit 1; fi
}
trap finish EXIT
# A signal (Ctrl-C, a CI time-out) ends the run as a failure, still with the summary line.
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# 1. Debian packages: one list, one apt-get call, only when something is missing.
install_packages() {  # the one list, deploy/packages.txt, shared with the demo and Dockerfile
  "$ROOT/deploy/install-deps.sh"
}

# ---------------------------------------------------------------------------------------------
# 2. Build directories. A configured directory is reused (ninja re-runs meson when a meson.build
#    changed); a half-configured one (no coredata) is wiped.
setup_dir() {  # setup_dir DIR [meson options...]; env CXX etc. apply
  local dir=$1
  shift
  if [[ -f $dir/meson-private/coredata.dat && -f $dir/build.ninja ]]; then return 0; fi
  local -a wipe=()
  [[ -d $dir/meson-private ]] && wipe=(--wipe)
  local log rc=0
  log="$(mktemp)"
  meson setup "${wipe[@]}" "$dir" "$@" >"$log" 2>&1 || rc=$?
  [[ $rc -eq 0 ]] || cat "$log" >&2
  rm -f "$log"
  return $rc
}

build_dir() {  # build_dir DIR [ninja targets...]
  local dir=$1
  shift
  ninja -C "$dir" "${NINJA_ARGS[@]}" "$@"
}

# ---------------------------------------------------------------------------------------------
# 3. Tests: meson test, then sum the doctest counts from meson's JSON test log.
count_meson_tests() {  # count_meson_tests DIR LABEL -> adds to PASSED/FAILED
  local dir=$1 label=$2 counts
  counts="$(python3 - "$dir/meson-logs/testlog.json" "$label" <<'PY'
import json, re, sys
path, label = sys.argv[1], sys.argv[2]
summary = re.compile(r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed")
passed = failed = 0
try:
    lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
except OSError:
    lines = []
for line in lines:
    if not line.strip():
        continue
    t = json.loads(line)
    ok = t.get("result") in ("OK", "EXPECTEDFAIL", "SKIP")
    out = (t.get("stdout") or "") + "\n" + (t.get("stderr") or "")
    m = summary.findall(out)
    if m:
        p, f = int(m[-1][1]), int(m[-1][2])
        # A sanitizer report or crash after doctest's summary still fails the executable.
        if not ok and f == 0:
            f = 1
        passed += p
        failed += f
    else:
        passed += ok
        failed += not ok
    if not ok:
        print(f"{label}: FAILED {t.get('name')} ({t.get('result')})", file=sys.stderr)
print(passed, failed)
PY
)"
  PASSED=$((PASSED + ${counts% *}))
  FAILED=$((FAILED + ${counts#* }))
  note "$label: ${counts% *} passed, ${counts#* } failed"
}

run_meson_tests() {  # run_meson_tests DIR LABEL
  local dir=$1 label=$2
  rm -f "$dir/meson-logs/testlog.json"
  local rc=0
  meson test -C "$dir" --print-errorlogs || rc=$?
  if [[ ! -s $dir/meson-logs/testlog.json ]]; then
    # meson could not run anything (e.g. a build error it hit itself).
    FAILED=$((FAILED + 1))
    note "$label: meson test produced no log (exit $rc)"
    return 0
  fi
  count_meson_tests "$dir" "$label"
}

step_failed() {  # a build or setup step that failed counts as one failed test
  FAILED=$((FAILED + 1))
  note "FAILED: $*"
}

# ---------------------------------------------------------------------------------------------
# 4. Fuzzing: every fuzz_<name> target runs for FUZZ_SECONDS over a working corpus in the build
#    directory, seeded from tests/fuzz/<name>/ (the seeds are never written to).
run_fuzzers() {
  local dir=build-fuzz
  if ! CXX=clang++ CC=clang setup_dir "$dir" -Dfuzz=true -Db_lundef=false; then
    step_failed "configure $dir"
    return 0
  fi
  local -a targets
  mapfile -t targets < <(meson introspect "$dir" --targets | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["type"] == "executable" and t["name"].startswith("fuzz_"):
        print(t["name"])')
  if [[ ${#targets[@]} -eq 0 ]]; then
    note "no fuzz targets registered"
    return 0
  fi
  if ! build_dir "$dir" "${targets[@]}"; then
    step_failed "build fuzz targets"
    return 0
  fi
  mkdir -p "$ROOT/tests/fuzz/artifacts"
  local t name log corpus seeds
  for t in "${targets[@]}"; do
    name=${t#fuzz_}
    corpus="$dir/corpus/$name"
    seeds="$ROOT/tests/fuzz/$name"
    log="$dir/$t.log"
    mkdir -p "$corpus"
    local -a dirs=("$corpus")
    [[ -d $seeds ]] && dirs+=("$seeds")
    note "fuzzing $name for ${FUZZ_SECONDS}s"
    if ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" "$dir/$t" \
        -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$ROOT/tests/fuzz/artifacts/$name-" \
        "${dirs[@]}" >"$log" 2>&1; then
      PASSED=$((PASSED + 1))
      note "fuzz $name: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" |
                          awk '{print $2}') executions, no crash"
    else
      FAILED=$((FAILED + 1))
      tail -n 60 "$log"
      note "FAILED: fuzz $name (artifacts in tests/fuzz/artifacts/, log $log)"
    fi
  done
}

# ---------------------------------------------------------------------------------------------
note "packages"
install_packages

note "build (build/)"
if setup_dir build && build_dir build; then
  run_meson_tests build "unit tests"
else
  step_failed "build build/"
fi

if [[ $QUICK -eq 0 ]]; then
  # Second pass under AddressSanitizer + UBSan; any report fails the test that produced it.
  note "sanitizer build (build-asan/)"
  # -O0 (buildtype=debug) compiles much faster than the default and keeps asserts on.
  if setup_dir build-asan -Db_sanitize=address,undefined -Db_lundef=false --buildtype=debug &&
     build_dir build-asan
  then
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}" \
    UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}" \
      run_meson_tests build-asan "sanitizer tests"
  else
    step_failed "build build-asan/"
  fi

  note "fuzzing"
  run_fuzzers
fi

if [[ $TSAN -eq 1 ]]; then
  # The concurrent parts under ThreadSanitizer; a report fails its test (halt_on_error=1).
  note "thread sanitizer build (build-tsan/)"
  tsan_tests=(notify_test watch_test remotewrite_test ha_test http_server_test)
  if setup_dir build-tsan -Db_sanitize=thread -Db_lundef=false &&
     build_dir build-tsan "${tsan_tests[@]/#/tests/}"
  then
    rm -f build-tsan/meson-logs/testlog.json
    TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1 suppressions=$ROOT/tests/tsan.supp}" \
      meson test -C build-tsan --no-rebuild --print-errorlogs "${tsan_tests[@]}" || true
    count_meson_tests build-tsan "thread sanitizer tests"
  else
    step_failed "build build-tsan/"
  fi
fi

FINISHED=1
[[ $FAILED -eq 0 ]]
