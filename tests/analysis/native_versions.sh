#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The native format's versions (docs/native-format.md) carry the same
# events: every trace, rewritten in version 2 (fixed records) and version 3
# (packed chunks) by hmtrace_convert, gives the same report, text and JSON,
# through the streaming and the merging reader; and a damaged version 3
# file (cut anywhere, a byte changed) ends with one line naming the file
# and an offset, never a crash or a hang.
#   native_versions.sh BUCKETSCOPE_REPORT HMTRACE_CONVERT HMTRACE_DUMP GEN_GOLDEN BUILD_DIR
set -uo pipefail
BIN=$1 CONV=$2 DUMP=$3 GEN=$4 BUILD=$5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# --- traces: synthetic, and the in-process recorder's (version 3) -----------
"$GEN" golden.hmt golden.bt > /dev/null || { echo "FAIL: generator"; exit 1; }
traces=(golden.hmt)
run() { # name, command...
  local name=$1; shift
  HMAP_TRACE="$work/$name.hmt" "$@" > /dev/null || { fail "$name: exit $?"; return; }
  traces+=("$name.hmt")
}
run delete_lookup "$BUILD/examples/delete_lookup"
run policies "$BUILD/examples/policies" grow-shrink shrink 20000
# three threads, one map each: chunks of different threads interleave
run threads "$BUILD/tests/bench-record/bench_record_churn" 30000 3
[ "$(od -An -tu2 -j8 -N2 delete_lookup.hmt | tr -d ' ')" = 3 ] \
  && ok "the in-process recorder writes version 3" || fail "recorder file is not version 3"

report() { # file, format -> stdout, with the input's name taken out
  "$BIN" --no-progress --format "$2" "$1" 2> "$1.$2.err" | sed "s|$1|TRACE|g"
}
for t in "${traces[@]}"; do
  b=${t%.hmt}
  "$CONV" --to 2 "$t" "$b.v2.hmt" || { fail "$t: convert to 2"; continue; }
  "$CONV" --to 3 "$b.v2.hmt" "$b.v3.hmt" || { fail "$t: convert to 3"; continue; }
  for fmt in text json; do
    report "$b.v2.hmt" $fmt > "$b.v2.$fmt" || fail "$t v2 $fmt: exit $? ($(cat "$b.v2.hmt.$fmt.err"))"
    report "$b.v3.hmt" $fmt > "$b.v3.$fmt" || fail "$t v3 $fmt: exit $? ($(cat "$b.v3.hmt.$fmt.err"))"
    report "$t" $fmt > "$b.orig.$fmt" || fail "$t $fmt: exit $?"
    if cmp -s "$b.v2.$fmt" "$b.v3.$fmt" && cmp -s "$b.v2.$fmt" "$b.orig.$fmt"; then
      ok "$t: same $fmt report in versions 2 and 3"
    else
      fail "$t: $fmt reports differ"; diff "$b.v2.$fmt" "$b.v3.$fmt" | head -5
    fi
  done
  # the streaming reader (a pipe) agrees where the file is in time order
  if "$DUMP" --summary "$b.v3.hmt" > /dev/null && cmp -s <("$DUMP" "$b.v2.hmt") <("$DUMP" "$b.v3.hmt"); then
    ok "$t: hmtrace_dump reads the same records in both versions"
  else
    fail "$t: hmtrace_dump differs between versions"
  fi
  v2=$(stat -c %s "$b.v2.hmt") v3=$(stat -c %s "$b.v3.hmt")
  echo "   $t: $v2 bytes in version 2, $v3 in version 3"
  [ "$v3" -lt "$v2" ] || fail "$t: version 3 is not smaller"
done
# several threads: the merge path (more than one run) was taken
runs=$("$DUMP" threads.hmt | awk '{print $4}' | sort -u | wc -l)
[ "$runs" -gt 1 ] && ok "threads.hmt has $runs threads" || fail "threads.hmt: one thread only"
# a pipe is streamed once: the single-threaded trace reads the same from stdin
"$BIN" --no-progress --format json - < delete_lookup.hmt 2>/dev/null | sed "s|\"-\"|\"TRACE\"|g; s|: -$|: TRACE|" > stdin.json
report delete_lookup.hmt json > file.json
if cmp -s <(grep -v '"input' stdin.json) <(grep -v '"input' file.json); then
  ok "version 3 from a pipe gives the file's report"
