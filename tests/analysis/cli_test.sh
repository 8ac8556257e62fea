#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Command-line behaviour of bucketscope-report on the synthetic golden trace:
# golden outputs (text, JSON, CSV, timeline, deletes), the bpftrace twin and
# stdin giving the same answers, the SVG being well-formed with its series,
# filters, and errors (exit 1 with file and offset, usage errors exit 2).
#   cli_test.sh BUCKETSCOPE_REPORT GEN_GOLDEN GOLDEN_DIR
# BS_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing.
set -uo pipefail
BIN=$1 GEN=$2 GOLDEN=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

"$GEN" golden.hmt golden.bt || { echo "FAIL: generator"; exit 1; }

# --- golden outputs --------------------------------------------------------
golden() { # name, command...
  local name=$1; shift
  "$@" > "$name" 2> "$name.err" || { fail "$name: exit $? ($(cat "$name.err"))"; return; }
  if [ "${BS_UPDATE_GOLDEN:-0}" = 1 ]; then cp "$name" "$GOLDEN/$name"; ok "$name updated"; return; fi
  if diff -u "$GOLDEN/$name" "$name"; then ok "$name matches golden"; else fail "$name differs from golden"; fi
}
golden report.txt "$BIN" --no-progress golden.hmt
# the same figures exact (--raw) and the histograms in msecs (-m)
golden report_raw.txt "$BIN" --no-progress --raw -m golden.hmt
golden report.json "$BIN" --no-progress --format json golden.hmt
golden maps.csv "$BIN" --no-progress --format csv golden.hmt
"$BIN" --no-progress --csv-timeline tl.out --tick 250us --csv-deletes del.out golden.hmt > /dev/null \
  || fail "csv streams: exit $?"
golden timeline.csv cat tl.out
golden deletes.csv cat del.out

# --- the bpftrace twin, from a file and from stdin, says the same ------------
"$BIN" --no-progress --format json golden.bt > bt.json || fail "bpftrace input: exit $?"
"$BIN" --no-progress --format json - < golden.bt > stdin.json || fail "stdin input: exit $?"
# lost spans differ by design: bpftrace only knows the events around a "Lost" line
strip() { grep -v -e '"inputs"' -e '"kind"' -e lost_spans "$1"; }
if diff <(strip report.json) <(strip bt.json) > /dev/null; then ok "bpftrace twin = native"; else fail "bpftrace twin differs"; diff <(strip report.json) <(strip bt.json) | head; fi
if diff <(strip bt.json) <(strip stdin.json) > /dev/null; then ok "stdin = file"; else fail "stdin differs"; fi

# --- SVG ---------------------------------------------------------------------
command -v xmllint >/dev/null || fail "xmllint not installed (package libxml2-utils, scripts/deps.sh installs it)"
"$BIN" --no-progress --svg report.svg golden.hmt > /dev/null || fail "svg: exit $?"
if xmllint --noout report.svg; then ok "svg well-formed"; else fail "svg not well-formed XML"; fi
for id in bytes_held bytes_live empty_bytes reclaim_histogram teardown_histogram; do
  grep -q "id=\"$id\"" report.svg && ok "svg has $id" || fail "svg lacks series $id"
done
[ "$(grep -o '<rect class="bar while_running"' report.svg | wc -l)" -ge 5 ] && ok "svg histogram bars" || fail "svg histogram has too few bars"
# the golden trace frees 6 deletes while running and 2 at teardown (destroy)
grep -q 'freed while running (grow_done, evacuated, unlink, shrink): 6 deletes' report.svg &&
  grep -q 'freed at teardown (clear, destroy): 2 deletes' report.svg && ok "svg histograms by class" || fail "svg histogram titles"

