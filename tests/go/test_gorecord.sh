#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The ground truth (docs/go.md, "Ground truth"): tests/go/truth built by Go
# VERSION (stripped, as a production binary would be) is recorded by
# bucketscope-gorecord; the trace replayed into a shadow of every bucket
# must match the real tophash bytes the program dumped at every phase, with
# 0 mismatches, 0 losses, the GC sweep freeing blocks, and bucketscope
# report reading the trace.
#   test_gorecord.sh VERSION
source "$(dirname "$0")/common.sh"
V=$1
[ "$(id -u)" = 0 ] || skip "not root: attaching BPF to uprobes needs root"
[ -e /sys/bus/event_source/devices/uprobe ] || skip "kernel has no uprobe PMU"
build_truth "$V" "$WORK/truth.full"
strip -o "$WORK/truth" "$WORK/truth.full" || fail "strip failed"
"$GORECORD" -o "$WORK/t.hmtrace" -- "$WORK/truth" "$WORK/dumps.txt" 2>"$WORK/rec.err" ||
    { cat "$WORK/rec.err" >&2; fail "gorecord exited $?"; }
cat "$WORK/rec.err"
grep -q ' 0 lost' "$WORK/rec.err" || fail "events were lost"
# Cost (docs/go.md, "Cost"): the stores that are not tophash stores (h.flags)
# are dropped by the BPF program, so none reaches the loader, and the
# stack-check branch, not the entry's compare, is probed.
grep -qE '\([1-9][0-9]* dropped in BPF' "$WORK/rec.err" || fail "no store was dropped in BPF"
grep -q ' 0 stores outside tracked tophash' "$WORK/rec.err" ||
    fail "non-tophash stores reached the loader"
"$CHECK" "$WORK/t.hmtrace" "$WORK/dumps.txt" || fail "the shadow does not match the real buckets"
"$DUMP" --fields "$WORK/t.hmtrace" | awk '{print $1}' | sort | uniq -c >"$WORK/counts"
for ev in map_create bucket_array_alloc overflow_alloc tophash_write grow_start evacuate grow_done bucket_free map_destroy; do
    grep -q " $ev\$" "$WORK/counts" || fail "no $ev event: $(cat "$WORK/counts")"
done
if [ -n "${REPORT:-}" ]; then
    "$REPORT" "$WORK/t.hmtrace" >"$WORK/report.txt" 2>&1 || { cat "$WORK/report.txt"; fail "report failed"; }
    grep -q '^deletes: ' "$WORK/report.txt" || fail "report has no delete summary"
fi
echo "PASS: go$V recorded with 0 mismatches"
