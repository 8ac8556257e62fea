#!/bin/bash
# SPDX-License-Identifier: MIT
# cli_consistency.sh VERSION DISPATCHER CMD... — every command prints
# "<command> VERSION" for -V and --version, the project's version; a command
# names itself as typed ("bucketscope record" through the dispatcher,
# "bucketscope-record" run directly); a mistyped option gets one line saying
# what is wrong, one usage line and a hint to --help, exit 2, not the help.
set -u
version=$1 disp=$2
shift 2
bad=0
fail() { echo "FAIL: $*"; bad=1; }
ok() { echo "ok: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# version NAME ARGV...: both spellings print "NAME VERSION" and exit 0.
check_version() {
    local name=$1 out rc
    shift
    for v in -V --version; do
        out=$("$@" $v 2>&1)
        rc=$?
        [ $rc = 0 ] && [ "$out" = "$name $version" ] && ok "$name $v" ||
            fail "'$* $v': exit $rc, printed '$out', want '$name $version'"
    done
}

# typo NAME ARGV...: an unknown option is refused as above.
check_typo() {
    local name=$1 rc
    shift
    "$@" --no-such-option >"$tmp/out" 2>"$tmp/err"
    rc=$?
    local err
    err=$(cat "$tmp/err")
    if [ $rc = 2 ] && [ ! -s "$tmp/out" ] && [ "$(grep -c '^usage: ' "$tmp/err")" = 1 ] &&
        grep -q "^usage: $name " "$tmp/err" && grep -qF "$name: " "$tmp/err" &&
        grep -qxF "Try '$name --help'." "$tmp/err" && [ "$(wc -l <"$tmp/err")" -le 3 ]; then
        ok "$name: a typo gets one usage line and a hint"
    else
        fail "'$* --no-such-option': exit $rc, stderr: $err"
    fi
}

check_version bucketscope "$disp"
for cmd in "$@"; do
    [ -x "$cmd" ] || continue
    base=$(basename "$cmd")
    check_version "$base" "$cmd"
    case $base in
    bucketscope-record | bucketscope-report | bucketscope-gorecord)
        sub=${base#bucketscope-}
        check_version "bucketscope $sub" "$disp" "$sub"
        ;;
    esac
    case $base in
    bucketscope-record | bucketscope-report)
        check_typo "$base" "$cmd"
        check_typo "bucketscope $sub" "$disp" "$sub"
        ;;
    esac
done

# The same name in the usage line of --help, and in a value error.
"$disp" record --help | head -1 | grep -q '^usage: bucketscope record ' && ok "record --help names 'bucketscope record'" ||
    fail "bucketscope record --help: $("$disp" record --help | head -1)"
"$disp" report --help | head -1 | grep -q '^usage: bucketscope report ' && ok "report --help names 'bucketscope report'" ||
    fail "bucketscope report --help: $("$disp" report --help | head -1)"
"$disp" record -p notapid 2>&1 >/dev/null | grep -q "^bucketscope record: -p needs a process id" &&
    ok "record's value errors name 'bucketscope record'" || fail "bucketscope record -p notapid: $("$disp" record -p notapid 2>&1)"
"$disp" report --top x t 2>&1 >/dev/null | grep -q "^bucketscope report: " &&
    ok "report's value errors name 'bucketscope report'" || fail "bucketscope report --top x: $("$disp" report --top x t 2>&1)"
# An unknown command: one line and a hint.
"$disp" recrod >/dev/null 2>"$tmp/err"
rc=$?
[ $rc = 2 ] && grep -qxF "Try 'bucketscope help'." "$tmp/err" && [ "$(wc -l <"$tmp/err")" = 2 ] &&
    ok "unknown command: one line and a hint" || fail "bucketscope recrod: exit $rc, $(cat "$tmp/err")"
[ $bad = 0 ] && echo "PASS: one version, one naming, one way to refuse a typo"
exit $bad
