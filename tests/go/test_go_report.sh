#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Go section of the report in JSON (docs/report.md, "JSON schema", "go";
# docs/go.md, "The report") on real gorecord traces of tests/go/truth,
# built by the newest installed Go 1.19-1.23, recorded twice (two processes):
#  - one trace: the "go" object's counts are the text section's and the
#    engine's (policy "go": deletes, reused, freed, retained = pending),
#    both latencies are there, the map "keep", which the program drops,
#    is listed as died;
#  - the window: with --since / --until the Go figures are the engine's
#    for the same window, in text and JSON, fewer than for the whole trace;
#  - --map: per map, the Go counts are that map's engine counts;
#  - both traces merged: the Go figures are the sums of each (maps and
#    blocks are per process: the two processes use the same addresses),
#    and --pid selects one process's exactly.
source "$(dirname "$0")/common.sh"
[ "$(id -u)" = 0 ] || skip "not root: attaching BPF to uprobes needs root"
[ -e /sys/bus/event_source/devices/uprobe ] || skip "kernel has no uprobe PMU"
command -v jq >/dev/null || skip "jq is not installed (scripts/deps.sh)"
V=
for v in 1.23 1.22 1.21 1.19; do [ -x "/usr/lib/go-$v/bin/go" ] && { V=$v; break; }; done
[ -n "$V" ] || skip "no Go 1.19-1.23 is installed (scripts/deps.sh)"
build_truth "$V" "$WORK/truth"
for run in a b; do
    "$GORECORD" -o "$WORK/$run.hmtrace" -- "$WORK/truth" "$WORK/dumps.$run" 2>"$WORK/rec.$run" ||
        { grep -v '^libbpf' "$WORK/rec.$run" >&2; fail "gorecord ($run) exited $?"; }
done

# json FILE ARGS...: the JSON report of the trace(s), checked to parse.
json() {
    local out=$1
    shift
    "$REPORT" --format json "$@" >"$out" 2>"$WORK/report.err"
    local rc=$?
    [ "$rc" = 0 ] || [ "$rc" = 3 ] || { cat "$WORK/report.err"; fail "report --format json $* exited $rc"; }
    jq -e . "$out" >/dev/null || fail "report --format json $* is not JSON"
}
# The Go figures, and the engine's for the maps of the go policy, as one line.
go_counts() { jq -r '.go | "\(.deletes) \(.reused) \(.freed) \(.pending)"' "$1"; }
engine_counts() {
    jq -r '[.policies[] | select(.reclaim == "go")][0] |
           "\(.deletes) \(.reused) \(.freed_while_running + .freed_at_teardown) \(.retained)"' "$1"
}
# The text section's first line as "deletes reused freed pending".
text_counts() {
    sed -nE 's/^Go: [0-9]+ maps, ([0-9]+) deletes: ([0-9]+) slots reused by an insert, ([0-9]+) freed by the GC .*\), ([0-9]+) not freed.*/\1 \2 \3 \4/p' "$1"
}

# ---- one trace ----
json "$WORK/a.json" "$WORK/a.hmtrace"
"$REPORT" "$WORK/a.hmtrace" >"$WORK/a.txt" 2>&1 || fail "text report failed"
jq -e '.go.maps > 0' "$WORK/a.json" >/dev/null || fail "no \"go\" object: $(jq -c .go "$WORK/a.json")"
read -r d r f p < <(go_counts "$WORK/a.json")
echo "go: deletes $d reused $r freed $f pending $p; engine $(engine_counts "$WORK/a.json"); text $(text_counts "$WORK/a.txt")"
[ "$d" -gt 0 ] && [ "$r" -gt 0 ] && [ "$f" -gt 0 ] || fail "Go counts empty: $d $r $f $p"
[ $((r + f + p)) = "$d" ] || fail "reused $r + freed $f + pending $p != $d deletes"
[ "$(text_counts "$WORK/a.txt")" = "$d $r $f $p" ] || fail "JSON $d $r $f $p, text $(text_counts "$WORK/a.txt")"
[ "$(engine_counts "$WORK/a.json")" = "$d $r $f $p" ] || fail "JSON $d $r $f $p, engine $(engine_counts "$WORK/a.json")"
dels=$("$DUMP" --fields "$WORK/a.hmtrace" | grep -c '^tophash_write .* cause=1$')
[ "$d" = "$dels" ] || fail "go.deletes $d, the trace has $dels delete writes"
jq -e '.go | (.freed_by_reason | add) == .freed' "$WORK/a.json" >/dev/null || fail "freed_by_reason does not add up to freed"
for lat in delete_to_unreachable delete_to_gc_free unreachable_to_gc_free; do
    jq -e --arg l "$lat" '.go[$l] | .count > 0 and .p50_ns > 0 and .max_ns >= .p99_ns and
        (.log2_usecs | add) == .count' "$WORK/a.json" >/dev/null || fail "go.$lat: $(jq -c ".go.$lat" "$WORK/a.json")"
done
n=$(jq '.go.delete_to_unreachable.count' "$WORK/a.json")
grep -qE "^Go: delete -> unreachable latency .*: $n\$" "$WORK/a.txt" || fail "text delete -> unreachable is not $n"
n=$(jq '.go.delete_to_gc_free.count' "$WORK/a.json")
[ "$n" = "$f" ] || fail "delete_to_gc_free.count $n != freed $f"
grep -qE "^Go: delete -> freed by the GC latency: $n\$" "$WORK/a.txt" || fail "text delete -> freed is not $n"
# The dead maps: listed, each one of the engine's maps; keep among them.
died=$(jq '.go.maps_died.count' "$WORK/a.json")
[ "$died" -gt 0 ] || fail "no map died"
grep -qE "^Go: $died maps died without a destroy event" "$WORK/a.txt" || fail "text does not say $died maps died"
jq -e '.go.maps_died | (.maps | length) == .count and ([.maps[].bytes] | add) == .bytes' "$WORK/a.json" >/dev/null ||
    fail "maps_died does not list every dead map: $(jq -c .go.maps_died "$WORK/a.json")"