else
  fail "version 3 from a pipe differs"; diff <(grep -v '"input' stdin.json) <(grep -v '"input' file.json) | head -5
fi

# --- damaged version 3 files ----------------------------------------------------
f=delete_lookup.hmt
size=$(stat -c %s $f)
one_line_error() { # file, what
  local out rc
  out=$(timeout 60 "$BIN" --no-progress "$1" 2>&1 > /dev/null); rc=$?
  if [ $rc -eq 1 ] && [ "$(printf "%s\n" "$out" | grep -c .)" = 1 ] &&
     printf '%s\n' "$out" | grep -q "^bucketscope.*$1: .*offset [0-9]" ; then
    return 0
  fi
  echo "   $2: exit $rc: $out"
  return 1
}
bad=0
for cut in 64 100 120 121 $((size / 3)) $((size / 2)) $((size - 49)) $((size - 48)) $((size - 1)); do
  head -c $cut $f > cut.hmt
  one_line_error cut.hmt "cut at $cut" || bad=$((bad + 1))
  "$DUMP" --summary cut.hmt > /dev/null 2> dump.err && { echo "   hmtrace_dump took a cut at $cut"; bad=$((bad + 1)); }
  grep -q "offset [0-9]" dump.err || { echo "   hmtrace_dump: no offset for a cut at $cut"; bad=$((bad + 1)); }
done
[ $bad = 0 ] && ok "cut version 3 files: one error with the offset" || fail "cut files: $bad problems"
# --allow-truncated reports what is there
head -c $((size / 2)) $f > half.hmt
"$BIN" --no-progress --allow-truncated half.hmt > half.txt 2> half.err && grep -q "offset" half.err \
  && ok "--allow-truncated analyses a cut version 3 file" || fail "--allow-truncated on a cut file"
# bytes changed inside packed chunks: an error with an offset, or a report,
# never a crash or a hang
bad=0 crashed=0
for i in $(seq 1 40); do
  off=$(( (i * 7919) % (size - 200) + 120 ))
  cp $f flip.hmt
  printf "\\x$(printf %02x $(( (i * 37) % 256 )))" | dd of=flip.hmt bs=1 seek=$off conv=notrunc status=none
  timeout 60 "$BIN" --no-progress flip.hmt > /dev/null 2> flip.err; rc=$?
  if [ $rc -ge 124 ]; then crashed=$((crashed + 1)); echo "   byte at $off: exit $rc"; fi
  if [ $rc = 1 ] && ! grep -q "offset [0-9]" flip.err; then bad=$((bad + 1)); echo "   byte at $off: $(cat flip.err)"; fi
done
[ $crashed = 0 ] && [ $bad = 0 ] && ok "changed bytes: errors name an offset, no crash" \
  || fail "changed bytes: $crashed crashes, $bad errors without offset"
# a packed chunk whose event count disagrees with its record is corrupt
cp $f count.hmt
printf '\x05' | dd of=count.hmt bs=1 seek=$((64 + 52)) conv=notrunc status=none
one_line_error count.hmt "records field changed" && ok "chunk record counts are checked" \
  || fail "a wrong chunk event count passed"

