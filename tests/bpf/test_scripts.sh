#!/bin/bash
# SPDX-License-Identifier: MIT
# The bpftrace scripts print what their header comments promise:
# - count.bt: one @hits line per probe with the exact number of hits;
# - d2f_hist.bt: a log2 histogram with one sample per freed block that held
#   deletes, and the exact number of deletes in freed blocks.
# First against synth_probes (every count known by construction), then
# against a real libhmap program, compared with bucketscope-record.
. "$(dirname "$0")/common.sh"
need_bpftrace
cd "$WORK"

# --- count.bt, synthetic: every probe fired ROUNDS times ---
ROUNDS=30
run_bpftrace -c "$SYNTH $ROUNDS" "$SCRIPTS/count.bt" "$SYNTH" >count.out 2>count.err ||
    { cat count.err; fail "count.bt failed"; }
grep -q '^Counting hmap:\* probes in ' count.out || fail "count.bt printed no header line"
for ev in map_create map_destroy bucket_array_alloc overflow_alloc tophash_write grow_start \
          evacuate grow_done overflow_unlink bucket_free; do
    grep -qx "@hits\[usdt:$SYNTH:hmap:$ev\]: $ROUNDS" count.out ||
        { cat count.out; fail "count.bt: $ev not counted $ROUNDS times"; }
done

# Checked on both row shapes, so the counter cannot pass by reading one kind.
# Printed twice (an interval probe, then END): only the last one counts.
printf '@x: \n[0]  1 |@ |\n\n@x: \n[0]  4 |@@@@ |\n[1]  5 |@@@@@|\n[4, 8)  1 |@ |\n[1K, 2K)  2 |@@ |\n\n@n: 3\n' >hist.sample
[ "$(hist_samples hist.sample)" = 12 ] || fail "hist_samples miscounts bpftrace rows: $(hist_samples hist.sample)"

# --- d2f_hist.bt, synthetic: rounds k%3==1 delete in block addr_k, then free it ---
run_bpftrace -c "$SYNTH $ROUNDS" "$SCRIPTS/d2f_hist.bt" "$SYNTH" >d2f.out 2>d2f.err ||
    { cat d2f.err; fail "d2f_hist.bt failed"; }
cat d2f.out
grep -q '^@d2f_us:' d2f.out || fail "d2f_hist.bt printed no histogram"
samples=$(hist_samples d2f.out)
[ "$samples" = $((ROUNDS / 3)) ] || fail "histogram holds $samples samples, want $((ROUNDS / 3))"
grep -qx "@blocks_freed_with_deletes: $((ROUNDS / 3))" d2f.out || fail "blocks_freed_with_deletes"
grep -qx "@deletes_in_freed_blocks: $((ROUNDS / 3))" d2f.out || fail "deletes_in_freed_blocks"
grep -qx "@blocks_pending: 0" d2f.out || fail "blocks_pending"

# --- against libhmap ---
readelf -n "$LIB" | grep -q "Name: map_create" || skip "$LIB has no hmap USDT probes (synthetic checks passed)"
use_private_lib
N=3000
"$RECORD" -l "$PLIB" -o ref.trace -- "${RUN_PRIVATE[@]}" "$PID_WORKLOAD" "$N" --now >/dev/null 2>rec.log ||
    { cat rec.log; fail "reference recording failed"; }
dump ref.trace | awk '{ n[$1]++ } END { for (e in n) print e, n[e] }' | sort >want.txt
bpftrace_around count2.out "$SCRIPTS/count.bt" "$PLIB" "${RUN_PRIVATE[@]}" "$PID_WORKLOAD" "$N" --now
sed -n 's/^@hits\[usdt:.*:hmap:\(.*\)\]: \([0-9]*\)$/\1 \2/p' count2.out | sort >got.txt
diff -u want.txt got.txt || fail "count.bt counts differ from the recorded trace"

bpftrace_around d2f2.out "$SCRIPTS/d2f_hist.bt" "$PLIB" "${RUN_PRIVATE[@]}" "$PID_WORKLOAD" "$N" --now
cat d2f2.out
grep -qx "@deletes_in_freed_blocks: $((N / 2))" d2f2.out ||
    fail "d2f_hist.bt: not all $((N / 2)) deletes ended in a freed block (hmap_free frees all)"
grep -qx "@blocks_pending: 0" d2f2.out || fail "d2f_hist.bt: blocks still pending after hmap_free"
echo "PASS: count.bt and d2f_hist.bt print what they promise"
