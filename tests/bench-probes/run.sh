#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh — probe-overhead benchmark (docs/tracing-stack.md §8); not part of `make test`.
#
#   tests/bench-probes/run.sh [BUILD_DIR] [REPS]        (root, for LTTng and bpftrace)
#
# Runs tests/bench-probes/bench_probes (insert/delete churn, 4096 live keys;
# timed in thread CPU time, user + system, so that other load on the machine
# matters less)
# in each probe configuration and prints a markdown table of ns/op (median
# of REPS runs, with min-max), the ratio to probes compiled out, and the
# extra cost per emitted event:
#   compiled out  the same binary with LD_LIBRARY_PATH pointing at a libhmap
#                 built with -DHMAP_PROBES=none (BUILD_DIR-none, made here)
#   idle          all backends compiled in, nobody listening
#   recorder      in-process recorder on (--record, file on tmpfs /dev/shm;
#                 and once more into /dev/null: the cost without the write)
#   lttng         LTTng-UST session recording hmap:* (provider by HMAP_LTTNG=1),
#                 root session daemon in a private mount namespace
#   bpftrace      bpf/scripts/events.bt attached (fewer ops: each hit traps)
# and, as the LTTng yardstick, bench_lttng_bare: one bare LTTng-UST event
# with tophash_write's payload per iteration, in the same session.
# "compiled out" and "idle" runs are interleaved so that machine noise hits
# both alike.
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
reps=${2:-7}
none=${HMAP_BENCH_NONE_BUILD:-$build-none}
ops=2000000
lt_ops=1000000
bt_ops=20000
. "$src/scripts/lib/lttng_session.sh"

if [ "${HMAP_BENCH_INNER:-}" != 1 ]; then
    [ "$(id -u)" = 0 ] || { echo "run.sh: needs root (LTTng root daemon, bpftrace)" >&2; exit 1; }
    echo "building: $none (HMAP_PROBES=none) and the benchmark targets of $build" >&2
    cmake -S "$src" -B "$none" -DHMAP_PROBES=none \
        -DBS_SKIP_DIRS="bpf;analysis;cli;examples;tests" >/dev/null
    cmake --build "$none" -j2 --target hmap >/dev/null
    cmake --build "$build" -j2 --target bench_probes bench_lttng_bare hmtrace_dump hmap_lttng >/dev/null
fi
lttng_session_enter_ns HMAP_BENCH_INNER "$0" "$build" "$reps"

bench=$build/tests/bench-probes/bench_probes
# The timed process runs on CPU 1 (daemons and tracers may use the other).
pin=
pin_note=unpinned
if command -v taskset >/dev/null && [ "$(nproc)" -gt 1 ]; then pin="taskset -c 1"; pin_note="pinned to CPU 1"; fi
bare=$build/tests/bench-probes/bench_lttng_bare
dump=$build/tests/lib/hmtrace_dump
work=$(mktemp -d /tmp/hmap-bench.XXXXXX)
recfile=/dev/shm/hmap-bench-$$.hmtrace # tmpfs: measure CPU cost, not the disk
trap 'lttng_daemon_stop; rm -rf "$work" "$recfile"' EXIT

ns() { "$@" | awk '{ print $2 }'; }
# stats FILE -> "median min max" of the numbers in FILE
stats() { sort -n "$1" | awk '{ v[NR] = $1 } END { printf "%.2f %.2f %.2f\n", v[int((NR + 1) / 2)], v[1], v[NR] }'; }

ab_reps=$((3 * reps))
echo "compiled out vs idle, $ab_reps interleaved runs of $((ops / 2)) ops" >&2
: >"$work/none"; : >"$work/idle"
i=0
while [ $i -lt "$ab_reps" ]; do
    LD_LIBRARY_PATH=$none/libmap ns $pin "$bench" --ops $((ops / 2)) >>"$work/none"
    ns $pin "$bench" --ops $((ops / 2)) >>"$work/idle"
    i=$((i + 1))
done
# Check that the override really loaded the probe-less library.
LD_LIBRARY_PATH=$none/libmap ldd "$bench" | grep -q "$none/libmap/libhmap" ||
    { echo "run.sh: LD_LIBRARY_PATH did not select $none/libmap" >&2; exit 1; }

