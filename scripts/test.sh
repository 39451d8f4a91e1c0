#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine, one command:
# installs what is missing, builds with warnings as errors, starts throwaway
# PostgreSQL and MariaDB servers, runs every ctest test (unit, integration,
# crash), then the same tests again under AddressSanitizer and
# UndefinedBehaviorSanitizer, a short fuzzing run, and stops the servers.
#
#   scripts/test.sh            everything
#   scripts/test.sh --quick    skip the sanitizer pass and the fuzzing run
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
JOBS=$(nproc)
START=$(date +%s)

step() { echo; echo "== $* ($(($(date +%s) - START)) s)"; }

step "installing dependencies"
"$ROOT/scripts/install-deps.sh"
if [ "$QUICK" -eq 0 ]; then "$ROOT/scripts/install-deps.sh" --fuzz; fi

step "checking documentation links and file names in comments"
"$ROOT/scripts/check-links.sh" "$ROOT"

step "checking the C++ formatting (.clang-format)"
"$ROOT/scripts/check-format.sh" "$ROOT"

# Compiler cache: a second run (another clone, another directory) rebuilds
# only what changed. Paths are taken relative to the checkout so clones
# share entries. XATM_NO_CCACHE=1 builds without it.
LAUNCHER=()
if [ -z "${XATM_NO_CCACHE:-}" ] && command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=true
  LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

step "building (warnings are errors)"
cmake -S "$ROOT" -B "$ROOT/build/test" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DXATM_WERROR=ON "${LAUNCHER[@]}" >/dev/null
cmake --build "$ROOT/build/test" -j"$JOBS"

DBDIR=$(mktemp -d /tmp/xatm-test-db.XXXXXX)
cleanup() {
  "$ROOT/scripts/db.sh" stop "$DBDIR" || true
  rm -rf "$DBDIR"
}
trap cleanup EXIT
step "starting PostgreSQL and MariaDB"
"$ROOT/scripts/db.sh" start "$DBDIR"
# shellcheck disable=SC1091
. "$DBDIR/env.sh"

step "running the tests"
ctest --test-dir "$ROOT/build/test" --output-on-failure -j"$JOBS"

step "making, installing and removing the Debian packages"
"$ROOT/scripts/check-packages.sh" "$ROOT/build/test"

if [ "$QUICK" -eq 0 ]; then
  step "building with AddressSanitizer and UndefinedBehaviorSanitizer"
  cmake -S "$ROOT" -B "$ROOT/build/asan" -DCMAKE_BUILD_TYPE=Debug \
    -DXATM_WERROR=ON -DXATM_SANITIZE=address,undefined \
    -DXATM_BUILD_BENCH=OFF "${LAUNCHER[@]}" >/dev/null
  cmake --build "$ROOT/build/asan" -j"$JOBS"
  step "running the tests under the sanitizers"
  ASAN_OPTIONS=detect_leaks=1 ctest --test-dir "$ROOT/build/asan" \
    --output-on-failure -j"$JOBS" -LE package

  if [ -x "$ROOT/scripts/fuzz.sh" ]; then
    step "fuzzing the decision-log reader"
    "$ROOT/scripts/fuzz.sh" 60
  fi
fi

step "all tests passed"
