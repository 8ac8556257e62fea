#!/bin/bash
# SPDX-License-Identifier: MIT
# d2f_hist.bt sizes its maps itself and says when they are full
# (docs/record.md, "bpftrace scripts"):
# - run directly (its shebang sets BPFTRACE_MAP_KEYS_MAX), on N = 100 000
#   bucket arrays that hold a delete at the same time (bpf_many_blocks), its
#   counts equal bucketscope report's on a recording of the same run: N
#   deletes in freed blocks, N freed blocks, N histogram samples;
# - run as `bpftrace d2f_hist.bt` with bpftrace's default map size (4096
#   keys), the same workload makes it print its SATURATED line.
. "$(dirname "$0")/common.sh"
need_bpftrace
readelf -n "$LIB" | grep -q "Name: map_create" || skip "$LIB has no hmap USDT probes"
[ -n "${REPORT:-}" ] || skip "bucketscope-report is not built"
[ -x "$SCRIPTS/d2f_hist.bt" ] || fail "$SCRIPTS/d2f_hist.bt is not executable"
head -1 "$SCRIPTS/d2f_hist.bt" | grep -q '^#!/usr/bin/env -S BPFTRACE_MAP_KEYS_MAX=[0-9]* bpftrace$' ||
    fail "d2f_hist.bt has no shebang sizing its maps: $(head -1 "$SCRIPTS/d2f_hist.bt")"
cd "$WORK"
use_private_lib
N=100000

# --- run directly: the shebang sizes the maps; same run recorded ---
# A 64 MiB ring holds the whole run (~7 events of ~50 bytes per block), so
# the recording loses nothing however slowly the recorder is scheduled.
tracer_around direct.out env -u BPFTRACE_MAP_KEYS_MAX "$SCRIPTS/d2f_hist.bt" "$PLIB" -- \
    "$RECORD" -l "$PLIB" -b 64M -o many.trace -- "${RUN_PRIVATE[@]}" "$MANY_BLOCKS" "$N"
cat direct.out.cmd
grep -q ' 0 lost' direct.out.cmd || fail "the recording lost events"
grep -v '^\[' direct.out
grep -q '^SATURATED' direct.out && fail "d2f_hist.bt run directly saturated"
"$REPORT" --format json --no-progress many.trace >report.json || fail "report failed"
read -r total reused freed < <(sed -n 's/^  "deletes": {"total": \([0-9]*\), "reused": \([0-9]*\), "freed": \([0-9]*\),.*/\1 \2 \3/p' report.json)
[ "$total" = "$N" ] && [ "$freed" = "$N" ] && [ "$reused" = 0 ] ||
    fail "report: $total deletes, $freed freed, $reused reused; want $N, $N, 0"
grep -qx "@deletes_in_freed_blocks: $freed" direct.out ||
    fail "d2f_hist.bt deletes_in_freed_blocks differs from the report's $freed freed deletes"
grep -qx "@blocks_freed_with_deletes: $N" direct.out || fail "d2f_hist.bt: not $N freed blocks with deletes"
grep -qx "@blocks_pending: 0" direct.out || fail "d2f_hist.bt: blocks still pending"
samples=$(hist_samples direct.out)
dtf=$(sed -n 's/^    "delete_to_free": {"count": \([0-9]*\),.*/\1/p' report.json)
[ "$samples" = "$dtf" ] || fail "histogram holds $samples samples, report's delete_to_free $dtf"

# --- as `bpftrace d2f_hist.bt`, default map size: says it saturated ---
tracer_around default.out env -u BPFTRACE_MAP_KEYS_MAX bpftrace "$SCRIPTS/d2f_hist.bt" "$PLIB" -- \
    "${RUN_PRIVATE[@]}" "$MANY_BLOCKS" "$N"
grep -v '^\[' default.out
grep -q '^SATURATED: at least [1-9][0-9]* deletes .* set BPFTRACE_MAP_KEYS_MAX' default.out ||
    fail "d2f_hist.bt at bpftrace's default map size printed no SATURATED line"
untracked=$(sed -n 's/^@deletes_not_tracked: \([0-9]*\)$/\1/p' default.out)
tracked=$(sed -n 's/^@deletes_in_freed_blocks: \([0-9]*\)$/\1/p' default.out)
[ "$((untracked + tracked))" = "$N" ] ||
    fail "saturated run: $tracked tracked + $untracked not tracked != $N deletes"
echo "PASS: d2f_hist.bt sizes its maps (same counts as the report) and reports saturation"