# Instructions per op, none vs idle: deterministic where times are noisy.
ir() { # library dir -> instructions per op (callgrind, 400k ops minus a 200k-op run)
    a=$(LD_LIBRARY_PATH=$1 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bench" --ops 400000 2>&1 | awk '/Collected/ { print $NF }')
    b=$(LD_LIBRARY_PATH=$1 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bench" --ops 200000 2>&1 | awk '/Collected/ { print $NF }')
    awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (a - b) / 200000 }'
}
ir_none= ir_idle=
if command -v valgrind >/dev/null; then
    echo "instruction counts (callgrind)" >&2
    ir_none=$(ir "$none/libmap"); ir_idle=$(ir "$build/libmap")
fi

echo "recorder, $reps runs" >&2
: >"$work/rec"
i=0
while [ $i -lt "$reps" ]; do
    ns $pin "$bench" --ops $ops --record "$recfile" >>"$work/rec"
    i=$((i + 1))
done
: >"$work/recnull"
i=0
while [ $i -lt "$reps" ]; do
    ns $pin "$bench" --ops $ops --record /dev/null >>"$work/recnull"
    i=$((i + 1))
done
events=$("$dump" "$recfile" | grep -c '^HMEV ')
epo=$(awk -v e="$events" -v o="$ops" 'BEGIN { printf "%.4f", e / o }')
rm -f "$recfile"

echo "LTTng session, $reps runs of $lt_ops ops and of $lt_ops bare events" >&2
export LTTNG_UST_REGISTER_TIMEOUT=-1
lttng_daemon_start
lttng_session_start bench "$work/ctf" --subbuf-size=4M --num-subbuf=8 \
    --event='hmap:*' --event='hmap_bench:*' --no-ids
: >"$work/lt"; : >"$work/bare"
i=0
while [ $i -lt "$reps" ]; do
    HMAP_LTTNG=1 ns $pin "$bench" --ops $lt_ops >>"$work/lt"
    ns $pin "$bare" --events $lt_ops >>"$work/bare"
    i=$((i + 1))
done
lttng_session_stop
lttng_daemon_stop
discarded=$(babeltrace2 "$work/ctf" -c sink.utils.dummy 2>&1 | grep -io 'discarded [0-9]* events\|[0-9]* discarded events' | head -1 || true)

echo "bpftrace attached, 3 runs of $bt_ops ops" >&2
mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
bpftrace "$src/bpf/scripts/events.bt" "$build/libmap/libhmap.so" >"$work/bt.out" 2>/dev/null &
bt_pid=$!
n=0
while ! grep -q '^HMEV' "$work/bt.out"; do
    n=$((n + 1)); [ $n -le 60 ] || { echo "run.sh: bpftrace did not attach" >&2; exit 1; }
    sleep 0.5; "$bench" --ops 1000 >/dev/null
done
sleep 1
: >"$work/bt"
for i in 1 2 3; do ns $pin "$bench" --ops $bt_ops >>"$work/bt"; done
# bpftrace 0.17 can miss a SIGINT that arrives just before it blocks in
# epoll_wait: signal again, and wake it with a few events, until it exits.
n=0
while s=$(cut -d' ' -f3 "/proc/$bt_pid/stat" 2>/dev/null) && [ "$s" != Z ]; do
    kill -INT $bt_pid 2>/dev/null || true
    sleep 0.2; n=$((n + 1))
    [ $((n % 5)) -ne 0 ] || "$bench" --ops 1000 >/dev/null
    [ $n -lt 150 ] || { kill -KILL $bt_pid; break; }
done
wait $bt_pid 2>/dev/null || true

set -- $(stats "$work/none"); base=$1
row() { # name file note
    set -- "$1" "$2" "$3" $(stats "$2")
    awk -v n="$1" -v note="$3" -v med="$4" -v lo="$5" -v hi="$6" -v base="$base" -v epo="$epo" 'BEGIN {
        extra = (med - base) / epo
        printf "| %s | %.2f | %.2f-%.2f | %.3f | %s | %s |\n", n, med, lo, hi, med / base,
               n == "compiled out" ? "-" : sprintf("%.1f", extra), note }'
}
echo
echo "probes overhead: churn, 4096 live u64 keys, $epo events per op ($events events in $ops ops); $pin_note"
echo
echo "| configuration | ns/op (median) | min-max | ratio to compiled out | extra ns per emitted event | notes |"
echo "| --- | --- | --- | --- | --- | --- |"
row "compiled out" "$work/none" "HMAP_PROBES=none, $ab_reps runs of $((ops / 2)) ops"
row "idle (usdt+lttng+recorder in)" "$work/idle" "$ab_reps runs, interleaved with compiled out"
row "in-process recorder" "$work/rec" "file on tmpfs, $reps runs"
row "in-process recorder, output to /dev/null" "$work/recnull" "recording cost without the file write, $reps runs"
row "LTTng session" "$work/lt" "$lt_ops ops, $reps runs; ${discarded:-no discarded events reported}"
row "bpftrace events.bt" "$work/bt" "$bt_ops ops, 3 runs"
[ -z "$ir_none" ] || awk -v n="$ir_none" -v i="$ir_idle" -v epo="$epo" 'BEGIN {
    printf "\ninstructions per op (callgrind, deterministic): compiled out %.2f, idle %.2f (+%.2f, %.1f%%; %.1f per probe site)\n",
           n, i, i - n, (i - n) / n * 100, (i - n) / epo }'
set -- $(stats "$work/bare")
echo
echo "bare LTTng-UST event (tophash_write payload), same session: median $1 ns/event (min $2, max $3)"
