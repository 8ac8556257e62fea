#!/bin/bash
# SPDX-License-Identifier: MIT
# run.sh — benchmark of `bucketscope record` (not part of make test).
#
#   sudo bash tests/bench-record/run.sh [BUILD_DIR] [OPS] [REPS]
#     defaults: build-bpf (or build), 300000 ops, 5 repetitions
#
# 1. Per-event cost as seen by the traced program: bench_record_churn (one
#    thread, OPS insert+delete pairs on a fixed-size map) runs untraced, under
#    a minimal BPF program on every hmap:* probe (bpftrace, empty action: the
#    uprobe-trap floor), and under bucketscope-record; both tracers attach
#    system-wide to the same library.  cost/event = (t_traced - t_untraced) /
#    events, events = the recorder's count (the workload is deterministic, so
#    the floor run hits the same probes).  Reported for the program's CPU time
#    (user + system: the trap and the BPF program run in its context; robust
#    to other jobs on the machine) and for its wall time.  Medians of REPS
#    interleaved runs.
# 2. Highest event rate with zero loss at the default 4 MiB ring: churn with
#    1 and 2 threads (2 vCPUs here: the most this machine can produce) under
#    the recorder; events/s over the program's own run time, and the losses.
# 3. Time inside the recorder's BPF programs (kernel.bpf_stats_enabled=1:
#    the kernel adds up each run's duration): ns per run for each program
#    that ran, and over all runs, for one churn run under the recorder.  Read
#    from the recorder's own program fds (/proc/PID/fdinfo), so other BPF
#    users of the machine do not count.  The statistics cost a clock read per
#    run themselves; the sysctl is restored afterwards.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-$ROOT/build-bpf}
[ -x "$B/bpf/bucketscope-record" ] || B=$ROOT/build
OPS=${2:-300000}
REPS=${3:-5}
RECORD=$B/bpf/bucketscope-record
CHURN=$B/tests/bench-record/bench_record_churn
LIB=$(readlink -f "$B/libmap/libhmap.so")
T=$(mktemp -d /tmp/bench-record.XXXXXX)
trap 'rm -rf "$T"' EXIT
[ "$(id -u)" = 0 ] || { echo "run as root"; exit 1; }
[ -x "$RECORD" ] && [ -x "$CHURN" ] || { echo "build $B first (targets bucketscope-record, bench_record_churn)"; exit 1; }

