#!/bin/bash
# SPDX-License-Identifier: MIT
# ctf_seed_checks.sh — the CTF checks on the fuzz seed (ctf_seed.c: a small
# trace in LTTng's layout), without root or LTTng: the seed is read whole
# and the index is used; its metadata cut at every 16 bytes is refused (or,
# cut in the last packet's padding, read whole); a damaged index is left
# out; the stream cut inside its second packet is refused, and read up to
# its first packet with --allow-truncated.  Every run under a timeout net.
# docs/report.md, "CTF input checks".
#
# usage: ctf_seed_checks.sh BUCKETSCOPE_REPORT FUZZ_CTF_SEED
set -u
report=$1 seed=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work/tmp
mkdir "$TMPDIR"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
run() { # NAME ARG...: the report on $work/m
    name=$1
    shift
    timeout -s KILL 60 "$report" --no-progress --format json --ctf-timeout 5 "$@" "$work/m" >"$work/out" 2>"$work/err"
    rc=$?
    if [ $rc -gt 1 ]; then fail "$name: exit $rc: $(head -c 300 "$work/err")"; fi
}
events() { grep -o '"events": [0-9]*' "$work/out" | head -1 | awk '{print $2}'; }
"$seed" --dir "$work/seed" || exit 1
fresh() { rm -rf "$work/m" && cp -r "$work/seed" "$work/m"; }

fresh
run seed
[ $rc = 0 ] && [ "$(events)" = 6 ] && [ ! -s "$work/err" ] || fail "seed: exit $rc, $(events) events: $(cat "$work/err")"

size=$(stat -c %s "$work/seed/metadata")
refused=0 whole=0
for ((cut = 0; cut < size; cut += 16)); do
    fresh
    truncate -s $cut "$work/m/metadata"
    run "metadata cut at $cut"
    if [ $rc = 1 ]; then
        grep -q "$work/m: metadata" "$work/err" || fail "metadata cut at $cut: $(head -c 300 "$work/err")"
        refused=$((refused + 1))
    elif [ $rc = 0 ]; then
        [ "$(events)" = 6 ] || fail "metadata cut at $cut read, but $(events) events"
        whole=$((whole + 1))
    fi
done
echo "metadata cuts: $refused refused, $whole read whole"

for damage in 0 16 24 100 120; do
    fresh
    printf '\377' | dd of="$work/m/index/ch_0.idx" bs=1 seek=$damage conv=notrunc 2>/dev/null
    run "index byte $damage"
    [ $rc = 0 ] && [ "$(events)" = 6 ] && grep -q "ch_0.idx: .*left out" "$work/err" ||
        fail "index byte $damage: exit $rc, $(events) events: $(head -c 300 "$work/err")"
done

first=$(od -An -j 88 -N 8 --endian=big -t u8 "$work/seed/index/ch_0.idx" | tr -d ' ')
fresh
truncate -s $((first + 50)) "$work/m/ch_0"
run "stream cut"
[ $rc = 1 ] && grep -q "$work/m/ch_0: stream truncated: .* offset $first " "$work/err" ||
    fail "stream cut: exit $rc: $(head -c 300 "$work/err")"
run "stream cut, --allow-truncated" --allow-truncated
[ $rc = 0 ] && [ "$(events)" = 3 ] && grep -q "\"truncated_at\": \"$work/m/ch_0 offset $first " "$work/out" ||
    fail "stream cut, --allow-truncated: exit $rc, $(events) events: $(head -c 300 "$work/err")"

[ -z "$(ls -A "$TMPDIR")" ] || fail "views left behind: $(ls -A "$TMPDIR")"
[ $fails = 0 ] || { echo "$fails failures"; exit 1; }
echo "ok: seed read, $refused metadata cuts refused, damaged index left out, truncated stream bounded"
