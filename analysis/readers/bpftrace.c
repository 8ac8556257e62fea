/* SPDX-License-Identifier: MIT */
/*
 * bpftrace.c — reader for bpftrace event lines.
 *
 *   HMEV <ts_ns> <pid> <tid> <event> <field>=<value> ...
 *
 * Fields come in schema order, as decimal integers or 0x hex; a string field
 * takes the rest of the line when it is last, and otherwise ends at the first
 * " <next field>=" (map_info's object path, then its name).  Other
 * lines are bpftrace chatter and are ignored, except "Lost N events", which
 * becomes a lost record spanning the time between the events around it.
 * Lines may end in \r\n.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prog.h"
#include "format.h"
#include "schema_table.h"

#define MAX_LINE 4096
#define PREFIX_LEN (sizeof(BS_BPFTRACE_EVENT_PREFIX) - 1)

struct bpftrace_reader {
    struct bs_reader r;
    struct bs_input in;
    uint64_t lineno;
    struct bs_record rec;  /* the event just parsed */
    struct bs_record lost; /* a lost record returned before rec */
    int have_held;         /* rec is still to be returned */
    uint64_t lost_pending, last_ts;
    uint64_t lost_total; /* saturating, to warn once when it does not fit */
};

static int fail(struct bpftrace_reader *br, uint64_t off, const char *what, const char *detail)
{
    snprintf(br->r.err, sizeof(br->r.err), "%s:%" PRIu64 ": %s%s%s (offset %" PRIu64 ")",
             br->r.path, br->lineno, what, detail ? ": " : "", detail ? detail : "", off);
    return -1;
}

/* Parse an unsigned decimal or 0x-hex number ending at a space or the line
 * end; *p advances past it.  Returns 0 on success. */
static int parse_u64(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    int digits = 0;
    if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        for (s += 2; s < end && *s != ' '; s++, digits++) {
            int d = *s >= '0' && *s <= '9'   ? *s - '0'
                    : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
                    : *s >= 'A' && *s <= 'F' ? *s - 'A' + 10
                                             : -1;
            if (d < 0 || v >> 60) return -1;
            v = v << 4 | (uint64_t)d;
        }
    } else {
        for (; s < end && *s != ' '; s++, digits++) {
            if (*s < '0' || *s > '9') return -1;
            uint64_t d = (uint64_t)(*s - '0');
            if (v > (UINT64_MAX - d) / 10) return -1;
            v = v * 10 + d;
        }
    }
    if (!digits) return -1;
    *p = s;
    *out = v;
    return 0;
}

static const char *skip_spaces(const char *s, const char *end)
{
    while (s < end && *s == ' ')
        s++;
    return s;
}

/* Where a string field that is not last ends: at the first " <next>=",
 * or NULL when the next field is missing. */
static const char *next_field_at(const char *s, const char *end, const char *next)
{
    size_t nl = strlen(next);
    for (const char *p = s; p + nl + 2 <= end; p++)
        if (p[0] == ' ' && memcmp(p + 1, next, nl) == 0 && p[1 + nl] == '=') return p;
    return NULL;
}

/* One HMEV line (without its prefix and newline) into br->rec. */
static int parse_event(struct bpftrace_reader *br, const char *s, const char *end, uint64_t off)
{
    uint64_t ts, pid, tid;
    s = skip_spaces(s, end);
    if (parse_u64(&s, end, &ts) < 0) return fail(br, off, "bad timestamp", NULL);
    s = skip_spaces(s, end);
    if (parse_u64(&s, end, &pid) < 0 || pid > UINT32_MAX) return fail(br, off, "bad pid", NULL);
    s = skip_spaces(s, end);
    if (parse_u64(&s, end, &tid) < 0 || tid > UINT32_MAX) return fail(br, off, "bad tid", NULL);
    s = skip_spaces(s, end);
    const char *name = s;
    while (s < end && *s != ' ')
        s++;
    const struct bs_event_desc *ev = bs_event_by_name(name, (size_t)(s - name));
    if (!ev) {
        char n[64];
        snprintf(n, sizeof(n), "%.*s", (int)(s - name < 60 ? s - name : 60), name);
        return fail(br, off, "unknown event", n);
    }
    memset(&br->rec, 0, sizeof(br->rec));
    for (unsigned i = 0; i < ev->nfields; i++) {
        const struct bs_field_desc *f = &ev->fields[i];
        size_t nl = strlen(f->name);
        s = skip_spaces(s, end);
        if ((size_t)(end - s) <= nl || memcmp(s, f->name, nl) != 0 || s[nl] != '=')
            return fail(br, off, "expected field", f->name);
        s += nl + 1;
        if (f->kind == BS_FIELD_STRING) {
            const char *stop = end;
            if (i + 1 < ev->nfields) stop = next_field_at(s, end, ev->fields[i + 1].name);
            if (!stop) return fail(br, off, "expected field", ev->fields[i + 1].name);
            size_t len = (size_t)(stop - s);
            if (len > (size_t)f->size - 1) len = (size_t)f->size - 1;
            memcpy(br->rec.payload + f->offset, s, len);
            s = stop;
            continue;
        }
        uint64_t v;
        if (parse_u64(&s, end, &v) < 0) return fail(br, off, "bad value for field", f->name);
        if (f->size < sizeof(v) && v >> (8 * f->size))
            return fail(br, off, "value out of range for field", f->name);
        bs_field_store(br->rec.payload, f, v);
    }
    s = skip_spaces(s, end);
    if (s < end) return fail(br, off, "unexpected text after the last field", NULL);
    br->rec.h = (struct hmap_native_rec_header){.ts_ns = ts,
                                                .pid = (uint32_t)pid,
                                                .tid = (uint32_t)tid,
                                                .id = ev->id,
                                                .size = hmap_native_rec_size(ev->id)};
    return 0;
}

