#!/bin/sh
# SPDX-License-Identifier: MIT
# recorder_env.sh BUILD_DIR — HMAP_TRACE in the environment:
#   - HMAP_TRACE=FILE records the whole run (checked with hmtrace_check
#     against the lengths the workload prints);
#   - "%p" in the name becomes the process id;
#   - an unwritable FILE: the program still succeeds, with exactly one
#     warning naming the file, and no trace.
set -eu
build=$1
wl=$build/tests/probes/probes_workload
check=$build/tests/probes/hmtrace_check
work=$(mktemp -d /tmp/hmap-recenv.XXXXXX)
trap 'rm -rf "$work"' EXIT

HMAP_TRACE="$work/run.hmtrace" "$wl" >"$work/final.txt"
expect=$(awk '$1 == "final" { printf " --expect %s=%s", $2, $3 }' "$work/final.txt")
# shellcheck disable=SC2086
"$check" "$work/run.hmtrace" $expect

HMAP_TRACE="$work/pid-%p.hmtrace" "$wl" >/dev/null &
pid=$!
wait $pid
[ -s "$work/pid-$pid.hmtrace" ] || { echo "FAIL: %p was not replaced by $pid:"; ls "$work"; exit 1; }
echo "ok: %p expanded to the pid"

HMAP_TRACE="$work/no/such/dir/x.hmtrace" "$wl" >/dev/null 2>"$work/err" ||
    { echo "FAIL: the workload failed with an unwritable HMAP_TRACE"; cat "$work/err"; exit 1; }
if [ "$(wc -l <"$work/err")" != 1 ] || ! grep -q "HMAP_TRACE=$work/no/such/dir/x.hmtrace" "$work/err"; then
    echo "FAIL: expected one warning naming the file, got:"; cat "$work/err"; exit 1
fi
echo "ok: unwritable HMAP_TRACE warned once: $(cat "$work/err")"
