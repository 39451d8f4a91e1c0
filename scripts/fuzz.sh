#!/usr/bin/env bash
# Fuzzes the decision-log reader with libFuzzer (clang) for SECONDS (default
# 60), starting from tests/fuzz/corpus/log_reader. New inputs go to a
# temporary copy of the corpus; a crash leaves its input in build/fuzz/.
#
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_TO_RUN=${1:-60}
"$ROOT/scripts/install-deps.sh" --fuzz

CLANG=$(command -v clang++ || command -v clang++-14)
cmake -S "$ROOT" -B "$ROOT/build/fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER="$CLANG" -DXATM_BUILD_FUZZ=ON -DXATM_WERROR=ON \
  -DXATM_BUILD_TESTS=ON -DXATM_BUILD_BENCH=OFF >/dev/null
cmake --build "$ROOT/build/fuzz" --target log_reader_fuzz -j"$(nproc)"

CORPUS=$(mktemp -d)
trap 'rm -rf "$CORPUS"' EXIT
cp "$ROOT"/tests/fuzz/corpus/log_reader/* "$CORPUS"/
cd "$ROOT/build/fuzz"
./tests/fuzz/log_reader_fuzz -max_total_time="$SECONDS_TO_RUN" -max_len=4096 \
  -print_final_stats=1 "$CORPUS" 2>&1 | tail -15
