#!/bin/bash
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
start_recorder -l "$PLIB" -o wide.trace
"${RUN_PRIVATE[@]}" "$PID_WORKLOAD" "$N" --now >/dev/null || fail "workload failed"
kill -INT "$REC_PID"
wait_for "$REC_PID" 30
cat rec.log
[ "$WAIT_RC" = 0 ] || fail "system-wide recorder exit $WAIT_RC after SIGINT"
"$DUMP" wide.trace >wide.txt || fail "system-wide trace does not parse"
creates=$(grep -c '^map_create ' wide.txt)
inserts=$(grep -c '^tophash_write .* cause=0$' wide.txt)
[ "$creates" = 1 ] && [ "$inserts" = "$N" ] || fail "system-wide: $creates map_create, $inserts inserts"
"$DUMP" --ts wide.trace | awk '$2 == 0 { exit 1 }' || fail "a record has pid 0"

# --- -d ---
start=$(date +%s%N)
"$RECORD" -l "$PLIB" -o dur.trace -d 0.5 2>dur.log
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$rc" = 0 ] || { cat dur.log; fail "-d 0.5: exit $rc"; }
[ "$ms" -lt 5000 ] || fail "-d 0.5 took $ms ms"
"$DUMP" --summary dur.trace >/dev/null || fail "-d trace does not parse"

# --- launch mode, SIGTERM forwarded to the command ---
start_recorder -l "$LIB" -o term.trace -- sleep 60
kill -TERM "$REC_PID"
wait_for "$REC_PID" 10
cat rec.log
[ "$WAIT_RC" = 0 ] || fail "launch mode: exit $WAIT_RC after SIGTERM"
grep -q 'sleep was killed by signal 15' rec.log || fail "SIGTERM was not passed to the command"
"$DUMP" --summary term.trace >/dev/null || fail "launch-mode trace does not parse"
ls | grep -q '\.tmp\.' && fail "temporary file left behind"
echo "PASS: clean stop on SIGINT, -d and command exit"
