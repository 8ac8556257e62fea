#!/bin/sh
# SPDX-License-Identifier: MIT
# ctf_vs_native.sh — one run of the deterministic workload (tests/probes/
# workload.c), recorded at the same time by the in-process recorder
# (HMAP_TRACE=FILE, native format) and by a real LTTng session (CTF), gives
# the same bucketscope report from both traces, timing fields excepted
# (the two recorders take their timestamps from different clocks).
#
# Isolation: scripts/lib/lttng_session.sh (a private mount namespace with
# tmpfs over /var/run/lttng and /dev/shm for a root session daemon).
#
# usage: ctf_vs_native.sh BUCKETSCOPE_REPORT BUILD_DIR
set -eu
skip() { echo "SKIPPED: $*"; exit 77; }
report=$1 build=$2
wl=$build/tests/probes/probes_workload
. "$(dirname "$0")/../../scripts/lib/lttng_session.sh"

if [ "${BS_CTF_INNER:-}" != 1 ]; then
    lttng_session_require
    [ -x "$wl" ] || skip "tests/probes workload not built ($wl)"
    ls "$build"/libmap/libhmap-lttng.so* >/dev/null 2>&1 || skip "LTTng provider not built (HMAP_PROBES without lttng)"
fi
lttng_session_enter_ns BS_CTF_INNER "$0" "$@"

work=$(mktemp -d /tmp/bs-ctf.XXXXXX)
cleanup() {
    lttng_daemon_stop
    rm -rf "$work"
}
trap cleanup EXIT

lttng_daemon_start
lttng_session_start bs "$work/ctf" --subbuf-size=1M --num-subbuf=8
# Wait for the session daemon however loaded the machine is: an app that
# gives up registering (default 3 s) would miss its first events.
LTTNG_UST_REGISTER_TIMEOUT=-1 HMAP_LTTNG=1 HMAP_TRACE="$work/run.hmtrace" "$wl" >/dev/null
lttng_session_stop
lttng_daemon_stop

"$report" --no-progress --format json "$work/run.hmtrace" >"$work/native.json"
"$report" --no-progress --format json "$work/ctf" >"$work/ctf.json"

# Keep what does not depend on the clock: counts, bytes, outcomes, maps.
untimed() {
    grep -v -e '"inputs"' -e lost_spans "$1" | sed -E \
        -e 's/"(p50_ns|p90_ns|p99_ns|p999_ns|max_ns|mean_ns|km_median_ns|empty_byte_seconds|first_ns_abs|last_ns_abs|span_ns)": [0-9.]+/"\1": T/g' \
        -e 's/"log2_usecs": \[[^]]*\]/"log2_usecs": T/g'
}
untimed "$work/native.json" >"$work/native.untimed"
untimed "$work/ctf.json" >"$work/ctf.untimed"
deletes=$(grep -o '"total": [0-9]*' "$work/native.json" | awk '{print $2}')
events=$(grep -o '"events": [0-9]*' "$work/native.json" | awk '{print $2}')
[ "${deletes:-0}" -gt 100 ] || { echo "FAIL: only ${deletes:-0} deletes in the native trace"; exit 1; }
grep -q '"discarded_events": 0,' "$work/ctf.json" || { echo "FAIL: LTTng discarded events"; exit 1; }
# The real map core's events must fit the model: nothing unmatched, and every
# delete has exactly one outcome (the workload destroys its maps: none retained).
if grep '"unmatched"' "$work/native.json" | grep -q ': [1-9]'; then
    grep '"unmatched"' "$work/native.json"; echo "FAIL: unmatched events in a real trace"; exit 1
fi
num() { grep -o "\"$1\": [0-9]*" "$work/native.json" | head -1 | awk '{print $2}'; }
if [ "$(num total)" != $(($(num reused) + $(num freed) + $(num retained) + $(num unresolved))) ] ||
   [ "$(num retained)" != 0 ] || [ "$(num unresolved)" != 0 ]; then
    grep '"deletes": {"total"' "$work/native.json"; echo "FAIL: delete outcomes do not add up"; exit 1
fi
if ! diff -u "$work/native.untimed" "$work/ctf.untimed"; then
    echo "FAIL: the CTF trace and the native trace of the same run give different reports"
    exit 1
fi
echo "ok: $events events, $deletes deletes: identical reports from CTF and native traces"
