#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make demo`: trace the churn example (examples/churn.c: a map of 100000
# keys, 5000 deletes + 5000 inserts per tick) for real and show when the
# memory of deleted keys was reused or freed.
#
# Runs after `make build` (needs build/).  Picks the best recorder present
# and says which:
#   1. BPF   build/bpf/bucketscope-record attached to libhmap's USDT probes
#            (root, kernel with BPF and uprobes);
#   2. LTTng an LTTng-UST session (lttng-tools, the libhmap-lttng.so
#            provider), in a private mount namespace when run as root so a
#            system session daemon is neither seen nor disturbed;
#   3. the in-process recorder (HMAP_TRACE=FILE; no root, no daemon).
# Then prints `bucketscope-report` for the trace and writes its SVG next to
# the trace.  Without the analyzer it runs examples/delete_all instead and
# says that the traced report needs build/analysis/bucketscope-report.
#
# Environment: BUILD (default build), DEMO_TICKS (churn ticks, default 250:
# the first same-size growth, which frees the churned overflow chains, comes
# after about 200), DEMO_RECORDER (bpf, lttng or inproc: force one).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
TICKS=${DEMO_TICKS:-250}
FORCE=${DEMO_RECORDER:-}

say() { printf 'demo: %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

case $TICKS in ''|*[!0-9]*|0) die "usage: DEMO_TICKS=N (1..100000) $0" ;; esac
case $FORCE in ''|bpf|lttng|inproc) ;; *) die "usage: DEMO_RECORDER=bpf|lttng|inproc $0" ;; esac

churn=$BUILD/examples/churn
delete_all=$BUILD/examples/delete_all
record=$BUILD/bpf/bucketscope-record
report=$BUILD/analysis/bucketscope-report
lib=$BUILD/libmap/libhmap.so
[ -x "$churn" ] && [ -x "$delete_all" ] || die "$churn is not built; run 'make build' first (make demo does)"
out=$(realpath -m "$BUILD/demo")
mkdir -p "$out"

# ---- No analyzer: something useful and honest, not a fake report. -------
if [ ! -x "$report" ]; then
  say "$report is not built, so there is no traced delete-to-free report to show."
  say "The traced report (histogram + SVG) needs bucketscope-report from analysis/."
  say "Meanwhile, what the map itself says (examples/delete_all: 1M keys inserted,"
  say "all deleted, then re-inserted; hmap_get_stats before and after):"
  echo
  "$delete_all" || die "delete_all failed"
  echo
  say "(the last two lines are what hmap_get_stats measured in this run; when and why"
  say " each deleted slot was reused or freed is what the traced report adds)"
  exit 0
fi

trace=$out/churn.hmtrace
svg=$out/churn.svg
used=""

# ---- 1. BPF ------------------------------------------------------------------
try_bpf() {
  if [ "$(id -u)" != 0 ]; then say "BPF recorder skipped: needs root"; return 1; fi
  if [ ! -x "$record" ]; then say "BPF recorder skipped: $record is not built"; return 1; fi
  say "recording with BPF: $record -l $(realpath "$lib") -o $trace -- $churn $TICKS"
  rm -f "$trace"
  "$record" -l "$(realpath "$lib")" -o "$trace" -- "$churn" "$TICKS" >"$out/churn.out" 2>"$out/record.err"
  local rc=$?
  # 0: complete; 3: written but events were lost (the report counts them).
  if { [ $rc = 0 ] || [ $rc = 3 ]; } && [ -s "$trace" ]; then
    cat "$out/record.err" >&2
    [ $rc = 3 ] && say "the recorder lost events; the report's data-quality section says which results they touch"
    return 0
  fi
  say "BPF recorder failed:"; sed 's/^/    /' "$out/record.err" >&2
  return 1
}

