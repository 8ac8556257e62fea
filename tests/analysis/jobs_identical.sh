#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bucketscope-report -j N writes, byte for byte, what -j 1 writes
# (docs/report.md, "Parallel analysis"): for every trace below and every
# set of options, the report on stdout and the SVG with -j 1, -j 2, -j 3.
# The traces: the golden one (native and its bpftrace twin), the state-dump
# one, the crafted shapes of the bounded-resources test, a churn trace of
# 300 maps, and gen_shards' traces (every kind of record, a delete that
# reaches the reader too late to be put back in time order, and two that
# the shards must refuse).  The test also checks, from --stats, that the
# traces meant to be sharded were (so that it cannot pass by never
# sharding) and that the refused ones were run again on one engine.
#   jobs_identical.sh BUCKETSCOPE_REPORT GEN_GOLDEN BOUNDED_GEN GEN_CHURN GEN_SHARDS
set -uo pipefail
BIN=$1 GOLDEN=$2 BOUNDED=$3 CHURN=$4 SHARDS=$5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$GOLDEN" golden.hmt golden.bt || fail "gen_golden"
"$GOLDEN" --dump dump.hmt || fail "gen_golden --dump"
for shape in sparse descending alternating destroys unknown timeline; do
    "$BOUNDED" "$shape" 2000 "$shape.hmt" || fail "bounded_gen $shape"
done
"$CHURN" churn.hmt 150000 300 >/dev/null || fail "gen_churn"
"$SHARDS" mixed 40000 mixed.hmt || fail "gen_shards mixed"
"$SHARDS" overlap 20000 overlap.hmt || fail "gen_shards overlap"
"$SHARDS" bigsum 0 bigsum.hmt || fail "gen_shards bigsum"
"$SHARDS" late 0 late.hmt late.bt || fail "gen_shards late"

# The option sets: every output format, the exact and msecs text, windows,
# filters, a short table, and the options that always run one engine.
optsets=(
    ""
    "--raw -m"
    "--format json"
    "--format csv"
    "--svg @SVG@"
    "--format json --since 2ms --until 30ms"
    "--since 1ms --top 3"
    "--format json --pid 100"
    "--csv-deletes @DEL@"
)

# same TRACE OPTS...: the outputs of -j 1, 2, 3 agree byte for byte.
same() {
    local trace=$1 opts=$2 j ref
    for j in 1 2 3; do
        local o=${opts//@SVG@/svg.$j} && o=${o//@DEL@/del.$j}
        # shellcheck disable=SC2086
        "$BIN" --no-progress -j "$j" $o "$trace" >"out.$j" 2>"err.$j"
        echo "$?" >"rc.$j"
    done
    for j in 2 3; do
        for f in out rc svg del; do
            [ -e "$f.1" ] || continue
            cmp -s "$f.1" "$f.$j" || fail "$trace [$opts]: $f of -j $j differs from -j 1"
        done
    done
    rm -f svg.* del.*
}

for trace in golden.hmt golden.bt dump.hmt sparse.hmt descending.hmt alternating.hmt \
    destroys.hmt unknown.hmt timeline.hmt mixed.hmt overlap.hmt bigsum.hmt; do
    for opts in "${optsets[@]}"; do
        same "$trace" "$opts"
    done
done
# the largest traces with fewer option sets (the test also runs under ASan)
for opts in "" "--format json" "--svg @SVG@"; do
    same churn.hmt "$opts"
    same late.bt "$opts"
done

# sharded TRACE yes|no: whether -j 2 ran the shards to the end.
sharded() {
    "$BIN" --no-progress --stats -j 2 "$1" >/dev/null 2>stats.err
    local got=no
    grep -q '^stats: -j 2: sharded$' stats.err && got=yes
    if [ "$got" != "$2" ]; then
        fail "$1: sharded $got, expected $2 ($(grep '^stats: -j' stats.err))"
    else
        echo "ok: $1: $(grep '^stats: -j' stats.err)"
    fi
}
sharded golden.hmt yes
sharded golden.bt yes
sharded churn.hmt yes
sharded mixed.hmt yes
sharded late.bt yes
sharded dump.hmt no
sharded unknown.hmt no
sharded overlap.hmt no
sharded bigsum.hmt no

# The mixed trace has every kind of record the shards take: check that the
# report saw them, so that the comparison above covers them.
"$BIN" --no-progress --format json -j 2 mixed.hmt >mixed.json
for key in '"lost_events": [1-9]' '"reused": [1-9]' \
    '"cleared": [1-9]' '"maps_destroyed": [1-9]'; do
    grep -Eq "$key" mixed.json || fail "mixed.hmt: the report has no $key"
done

# The late delete is applied at the latest time of all maps: one record
# out of order, so that the comparison above covers the clamp.
"$BIN" --no-progress --format json -j 1 late.bt >late.json
grep -Eq '"out_of_order": 1[,}]' late.json || fail "late.bt: the report has not one record out of order"

[ "$fails" = 0 ] && echo "PASS: -j 1, 2, 3 agree" && exit 0
echo "$fails failure(s)"
exit 1
