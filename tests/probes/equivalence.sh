#!/bin/sh
# SPDX-License-Identifier: MIT
# equivalence.sh — the three recorders see the same events.
#
# ONE run of tests/probes/workload.c is recorded at the same time by
#   (1) the in-process recorder (HMAP_TRACE=FILE) -> hmtrace_dump,
#   (2) a real LTTng session (provider auto-loaded by HMAP_LTTNG=1) ->
#       babeltrace2 text -> ctf_to_hmev.awk,
#   (3) bpftrace running bpf/scripts/events.bt on libhmap's USDT probes,
# all turned into the bpftrace line format.  Two more runs load the LTTng
# provider with LD_PRELOAD instead (libhmap.so, and a program linked with
# libhmap.a) and are compared between the recorder and LTTng.  Recording one process three
# ways makes addresses comparable as they are (no renumbering needed: the
# same map, bucket and block addresses appear in all three).  Timestamps,
# pid and tid are dropped; every other field of every event, and the order
# of events, must be identical.  Then the invariant checker runs on (1).
#
# Isolation: the test re-executes itself in a private mount namespace with
# tmpfs over /var/run/lttng and /dev/shm, so its root session daemon neither
# sees nor disturbs a system one (docs/tracing-stack.md §5.4;
# scripts/lib/lttng_session.sh).
#
# usage: equivalence.sh BUILD_DIR SOURCE_DIR
set -eu
skip() { echo "SKIPPED: $*"; exit 77; }
build=$1 src=$2
. "$src/scripts/lib/lttng_session.sh"

if [ "${HMAP_EQ_INNER:-}" != 1 ]; then
    [ "$(id -u)" = 0 ] || skip "needs root (bpftrace, root lttng-sessiond in a private namespace)"
    command -v bpftrace >/dev/null || skip "bpftrace not installed"
    lttng_session_require babeltrace2
fi
lttng_session_enter_ns HMAP_EQ_INNER "$0" "$@"

lib=$build/libmap/libhmap.so
wl=$build/tests/probes/probes_workload
wls=$build/tests/probes/probes_workload_static
dump=$build/tests/lib/hmtrace_dump
check=$build/tests/probes/hmtrace_check
work=$(mktemp -d /tmp/hmap-equiv.XXXXXX)
echo "work dir: $work"

[ -e /sys/kernel/tracing/uprobe_events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true

# Waits below that end by themselves (bpftrace attaching, catching up) give
# up only after this long: a loaded machine can take tens of seconds.
WAIT_SECS=120

# bpftrace 0.17 can miss a SIGINT that arrives just before it blocks in
# epoll_wait; it then sleeps until the next event.  So: signal, and every
# second wake it with a short workload run (other pids, filtered out below),
# until it has exited.  A zombie counts as exited.
alive() { s=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) && [ "$s" != Z ]; }
stop_bpftrace() {
    n=0
    while alive "$1"; do
        kill -INT "$1" 2>/dev/null || true
        sleep 0.2
        n=$((n + 1))
        [ $((n % 5)) -ne 0 ] || "$wl" >/dev/null 2>&1 || true
        [ $n -lt 150 ] || { kill -KILL "$1" 2>/dev/null; break; }
    done
    wait "$1" 2>/dev/null || true
}

bt_pid=
cleanup() {
    [ -z "$bt_pid" ] || stop_bpftrace "$bt_pid"
    lttng_daemon_stop
}
trap cleanup EXIT

