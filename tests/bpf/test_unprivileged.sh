#!/bin/bash
# Without privilege the recorder refuses with one clear line naming what is
# missing, exits non-zero, and leaves no file (complete-looking or temporary).
. "$(dirname "$0")/common.sh"
need_bpf
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
cd "$WORK"
chmod 777 "$WORK"

setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
    "$RECORD" -l "$SYNTH" -o "$WORK/unpriv.trace" -- "$SYNTH" 5 >out.txt 2>err.txt
rc=$?
cat err.txt
[ "$rc" != 0 ] || fail "unprivileged run exited 0"
[ "$rc" = 1 ] || fail "unprivileged run exited $rc, want 1"
[ "$(wc -l <err.txt)" = 1 ] || fail "refusal is not one line"
grep -q 'needs root' err.txt || fail "refusal does not say what privilege is missing"
[ -z "$(ls "$WORK" | grep -v -e out.txt -e err.txt)" ] || fail "files left behind: $(ls "$WORK")"
echo "PASS: refused without privilege, nothing written"
