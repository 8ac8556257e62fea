#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Lost counts that add up past 2^64 - 1 (two lost records of 2^63 each) are
# reported as 2^64 - 1 with a warning, never wrapped to a small number, in
# the native and the bpftrace reader alike.
#   lost_saturate.sh BUCKETSCOPE_REPORT GEN_LOST_WRAP
set -uo pipefail
REPORT=$1 GEN=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
"$GEN" "$tmp/w.hmt" "$tmp/w.bt" || { echo "FAIL: generator"; exit 1; }
for f in w.hmt w.bt; do
    "$REPORT" --no-progress --format json "$tmp/$f" >"$tmp/$f.json" 2>"$tmp/$f.err"
    got=$(grep -o '"lost_events": [0-9]*' "$tmp/$f.json" | awk '{print $2}')
    if [ "$got" = 18446744073709551615 ] && grep -q "lost counts add up" "$tmp/$f.err"; then
        echo "ok: $f: lost_events saturated at $got, and said: $(cat "$tmp/$f.err")"
    else
        echo "FAIL: $f: lost_events $got, stderr: $(cat "$tmp/$f.err")"
        fails=$((fails + 1))
    fi
done
exit $((fails > 0))
