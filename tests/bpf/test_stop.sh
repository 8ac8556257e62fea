#!/bin/bash
# SPDX-License-Identifier: MIT
# The recorder stops cleanly, flushing everything, on each of its stop
# conditions, and the file is complete each time:
# - system-wide (no -p, no command) until SIGINT: a libhmap program started
#   after the attach is recorded whole (the semaphores are already set when
#   it starts);
# - -d SECONDS: stops by itself;
# - launch mode + SIGTERM: the signal is passed to the command, recording
#   goes on until the command has exited, and its exit is reported.
. "$(dirname "$0")/common.sh"
need_bpf
readelf -n "$LIB" | grep -q "Name: map_create" || skip "$LIB has no hmap USDT probes (built with HMAP_PROBES without usdt)"
cd "$WORK"
use_private_lib

# --- system-wide, SIGINT ---
N=1000
t0=$(date +%s%N)
start_recorder -l "$PLIB" -o wide.trace
attach_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
"${RUN_PRIVATE[@]}" "$PID_WORKLOAD" "$N" --now >/dev/null || fail "workload failed"
t0=$(date +%s%N)
kill -INT "$REC_PID"
wait_for "$REC_PID" "$WAIT_SECS"
stop_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
cat rec.log
[ "$WAIT_RC" = 0 ] || fail "system-wide recorder exit $WAIT_RC after SIGINT"
dump wide.trace >wide.txt || fail "system-wide trace does not parse"
creates=$(grep -c '^map_create ' wide.txt)
inserts=$(grep -c '^tophash_write .* cause=0$' wide.txt)
[ "$creates" = 1 ] && [ "$inserts" = "$N" ] || fail "system-wide: $creates map_create, $inserts inserts"
dump --ts wide.trace | awk '$2 == 0 { exit 1 }' || fail "a record has pid 0"

# --- -d ---
# A -d 0.5 run is an attach, 0.5 s of recording and a stop, each of which
# was just measured on this machine: it must end by itself within ten times
# that (not, say, after 500 s or never).
limit_ms=$(( 10 * (attach_ms + 500 + stop_ms) ))
start=$(date +%s%N)
"$RECORD" -l "$PLIB" -o dur.trace -d 0.5 2>dur.log &
wait_for $! $(( limit_ms / 1000 + 1 ))
rc=$WAIT_RC
ms=$(( ($(date +%s%N) - start) / 1000000 ))
# Nothing runs the private library meanwhile: exit 4, nothing fired.
[ "$rc" = 4 ] || { cat dur.log; fail "-d 0.5: exit $rc, want 4 (no probe fired)"; }
[ "$ms" -lt "$limit_ms" ] || fail "-d 0.5 took $ms ms (attach took $attach_ms ms, stop $stop_ms ms)"
dump --summary dur.trace >/dev/null || fail "-d trace does not parse"

# --- launch mode, SIGTERM forwarded to the command ---
# The sleep outlasts any delay before the SIGTERM: it must die of the signal.
start_recorder -l "$LIB" -o term.trace -- sleep 3600
kill -TERM "$REC_PID"
wait_for "$REC_PID" "$WAIT_SECS"
cat rec.log
# sleep fires no probe: exit 4, nothing fired.
[ "$WAIT_RC" = 4 ] || fail "launch mode: exit $WAIT_RC after SIGTERM, want 4 (no probe fired)"
grep -q 'sleep was killed by signal 15' rec.log || fail "SIGTERM was not passed to the command"
dump --summary term.trace >/dev/null || fail "launch-mode trace does not parse"
ls | grep -q '\.tmp\.' && fail "temporary file left behind"
echo "PASS: clean stop on SIGINT, -d and command exit"
