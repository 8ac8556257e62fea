#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every test suite after `make test` has built build/, build-asan/ and
# build-fuzz/.  Prints one closing line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0 failed=0
run() { # name, command...
  local name=$1; shift
  echo "=== $name: $*"
  if "$@"; then passed=$((passed + 1)); echo "=== $name: PASSED"
  else failed=$((failed + 1)); echo "=== $name: FAILED"; fi
}
J=${JOBS:-2}
run "tests (release build)"   ctest --test-dir build --output-on-failure -j"$J" -LE fuzz
run "tests (ASan+UBSan build)" ctest --test-dir build-asan --output-on-failure -j"$J" -L unit
run "fuzzers (bounded)"        ctest --test-dir build-fuzz --output-on-failure -L fuzz
echo
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
