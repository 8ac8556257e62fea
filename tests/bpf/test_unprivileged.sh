#!/bin/bash
# SPDX-License-Identifier: MIT
# Without privilege the recorder refuses with one clear line naming what is
# missing, exits non-zero, and leaves no file (complete-looking or temporary).
# Privilege is checked before anything else, so the refusal is the same
# whether or not the user can reach the library: the clone may sit under a
# 0700 directory that only root can enter.  The recorder itself is run from a
# copy the user can reach, so the test does not depend on where the project
# was cloned.
. "$(dirname "$0")/common.sh"
need_bpf
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
cd "$WORK"
mkdir bin out
cp "$RECORD" bin/bucketscope-record
cp "$SYNTH" bin/synth_probes
chmod 755 bin bin/*
chmod 777 out

# refuse LIB: the library path as given, then the reachable copy.
refuse() {
    local lib=$1 rc
    setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
        "$WORK/bin/bucketscope-record" -l "$lib" -o "$WORK/out/unpriv.trace" \
        -- "$WORK/bin/synth_probes" 5 >out.txt 2>err.txt
    rc=$?
    cat err.txt
    [ "$rc" != 0 ] || fail "unprivileged run (-l $lib) exited 0"
    [ "$rc" = 1 ] || fail "unprivileged run (-l $lib) exited $rc, want 1"
    [ "$(wc -l <err.txt)" = 1 ] || fail "refusal (-l $lib) is not one line"
    grep -q 'needs root' err.txt || fail "refusal (-l $lib) does not say what privilege is missing"
    [ -z "$(ls -A out)" ] || fail "files left behind: $(ls -A out)"
}
refuse "$SYNTH"
refuse "$WORK/bin/synth_probes"
# A path nobody can use: privilege is still what is reported first.
refuse "$WORK/no-such-library"
echo "PASS: refused without privilege, first saying so, nothing written"
