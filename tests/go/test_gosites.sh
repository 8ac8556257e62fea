#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bucketscope-gosites on real Go binaries built here by Go VERSION (and a
# stripped copy): the version is read from the build info, the map runtime
# functions and their probe sites are found in .gopclntab with or without a
# symbol table (docs/go.md, "Binary inspection").
#   test_gosites.sh VERSION
source "$(dirname "$0")/common.sh"
V=$1
build_truth "$V" "$WORK/truth"
strip -o "$WORK/truth.stripped" "$WORK/truth" || fail "strip failed"
for bin in truth truth.stripped; do
    "$GOSITES" -v "$WORK/$bin" >"$WORK/$bin.txt" || fail "gosites refused $bin: $(cat "$WORK/$bin.txt")"
    grep -q "^go go$V" "$WORK/$bin.txt" || fail "$bin: version is not go$V: $(grep '^go ' "$WORK/$bin.txt")"
    for f in makemap makemap_small hashGrow '\(\*hmap\).newoverflow' advanceEvacuationMark \
             evacuate_fast64 mapassign_fast64 mapdelete_fast64 '\(\*sweepLocked\).sweep'; do
        grep -qE "^func runtime\.$f entry 0x[0-9a-f]+ size [1-9]" "$WORK/$bin.txt" || fail "$bin: runtime.$f not found"
    done
    # mapdelete_fast64: the emptyOne store (immediate 1) and the emptyRest store (0).
    grep -qE '^site [0-9]+ runtime.mapdelete_fast64 .* mov byte ptr \[.*\], 1$' "$WORK/$bin.txt" ||
        fail "$bin: no emptyOne store found in mapdelete_fast64"
    grep -qE '^site [0-9]+ runtime.mapdelete_fast64 .* mov byte ptr \[.*\], 0$' "$WORK/$bin.txt" ||
        fail "$bin: no emptyRest store found in mapdelete_fast64"
    grep -qE '^site [0-9]+ runtime.advanceEvacuationMark .* ret' "$WORK/$bin.txt" ||
        fail "$bin: no RET found in advanceEvacuationMark"
    # Cost: entries are probed at the stack-check branch the kernel emulates,
    # and stack-local stores are not probed (docs/go.md, "Cost").
    grep -A1 -E '^site [0-9]+ runtime.mapdelete_fast64 0x[0-9a-f]+ \+0x[0-9a-f]+ entry$' "$WORK/$bin.txt" |
        grep -qE '^  at 0x[0-9a-f]+ j' || fail "$bin: mapdelete_fast64's entry probe is not on a branch"
    grep -qE '^sites [0-9]+ emulated [1-9][0-9]* single-stepped [0-9]+ frame-stores-skipped [1-9]' "$WORK/$bin.txt" ||
        fail "$bin: no emulated site or no skipped frame store: $(grep '^sites' "$WORK/$bin.txt")"
    grep -qE '^site .* \[rsp' "$WORK/$bin.txt" && fail "$bin: a stack-local store is probed"
done
grep -q '^stripped no' "$WORK/truth.txt" || fail "unstripped binary said stripped"
grep -q '^stripped yes' "$WORK/truth.stripped.txt" || fail "stripped binary not seen as stripped"
# The same sites whether stripped or not: .gopclntab is all that is used.
diff <(grep -E '^(func|site|  at)' "$WORK/truth.txt") <(grep -E '^(func|site|  at)' "$WORK/truth.stripped.txt") ||
    fail "stripping changed the sites"
echo "PASS: go$V: $(grep -c '^site' "$WORK/truth.txt") sites, same when stripped"
