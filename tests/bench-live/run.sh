#!/bin/bash
# SPDX-License-Identifier: MIT
# run.sh — throughput of the live paths (docs/live.md; not part of make test).
#
#   sudo bash tests/bench-live/run.sh [BUILD_DIR] [SECONDS] [REPS]
#     defaults: build, 4 s per run, 3 repetitions
#
# The workload (tests/live/live_workload) churns a 4000-key map in rounds of
# ROUND insert+delete pairs with a 10 ms pause, for ROUND in ROUNDS: the
# offered rate grows with ROUND until the program runs flat out.  For each
# ROUND, interleaved, REPS times:
#   record   bucketscope record -i 1 -- workload (4 MiB ring, the default)
#   lttng    the workload in an LTTng live session (one lttng-sessiond, one
#            lttng-relayd, 8 x 1 MiB sub-buffers, discard mode), followed by
#            bucketscope report -i 1 net://127.0.0.1/host/$(hostname)/bench;
#            private network and mount namespaces, as tests/live does
# Each run prints: events/s over the trace's span, events lost (ring full,
# or LTTng's discarded events), the catch-up time (from the workload's end to
# the final report), and the post-mortem rate of `report --stats` on the
# same events (the native file, or the relayd's on-disk copy).  A rate is
# "sustained" when nothing was lost and the report caught up within one
# interval.  Medians over REPS.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=$(cd "${1:-$ROOT/build}" && pwd)
DUR=${2:-4}
REPS=${3:-3}
ROUNDS=${ROUNDS:-"250 1000 4000 16000"}
REPORT=$B/analysis/bucketscope-report
RECORD=$B/bpf/bucketscope-record
WORKLOAD=$B/tests/live/live_workload
[ "$(id -u)" = 0 ] || { echo "run as root"; exit 1; }
for f in "$REPORT" "$RECORD" "$WORKLOAD"; do [ -x "$f" ] || { echo "build $f first"; exit 1; }; done

if [ "${BENCH_LIVE_NS:-}" != 1 ]; then
    BENCH_LIVE_NS=1 exec unshare -n -m --propagation private bash "$0" "$B" "$DUR" "$REPS"
