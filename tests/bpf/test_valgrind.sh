#!/bin/bash
# SPDX-License-Identifier: MIT
# bucketscope-record is valgrind-clean on a real recording (launch mode,
# attach, ring buffer, lost-record bookkeeping, rename) and on a refused run:
# no invalid access, no use of uninitialised memory, no leak.  valgrind.supp
# holds only two false positives inside libbpf's bpf_map_create().
. "$(dirname "$0")/common.sh"
need_bpf
command -v valgrind >/dev/null || skip "valgrind is not installed"
cd "$WORK"
VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
    --suppressions="$HERE/valgrind.supp")

"${VG[@]}" "$RECORD" -l "$SYNTH" -o vg.trace -- "$SYNTH" 20 2>vg.log
rc=$?
grep -v 'unhandled eBPF command' vg.log
[ "$rc" = 0 ] || fail "valgrind run exit $rc"
dump --summary vg.trace | grep -q "events=$((20 * PER_ROUND)) lost=0" || fail "valgrind run recorded wrong content"

"${VG[@]}" "$RECORD" -l /nonexistent -o vg2.trace -- /bin/true 2>vg2.log
rc=$?
grep -v 'unhandled eBPF command' vg2.log
[ "$rc" = 1 ] || fail "refused run under valgrind: exit $rc, want 1"
echo "PASS: valgrind clean"
