#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What bucketscope-report refuses and how it fails (docs/report.md, "Exit
# status"): an output that is one of its inputs (same path, another path, a
# hard link, a symlink, stdout appending to it) or a directory is refused
# before anything is read, exit 2, the input untouched; an output that cannot
# be written (/dev/full) gives one message naming it and its errno, exit 4;
# a failed run leaves an older output file as it was and no temporary file;
# non-finite or negative durations are usage errors; CRLF bpftrace lines
# read like LF ones.
#   cli_refusals.sh BUCKETSCOPE_REPORT GEN_GOLDEN
set -uo pipefail
BIN=$1 GEN=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

"$GEN" golden.hmt golden.bt || { echo "FAIL: generator"; exit 1; }
cp golden.hmt pristine.hmt
cp golden.bt pristine.bt

# --- an output that is an input: refused, exit 2, one line, input unchanged ----
# refused DESCRIPTION PATTERN ARGS...
refused() {
  local d=$1 pat=$2 rc
  shift 2
  "$BIN" --no-progress "$@" > out.txt 2> err.txt; rc=$?
  if [ $rc = 2 ] && grep -qe "$pat" err.txt && grep -q '^usage: bucketscope-report' err.txt &&
     [ "$(grep -vc "^usage:\\|^  \\|^Try '" err.txt)" = 1 ] && [ ! -s out.txt ]; then
    ok "refused: $d"
  else
    fail "refused: $d (rc $rc, stderr: $(head -1 err.txt))"
  fi
  cmp -s golden.hmt pristine.hmt || { fail "$d: golden.hmt changed"; cp pristine.hmt golden.hmt; }
  cmp -s golden.bt pristine.bt || { fail "$d: golden.bt changed"; cp pristine.bt golden.bt; }
}
ln golden.hmt hard.hmt
ln -s golden.hmt sym.hmt
mkdir -p outdir
refused "--csv-deletes onto the input" "--csv-deletes golden.hmt is an input" --csv-deletes golden.hmt golden.hmt
refused "--csv-timeline onto the input" "--csv-timeline golden.hmt is an input" --csv-timeline golden.hmt golden.hmt
refused "--svg onto the input" "--svg golden.hmt is an input" --svg golden.hmt golden.hmt
refused "--svg onto the second input" "--svg golden.bt is an input" --svg golden.bt golden.bt golden.bt
refused "output by another path" "is an input" --csv-deletes ./golden.hmt golden.hmt
refused "output through a hard link" "--svg hard.hmt is an input" --svg hard.hmt golden.hmt
refused "output through a symlink" "--csv-deletes sym.hmt is an input" --csv-deletes sym.hmt golden.hmt
refused "input through a symlink" "--svg golden.hmt is an input" --svg golden.hmt sym.hmt
refused "an input read from stdin" "is an input" --svg golden.bt - < golden.bt
refused "two outputs onto one file" "--svg x.out is also --csv-deletes" --csv-deletes x.out --svg x.out golden.hmt
refused "an output that is a directory" "--svg outdir is a directory" --svg outdir golden.hmt
[ ! -e x.out ] || fail "refused run created x.out"
# stdout appending to the input (a report >> trace)
"$BIN" --no-progress golden.hmt >> golden.hmt 2> err.txt; rc=$?
[ $rc = 2 ] && grep -q "standard output is an input (golden.hmt)" err.txt && ok "refused: stdout onto the input" \
  || fail "refused: stdout onto the input (rc $rc, $(head -1 err.txt))"
cmp -s golden.hmt pristine.hmt || { fail "stdout onto the input: golden.hmt changed"; cp pristine.hmt golden.hmt; }
# a nonexistent output named like a nonexistent input: refused by path
refused "nonexistent output = nonexistent input" "--csv-deletes nosuch.hmt is an input" --csv-deletes nosuch.hmt nosuch.hmt

# --- outputs that cannot be written: one message, errno, exit 4 ----------------
# unwritable DESCRIPTION NAME ARGS...
unwritable() {
  local d=$1 name=$2 rc
  shift 2
  "$BIN" --no-progress "$@" 2> err.txt > "${OUT:-/dev/null}"; rc=$?
  if [ $rc = 4 ] && [ "$(wc -l < err.txt)" = 1 ] && grep -qF "$name: No space left on device" err.txt; then
    ok "write error: $d: $(cat err.txt)"
  else
    fail "write error: $d (rc $rc, stderr: $(cat err.txt))"
  fi
}
OUT=/dev/full unwritable "text on stdout" "writing standard output" golden.hmt
OUT=/dev/full unwritable "JSON on stdout" "writing standard output" --format json golden.hmt
OUT=/dev/full unwritable "CSV on stdout" "writing standard output" --format csv golden.hmt
unwritable "--svg" "writing /dev/full" --svg /dev/full golden.hmt
unwritable "--csv-deletes" "writing /dev/full" --csv-deletes /dev/full golden.hmt
unwritable "--csv-timeline" "writing /dev/full" --csv-timeline /dev/full golden.hmt
"$BIN" --help > /dev/full 2> err.txt; rc=$?
[ $rc = 4 ] && grep -q "writing standard output: No space left on device" err.txt && ok "write error: --help" \
  || fail "write error: --help (rc $rc, $(cat err.txt))"
[ -c /dev/full ] && ok "/dev/full is still a device" || fail "/dev/full was replaced"

# --- a failed run leaves an older output as it was, and no temporary -----------
head -c 1000 golden.hmt > cut.hmt
echo "old deletes" > old.csv
echo "old svg" > old.svg
"$BIN" --no-progress --csv-deletes old.csv --svg old.svg cut.hmt > /dev/null 2> err.txt; rc=$?
[ $rc = 1 ] && [ "$(cat old.csv)" = "old deletes" ] && [ "$(cat old.svg)" = "old svg" ] \
  && ok "unreadable input: older outputs kept" || fail "unreadable input: rc $rc, old.csv now: $(head -c 60 old.csv)"
ls -a | grep -q 'old\.csv\..\|\.old\.csv' && fail "temporary file left: $(ls -a)" || ok "no temporary left behind"
# and a run that succeeds replaces them, with the usual permissions
"$BIN" --no-progress --csv-deletes old.csv golden.hmt > /dev/null || fail "csv-deletes: exit $?"
head -1 old.csv | grep -q '^pid,map,seq,bucket' && ok "successful run replaces the older output" || fail "old.csv not replaced"
[ "$(stat -c %a old.csv)" = "$(printf '%o' $((0666 & ~$(umask))))" ] \
  && ok "output mode follows the umask" || fail "output mode $(stat -c %a old.csv)"
ls -a | grep -q 'old\.csv\..\|\.old\.csv' && fail "temporary file left after success: $(ls -a)"

# --- durations: non-finite, negative, hex: usage errors -------------------------
usage() {
  local d=$1 rc
  shift
  "$BIN" "$@" > /dev/null 2> u.err; rc=$?
  [ $rc = 2 ] && grep -q '^usage: bucketscope-report' u.err && grep -q 'bad duration' u.err \
    && ok "usage: $d" || fail "usage: $d (rc $rc, $(head -1 u.err))"
}
for v in nans nan inf infs infinityms -1ms -0s 1e400s 0x10s " 5ms" +5ms; do
  usage "--since '$v'" --since "$v" golden.hmt
done
for v in nans infs -1ms 1e400s; do
  usage "--until '$v'" --until "$v" golden.hmt
  usage "--tick '$v'" --csv-timeline tl.csv --tick "$v" golden.hmt
done
[ ! -e tl.csv ] || fail "refused --tick wrote tl.csv"

# --- CRLF bpftrace lines: same report as LF ones ------------------------------
sed 's/$/\r/' golden.bt > crlf.bt
grep -q $'type_name=map\[int64\]\*T\r$' crlf.bt && grep -q $'^Lost [0-9]* events\r$' crlf.bt \
  && grep -q $'bytes=288\r$' crlf.bt || fail "crlf.bt lacks the line shapes it should test"
"$BIN" --no-progress --format json golden.bt > lf.json || fail "LF: exit $?"
"$BIN" --no-progress --format json crlf.bt > crlf.json 2> crlf.err; rc=$?
if [ $rc = 0 ] && diff <(grep -v '"inputs"' lf.json) <(grep -v '"inputs"' crlf.json) > /dev/null; then
  ok "CRLF lines read like LF ones (string last field, integer last field, Lost line)"
else
  fail "CRLF: rc $rc, $(cat crlf.err)"
fi

echo "cli_refusals: $fails failures"
[ $fails = 0 ]
