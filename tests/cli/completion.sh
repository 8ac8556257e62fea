#!/bin/bash
# SPDX-License-Identifier: MIT
# completion.sh COMPLETION DISPATCHER — the bash completion offers the
# subcommands, and for record, report and gorecord every long option their --help
# prints (so the file cannot fall behind the commands).
set -u
. "$1"
disp=$2
bad=0
fail() { echo "FAIL: $*"; bad=1; }
# complete WORD...: COMPREPLY for the command line WORD... (the last one is
# the word being completed).
complete_line() {
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMPREPLY=()
    _bucketscope
    echo "${COMPREPLY[*]}"
}
[[ " $(complete_line bucketscope re) " == *" record "* ]] || fail "'bucketscope re' does not offer record"
[[ " $(complete_line bucketscope re) " == *" report "* ]] || fail "'bucketscope re' does not offer report"
for sub in record report gorecord; do
    offered=" $(complete_line bucketscope "$sub" --) "
    for opt in $("$disp" "$sub" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
        [[ $offered == *" $opt "* ]] || fail "'bucketscope $sub --<TAB>' does not offer $opt"
    done
done
[ "$(complete_line bucketscope report --format j)" = json ] || fail "--format values"
# bucketscope-gosites is a command of its own (no dispatcher entry).
for opt in -v --help --version; do
    [[ " $(complete_line bucketscope-gosites -) " == *" $opt "* ]] || fail "'bucketscope-gosites -<TAB>' does not offer $opt"
done
[ $bad = 0 ] && echo "PASS: completion offers the commands and their options"
exit $bad