fi
T=$(mktemp -d /tmp/bench-live.XXXXXX)
chmod 755 "$T"
RELAYD= SESSIOND=
cleanup() {
    for p in $SESSIOND $RELAYD; do kill "$p" 2>/dev/null; done
    for p in $(jobs -p); do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
ip link set lo up
mkdir -p /var/run/lttng && mount -t tmpfs none /var/run/lttng && mount -t tmpfs none /dev/shm || exit 1
export LTTNG_HOME=/var/run/lttng
lttng-relayd -o "$T/relay" >"$T/relayd.log" 2>&1 &
RELAYD=$!
lttng-sessiond --daemonize --no-kernel || exit 1
SESSIOND=$(cat /var/run/lttng/lttng-sessiond.pid)
for _ in $(seq 200); do ss -ltn | grep -q ':5344 ' && break; sleep 0.05; done

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# "events span_s" of a text report
span() { sed -n 's/^\([0-9,]*\) events over \([0-9.]*\) \(m\{0,1\}s\)$/\1 \2 \3/p' | tr -d , |
    awk '{ s = $2; if ($3 == "ms") s /= 1000; print $1, s }'; }
pm_rate() { "$REPORT" --stats "$1" 2>&1 >/dev/null | sed -n 's/.* \([0-9.]*\) M events\/s wall.*/\1/p'; }

run_record() { # ROUND -> "rate lost catchup pm_rate"
    rm -f "$T/stop" "$T/r.hmtrace"
    "$RECORD" -o "$T/r.hmtrace" -i 1 -- "$WORKLOAD" "$T/stop" 4000 "$1" 300 >"$T/r.out" 2>"$T/r.err" &
    local p=$!
    sleep "$DUR"
    touch "$T/stop"
    local t0 t1
    t0=$(now)
    wait $p
    t1=$(now)
    local lost ev_span
    lost=$(sed -n 's/.* LOST \([0-9]*\) .*/\1/p' "$T/r.err")
    ev_span=$(sed -n '/^bucketscope report: /,$p' "$T/r.out" | span)
    echo "$ev_span ${lost:-0} $(echo "$t1 - $t0" | bc) $(pm_rate "$T/r.hmtrace")" |
        awk '{ printf "%.0f %d %.2f %s\n", $1 / $2, $3, $4, $5 }'
}

run_lttng() { # ROUND -> "rate lost catchup pm_rate"
    rm -rf "$T/stop" "$T/go" "$T/relay"/*
    lttng create bench --live=100000 --set-url=net://127.0.0.1 >/dev/null || exit 1
    lttng enable-channel -u --subbuf-size=1M --num-subbuf=8 ch >/dev/null
    lttng enable-event -u -c ch 'hmap:*' >/dev/null
    lttng add-context -u -t vpid -t vtid >/dev/null
    lttng start >/dev/null
    LTTNG_UST_REGISTER_TIMEOUT=-1 HMAP_LTTNG=1 LIVE_WORKLOAD_GO="$T/go" \
        "$WORKLOAD" "$T/stop" 4000 "$1" 300 >"$T/w.out" &
    local w=$!
    "$REPORT" -i 1 --json "net://127.0.0.1/host/$(hostname)/bench" >"$T/l.out" 2>"$T/l.err" &
    local p=$!
    for _ in $(seq 400); do
        babeltrace2 -i lttng-live net://127.0.0.1 2>/dev/null | grep -q '/bench (.* 1 client(s)' && break
        sleep 0.05
    done
    touch "$T/go"
    sleep "$DUR"
    touch "$T/stop"
    wait $w
    local t0 t1
    t0=$(now)
    lttng stop bench >/dev/null
    lttng destroy bench >/dev/null
    wait $p
    t1=$(now)
    grep -v '^{"interval"' "$T/l.out" |
        jq -r '[.time.events, .time.span_ns, .data_quality.lost_events + .data_quality.discarded_events] | @tsv' |
        awk -v t0="$t0" -v t1="$t1" -v pm="$(pm_rate "$T/relay")" '{ printf "%.0f %d %.2f %s\n", $1 / ($2 / 1e9), $3, t1 - t0, pm }'
}

printf "%-6s %-7s %14s %10s %10s %16s\n" path ROUND "events/s" lost "catch-up" "post-mortem M/s"
for round in $ROUNDS; do
    : >"$T/rec.res"
    : >"$T/lt.res"
    for _ in $(seq "$REPS"); do
        run_record "$round" >>"$T/rec.res"
        run_lttng "$round" >>"$T/lt.res"
    done
    for k in rec lt; do
        name=$([ $k = rec ] && echo record || echo lttng)
        printf "%-6s %-7s %14s %10s %10s %16s   (runs: %s)\n" "$name" "$round" \
            "$(cut -d' ' -f1 "$T/$k.res" | median)" "$(cut -d' ' -f2 "$T/$k.res" | median)" \
            "$(cut -d' ' -f3 "$T/$k.res" | median)s" "$(cut -d' ' -f4 "$T/$k.res" | median)" \
            "$(tr '\n' ';' <"$T/$k.res")"
    done
done

# One analyzer's own limit: the follow path reading a finished file as fast
# as it can (no writer to wait for), next to the post-mortem reader, on the
# last record run's file; medians of REPS, interleaved.
: >"$T/fo.res"
: >"$T/pm.res"
for _ in $(seq "$REPS"); do
    "$REPORT" --follow --stats "$T/r.hmtrace" 2>&1 >/dev/null |
        sed -n 's/.* \([0-9.]*\) M events\/s wall.*/\1/p' >>"$T/fo.res"
    pm_rate "$T/r.hmtrace" >>"$T/pm.res"
done
echo "analyzer on $(sed -n '/^bucketscope report: /,$p' "$T/r.out" | span | cut -d' ' -f1) events:" \
    "--follow $(median <"$T/fo.res") M events/s, post-mortem $(median <"$T/pm.res") M events/s" \
    "(runs: $(tr '\n' ' ' <"$T/fo.res")/ $(tr '\n' ' ' <"$T/pm.res"))"
