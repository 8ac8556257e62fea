#!/bin/sh
# ctf_vs_native.sh — one run of the deterministic workload (tests/probes/
# workload.c), recorded at the same time by the in-process recorder
# (HMAP_TRACE=FILE, native format) and by a real LTTng session (CTF), gives
# the same bucketscope report from both traces, timing fields excepted
# (the two recorders take their timestamps from different clocks).
#
# Isolation as in tests/probes/equivalence.sh: a private mount namespace with
# tmpfs over /var/run/lttng and /dev/shm for a root session daemon.
#
# usage: ctf_vs_native.sh BUCKETSCOPE_REPORT BUILD_DIR
set -eu
skip() { echo "SKIPPED: $*"; exit 77; }
report=$1 build=$2
wl=$build/tests/probes/probes_workload

if [ "${BS_CTF_INNER:-}" != 1 ]; then
    [ "$(id -u)" = 0 ] || skip "needs root (root lttng-sessiond in a private mount namespace)"
    for t in lttng lttng-sessiond unshare; do
        command -v $t >/dev/null || skip "$t not installed"
    done
    [ -x "$wl" ] || skip "tests/probes workload not built ($wl)"
    ls "$build"/libmap/libhmap-lttng.so* >/dev/null 2>&1 || skip "LTTng provider not built (HMAP_PROBES without lttng)"
    BS_CTF_INNER=1 exec unshare -m --propagation private "$0" "$@"
fi

work=$(mktemp -d /tmp/bs-ctf.XXXXXX)
mount -t tmpfs none /var/run/lttng 2>/dev/null || { mkdir -p /var/run/lttng && mount -t tmpfs none /var/run/lttng; }
mount -t tmpfs none /dev/shm
export LTTNG_HOME=/var/run/lttng
sd_pid=
cleanup() {
    if [ -n "$sd_pid" ]; then
        lttng destroy -a >/dev/null 2>&1 || true
        kill "$sd_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

lttng-sessiond --daemonize --no-kernel
sd_pid=$(cat /var/run/lttng/lttng-sessiond.pid)
lttng create bs --output="$work/ctf" >/dev/null
lttng enable-channel -u --subbuf-size=1M --num-subbuf=8 ch >/dev/null
lttng enable-event -u -c ch 'hmap:*' >/dev/null
lttng add-context -u -t vpid -t vtid >/dev/null
lttng start >/dev/null
# Wait for the session daemon however loaded the machine is: an app that
# gives up registering (default 3 s) would miss its first events.
LTTNG_UST_REGISTER_TIMEOUT=-1 HMAP_LTTNG=1 HMAP_TRACE="$work/run.hmtrace" "$wl" >/dev/null
lttng stop >/dev/null
lttng destroy >/dev/null
kill "$sd_pid"; sd_pid=

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
