#!/bin/bash
# SPDX-License-Identifier: MIT
# bpf/scripts/go_maps.bt on a real Go program built by Go VERSION
# (tests/go/churn: N inserts, N/2 deletes, the range-delete idiom on the
# rest, which the compiler turns into one mapclear): on the map with the
# most deletes, keyed by its hmap address, the script counts N/2 deletes, N
# inserts, one clear and at least one growth.  A call whose entry is passed
# twice (before and after morestack) may still count twice, at most
# @stack_restarts times in all (docs/go.md); the program keeps its map on
# the heap, so the header has one address for its whole life.
#
# usage: test_go_maps.sh VERSION
. "$(dirname "$0")/common.sh"
v=$1
[ "$(id -u)" = 0 ] || skip "bpftrace uprobes need root"
command -v bpftrace >/dev/null || skip "bpftrace not installed (scripts/deps.sh)"
go=$(go_tool "$v") || exit 77
(cd "$HERE/churn" && "$go" build -o "$WORK/churn" .) >"$WORK/build.log" 2>&1 ||
    { cat "$WORK/build.log"; fail "go $v build failed"; }
script=$HERE/../../bpf/scripts/go_maps.bt
N=20000
# bpftrace -c runs the program once every probe is attached; a private mount
# namespace with tracefs mounted gives a clean detach (docs/tracing-stack.md).
timeout 300 unshare -m sh -c 'mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; exec "$@"' \
    sh bpftrace "$script" "$WORK/churn" -c "$WORK/churn $N" >"$WORK/out" 2>"$WORK/err" ||
    { cat "$WORK/err" "$WORK/out"; fail "bpftrace go_maps.bt failed"; }
cat "$WORK/out"
grep -q "^deletes $((N / 2)) cleared $((N - N / 2)) left 0" "$WORK/out" || fail "the program did not run to its end"
count() { sed -n "s/^@$1\[$2\]: \([0-9]*\)\$/\1/p" "$WORK/out"; }
read -r map d < <(sed -n 's/^@deletes\[\([0-9]*\)\]: \([0-9]*\)$/\1 \2/p' "$WORK/out" | sort -k2 -n | tail -1)
[ -n "${map:-}" ] || fail "no deletes counted"
r=$(sed -n 's/^@stack_restarts: \([0-9]*\)$/\1/p' "$WORK/out" | tail -1)
r=${r:-0}
within() { [ "${1:-0}" -ge "$2" ] && [ "${1:-0}" -le $(($2 + r)) ]; }
within "$d" $((N / 2)) || fail "map $map: $d deletes, want $((N / 2)) (+ at most $r stack restarts)"
i=$(count inserts "$map")
within "$i" "$N" || fail "map $map: ${i:-0} inserts, want $N (+ at most $r stack restarts)"
c=$(count clears "$map")
[ "${c:-0}" -ge 1 ] || fail "map $map: the range-delete idiom (mapclear) not counted"
g=$(count growths "$map")
[ "${g:-0}" -ge 1 ] || fail "map $map: no growth counted"
echo "PASS: Go $v: map $map: $i inserts, $d deletes, $c clears, $g growths ($r stack restarts)"
