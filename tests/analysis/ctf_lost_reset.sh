#!/bin/sh
# SPDX-License-Identifier: MIT
# ctf_lost_reset.sh — a CTF counter that goes backwards is not 2^64 lost
# events.  A real LTTng trace of the probes workload (private session
# daemon: scripts/lib/lttng_session.sh; small sub-buffers, so a stream holds
# several packets; blocking, so nothing is really discarded) is patched in
# copies:
#   - packet 2 of the largest stream says events_discarded = 5 and packet 3
#     is back at 0: libbabeltrace2 reports 5 discarded, then 2^64 - 5.  The
#     report must count 5 + 1 (the backwards step is "unknown, at least
#     one") and warn naming the stream;
#   - packet 2's packet_seq_num jumps from 2 to 9 and packet 3 is back at 3:
#     7 discarded packets, then a backwards step counted as 1.
# docs/report.md, "Lost events: counts that cannot be true".
#
# usage: ctf_lost_reset.sh BUCKETSCOPE_REPORT BUILD_DIR
set -eu
skip() { echo "SKIPPED: $*"; exit 77; }
report=$1 build=$2
wl=$build/tests/probes/probes_workload
. "$(dirname "$0")/../../scripts/lib/lttng_session.sh"

if [ "${BS_CTF_LOST_RESET_INNER:-}" != 1 ]; then
    lttng_session_require
    [ -x "$wl" ] || skip "tests/probes workload not built ($wl)"
    ls "$build"/libmap/libhmap-lttng.so* >/dev/null 2>&1 || skip "LTTng provider not built (HMAP_PROBES without lttng)"
fi
lttng_session_enter_ns BS_CTF_LOST_RESET_INNER "$0" "$@"

work=$(mktemp -d /tmp/bs-ctf-lost-reset.XXXXXX)
cleanup() {
    lttng_daemon_stop
    rm -rf "$work"
}
trap cleanup EXIT

lttng_daemon_start
lttng_session_start bs "$work/ctf" --subbuf-size=8K --num-subbuf=8 --blocking
LTTNG_UST_ALLOW_BLOCKING=1 LTTNG_UST_REGISTER_TIMEOUT=-1 HMAP_LTTNG=1 "$wl" >/dev/null
lttng_session_stop
lttng_daemon_stop

meta=$(find "$work/ctf" -name metadata)
tdir=${meta%/metadata}
rel=${tdir#"$work/ctf"/}
stream=$(find "$tdir" -maxdepth 1 -type f ! -name metadata -printf '%s %f\n' | sort -n | tail -1 | cut -d' ' -f2)
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# The packet layout LTTng-UST 2.13 writes (the trace's own metadata says it;
# checked below rather than assumed): a 32-byte header (magic, uuid,
# stream_id, stream_instance_id), then the context's timestamp_begin,
# timestamp_end, content_size, packet_size (bits) at +56, packet_seq_num at
# +64, events_discarded at +72, little-endian.
babeltrace2 --output-format=ctf-metadata "$tdir" >"$work/meta.tsdl"
grep -q 'uint64_t packet_seq_num;' "$work/meta.tsdl" && grep -q 'unsigned long events_discarded;' "$work/meta.tsdl" ||
    skip "this LTTng-UST's packet context differs from the 2.13 layout the test patches"
u64() { od -An -j "$2" -N 8 -t u8 "$1" | tr -d ' '; }
f=$tdir/$stream
size=$(stat -c %s "$f")
off=0 n=0
set --
while [ "$off" -lt "$size" ] && [ $n -lt 4 ]; do
    [ "$(od -An -j "$off" -N 4 -t x4 "$f" | tr -d ' ')" = c1fc1fc1 ] || { echo "FAIL: no packet magic at $f offset $off"; exit 1; }
    set -- "$@" "$off"
    off=$((off + $(u64 "$f" $((off + 56))) / 8))
    n=$((n + 1))
done
[ $n -ge 4 ] || { echo "FAIL: $stream holds $n packets, the test needs 4 (sub-buffers of 8 KiB)"; exit 1; }
p2=$3
[ "$(u64 "$f" $((p2 + 72)))" = 0 ] && [ "$(u64 "$f" $((p2 + 64)))" = 2 ] ||
    { echo "FAIL: packet 2 of $stream: events_discarded $(u64 "$f" $((p2 + 72))), packet_seq_num $(u64 "$f" $((p2 + 64))) (expected 0 and 2)"; exit 1; }

"$report" --no-progress --format json "$work/ctf" >"$work/intact.json"
num() { grep -o "\"$2\": [0-9]*" "$1" | head -1 | awk '{print $2}'; }
[ "$(num "$work/intact.json" lost_events)" = 0 ] || fail "the intact trace reports $(num "$work/intact.json" lost_events) lost events"

# case NAME OFFSET BYTE LOST DISCARDED_EVENTS DISCARDED_PACKETS WARNING
case_() {
    name=$1
    rm -rf "$work/m" && cp -r "$work/ctf" "$work/m"
    printf "$3" | dd of="$work/m/$rel/$stream" bs=1 seek="$2" conv=notrunc 2>/dev/null
    set +e
    timeout -s KILL 60 "$report" --no-progress --format json "$work/m" >"$work/out" 2>"$work/err"
    rc=$?
    set -e
    [ $rc = 0 ] || { fail "$name: exit $rc: $(head -3 "$work/err")"; return; }
    got="$(num "$work/out" lost_events) $(num "$work/out" discarded_events) $(num "$work/out" discarded_packets)"
    [ "$got" = "$4 $5 $6" ] || fail "$name: lost, discarded events, discarded packets: $got (expected $4 $5 $6)"
    grep -q "warning: .*$stream: a discarded-$7 count of -" "$work/err" ||
        fail "$name: no warning naming $stream: $(cat "$work/err")"
    [ "$(grep -c warning "$work/err")" = 1 ] || fail "$name: expected one warning: $(cat "$work/err")"
    echo "$name: lost $4, discarded $5 events, $6 packets; $(cat "$work/err")"
}
case_ events_discarded_back $((p2 + 72)) '\005' 6 6 0 events
case_ packet_seq_num_back $((p2 + 64)) '\011' 0 0 8 packets

[ $fails = 0 ] || exit 1
echo "PASS: backwards CTF counters are an unknown loss, counted once and warned about"
