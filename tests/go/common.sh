# SPDX-License-Identifier: MIT
# common.sh — shared by the Go-binary test scripts: skips, a scratch
# directory, and building the ground-truth program with one Go version.
# Sourced, not run.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIPPED: $*"; exit 77; }
WORK=$(mktemp -d /tmp/go-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# The build cache is shared by the tests of one build tree (GO_TEST_CACHE,
# safe for concurrent builds); the program has no dependencies to fetch.
export GOCACHE="${GO_TEST_CACHE:-$WORK/gocache}" GOPATH="$WORK/gopath" GOFLAGS=-mod=mod GOTOOLCHAIN=local GO111MODULE=on

# go_tool VERSION: the toolchain, or skip saying why (scripts/deps.sh installs
# 1.19 from Debian 12 and 1.21-1.23 from bookworm-backports, when it can).
go_tool() {
    local go=/usr/lib/go-$1/bin/go
    [ -x "$go" ] || skip "Go $1 is not installed (/usr/lib/go-$1): scripts/deps.sh could not get golang-$1-go from bookworm-backports"
    echo "$go"
}

# build_truth VERSION OUT [extra go build flags]
build_truth() {
    local go
    go=$(go_tool "$1") || exit 77
    (cd "$HERE/truth" && "$go" build -o "$2" "${@:3}" .) >"$WORK/build.log" 2>&1 ||
        { cat "$WORK/build.log" >&2; fail "go $1 build failed"; }
}

# build_truth_as MODE VERSION OUT: built -buildmode=MODE (exe, or pie: then
# checked to be position-independent; docs/go.md, "Position-independent
# binaries").
build_truth_as() {
    build_truth "$2" "$3" -buildmode="$1"
    [ "$1" != pie ] || readelf -h "$3" | grep -q 'Type: *DYN' || fail "-buildmode=pie did not give a PIE"
}
