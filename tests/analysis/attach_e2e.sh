#!/bin/bash
# SPDX-License-Identifier: MIT
# attach_e2e.sh — a tracer attached to a running program gets the state of
# every map first (docs/statedump.md), so the report is exact: the program
# (attach_workload) churns one map and keeps a second one idle; after 3 s a
# tracer attaches for 3 s, the program pauses and prints its own
# hmap_get_stats, and the tracer stops during the pause.  The report must
# have no unmatched event, know each map's type, policy and name, list the
# idle map with the bytes it holds (at attach and at the end), and end each
# map with exactly the bucket bytes the program counted.
#
# usage: attach_e2e.sh recorder|record|lttng BUCKETSCOPE_REPORT ATTACH_WORKLOAD BUILD_DIR
#   recorder  hmap_trace_start() from a signal-driven flag in the program
#   record    bucketscope record -p PID (BPF, USDT probes)
#   lttng     an LTTng session created and started while the program runs
set -u
mode=$1 report=$2 wl=$3 build=$4
skip() {
    echo "SKIPPED: $*"
    exit 77
}
fail() {
    echo "FAIL: $*"
    [ -n "${work:-}" ] && [ -f "$work/wl.out" ] && sed 's/^/  workload: /' "$work/wl.out"
    exit 1
}
command -v jq >/dev/null || skip "jq not installed (scripts/deps.sh installs it)"
WAIT_SECS=120

if [ "$mode" = lttng ]; then
    . "$(dirname "$0")/../../scripts/lib/lttng_session.sh"
    if [ "${BS_ATTACH_INNER:-}" != 1 ]; then
        lttng_session_require babeltrace2
        ls "$build"/libmap/libhmap-lttng.so* >/dev/null 2>&1 || skip "LTTng provider not built"
    fi
    lttng_session_enter_ns BS_ATTACH_INNER "$0" "$@"
elif [ "$mode" = record ]; then
    [ "$(id -u)" = 0 ] || skip "bucketscope record -p needs root"
    [ -x "$build/bpf/bucketscope-record" ] || skip "bucketscope-record not built"
    readelf -n "$build/libmap/libhmap.so.0" | grep -q "Name: statedump_done" ||
        skip "libhmap has no USDT probes"
fi

work=$(mktemp -d /tmp/bs-attach.XXXXXX)
wpid=
cleanup() {
    [ -n "$wpid" ] && kill "$wpid" 2>/dev/null
    [ "$mode" = lttng ] && lttng_daemon_stop
    rm -rf "$work"
}
trap cleanup EXIT

# wait_for FILE PATTERN [N]: until FILE has N lines matching PATTERN.
wait_for() {
    local i=0 n=${3:-1}
    while [ "$(grep -c -- "$2" "$1" 2>/dev/null)" -lt "$n" ]; do
        [ $i -ge $((WAIT_SECS * 10)) ] && fail "no '$2' in $1 after ${WAIT_SECS} s"
        kill -0 "$wpid" 2>/dev/null || fail "the workload exited"
        sleep 0.1
        i=$((i + 1))
    done
}

[ "$mode" = lttng ] && lttng_daemon_start
# The workload outlives the test's steps (60 s); it is killed at the end.
LTTNG_UST_REGISTER_TIMEOUT=-1 HMAP_LTTNG=1 "$wl" 60 "$work/rec.trace" >"$work/wl.out" &
wpid=$!
wait_for "$work/wl.out" '^ready'
sleep 3 # churn the tracer will not see

case $mode in
recorder)
    kill -USR2 "$wpid"
    wait_for "$work/wl.out" '^trace started 0'
    trace=$work/rec.trace
    ;;
record)
    "$build/bpf/bucketscope-record" -p "$wpid" -l "$build/libmap/libhmap.so.0" -b 64M \
        -o "$work/bpf.trace" 2>"$work/rec.log" &
    rpid=$!
    i=0
    until grep -q 'recording' "$work/rec.log"; do
        kill -0 $rpid 2>/dev/null || { cat "$work/rec.log"; fail "bucketscope record exited"; }
        [ $i -ge $((WAIT_SECS * 10)) ] && fail "bucketscope record did not start"
        sleep 0.1
        i=$((i + 1))
    done
    trace=$work/bpf.trace
    ;;
