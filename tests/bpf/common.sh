# SPDX-License-Identifier: MIT
# common.sh — shared by the bpf/ test scripts: skip checks, a scratch
# directory, and helpers.  Sourced, not run.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIPPED: $*"; exit 77; }
# A native trace as "<event> <field>=<value> ..." lines (tests/lib/hmtrace_dump.c,
# --fields; --ts, --norm, --summary pass through).
dump() { "$DUMP" --fields "$@"; }

need_bpf() {
    [ "$(id -u)" = 0 ] || skip "not root: attaching BPF to uprobes needs root"
    [ -e /sys/bus/event_source/devices/uprobe ] || skip "kernel has no uprobe PMU"
    [ -e /proc/sys/kernel/unprivileged_bpf_disabled ] || skip "kernel has no BPF syscall"
}

need_bpftrace() {
    need_bpf
    command -v bpftrace >/dev/null || skip "bpftrace is not installed"
    command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
}

# bpftrace wants tracefs at /sys/kernel/tracing for a clean detach
# (docs/tracing-stack.md §3): mount it in a private mount namespace, so the test
# changes nothing outside.
run_bpftrace() {
    unshare -m sh -c 'mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; exec bpftrace "$@"' sh "$@"
}

# How many events a synth_probes round fires: one per schema event
# (HMAP_EVENT_MAX_ID), which is also how many probes the recorder attaches.
PER_ROUND=$("$SYNTH" --events-per-round) || fail "$SYNTH --events-per-round failed"

# Under /tmp, not $TMPDIR: test_unprivileged.sh runs programs from here as
# uid 65534, so every directory above WORK must be one anybody can enter.
# mktemp makes the name unique to this run (tests of two clones may run at
# the same time).
WORK=$(mktemp -d /tmp/bpf-test.XXXXXX)
chmod 755 "$WORK"

# The most a wait that ends by itself (a process getting ready, BPF being
# loaded and attached, a stopped process finishing) may take before the test
# calls it a hang.  Such waits end as soon as their condition holds, so the
# bound costs nothing when things go well; it is generous because a loaded
# machine (two `make test` on two cores, say) can take tens of seconds to
# start bpftrace or to verify and attach the recorder's programs.
WAIT_SECS=120

