#!/usr/bin/env bash
# Installs the built tree into a temporary prefix and builds and runs an
# application against the installed CMake package.
set -euo pipefail
BUILD_DIR=$1
SOURCE_DIR=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cmake --install "$BUILD_DIR" --prefix "$WORK/prefix" >/dev/null
cmake -S "$SOURCE_DIR/tests/package/consumer" -B "$WORK/build" \
  -DCMAKE_PREFIX_PATH="$WORK/prefix" >/dev/null
cmake --build "$WORK/build" >/dev/null
out=$("$WORK/build/consumer" "$WORK/log")
echo "$out"
# The library's own log lines may precede it.
echo "$out" | grep -q '^consumer ok xatm:consumer:'