lttng)
    lttng create attach --output="$work/ctf" >/dev/null || fail "lttng create"
    lttng enable-channel -u --subbuf-size=8M --num-subbuf=8 hmap >/dev/null || fail "enable-channel"
    lttng add-context -u -c hmap -t vpid -t vtid >/dev/null || fail "add-context"
    lttng enable-event -u -c hmap 'hmap:*' >/dev/null || fail "enable-event"
    lttng start >/dev/null || fail "lttng start"
    trace=$work/ctf
    ;;
esac
sleep 3 # the attached window
kill -USR1 "$wpid"
wait_for "$work/wl.out" '^paused'
case $mode in
recorder)
    kill -USR2 "$wpid"
    wait_for "$work/wl.out" '^trace stopped 0'
    ;;
record)
    kill -INT $rpid
    wait $rpid
    rc=$?
    cat "$work/rec.log"
    [ $rc = 0 ] || fail "bucketscope record exited $rc"
    grep -q 'state at attach: 2 maps (0 deferred, 0 unsafe)' "$work/rec.log" ||
        fail "the recorder did not see the state of both maps"
    ;;
lttng)
    lttng stop >/dev/null
    lttng destroy >/dev/null
    ;;
esac
kill "$wpid"
wait "$wpid" 2>/dev/null
wpid=

"$report" --no-progress --format json "$trace" >"$work/r.json" 2>"$work/r.err" ||
    { cat "$work/r.err"; fail "report failed"; }
"$report" --no-progress "$trace" >"$work/r.txt" 2>&1
sed -n '1,12p' "$work/r.txt"

j() { jq -r "$@" "$work/r.json"; }
# stats NAME: the program's own "stats NAME BUCKET INDIRECT COUNT" lines.
stats() { awk -v n="$1" -v k="$2" '$1 == "stats" && $2 == n { if (++c == k) print $3, $4, $5 }' "$work/wl.out"; }

[ "$(j '[.data_quality.unmatched[]] | add')" = 0 ] || fail "unmatched events: $(j -c '.data_quality.unmatched')"
[ "$(j '.data_quality.lost_events')" = 0 ] || fail "the trace lost $(j '.data_quality.lost_events') events"
[ "$(j '.attach.state')" = true ] || fail "the report saw no state at attach"
[ "$(j '.attach.brackets.ok')" -ge 2 ] || fail "not both maps dumped: $(j '.attach')"
for name in idle churn; do
    sel=".maps[] | select(.name == \"$name\")"
    [ "$(j "[$sel] | length")" = 1 ] || fail "map $name listed $(j "[$sel] | length") times"
    [ "$(j "$sel | .type_name")" = "u64->u64" ] || fail "$name: type $(j "$sel | .type_name")"
    [ "$(j "$sel | .reclaim")" = go ] || fail "$name: policy $(j "$sel | .reclaim")"
    [ "$(j "$sel | .attached.status")" = ok ] || fail "$name: state $(j "$sel | .attached")"
    read -r bucket indirect count < <(stats "$name" 2)
    got=$(j "$sel | .bucket_bytes_final")
    [ "$got" = "$bucket" ] || fail "$name: report ends with $got bucket bytes, the program counted $bucket"
    got=$(j "$sel | .indirect_bytes_final")
    [ "$got" = "$indirect" ] || fail "$name: report ends with $got indirect bytes, the program counted $indirect"
done
# The idle map: what it held at attach is what it held before and after.
read -r bucket _ _ < <(stats idle 1)
got=$(j '.maps[] | select(.name == "idle") | .attached.bucket_bytes')
[ "$got" = "$bucket" ] || fail "idle: $got bucket bytes at attach, the program counted $bucket"
grep -q 'idle' "$work/r.txt" || fail "the text report does not name the idle map"
echo "PASS: $mode attached mid-run: 0 unmatched, idle map $bucket bytes at attach and at the end, churn map exact at the end"