cleanup() {
    local p
    for p in $(jobs -p); do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

# Start the recorder in the background with the given arguments, logging to
# $WORK/rec.log, and wait until it says it is recording (attach complete).
start_recorder() {
    # The log of an earlier recorder goes first: the background job opens
    # (truncates) the file only when it gets the CPU, and until then a stale
    # "recording" line would pass for this recorder's (a loaded machine then
    # signals a recorder that has not yet installed its handlers).
    rm -f "$WORK/rec.log"
    "$RECORD" "$@" 2>"$WORK/rec.log" &
    REC_PID=$!
    local end=$((SECONDS + WAIT_SECS))
    while [ "$SECONDS" -lt "$end" ]; do
        grep -q 'recording' "$WORK/rec.log" && return 0
        # Looked at again once it is gone: it may have said "recording" and
        # finished between the two checks.
        kill -0 "$REC_PID" 2>/dev/null || grep -q 'recording' "$WORK/rec.log" ||
            { cat "$WORK/rec.log" >&2; fail "recorder exited early"; }
        sleep 0.05
    done
    cat "$WORK/rec.log" >&2
    fail "recorder did not start recording within $WAIT_SECS s"
}

# Wait until FILE says "ready" (a program waiting for its signal); fail at
# once if PID, the process that writes FILE, died first.
wait_ready() {
    local file=$1 pid=$2 end=$((SECONDS + WAIT_SECS))
    while [ "$SECONDS" -lt "$end" ]; do
        grep -q ready "$file" && return 0
        kill -0 "$pid" 2>/dev/null || grep -q ready "$file" ||
            fail "process $pid exited before it was ready: $(cat "$file")"
        sleep 0.05
    done
    fail "process $pid not ready after $WAIT_SECS s"
}

# Wait for a background pid with a timeout; sets WAIT_RC.
wait_for() {
    local pid=$1 secs=${2:-60}
    for _ in $(seq 1 $((secs * 20))); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -0 "$pid" 2>/dev/null && { kill -9 "$pid"; fail "process $pid still running after ${secs}s"; }
    wait "$pid"
    WAIT_RC=$?
}

# Run a tracer system-wide around one command: start it, wait for its
# header line (bpftrace prints "Hit Ctrl-C to end" after every probe is
# attached), run the command (its stderr kept in OUT.cmd), then stop the
# tracer with SIGINT so it prints its maps.  (bpftrace -c cannot attach to a
# shared library's probes: it resolves them before the command has mapped
# the library.)  The tracer runs in a private mount namespace with tracefs
# mounted, for a clean detach (docs/tracing-stack.md §3).
# Usage: tracer_around OUT TRACER... -- CMD...
tracer_around() {
    local out=$1 bt tracer=()
    shift
    while [ "$1" != -- ]; do tracer+=("$1"); shift; done
    shift
    # Not through run_bpftrace: $! must be the tracer itself (unshare and sh exec it).
    unshare -m sh -c 'mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; exec "$@"' sh "${tracer[@]}" >"$out" 2>"$out.err" &
    bt=$!
    local end=$((SECONDS + WAIT_SECS))
    while ! grep -q 'Hit Ctrl-C to end' "$out"; do
        kill -0 "$bt" 2>/dev/null || grep -q 'Hit Ctrl-C to end' "$out" ||
            { cat "$out.err" >&2; fail "${tracer[*]} exited early"; }
        [ "$SECONDS" -lt "$end" ] || fail "${tracer[*]} did not start within $WAIT_SECS s"
        sleep 0.05
    done
    "$@" >/dev/null 2>"$out.cmd" || { cat "$out.cmd" >&2; fail "command failed under the tracer: $*"; }
    # bpftrace 0.17 sometimes misses a SIGINT (one that lands while it is not
    # in epoll_wait): it then goes on polling, forever, so the signal has to
    # be repeated until it exits.  But once it has stopped tracing, bpftrace
    # restores SIGINT's default action while it prints its maps: a second
    # SIGINT then kills it (exit 130), however long a loaded machine makes
    # that printing last.  SIGTERM means the same as SIGINT to bpftrace and
    # keeps its handler to the end, so the repeats are SIGTERMs: harmless
    # whenever they land.
    kill -INT "$bt" 2>/dev/null
    local last=$SECONDS
    end=$((SECONDS + WAIT_SECS))
    while kill -0 "$bt" 2>/dev/null; do
        if [ $((SECONDS - last)) -ge 3 ]; then
            kill -TERM "$bt" 2>/dev/null
            last=$SECONDS
        fi
        [ "$SECONDS" -lt "$end" ] ||
            { kill -9 "$bt"; fail "${tracer[*]} did not exit within $WAIT_SECS s of SIGINT"; }
        sleep 0.1
    done
    wait_for "$bt" "$WAIT_SECS"
    [ "$WAIT_RC" = 0 ] || { cat "$out.err" >&2; fail "${tracer[*]} exit $WAIT_RC"; }
}

# The same with a bpftrace script.  Usage: bpftrace_around OUT SCRIPT LIB CMD...
bpftrace_around() {
    local out=$1 script=$2 lib=$3
    shift 3
    tracer_around "$out" bpftrace "$script" "$lib" -- "$@"
}

# Sum of the counts of the LAST histogram bpftrace printed in FILE (scripts
# with an interval probe print theirs every few seconds, and how many times
# depends on how long the run took).  Rows are "[lo, hi) N |@@|" and, for
# the values 0 and 1 (latencies under 2 us, which a fast machine gives),
# "[0] N |@@|": the count is the first field after the closing bracket.  A
# map header ("@name:" alone on its line) starts a new histogram.
hist_samples() {
    awk '/^@[A-Za-z0-9_]*:[[:space:]]*$/ { n = 0; next }
         /^\[/ { sub(/^\[[^])]*[])][[:space:]]*/, ""); n += $1 + 0 }
         END { print n + 0 }' "$1"
}

# A private copy of libhmap for system-wide tracing: uprobes are per file, so
# attaching to the copy traps only the programs run with RUN_PRIVATE, never
# other tests using the build's libhmap at the same time (ctest -j).
# Sets PLIB; run programs as: "${RUN_PRIVATE[@]}" prog args.
use_private_lib() {
    local soname
    soname=$(readelf -d "$LIB" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
    mkdir -p "$WORK/lib"
    cp "$LIB" "$WORK/lib/$soname"
    PLIB=$WORK/lib/$soname
    RUN_PRIVATE=(env LD_LIBRARY_PATH="$WORK/lib")
    "${RUN_PRIVATE[@]}" ldd "$PID_WORKLOAD" | grep -q "$PLIB" || fail "LD_LIBRARY_PATH does not select $PLIB"
}
