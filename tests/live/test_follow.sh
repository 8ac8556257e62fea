#!/bin/bash
# SPDX-License-Identifier: MIT
# report --follow on a native trace a running program writes (HMAP_TRACE):
# at least two interval tables (-T stamps them), JSON lines that parse, and
# a final report equal to the post-mortem one on the finished file.  Then
# the ways following ends early: the writer killed (-9) and Ctrl-C of the
# report: the report still comes, marked truncated.
. "$(dirname "$0")/common.sh"
command -v jq >/dev/null || skip "jq is not installed (scripts/deps.sh; JSON check)"

start_writer() { # TRACE: the workload under the in-process recorder
    rm -f "$WORK/stop"
    HMAP_TRACE=$1 "$WORKLOAD" "$WORK/stop" 2000 2000 300 >"$WORK/w.out" &
    W_PID=$!
    wait_for "the workload" grep -q ready "$WORK/w.out"
    wait_for "the trace header" test -s "$1"
}

# 1. Two followers, text and JSON, while the program runs; then it stops.
start_writer "$WORK/t.hmtrace"
"$REPORT" --follow -i 0.2 -T "$WORK/t.hmtrace" >"$WORK/live.txt" 2>"$WORK/live.err" &
F1=$!
"$REPORT" --follow -i 0.2 --json "$WORK/t.hmtrace" >"$WORK/live.json" 2>"$WORK/live_json.err" &
F2=$!
two_tables() { has_tables "$WORK/live.txt" 2 && [ "$(grep -c '^{"interval"' "$WORK/live.json")" -ge 2 ]; }
wait_for "two interval tables" two_tables
touch "$WORK/stop"
wait_pid "$W_PID" || fail "the workload failed"
wait_pid "$F1" || { cat "$WORK/live.err" >&2; fail "report --follow failed"; }
wait_pid "$F2" || { cat "$WORK/live_json.err" >&2; fail "report --follow --json failed"; }
n=$(tables "$WORK/live.txt")
[ "$n" -ge 2 ] || fail "$n interval tables, wanted at least 2"
grep -q '^[0-9][0-9]:[0-9][0-9]:[0-9][0-9] interval 1 (' "$WORK/live.txt" || fail "-T: no time on the header line"
grep -q '^PID  *MAP  *TYPE  *HELD  *EMPTY  *DEL/I  *DEL  *REUSED  *RECLAIM  *RETAIN  *REUSE_p50  *REUSE_p99  *RECL_p50  *RECL_p99  *GROW$' \
    "$WORK/live.txt" || fail "no column header"
grep -q "^$W_PID  *0x[0-9a-f]*  *u64->u64 " "$WORK/live.txt" || fail "no row for the workload's map"
same_final "$WORK/live.txt" "$WORK/t.hmtrace"
! grep -q truncated "$WORK/live.err" || fail "a whole trace reported as truncated"

# JSON: every interval line parses and counts what it should; the final
# object equals the post-mortem JSON report.
"$REPORT" --format json "$WORK/t.hmtrace" >"$WORK/pm.json" || fail "report --format json failed"
jq -e -s --argjson pid "$W_PID" --slurpfile pm "$WORK/pm.json" '
    map(select(has("interval"))) as $iv | map(select(has("interval") | not)) as $rest |
    ($iv | length) >= 2 and
    ([$iv[].interval] == [range(1; ($iv | length) + 1)]) and
    all($iv[]; [.maps[] | select(.pid == $pid)] as $m | ($m | length) > 0 and
        $m[0].deletes >= $m[0].deletes_interval and
        $m[0].reused + $m[0].reclaimed_running + $m[0].retained <= $m[0].deletes) and
    $iv[-1].events_total >= $iv[0].events_total and
    ($rest | length) == 1 and $rest[0] == $pm[0]' "$WORK/live.json" >/dev/null ||
    fail "JSON check (interval lines, or the final JSON report differs from the post-mortem one)"

# 2. The writer killed: following ends by itself, what was read is reported.
start_writer "$WORK/k.hmtrace"
"$REPORT" --follow -i 0.2 "$WORK/k.hmtrace" >"$WORK/k.txt" 2>"$WORK/k.err" &
F=$!
wait_for "a table" has_tables "$WORK/k.txt" 1
kill -9 "$W_PID"
wait "$W_PID" 2>/dev/null
wait_pid "$F" || { cat "$WORK/k.err" >&2; fail "report --follow failed when its writer was killed"; }
grep -q 'no end record (its writer is gone)' "$WORK/k.err" || { cat "$WORK/k.err" >&2; fail "no truncation warning"; }
final_report "$WORK/k.txt" | grep -q 'events over' || fail "no final report after the writer was killed"

# 3. Ctrl-C of the report: it stops following and reports.  A script's
# background job starts with SIGINT ignored (and the report then leaves it
# so, docs/live.md): env --default-signal gives it back its default first.
start_writer "$WORK/c.hmtrace"
env --default-signal=INT "$REPORT" --follow -i 0.2 "$WORK/c.hmtrace" >"$WORK/c.txt" 2>"$WORK/c.err" &
F=$!
wait_for "a table" has_tables "$WORK/c.txt" 1
kill -INT "$F"
wait_pid "$F" || { cat "$WORK/c.err" >&2; fail "report --follow failed on SIGINT"; }
grep -q 'stopped by SIGINT' "$WORK/c.err" || { cat "$WORK/c.err" >&2; fail "SIGINT not said"; }
final_report "$WORK/c.txt" | grep -q 'events over' || fail "no final report after SIGINT"
touch "$WORK/stop"
wait_pid "$W_PID" || fail "the workload failed"

# 4. Usage: --follow reads one file.
"$REPORT" --follow "$WORK/t.hmtrace" "$WORK/t.hmtrace" 2>"$WORK/u.err" && fail "two TRACEs accepted"
grep -q -- '--follow reads one TRACE' "$WORK/u.err" || fail "no usage message"
echo "PASS: report --follow ($n tables)"
