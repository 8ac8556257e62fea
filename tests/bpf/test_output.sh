#!/bin/bash
# SPDX-License-Identifier: MIT
# Where the recording goes, and what happens when it cannot go there
# (docs/record.md, "Exit status"):
#   -o DIR            exit 2 before anything is attached or written;
#   rename fails      (FILE became a directory during the run): exit 5, the
#                     whole recording kept as FILE.tmp.PID and named on stderr;
#   disk full         (a 256 KiB tmpfs in a private mount namespace): exit 6,
#                     the part written kept as FILE.tmp.PID, cut at a record
#                     boundary, a valid trace whose events are the ones stderr
#                     says, with a lost record counting the rest;
#   -l not-a-library  exit 1 with what is wrong with the file (not ELF, an
#                     object file, no hmap probes), no file left.
. "$(dirname "$0")/common.sh"
need_bpf
cd "$WORK"

no_files() { # DESCRIPTION: nothing but logs left in $WORK
    local left
    left=$(ls -A "$WORK" | grep -v -e '\.log$' -e '^d$' -e '^keep$')
    [ -z "$left" ] || fail "$1 left files behind: $left"
}

# --- -o naming a directory: refused up front -----------------------------------
mkdir d
"$RECORD" -l "$SYNTH" -o d -- "$SYNTH" 3 2>dir.log
rc=$?
[ "$rc" = 2 ] || fail "-o DIR: exit $rc, want 2: $(cat dir.log)"
grep -q '^bucketscope-record: -o d is a directory' dir.log || fail "-o DIR: message: $(head -1 dir.log)"
grep -q 'recording' dir.log && fail "-o DIR: recorded before refusing"
[ -z "$(ls -A d)" ] || fail "-o DIR wrote into it: $(ls -A d)"
"$RECORD" -l "$SYNTH" -o nosuch/ -- "$SYNTH" 3 2>dir2.log
rc=$?
[ "$rc" = 2 ] && grep -q 'is a directory' dir2.log || fail "-o with a trailing slash: exit $rc: $(head -1 dir2.log)"
no_files "-o DIR"
echo "ok: -o DIR refused before recording (exit 2)"

# --- the final rename fails: the complete recording is kept ------------------
ROUNDS=5
"$RECORD" -l "$SYNTH" -o out.hmtrace -- sh -c 'mkdir out.hmtrace && touch out.hmtrace/x && exec "$0" "$1"' \
    "$SYNTH" "$ROUNDS" 2>rename.log
rc=$?
cat rename.log
[ "$rc" = 5 ] || fail "rename failure: exit $rc, want 5"
kept=$(sed -n 's/.*the complete recording is kept as \(.*\)$/\1/p' rename.log)
[ -n "$kept" ] || fail "rename failure: no 'kept as' line"
grep -q "cannot rename .* to out.hmtrace: Is a directory" rename.log || fail "rename failure: reason not said"
[ -f "$kept" ] || fail "rename failure: $kept does not exist"
dump --summary "$kept" | grep -qx "records=$((ROUNDS * PER_ROUND)) events=$((ROUNDS * PER_ROUND)) lost=0 lost_records=0" ||
    fail "kept file: $(dump --summary "$kept" 2>&1)"
grep -q -- "-> $kept " rename.log || fail "summary does not name the kept file"
rm -rf out.hmtrace "$kept"
echo "ok: rename failure: exit 5, whole recording kept as $kept"

# --- -l naming a file that cannot hold the probes ------------------------------
bad_lib() { # DESCRIPTION PATTERN LIB
    local rc
    "$RECORD" -l "$3" -o bad.hmtrace -- /bin/true 2>lib.log
    rc=$?
    [ "$rc" = 1 ] || fail "-l $1: exit $rc, want 1: $(cat lib.log)"
    [ "$(wc -l <lib.log)" = 1 ] && grep -q "$2" lib.log || fail "-l $1: message: $(cat lib.log)"
    grep -q -i 'kernel' lib.log && fail "-l $1 blames the kernel: $(cat lib.log)"
    no_files "-l $1"
    echo "ok: -l $1: $(cat lib.log)"
}
mkdir keep
echo 'int f(void) { return 1; }' >keep/o.c
cc -c -o keep/o.o keep/o.c || fail "cc"
bad_lib "a text file" "/etc/passwd is not an ELF file" /etc/passwd
bad_lib "a directory" "keep is a directory, not an ELF file" keep
bad_lib "an object file" "keep/o.o is an ELF relocatable object" keep/o.o
bad_lib "an ELF without probes" "/bin/true has no hmap USDT probes" /bin/true

