#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The reclaim-policy comparison (docs/reclaim.md): each workload
# under GO, EAGER and SHRINK, recorded by the in-process recorder and read
# back with bucketscope report -- the numbers come from the trace, not from
# the library's counters.  Then churn throughput of the three, interleaved.
#
#   scripts/policies.sh [--check] POLICIES_EXE REPORT_EXE [N]
# N (default 1000000) entries; --check also asserts what the policies
# promise (used by the example_policies test at a small N).
set -euo pipefail
check=0
if [ "${1:-}" = --check ]; then check=1; shift; fi
exe=$1 report=$2 n=${3:-1000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# col FILE NAME: the value of column NAME in the single data row of a CSV.
col() { awk -F, -v name="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==name) c=i} NR==2{print $c}' "$1"; }
# pct FILE P: the P-th percentile (nearest rank) of a file of numbers.
pct() { sort -n "$1" | awk -v p="$2" '{v[NR]=$1} END{if(NR==0){print "-";exit} r=int((p*NR+99)/100); if(r<1)r=1; print v[r]}'; }
us() { [ "$1" = - ] && echo - || awk -v x="$1" 'BEGIN{printf "%.1f", x/1000}'; }
mib() { awk -v x="$1" 'BEGIN{printf "%.2f", x/1048576}'; }

fail=0
printf '| workload | policy | delete->free p50 us | p99 us | deletes retained | bytes held at end (MiB) | empty bytes peak / end (MiB) |\n'
printf '| --- | --- | ---: | ---: | ---: | ---: | ---: |\n'
for w in delete-all delete-90 churn grow-shrink; do
  for p in go eager shrink; do
    rm -f "$tmp/t.hmtrace" # trace files are never overwritten (docs/probes.md)
    "$exe" "$w" "$p" "$n" --trace "$tmp/t.hmtrace" >/dev/null
    "$report" --no-progress --format csv --csv-deletes "$tmp/d.csv" "$tmp/t.hmtrace" >"$tmp/m.csv"
    awk -F, 'NR>1 && $7=="freed" {print $9}' "$tmp/d.csv" >"$tmp/lat"
    deletes=$(col "$tmp/m.csv" deletes) retained=$(col "$tmp/m.csv" retained)
    held=$(col "$tmp/m.csv" bytes_held_final)
    printf '| %s | %s | %s | %s | %s (%s %%) | %s | %s / %s |\n' "$w" "$p" \
      "$(us "$(pct "$tmp/lat" 50)")" "$(us "$(pct "$tmp/lat" 99)")" "$retained" \
      "$(awk -v r="$retained" -v d="$deletes" 'BEGIN{printf "%.1f", d ? 100*r/d : 0}')" \
      "$(mib "$held")" "$(mib "$(col "$tmp/m.csv" empty_bytes_peak)")" \
      "$(mib "$(col "$tmp/m.csv" empty_bytes_final)")"
    eval "held_${w//-/_}_$p=$held retained_${w//-/_}_$p=$retained"
  done
done
echo
"$exe" churn-bench "$n" 5

if [ $check = 1 ]; then
  # GO keeps everything after delete-90; SHRINK returns most of it (>= 70 %:
  # at small N the power-of-two sizes are coarse; 88 % at N = 10^6);
  # EAGER and SHRINK retain fewer deletes than GO.
  awk -v go="$held_delete_90_go" -v sh="$held_delete_90_shrink" 'BEGIN{exit !(sh <= 0.30*go)}' ||
    { echo "FAIL: SHRINK kept $held_delete_90_shrink of GO's $held_delete_90_go bytes after delete-90"; fail=1; }
  [ "$retained_delete_90_eager" -le "$retained_delete_90_go" ] ||
    { echo "FAIL: EAGER retained more deletes than GO"; fail=1; }
  [ "$retained_delete_90_shrink" -lt "$retained_delete_90_go" ] ||
    { echo "FAIL: SHRINK did not free deleted slots GO retains"; fail=1; }
  [ $fail = 0 ] && echo "policies: checks passed"
fi
exit $fail
