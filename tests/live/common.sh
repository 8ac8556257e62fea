# SPDX-License-Identifier: MIT
# common.sh — shared by the live tests: a scratch directory, waits that end
# on a condition, and the comparison of a live run's final report with the
# post-mortem one.  Sourced, not run.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIPPED: $*"; exit 77; }

# Under /tmp and enterable by anybody: the recorder gives the trace to the
# traced program's owner, and lttng-relayd writes below it.
WORK=$(mktemp -d /tmp/live-test.XXXXXX)
chmod 755 "$WORK"
# The longest a wait that ends by itself may take on a loaded machine.
WAIT_SECS=120

# Every workload says "ready PID" (live_workload.c) in some file of WORK;
# those still running are stopped by that pid, then the jobs.
cleanup() {
    local p
    for p in $(cat "$WORK"/* 2>/dev/null | sed -n 's/^ready \([0-9][0-9]*\)$/\1/p'); do
        kill "$p" 2>/dev/null
    done
    for p in $(jobs -p); do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

# wait_for DESCRIPTION COMMAND...: until COMMAND succeeds, at most WAIT_SECS.
wait_for() {
    local what=$1 end=$((SECONDS + WAIT_SECS))
    shift
    while ! "$@" 2>/dev/null; do
        [ "$SECONDS" -lt "$end" ] || fail "timed out after $WAIT_SECS s waiting for $what"
        sleep 0.05
    done
}

# wait_pid PID: its exit status, failing if it is still running after WAIT_SECS.
wait_pid() {
    local end=$((SECONDS + WAIT_SECS))
    while kill -0 "$1" 2>/dev/null; do
        [ "$SECONDS" -lt "$end" ] || fail "process $1 still running after $WAIT_SECS s"
        sleep 0.05
    done
    wait "$1"
}

# Interval tables in a live text output.
tables() { grep -c '^\([0-9:]* \)\{0,1\}interval [0-9]* (' "$1"; }
# has_tables FILE N: at least N tables in FILE so far (for wait_for).
has_tables() { [ "$(tables "$1")" -ge "$2" ]; }

# The full report at the end of a live text output, without its first line
# (which names the input: the live one may read a temporary name).
final_report() { sed -n '/^bucketscope[- ]report: [0-9]* [a-z]* input/,$p' "$1" | tail -n +2; }

# same_final LIVE_OUTPUT TRACE: the live run's final report is the post-mortem one.
same_final() {
    "$REPORT" "$2" >"$WORK/pm.txt" 2>"$WORK/pm.err" || { cat "$WORK/pm.err" >&2; fail "report $2 failed"; }
    final_report "$1" >"$WORK/live_final.txt"
    [ -s "$WORK/live_final.txt" ] || { cat "$1" >&2; fail "no final report in the live output"; }
    tail -n +2 "$WORK/pm.txt" | diff "$WORK/live_final.txt" - >&2 ||
        fail "the live run's final report differs from 'report $2'"
}