# --- filters ------------------------------------------------------------------
json_num() { grep -o "\"$2\": [0-9]*" "$1" | head -1 | awk '{print $2}'; }
"$BIN" --no-progress --format json --pid 5151 golden.hmt > pid.json
[ "$(json_num pid.json total)" = 3 ] && ok "--pid keeps that process's 3 deletes" || fail "--pid: deletes $(json_num pid.json total), expected 3"
"$BIN" --no-progress --format json --map 55550000c000 golden.hmt > map.json
[ "$(json_num map.json total)" = 2 ] && ok "--map keeps that map's 2 deletes" || fail "--map: deletes $(json_num map.json total), expected 2"
"$BIN" --no-progress --format json --since 1ms golden.hmt > since.json
[ "$(json_num since.json total)" = 2 ] && ok "--since 1ms counts the 2 later deletes" || fail "--since: deletes $(json_num since.json total), expected 2"
"$BIN" --no-progress --format json --until 150us golden.hmt > until.json
[ "$(json_num until.json total)" = 6 ] && ok "--until 150us counts the 6 earlier deletes" || fail "--until: deletes $(json_num until.json total), expected 6"
[ "$(json_num until.json retained)" = 3 ] && ok "--until censors at the window end" || fail "--until: retained $(json_num until.json retained), expected 3"

# --- state dump: a tracer attached to a running process ---------------------------
# (gen_golden --dump: P dumped at +2 us holding 288 + 200 bytes, Q unsafe, R created
# in the trace; P's probe fired once before its state: 2 events before_state)
"$GEN" --dump dump.hmt || fail "dump generator"
"$BIN" --no-progress dump.hmt > dump.txt || fail "dump text: exit $?"
grep -q '^attached at +2.000 µs: state of 1 maps (0 deferred, 1 unsafe): 288 B buckets + 200 B indirect held$' dump.txt \
  && ok "text: attach line" || fail "text: attach line: $(grep attached dump.txt)"
grep -q '^  7000 0x55550000d000 sessions app+0x1234: 288 B buckets + 200 B indirect held at +2.000 µs (recorder)$' dump.txt \
  && ok "text: attached map named, site and held bytes" || fail "text: attached map line"
grep -q '0x55550000e000 .*state unknown: unsafe' dump.txt && ok "text: unsafe map listed with why" || fail "text: unsafe map"
grep -q 'events before their map.s state was known .*: 2$' dump.txt && ok "text: before_state in data quality" || fail "text: before_state"
"$BIN" --no-progress --format json dump.hmt > dump.json || fail "dump json: exit $?"
grep -q '"schema": "bucketscope-report/3"' dump.json && ok "json: schema /3" || fail "json: schema"
for kv in '"before_state": 2, "redundant_dumps": 0' '"maps_attached": 1, "brackets": {"ok": 1, "busy": 0, "unsafe": 1}' \
          '"bucket_bytes": 288, "indirect_bytes": 200' '"indirect": {"while_running": 200, "teardown": 0, "unused": 0}' \
          '"name": "sessions", "site": {"object": "/usr/bin/app", "offset": "0x1234", "where": "app+0x1234"' \
          '"write_unknown_bucket": 0' '"unknown_map": 0'; do
  grep -qF "$kv" dump.json && ok "json: $kv" || fail "json lacks: $kv"
done
"$BIN" --no-progress --format csv dump.hmt > dump.csv || fail "dump csv: exit $?"
head -1 dump.csv | grep -q ',freed_at_teardown,name,site_object,site_offset,site,attached,' && ok "csv: columns appended" || fail "csv header"
grep -qF '"sessions","/usr/bin/app",0x1234,"app+0x1234",1,2000,recorder,ok,288,200,' dump.csv && ok "csv: attached map row" || fail "csv: attached map row"
# --map keeps the map attached by the dump, and statedump_done (which names no map)
"$BIN" --no-progress --format json --map 55550000d000 dump.hmt > dmap.json; rc=$?
[ $rc = 0 ] && grep -qF '"maps_attached": 1, "brackets": {"ok": 1, "busy": 0, "unsafe": 0}' dmap.json \
  && grep -qF '"statedump_done": {"passes": 1' dmap.json && [ "$(grep -c '"pid": 7000' dmap.json)" = 1 ] \
  && ok "--map selects an attached map" || fail "--map on an attached map (rc $rc)"
