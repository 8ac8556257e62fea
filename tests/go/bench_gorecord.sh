#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# CPU cost per probe hit of bucketscope gorecord (docs/go.md, "Cost"); a
# benchmark, not a test (never run by ctest).
#
#   bench_gorecord.sh RUNS GO-PROGRAM [GORECORD...]
#
# Runs GO-PROGRAM (called with one argument, a scratch file, as the programs
# of tests/go/ are) untraced and under each GORECORD, interleaved, RUNS
# times.  CPU is user+sys of the whole run (/usr/bin/time: the recorder and
# its child; the kernel's uprobe work is charged to the child's sys time).
# Per recorder it prints the median, min and max CPU, the probe hits it
# counted (its summary line) and (median traced CPU - median untraced CPU) /
# hits in microseconds.
set -u
RUNS=$1 PROG=$2
shift 2
W=$(mktemp -d /tmp/go-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
cpu() { awk '{print $1 + $2}' "$1"; }
med() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)], a[1], a[NR]}'; }
for r in $(seq "$RUNS"); do
    /usr/bin/time -o "$W/t" -f '%U %S' "$PROG" "$W/out" >/dev/null 2>&1
    cpu "$W/t" >>"$W/base"
    i=0
    for rec in "$@"; do
        i=$((i + 1))
        rm -f "$W/trace"
        /usr/bin/time -o "$W/t" -f '%U %S' "$rec" -o "$W/trace" -- "$PROG" "$W/out" \
            >/dev/null 2>"$W/err.$i"
        cpu "$W/t" >>"$W/cpu.$i"
        sed -n 's/.* \([0-9]*\) probe hits.*/\1/p' "$W/err.$i" >>"$W/hits.$i"
    done
done
read -r bm bmin bmax < <(med <"$W/base")
echo "untraced: median ${bm} s CPU (min $bmin, max $bmax), $RUNS runs"
i=0
for rec in "$@"; do
    i=$((i + 1))
    read -r m mn mx < <(med <"$W/cpu.$i")
    read -r h _ _ < <(med <"$W/hits.$i")
    awk -v r="$rec" -v m="$m" -v mn="$mn" -v mx="$mx" -v h="$h" -v b="$bm" 'BEGIN {
        printf "%s: median %.2f s CPU (min %.2f, max %.2f), %d hits, %.1f us/hit\n",
               r, m, mn, mx, h, h ? (m - b) / h * 1e6 : 0 }'
done
