#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# trace_safety.sh REPORT CRASH_WORKLOAD HMTRACE_DUMP — the guarantees of
# docs/native-format.md ("Crash guarantees") and docs/probes.md ("HMAP_TRACE
# path rules") with real processes of crash_workload.c:
#   - a clean run: complete trace (end record), file mode 0600;
#   - abort, SIGTERM, _exit, SIGKILL: the report refuses the trace as cut
#     (naming the file) unless --allow-truncated, which says up to when;
#     abort and SIGTERM lose no published event (fatal-signal flush);
#   - a child exec'd with the same HMAP_TRACE: the parent's file intact, the
#     child's trace in FILE.<pid>, said once on stderr;
#   - a planted symlink (to a file, or dangling): not followed, target
#     untouched, one clear message, the program still succeeds;
#   - a full disk (a 256 KiB tmpfs in a private mount namespace): the loss
#     printed on stderr is the loss the report finds in the file.
set -uo pipefail
REPORT=$1 WL=$2 DUMP=$3
N=20000
work=$(mktemp -d /tmp/hmap-safety.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
# json FILE KEY: the value of "KEY": in a report's JSON.
json() { grep -o "\"$2\": [^,}]*" "$1" | head -1 | sed 's/^[^:]*: //'; }
# inserts FILE: tophash inserts recorded (as far as the file can be read).
inserts() { "$DUMP" --fields "$1" 2>/dev/null | awk '$1 == "tophash_write" && $7 == "cause=0" { n++ } END { print n + 0 }'; }

# --- a clean run --------------------------------------------------------------
HMAP_TRACE="$work/clean.hmt" "$WL" normal $N >/dev/null 2>"$work/clean.err" || fail "clean run failed"
if "$REPORT" --format json "$work/clean.hmt" >"$work/clean.json" 2>"$work/clean.rep"; then
    [ "$(json "$work/clean.json" truncated)" = false ] && ok "clean run: complete" ||
        fail "clean run: truncated $(json "$work/clean.json" truncated_at)"
else
    fail "clean run: report failed: $(cat "$work/clean.rep")"
fi
[ "$(inserts "$work/clean.hmt")" = $N ] && ok "clean run: $N inserts" || fail "clean run: $(inserts "$work/clean.hmt") inserts, not $N"
mode=$(stat -c %a "$work/clean.hmt")
[ "$mode" = 600 ] && ok "trace file mode 0600" || fail "trace file mode $mode, not 600"
"$DUMP" --summary "$work/clean.hmt" >/dev/null || fail "strict reader refuses the clean trace"

# --- ends without a clean stop ------------------------------------------------
for how in abort term exit kill; do
    f="$work/$how.hmt"
    HMAP_TRACE="$f" "$WL" $how $N >/dev/null 2>&1
    if "$REPORT" --format json "$f" >"$work/$how.json" 2>"$work/$how.rep"; then
        fail "$how: report accepted a cut trace as complete (lost_events $(json "$work/$how.json" lost_events))"
    elif grep -q "$f" "$work/$how.rep" && grep -qi "end record" "$work/$how.rep"; then
        ok "$how: refused: $(head -1 "$work/$how.rep")"
    else
        fail "$how: report failed without saying the trace was cut: $(cat "$work/$how.rep")"
    fi
    if "$REPORT" --allow-truncated --format json "$f" >"$work/$how.json" 2>"$work/$how.rep"; then
        [ "$(json "$work/$how.json" truncated)" = true ] &&
            ok "$how: --allow-truncated reports it incomplete: $(json "$work/$how.json" truncated_at)" ||
            fail "$how: --allow-truncated report does not say truncated"
    else
        fail "$how: --allow-truncated failed: $(cat "$work/$how.rep")"
    fi
    if [ $how = abort ] || [ $how = term ]; then
        got=$(inserts "$f")
        [ "$got" = $N ] && ok "$how: all $N inserts flushed by the signal handler" ||
            fail "$how: $got of $N inserts in the file"
    fi
done

# --- exec with the same HMAP_TRACE -----------------------------------------------
f="$work/exec.hmt"
HMAP_TRACE="$f" "$WL" exec $N >"$work/exec.out" 2>"$work/exec.err" || fail "exec run failed: $(cat "$work/exec.err")"
child=$(awk '$1 == "child" { print $2 }' "$work/exec.out")
if "$REPORT" --format json "$f" >"$work/exec.json" 2>"$work/exec.rep"; then
    [ "$(json "$work/exec.json" truncated)" = false ] && ok "exec: parent's trace readable and complete" ||
        fail "exec: parent's trace truncated"
else
    fail "exec: parent's trace unreadable: $(cat "$work/exec.rep")"
fi
[ "$(inserts "$f")" = $N ] && ok "exec: parent's trace has its $N inserts" || fail "exec: parent's trace has $(inserts "$f") inserts, not $N"
if [ -n "$child" ] && [ -f "$f.$child" ]; then
    [ "$(inserts "$f.$child")" = $N ] && ok "exec: child's trace $f.$child complete" ||
        fail "exec: child's trace has $(inserts "$f.$child") inserts"
    [ "$(grep -c "$f.$child" "$work/exec.err")" = 1 ] && ok "exec: said once: $(cat "$work/exec.err")" ||
        fail "exec: the fallback name was not said once on stderr: $(cat "$work/exec.err")"
else
    fail "exec: no child trace $f.$child: $(ls "$work")"
fi

# --- planted symlinks ----------------------------------------------------------------
echo precious >"$work/target"
ln -s "$work/target" "$work/link.hmt"
HMAP_TRACE="$work/link.hmt" "$WL" normal 100 >/dev/null 2>"$work/link.err" || fail "symlink: the program failed"
[ "$(cat "$work/target")" = precious ] && ok "symlink: target untouched" || fail "symlink: target overwritten"
grep -qi "symbolic link" "$work/link.err" && ok "symlink: $(cat "$work/link.err")" ||
    fail "symlink: no clear message: $(cat "$work/link.err")"
ln -s "$work/created-by-link" "$work/dangling.hmt"
HMAP_TRACE="$work/dangling.hmt" "$WL" normal 100 >/dev/null 2>&1 || fail "dangling symlink: the program failed"
[ ! -e "$work/created-by-link" ] && ok "dangling symlink: not followed" || fail "dangling symlink: followed"

# --- full disk ---------------------------------------------------------------------------
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
    mkdir -p "$work/small"
    # shellcheck disable=SC2016
    unshare -m bash -c 'mount -t tmpfs -o size=256k tmpfs "$1" || exit 77
        HMAP_TRACE="$1/t.hmt" "$2" normal 200000 >/dev/null 2>"$1/../full.err"
        cp "$1/t.hmt" "$1/../full.hmt"' sh "$work/small" "$WL" 2>/dev/null
    if [ ! -f "$work/full.hmt" ]; then
        echo "SKIPPED (loudly): full disk: cannot mount a small tmpfs here"
    else
        said=$(grep -o '[0-9]* events lost' "$work/full.err" | awk '{print $1}')
        "$REPORT" --format json "$work/full.hmt" >"$work/full.json" 2>"$work/full.rep"
        rrc=$?
        infile=$(json "$work/full.json" lost_events)
        if [ -z "$said" ]; then
            fail "full disk: nothing lost on a 256 KiB file system? $(cat "$work/full.err")"
        elif [ $rrc = 0 ] && [ "$infile" = "$said" ]; then
            ok "full disk: stderr and the file agree: $said events lost"
        elif [ $rrc != 0 ] && grep -qi "end record" "$work/full.rep"; then
            ok "full disk: the file says it is incomplete: $(head -1 "$work/full.rep")"
        else
            fail "full disk: stderr says $said lost, the report $infile (exit $rrc: $(head -1 "$work/full.rep"))"
        fi
    fi
else
    echo "SKIPPED (loudly): full disk: needs root and unshare -m"
fi

[ $fails = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all trace safety checks passed"
