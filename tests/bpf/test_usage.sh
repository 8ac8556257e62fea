#!/bin/bash
# SPDX-License-Identifier: MIT
# Nonsensical command lines are refused with a usage line and exit 2, before
# anything is loaded or written (needs no privilege).
. "$(dirname "$0")/common.sh"
cd "$WORK"

expect_usage() {
    local rc
    "$RECORD" "$@" >out.txt 2>err.txt
    rc=$?
    [ "$rc" = 2 ] || fail "'$*': exit $rc, want 2"
    grep -q '^usage: bucketscope-record' err.txt || fail "'$*': no usage line: $(cat err.txt)"
    [ -z "$(ls "$WORK" | grep -v -e out.txt -e err.txt)" ] || fail "'$*' left files behind"
}
expect_usage --no-such-option
expect_usage -x
expect_usage -p 1 -- /bin/true
expect_usage -p notapid
expect_usage -p 0
expect_usage -b 1000
expect_usage -b 3M
expect_usage -b 2G
expect_usage -d -1
expect_usage -d abc
expect_usage -o ''
"$RECORD" --help >out.txt 2>&1 || fail "--help failed"
grep -q '^usage: bucketscope-record' out.txt || fail "--help printed no usage"
"$RECORD" -l /nonexistent/libhmap.so -- /bin/true 2>err.txt
rc=$?
[ "$rc" = 1 ] || fail "missing library: exit $rc, want 1"
grep -q '/nonexistent/libhmap.so' err.txt || fail "missing library not named: $(cat err.txt)"
echo "PASS: usage errors refused with exit 2"
