#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bounded_resources.sh REPORT GEN — the analyzer is bounded on any input
# (docs/report.md, "Memory and limits"): for each crafted shape of
# bounded_gen.c, at n and 4n, peak RSS, CPU time and the timeline's size grow
# at most linearly (ratio <= 6 for a 4x input) and stay under absolute caps.
# Ratios compare two runs on the same machine, so a slow machine does not
# fail; the caps are far above what a linear engine needs and far below what
# a claimed-size or quadratic one takes.
set -u
report=$1 gen=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0

# run NAME ARGS...: the report of $dir/NAME.hmt; sets rss (KiB), cpu (s),
# state (the engine's state at its peak, from --stats) and out (bytes of the
# timeline, if any).
run() {
    local name=$1
    shift
    /usr/bin/time -f '%M %U %S' -o "$dir/$name.time" \
        "$report" --stats "$@" "$dir/$name.hmt" >"$dir/$name.out" 2>"$dir/$name.err"
    local rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then
        echo "FAIL: $name: exit $rc"
        tail -3 "$dir/$name.err"
        fail=1
    fi
    read -r rss u s <"$dir/$name.time"
    cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')
    state=$(sed -n 's/.*engine state at most \([0-9]*\) bytes.*/\1/p' "$dir/$name.err")
    state=${state:-0}
    out=0
    [ -f "$dir/$name.csv" ] && out=$(stat -c %s "$dir/$name.csv")
}

# check SHAPE N MAX_RSS_KIB MAX_CPU_S MAX_OUT_BYTES IDLE [report options]
# IDLE=1: the shape adds no live state, so the engine's own state must not
# follow the input (at most 2x for 4x the input).
check() {
    local shape=$1 n=$2 max_rss=$3 max_cpu=$4 max_out=$5 idle=$6
    shift 6
    local r1 c1 o1 s1 r4 c4 o4 s4 opts=("$@")
    "$gen" "$shape" "$n" "$dir/$shape-1.hmt" || { echo "FAIL: gen $shape"; fail=1; return; }
    "$gen" "$shape" $((4 * n)) "$dir/$shape-4.hmt" || { echo "FAIL: gen $shape"; fail=1; return; }
    run "$shape-1" "${opts[@]/@CSV@/$dir/$shape-1.csv}"
    r1=$rss c1=$cpu o1=$out s1=$state
    run "$shape-4" "${opts[@]/@CSV@/$dir/$shape-4.csv}"
    r4=$rss c4=$cpu o4=$out s4=$state
    local in1 in4
    in1=$(stat -c %s "$dir/$shape-1.hmt") in4=$(stat -c %s "$dir/$shape-4.hmt")
    echo "$shape: input $in1 -> $in4 bytes; RSS $r1 -> $r4 KiB; engine state $s1 -> $s4 bytes; cpu $c1 -> $c4 s; timeline $o1 -> $o4 bytes"
    # Alternating timestamps: the reader's runs are capped too, so memory
    # stays flat (at most 2x above the 8 MiB floor for 4x the input).
    if [ "$shape" = alternating ] &&
        ! awk -v a="$r1" -v b="$r4" 'BEGIN { exit !(b <= 2 * (a > 8192 ? a : 8192)) }'; then
        echo "FAIL: $shape: the reader's memory grows with the input ($r1 -> $r4 KiB)"
        fail=1
    fi
    if [ "$idle" = 1 ] && [ "$s4" -gt $((2 * s1)) ]; then
        echo "FAIL: $shape: state that is not live grows with the input ($s1 -> $s4 bytes)"
        fail=1
    fi
    # RSS: the 4x run may hold at most 6x the 1x run's memory above a floor
    # of 8 MiB (the program, its libraries and fixed tables).
    if ! awk -v a="$r1" -v b="$r4" 'BEGIN { exit !(b <= 6 * (a > 8192 ? a : 8192)) }'; then
        echo "FAIL: $shape: RSS grows faster than the input ($r1 -> $r4 KiB)"
        fail=1
    fi
    if [ "$r4" -gt "$max_rss" ]; then
        echo "FAIL: $shape: RSS $r4 KiB over the cap $max_rss KiB"
        fail=1
    fi
    # CPU: 6x above a floor of 0.1 s (start-up and timer resolution).
    if ! awk -v a="$c1" -v b="$c4" 'BEGIN { f = a > 0.1 ? a : 0.1; exit !(b <= 6 * f) }'; then
        echo "FAIL: $shape: time grows faster than the input ($c1 -> $c4 s)"
        fail=1
    fi
    if ! awk -v b="$c4" -v m="$max_cpu" 'BEGIN { exit !(b <= m) }'; then
        echo "FAIL: $shape: cpu $c4 s over the cap $max_cpu s"
        fail=1
    fi
    if [ "$max_out" -gt 0 ]; then
        if ! awk -v a="$o1" -v b="$o4" 'BEGIN { exit !(b <= 6 * (a > 65536 ? a : 65536)) }'; then
            echo "FAIL: $shape: the timeline grows faster than the input ($o1 -> $o4 bytes)"
            fail=1
        fi
        if [ "$o4" -gt "$max_out" ]; then
            echo "FAIL: $shape: timeline of $o4 bytes over the cap $max_out"
            fail=1
        fi
    fi
}

# Caps: RSS in KiB, CPU in seconds (generous: a linear engine needs a few
# tens of MiB and well under a second for each).
check sparse 20000 262144 30 0 0
check descending 100000 262144 30 0 0
check alternating 100000 262144 30 0 1
check destroys 100000 262144 30 0 1
check unknown 100000 262144 30 0 1
check timeline 20 262144 30 $((256 << 20)) 1 --csv-timeline @CSV@

# Past the cap (half of the memory available, here of a 150 MB address
# space): a clear error naming the file, exit 1, not a crash or a kill.
"$gen" sparse 400000 "$dir/capped.hmt"
(ulimit -v 150000 && exec "$report" "$dir/capped.hmt") >/dev/null 2>"$dir/capped.err"
rc=$?
if [ $rc -ne 1 ] || ! grep -q "capped.hmt: the analysis needs more than .* MiB" "$dir/capped.err"; then
    echo "FAIL: over the memory cap: exit $rc, not the error naming the file:"
    cat "$dir/capped.err"
    fail=1
fi

if grep -q "tick widened" "$dir/timeline-4.err"; then :; else
    echo "FAIL: timeline: no note on stderr that the tick was widened"
    fail=1
fi
exit $fail
