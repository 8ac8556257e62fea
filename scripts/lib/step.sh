#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# step.sh LOG TITLE COMMAND... — run one build step of `make` with its
# output appended to LOG, printing one line for it; on failure, the last
# lines of LOG, so that the error is in view without scrolling through the
# build.  V=1 prints everything instead (and still keeps LOG).
set -uo pipefail
log=$1 title=$2
shift 2
echo "== $* ($(date -u +%FT%TZ))" >>"$log"
if [ "${V:-0}" = 1 ]; then
    "$@" 2>&1 | tee -a "$log"
    rc=${PIPESTATUS[0]}
else
    printf '%-40s' "$title"
    "$@" >>"$log" 2>&1
    rc=$?
    [ $rc = 0 ] && echo " ok" || echo " FAILED (exit $rc)"
fi
if [ $rc != 0 ]; then
    echo "--- last lines of $log:"
    tail -n 40 "$log"
    echo "--- the whole output is in $log (V=1 prints it as it goes)"
fi
exit $rc
