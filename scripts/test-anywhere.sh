#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-anywhere.sh — proves that `make test` depends on the product, not on
# the machine: it runs the README's test command the way a newcomer does, from
# a fresh `git clone` of the committed HEAD inside a directory made by
# `mktemp -d` (mode 0700, so an unprivileged user cannot reach the clone),
# optionally with the machine fully loaded.
#
#   scripts/test-anywhere.sh [--runs N] [--load none|cpu|twin]
#
#   --runs N      run `make test` N times in a row in the same fresh clone
#                 (default 3); every run must pass
#   --load cpu    run `stress-ng --cpu <ncpus>` alongside every run
#   --load twin   run two `make test` at once, from two clones
#   --load none   (default) nothing alongside
#
# Each run's log is kept in the temporary directory (printed at the start) and
# its last lines are shown on failure.  Exit 0 only if every run passed.
# Only committed work is tested: uncommitted changes are not in the clone.
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)

usage() { echo "usage: scripts/test-anywhere.sh [--runs N] [--load none|cpu|twin]" >&2; exit 2; }
runs=3 load=none
while [ $# -gt 0 ]; do
    case $1 in
    --runs) [ $# -ge 2 ] || usage; runs=$2; shift 2 ;;
    --load) [ $# -ge 2 ] || usage; load=$2; shift 2 ;;
    *) usage ;;
    esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || usage
case $load in none | cpu | twin) ;; *) usage ;; esac

top=$(mktemp -d) # mode 0700, as a newcomer's `mktemp -d` gives
echo "test-anywhere: $runs run(s), load=$load, in $top (mode $(stat -c %a "$top"))"

clone() { # dir
    git clone -q "$SRC" "$1" || { echo "test-anywhere: git clone failed" >&2; exit 1; }
}

# run_once DIR LOG: one `make test` in DIR; returns its status.
run_once() {
    local dir=$1 log=$2 t0 rc
    t0=$(date +%s)
    (cd "$dir" && make test) >"$log" 2>&1
    rc=$?
    echo "test-anywhere: $(basename "$dir") $(basename "$log"): exit $rc in $(($(date +%s) - t0)) s," \
        "$(grep -E '^suites: ' "$log" | tail -1)"
    [ $rc = 0 ] || { echo "--- last lines of $log:"; grep -E 'Failed|FAIL|tests passed' "$log" | tail -20; }
    return $rc
}

stress_pid=
stop_stress() { [ -z "$stress_pid" ] || kill "$stress_pid" 2>/dev/null; wait 2>/dev/null; }
trap stop_stress EXIT
if [ "$load" = cpu ]; then
    bash scripts/deps.sh >/dev/null || exit 1 # stress-ng is in the package list
    stress-ng --cpu "$(nproc)" --timeout 0 --quiet &
    stress_pid=$!
    echo "test-anywhere: stress-ng --cpu $(nproc) running (pid $stress_pid)"
fi

clone "$top/a"
[ "$load" != twin ] || clone "$top/b"
failed=0
for i in $(seq 1 "$runs"); do
    if [ "$load" = twin ]; then
        run_once "$top/a" "$top/run$i-a.log" &
        pa=$!
        run_once "$top/b" "$top/run$i-b.log" || failed=$((failed + 1))
        wait "$pa" || failed=$((failed + 1))
    else
        run_once "$top/a" "$top/run$i.log" || failed=$((failed + 1))
    fi
done
total=$runs
[ "$load" != twin ] || total=$((runs * 2))
echo
echo "test-anywhere: $((total - failed)) passed, $failed failed"
[ "$failed" = 0 ]
