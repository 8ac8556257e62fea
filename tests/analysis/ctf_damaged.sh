#!/bin/sh
# SPDX-License-Identifier: MIT
# ctf_damaged.sh — every failure of a damaged CTF trace is bounded: a real
# LTTng trace of the probes workload (made once, private session daemon:
# scripts/lib/lttng_session.sh) is damaged in copies and each copy is read by
# bucketscope-report under `timeout` as a safety net.  The net firing is a
# failure: the report must end by itself, with a clear message or a report.
#   - metadata truncated at 64 cut points: refused with "metadata" and the
#     offset, or (a cut in the last packet's padding) the intact report;
#   - the same cut points with the checks off (BUCKETSCOPE_CTF_UNCHECKED=1),
#     where libbabeltrace2 2.0.4 loops: the watchdog stops it;
#   - index files damaged: the index is left out with a warning and the
#     report is the intact one; with the checks off, the plugin's abort is a
#     message naming the stream;
#   - a stream cut inside a packet: refused naming the file and offset, and
#     with --allow-truncated read up to its last whole packet, the report
#     saying where.
# docs/report.md, "CTF input checks".
#
# usage: ctf_damaged.sh BUCKETSCOPE_REPORT BUILD_DIR
set -eu
skip() { echo "SKIPPED: $*"; exit 77; }
report=$1 build=$2
wl=$build/tests/probes/probes_workload
. "$(dirname "$0")/../../scripts/lib/lttng_session.sh"

if [ "${BS_CTF_DAMAGED_INNER:-}" != 1 ]; then
    lttng_session_require
    [ -x "$wl" ] || skip "tests/probes workload not built ($wl)"
    ls "$build"/libmap/libhmap-lttng.so* >/dev/null 2>&1 || skip "LTTng provider not built (HMAP_PROBES without lttng)"
fi
lttng_session_enter_ns BS_CTF_DAMAGED_INNER "$0" "$@"

work=$(mktemp -d /tmp/bs-ctf-damaged.XXXXXX)
cleanup() {
    lttng_daemon_stop
    rm -rf "$work"
}
trap cleanup EXIT
# Views of damaged traces go here: the test checks none is left behind.
mkdir "$work/tmp"
export TMPDIR="$work/tmp"

# Small sub-buffers: several packets per stream, so a stream can be cut
# after a whole packet.  Blocking: nothing discarded.
lttng_daemon_start
lttng_session_start bs "$work/ctf" --subbuf-size=64K --num-subbuf=8 --blocking
LTTNG_UST_ALLOW_BLOCKING=1 LTTNG_UST_REGISTER_TIMEOUT=-1 HMAP_LTTNG=1 "$wl" >/dev/null
lttng_session_stop
lttng_daemon_stop

meta=$(find "$work/ctf" -name metadata)
tdir=${meta%/metadata}
rel=${tdir#"$work/ctf"/}
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$report" --no-progress --format json "$work/ctf" >"$work/intact.json"
events() { grep -o '"events": [0-9]*' "$1" | head -1 | awk '{print $2}'; }
intact=$(events "$work/intact.json")
[ "${intact:-0}" -gt 1000 ] || { echo "FAIL: only ${intact:-0} events in the intact trace"; exit 1; }

# run NAME [ARG...]: report on the copy $work/m; rc, stdout and stderr kept
# in $rc, $work/out, $work/err.  The net is far above every bound.
run() {
    name=$1
    shift
    set +e
    timeout -s KILL 60 "$report" --no-progress --format json "$@" "$work/m" >"$work/out" 2>"$work/err"
    rc=$?
    set -e
    if [ $rc = 137 ]; then fail "$name: still running after 60 s (hang)"; fi
    if [ $rc -gt 128 ]; then fail "$name: killed by signal $((rc - 128))"; fi
}
fresh() { rm -rf "$work/m" && cp -r "$work/ctf" "$work/m"; }
# stderr's first line must name the trace directory and say what.
says() { # NAME WHAT...
    name=$1
    shift
    for w in "$@"; do
        grep -q -- "$w" "$work/err" || { fail "$name: message lacks '$w': $(head -c 300 "$work/err")"; return; }
    done
}

# ---- metadata cut at 64 points ------------------------------------------------
size=$(stat -c %s "$meta")
refused=0 intact_cuts=0
for i in $(seq 1 64); do
    cut=$((size * i / 65))
    fresh
    truncate -s $cut "$work/m/$rel/metadata"
    run "metadata cut at $cut"
    if [ $rc = 1 ]; then
        says "metadata cut at $cut" "$work/m/$rel" metadata
        refused=$((refused + 1))
    elif [ $rc = 0 ]; then
        [ "$(events "$work/out")" = "$intact" ] || fail "metadata cut at $cut: $(events "$work/out") events, not $intact"
        intact_cuts=$((intact_cuts + 1))
    else
        fail "metadata cut at $cut: exit $rc: $(head -c 300 "$work/err")"
    fi
done
echo "metadata cuts: $refused refused, $intact_cuts read whole (cut in padding), of 64"

# The same with the checks off: libbabeltrace2 itself loops or fails, and
# the watchdog (1 s here) stops it.  16 of the cut points, to stay quick.
stopped=0 start=$(date +%s)
for i in $(seq 1 4 64); do
    cut=$((size * i / 65))
    fresh
    truncate -s $cut "$work/m/$rel/metadata"
    BUCKETSCOPE_CTF_UNCHECKED=1 run "unchecked metadata cut at $cut" --ctf-timeout 1
    case $rc in
    0) ;;
    1)
        says "unchecked metadata cut at $cut" "$work/m"
        if grep -q "no progress for 1 s" "$work/err"; then stopped=$((stopped + 1)); fi
        ;;
    *) fail "unchecked metadata cut at $cut: exit $rc" ;;
    esac
