#!/usr/bin/env bash
# Installs the built tree into a temporary prefix and builds and runs an
# application against the installed CMake package.
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

