#!/bin/bash
# SPDX-License-Identifier: MIT
# A recording in which no hmap probe fired is not a success: exit 4, one line
# naming the library and the command, and the (valid, empty) file is still
# written (docs/record.md, "Exit status").  With -p, a process that never
# mapped the library is also said to have never mapped it.
. "$(dirname "$0")/common.sh"
need_bpf
readelf -n "$LIB" | grep -q "Name: map_create" || skip "$LIB has no hmap USDT probes"
cd "$WORK"
use_private_lib

# --- launch mode: a command that never loads that libhmap ---
"$RECORD" -l "$PLIB" -o true.trace -- /bin/true 2>true.log
rc=$?
cat true.log
[ "$rc" = 4 ] || fail "nothing fired (launch): exit $rc, want 4"
grep -qx "bucketscope-record: no hmap probe fired in $PLIB during the recording (did /bin/true use that libhmap?)" true.log ||
    fail "nothing fired (launch): no clear line"
"$DUMP" --summary true.trace >true.sum || fail "the empty trace does not parse"
[ -z "$("$DUMP" true.trace)" ] || fail "the empty trace holds records"

# --- -p: a process that never maps the library ---
sleep 3600 &
SP=$!
"$RECORD" -l "$PLIB" -p "$SP" -o sleep.trace -d 0.5 2>sleep.log
rc=$?
kill "$SP"
cat sleep.log
[ "$rc" = 4 ] || fail "nothing fired (-p): exit $rc, want 4"
grep -q "no hmap probe fired in $PLIB during the recording (did process $SP use" sleep.log ||
    fail "nothing fired (-p): no clear line"
grep -q "warning: process $SP never mapped $PLIB" sleep.log || fail "-p: no never-mapped warning"
"$DUMP" --summary sleep.trace >/dev/null || fail "-p: the empty trace does not parse"
echo "PASS: a recording where nothing fired exits 4 and says so"
