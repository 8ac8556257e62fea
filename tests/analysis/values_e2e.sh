#!/bin/bash
# SPDX-License-Identifier: MIT
# values_e2e.sh — values over 128 bytes live in their own allocations, as in
# Go, so a delete gives the value's memory back at once and keeps the
# bucket slot.  values_workload stores 20 000 sessions of 1 KiB and deletes
# every second one; the report must show the values' bytes given back at
# the deletes (while running) and the buckets' bytes kept, each equal to
# the program's own hmap_get_stats, in JSON and in the text summary.
#
# usage: values_e2e.sh BUCKETSCOPE_REPORT VALUES_WORKLOAD
set -u
report=$1 wl=$2
fail() {
    echo "FAIL: $*"
    exit 1
}
command -v jq >/dev/null || { echo "SKIPPED: jq not installed (scripts/deps.sh installs it)"; exit 77; }
work=$(mktemp -d /tmp/bs-values.XXXXXX)
trap 'rm -rf "$work"' EXIT
N=20000
"$wl" $N "$work/v.trace" >"$work/wl.out" || fail "values_workload failed"
cat "$work/wl.out"
read -r _ _ fill_b fill_i _ < <(grep '^stats filled' "$work/wl.out")
read -r _ _ del_b del_i count < <(grep '^stats deleted' "$work/wl.out")
[ "$count" = $((N / 2)) ] || fail "workload kept $count entries"

"$report" --no-progress --format json "$work/v.trace" >"$work/r.json" || fail "report failed"
j() { jq -r "$@" "$work/r.json"; }
sel='.maps[] | select(.name == "sessions")'
[ "$(j '[.data_quality.unmatched[]] | add')" = 0 ] || fail "unmatched events: $(j -c '.data_quality.unmatched')"
[ "$(j '.data_quality.lost_events')" = 0 ] || fail "the trace lost $(j '.data_quality.lost_events') events"
given=$(j "$sel | .reclaimed_bytes.indirect.while_running")
[ "$given" = $((fill_i - del_i)) ] ||
    fail "values given back while running: report $given, program $((fill_i - del_i))"
[ "$given" = $((N / 2 * 1024)) ] || fail "values given back: $given, not $((N / 2)) x 1 KiB"
got=$(j "$sel | .indirect_bytes_final")
[ "$got" = "$del_i" ] || fail "values held at the end: report $got, program $del_i"
got=$(j "$sel | .bucket_bytes_final")
[ "$got" = "$del_b" ] || fail "buckets held at the end: report $got, program $del_b"
[ "$del_b" = "$fill_b" ] || fail "the deletes changed the bucket bytes ($fill_b -> $del_b)"

"$report" --no-progress "$work/v.trace" >"$work/r.txt" || fail "text report failed"
grep -q "sessions" "$work/r.txt" || fail "the text report does not name the map"
grep -qi "indirect" "$work/r.txt" || fail "the text report does not split indirect objects"
echo "PASS: $((N / 2)) deletes gave back $given bytes of values; $del_b bucket bytes kept"
