#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fuzz.sh [seconds] — the longer fuzz run: builds build-fuzz (clang,
# -DHMAP_FUZZ=ON) if needed, then runs the map fuzzer for `seconds`
# (default 600) on its corpus (kept in build-fuzz/tests/fuzz/corpus, so each
# run continues from the last).  A crash leaves its input in
# build-fuzz/tests/fuzz/artifacts/; replay it with
#   build-fuzz/tests/fuzz/fuzz_map <file>
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/fuzz.sh [seconds]   (a positive integer, default 600)" >&2; exit 2; }
[ $# -le 1 ] || usage
secs=${1:-600}
[[ "$secs" =~ ^[1-9][0-9]*$ ]] || usage

BUILD=${BUILD_FUZZ:-build-fuzz}
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    CC=clang CXX=clang++ cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHMAP_FUZZ=ON
fi
cmake --build "$BUILD" -j"${JOBS:-2}" --target fuzz_map

dir=$BUILD/tests/fuzz
mkdir -p "$dir/corpus" "$dir/artifacts"
echo "fuzzing for ${secs}s; corpus $dir/corpus, crashes in $dir/artifacts/"
exec "$dir/fuzz_map" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -max_len=4096 \
    -artifact_prefix="$dir/artifacts/" -print_final_stats=1 "$dir/corpus"
