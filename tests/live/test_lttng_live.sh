#!/bin/bash
# SPDX-License-Identifier: MIT
# LTTng live, a fleet of two on one machine (docs/live.md): one real
# lttng-relayd; two "hosts", each its own lttng-sessiond in its own mount
# and UTS namespace (hostname hostA, hostB), each with a live session
# streaming one traced workload to the relayd; one
#   report -i 0.3 net://127.0.0.1/host/hostA/live net://127.0.0.1/host/hostB/live
# follows both.  Checked: its tables list both pids, each with its host
# (the trace's hostname), and its final report
# equals `report` on the relayd's on-disk copy of the two traces.  Then the
# errors: relayd unreachable, unknown session, relayd killed mid-session
# (one line, exit 1, what came still reported); and Ctrl-C of a viewer (the
# report of what came, marked truncated).
#
# Everything runs in a private network namespace (the relayd's ports are
# this run's only) and a private mount namespace (tmpfs over
# /var/run/lttng and /dev/shm, per host), so a concurrent run or a system
# LTTng is never touched; the daemons are stopped by pid on exit.
set -u
[ "$(id -u)" = 0 ] || { echo "SKIPPED: needs root (private network and mount namespaces)"; exit 77; }
for t in lttng lttng-sessiond lttng-relayd babeltrace2 unshare ip ss hostname; do
    command -v "$t" >/dev/null || { echo "SKIPPED: $t not installed"; exit 77; }
done
[ -n "${LTTNG_LIB:-}" ] || { echo "SKIPPED: libhmap-lttng is not built"; exit 77; }
if [ "${LIVE_LTTNG_NS:-}" != 1 ]; then
    LIVE_LTTNG_NS=1 exec unshare -n -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/common.sh"

ip link set lo up || fail "cannot bring up lo in the private network namespace"
# The relayd's run directory, private to this namespace.
mkdir -p /var/run/lttng && mount -t tmpfs none /var/run/lttng || fail "cannot mount tmpfs on /var/run/lttng"
export LTTNG_SESSION_OUTER_NS
LTTNG_SESSION_OUTER_NS=$(readlink /proc/self/ns/mnt)
export SRC WORK WORKLOAD

# On any exit: the sessionds (daemonized, so not jobs) and the relayd by
# their pids, then common.sh's cleanup (workloads, jobs, WORK).
RELAYD=
live_cleanup() {
    local p
    for p in $(cat "$WORK"/sessiond.* 2>/dev/null) $RELAYD; do kill "$p" 2>/dev/null; done
    cleanup
}
trap live_cleanup EXIT
start_relayd() { # DIR
    lttng-relayd -o "$1" >"$WORK/relayd.log" 2>&1 &
    RELAYD=$!
    wait_for "lttng-relayd listening" sh -c "ss -ltn | grep -q ':5344 '"
}

# host NAME SESSION: in its own namespaces, a sessiond, a live session
# streaming to the relayd, and the workload (released by $WORK/go.NAME,
# stopped by $WORK/stop.NAME); then the session is stopped and destroyed.
host() {
    unshare -m -u --propagation private bash -c '
        set -u
        hostname "$1"
        . "$SRC/scripts/lib/lttng_session.sh"
        trap lttng_daemon_stop EXIT
        lttng_daemon_start || exit 1
        echo "$LTTNG_DAEMON_PID" >"$WORK/sessiond.$1.$2"
        lttng create "$2" --live=100000 --set-url=net://127.0.0.1 >/dev/null || exit 1
        lttng enable-event -u "hmap:*" >/dev/null || exit 1
        lttng add-context -u -t vpid -t vtid >/dev/null || exit 1
        lttng start >/dev/null || exit 1
        LTTNG_UST_REGISTER_TIMEOUT=-1 HMAP_LTTNG=1 LIVE_WORKLOAD_GO="$WORK/go.$1" \
            "$WORKLOAD" "$WORK/stop.$1" 500 200 300 >"$WORK/ready.$1" || exit 1
        timeout 60 lttng stop "$2" >/dev/null
        timeout 60 lttng destroy "$2" >/dev/null
        exit 0
    ' host "$1" "$2" >"$WORK/host.$1.log" 2>&1
}

# The relayd lists the session with at least N viewers attached.
viewers() { # HOST SESSION N
    local n
    n=$(babeltrace2 -i lttng-live net://127.0.0.1 2>/dev/null |
        sed -n "s|.*/host/$1/$2 (.* \([0-9][0-9]*\) client(s) connected)|\1|p")
    [ -n "$n" ] && [ "$n" -ge "$3" ]
}
pid_of() { sed -n 's/^ready //p' "$WORK/ready.$1"; }
lists_pid() { grep -q "^$2  *[^ ]*  *0x" "$1"; }  # PID HOST MAP ...

# 1. Two hosts, one analyzer.
start_relayd "$WORK/relay"
host hostA live & HA=$!
host hostB live & HB=$!
wait_for "both workloads" sh -c "test -s '$WORK/ready.hostA' && test -s '$WORK/ready.hostB'"
PA=$(pid_of hostA) PB=$(pid_of hostB)
"$REPORT" -i 0.3 net://127.0.0.1/host/hostA/live net://127.0.0.1/host/hostB/live \
    >"$WORK/live.txt" 2>"$WORK/live.err" &