# --- the byte-by-byte example of docs/native-format.md ("Packed chunks") --------
# Two tophash_write records in version 2, converted: the chunk record and
# the packed events must be the bytes the page shows.
doc=$(dirname "$0")/../../docs/native-format.md
le() { printf '%016x' "$1" | sed 's/../& /g' | awk '{ for (i = NF; i >= 1; i--) printf "\\x%s", $i }'; }
le32() { printf '%08x' "$1" | sed 's/../& /g' | awk '{ for (i = NF; i >= 1; i--) printf "\\x%s", $i }'; }
{
  printf 'HMTRACE\0\x02\0\x40\0\x01\0\x10\0'; printf "$(le32 1234)"; printf '\0\0\0\0'
  printf "$(le 1000)"; head -c 32 /dev/zero
  for t in "1000 $((0x555500001020))" "1030 $((0x555500001020 + 144))"; do
    set -- $t
    printf "$(le $1)$(le32 1234)$(le32 1234)"; printf '\x05\0\x30\0\0\0\0\0'
    printf "$(le $((0x555500001010)))$(le $2)"; printf '\x03\x00\xc8\x00\0\0\0\0'
  done
  printf "$(le 1030)$(le32 1234)"; printf '\0\0\0\0\xff\xff\x30\0\0\0\0\0'
  printf "$(le 2)$(le 0)$(le 0)"
} > example.v2.hmt
"$CONV" --to 3 example.v2.hmt example.v3.hmt || fail "example: convert"
got=$(od -An -tx1 -v -j64 -N87 example.v3.hmt | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
want=$(sed -n '/^chunk record (56 bytes):$/,/^```$/p' "$doc" | grep -E '^[0-9a-f]{2}: ' |
  sed -E 's/^[0-9a-f]{2}: //; s/  .*//' | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
if [ -n "$want" ] && [ "$got" = "$want" ]; then
  ok "the packed example of docs/native-format.md is what the encoder writes"
else
  fail "docs/native-format.md example differs:"; echo "   doc:     $want"; echo "   encoder: $got"
fi

# --- lost records inside version 3 chunks --------------------------------------
# The first pass steps over whole chunks by their records; the second pass
# takes their lost records back out of the event count and into the lost
# total before the end record's totals are checked (native.c, hop_chunk).
# Two tophash_write events with a lost record of 5 between them, converted
# to version 3; then the end record made to count 12 lost (the converter
# keeps the totals consistent, a recorder whose disk filled does not): 12
# lost in all (5 in the chunk, 7 that only the end record knows of), and
# no error.
{
  printf 'HMTRACE\0\x02\0\x40\0\x01\0\x10\0'; printf "$(le32 1234)"; printf '\0\0\0\0'
  printf "$(le 1000)"; head -c 32 /dev/zero
  for t in 1000 1030; do
    printf "$(le $t)$(le32 1234)$(le32 1234)"; printf '\x05\0\x30\0\0\0\0\0'
    printf "$(le $((0x555500001010)))$(le $((0x555500001020)))"; printf '\x03\x00\xc8\x00\0\0\0\0'
    [ $t = 1000 ] && { printf "$(le 1010)$(le32 1234)$(le32 1234)"; printf '\0\0\x30\0\0\0\0\0'
                       printf "$(le 5)$(le 1005)$(le 1010)"; }
  done
  printf "$(le 1030)$(le32 1234)"; printf '\0\0\0\0\xff\xff\x30\0\0\0\0\0'
  printf "$(le 2)$(le 5)$(le 0)"
} > lost.v2.hmt
"$CONV" --to 3 lost.v2.hmt lost.v3.hmt || fail "lost in a chunk: convert"
lsize=$(stat -c %s lost.v3.hmt)
cp lost.v3.hmt lost12.v3.hmt
printf '\x0c' | dd of=lost12.v3.hmt bs=1 seek=$((lsize - 16)) conv=notrunc status=none
for v in lost.v3 lost12.v3; do
  want=5; [ $v = lost12.v3 ] && want=12
  got=$("$BIN" --no-progress --format json $v.hmt 2> lost.err | grep -o '"lost_events": [0-9]*')
  [ "$got" = "\"lost_events\": $want" ] && ok "lost in a chunk ($v): $want lost, the end record's total" \
    || fail "lost in a chunk ($v): $got, not $want; $(cat lost.err)"
done
# An end record that counts the lost record as an event: corrupt.
cp lost.v3.hmt lostbad.v3.hmt
printf '\x03' | dd of=lostbad.v3.hmt bs=1 seek=$((lsize - 24)) conv=notrunc status=none
msg=$("$BIN" --no-progress lostbad.v3.hmt 2>&1 >/dev/null)
one_line_error lostbad.v3.hmt "end record counting a lost record as an event" \
  && [[ $msg == *"end record counts 3 events in 1 chunks, the file holds 2 in 1"* ]] \
  && ok "lost in a chunk: the end record's event count is checked without it" \
  || fail "lost in a chunk: a wrong end record event count passed"

echo "$fails failure(s)"
[ $fails = 0 ]
