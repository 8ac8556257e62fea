#!/bin/bash
# SPDX-License-Identifier: MIT
# `record -- CMD` passes on CMD's exit status when it recorded cleanly, as
# strace does; its own statuses come first (docs/record.md, "Exit status").
. "$(dirname "$0")/common.sh"
need_bpf
cd "$WORK"

# Clean recording, CMD exits 7: the recorder exits 7.
"$RECORD" -l "$SYNTH" -o seven.trace -- "$SYNTH" --exit 7 3 2>seven.log
rc=$?
cat seven.log
[ "$rc" = 7 ] || fail "clean recording of a CMD exiting 7: exit $rc, want 7"
grep -q ' 0 lost' seven.log || fail "the recording was not clean"
grep -q 'exited with status 7' seven.log || fail "the summary does not say CMD's status"
[ -f seven.trace ] || fail "no trace written"

# CMD exiting 0: 0.
"$RECORD" -l "$SYNTH" -o zero.trace -- "$SYNTH" 3 2>zero.log
rc=$?
[ "$rc" = 0 ] || { cat zero.log; fail "CMD exiting 0: exit $rc, want 0"; }

# The recorder's own status first: nothing fired (4) beats CMD's 7 (the
# probes fire in sh's child, which is not traced).
"$RECORD" -l "$SYNTH" -o empty.trace -- sh -c "\"$SYNTH\" 3; exit 7" 2>empty.log
rc=$?
[ "$rc" = 4 ] || { cat empty.log; fail "empty recording of a CMD exiting 7: exit $rc, want 4"; }
echo "PASS: CMD's exit status passed on after a clean recording; 3-6 take precedence"
