# SPDX-License-Identifier: MIT
# ctf_to_hmev.awk — babeltrace2 text output of an hmap:* LTTng trace, run
# with --clock-seconds and the vpid/vtid contexts, turned into the bpftrace
# event line format (docs/bpftrace-format.md):
#     HMEV <ts_ns> <vpid> <vtid> <event> <field>=<value> ...
# babeltrace2 prints   [S.NNNNNNNNN] (+delta) host hmap:EV: { cpu_id = C },
# { vpid = P, vtid = T }, { f = v, ... }   where hex integers are upper-case
# 0x..., enumerations are ( "label" : container = N ) and strings are quoted.
# Lines of other providers are skipped; an hmap line that does not parse is
# an error (exit 1, with its line number).
function fail(why) { printf("ctf_to_hmev: line %d: %s: %s\n", NR, why, $0) > "/dev/stderr"; bad = 1; exit 1 }
/ hmap:[a-z_]+: / {
    ts = $1; gsub(/[\[\]]/, "", ts); split(ts, s, "."); ts_ns = s[1] * 1 "" s[2]
    sub(/^0+/, "", ts_ns)
    if (!match($0, / hmap:[a-z_]+: /)) fail("no event name")
    ev = substr($0, RSTART + 6, RLENGTH - 8)
    if (!match($0, /vpid = [0-9]+/)) fail("no vpid context (lttng add-context -t vpid)")
    vpid = substr($0, RSTART + 7, RLENGTH - 7)
    if (!match($0, /vtid = [0-9]+/)) fail("no vtid context")
    vtid = substr($0, RSTART + 7, RLENGTH - 7)
    rest = substr($0, RSTART + RLENGTH)
    p = index(rest, "}, { "); if (!p) fail("no payload")
    rest = substr(rest, p + 5)
    if (substr(rest, length(rest) - 1) != " }") fail("payload not closed")
    rest = substr(rest, 1, length(rest) - 2)
    out = "HMEV " ts_ns " " vpid " " vtid " " ev
    while (rest != "") {
        p = index(rest, " = "); if (!p) fail("field without value")
        name = substr(rest, 1, p - 1); rest = substr(rest, p + 3)
        if (substr(rest, 1, 1) == "(") {            # ( "label" : container = N )
            if (!match(rest, /container = [0-9]+ \)/)) fail("bad enumeration")
            val = substr(rest, RSTART + 12, RLENGTH - 14); rest = substr(rest, RSTART + RLENGTH)
        } else if (substr(rest, 1, 1) == "\"") {    # a string: up to '", ' or the end
            p = index(rest, "\", ")
            if (p) { val = substr(rest, 2, p - 2); rest = substr(rest, p + 1) }
            else { val = substr(rest, 2, length(rest) - 2); rest = "" }
        } else {
            p = index(rest, ", ")
            if (p) { val = substr(rest, 1, p - 1); rest = substr(rest, p) } else { val = rest; rest = "" }
            if (val ~ /^0x/) val = "0x" tolower(substr(val, 3))
        }
        sub(/^, /, "", rest)
        out = out " " name "=" val
    }
    print out
}
