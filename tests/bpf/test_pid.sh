#!/bin/bash
# SPDX-License-Identifier: MIT
# Attach by -p to a process that is already running and has mapped libhmap:
# every event after the attach is recorded.  bpf_pid_workload prints "ready",
# waits for SIGUSR1 (sent once the recorder says it is recording), runs N
# inserts, N/2 deletes and hmap_free, and exits; the recorder stops by itself
# when the process is gone.  The recording must hold every expected event and
# equal libhmap's in-process recording of the same run.  The same is done
# first with synth_probes, whose every field value is known.
. "$(dirname "$0")/common.sh"
need_bpf
cd "$WORK"

# --- synth_probes: exact content ---
"$SYNTH" --wait 20 >synth.out &
SP=$!
wait_ready synth.out "$SP"
start_recorder -l "$SYNTH" -p "$SP" -o synth.trace
kill -USR1 "$SP"
wait_for "$REC_PID" "$WAIT_SECS"
[ "$WAIT_RC" = 0 ] || { cat "$WORK/rec.log"; fail "recorder exit $WAIT_RC"; }
dump synth.trace >got.txt || fail "dump failed"
"$SYNTH" --expect 20 >want.txt
diff -u want.txt got.txt >/dev/null || { diff -u want.txt got.txt | head -20; fail "-p recording differs"; }

# --- libhmap: completeness of a real map's events ---
N=2000
readelf -n "$LIB" | grep -q "Name: map_create" || skip "$LIB has no hmap USDT probes (HMAP_PROBES without usdt?)"
HMAP_TRACE="$WORK/work.inproc" "$PID_WORKLOAD" "$N" >work.out &
WP=$!
wait_ready work.out "$WP"
start_recorder -l "$LIB" -p "$WP" -o work.trace
kill -USR1 "$WP"
wait_for "$REC_PID" "$WAIT_SECS"
cat "$WORK/rec.log"
[ "$WAIT_RC" = 0 ] || fail "recorder exit $WAIT_RC"
grep -q "len=$((N - N / 2))" work.out || fail "workload did not finish: $(cat work.out)"
dump work.trace >work.txt || fail "dump failed"
awk -v n="$N" '
    $1 == "map_create" { creates++ }
    $1 == "map_destroy" { destroys++; split($3, c, "="); count = c[2] }
    $1 == "tophash_write" && $7 == "cause=0" { inserts++ }
    $1 == "tophash_write" && $7 == "cause=1" { deletes++ }
    $1 == "bucket_array_alloc" { allocs[$3] = 1; na++ }
    $1 == "overflow_alloc" && $5 == "source=1" { allocs[$3] = 1; na++ }
    $1 == "bucket_free" { if (!($3 in allocs)) orphan++; delete allocs[$3]; nf++ }
    END {
        err = ""
        if (creates != 1) err = err " map_create=" creates
        if (destroys != 1) err = err " map_destroy=" destroys
        if (count != n - int(n / 2)) err = err " destroy.count=" count
        if (inserts != n) err = err " inserts=" inserts
        if (deletes != int(n / 2)) err = err " deletes=" deletes
        if (na < 2 || na != nf || orphan) err = err " allocs=" na " frees=" nf " orphans=" orphan
        if (err != "") { print "incomplete:" err; exit 1 }
        printf "map_create 1, %d inserts, %d deletes, %d allocations all freed\n", inserts, deletes, na
    }' work.txt || fail "-p recording of libhmap is incomplete"
# The in-process recorder saw the same process from its start; the program
# touches no map before the signal, so both recordings must be identical.
wait "$WP"
dump --ts work.inproc | cut -d' ' -f2- >inproc.txt || fail "in-process trace does not parse"
dump --ts work.trace | cut -d' ' -f2- >bpf.txt
diff -u inproc.txt bpf.txt >/dev/null ||
    { diff -u inproc.txt bpf.txt | head -20; fail "-p recording differs from the in-process recording"; }

# --- attach window: a process firing probes all the time while the recorder
# attaches.  Hits on probes attached before the last one are dropped (the
# recording starts for all probes at one instant) and must be counted.
# Without a state at attach (HMAP_STATEDUMP=0) they are losses: exit 3,
# "attach window N" in the summary, and a lost record of N in the file.
# With it (docs/statedump.md) every such hit came before the map's state,
# which already holds its effect: the summary says "superseding N
# attach-window events", they are no loss, and no lost record names them.
# The busy process runs SCHED_FIFO where the kernel allows it, so it is on a
# CPU for the whole window however loaded the machine is; without that
# (chrt refused) the scheduler decides, hence up to 5 attempts.  Every attempt
# must be consistent whatever it caught: the LOST count equals the file's
# (a loaded machine may also fill the ring: that is counted as ring loss,
# not as the window), or exit 0 with no lost record at all.
# With one CPU a SCHED_FIFO spinner would leave the recorder only the
# kernel's RT throttling share, so it is used from two CPUs up.
FIFO=()
if [ "$(nproc)" -ge 2 ] && chrt -f 1 true 2>/dev/null; then FIFO=(chrt -f 1)
else echo "note: the busy process runs SCHED_OTHER (one CPU, or chrt -f refused)"; fi
# busy_attach STATEDUMP: one attempt; sets rc and leaves busy.log/busy.trace.
busy_attach() {
    HMAP_STATEDUMP=$1 "${FIFO[@]}" "$PID_WORKLOAD" 1000 --forever >busy.out &
    BP=$!
    wait_ready busy.out "$BP"
    "$RECORD" -l "$LIB" -p "$BP" -o busy.trace -d 0.3 2>busy.log
    rc=$?
    kill "$BP"
    wait "$BP" 2>/dev/null
    cat busy.log
    sum=$(dump --summary busy.trace) || fail "busy trace does not parse"
    lost=$(sed -n 's/.*LOST \([0-9]*\) .*/\1/p' busy.log)
    case $rc in
    3) [ -n "$lost" ] || fail "exit 3 without a LOST count in the summary"
       echo "$sum" | grep -q "lost=$lost " || fail "summary says LOST $lost, the file holds: $sum" ;;
    0) echo "$sum" | grep -q 'lost=0 lost_records=0' || fail "exit 0 but the file has lost records" ;;
    *) fail "busy attach: exit $rc" ;;
    esac
}
seen=0
for attempt in 1 2 3 4 5; do
    busy_attach 0
    win=$(sed -n 's/.*attach window \([0-9]*\)).*/\1/p' busy.log)
    if [ "$rc" = 3 ] && [ "${win:-0}" -gt 0 ]; then
        dump busy.trace | grep -Eq "^lost count=$win( |$)" || fail "no lost record of the $win attach-window hits"
        seen=1
        break
    fi
done
[ "$seen" = 1 ] || fail "no attach-window hit in 5 attempts on a process firing probes continuously"
seen=0
for attempt in 1 2 3 4 5; do
    busy_attach 1
    grep -q 'state at attach: 1 map (0 deferred, 0 unsafe)' busy.log || fail "no state at attach"
    sup=$(sed -n 's/.*(superseding \([0-9]*\) attach-window events).*/\1/p' busy.log)
    grep -q 'attach window [1-9]' busy.log && fail "attach-window hits counted as lost despite the state"
    if [ "${sup:-0}" -gt 0 ]; then
        dump busy.trace | grep -Eq "^lost count=$sup( |$)" && fail "a lost record names the superseded hits"
        seen=1
        break
    fi
done
[ "$seen" = 1 ] || fail "no superseded attach-window hit in 5 attempts"
echo "PASS: -p recorded every event after the attach; attach-window hits counted, or superseded by the state at attach"
