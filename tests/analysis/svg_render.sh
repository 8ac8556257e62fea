#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The SVG a person reads (docs/report.md, "SVG"): for the golden trace, a
# state dump, a real trace (cache_workload under SHRINK, recorded in
# process) and poor-quality traces (truncated; mostly unmatched), the SVG
# must be well-formed (xmllint), render to PNG (rsvg-convert, Debian
# librsvg2-bin) and hold no two overlapping text boxes (svg_text_boxes,
# the writer's own width estimate).  The warning band is there exactly when
# the data quality is poor; markers are there when their events are.
#   svg_render.sh BUCKETSCOPE_REPORT GEN_GOLDEN CACHE_WORKLOAD SVG_TEXT_BOXES [PNG_DIR]
# PNG_DIR: keep the PNGs there (default: thrown away with the work dir).
set -uo pipefail
BIN=$1 GEN=$2 WORK=$3 BOXES=$4 KEEP=${5:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
for tool in xmllint rsvg-convert; do
  command -v $tool >/dev/null || { echo "FAIL: $tool not installed (scripts/deps.sh installs libxml2-utils, librsvg2-bin)"; exit 1; }
done

# render NAME ARGS...: NAME.svg from the report, then every check that holds for any SVG
render() {
  local name=$1; shift
  "$BIN" --no-progress --svg "$name.svg" "$@" > /dev/null 2> "$name.err"
  local rc=$?
  [ $rc = 0 ] || [ $rc = 3 ] || { fail "$name: report exit $rc ($(head -2 "$name.err"))"; return; }
  xmllint --noout "$name.svg" && ok "$name: well-formed" || fail "$name: not well-formed XML"
  if rsvg-convert "$name.svg" -o "$name.png" 2> "$name.rsvg" && [ "$(head -c 4 "$name.png" | od -An -c | tr -d ' ')" = '211PNG' ]; then
    ok "$name: rendered to PNG ($(stat -c %s "$name.png") bytes)"
    [ -n "$KEEP" ] && cp "$name.png" "$KEEP/"
  else
    fail "$name: rsvg-convert failed: $(head -3 "$name.rsvg")"
  fi
  "$BOXES" "$name.svg" > "$name.boxes" 2>&1 && ok "$name: no overlapping text ($(tail -1 "$name.boxes"))" \
    || { fail "$name: text boxes overlap"; head -20 "$name.boxes"; }
}
has() { grep -q "$2" "$1.svg" && ok "$1: has $3" || fail "$1: lacks $3"; }
lacks() { ! grep -q "$2" "$1.svg" && ok "$1: no $3" || fail "$1: has $3"; }

# --- the checker itself: it must see an overlap, and pass a clean page ----------
cat > over.svg <<'EOF'
<svg xmlns="http://www.w3.org/2000/svg" width="400" height="100" font-size="12">
<text x="10" y="20">65536</text><text x="40" y="20">131072</text>
</svg>
EOF
cat > clean.svg <<'EOF'
<svg xmlns="http://www.w3.org/2000/svg" width="400" height="100" font-size="12">
<text x="10" y="20">65536</text><text x="70" y="20">131072</text>
<text x="390" y="40" text-anchor="end" font-weight="bold">right &amp; bold</text>
</svg>
EOF
"$BOXES" over.svg > /dev/null 2>&1; [ $? = 1 ] && ok "checker: sees '65536' over '131072'" || fail "checker missed an overlap"
"$BOXES" clean.svg > /dev/null 2>&1 && ok "checker: passes labels set apart" || fail "checker refused a clean page"

# --- the golden trace: 3 maps, a lost span touching 4 of 13 deletes ----------------
"$GEN" golden.hmt golden.bt || { echo "FAIL: generator"; exit 1; }
render golden golden.hmt
has golden 'id="quality_warning"' "the warning band (lost events)"
has golden 'id="lost_spans"' "the lost span"
has golden 'id="reuse_histogram"' "the reuse histogram"
has golden 'id="reclaim_histogram"' "the reclaim histogram"
has golden 'id="per_map"' "per-map small multiples (3 maps)"
has golden 'id="markers_growths"' "growth markers"
has golden 'id="markers_maps destroyed"' "destroy markers"
has golden 'id="markers_slots cleared"' "clear markers"
has golden '>bucketscope: golden.hmt<' "the trace named in the title"
has golden 'pids 4242, 5151' "the pids in the title"
has golden '3 maps (2 go, 1 eager)' "maps and policies in the title"
# the histogram's x labels are human units, never raw µs run together
has golden '>512 µs<' "tick labels in µs"
lacks golden '65536131072' "run-together tick labels"
# a very long trace name is cut in the title, never runs off the page
long=$(printf 'very-long-trace-name-%.0s' $(seq 1 9)).hmt
ln -s golden.hmt "$long"
render longname "$long"

# --- a state dump: the attach marker -----------------------------------------------
"$GEN" --dump dump.hmt || fail "dump generator"
render dump dump.hmt
has dump 'id="attach_marker"' "the attach marker"

# --- a real trace: the cache workload under SHRINK, recorded in process ------------
HMAP_TRACE=real.hmt "$WORK" shrink 20000 > real.out || fail "workload exit $?"
render real real.hmt
lacks real 'id="quality_warning"' "warning band on a clean trace"
has real 'id="markers_growths"' "growth markers"
has real 'id="markers_shrinks"' "shrink markers"
has real 'data quality: good' "a good verdict"

# --- poor quality: truncated, and mostly unmatched -----------------------------------
head -c 1000 golden.hmt > cut.hmt
render cut --allow-truncated cut.hmt
has cut 'id="quality_warning"' "the warning band"
has cut 'input truncated at' "why: truncated"
has cut 'id="truncated_marker"' "the truncation marker"
{ cat golden.bt
  for i in $(seq 1 600); do
    printf 'HMEV %d 4242 4242 bucket_free map=0x55550000a000 addr=0x%x bytes=144 kind=1 reason=1\n' $((2200000 + i)) $((0x7f2000000000 + i * 4096))
  done; } > unmatched.bt
render unmatched unmatched.bt
has unmatched 'id="quality_warning"' "the warning band"
has unmatched 'events unmatched' "why: unmatched events"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "PASS: every SVG is well-formed, renders, and has no overlapping text"
