#!/bin/bash
# SPDX-License-Identifier: MIT
# Every field of every event arrives intact: synth_probes fires every hmap:*
# probe of the schema with values chosen to expose width, order and sign
# errors (64-bit words, u32 and u8 values with the top bit set, strings longer
# than their fields: type name, map name, object path), and
# the recording of `bucketscope-record -- synth_probes N` must equal, line for
# line, what synth_probes says it fired.  Launch mode must lose nothing: the
# command's very first probe hit is recorded.  pid/tid/timestamps are checked
# for plausibility too.  Done for three builds of synth_probes whose USDT
# argument specs use every operand kind (registers of every width,
# immediates, memory at a register plus offset).
. "$(dirname "$0")/common.sh"
need_bpf
cd "$WORK"

ROUNDS=50
# fields PROGRAM: record PROGRAM's rounds and compare every field.
fields() {
    local synth=$1 name
    name=$(basename "$synth")
    "$RECORD" -v -l "$synth" -o "$name.trace" -- "$synth" "$ROUNDS" 2>"$name.log"
    rc=$?
    grep -v '^libbpf' "$name.log"
    [ "$rc" = 0 ] || fail "$name: recorder exit $rc"
    grep -q "$((ROUNDS * PER_ROUND)) events, .* 0 lost" "$name.log" || fail "$name: summary does not say $((ROUNDS * PER_ROUND)) events, 0 lost"
    [ -f "$name.trace" ] || fail "$name: no output file"
    ls | grep -q '\.tmp\.' && fail "$name: temporary file left behind"

    dump "$name.trace" >"$name.got" || fail "$name: dump failed"
    "$synth" --expect "$ROUNDS" >"$name.want"
    diff -u "$name.want" "$name.got" >"$name.diff" || { head -40 "$name.diff"; fail "$name: recorded fields differ from fired fields"; }
    dump --summary "$name.trace" | grep -qx "records=$((ROUNDS * PER_ROUND)) events=$((ROUNDS * PER_ROUND)) lost=0 lost_records=0" ||
        fail "$name: summary: $(dump --summary "$name.trace")"

    # One process, one thread; timestamps non-decreasing and after the file's start.
    dump --ts "$name.trace" | awk '
        NR == 1 { pid = $2; if ($2 != $3) bad = "tid != pid in a single-threaded program" }
        { if ($2 != pid) bad = "pid changes"; if ($1 < prev) bad = "timestamps go backwards"; prev = $1 }
        END { if (bad) { print bad; exit 1 } }' || fail "$name: header fields implausible"
    echo "$name: $((ROUNDS * PER_ROUND)) events, every field as fired"
}
# Register and immediate operands (libhmap's build); then the same probes
# with stack-slot operands too (-O2 with sdt.h's default constraint) and
# with frame slots nearly everywhere (-O0): the recorder decodes each kind
# itself (bpf/usdt_spec.c), and a probe with sites of different specs goes
# through libbpf's bpf_usdt_arg() (-v says which).
fields "$SYNTH"
for s in "${SYNTH_NOR:-}" "${SYNTH_O0:-}"; do
    [ -n "$s" ] && fields "$s"
done
grep -q "decoded by the recorder" "$(basename "$SYNTH").log" || fail "-v does not say how arguments are decoded"
echo "PASS: every field as fired, for every operand kind"
