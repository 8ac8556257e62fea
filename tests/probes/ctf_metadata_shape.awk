# SPDX-License-Identifier: MIT
# ctf_metadata_shape.awk — the hmap:* events of an LTTng trace's CTF metadata
# (babeltrace2 --output-format=ctf-metadata TRACE_DIR) as the lines that
# schema_enums prints:
#     fields <event> <field> ...          enum <event> <field> <value> <label>
# LTTng prefixes field names with "_"; enumeration values are listed as
# "label" = value, lines before the field's closing "} _name;".
/^\tname = "hmap:[a-z_]+";/ {
    ev = $0; sub(/.*"hmap:/, "", ev); sub(/".*/, "", ev); inev = 1; fields = ""; np = 0; next
}
inev && /^\t+"[a-z_]+" = [0-9]+,$/ {
    lab = $1; gsub(/"/, "", lab); val = $3; sub(/,$/, "", val); pend[++np] = val " " lab; next
}
inev && / _[A-Za-z0-9_]+;$/ {
    f = $NF; sub(/;$/, "", f); sub(/^_/, "", f); fields = fields " " f
    for (i = 1; i <= np; i++) print "enum", ev, f, pend[i]
    np = 0; next
}
inev && /^};/ { print "fields " ev fields; inev = 0 }