# the dump is state: a window after it still starts from it
"$BIN" --no-progress --format json --since 5us dump.hmt > dsince.json || fail "--since on a dump: exit $?"
grep -qF '"maps_attached": 1' dsince.json && grep -qF '"bucket_bytes_final": 288' dsince.json \
  && ok "--since keeps the dumped state" || fail "--since on a dump"
"$BIN" --no-progress --format json --until 2500ns dump.hmt > duntil.json || fail "--until in a dump: exit $?"
grep -qF '"state": true' duntil.json && ok "--until inside the dump" || fail "--until inside the dump"
"$BIN" --no-progress --svg dump.svg dump.hmt > /dev/null || fail "dump svg: exit $?"
xmllint --noout dump.svg && grep -q 'id="attach_marker"' dump.svg && grep -q 'id="indirect_bytes"' dump.svg \
  && ok "svg: attach marker and indirect curve" || fail "svg: attach marker or indirect curve"

# --- errors: file and offset named, exit 1 -------------------------------------
head -c 1000 golden.hmt > cut.hmt
"$BIN" --no-progress cut.hmt > /dev/null 2> cut.err; rc=$?
[ $rc = 1 ] && grep -q "cut.hmt: truncated record header at offset 984" cut.err && ok "truncated native: exit 1, offset named" \
  || fail "truncated native: rc $rc, $(cat cut.err)"
"$BIN" --no-progress --allow-truncated cut.hmt > cut.txt 2> cut2.err; rc=$?
[ $rc = 0 ] && grep -q "INPUT TRUNCATED" cut.txt && grep -q "warning: input truncated" cut2.err && ok "--allow-truncated: analysed and said so" \
  || fail "--allow-truncated: rc $rc"
printf 'HMEV 1 1 1 tophash_write map=0x1 bucket=zz\n' > bad.bt
"$BIN" --no-progress bad.bt > /dev/null 2> bad.err; rc=$?
[ $rc = 1 ] && grep -q "bad.bt:1: expected field: slot\|bad.bt:1: bad value for field: bucket" bad.err && ok "bad bpftrace line: exit 1, line named" \
  || fail "bad bpftrace line: rc $rc, $(cat bad.err)"
mkdir -p notrace; "$BIN" --no-progress notrace > /dev/null 2> dir.err; rc=$?
[ $rc = 1 ] && grep -q "no CTF trace" dir.err && ok "directory without CTF: exit 1" || fail "empty dir: rc $rc"
mkdir -p badctf/t; echo "not ctf metadata" > badctf/t/metadata
"$BIN" --no-progress badctf > /dev/null 2> ctf.err; rc=$?
[ $rc = 1 ] && grep -q "badctf/t" ctf.err && ok "rejected CTF: exit 1, stream dir named" || fail "bad CTF: rc $rc, $(cat ctf.err)"

# --- usage errors: exit 2 with a usage line -------------------------------------
usage() { # description, args...
  local d=$1; shift
  "$BIN" "$@" > /dev/null 2> u.err; local rc=$?
  [ $rc = 2 ] && grep -q '^usage: bucketscope-report' u.err && ok "usage: $d" || fail "usage: $d (rc $rc)"
}
usage "no input"
usage "unknown option" --frobnicate golden.hmt
usage "bad format" --format xml golden.hmt
usage "--tick without --csv-timeline" --tick 1ms golden.hmt
usage "--until before --since" --since 2ms --until 1ms golden.hmt
usage "bad duration" --since 5parsecs golden.hmt
usage "bad pid" --pid -3 golden.hmt
usage "mixed input kinds" golden.hmt golden.bt
"$BIN" --help | grep -q "reused    a later write in the same bucket generation" && ok "--help states the definitions" || fail "--help"

echo "cli: $fails failures"
[ $fails = 0 ]
