#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What bucketscope-gosites refuses, one clear line each (docs/go.md,
# "Binary inspection"): a non-Go binary, a Go >= 1.24 binary (Swiss tables),
# a non-amd64 binary, a file that is not ELF.  The Go >= 1.24 and non-amd64
# cases are copies of a real Go binary with the version string or e_machine
# patched, so they need only one installed Go.
source "$(dirname "$0")/common.sh"
GO=""
for v in 1.23 1.22 1.21 1.19; do [ -x /usr/lib/go-$v/bin/go ] && { GO=$v; break; }; done
[ -n "$GO" ] || skip "no Go toolchain installed (scripts/deps.sh)"
build_truth "$GO" "$WORK/truth"
expect() { # expect FILE PATTERN
    if out=$("$GOSITES" "$1" 2>&1); then fail "$1 was accepted"; fi
    [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "more than one line for $1: $out"
    printf '%s\n' "$out" | grep -q "$2" || fail "$1: expected '$2', got: $out"
    echo "ok: $out"
}
expect "$GOSITES" "not a Go binary"
printf 'hello\n' >"$WORK/text"; expect "$WORK/text" "not an ELF file"
# Go 1.24: same-length version string in the build info.
ver=$(grep '^go ' <("$GOSITES" "$WORK/truth") | cut -d' ' -f2)
new="go1.24.$(printf '%0*d' $((${#ver} - 7)) 0)"
LC_ALL=C sed "s/$ver/$new/g" "$WORK/truth" >"$WORK/go124"
expect "$WORK/go124" "Go >= 1.24 maps are Swiss tables"
# arm64: e_machine (offset 18) = 183.
cp "$WORK/truth" "$WORK/arm64"
printf '\xb7\x00' | dd of="$WORK/arm64" bs=1 seek=18 conv=notrunc status=none
expect "$WORK/arm64" "not an amd64 binary"
echo "PASS: refusals"
