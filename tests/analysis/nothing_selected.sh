#!/bin/bash
# SPDX-License-Identifier: MIT
# bucketscope-report never answers an empty question with an empty report
# and exit 0 (docs/report.md, "Exit status"): an input without events, or a
# --pid / --map / --since / --until that selects no event, gives one line on
# stderr saying so and exit 3; and a window reports its own length.
# Usage: nothing_selected.sh BUCKETSCOPE_REPORT GEN_GOLDEN
set -u
BIN=$1 GEN=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
"$GEN" golden.hmt golden.bt || { echo "FAIL: generator"; exit 1; }

# nothing NAME PATTERN ARGS...: exit 3, exactly one stderr line matching PATTERN.
nothing() {
    local name=$1 pat=$2 rc
    shift 2
    "$BIN" --no-progress "$@" >out.txt 2>err.txt
    rc=$?
    if [ "$rc" = 3 ] && [ "$(wc -l <err.txt)" = 1 ] && grep -q "$pat" err.txt; then
        ok "$name: exit 3, $(cat err.txt)"
    else
        fail "$name: exit $rc, stderr: $(cat err.txt)"
    fi
}
nothing "--map 0xdead" 'nothing selected: no event of golden.hmt matches --map 0xdead' --map dead golden.hmt
nothing "--pid 999999" 'nothing selected: no event of golden.hmt matches --pid 999999' --pid 999999 golden.hmt
nothing "--since past the end" 'nothing selected: the window --since 10.000 s holds no event' --since 10s golden.hmt
nothing "--since past the end, json" 'nothing selected' --format json --since 10s golden.hmt
grep -q '"schema": "bucketscope-report/[0-9]*"' out.txt && ok "the empty JSON report is still written" ||
    fail "no JSON report written"
# The first 64 bytes of a native trace are its file header: a valid trace
# with no record at all.
head -c 64 golden.hmt >empty.hmt
nothing "native trace without events" 'empty.hmt holds no hmap event' empty.hmt
printf 'Attaching 10 probes...\n' >empty.bt
nothing "bpftrace output without events" 'empty.bt holds no hmap event' empty.bt

# Selections that do select something still exit 0 with nothing on stderr.
for args in "--pid 5151" "--since 1ms" "--until 150us"; do
    # shellcheck disable=SC2086
    "$BIN" --no-progress $args golden.hmt >out.txt 2>err.txt
    rc=$?
    [ "$rc" = 0 ] && [ ! -s err.txt ] && ok "$args: exit 0" || fail "$args: exit $rc, $(cat err.txt)"
done

# A window's length is its own, not the time since the first event.
"$BIN" --no-progress --since 100us --until 300us golden.hmt >win.txt
grep -q '^[0-9,]* events over 200.000 µs, since +100.000 µs, until +300.000 µs$' win.txt &&
    ok "--since 100us --until 300us: over 200 us" || fail "window length: $(sed -n 2p win.txt)"
"$BIN" --no-progress --since 1ms golden.hmt >win2.txt
grep -q '^[0-9,]* events over 1.200 ms, since +1.000 ms$' win2.txt &&
    ok "--since 1ms of a 2.2 ms trace: over 1.2 ms" || fail "window length: $(sed -n 2p win2.txt)"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "PASS: nothing to report is said, with exit 3; windows have their own length"
