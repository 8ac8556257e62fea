#!/bin/bash
# SPDX-License-Identifier: MIT
# count.bt is never silent: when no probe fired it says so at exit; when
# probes fired it prints their counts and not that line.
. "$(dirname "$0")/common.sh"
need_bpftrace
readelf -n "$LIB" | grep -q "Name: map_create" || skip "$LIB has no hmap USDT probes"
cd "$WORK"
use_private_lib

# Nothing loads the private copy: nothing fires.
bpftrace_around none.out "$SCRIPTS/count.bt" "$PLIB" /bin/true
cat none.out
grep -qx "no hmap probe fired in $PLIB (did the program load that library?)" none.out ||
    fail "count.bt printed no 'no hmap probe fired' line when nothing fired"
grep -q '^@hits' none.out && fail "count.bt printed hits when nothing fired"

bpftrace_around some.out "$SCRIPTS/count.bt" "$PLIB" "${RUN_PRIVATE[@]}" "$PID_WORKLOAD" 10 --now
grep -q "^@hits\[usdt:$PLIB:hmap:map_create\]: 1$" some.out || { cat some.out; fail "count.bt: no map_create hit"; }
grep -q 'no hmap probe fired' some.out && fail "count.bt says nothing fired although probes did"
echo "PASS: count.bt says when no probe fired"
