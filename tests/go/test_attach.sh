#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bucketscope gorecord -p PID (docs/go.md, "Attaching"): tests/go/truth, in
# its -attach scenario and built by Go VERSION, makes and fills a map, then
# waits; the recorder attaches; the program writes to that old map and makes,
# churns and dumps a fresh one, then exits, which ends the recording.  The
# fresh map must match bucket by bucket; the old map must be in the trace
# once, as a state bracket with status "unseen" (state unknown: nothing of
# it guessed), and in the report as such.
#   test_attach.sh VERSION [pie]
# pie: the program built -buildmode=pie, run at the address the kernel
# picks (docs/go.md, "Position-independent binaries").
source "$(dirname "$0")/common.sh"
V=$1
MODE=${2:-exe}
[ "$(id -u)" = 0 ] || skip "not root: attaching BPF to uprobes needs root"
[ -e /sys/bus/event_source/devices/uprobe ] || skip "kernel has no uprobe PMU"
build_truth_as "$MODE" "$V" "$WORK/truth.full"
strip -o "$WORK/truth" "$WORK/truth.full" || fail "strip failed"
"$WORK/truth" -attach "$WORK/ready" "$WORK/go" "$WORK/dumps.txt" &
PROG=$!
for _ in $(seq 1200); do [ -e "$WORK/ready" ] && break; sleep 0.1; done
[ -e "$WORK/ready" ] || { kill $PROG; fail "the program never got ready"; }
"$GORECORD" -o "$WORK/t.hmtrace" -p "$PROG" 2>"$WORK/rec.err" &
REC=$!
for _ in $(seq 1200); do grep -q '^bucketscope-gorecord: recording' "$WORK/rec.err" && break; sleep 0.1; done
grep -q 'recording .* from now on' "$WORK/rec.err" || { kill $PROG $REC; cat "$WORK/rec.err"; fail "the recorder did not attach"; }
touch "$WORK/go"
wait $PROG || fail "the program failed ($?)"
wait $REC || { cat "$WORK/rec.err"; fail "gorecord -p exited $?"; }
grep -v '^libbpf' "$WORK/rec.err"
grep -q ' 0 lost' "$WORK/rec.err" || fail "events were lost"
grep -qE 'hits on [1-9][0-9]* maps never seen created' "$WORK/rec.err" ||
    fail "the map made before the attach was not reported as unseen"
"$CHECK" "$WORK/t.hmtrace" "$WORK/dumps.txt" >"$WORK/check.txt" ||
    { cat "$WORK/check.txt"; fail "the fresh map does not match its real buckets"; }
cat "$WORK/check.txt"
grep -qE '^map keep: [1-9][0-9]* bucket checks, 0 mismatches' "$WORK/check.txt" || fail "fresh map not checked"
"$DUMP" --fields "$WORK/t.hmtrace" >"$WORK/fields.txt"
# The old map: one bracket, status 3 (unseen), and no bucket of it invented.
grep -E '^state_end .* status=3$' "$WORK/fields.txt" >"$WORK/unseen.txt" || fail "no unseen state bracket"
old=$(sed -n '1s/.* map=\([0-9a-fx]*\) .*/\1/p' "$WORK/unseen.txt")
[ -n "$old" ] || fail "bracket without a map"
grep -E "^(bucket_array_alloc|tophash_write|overflow_alloc) map=$old " "$WORK/fields.txt" | head -3 |
    grep . && fail "events invented for the unseen map $old"
grep -qE "^state_begin map=$old count=2000 " "$WORK/fields.txt" ||
    fail "the unseen map's bracket does not carry its count at the first write seen"
if [ -n "${REPORT:-}" ]; then
    "$REPORT" "$WORK/t.hmtrace" >"$WORK/report.txt" 2>&1 || { cat "$WORK/report.txt"; fail "report failed"; }
    grep -q "state unknown: unseen" "$WORK/report.txt" || { cat "$WORK/report.txt"; fail "report does not say the old map's state is unknown"; }
fi
echo "PASS: go$V: attached, fresh map matched, old map unseen"
