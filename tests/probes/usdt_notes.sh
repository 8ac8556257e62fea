#!/bin/sh
# SPDX-License-Identifier: MIT
# usdt_notes.sh FILE... — every hmap USDT probe is in FILE's ELF notes, with
# a non-zero semaphore address and register/immediate-only argument specs
# (libbpf 1.1 rejects memory operands such as 8@16(%rsp) or 8@x(%rip)).
# The expected probe names come from the schema via hmap_gen_bpftrace.
# usage: usdt_notes.sh GEN_BPFTRACE FILE...
set -eu
gen=$1; shift
command -v readelf >/dev/null || { echo "SKIPPED: readelf not installed"; exit 77; }
events=$("$gen" | sed -n 's/^usdt:\$1:hmap:\([a-z_]*\)$/\1/p')
[ -n "$events" ] || { echo "FAIL: no events from $gen"; exit 1; }
status=0
for f in "$@"; do
    notes=$(readelf -n "$f" | awk '
        /Provider:/ { prov = $2 }
        /Name:/     { name = $2 }
        /Semaphore:/ { sema = $NF }
        /Arguments:/ { sub(/^[ \t]*Arguments:[ \t]*/, ""); if (prov == "hmap") print name, sema, $0 }')
    for ev in $events; do
        line=$(printf '%s\n' "$notes" | awk -v e="$ev" '$1 == e')
        if [ -z "$line" ]; then
            echo "FAIL: $f: no USDT probe hmap:$ev"; status=1; continue
        fi
        printf '%s\n' "$line" | while read -r name sema args; do
            case $sema in
            0x0000000000000000|0x0|"") echo "FAIL: $f: hmap:$name has no semaphore"; exit 1 ;;
            esac
            case $args in
            *"("*) echo "FAIL: $f: hmap:$name has a memory operand: $args"; exit 1 ;;
            esac
        done || status=1
        echo "ok: $f: hmap:$ev $(printf '%s\n' "$line" | head -1 | cut -d' ' -f2-)"
    done
    extra=$(printf '%s\n' "$notes" | awk '{print $1}' | sort -u | grep -vxF "$events" || true)
    [ -z "$extra" ] || { echo "FAIL: $f: probes not in the schema: $extra"; status=1; }
done
exit $status
