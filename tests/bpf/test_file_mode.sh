#!/bin/bash
# SPDX-License-Identifier: MIT
# Who may read a recording (docs/record.md, "Output file mode"): root
# recording -p a process of uid 65534 writes a file of mode 0600 owned by
# that user (who can read it, nobody else); launch mode writes mode 0600
# owned by the user who ran the recorder.  Both files end with their end
# record (the strict reader and the report accept them as whole), and a
# recording cut before its end record is refused as truncated.
. "$(dirname "$0")/common.sh"
need_bpf
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
cd "$WORK"

N=500
# The target runs as uid 65534, which cannot reach a clone under a 0700
# directory: it runs from copies it can read (the workload and libhmap).
use_private_lib
mkdir -p bin
cp "$PID_WORKLOAD" bin/pid_workload
chmod 755 "$WORK" bin bin/pid_workload lib "$PLIB"
setpriv --reuid=65534 --regid=65534 --clear-groups "${RUN_PRIVATE[@]}" "$WORK/bin/pid_workload" "$N" \
    >work.out &
WP=$!
wait_ready work.out "$WP"
start_recorder -l "$PLIB" -p "$WP" -o pid.trace
kill -USR1 "$WP"
wait_for "$REC_PID" "$WAIT_SECS"
[ "$WAIT_RC" = 0 ] || { cat "$WORK/rec.log"; fail "recorder exit $WAIT_RC"; }
[ "$(stat -c '%a %u' pid.trace)" = "600 65534" ] ||
    fail "-p file is $(stat -c 'mode %a owner %u' pid.trace), not mode 600 owner 65534"
echo "ok: -p file mode 600, owned by the target's user"
setpriv --reuid=65534 --regid=65534 --clear-groups cat pid.trace >/dev/null ||
    fail "the target's user cannot read the trace"
dump --summary pid.trace || fail "strict reader refuses the -p file"

"$RECORD" -l "$LIB" -o launch.trace -- "$WORKLOAD" >/dev/null 2>rec2.log ||
    { cat rec2.log; fail "launch-mode recording failed"; }
[ "$(stat -c '%a %u' launch.trace)" = "600 $(id -u)" ] ||
    fail "launch-mode file is $(stat -c 'mode %a owner %u' launch.trace)"
echo "ok: launch-mode file mode 600"
dump --summary launch.trace || fail "strict reader refuses the launch-mode file"
if [ -n "$REPORT" ]; then
    "$REPORT" --no-progress launch.trace >/dev/null 2>rep.err || fail "report refuses it: $(cat rep.err)"
    head -c $(($(stat -c %s launch.trace) - 48)) launch.trace >cut.trace
    if "$REPORT" --no-progress cut.trace >/dev/null 2>rep.err; then
        fail "report accepts a recording without its end record"
    fi
    grep -q "no end record" rep.err || fail "no 'no end record' message: $(cat rep.err)"
    echo "ok: without its end record the file is refused: $(cat rep.err)"
fi
echo "PASS"
