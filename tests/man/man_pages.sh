#!/bin/bash
# SPDX-License-Identifier: MIT
# man_pages.sh MANDIR PAGE=COMMAND... — the man pages (docs/man/) render
# without a single groff or man warning, and every long option a command's
# --help prints is documented in that command's page.
set -u
mandir=$1
shift
command -v groff >/dev/null || { echo "SKIPPED: no groff (scripts/deps.sh installs groff-base)"; exit 77; }
export LC_ALL=C.UTF-8 MANWIDTH=80
bad=0
fail() { echo "FAIL: $*"; bad=1; }

for page in "$mandir"/*.[0-9]; do
    # -ww: every warning category; -z: no output, only the diagnostics.
    err=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
    [ -z "$err" ] || fail "groff warns on $(basename "$page"): $err"
    if command -v man >/dev/null; then
        err=$(man --warnings -l "$page" 2>&1 >/dev/null)
        [ -z "$err" ] || fail "man -l warns on $(basename "$page"): $err"
    fi
    grep -q '@[A-Z_]*@' "$page" && fail "$(basename "$page") has an unsubstituted @VAR@"
done

# The page's source with roff escapes for '-' and fonts removed: options are
# looked up as typed, whatever line breaks the formatter would choose.
for pair in "$@"; do
    page=$mandir/${pair%%=*}
    cmd=${pair#*=}
    [ -f "$page" ] || { fail "no page $page"; continue; }
    [ -x "$cmd" ] || { echo "note: $cmd not built, its options are not checked"; continue; }
    help=$("$cmd" --help 2>&1) || fail "$cmd --help exited $?"
    text=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' "$page")
    n=0
    for opt in $(grep -oE -- '--[a-z][a-z-]*' <<<"$help" | sort -u); do
        n=$((n + 1))
        grep -qE -- "(^|[^a-z-])$opt([^a-z-]|$)" <<<"$text" ||
            fail "$(basename "$page") does not document $opt (from $(basename "$cmd") --help)"
    done
    [ "$n" -gt 0 ] || fail "$(basename "$cmd") --help printed no long option"
    echo "checked $n long options of $(basename "$cmd") in $(basename "$page")"
done
[ $bad = 0 ] && echo "PASS: man pages render cleanly and document every long option"
exit $bad