# bpftrace with tracefs mounted in a private mount namespace; unshare and sh
# exec it, so $! of "${BT[@]} ... &" is bpftrace itself.
BT=(unshare -m sh -c 'mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; exec bpftrace "$@"' sh)
# "wall cpu" ns/op from churn's output line
costs() { sed -n 's/.*ns_per_op=\([0-9.]*\) seconds=[0-9.]* cpu_ns_per_op=\([0-9.]*\).*/\1 \2/p'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
wait_line() { for _ in $(seq 1 300); do grep -q "$2" "$1" && return 0; sleep 0.05; done; echo "timeout waiting for $2 in $1"; cat "$1"; exit 1; }
# bpftrace 0.17 sometimes misses a single SIGINT: repeat until it exits.
stop_bt() { for _ in $(seq 1 40); do kill -INT "$1" 2>/dev/null || break; sleep 0.25; done; wait "$1" 2>/dev/null; }

run_base() { "$CHURN" "$OPS" 1 | costs; }
run_floor() {
    : >"$T/bt.out" # as in run_rec below
    "${BT[@]}" -e "usdt:$LIB:hmap:* { } BEGIN { printf(\"ready\\n\"); }" >"$T/bt.out" 2>&1 &
    local p=$!
    wait_line "$T/bt.out" ready
    "$CHURN" "$OPS" 1 | costs
    stop_bt $p
}
# The log is emptied before the recorder starts: the shell truncates it in
# the child, after the fork, and wait_line must not find the previous run's
# "recording" line meanwhile (it would start churn untraced).
run_rec() {   # run_rec THREADS: churn's output in $T/churn.out, events in $T/events
    : >"$T/rec.log"
    "$RECORD" -l "$LIB" -o "$T/r.trace" 2>"$T/rec.log" &
    local p=$!
    wait_line "$T/rec.log" recording
    "$CHURN" "$OPS" "$1" >"$T/churn.out"
    kill -INT $p; wait $p
    sed -n 's/.* \([0-9]*\) events, .*/\1/p' "$T/rec.log" >"$T/events"
}

echo "# $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), OPS=$OPS, REPS=$REPS"
for i in $(seq 1 "$REPS"); do
    run_base >>"$T/base"
    run_floor >>"$T/floor"
    run_rec 1
    costs <"$T/churn.out" >>"$T/rec"
    cat "$T/events" >>"$T/events_all"
    grep -q ' 0 lost' "$T/rec.log" || echo "  (run $i lost events: $(tail -1 "$T/rec.log"))"
done
events=$(median <"$T/events_all")
for col in 1 2; do
    b=$(cut -d' ' -f$col "$T/base" | median); f=$(cut -d' ' -f$col "$T/floor" | median)
    r=$(cut -d' ' -f$col "$T/rec" | median)
    awk -v b="$b" -v f="$f" -v r="$r" -v e="$events" -v ops="$OPS" -v what=$([ $col = 1 ] && echo wall || echo cpu) 'BEGIN {
        fe = (f - b) * ops / e; re = (r - b) * ops / e
        printf "%-4s ns/op: untraced %.0f, floor %.0f, recorder %.0f | ns/event: floor %.0f, recorder %.0f, ratio %.2f\n", what, b, f, r, fe, re, re / fe
    }'
done
echo "events per run: $events ($(awk -v e="$events" -v o="$OPS" 'BEGIN { printf "%.2f", e / o }') per op)"
echo "runs, wall/cpu ns/op: base $(tr '\n' ',' <"$T/base")"
echo "  floor $(tr '\n' ',' <"$T/floor")"
echo "  rec   $(tr '\n' ',' <"$T/rec")"

for th in 1 2; do
    run_rec "$th"
    secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$T/churn.out")
    awk -v e="$(cat "$T/events")" -v s="$secs" -v th="$th" 'BEGIN { printf "rate, %d thread(s): %d events in %.2f s = %.0f events/s, ", th, e, s, e / s }'
    grep -o 'LOST.*\| 0 lost' "$T/rec.log" | head -1
done

# prog_stats PID: "name runs ns/run" per program of PID that ran, then the total.
prog_stats() {
    for f in /proc/"$1"/fdinfo/*; do
        awk '/^prog_id:/ { id = $2 } /^run_time_ns:/ { t = $2 } /^run_cnt:/ { c = $2 }
             END { if (id != "" && c > 0) print id, t, c }' "$f" 2>/dev/null
    done | sort -u | while read -r id t c; do
        name=$(bpftool prog show id "$id" 2>/dev/null | sed -n 's/.* name \([^ ]*\) .*/\1/p')
        echo "$name $t $c"
    done | awk '{ printf "  %-24s %8d runs %7.1f ns/run\n", $1, $3, $2 / $3; T += $2; C += $3 }
                END { if (C) printf "  all programs             %8d runs %7.1f ns/run\n", C, T / C }'
}
stats_was=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null)
if [ -n "$stats_was" ] && command -v bpftool >/dev/null && sysctl -q kernel.bpf_stats_enabled=1; then
    : >"$T/rec.log"
    "$RECORD" -l "$LIB" -o "$T/s.trace" 2>"$T/rec.log" &
    p=$!
    wait_line "$T/rec.log" recording
    "$CHURN" "$OPS" 1 >/dev/null
    echo "BPF program time (bpf_stats), 1 thread:"
    prog_stats $p
    kill -INT $p; wait $p
    sysctl -q kernel.bpf_stats_enabled="$stats_was"
else
    echo "BPF program time: skipped (needs bpftool and the kernel.bpf_stats_enabled sysctl)"
fi