jq -e '. as $r | all(.go.maps_died.maps[]; . as $d | any($r.maps[]; .pid == $d.pid and .addr == $d.addr and .type_name == $d.type_name))' \
    "$WORK/a.json" >/dev/null || fail "a dead map is not one of the report's maps"
line=$(grep -n 'keep = make(map\[uint64\]uint64) // makemap_small' "$HERE/truth/main.go" | cut -d: -f1)
keep=$(jq -r --arg n "main.main:$line" '.maps[] | select(.name == $n) | .addr' "$WORK/a.json")
[ -n "$keep" ] || fail "no map named main.main:$line"
jq -e --arg a "$keep" 'any(.go.maps_died.maps[]; .addr == $a)' "$WORK/a.json" >/dev/null ||
    fail "keep ($keep), dropped by the program, is not listed as died"

# ---- the window ----
span=$(jq '.time.span_ns' "$WORK/a.json")
s=$((span / 3)) u=$((2 * span / 3))
for w in "--since ${s}ns" "--until ${u}ns" "--since ${s}ns --until ${u}ns"; do
    # shellcheck disable=SC2086
    json "$WORK/w.json" $w "$WORK/a.hmtrace"
    # shellcheck disable=SC2086
    "$REPORT" $w "$WORK/a.hmtrace" >"$WORK/w.txt" 2>&1
    read -r wd wr wf wp < <(go_counts "$WORK/w.json")
    echo "$w: go $wd $wr $wf $wp; engine $(engine_counts "$WORK/w.json"); text $(text_counts "$WORK/w.txt")"
    [ "$(engine_counts "$WORK/w.json")" = "$wd $wr $wf $wp" ] || fail "$w: Go $wd $wr $wf $wp, engine $(engine_counts "$WORK/w.json")"
    [ "$(text_counts "$WORK/w.txt")" = "$wd $wr $wf $wp" ] || fail "$w: JSON $wd $wr $wf $wp, text $(text_counts "$WORK/w.txt")"
    [ "$wd" -lt "$d" ] && [ "$wd" -gt 0 ] || fail "$w: $wd deletes of $d: the window is not applied"
    [ $((wr + wf + wp)) = "$wd" ] || fail "$w: reused + freed + pending != deletes"
    jq -e --argjson s "$(jq .filters.since_ns "$WORK/w.json")" --argjson u "$(jq .filters.until_ns "$WORK/w.json")" \
        'all(.go.maps_died.maps[]; .swept_ns >= $s and ($u == 0 or .swept_ns < $u))' "$WORK/w.json" >/dev/null ||
        fail "$w: a map that died outside the window is listed"
done

# ---- --map ----
for a in $(jq -r '.maps[] | select(.deletes > 0) | .addr' "$WORK/a.json"); do
    json "$WORK/m.json" --map "$a" "$WORK/a.hmtrace"
    got=$(go_counts "$WORK/m.json")
    want=$(jq -r '.maps[0] | "\(.deletes) \(.reused) \(.freed) \(.retained)"' "$WORK/m.json")
    [ "$got" = "$want" ] || fail "--map $a: Go $got, the map's $want"
done

# ---- two processes ----
json "$WORK/b.json" "$WORK/b.hmtrace"
json "$WORK/ab.json" "$WORK/a.hmtrace" "$WORK/b.hmtrace"
read -r bd br bf bp < <(go_counts "$WORK/b.json")
read -r md mr mf mp < <(go_counts "$WORK/ab.json")
echo "merged: go $md $mr $mf $mp = a $d $r $f $p + b $bd $br $bf $bp; engine $(engine_counts "$WORK/ab.json")"
[ "$md $mr $mf $mp" = "$((d + bd)) $((r + br)) $((f + bf)) $((p + bp))" ] || fail "merged Go figures are not the sum of each process's"
[ "$(engine_counts "$WORK/ab.json")" = "$md $mr $mf $mp" ] || fail "merged: Go $md $mr $mf $mp, engine $(engine_counts "$WORK/ab.json")"
[ "$(jq '.go.maps' "$WORK/ab.json")" = "$(($(jq .go.maps "$WORK/a.json") + $(jq .go.maps "$WORK/b.json")))" ] ||
    fail "merged: maps are not the sum"
pid=$(jq '.maps[0].pid' "$WORK/b.json")
json "$WORK/pb.json" --pid "$pid" "$WORK/a.hmtrace" "$WORK/b.hmtrace"
[ "$(go_counts "$WORK/pb.json")" = "$bd $br $bf $bp" ] || fail "--pid $pid: Go $(go_counts "$WORK/pb.json"), b alone $bd $br $bf $bp"
jq -e --slurpfile b "$WORK/b.json" '.go.maps_died.count == $b[0].go.maps_died.count and
    .go.delete_to_gc_free.count == $b[0].go.delete_to_gc_free.count' "$WORK/pb.json" >/dev/null ||
    fail "--pid $pid: the dead maps or latencies differ from b alone"
echo "PASS: go$V: the Go section in JSON, text and engine agree, in the window, per map and per process"