# --- a full disk: what was written is kept, cut at a record boundary ----------
command -v unshare >/dev/null || skip "unshare (util-linux) is not installed: disk-full case not run"
unshare -m true 2>/dev/null || skip "cannot make a mount namespace (unshare -m): disk-full case not run"
mkdir full
ROUNDS=20000 # ~16 MB of records for a 256 KiB file system
# In a private mount namespace, so the tmpfs is gone when it exits: the
# kept file is copied out from inside.
unshare -m sh -c '
    mount -t tmpfs -o size=256k bs-full "$1" || exit 90
    "$2" -l "$3" -o "$1/t.hmtrace" -- "$3" "$4" 2>"$5"
    rc=$?
    ls -A "$1" >"$5.ls"
    for f in "$1"/*; do cp "$f" "$6/keep/partial.hmtrace"; done
    exit $rc' sh "$WORK/full" "$RECORD" "$SYNTH" "$ROUNDS" "$WORK/full.log" "$WORK"
rc=$?
[ "$rc" = 90 ] && skip "cannot mount a tmpfs in a private mount namespace: disk-full case not run"
cat full.log
[ "$rc" = 6 ] || fail "disk full: exit $rc, want 6"
grep -q "writing $WORK/full/t.hmtrace failed: No space left on device; the partial trace is kept as $WORK/full/t.hmtrace.tmp.[0-9]*:" full.log ||
    fail "disk full: error and kept name not said"
[ "$(cat full.log.ls)" = "$(basename "$(sed -n 's/.*kept as \([^:]*\):.*/\1/p' full.log)")" ] ||
    fail "disk full: the file system holds $(cat full.log.ls), not only the kept file"
on_disk=$(sed -n 's/.*its first \([0-9]*\) events (\([0-9]*\) bytes); \([0-9]*\) events recorded after them were not written.*/\1 \2 \3/p' full.log)
[ -n "$on_disk" ] || fail "disk full: counts not said"
read -r events bytes unwritten <<<"$on_disk"
[ "$events" -gt 0 ] && [ "$unwritten" -gt 0 ] || fail "disk full: $events events kept, $unwritten not written"
[ "$(stat -c %s keep/partial.hmtrace)" -le $((256 * 1024)) ] || fail "partial file larger than the file system"
[ "$(stat -c %s keep/partial.hmtrace)" -ge "$bytes" ] || fail "partial file shorter than the $bytes bytes said"
# A valid trace, cut at a record: the dumper validates every record.
sum=$(dump --cut-ok --summary keep/partial.hmtrace 2>cut.log) || fail "partial trace does not parse: $sum"
grep -q "no end record" cut.log || fail "the partial trace has an end record: it is not cut"
echo "partial trace: $sum"
case "$sum" in
"records="*" events=$events "*) ;;
*) fail "partial trace holds not the $events events stderr said: $sum" ;;
esac
if grep -q 'counted in a lost record' full.log; then
    # It counts the events not written and the drops the recorder counted
    # (the summary's LOST) that no lost record on disk says.
    dropped=$(sed -n 's/.* events, [0-9]* bytes, LOST \([0-9]*\) .*/\1/p' full.log)
    want=$((unwritten + ${dropped:-0}))
    echo "$sum" | grep -q "lost=$want lost_records=1" ||
        fail "lost record does not count the $unwritten unwritten and ${dropped:-0} dropped events: $sum"
fi
if [ -n "$REPORT" ]; then
    # Cut short, so the report says so, and reads it when allowed to.
    "$REPORT" --no-progress keep/partial.hmtrace >report.log 2>&1 &&
        fail "report took the partial trace for a whole one: $(cat report.log)"
    grep -q "no end record" report.log || fail "report does not say the trace was cut: $(cat report.log)"
    "$REPORT" --no-progress --allow-truncated keep/partial.hmtrace >report.log 2>&1
    rc=$?
    [ "$rc" = 0 ] || [ "$rc" = 3 ] || fail "report --allow-truncated on the partial trace: exit $rc: $(cat report.log)"
fi
echo "PASS: -o DIR refused, rename failure kept (5), disk full kept cut (6), -l checked"
