#!/bin/sh
# SPDX-License-Identifier: MIT
# events_bt_current.sh GEN_BPFTRACE EVENTS_BT — the checked-in bpftrace
# script is exactly what the schema generates (regenerate it otherwise).
set -eu
if ! "$1" | diff -u "$2" -; then
    echo "FAIL: $2 is out of date with the schema; regenerate: $1 > $2"
    exit 1
fi
echo "ok: $2 matches the schema"
