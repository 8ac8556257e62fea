#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The in-process recorder's two event clocks (docs/probes.md, "Recorder
# clock"): the TSC where the kernel's clocksource is tsc, and the vDSO
# clock_gettime otherwise or with HMAP_TRACE_CLOCK=monotonic.  Both give
# the same records (timestamps aside), times that never go back within a
# thread, and times inside the trace's own start and end (read with
# clock_gettime): a wrong TSC rate or anchor would put events outside.
# The same with one clock read stalled 3 ms inside the TSC calibration by
# the preloaded STALL_LIB, as a preemption there would.
#   recorder_clock.sh BUILD_DIR STALL_LIB
set -uo pipefail
BUILD=$1
STALL_LIB=$2
DUMP=$BUILD/tests/lib/hmtrace_dump
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

cs=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null || echo unknown)
case "$(uname -m)/$cs" in
x86_64/tsc) want=tsc ;;
*) want=vdso; echo "note: clocksource $cs on $(uname -m): the TSC path is not taken here" ;;
esac

producer() { dd if="$1" bs=1 skip=32 count=32 status=none | tr -d '\0'; }
u64_at() { od -An -tu8 -j"$2" -N8 "$1" | tr -d ' '; }

# times: every thread in order, all within [start_ns, end record's ts]
check_times() { # file, label
  local f=$1 start end size
  size=$(stat -c %s "$f")
  start=$(u64_at "$f" 24)
  end=$(u64_at "$f" $((size - 48)))
  "$DUMP" "$f" | awk -v s="$start" -v e="$end" -v label="$2" '
    $1 == "HMEV" { ts = $2 + 0; tid = $4
      if (ts < s || ts > e) { printf "%s: event at %.0f outside the trace %.0f..%.0f\n", label, ts, s, e; bad++ }
      if ((tid in last) && ts < last[tid]) { printf "%s: thread %s goes back %.0f -> %.0f\n", label, tid, last[tid], ts; bad++ }
      last[tid] = ts; n++ }
    END { if (n == 0) { print label ": no events"; exit 1 } exit bad > 0 }' | head -5
  return "${PIPESTATUS[1]}"
}

for prog in "examples/delete_lookup" "tests/bench-record/bench_record_churn 400000 3"; do
  name=$(basename "${prog%% *}")
  HMAP_TRACE=$work/$name.auto.hmt $BUILD/$prog > /dev/null || fail "$name: exit $?"
  HMAP_TRACE=$work/$name.vdso.hmt HMAP_TRACE_CLOCK=monotonic $BUILD/$prog > /dev/null ||
    fail "$name (vdso): exit $?"
  p=$(producer $name.auto.hmt)
  case "$p" in *" $want") ok "$name: default clock is $want ($p)" ;; *) fail "$name: producer '$p', want clock $want" ;; esac
  p=$(producer $name.vdso.hmt)
  case "$p" in *" vdso") ok "$name: HMAP_TRACE_CLOCK=monotonic takes clock_gettime" ;; *) fail "$name: forced fallback not taken: '$p'" ;; esac
  for c in auto vdso; do
    check_times $name.$c.hmt "$name $c" && ok "$name $c: times in order and inside the trace" ||
      fail "$name $c: times"
  done
done
# The same records either way, timestamps aside (one thread, fixed seed:
# deterministic).
HMAP_TRACE=$work/one.auto.hmt $BUILD/tests/bench-record/bench_record_churn 20000 1 > /dev/null
HMAP_TRACE=$work/one.vdso.hmt HMAP_TRACE_CLOCK=monotonic \
  $BUILD/tests/bench-record/bench_record_churn 20000 1 > /dev/null
if cmp -s <("$DUMP" --fields --norm one.auto.hmt) <("$DUMP" --fields --norm one.vdso.hmt); then
  ok "both clocks record the same events"
else
  fail "the clocks record different events"
fi
# The TSC path stays close to clock_gettime: the events' span lies within
# the run's (a rate too high would stretch it past the end record).
span() { "$DUMP" "$1" | awk '$1 == "HMEV" { if (!n++) f = $2; l = $2 } END { print l - f }'; }
tsc_span=$(span bench_record_churn.auto.hmt)
run_span=$(( $(u64_at bench_record_churn.auto.hmt $(( $(stat -c %s bench_record_churn.auto.hmt) - 48 ))) - $(u64_at bench_record_churn.auto.hmt 24) ))
awk -v a="$tsc_span" -v b="$run_span" 'BEGIN { exit !(a > 0 && a <= b) }' &&
  ok "event span $tsc_span ns within the run's $run_span ns" || fail "event span $tsc_span ns, run $run_span ns"

# A preemption between the TSC read and the clock read it is paired with
# (docs/probes.md, "Recorder clock"): clock_stall holds one clock_gettime
# 3 ms, 1.5 ms into the process's clock reads, inside the 2 ms calibration.
# A calibration that took that pair ran 50 % fast: its events ended 3.4 ms
# after the trace.  A sanitizer runtime must come first in LD_PRELOAD.
if [ "$want" = tsc ]; then
  churn=$BUILD/tests/bench-record/bench_record_churn
  preload="$(ldd "$churn" | awk '$1 ~ /^lib(asan|ubsan)/ { printf "%s ", $3 }')$STALL_LIB"
  for i in 1 2 3; do
    env LD_PRELOAD="$preload" CLOCK_STALL_AFTER_NS=1500000 CLOCK_STALL_NS=3000000 \
      HMAP_TRACE=$work/stall$i.hmt "$churn" 100000 1 > /dev/null || fail "stalled clock: exit $?"
    check_times stall$i.hmt "stalled clock $i" && ok "stalled clock $i: times in order and inside the trace" ||
      fail "stalled clock $i: times"
  done
else
  echo "note: no stalled-clock runs: the TSC path is not taken here"
fi

echo "$fails failure(s)"
[ $fails = 0 ]
