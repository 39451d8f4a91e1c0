#!/usr/bin/env bash
# Installs the built tree into a temporary prefix and builds applications
# against it: tests/package/consumer and examples/ with the CMake package,
# and examples/two_phase_transfer.cc with pkg-config (xatm.pc). With the
# test servers' variables set (scripts/db.sh's env.sh, as in CI) the
# examples built here also run against them, each checking its result.
set -euo pipefail
BUILD_DIR=$1
SOURCE_DIR=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# The README shows tests/package/consumer/example.cc verbatim (the block after
# its marker line): the example people copy is the one built here.
readme_example=$(awk '/^<!-- library example: tests\/package\/consumer\/example.cc -->$/ {on=1; next}
  on && /^```cpp$/ {code=1; next} code && /^```$/ {exit} code {print}' "$SOURCE_DIR/README.md")
if [ "$readme_example" != "$(cat "$SOURCE_DIR/tests/package/consumer/example.cc")" ]; then
  echo "README.md's library example differs from tests/package/consumer/example.cc" >&2
  exit 1
fi
cmake --install "$BUILD_DIR" --prefix "$WORK/prefix" >/dev/null
cmake -S "$SOURCE_DIR/tests/package/consumer" -B "$WORK/build" \
  -DCMAKE_PREFIX_PATH="$WORK/prefix" >/dev/null
cmake --build "$WORK/build" >/dev/null
out=$("$WORK/build/consumer" "$WORK/log")
echo "$out"
# Its own line and nothing else: the library never writes to the
# application's stdout.
if [ "$(printf '%s\n' "$out" | wc -l)" -ne 1 ] ||
  ! grep -q '^consumer ok xatm:consumer:' <<<"$out"; then
  echo "the consumer's stdout is not just its own line" >&2
  exit 1
fi

# examples/ as a project of its own, with find_package(xatm).
cmake -S "$SOURCE_DIR/examples" -B "$WORK/examples" \
  -DCMAKE_PREFIX_PATH="$WORK/prefix" >/dev/null
cmake --build "$WORK/examples" >/dev/null

# pkg-config alone: the flags it gives must compile and link a program.
PKG_CONFIG_PATH=$(dirname "$(find "$WORK/prefix" -name xatm.pc)")
export PKG_CONFIG_PATH
pkg-config --libs xatm
# shellcheck disable=SC2046  # the flags are words
g++ -std=c++17 -o "$WORK/two_phase_transfer" \
  "$SOURCE_DIR/examples/two_phase_transfer.cc" $(pkg-config --cflags --libs xatm)

if [ -z "${XATM_TEST_PG_CONNINFO:-}" ]; then
  echo "package_test: no test servers in the environment; examples built, not run"
  exit 0
fi
# Each prints "... example ok" last and exits 0 only when its check held.
for program in "$WORK"/examples/{two_phase_transfer,keyed_transaction,sweeper_metrics,saga_example} \
               "$WORK/two_phase_transfer"; do
  rm -rf "$WORK/example-log"
  out=$("$program" "$WORK/example-log") || { echo "$out"; exit 1; }
  echo "$out" | tail -1
  echo "$out" | tail -1 | grep -q ' example ok$'
done
