#!/bin/sh
# SPDX-License-Identifier: MIT
# only_hmap_symbols.sh NM LIBHMAP_SO LIBHMAP_A — fails, listing them, if
# either library defines a global symbol whose name is not hmap_*.
# AddressSanitizer builds (HMAP_SANITIZE) add an ODR indicator
# __odr_asan.<name> beside each exported variable; that companion of an
# hmap_* symbol counts as hmap_*.
set -eu
nm=$1 so=$2 a=$3
status=0
check() { # check WHAT SYMBOL-LIST
    bad=$(printf '%s\n' "$2" | grep -v '^$' | grep -v '^hmap_' | grep -v '^__odr_asan\.hmap_' || true)
    n=$(printf '%s\n' "$2" | grep -c '^hmap_' || true)
    if [ -n "$bad" ]; then
        echo "FAIL: $1 has global symbols outside hmap_*:"
        printf '%s\n' "$bad" | sed 's/^/    /'
        status=1
    else
        echo "ok: $1: $n global symbols, all hmap_*"
    fi
}
check "$so (dynamic)" "$("$nm" -D --defined-only "$so" | awk 'NF == 3 { print $3 }' | sort -u)"
check "$a" "$("$nm" -g --defined-only "$a" | awk 'NF == 3 { print $3 }' | sort -u)"
exit $status
