#!/bin/bash
# SPDX-License-Identifier: MIT
# A deliberately tiny ring buffer (one page, ~60 records) that cannot keep
# up: the losses are counted, written into the file as lost records, printed
# in the summary, and signalled by exit status 3; the file still parses and
# recorded + lost events add up to exactly what was fired.
#
# To make the overflow certain rather than a race with the consumer, the
# recorder is stopped (SIGSTOP) while the command fires its 3000 rounds,
# then continued; it must then drain, account and finish normally.
. "$(dirname "$0")/common.sh"
need_bpf
cd "$WORK"

ROUNDS=3000   # 3000 * PER_ROUND events
start_recorder -l "$SYNTH" -b 4K -o loss.trace -- "$SYNTH" --wait "$ROUNDS" >synth.out
# The command must be waiting for its signal (a SIGUSR1 before that kills it).
wait_ready synth.out "$REC_PID"
SP=$(pgrep -P "$REC_PID" -f "$SYNTH") || fail "cannot find the launched command"
kill -STOP "$REC_PID"
kill -USR1 "$SP"
# Until the command has fired everything and exited (a zombie: its parent,
# the recorder, is stopped).  Going on before would let the recorder drain
# while events are still fired, and the overflow would no longer be certain.
end=$((SECONDS + WAIT_SECS))
until [ "$(awk '{ print $3 }' "/proc/$SP/stat" 2>/dev/null)" = Z ]; do
    [ "$SECONDS" -lt "$end" ] || { kill -CONT "$REC_PID"; fail "the command did not finish firing within $WAIT_SECS s"; }
    sleep 0.05
done
kill -CONT "$REC_PID"
wait_for "$REC_PID" "$WAIT_SECS"
rc=$WAIT_RC
cat rec.log
[ "$rc" = 3 ] || fail "exit $rc, want 3 (recorded with losses)"
grep -q 'LOST [1-9][0-9]* (ring full [1-9]' rec.log || fail "summary does not report ring-full losses"
[ -f loss.trace ] || fail "lossy recording left no file"
sum=$(dump --summary loss.trace) || fail "lossy file does not parse"
echo "$sum"
events=$(echo "$sum" | sed 's/.*events=\([0-9]*\).*/\1/')
lost=$(echo "$sum" | sed 's/.*lost=\([0-9]*\).*/\1/')
lrecs=$(echo "$sum" | sed 's/.*lost_records=\([0-9]*\).*/\1/')
[ "$lrecs" -ge 1 ] || fail "no lost record in the file"
[ "$events" -ge 1 ] && [ "$events" -lt 200 ] || fail "$events events recorded through a one-page ring"
[ $((events + lost)) = $((ROUNDS * PER_ROUND)) ] || fail "events $events + lost $lost != fired $((ROUNDS * PER_ROUND))"
grep -q "LOST $lost " rec.log || fail "printed loss differs from the file's ($lost)"
# What was recorded is intact: the first events fired, in order.
"$SYNTH" --expect "$ROUNDS" | head -n "$events" >want.txt
dump loss.trace | grep -v '^lost ' >got.txt
diff -u want.txt got.txt >/dev/null || { diff -u want.txt got.txt | head; fail "recorded events are not the first ones fired"; }
echo "PASS: $lost of $((ROUNDS * PER_ROUND)) lost, counted in $lrecs lost records"
