#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The ground truth (docs/go.md, "Ground truth"): tests/go/truth built by Go
# VERSION (stripped, as a production binary would be) is recorded by
# bucketscope-gorecord; the trace replayed into a shadow of every bucket
# must match the real tophash bytes the program dumped at every phase, with
# 0 mismatches, 0 losses, the GC sweep freeing blocks, and bucketscope
# report reading the trace.
#   test_gorecord.sh VERSION [pie]
# pie: the program built -buildmode=pie, run at the address the kernel
# picks (docs/go.md, "Position-independent binaries").
source "$(dirname "$0")/common.sh"
V=$1
MODE=${2:-exe}
[ "$(id -u)" = 0 ] || skip "not root: attaching BPF to uprobes needs root"
[ -e /sys/bus/event_source/devices/uprobe ] || skip "kernel has no uprobe PMU"
build_truth_as "$MODE" "$V" "$WORK/truth.full"
strip -o "$WORK/truth" "$WORK/truth.full" || fail "strip failed"
"$GORECORD" -v -o "$WORK/t.hmtrace" -- "$WORK/truth" "$WORK/dumps.txt" 2>"$WORK/rec.all" ||
    { rc=$?; grep -v '^libbpf' "$WORK/rec.all" >&2; fail "gorecord exited $rc"; }
grep -v ': site [0-9]' "$WORK/rec.all" | grep -v '^libbpf' >"$WORK/rec.err"
# Sweeps of spans holding no tracked block are dropped in BPF (the frees of
# tracked blocks are still all there: checked below).
grep -qE ': site [0-9]+ runtime\.\(\*sweepLocked\)\.sweep 0x[0-9a-f]+ [^:]*: [1-9][0-9]* hits, [1-9][0-9]* dropped' "$WORK/rec.all" ||
    fail "no sweep was dropped in BPF: $(grep 'sweepLocked' "$WORK/rec.all")"
cat "$WORK/rec.err"
# Every map function of the program's four key/value kinds was hit
# (docs/go.md, "Ground truth"): fast64, faststr, the generic path, clear.
for f in mapassign_fast64 mapdelete_fast64 mapassign_faststr mapdelete_faststr mapassign mapdelete \
         evacuate_fast64 evacuate_faststr evacuate mapclear; do
    grep -qE ": site [0-9]+ runtime\.$f 0x[0-9a-f]+ [^:]*: [1-9][0-9]* hits" "$WORK/rec.all" ||
        fail "runtime.$f was never hit"
done
grep -q ' 0 lost' "$WORK/rec.err" || fail "events were lost"
# Cost (docs/go.md, "Cost"): the stores that are not tophash stores (h.flags)
# are dropped by the BPF program, so none reaches the loader, and the
# stack-check branch, not the entry's compare, is probed.
grep -qE '\([1-9][0-9]* dropped in BPF' "$WORK/rec.err" || fail "no store was dropped in BPF"
grep -q ' 0 stores outside tracked tophash' "$WORK/rec.err" ||
    fail "non-tophash stores reached the loader"
"$CHECK" "$WORK/t.hmtrace" "$WORK/dumps.txt" >"$WORK/check.txt" ||
    { cat "$WORK/check.txt"; fail "the shadow does not match the real buckets"; }
cat "$WORK/check.txt"
for m in keep strs ptrs wide sized tiny; do
    grep -qE "^map $m: [1-9][0-9]* bucket checks, 0 mismatches" "$WORK/check.txt" ||
        fail "map $m was not checked bucket by bucket"
done
"$DUMP" --fields "$WORK/t.hmtrace" | awk '{print $1}' | sort | uniq -c >"$WORK/counts"
for ev in map_create bucket_array_alloc overflow_alloc tophash_write grow_start evacuate grow_done bucket_free map_destroy overflow_unlink; do
    grep -q " $ev\$" "$WORK/counts" || fail "no $ev event: $(cat "$WORK/counts")"
