#!/bin/sh
# SPDX-License-Identifier: MIT
# lttng_recipe.sh — the README's LTTng recipe, run for real, gives a trace
# bucketscope-report reads with pids (the vpid context) and without
# discarded events; the same recipe without `lttng add-context -u -t vpid
# -t vtid` makes the report warn, in one stderr line, that the PID column is
# 0 and --pid cannot work (docs/report.md, "Inputs").
#
# Isolation: scripts/lib/lttng_session.sh (a private mount namespace with
# tmpfs over /var/run/lttng and /dev/shm for a root session daemon of this
# test only).  The sessions themselves are made with the recipe's own lttng
# commands, since those are what is under test.
#
# usage: lttng_recipe.sh BUCKETSCOPE_REPORT BUILD_DIR
set -eu
skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
report=$1 build=$2
wl=$build/tests/bpf/bpf_pid_workload
. "$(dirname "$0")/../../scripts/lib/lttng_session.sh"

if [ "${BS_RECIPE_INNER:-}" != 1 ]; then
    lttng_session_require
    [ -x "$wl" ] || skip "bpf_pid_workload not built ($wl)"
    ls "$build"/libmap/libhmap-lttng.so* >/dev/null 2>&1 || skip "LTTng provider not built (HMAP_PROBES without lttng)"
fi
lttng_session_enter_ns BS_RECIPE_INNER "$0" "$@"

work=$(mktemp -d /tmp/bs-recipe.XXXXXX)
cleanup() {
    lttng_daemon_stop
    rm -rf "$work"
}
trap cleanup EXIT
lttng_daemon_start

N=2000
# record NAME CONTEXT(yes|no): the README recipe, with or without add-context.
record() {
    lttng create "$1" --output="$work/$1" >/dev/null
    lttng enable-channel -u --subbuf-size=8M --num-subbuf=8 hmap >/dev/null
    [ "$2" = no ] || lttng add-context -u -c hmap -t vpid -t vtid >/dev/null
    lttng enable-event -u -c hmap 'hmap:*' >/dev/null
    lttng start >/dev/null
    # Wait for the session daemon however loaded the machine is: an app that
    # gives up registering (default 3 s) would miss its first events.
    LTTNG_UST_REGISTER_TIMEOUT=-1 HMAP_LTTNG=1 "$wl" "$N" --now >"$work/$1.out" &
    echo $! >"$work/$1.pid"
    wait $!
    lttng stop >/dev/null
    lttng destroy >/dev/null
}

record withctx yes
pid=$(cat "$work/withctx.pid")
"$report" --no-progress --format json --pid "$pid" "$work/withctx" >"$work/with.json" 2>"$work/with.err" ||
    { cat "$work/with.err"; fail "report of the recipe's trace with --pid $pid failed"; }
grep -q 'no vpid context' "$work/with.err" && fail "warned about vpid on a trace that has it"
grep -q "\"total\": $((N / 2))," "$work/with.json" || fail "--pid $pid: not the $((N / 2)) deletes"
grep -q '"discarded_events": 0,' "$work/with.json" || fail "the recipe's channel discarded events"

record noctx no
"$report" --no-progress --format json "$work/noctx" >"$work/no.json" 2>"$work/no.err" || fail "report failed"
cat "$work/no.err"
[ "$(grep -c 'warning: .*no vpid context.*--pid cannot select.*add-context -u -t vpid -t vtid' "$work/no.err")" = 1 ] ||
    fail "no (or more than one) warning about the missing vpid context"
cmp -s "$work/with.json" "$work/no.json" && fail "impossible: identical reports"
grep -q '"pid": 0,' "$work/no.json" || fail "without vpid the map's pid is not 0"
echo "ok: the README recipe records pids and discards nothing; without vpid the report warns"
