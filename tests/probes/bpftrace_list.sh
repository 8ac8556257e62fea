#!/bin/sh
# SPDX-License-Identifier: MIT
# bpftrace_list.sh GEN_BPFTRACE FILE... — `bpftrace -l 'usdt:FILE:hmap:*'`
# lists every event of the schema, for libhmap.so and for a program linked
# with libhmap.a.
set -eu
skip() { echo "SKIPPED: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "bpftrace needs root"
command -v bpftrace >/dev/null || skip "bpftrace not installed"
gen=$1; shift
events=$("$gen" | sed -n 's/^usdt:\$1:hmap:\([a-z_]*\)$/\1/p' | sort)
status=0
for f in "$@"; do
    listed=$(bpftrace -l "usdt:$f:hmap:*" 2>/dev/null | sed -n 's/^usdt:.*:hmap:\([a-z_]*\)$/\1/p' | sort -u)
    if [ "$listed" = "$events" ]; then
        echo "ok: bpftrace lists all $(echo "$events" | wc -l) hmap probes in $f"
    else
        echo "FAIL: $f: bpftrace lists"; echo "$listed"; echo "expected"; echo "$events"; status=1
    fi
done
exit $status
