#!/bin/sh
# SPDX-License-Identifier: MIT
# spdx_lines.sh SOURCE_DIR — every file of the project names its licence in
# an SPDX-License-Identifier line among its first four lines (LICENSE):
# MIT, and GPL-2.0-only OR BSD-2-Clause for the BPF programs (bpf/*.bpf.c).
# Files that cannot carry a comment are listed in .reuse/dep5 instead.
set -eu
cd "$1"
command -v git >/dev/null && git rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
    { echo "SKIPPED: $1 is not a git checkout: no list of the project's files"; exit 77; }
bad=0
for f in $(git ls-files); do
    [ -f "$f" ] || continue
    case $f in LICENSE | LICENSES/* | .reuse/* | tests/analysis/golden/*) continue ;; esac
    if ! head -4 "$f" | grep -q 'SPDX-License-Identifier: '; then
        echo "no SPDX line: $f"; bad=1
    fi
    case $f in
    bpf/*.bpf.c | gotrace/*.bpf.c) want='GPL-2.0-only OR BSD-2-Clause' ;;
    *) want='MIT' ;;
    esac
    head -4 "$f" | grep -q -e "SPDX-License-Identifier: $want" -e "SPDX-License-Identifier: ($want)" || { echo "not $want: $f"; bad=1; }
done
[ $bad = 0 ] && echo "ok: every file names its licence" || { echo "FAIL: files without the right SPDX line"; exit 1; }
