#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh — benchmark of bucketscope-report (not part of make test).
#
#   tests/bench-report/run.sh BUILD_DIR [NATIVE_EVENTS] [CTF_EVENTS]
#
# 1. gen_churn writes a native trace of NATIVE_EVENTS (default 50M) churn
#    events; bucketscope-report --stats analyses it (events/s, engine state,
#    max RSS).
# 2. If lttng and root are available: the first CTF_EVENTS (default 5M)-event
#    churn trace is replayed through the hmap LTTng-UST tracepoints into a
#    real session (blocking channel: nothing discarded), then the CTF trace
#    is read by a bare libbabeltrace2 decode (every field, nothing else) and
#    by bucketscope-report; the ratio of their times is the CTF overhead.
# 3. engine_speed: BENCH_RUNS (default 5) runs each of bench_report_stages
#    (reader alone, reader + engine, CPU time) and of the whole report, taken
#    in turn so that load from elsewhere hits all alike: medians, spread
#    (min-max) and the engine state per bucket of live allocations.
# 3b. jobs_speed: BENCH_RUNS (default 5) runs each of the whole report with
#    -j 1 and -j 2, interleaved: events/s (wall and CPU), each thread's CPU
#    time (--stats), and what two idle cores would take: the longer of the
#    busiest thread and half of all threads' CPU time (each without its
#    spinning at hand-offs, which --stats counts), and the ratio of the
#    wall rates of each pair of runs; on the trace as written and in version
#    3.  BENCH_ONLY=jobs runs only this (after the trace is written).
# 4. bench_format_versions: the same trace in native format version 3
#    (bytes per event, reader speed, same report); bench_recorder_clocks:
#    the in-process recorder's ns per event on the TSC and on clock_gettime.
#    BENCH_RUNS (default 5) runs each, interleaved, median and min-max.
# 5. bench_report_mem_latency: one random cache-line load by working-set
#    size, one chain and 4/8/16 independent chains (the floor under the
#    engine's random lookups).
# Prints markdown tables.  Needs ~3 GB free in $TMPDIR (default /tmp).
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$1 nat=${2:-50000000} nctf=${3:-5000000}
bin=$build/analysis/bucketscope-report
gen=$build/tests/bench-report/bench_report_gen_churn
work=$(mktemp -d "${TMPDIR:-/tmp}/bs-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
row() { printf '| %s | %s | %s | %s | %s |\n' "$@"; }

# ---- engine speed: medians and spread over interleaved runs ------------------
# median_spread FILE: "median (min-max)" of the numbers in FILE, one a line.
median_spread() {
    sort -g "$1" | awk '{ v[NR] = $1 } END {
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.2f (%.2f-%.2f)", m, v[1], v[NR] }'
}
engine_speed() { # trace
    runs=${BENCH_RUNS:-5}
    stages=$build/tests/bench-report/bench_report_stages
    : >"$work/r.reader"; : >"$work/r.engine"; : >"$work/r.wall"; : >"$work/r.cpu"
    i=0
    while [ "$i" -lt "$runs" ]; do
        "$stages" "$1" >"$work/stages.out"
        awk '/^reader only/ { print $(NF - 2) }' "$work/stages.out" >>"$work/r.reader"
        awk '/^reader \+ engine/ { print $(NF - 2) }' "$work/stages.out" >>"$work/r.engine"
        "$bin" --no-progress --stats -j 1 "$1" >/dev/null 2>"$work/speed.stats"
        awk '/^stats: [0-9]+ events/ { print $12 > "/dev/stderr"; print $16 }' \
            "$work/speed.stats" >>"$work/r.cpu" 2>>"$work/r.wall"
        i=$((i + 1))
    done
    per=$(sed -n 's/.*(\([0-9.]*\) bytes per bucket of live allocations).*/\1/p' "$work/speed.stats")
    echo
    echo "Engine, one thread, $runs interleaved runs: median (min-max), M events/s"
    echo
    echo "| stage | M events/s |"
    echo "| --- | --- |"
    echo "| reader alone (bench_report_stages, CPU) | $(median_spread "$work/r.reader") |"
    echo "| reader + engine (bench_report_stages, CPU) | $(median_spread "$work/r.engine") |"
    echo "| whole report, text (--stats, CPU) | $(median_spread "$work/r.cpu") |"
    echo "| whole report, text (--stats, wall) | $(median_spread "$work/r.wall") |"
    echo
    echo "engine state per bucket of live allocations: $per bytes"
}
# ---- end of engine speed -----------------------------------------------------

# ---- -j: one thread against two, interleaved ------------------------------------
jobs_speed() { # trace, what it is
    runs=${BENCH_RUNS:-5}
    for j in 1 2; do : >"$work/j$j.wall"; : >"$work/j$j.cpu"; : >"$work/j$j.two"; done
    : >"$work/j2.reader"; : >"$work/j2.shards"; : >"$work/j.ratio"
    i=0
    while [ "$i" -lt "$runs" ]; do
        for j in 1 2; do
            "$bin" --no-progress --stats -j $j "$1" >"$work/j$j.out" 2>"$work/j.stats"
            awk -v j=$j -v w="$work" '
                /^stats: [0-9]+ events/ { ev = $2; print $12 >> (w "/j" j ".wall"); print $16 >> (w "/j" j ".cpu"); cpu = $9 }
                /^stats: -j 2: one engine/ { print "FAIL: -j 2 did not shard: " $0 > "/dev/stderr" }
                /^stats: cpu s by thread/ { nt = 1; c[1] = $10 + 0; sh = 0
                    for (k = 12; k <= NF; k++) { c[++nt] = $k; sh += $k }
                    printf "%.3f\n", c[1] >> (w "/j2.reader"); printf "%.3f\n", sh >> (w "/j2.shards") }
                /^stats: of it spinning/ { sp[1] = $7 + 0; for (k = 9; k <= NF; k++) sp[k - 7] = $k }
                END { two = cpu
                    if (j == 2) { tot = 0; most = 0 # each thread without its spinning at hand-offs
                        for (i = 1; i <= nt; i++) { x = c[i] - sp[i]; tot += x; if (x > most) most = x }
                        two = most > tot / 2 ? most : tot / 2 }
                    printf "%.2f\n", ev / two / 1e6 >> (w "/j" j ".two") }' "$work/j.stats"
        done
        cmp -s "$work/j1.out" "$work/j2.out" || echo "FAIL: -j 2 report differs from -j 1"
        paste "$work/j1.wall" "$work/j2.wall" | tail -n 1 | awk '{ printf "%.3f\n", $2 / $1 }' >>"$work/j.ratio"
        i=$((i + 1))
    done
    echo
    echo "-j 1 against -j 2 on $2, $runs interleaved runs: median (min-max); load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "| | -j 1 | -j 2 |"
    echo "| --- | --- | --- |"
    echo "| whole report, wall M events/s | $(median_spread "$work/j1.wall") | $(median_spread "$work/j2.wall") |"
    echo "| whole report, CPU M events/s (all threads) | $(median_spread "$work/j1.cpu") | $(median_spread "$work/j2.cpu") |"
    echo "| reading thread (reader, replay, shard 0), CPU s | - | $(median_spread "$work/j2.reader") |"
    echo "| the other shards' threads together, CPU s | - | $(median_spread "$work/j2.shards") |"
    echo "| on two idle cores, M events/s (from CPU times, without the spinning) | $(median_spread "$work/j1.two") | $(median_spread "$work/j2.two") |"
    echo "| -j 2 over -j 1, wall rate, each pair of runs | - | $(median_spread "$work/j.ratio") |"
}
# ---- end of -j ---------------------------------------------------------------------

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
"$gen" "$work/churn.hmt" "$nat" >/dev/null
# -j on the trace as gen_churn writes it (version 2 layout) and in version 3,
# the format the recorders write.
# The version 3 copy stays for bench_format_versions.
to_v3() { [ -e "$work/churn.v3.hmt" ] || "$build/tests/lib/hmtrace_convert" --to 3 --cut-ok "$work/churn.hmt" "$work/churn.v3.hmt"; }
jobs_both() {
    jobs_speed "$work/churn.hmt" "the version 2 trace"
    to_v3
    jobs_speed "$work/churn.v3.hmt" "the same trace in version 3"
}
if [ "${BENCH_ONLY:-}" = jobs ]; then
    jobs_both
    exit 0
fi
size=$(du -m "$work/churn.hmt" | cut -f1)
"$bin" --no-progress --stats -j 1 "$work/churn.hmt" >"$work/native.txt" 2>"$work/native.stats"
cat "$work/native.stats"

echo
echo "| input | events | wall M ev/s | cpu M ev/s | engine state / max RSS |"
echo "| --- | --- | --- | --- | --- |"
parse() { # stats file, label
    awk -v label="$2" '
        /^stats: [0-9]+ events/ { ev = $2; wall = $12; cpu = $16; }
        /^stats: peak bucket states/ { for (i = 1; i <= NF; i++) { if ($i == "most") st = $(i + 1); if ($i == "RSS") rss = $(i + 1); if ($i == "per" && $(i + 1) == "bucket") per = $(i - 2) } }
        END { printf "| %s | %s | %s | %s | %.1f MiB (%s B per bucket) / %.0f MiB |\n", label, ev, wall, cpu, st / 1048576, substr(per, 2), rss / 1024 }' "$1"
}
parse "$work/native.stats" "native file (${size} MiB)"
engine_speed "$work/churn.hmt"
jobs_both

# ---- native format: bytes per event and reader speed, version 2 vs 3 ---------
# (docs/native-format.md; docs/report.md "Trace format").  The churn trace
# (version 2 layout, as gen_churn writes it) rewritten in version 3 by
# hmtrace_convert; bench_report_stages reads each REPS times, interleaved;
# the text reports of both must be identical.
# stats FILE -> "median min max" of the numbers in FILE
stats() { sort -n "$1" | awk '{ v[NR] = $1 } END { printf "%.2f %.2f %.2f\n", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
bench_format_versions() { # v2 trace, events, reps
    v2=$1 events=$2 reps=$3 v3=$work/churn.v3.hmt
    to_v3
    : >"$work/rd2"; : >"$work/rd3"
    i=0
    while [ $i -lt "$reps" ]; do
        for v in 2 3; do
            f=$v2; [ $v = 3 ] && f=$v3
            "$build/tests/bench-report/bench_report_stages" "$f" 2>&1 |
                awk '/^reader only/ { print $(NF - 2) }' >>"$work/rd$v"
        done
        i=$((i + 1))
    done
    "$bin" --no-progress "$v2" | tail -n +2 >"$work/r2.txt"
    "$bin" --no-progress "$v3" | tail -n +2 >"$work/r3.txt"
    same=identical; cmp -s "$work/r2.txt" "$work/r3.txt" || same=DIFFERENT
    echo
    echo "native format, $events churn events ($reps interleaved reader runs; text reports $same):"
    echo
    echo "| version | bytes | bytes per event | reader alone, M events/s (median, min-max) |"
    echo "| --- | ---: | ---: | --- |"
    for v in 2 3; do
        f=$v2; [ $v = 3 ] && f=$v3
        b=$(stat -c %s "$f")
        set -- $(stats "$work/rd$v")
        awk -v v=$v -v b="$b" -v e="$events" -v m="$1" -v lo="$2" -v hi="$3" 'BEGIN {
            printf "| %d | %d | %.2f | %.1f (%.1f-%.1f) |\n", v, b, b / e, m, lo, hi }'
    done
    rm -f "$v3"
}

# ---- in-process recorder: ns per event with each clock -------------------------
# (docs/probes.md "Recorder clock").  bench_probes with probes idle, with the
# recorder on the TSC and on clock_gettime (HMAP_TRACE_CLOCK=monotonic),
# file on tmpfs, REPS interleaved runs each; ns per event = (recording -
# idle) per op / events per op.
bench_recorder_clocks() { # reps
    reps=$1 bp=$build/tests/bench-probes/bench_probes ops=2000000
    [ -x "$bp" ] || { echo "(recorder clocks skipped: build bench_probes)"; return 0; }
    rf=/dev/shm/bs-bench-rec-$$.hmtrace
    : >"$work/idle"; : >"$work/tsc"; : >"$work/vdso"
    i=0
    while [ $i -lt "$reps" ]; do
        "$bp" --ops $ops | awk '{ print $2 }' >>"$work/idle"
        rm -f "$rf"; "$bp" --ops $ops --record "$rf" | awk '{ print $2 }' >>"$work/tsc"
        clock=$(dd if="$rf" bs=1 skip=32 count=32 status=none | tr -d '\0' | awk '{ print $NF }')
        rm -f "$rf"; HMAP_TRACE_CLOCK=monotonic "$bp" --ops $ops --record "$rf" | awk '{ print $2 }' >>"$work/vdso"
        i=$((i + 1))
    done
    epo=$("$build/tests/lib/hmtrace_dump" --summary "$rf" | sed 's/.* events=\([0-9]*\) .*/\1/' |
        awk -v o=$ops '{ printf "%.4f", $1 / o }')
    bpe=$(awk -v b="$(stat -c %s "$rf")" -v o=$ops -v e="$epo" 'BEGIN { printf "%.2f", b / (o * e) }')
    rm -f "$rf"
    set -- $(stats "$work/idle"); idle=$1
    echo
    echo "in-process recorder, file on tmpfs, $reps interleaved runs of $ops ops ($epo events per op, $bpe bytes per event; default clock here: $clock):"
    echo
    echo "| clock | ns per op (median, min-max) | recorder ns per event |"
    echo "| --- | --- | ---: |"
    for c in idle tsc vdso; do
        set -- $(stats "$work/$c")
        awk -v c=$c -v m="$1" -v lo="$2" -v hi="$3" -v idle="$idle" -v epo="$epo" 'BEGIN {
            printf "| %s | %.1f (%.1f-%.1f) | %s |\n", c, m, lo, hi,
                c == "idle" ? "-" : sprintf("%.1f", (m - idle) / epo) }'
    done
}