done
# Pointerful buckets: old chains unlinked at their evacuation and freed with
# that reason; clears unlink allocator overflow buckets (schema/hmap_events.h:
# unlink_cause 1 evacuated, 2 clear; free_reason 1 evacuated, 3 clear).
"$DUMP" --fields "$WORK/t.hmtrace" >"$WORK/fields.txt"
grep -q '^overflow_unlink .* cause=1 ' "$WORK/fields.txt" || fail "no old chain unlinked at evacuation"
grep -q '^overflow_unlink .* cause=2 ' "$WORK/fields.txt" || fail "no overflow bucket unlinked by a clear"
grep -qE '^bucket_free .* reason=1$' "$WORK/fields.txt" || fail "no block freed as an evacuated old chain"
grep -qE '^bucket_free .* reason=3$' "$WORK/fields.txt" || fail "no block freed after a clear"
grep -q '^tophash_write .* cause=5$' "$WORK/fields.txt" || fail "no slot emptied by a clear"
# Creation sites: makemap*'s caller named FUNCTION:LINE from .gopclntab (the
# binary is stripped), for makemap_small (keep) and makemap with a hint (sized).
for pat in 'keep = make(map\[uint64\]uint64) // makemap_small' 'sized = make(map\[uint64\]uint64, 300)'; do
    line=$(grep -n "$pat" "$HERE/truth/main.go" | cut -d: -f1)
    grep -qE "^map_info .* name=main\.main:$line\$" "$WORK/fields.txt" ||
        fail "no map created at main.main:$line: $(grep '^map_info' "$WORK/fields.txt" | head -12)"
done
if [ -n "${REPORT:-}" ]; then
    "$REPORT" "$WORK/t.hmtrace" >"$WORK/report.txt" 2>&1 || { cat "$WORK/report.txt"; fail "report failed"; }
    grep -q '^deletes: ' "$WORK/report.txt" || fail "report has no delete summary"
    # The Go section (docs/go.md, "The report"): its deletes are the
    # trace's delete writes, each reused, freed or pending; both latencies;
    # keep, dropped by the program, died without a destroy of its own.
    dels=$(grep -c '^tophash_write .* cause=1$' "$WORK/fields.txt")
    line=$(grep '^Go: [0-9]* maps, ' "$WORK/report.txt") || fail "no Go section: $(cat "$WORK/report.txt")"
    echo "$line"
    read -r d r f p < <(echo "$line" | sed -E 's/.* ([0-9]+) deletes: ([0-9]+) slots reused by an insert, ([0-9]+) freed by the GC .*\), ([0-9]+) not freed.*/\1 \2 \3 \4/')
    [ "$d" = "$dels" ] || fail "Go section: $d deletes, the trace has $dels"
    [ $((r + f + p)) = "$d" ] || fail "Go section: reused $r + freed $f + pending $p != $d deletes"
    grep -qE '^Go: delete -> unreachable latency .*: [1-9]' "$WORK/report.txt" || fail "no delete -> unreachable latency"
    grep -qE '^Go: delete -> freed by the GC latency: [1-9]' "$WORK/report.txt" || fail "no delete -> freed latency"
    grep -qE '^Go: [1-9][0-9]* maps died without a destroy event' "$WORK/report.txt" || fail "no map died unseen"
    grep -q '^Go hides: maps that never escape' "$WORK/report.txt" || fail "the report does not say what Go hides"
    # site_offset is the site minus the binary's load address (schema), so
    # that the first PT_LOAD's address plus it is the caller in the file's
    # terms, for a PIE too: addr2line (of the return address minus 1) names
    # the line the trace's name says.
    "$REPORT" --format csv "$WORK/t.hmtrace" >"$WORK/maps.csv" || fail "report --format csv failed"
    base=$(readelf -lW "$WORK/truth.full" | awk '$1 == "LOAD" { print $3; exit }')
    read -r name off < <(awk -F, 'NR > 1 && $24 ~ /^"main\.main:/ { gsub(/"/, "", $24); print $24, $26; exit }' "$WORK/maps.csv")
    [ -n "${off:-}" ] || fail "no map with a main.main site in the CSV"
    where=$(addr2line -f -e "$WORK/truth.full" "$(printf '0x%x' $((off + base - 1)))" | tr '\n' ' ')
    case "$where" in
    "main.main "*":${name#main.main:} ") echo "ok: site_offset $off is $where" ;;
    *) fail "site_offset $off of $name: addr2line says $where" ;;
    esac
    # The same figures in the JSON "go" object (docs/report.md, "JSON
    # schema"); tests/go/test_go_report.sh checks it in depth.
    if command -v jq >/dev/null; then
        "$REPORT" --format json "$WORK/t.hmtrace" >"$WORK/report.json" || fail "report --format json failed"
        got=$(jq -r '.go | "\(.deletes) \(.reused) \(.freed) \(.pending) \(.maps_died.maps | length)"' "$WORK/report.json")
        [ "${got% *}" = "$d $r $f $p" ] && [ "${got##* }" -gt 0 ] ||
            fail "JSON go object ($got) is not the text section's ($d $r $f $p, a dead map listed)"
    fi
fi
echo "PASS: go$V recorded with 0 mismatches"
