/* SPDX-License-Identifier: MIT */
/*
 * svg_text_boxes SVG... — fails (exit 1) when two <text> elements of an SVG
 * overlap, or one leaves the canvas.  Each text's box comes from its x, y,
 * font-size, font-weight and text-anchor and its characters, with the fixed
 * per-character width estimate the writer lays out with
 * (analysis/report/svg_text.h), so a label that the report would have had
 * to skip or cut shows here.  The report sets every attribute on each
 * <text> itself; a text without font-size takes the root's, one with a
 * transform or child elements is refused (the estimate cannot place it).
 * Exit 0: no overlap; 1: overlaps (listed); 2: unreadable or unparsable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svg_text.h"

struct box {
    double l, r, t, b;
    char text[160];
    long offset;
};

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, len = 0;
    char *s = malloc(cap + 1);
    size_t got;
    while (s && (got = fread(s + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) s = realloc(s, (cap *= 2) + 1);
    }
    fclose(f);
    if (s) s[len] = 0;
    *n = len;
    return s;
}

/* Value of attribute name in the tag [tag, end), copied to out; 0 if absent. */
static int attr(const char *tag, const char *end, const char *name, char *out, size_t len)
{
    size_t nl = strlen(name);
    for (const char *p = tag + 1; p + nl + 2 < end; p++) { /* p[-1] stays in the tag */
        if ((p[-1] == ' ' || p[-1] == '\n') && strncmp(p, name, nl) == 0 && p[nl] == '=' &&
            p[nl + 1] == '"') {
            const char *v = p + nl + 2, *q = memchr(v, '"', (size_t)(end - v));
            if (!q) return 0;
            size_t k = (size_t)(q - v) < len - 1 ? (size_t)(q - v) : len - 1;
            memcpy(out, v, k);
            out[k] = 0;
            return 1;
        }
    }
    return 0;
}

/* Decode the character references of [s, e) into out (each one character). */
static size_t decode(const char *s, const char *e, char *out, size_t len)
{
    size_t o = 0;
    while (s < e && o + 4 < len) {
        if (*s == '&') {
            const char *semi = memchr(s, ';', (size_t)(e - s));
            if (!semi) return (size_t)-1;
            out[o++] = '#'; /* any one character: only the count matters */
            s = semi + 1;
        } else {
            out[o++] = *s++;
        }
    }
    out[o] = 0;
    return o;
}

static int check(const char *path)
{
    size_t n;
    char *svg = slurp(path, &n);
    if (!svg) {
        perror(path);
        return 2;
    }
    double root_fs = 12, cw = 0, ch = 0;
    char v[128];
    const char *root = strstr(svg, "<svg"), *root_end = root ? strchr(root, '>') : NULL;
    if (!root || !root_end) {
        fprintf(stderr, "%s: no <svg> element\n", path);
        free(svg);
        return 2;
    }
    if (attr(root, root_end, "font-size", v, sizeof(v))) root_fs = atof(v);
    if (attr(root, root_end, "width", v, sizeof(v))) cw = atof(v);
    if (attr(root, root_end, "height", v, sizeof(v))) ch = atof(v);
    size_t nb = 0, cap = 256;
    struct box *box = malloc(cap * sizeof(*box));
    int bad = 0;
    for (const char *p = svg; (p = strstr(p, "<text")) != NULL; p += 5) {
        if (p[5] != ' ' && p[5] != '>') continue;
        const char *tag_end = strchr(p, '>'), *close = tag_end ? strstr(tag_end, "</text>") : NULL;
        if (!close) {
            fprintf(stderr, "%s: unterminated <text> at offset %ld\n", path, (long)(p - svg));
            free(svg);
            free(box);
            return 2;
        }
        char x[32] = "0", y[32] = "0", fs[32], weight[32] = "", anchor[32] = "start", content[512];
        attr(p, tag_end, "x", x, sizeof(x));
        attr(p, tag_end, "y", y, sizeof(y));
        double size = attr(p, tag_end, "font-size", fs, sizeof(fs)) ? atof(fs) : root_fs;
        attr(p, tag_end, "font-weight", weight, sizeof(weight));
        attr(p, tag_end, "text-anchor", anchor, sizeof(anchor));
        if (attr(p, tag_end, "transform", v, sizeof(v)) ||
            memchr(tag_end + 1, '<', (size_t)(close - tag_end - 1))) {
            fprintf(stderr, "%s: <text> at offset %ld has a transform or child elements\n", path,
                    (long)(p - svg));
            bad = 1;
            continue;
        }
        size_t len = decode(tag_end + 1, close, content, sizeof(content));
        if (len == (size_t)-1) {
            fprintf(stderr, "%s: bad character reference at offset %ld\n", path, (long)(p - svg));
            bad = 1;
            continue;
        }
        if (!len) continue;
        double w = bs_svg_width(bs_svg_chars(content, len), size, strcmp(weight, "bold") == 0);
        double bx = atof(x), by = atof(y);
        double l = strcmp(anchor, "middle") == 0 ? bx - w / 2
                   : strcmp(anchor, "end") == 0  ? bx - w
                                                 : bx;
        if (nb == cap) box = realloc(box, (cap *= 2) * sizeof(*box));
        box[nb] = (struct box){
            l, l + w, by - BS_SVG_ASCENT * size, by + BS_SVG_DESCENT * size, "", (long)(p - svg)};
        snprintf(box[nb].text, sizeof(box[nb].text), "%.150s", content);
        nb++;
    }
    const double eps = 0.5; /* rounding of the coordinates the writer prints */
    for (size_t i = 0; i < nb; i++) {
        const struct box *a = &box[i];
        if ((cw && (a->l < -eps || a->r > cw + eps)) || (ch && (a->t < -eps || a->b > ch + eps))) {
            fprintf(stderr, "%s: text leaves the %gx%g canvas: [%.1f,%.1f]x[%.1f,%.1f] \"%s\"\n",
                    path, cw, ch, a->l, a->r, a->t, a->b, a->text);
            bad = 1;
        }
        for (size_t j = i + 1; j < nb; j++) {
            const struct box *b = &box[j];
            if (a->l < b->r - eps && b->l < a->r - eps && a->t < b->b - eps && b->t < a->b - eps) {
                fprintf(stderr,
                        "%s: text boxes overlap:\n  [%.1f,%.1f]x[%.1f,%.1f] \"%s\"\n"
                        "  [%.1f,%.1f]x[%.1f,%.1f] \"%s\"\n",
                        path, a->l, a->r, a->t, a->b, a->text, b->l, b->r, b->t, b->b, b->text);
                bad = 1;
            }
        }
    }
    printf("%s: %zu text boxes, %s\n", path, nb, bad ? "OVERLAPS OR REFUSED" : "none overlap");
    free(box);
    free(svg);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: svg_text_boxes SVG...\n");
        return 2;
    }
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        int r = check(argv[i]);
        if (r > rc) rc = r;
    }
    return rc;
}
