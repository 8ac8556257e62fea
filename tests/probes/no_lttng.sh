#!/bin/sh
# SPDX-License-Identifier: MIT
# no_lttng.sh — libhmap does not depend on LTTng-UST:
#   - `readelf -d` shows no NEEDED liblttng-ust* in libhmap.so, nor in a
#     program linked with libhmap.a;
#   - with every liblttng-ust*.so* made unavailable (private mount namespace,
#     /dev/null bind-mounted over each), the workload runs and exits 0,
#     silently without HMAP_LTTNG, and with HMAP_LTTNG=1 printing exactly one
#     warning that names the missing library; the in-process recorder still
#     records the run.
# usage: no_lttng.sh BUILD_DIR
set -eu
skip() { echo "SKIPPED: $*"; exit 77; }
build=$1
lib=$build/libmap/libhmap.so
wl=$build/tests/probes/probes_workload
wls=$build/tests/probes/probes_workload_static
dump=$build/tests/lib/hmtrace_dump

if [ "${HMAP_NOLT_INNER:-}" != 1 ]; then
    for f in "$lib" "$wls"; do
        if readelf -d "$f" | grep NEEDED | grep -q lttng; then
            echo "FAIL: $f has a NEEDED entry for LTTng:"; readelf -d "$f" | grep NEEDED; exit 1
        fi
        echo "ok: $f does not need liblttng-ust"
    done
    [ "$(id -u)" = 0 ] || skip "hiding the LTTng libraries needs root (mount namespace)"
    command -v unshare >/dev/null || skip "unshare not installed"
    HMAP_NOLT_INNER=1 exec unshare -m --propagation private "$0" "$@"
fi

work=$(mktemp -d /tmp/hmap-nolt.XXXXXX)
hidden=0 seen=" "
# Wherever this system keeps them: the usual directories (multiarch, lib64)
# and whatever the dynamic loader's cache knows.
for f in /usr/lib/*/liblttng-ust*.so* /lib/*/liblttng-ust*.so* /usr/lib/liblttng-ust*.so* \
         /usr/lib64/liblttng-ust*.so* /lib64/liblttng-ust*.so* /usr/local/lib/liblttng-ust*.so* \
         /usr/local/lib64/liblttng-ust*.so* \
         $(ldconfig -p 2>/dev/null | sed -n 's/^[[:space:]]*liblttng-ust.* => //p'); do
    [ -e "$f" ] || continue
    real=$(readlink -f "$f")
    case $seen in *" $real "*) continue ;; esac
    seen="$seen$real "
    mount --bind /dev/null "$real"
    hidden=$((hidden + 1))
done
[ $hidden -gt 0 ] || skip "no liblttng-ust library found to hide (is LTTng-UST installed?)"
echo "hid $hidden LTTng-UST library files"

status=0
for prog in "$wl" "$wls"; do
    "$prog" >/dev/null 2>"$work/err" || { echo "FAIL: $prog failed without LTTng"; cat "$work/err"; status=1; }
    [ ! -s "$work/err" ] || { echo "FAIL: $prog printed without HMAP_LTTNG:"; cat "$work/err"; status=1; }

    rm -f "$work/t.hmtrace" # trace files are never overwritten (docs/probes.md)
    HMAP_LTTNG=1 HMAP_TRACE="$work/t.hmtrace" "$prog" >/dev/null 2>"$work/err" ||
        { echo "FAIL: $prog failed with HMAP_LTTNG=1 and no LTTng"; cat "$work/err"; status=1; }
    n=$(grep -c '^hmap: HMAP_LTTNG=1' "$work/err" || true)
    if [ "$n" != 1 ] || [ "$(wc -l <"$work/err")" != 1 ]; then
        echo "FAIL: $prog: expected exactly one HMAP_LTTNG warning, got:"; cat "$work/err"; status=1
    else
        echo "ok: $prog warned once: $(cat "$work/err")"
    fi
    ev=$("$dump" "$work/t.hmtrace" | grep -c '^HMEV ' || true)
    [ "$ev" -gt 1000 ] || { echo "FAIL: $prog: recorder wrote only $ev events without LTTng"; status=1; }
done
rm -rf "$work"
exit $status
