#!/bin/bash
# SPDX-License-Identifier: MIT
# Without -l, bucketscope-record finds the probes from the target, never from
# the build tree (docs/record.md, "Which library"):
# - `-- CMD` (found through PATH) that loads a private copy of libhmap through
#   LD_LIBRARY_PATH: that copy is recorded, and the summary names it;
# - `-- CMD` that links libhmap statically: CMD itself;
# - `-p PID` of a process that mapped the private copy: that copy;
# - `-l` naming that copy through a symlinked directory or a hard link: no
#   "has not mapped" warning (compared by device and inode), all recorded;
# - `-- sh -c ...`, `-p` of a process without libhmap: exit 1, one line
#   saying to pass -l, no file;
# - system-wide without -l: a usage error (exit 2), no file.
. "$(dirname "$0")/common.sh"
need_bpf
readelf -n "$LIB" | grep -q "Name: map_create" || skip "$LIB has no hmap USDT probes"
cd "$WORK"
use_private_lib
N=500

# --- launch mode, CMD through PATH, library through LD_LIBRARY_PATH ---
mkdir bin
cp "$PID_WORKLOAD" bin/bpf_pid_workload
PATH="$WORK/bin:$PATH" LD_LIBRARY_PATH="$WORK/lib" \
    "$RECORD" -o cmd.trace -- bpf_pid_workload "$N" --now >/dev/null 2>cmd.log
rc=$?
cat cmd.log
[ "$rc" = 0 ] || fail "launch mode without -l: exit $rc, want 0"
grep -q "recording $PER_ROUND probes of $PLIB " cmd.log || fail "launch mode did not attach to $PLIB"
grep -q " 0 lost, .* -> cmd.trace (probes of $PLIB)" cmd.log || fail "summary does not name $PLIB"
inserts=$(dump cmd.trace | grep -c '^tophash_write .* cause=0$')
[ "$inserts" = "$N" ] || fail "launch mode recorded $inserts inserts, want $N"

# --- launch mode, static program ---
if [ -n "${WORKLOAD_STATIC:-}" ] && [ -x "$WORKLOAD_STATIC" ]; then
    cp "$WORKLOAD_STATIC" bin/static_workload
    "$RECORD" -o static.trace -- "$WORK/bin/static_workload" >/dev/null 2>static.log
    rc=$?
    cat static.log
    [ "$rc" = 0 ] || fail "static program without -l: exit $rc, want 0"
    grep -q "(probes of $WORK/bin/static_workload)" static.log || fail "static: summary does not name the program"
    n=$(dump static.trace | grep -c '^map_create ')
    [ "$n" -gt 0 ] || fail "static: no map_create recorded"
fi

# --- -p, the library found in /proc/PID/maps ---
"${RUN_PRIVATE[@]}" "$PID_WORKLOAD" "$N" >pid.out &
WP=$!
wait_ready pid.out "$WP"
start_recorder -p "$WP" -o pid.trace
kill -USR1 "$WP"
wait_for "$REC_PID" "$WAIT_SECS"
cat rec.log
[ "$WAIT_RC" = 0 ] || fail "-p without -l: exit $WAIT_RC, want 0"
grep -q "(probes of $PLIB)" rec.log || fail "-p: summary does not name $PLIB"
inserts=$(dump pid.trace | grep -c '^tophash_write .* cause=0$')
[ "$inserts" = "$N" ] || fail "-p recorded $inserts inserts, want $N"

# --- -l naming the mapped library by another path ---
# Whether the process has mapped the library is told by (device, inode), not
# by the path text in /proc/PID/maps: through a symlinked directory, and
# through a hard link (a path the process never used, as a bind mount or
# /proc/PID/root would give), there must be no "has not mapped" warning, and
# uprobes (set per file) record everything.
ln -s "$WORK/lib" "$WORK/symlinked"
mkdir "$WORK/hard"
ln "$PLIB" "$WORK/hard/$(basename "$PLIB")"
for via in symlinked hard; do
    alias=$WORK/$via/$(basename "$PLIB")
    "${RUN_PRIVATE[@]}" "$PID_WORKLOAD" "$N" >"$via.out" &
    WP=$!
    wait_ready "$via.out" "$WP"
    start_recorder -l "$alias" -p "$WP" -o "$via.trace"
    kill -USR1 "$WP"
    wait_for "$REC_PID" "$WAIT_SECS"
    cat rec.log
    [ "$WAIT_RC" = 0 ] || fail "-l $alias: exit $WAIT_RC, want 0"
    grep -q 'has not mapped\|never mapped' rec.log && fail "-l $alias: warned that the process has not mapped it"
    inserts=$(dump "$via.trace" | grep -c '^tophash_write .* cause=0$')
    [ "$inserts" = "$N" ] || fail "-l $alias recorded $inserts inserts, want $N"
done

# --- a wrapper that does not link libhmap ---
"$RECORD" -o sh.trace -- sh -c "exec $PID_WORKLOAD 10 --now" >/dev/null 2>sh.log
rc=$?
cat sh.log
[ "$rc" = 1 ] || fail "sh -c wrapper: exit $rc, want 1"
[ "$(wc -l <sh.log)" = 1 ] || fail "sh -c wrapper: want one line"
grep -q '^bucketscope-record: sh does not link libhmap.* pass -l' sh.log || fail "sh -c wrapper: no clear line"
ls | grep -q '^sh\.trace' && fail "sh -c wrapper left a file"

# --- -p of a process without libhmap ---
sleep 3600 &
SP=$!
"$RECORD" -p "$SP" -o nolib.trace -d 1 2>nolib.log
rc=$?
kill "$SP"
cat nolib.log
[ "$rc" = 1 ] || fail "-p of a process without libhmap: exit $rc, want 1"
grep -q "process $SP has not mapped a libhmap.so.* pass -l" nolib.log || fail "-p without libhmap: no clear line"
ls | grep -q '^nolib\.trace' && fail "-p without libhmap left a file"

# --- system-wide without -l ---
"$RECORD" -o wide.trace -d 1 2>wide.log
rc=$?
[ "$rc" = 2 ] || fail "system-wide without -l: exit $rc, want 2"
grep -q 'system-wide recording needs -l' wide.log || fail "system-wide: no reason: $(cat wide.log)"
grep -q '^usage: bucketscope-record' wide.log || fail "system-wide: no usage line"
ls | grep -q '^wide\.trace' && fail "system-wide without -l left a file"
echo "PASS: the library is found from the target without -l"