# ---- bpftrace first: it must be attached before the workload starts. ----
# One run prints ~4400 lines, ~400 KB of perf records, more than bpftrace's
# default 64 pages per CPU: with those, nothing is lost only if bpftrace
# gets a CPU during the run.  512 pages (2 MiB per CPU) hold several runs,
# so a loaded machine that starves bpftrace for a whole run loses nothing.
BPFTRACE_PERF_RB_PAGES=512 bpftrace "$src/bpf/scripts/events.bt" "$lib" >"$work/bpftrace.out" 2>"$work/bpftrace.err" &
bt_pid=$!
# The semaphore flips slightly before the probe is linked (docs/tracing-stack.md
# §2.2), so "attached" is proven, not assumed: run the workload until
# bpftrace has printed all ten events of one warm-up run.
n=0 end=$(($(date +%s) + WAIT_SECS))
while :; do
    n=$((n + 1))
    [ "$(date +%s)" -lt "$end" ] ||
        { cat "$work/bpftrace.err"; echo "FAIL: bpftrace never saw a whole warm-up run in $WAIT_SECS s"; exit 1; }
    kill -0 $bt_pid 2>/dev/null || { cat "$work/bpftrace.err"; echo "FAIL: bpftrace exited"; exit 1; }
    sleep 0.5
    "$wl" >/dev/null
    seen=$(awk '$1 == "HMEV" { print $3, $5 }' "$work/bpftrace.out" | sort -u |
           awk '{ c[$1]++ } END { m = 0; for (p in c) if (c[p] > m) m = c[p]; print m + 0 }')
    [ "$seen" -lt 10 ] || break
done
echo "bpftrace attached after $n warm-up runs"
# What bpftrace prints from here on belongs to the recorded runs (and maybe
# to the end of the last warm-up run).
warm_lines=$(wc -l <"$work/bpftrace.out")

# ---- LTTng session: root daemon, in this namespace only. ----
lttng_daemon_start
lttng_session_start equiv "$work/ctf" --subbuf-size=1M --num-subbuf=8

# ---- The recorded run. ----
# An app gives up waiting for the session daemon after 3 s by default and
# then misses its first events: each traced run waits however loaded the
# machine is (LTTNG_UST_REGISTER_TIMEOUT=-1).
reg=LTTNG_UST_REGISTER_TIMEOUT=-1
env $reg HMAP_LTTNG=1 HMAP_TRACE="$work/run.hmtrace" "$wl" >"$work/final.txt" 2>"$work/wl.err"
cat "$work/wl.err"
! grep -q "hmap:" "$work/wl.err" || { echo "FAIL: libhmap warned (see above)"; exit 1; }

# The provider loaded the other ways: LD_PRELOAD, for libhmap.so and for a
# program linked with libhmap.a (libhmap notices it at load time).
provider=$build/libmap/libhmap-lttng.so
env $reg LD_PRELOAD="$provider" HMAP_TRACE="$work/preload.hmtrace" "$wl" >/dev/null
env $reg LD_PRELOAD="$provider" HMAP_TRACE="$work/static.hmtrace" "$wls" >/dev/null

lttng_session_stop
lttng_daemon_stop

"$dump" "$work/run.hmtrace" >"$work/native.hmev"
pid=$(awk '$1 == "HMEV" { print $3; exit }' "$work/native.hmev")
nev=$(grep -c '^HMEV ' "$work/native.hmev")
[ "$nev" -gt 1000 ] || { echo "FAIL: only $nev events recorded"; exit 1; }
! grep -q '^LOST' "$work/native.hmev" || { echo "FAIL: the recorder lost events"; exit 1; }

# bpftrace prints asynchronously: wait until it has every event of the run
# (or has said it lost some, or is gone: then the comparison below tells).
after_warmup() { tail -n +"$((warm_lines + 1))" "$work/bpftrace.out"; }
end=$(($(date +%s) + WAIT_SECS))
while [ "$(awk -v p="$pid" '$1 == "HMEV" && $3 == p' "$work/bpftrace.out" | wc -l)" -lt "$nev" ]; do
    [ "$(date +%s)" -lt "$end" ] && alive $bt_pid && ! after_warmup | grep -q '^Lost' || break
    sleep 0.1
done
stop_bpftrace $bt_pid; bt_pid=
! after_warmup | grep -q '^Lost' || { echo "FAIL: bpftrace lost events"; exit 1; }

babeltrace2 --clock-seconds "$work/ctf" >"$work/ctf.txt"
awk -f "$src/tests/probes/ctf_to_hmev.awk" "$work/ctf.txt" >"$work/lttng.hmev"
grep -q 'Discarded\|discarded' "$work/ctf.txt" && { echo "FAIL: LTTng discarded events"; exit 1; }