done
echo "unchecked metadata cuts: $stopped of 16 stopped by the watchdog in $(($(date +%s) - start)) s"
[ $stopped -gt 0 ] || fail "the watchdog never fired on truncated metadata (libbabeltrace2 no longer loops?)"

# ---- damaged index files ------------------------------------------------------
stream=$(find "$tdir" -maxdepth 1 -type f ! -name metadata -printf '%s %f\n' | sort -n | tail -1 | cut -d' ' -f2)
idx=$rel/index/$stream.idx
npk=$((($(stat -c %s "$tdir/index/$stream.idx") - 16) / 72))
[ "$npk" -ge 2 ] || { echo "FAIL: $stream has $npk packets, need 2"; exit 1; }
last=$((16 + 72 * (npk - 1)))
poke() { printf "$2" | dd of="$work/m/$idx" bs=1 seek="$1" conv=notrunc 2>/dev/null; }
for damage in offset packet_size content_size short garbage empty; do
    fresh
    case $damage in
    offset) poke $((last + 0)) '\001' ;;         # the plugin's assertion (abort)
    packet_size) poke $((last + 8)) '\177' ;;
    content_size) poke $((last + 16)) '\177' ;;
    short) truncate -s $((last + 40)) "$work/m/$idx" ;;
    garbage) head -c 1000 /dev/urandom >"$work/m/$idx" ;;
    empty) : >"$work/m/$idx" ;;
    esac
    run "index $damage"
    [ $rc = 0 ] || { fail "index $damage: exit $rc: $(head -c 300 "$work/err")"; continue; }
    [ "$(events "$work/out")" = "$intact" ] || fail "index $damage: $(events "$work/out") events, not $intact"
    says "index $damage" "$work/m/$idx" "left out"
done
fresh
poke $((last + 0)) '\001'
BUCKETSCOPE_CTF_UNCHECKED=1 run "unchecked index offset"
[ $rc = 1 ] || fail "unchecked index offset: exit $rc, expected 1"
# The message names the stream of the last packet the child got, which
# need not be the damaged one: which stream's packet comes last before the
# crash depends on how the workload's events fell on the per-CPU streams.
says "unchecked index offset" "crashed (signal 6" "while decoding the stream $work/m/$rel/"
echo "index damage: 6 kinds left out, report intact; unchecked abort reported"

# ---- truncated stream ---------------------------------------------------------
fresh
# Cut in the middle of the last packet: the packets before it are whole.
off=$(od -An -j $((last + 0)) -N 8 --endian=big -t u8 "$tdir/index/$stream.idx" | tr -d ' ')
psize=$(od -An -j $((last + 8)) -N 8 --endian=big -t u8 "$tdir/index/$stream.idx" | tr -d ' ')
cut=$((off + psize / 16))
truncate -s $cut "$work/m/$rel/$stream"
run "stream cut at $cut"
[ $rc = 1 ] || fail "stream cut at $cut: exit $rc, expected 1"
says "stream cut at $cut" "$work/m/$rel/$stream" "offset $off" "--allow-truncated"
run "stream cut at $cut, --allow-truncated" --allow-truncated
[ $rc = 0 ] || fail "stream cut at $cut, --allow-truncated: exit $rc: $(head -c 300 "$work/err")"
got=$(events "$work/out")
[ "${got:-0}" -gt 0 ] && [ "$got" -lt "$intact" ] || fail "stream cut at $cut, --allow-truncated: $got events (intact $intact)"
grep -q "\"truncated\": true, \"truncated_at\": \"$work/m/$rel/$stream offset $off " "$work/out" ||
    fail "stream cut: JSON does not say where: $(grep -o '"truncated[^}]*' "$work/out" | head -c 300)"
says "stream cut at $cut, --allow-truncated" "input truncated" "$stream offset $off"
echo "truncated stream: refused, and with --allow-truncated $got of $intact events, up to offset $off"

left=$(ls -A "$work/tmp")
[ -z "$left" ] || fail "views left behind in TMPDIR: $left"
if ps -eo args | grep -F "$work/m" | grep -v grep; then fail "decoder processes left running"; fi
[ $fails = 0 ] || { echo "$fails failures"; exit 1; }
echo "ok: every damaged trace ended by itself with a message or a report"
