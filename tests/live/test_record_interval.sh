#!/bin/bash
# SPDX-License-Identifier: MIT
# record -i INTERVAL COUNT -- CMD: exactly COUNT interval tables (the
# recorder's ticks drive them), then the final report, equal to `report` on
# the -o file; --json: COUNT JSON lines, then the JSON report equal to
# `report --format json`; Ctrl-C (to the recorder) ends with the report;
# COUNT without -i is a usage error.
. "$(dirname "$0")/common.sh"
[ -n "$RECORD" ] || skip "bucketscope-record is not built (no libbpf)"
[ "$(id -u)" = 0 ] || skip "not root: attaching BPF to uprobes needs root"
[ -e /sys/bus/event_source/devices/uprobe ] || skip "kernel has no uprobe PMU"
command -v jq >/dev/null || skip "jq is not installed (scripts/deps.sh; JSON check)"

# record's status: 0, or 3 when the ring buffer overflowed (a loaded
# machine); a loss is counted in the file and in both reports alike, so the
# comparison holds either way.
recorded() { # PID what
    wait_pid "$1"
    local st=$?
    [ "$st" = 0 ] || [ "$st" = 3 ] || { cat "$WORK/$2.err" >&2; fail "record ($2) failed: status $st"; }
}

# 1. Three tables of one second, then the report.  The workload runs until
# told to stop, so the recorder's COUNT is what ends the recording.
"$RECORD" -b 32M -o "$WORK/r.hmtrace" -T -i 1 3 -- "$WORKLOAD" "$WORK/stop" 1000 500 300 \
    >"$WORK/r.out" 2>"$WORK/r.err" &
recorded $! r
touch "$WORK/stop"
n=$(tables "$WORK/r.out")
[ "$n" = 3 ] || { cat "$WORK/r.out" >&2; fail "$n interval tables, wanted 3"; }
grep -q '^[0-9][0-9]:[0-9][0-9]:[0-9][0-9] interval 3 (' "$WORK/r.out" || fail "-T: no time on the header"
grep -q '^[0-9]*  *0x[0-9a-f]*  *u64->u64 ' "$WORK/r.out" || fail "no row for the workload's map"
same_final "$WORK/r.out" "$WORK/r.hmtrace"
rm -f "$WORK/stop"

# 2. JSON: two lines, then the JSON report.
"$RECORD" -b 32M -o "$WORK/j.hmtrace" --json -i 0.5 2 -- "$WORKLOAD" "$WORK/stop" 1000 500 300 \
    >"$WORK/j.out" 2>"$WORK/j.err" &
recorded $! j
touch "$WORK/stop"
"$REPORT" --format json "$WORK/j.hmtrace" >"$WORK/j.pm" || fail "report --format json failed"
# (the workload's own "ready" line left out; the live report read the
# recording under a temporary name, so "inputs" differ)
grep -v '^ready' "$WORK/j.out" | jq -e -s --slurpfile pm "$WORK/j.pm" '
    map(select(has("interval"))) as $iv | map(select(has("interval") | not)) as $rest |
    [$iv[].interval] == [1, 2] and all($iv[]; (.maps | length) > 0) and
    ($rest | length) == 1 and ($rest[0] | del(.inputs)) == ($pm[0] | del(.inputs))' >/dev/null ||
    fail "JSON check (two interval lines, then the final JSON report equal to the post-mortem one)"
rm -f "$WORK/stop"

# 3. Ctrl-C: the recorder passes it to CMD, finishes the file, the report
# reads to its end.  (SIGINT given back its default, see test_follow.sh.)
env --default-signal=INT "$RECORD" -b 32M -o "$WORK/c.hmtrace" -i 0.2 -- "$WORKLOAD" "$WORK/stop" 1000 500 300 \
    >"$WORK/c.out" 2>"$WORK/c.err" &
R=$!
wait_for "a table" has_tables "$WORK/c.out" 1
kill -INT "$R"
wait_pid "$R"
st=$?
# The workload died of the SIGINT the recorder passed on: 128 + 2 (or 3:
# the ring overflowed, which comes first).
[ "$st" = 130 ] || [ "$st" = 3 ] || { cat "$WORK/c.err" >&2; fail "record -i after SIGINT: status $st, wanted 130"; }
same_final "$WORK/c.out" "$WORK/c.hmtrace"

# 4. Usage.
"$RECORD" -o "$WORK/u.hmtrace" 3 -- true 2>"$WORK/u.err" && fail "COUNT without -i accepted"
grep -q 'COUNT (3) needs -i INTERVAL' "$WORK/u.err" || { cat "$WORK/u.err" >&2; fail "no usage message"; }
"$RECORD" -o "$WORK/u.hmtrace" -T -- true 2>"$WORK/u.err" && fail "-T without -i accepted"
echo "PASS: record -i (3 tables, final report equal to report on the file)"