bench_format_versions "$work/churn.hmt" "$(awk '/^stats: [0-9]+ events/ { print $2; exit }' "$work/native.stats")" "${BENCH_RUNS:-5}"
bench_recorder_clocks "${BENCH_RUNS:-5}"

# ---- memory latency: the floor under the engine's random lookups ------------
if [ -x "$build/tests/bench-report/bench_report_mem_latency" ]; then
    echo
    echo "one random cache-line load, ns, by working set (docs/report.md, \"What bounds the engine\"):"
    echo
    "$build/tests/bench-report/bench_report_mem_latency" 64
fi

. "$src/scripts/lib/lttng_session.sh"
if [ "$(id -u)" != 0 ] || lttng_session_why_not >/dev/null || [ ! -x "$build/tests/bench-report/bench_report_replay" ]; then
    echo "(CTF comparison skipped: needs root, lttng-tools and bench_report_replay)"
    exit 0
fi
"$gen" "$work/small.hmt" "$nctf" >/dev/null
"$bin" --no-progress --stats -j 1 "$work/small.hmt" >/dev/null 2>"$work/small.stats"
# A private LTTng session daemon in its own mount namespace
# (scripts/lib/lttng_session.sh); blocking channel: nothing discarded.
BS_WORK=$work BS_BUILD=$build BS_LTTNG_SESSION=$src/scripts/lib/lttng_session.sh \
    lttng_session_unshare sh -c '
    set -eu
    . "$BS_LTTNG_SESSION"
    trap lttng_daemon_stop EXIT
    export LTTNG_UST_ALLOW_BLOCKING=1 LTTNG_UST_REGISTER_TIMEOUT=-1
    lttng_daemon_start
    lttng_session_start bench "$BS_WORK/ctf" --subbuf-size=4M --num-subbuf=8 --blocking
    "$BS_BUILD/tests/bench-report/bench_report_replay" "$BS_WORK/small.hmt" >/dev/null
    lttng_session_stop
    lttng_daemon_stop'
# CPU seconds (user + sys) of each: less disturbed than wall time by other load.
/usr/bin/time -f "%U %S %e" -o "$work/bare.time" "$build/tests/bench-report/bench_report_bare_decode" "$work/ctf" >"$work/bare.txt"
/usr/bin/time -f "%U %S %e" -o "$work/ctf.time" "$bin" --no-progress --stats -j 1 "$work/ctf" >/dev/null 2>"$work/ctf.stats"
cat "$work/bare.txt" "$work/ctf.stats"
parse "$work/small.stats" "native file, same $nctf events"
parse "$work/ctf.stats" "CTF trace ($(du -sm "$work/ctf" | cut -f1) MiB)"
read bu bs bw < "$work/bare.time"
read cu cs cw < "$work/ctf.time"
awk -v bu="$bu" -v bs="$bs" -v bw="$bw" -v cu="$cu" -v cs="$cs" -v cw="$cw" -v n="$nctf" 'BEGIN {
    printf "| bare libbabeltrace2 decode | %d | %.2f | %.2f | - |\n", n, n / bw / 1e6, n / (bu + bs) / 1e6
    printf "\nCTF path / bare decode: %.2fx CPU time, %.2fx wall time\n", (cu + cs) / (bu + bs), cw / bw }'