# The CTF metadata LTTng wrote describes exactly the schema: every event,
# its fields in order, every enumeration label and value.
"$build/tests/probes/probes_schema_enums" | sort >"$work/schema.txt"
meta_dir=$(find "$work/ctf" -name metadata -printf '%h\n' | head -1)
babeltrace2 --output-format=ctf-metadata "$meta_dir" >"$work/metadata.txt"
awk -f "$src/tests/probes/ctf_metadata_shape.awk" "$work/metadata.txt" | sort >"$work/metadata.shape"
if ! diff -u "$work/schema.txt" "$work/metadata.shape"; then
    echo "FAIL: the LTTng metadata does not describe the schema (- schema, + metadata)"; exit 1
fi
echo "ok: LTTng metadata: $(grep -c '^fields' "$work/metadata.shape") events, fields and $(grep -c '^enum' "$work/metadata.shape") enumeration labels as in the schema"

# Enumeration labels: every (event, field, value, label) that babeltrace2
# decoded from the trace must be the schema's.
grep '^enum ' "$work/schema.txt" | cut -d' ' -f2- >"$work/enums.txt"
awk '/ hmap:[a-z_]+: / {
        match($0, / hmap:[a-z_]+: /); ev = substr($0, RSTART + 6, RLENGTH - 8); rest = $0
        while (match(rest, /[a-z_]+ = \( "[a-z_]+" : container = [0-9]+ \)/)) {
            split(substr(rest, RSTART, RLENGTH), w, /[ "]+/)
            print ev, w[1], w[8], w[4]
            rest = substr(rest, RSTART + RLENGTH)
        }
    }' "$work/ctf.txt" | sort -u >"$work/enums.seen"
[ -s "$work/enums.seen" ] || { echo "FAIL: no enumeration in the LTTng trace"; exit 1; }
if bad=$(grep -vxF -f "$work/enums.txt" "$work/enums.seen"); then
    echo "FAIL: enumeration labels in the LTTng trace that the schema does not have:"; echo "$bad"; exit 1
fi
echo "ok: $(wc -l <"$work/enums.seen") distinct enumeration values carry the schema's labels"

fields() { awk -v p="$pid" '$1 == "HMEV" && $3 == p' "$1" | cut -d' ' -f5-; }
fields "$work/native.hmev" >"$work/native.txt"
fields "$work/bpftrace.out" >"$work/bpftrace.txt"
fields "$work/lttng.hmev" >"$work/lttng.txt"
status=0
for other in bpftrace lttng; do
    if diff -u "$work/native.txt" "$work/$other.txt" >"$work/$other.diff"; then
        echo "ok: in-process recorder and $other agree on $nev events"
    else
        echo "FAIL: in-process recorder and $other differ:"; head -20 "$work/$other.diff"; status=1
    fi
done

# The LD_PRELOAD runs: recorder and LTTng agree for each of them too.
for run in preload static; do
    "$dump" "$work/$run.hmtrace" >"$work/$run.hmev"
    rpid=$(awk '$1 == "HMEV" { print $3; exit }' "$work/$run.hmev")
    awk -v p="$rpid" '$1 == "HMEV" && $3 == p' "$work/$run.hmev" | cut -d' ' -f5- >"$work/$run.native.txt"
    awk -v p="$rpid" '$1 == "HMEV" && $3 == p' "$work/lttng.hmev" | cut -d' ' -f5- >"$work/$run.lttng.txt"
    if [ -s "$work/$run.native.txt" ] && diff -u "$work/$run.native.txt" "$work/$run.lttng.txt" >"$work/$run.diff"; then
        echo "ok: provider by LD_PRELOAD ($run): recorder and lttng agree on $(wc -l <"$work/$run.native.txt") events"
    else
        echo "FAIL: provider by LD_PRELOAD ($run): recorder and lttng differ:"; head -5 "$work/$run.diff"; status=1
    fi
done

# Invariants on the recorded stream, with the lengths the workload printed.
expect=$(awk '$1 == "final" { printf " --expect %s=%s", $2, $3 }' "$work/final.txt")
[ -n "$expect" ] || { echo "FAIL: the workload printed no final lengths"; exit 1; }
# shellcheck disable=SC2086
"$check" "$work/run.hmtrace" $expect || status=1

[ $status -ne 0 ] || rm -rf "$work"
exit $status
