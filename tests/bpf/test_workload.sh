#!/bin/bash
# SPDX-License-Identifier: MIT
# The deterministic workload of the probe tests (tests/probes/workload.c:
# fixed seed; inserts, deletes, doubling and same-size growth, clear,
# destroy), recorded by `bucketscope-record -- workload`, yields exactly the
# same event sequence and field values as libhmap's in-process recorder, with
# zero lost.
#
# Addresses: both recorders watch the SAME process run (the recorder launches
# `env HMAP_TRACE=FILE workload`; env execs the workload in the same process,
# which the recorder follows), so addresses, pid and tid must match exactly
# and are compared raw; only timestamps are left out.  A second, separate run
# is compared with addresses normalized to their order of first appearance.
# Done for the shared library and for the statically linked workload (probes
# in the executable, -l pointing at it).
. "$(dirname "$0")/common.sh"
need_bpf
[ -n "${WORKLOAD:-}" ] && [ -x "$WORKLOAD" ] || skip "tests/probes workload is not built"
readelf -n "$LIB" | grep -q "Name: map_create" || skip "$LIB has no hmap USDT probes (built with HMAP_PROBES without usdt)"
cd "$WORK"

compare_same_run() {    # compare_same_run LABEL LIBPATH PROGRAM
    local label=$1 lib=$2 prog=$3
    "$RECORD" -l "$lib" -o "$label.bpf" -- env HMAP_TRACE="$WORK/$label.inproc" "$prog" \
        >"$label.out" 2>"$label.log"
    local rc=$?
    cat "$label.log"
    [ "$rc" = 0 ] || fail "$label: recorder exit $rc"
    grep -q ' 0 lost' "$label.log" || fail "$label: recorder reports losses"
    dump --summary "$label.inproc" | grep -q ' lost=0 ' || fail "$label: in-process recorder lost events"
    dump --ts "$label.bpf" | cut -d' ' -f2- >"$label.bpf.txt" || fail "$label: BPF trace does not parse"
    dump --ts "$label.inproc" | cut -d' ' -f2- >"$label.inproc.txt" || fail "$label: in-process trace does not parse"
    local n
    n=$(wc -l <"$label.inproc.txt")
    [ "$n" -gt 1000 ] || fail "$label: only $n events in the in-process trace"
    diff -u "$label.inproc.txt" "$label.bpf.txt" >"$label.diff" ||
        { head -30 "$label.diff"; fail "$label: BPF recording differs from the in-process recording"; }
    echo "$label: $n events identical (pid, tid, every field)"
}

compare_same_run shared "$LIB" "$WORKLOAD"
if [ -n "${WORKLOAD_STATIC:-}" ] && [ -x "$WORKLOAD_STATIC" ]; then
    compare_same_run static "$WORKLOAD_STATIC" "$WORKLOAD_STATIC"
fi

# A separate run: same sequence once addresses are normalized.
"$RECORD" -l "$LIB" -o run2.bpf -- "$WORKLOAD" >/dev/null 2>run2.log || { cat run2.log; fail "second run failed"; }
dump --norm shared.inproc >a.txt
dump --norm run2.bpf >b.txt
diff -u a.txt b.txt >/dev/null || { diff -u a.txt b.txt | head -20; fail "separate run differs after normalization"; }
echo "PASS: BPF recording == in-process recording, zero lost"