# ---- 2. LTTng ------------------------------------------------------------------
# scripts/lib/lttng_session.sh: as root, a root session daemon in its own
# mount namespace (tmpfs over /var/run/lttng and /dev/shm), so the daemon
# started here is private to the demo; otherwise a per-user daemon with a
# fresh LTTNG_HOME.  Either way it is stopped by its pid when this ends.
lttng_helper=$(realpath scripts/lib/lttng_session.sh)
lttng_session() { # helper out-dir churn ticks
  local helper=$1 dir=$2 churn=$3 ticks=$4 rc
  . "$helper" || return 1
  # Global, not local: the EXIT trap runs after this function has returned.
  trap lttng_daemon_stop EXIT
  lttng_daemon_start >/dev/null 2>&1 || return 1
  rm -rf "$dir/lttng-trace"
  lttng_session_start demo "$dir/lttng-trace" --subbuf-size=4M --num-subbuf=8 || return 1
  HMAP_LTTNG=1 LTTNG_UST_REGISTER_TIMEOUT=-1 "$churn" "$ticks" >"$dir/churn.out"
  rc=$?
  lttng_session_stop || return 1
  return $rc
}

try_lttng() {
  local missing
  if missing=$(. "$lttng_helper" && lttng_session_why_not); then
    say "LTTng skipped: $missing (lttng-tools)"; return 1
  fi
  if [ -z "$(find "$BUILD" -name libhmap-lttng.so -print -quit)" ]; then
    say "LTTng skipped: the provider libhmap-lttng.so is not built"; return 1
  fi
  say "recording with an LTTng-UST session (hmap:* events) -> $out/lttng-trace"
  # As root, in a private mount namespace; the helper refuses otherwise.
  local runner=(bash -c)
  [ "$(id -u)" = 0 ] && runner=(lttng_session_unshare bash -c)
  if (. "$lttng_helper" && "${runner[@]}" "$(declare -f lttng_session); lttng_session \"\$@\"" _ \
        "$lttng_helper" "$out" "$(realpath "$churn")" "$TICKS") 2>"$out/lttng.err" &&
     [ -d "$out/lttng-trace" ]; then
    trace=$out/lttng-trace
    return 0
  fi
  say "LTTng session failed:"; sed 's/^/    /' "$out/lttng.err" >&2
  return 1
}

# ---- 3. In-process recorder ---------------------------------------------------
try_inproc() {
  say "recording with the in-process recorder: HMAP_TRACE=$trace $churn $TICKS"
  rm -f "$trace"
  if HMAP_TRACE=$trace "$churn" "$TICKS" >"$out/churn.out" && [ -s "$trace" ]; then
    return 0
  fi
  say "in-process recorder produced no trace (is the recorder backend compiled in? HMAP_PROBES)"
  return 1
}

start=$(date +%s)
case $FORCE in
  bpf) try_bpf && used=BPF ;;
  lttng) try_lttng && used=LTTng ;;
  inproc) try_inproc && used="in-process recorder" ;;
  *)
    if try_bpf; then used=BPF
    elif try_lttng; then used=LTTng
    elif try_inproc; then used="in-process recorder"
    fi ;;
esac
[ -n "$used" ] || die "no recorder worked; see the messages above"

echo
say "the workload's own view (hmap_get_stats every 10 ticks):"
cat "$out/churn.out"
echo
say "traced with: $used ($(( $(date +%s) - start )) s); trace: $trace"
svg_args=()
if "$report" --help 2>&1 | grep -q -- '--svg'; then
  svg_args=(--svg "$svg")
else
  say "this bucketscope-report has no --svg option; no SVG will be written"
fi
rm -f "$svg"
say "report: $report ${svg_args[*]} $trace"
echo
"$report" "${svg_args[@]}" "$trace" || die "bucketscope-report failed on $trace"
echo
if [ "$used" != "in-process recorder" ]; then
  say "note: latencies are wall time of the traced run.  With $used every probe hit"
  say "      costs more than the map operation itself (BPF: a trap into the kernel,"
  say "      microseconds), so the churn ran slower than untraced; its own timing is"
  say "      in the 'churn:' line above."
fi
if [ ${#svg_args[@]} -gt 0 ] && [ -s "$svg" ]; then
  say "SVG written to $svg"
fi
