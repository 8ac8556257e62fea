#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End to end, "freed, by reason" (docs/report.md, "Definitions"): a cache
# workload (cache_workload.c: fill, churn, evict, hmap_free) under GO, EAGER
# and SHRINK, traced by the in-process recorder (HMAP_TRACE=FILE), then
# bucketscope-report in text, JSON and CSV.  In every format:
#   GO: nothing given back while running, and the teardown count is every
#       delete neither reused nor reclaimed before the destroy;
#   SHRINK: something given back while running;
#   all: while running + teardown = freed.
#   reclaim_e2e.sh BUCKETSCOPE_REPORT CACHE_WORKLOAD [N]
set -uo pipefail
BIN=$1 WORK=$2 N=${3:-20000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
num() { [[ "$1" =~ ^[0-9]+$ ]]; }

# jpol FILE POLICY FIELD: FIELD of the policy's entry in "policies".
jpol() { grep -o "{\"reclaim\": \"$2\", [^}]*}" "$1" | grep -o "\"$3\": [0-9]*" | awk '{print $2}'; }
# jdel FILE FIELD: FIELD of the "deletes" object (its first line and the next).
jdel() { sed -n '/"deletes": {/,/"freed_by_reason"/p' "$1" | grep -o "\"$2\": [0-9]*" | head -1 | awk '{print $2}'; }
# col FILE NAME: column NAME of the single data row of a CSV.
col() { awk -F, -v name="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==name) c=i} NR==2 && c {print $c}' "$1"; }

for p in go eager shrink; do
  P=${p^^}
  HMAP_TRACE="$tmp/$p.hmt" "$WORK" "$p" "$N" > "$tmp/$p.out" || { fail "$p: workload exit $?"; continue; }
  "$BIN" --no-progress "$tmp/$p.hmt" > "$tmp/$p.txt" || fail "$p: text report exit $?"
  "$BIN" --no-progress --format json "$tmp/$p.hmt" > "$tmp/$p.json" || fail "$p: json report exit $?"
  "$BIN" --no-progress --format csv --csv-deletes "$tmp/$p.del" "$tmp/$p.hmt" > "$tmp/$p.csv" \
    || fail "$p: csv report exit $?"

  # Each format's own figures: deletes reused while-running teardown unresolved
  # (and retained), then the same checks on each.
  fig_json="$(for f in deletes reused freed_while_running freed_at_teardown unresolved retained; do
    v=$(jpol "$tmp/$p.json" "$p" $f); printf '%s ' "${v:--}"; done)"
  line=$(grep "^$P maps (1): " "$tmp/$p.txt")
  # counts are spelt with thousands separators (docs/report.md, "Terminal report")
  re="^$P maps \(1\): ([0-9,]+) of ([0-9,]+) deleted slots given back while running \([a-z_, ]+\); ([0-9,]+) freed at teardown \([a-z_, ]+\), ([0-9,]+) reused, ([0-9,]+) retained at trace end, ([0-9,]+) unresolved$"
  if [[ "$line" =~ $re ]]; then
    fig_text="${BASH_REMATCH[2]} ${BASH_REMATCH[4]} ${BASH_REMATCH[1]} ${BASH_REMATCH[3]} ${BASH_REMATCH[6]} ${BASH_REMATCH[5]} "
    fig_text=${fig_text//,/}
  else
    fig_text="- - - - - - "; fail "$p text: no answer line for $P maps (got '$line')"
  fi
  fig_csv="$(for f in deletes reused freed_while_running freed_at_teardown unresolved retained; do
    v=$(col "$tmp/$p.csv" $f); printf '%s ' "${v:--}"; done)"
  echo "$p: deletes reused while-running teardown unresolved retained: json $fig_json| text $fig_text| csv $fig_csv"
  for fmt in json text csv; do
    fig=fig_$fmt
    read -r d u run end unr ret <<< "${!fig}"
    if ! num "$d" || ! num "$u" || ! num "$run" || ! num "$end" || ! num "$unr" || ! num "$ret"; then
      fail "$p $fmt: figures missing (${!fig})"; continue
    fi
    [ "$ret" = 0 ] && ok "$p $fmt: the trace ends after hmap_free, nothing retained" || fail "$p $fmt: $ret retained"
    case $p in
    go)
      # nothing reclaimed while running; every delete neither reused nor
      # reclaimed (nor unresolved) is freed at teardown, by hmap_free
      want=$((d - u - run - unr))
      [ "$run" = 0 ] && ok "go $fmt: 0 given back while running" || fail "go $fmt: $run given back while running"
      [ "$end" = "$want" ] && [ "$want" -gt 0 ] && ok "go $fmt: teardown $end = deletes retained until the destroy" \
        || fail "go $fmt: teardown $end, deletes retained until the destroy $want" ;;
    shrink)
      [ "$run" -gt 0 ] && ok "shrink $fmt: $run given back while running" || fail "shrink $fmt: $run given back while running, want > 0" ;;
    esac
  done
  [ "$fig_json" = "$fig_text" ] && [ "$fig_json" = "$fig_csv" ] && ok "$p: text, JSON and CSV agree" || fail "$p: formats disagree"
  read -r d u run end unr ret <<< "$fig_json"
  [ "$run $end" = "$(jdel "$tmp/$p.json" freed_while_running) $(jdel "$tmp/$p.json" freed_at_teardown)" ] \
    && [ "$((run + end))" = "$(jdel "$tmp/$p.json" freed)" ] && ok "$p json: totals = policy entry, while running + teardown = freed" \
    || fail "$p json: totals differ from the policy entry"
  # --csv-deletes: one row per delete, its class named
  fc=$(awk -F, 'NR==1{for(i=1;i<=NF;i++) if($i=="free_class") c=i} NR>1 && c {n[$c]++} END{printf "%d %d", n["while_running"], n["teardown"]}' "$tmp/$p.del")
  [ "$fc" = "$run $end" ] && ok "$p csv-deletes: rows by free_class = $fc" || fail "$p csv-deletes: rows by class '$fc', json '$run $end'"
  if [ $p = go ]; then
    destroy=$(awk -F, 'NR>1 && $7=="freed" && $10=="destroy"' "$tmp/$p.del" | wc -l)
    [ "$destroy" = "$end" ] && ok "go csv-deletes: $destroy freed by destroy" || fail "go csv-deletes: $destroy destroy rows, teardown '$end'"
  fi
done
echo "reclaim_e2e: $fails failures"
[ $fails = 0 ]