/* The lost record for "Lost N events" lines seen since the last event: the
 * drops happened between that event and `until`. */
static const struct hmap_native_rec_header *lost_record(struct bpftrace_reader *br, uint64_t until)
{
    struct bs_record *lr = &br->lost;
    memset(lr, 0, sizeof(*lr));
    lr->h = (struct hmap_native_rec_header){
        .ts_ns = until, .id = HMAP_NATIVE_LOST_ID, .size = hmap_native_rec_size(0)};
    struct hmap_native_lost l = {br->lost_pending, br->last_ts, until};
    memcpy(lr->payload, &l, sizeof(l));
    br->lost_pending = 0;
    return &lr->h;
}

static int bpftrace_next(struct bs_reader *r, const struct hmap_native_rec_header **rec)
{
    struct bpftrace_reader *br = (struct bpftrace_reader *)r;
    struct bs_input *in = &br->in;
    if (br->have_held) { /* the event that followed a lost record */
        br->have_held = 0;
        *rec = &br->rec.h;
        return 1;
    }
    for (;;) {
        char *line = (char *)in->buf + in->pos;
        char *nl = memchr(line, '\n', in->end - in->pos);
        if (!nl) {
            long n = bs_input_fill(in, in->end - in->pos + MAX_LINE);
            if (n < 0) return fail(br, in->base + in->pos, "read error", strerror(errno));
            line = (char *)in->buf + in->pos;
            nl = memchr(line, '\n', (size_t)n);
            if (!nl) {
                if (n == 0 || (in->eof && n == 1 && line[0] == '\r')) break;
                if (!in->eof) return fail(br, in->base + in->pos, "line too long", NULL);
                br->lineno++;
                if (r->allow_truncated) {
                    r->truncated = 1;
                    snprintf(r->truncated_at, sizeof(r->truncated_at),
                             "%s:%" PRIu64 ": incomplete last line at offset %" PRIu64, r->path,
                             br->lineno, in->base + in->pos);
                    in->pos = in->end;
                    break;
                }
                return fail(br, in->base + in->pos, "incomplete last line",
                            "use --allow-truncated to analyse up to there");
            }
        }
        uint64_t off = in->base + in->pos;
        /* A CRLF line (a trace saved or edited on Windows) ends before its
         * \r, for every line shape alike: an integer last field, a string
         * last field, a "Lost N events" line (docs/report.md, "Inputs"). */
        const char *end = nl > line && nl[-1] == '\r' ? nl - 1 : nl;
        in->pos = (size_t)(nl + 1 - (char *)in->buf);
        r->bytes_done = in->base + in->pos;
        br->lineno++;
        size_t len = (size_t)(end - line);
        if (len >= PREFIX_LEN && memcmp(line, BS_BPFTRACE_EVENT_PREFIX, PREFIX_LEN) == 0) {
            if (parse_event(br, line + PREFIX_LEN, end, off) < 0) return -1;
            uint64_t ts = br->rec.h.ts_ns;
            if (br->lost_pending) {
                *rec = lost_record(br, ts);
                br->have_held = 1;
                br->last_ts = ts;
                return 1;
            }
            br->last_ts = ts;
            *rec = &br->rec.h;
            return 1;
        }
        uint64_t lost;
        const char *s = line + 5;
        if (len > 5 && memcmp(line, "Lost ", 5) == 0 && parse_u64(&s, end, &lost) == 0 &&
            (size_t)(end - s) >= 7 && memcmp(s, " events", 7) == 0) {
            /* Saturating sums: counts past 64 bits are reported as the
             * largest one, and said once, never wrapped. */
            if (__builtin_add_overflow(br->lost_pending, lost, &br->lost_pending))
                br->lost_pending = UINT64_MAX;
            uint64_t before = br->lost_total;
            if (__builtin_add_overflow(before, lost, &br->lost_total)) {
                if (before != UINT64_MAX)
                    bs_err("warning: %s: lost counts add up to more than "
                           "%" PRIu64 "; counted as that many\n",
                           r->path, UINT64_MAX);
                br->lost_total = UINT64_MAX;
            }
        }
    }
    if (br->lost_pending) {
        *rec = lost_record(br, br->last_ts);
        return 1;
    }
    return 0;
}

static void bpftrace_close(struct bs_reader *r)
{
    struct bpftrace_reader *br = (struct bpftrace_reader *)r;
    bs_input_close(&br->in);
    free(br);
}

struct bs_reader *bs_bpftrace_open(const char *path, struct bs_input *in, char *err, size_t errlen)
{
    struct bpftrace_reader *br = calloc(1, sizeof(*br));
    if (!br) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    br->in = *in;
    br->r.path = path;
    br->r.kind = BS_INPUT_BPFTRACE;
    br->r.next = bpftrace_next;
    br->r.close = bpftrace_close;
    br->r.bytes_total = in->size;
    return &br->r;
}
