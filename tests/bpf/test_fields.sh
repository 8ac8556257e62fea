#!/bin/bash
# SPDX-License-Identifier: MIT
# Every field of every event arrives intact: synth_probes fires every hmap:*
# probe of the schema with values chosen to expose width, order and sign
# errors (64-bit words, u32 and u8 values with the top bit set, strings longer
# than their fields: type name, map name, object path), and
# the recording of `bucketscope-record -- synth_probes N` must equal, line for
# line, what synth_probes says it fired.  Launch mode must lose nothing: the
# command's very first probe hit is recorded.  pid/tid/timestamps are checked
# for plausibility too.
. "$(dirname "$0")/common.sh"
need_bpf
cd "$WORK"

ROUNDS=50
"$RECORD" -l "$SYNTH" -o fields.trace -- "$SYNTH" "$ROUNDS" 2>rec.log
rc=$?
cat rec.log
[ "$rc" = 0 ] || fail "recorder exit $rc"
grep -q "$((ROUNDS * PER_ROUND)) events, .* 0 lost" rec.log || fail "summary does not say $((ROUNDS * PER_ROUND)) events, 0 lost"
[ -f fields.trace ] || fail "no output file"
ls | grep -q '\.tmp\.' && fail "temporary file left behind"

dump fields.trace >got.txt || fail "dump failed"
"$SYNTH" --expect "$ROUNDS" >want.txt
diff -u want.txt got.txt >diff.txt || { head -40 diff.txt; fail "recorded fields differ from fired fields"; }
dump --summary fields.trace | grep -qx "records=$((ROUNDS * PER_ROUND)) events=$((ROUNDS * PER_ROUND)) lost=0 lost_records=0" ||
    fail "summary: $(dump --summary fields.trace)"

# One process, one thread; timestamps non-decreasing and after the file's start.
dump --ts fields.trace | awk '
    NR == 1 { pid = $2; if ($2 != $3) bad = "tid != pid in a single-threaded program" }
    { if ($2 != pid) bad = "pid changes"; if ($1 < prev) bad = "timestamps go backwards"; prev = $1 }
    END { if (bad) { print bad; exit 1 } }' || fail "header fields implausible"
echo "PASS: $((ROUNDS * PER_ROUND)) events, every field as fired"