R=$!
# The viewer attaches at the sessions' current position: the workloads
# start their maps only once it is there, so that it sees every event.
wait_for "the report attached to both sessions" bash -c "$(declare -f viewers); viewers hostA live 1 && viewers hostB live 1"
touch "$WORK/go.hostA" "$WORK/go.hostB"
both() { lists_pid "$WORK/live.txt" "$PA" && lists_pid "$WORK/live.txt" "$PB"; }
wait_for "a table listing both pids ($PA, $PB)" both
touch "$WORK/stop.hostA" "$WORK/stop.hostB"
wait_pid "$HA" || { cat "$WORK/host.hostA.log" >&2; fail "host A failed"; }
wait_pid "$HB" || { cat "$WORK/host.hostB.log" >&2; fail "host B failed"; }
wait_pid "$R" || { cat "$WORK/live.err" >&2; fail "report of the live sessions failed"; }
n=$(tables "$WORK/live.txt")
[ "$n" -ge 1 ] || fail "no interval table"
grep -q '^PID  *HOST  *MAP  *TYPE ' "$WORK/live.txt" || fail "no HOST column"
grep -q "^$PA  *hostA  *0x" "$WORK/live.txt" || fail "pid $PA not shown on hostA"
grep -q "^$PB  *hostB  *0x" "$WORK/live.txt" || fail "pid $PB not shown on hostB"
same_final "$WORK/live.txt" "$WORK/relay"

# 2. Errors, each one line and a non-zero exit.
"$REPORT" net://127.0.0.1:9/host/hostA/live >"$WORK/e1.out" 2>"$WORK/e1.err" &&
    fail "an unreachable relayd gave exit 0"
[ "$(grep -c . "$WORK/e1.err")" = 1 ] || { cat "$WORK/e1.err" >&2; fail "unreachable relayd: not one line"; }
"$REPORT" net://127.0.0.1/host/hostA/nosuch >"$WORK/e2.out" 2>"$WORK/e2.err" &&
    fail "an unknown session gave exit 0"
[ "$(grep -c . "$WORK/e2.err")" = 1 ] || { cat "$WORK/e2.err" >&2; fail "unknown session: not one line"; }

# 3. Ctrl-C of the report of a running session: the report of what came,
# marked truncated, exit 0.  (SIGINT given back its default: a script's
# background job starts with it ignored, see test_follow.sh.)
rm -f "$WORK"/go.* "$WORK"/stop.* "$WORK"/ready.*
host hostA third & HA=$!
wait_for "the workload" test -s "$WORK/ready.hostA"
PA=$(pid_of hostA)
env --default-signal=INT "$REPORT" -i 0.3 net://127.0.0.1/host/hostA/third >"$WORK/c.txt" 2>"$WORK/c.err" &
C=$!
wait_for "the report attached" bash -c "$(declare -f viewers); viewers hostA third 1"
touch "$WORK/go.hostA"
wait_for "a table listing pid $PA" lists_pid "$WORK/c.txt" "$PA"
kill -INT "$C"
wait_pid "$C" || { cat "$WORK/c.err" >&2; fail "SIGINT: the report of a live session failed"; }
grep -q 'live session stopped by SIGINT' "$WORK/c.err" || { cat "$WORK/c.err" >&2; fail "SIGINT not said"; }
final_report "$WORK/c.txt" | grep -q 'events over' || fail "SIGINT: no report of what came"
touch "$WORK/stop.hostA"
wait_pid "$HA" || { cat "$WORK/host.hostA.log" >&2; fail "host A (third) failed"; }

# 4. The relayd killed while the report follows a session: the error is
# said, the exit is 1, and the report of what came is still written.
rm -f "$WORK"/go.* "$WORK"/stop.* "$WORK"/ready.*
host hostA second & HA=$!
wait_for "the workload" test -s "$WORK/ready.hostA"
PA=$(pid_of hostA)
"$REPORT" -i 0.3 net://127.0.0.1/host/hostA/second >"$WORK/k.txt" 2>"$WORK/k.err" &
R=$!
wait_for "the report attached" bash -c "$(declare -f viewers); viewers hostA second 1"
touch "$WORK/go.hostA"
wait_for "a table listing pid $PA" lists_pid "$WORK/k.txt" "$PA"
kill -9 "$RELAYD"
wait "$RELAYD" 2>/dev/null
RELAYD=
wait_pid "$R"
st=$?
[ "$st" = 1 ] || { cat "$WORK/k.err" >&2; fail "relayd killed: exit $st, wanted 1"; }
[ "$(grep -c . "$WORK/k.err")" = 1 ] || { cat "$WORK/k.err" >&2; fail "relayd killed: not one line"; }
final_report "$WORK/k.txt" | grep -q 'events over' || fail "relayd killed: no report of what came"
touch "$WORK/stop.hostA"
wait_pid "$HA" >/dev/null 2>&1 || true
for f in e1 e2 k c; do echo "$f: $(cat "$WORK/$f.err")"; done
echo "PASS: LTTng live ($n tables, pids $PA $PB, final = report on the relayd's copy)"
