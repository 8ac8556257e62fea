/* SPDX-License-Identifier: MIT */
/*
 * svg_text.h — how wide the SVG's text is, estimated without a font
 * engine: one fixed advance per character, in em, for the font the SVG
 * names.  svg.c lays out labels with it (and skips those that would
 * collide); tests/analysis/svg_text_boxes.c checks the written SVG with the
 * very same numbers, so the two cannot drift apart (docs/report.md, "SVG").
 *
 * DejaVu Sans (Debian's default sans-serif, which rsvg-convert renders
 * with) advances digits by 0.636 em, most lower-case letters by 0.55-0.63
 * and capitals by up to 0.77; 0.62 em is its mean over report-like text,
 * and the bold face is about 10 % wider.  The checker adds no slack of its
 * own: a label set closer than this estimate fails it.
 */
#ifndef BS_SVG_TEXT_H
#define BS_SVG_TEXT_H

#include <stddef.h>

#define BS_SVG_FONT "DejaVu Sans, Verdana, sans-serif"
#define BS_SVG_EM 0.62      /* advance of one character, regular */
#define BS_SVG_EM_BOLD 0.69 /* advance of one character, bold */
#define BS_SVG_ASCENT 0.80  /* above the baseline, in em */
#define BS_SVG_DESCENT 0.24 /* below it */

/* Characters of a UTF-8 string: the bytes that do not continue one. */
static inline size_t bs_svg_chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

static inline double bs_svg_width(size_t chars, double font_size, int bold)
{
    return (double)chars * font_size * (bold ? BS_SVG_EM_BOLD : BS_SVG_EM);
}

#endif /* BS_SVG_TEXT_H */
