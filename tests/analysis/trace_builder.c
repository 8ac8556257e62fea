/* SPDX-License-Identifier: MIT */
/*
 * trace_builder.c — see trace_builder.h.  Events are kept in memory and
 * written at tb_close() in time order (stable: equal times keep the order
 * they were emitted in), so a test may describe one map after another.  The
 * bpftrace twin is written from the schema table, in the line format the
 * bpftrace scripts print.  Raw bytes go after all events.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_table.h"
#include "trace_builder.h"
#include "hmap_native_write.h"

struct entry {
    uint64_t ts, seq;
    uint32_t pid;
    uint16_t id;
    int raw; /* raw bytes, no record header */
    size_t size;
    uint8_t data[HMAP_NATIVE_MAX_PAYLOAD]; /* the largest payload of the schema */
};

struct tb {
    FILE *bin, *text;
    uint32_t pid;
    int keep_order;
    struct entry *v;
    size_t n, cap;
};

struct tb *tb_open(const char *native_path, const char *text_path)
{
    struct tb *t = calloc(1, sizeof(*t));
    t->pid = 4242;
    t->bin = fopen(native_path, "wb");
    if (text_path) t->text = fopen(text_path, "w");
    if (!t->bin || (text_path && !t->text)) {
        perror("tb_open");
        exit(1);
    }
    return t;
}

void tb_set_pid(struct tb *t, uint32_t pid)
{
    t->pid = pid;
}
void tb_keep_order(struct tb *t)
{
    t->keep_order = 1;
}

static struct entry *add(struct tb *t, uint64_t ts)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        t->v = realloc(t->v, t->cap * sizeof(*t->v));
        if (!t->v) abort();
    }
    struct entry *e = &t->v[t->n];
    memset(e, 0, sizeof(*e));
    e->ts = ts;
    e->seq = t->n++;
    e->pid = t->pid;
    return e;
}

void tb_emit(struct tb *t, uint64_t ts, uint16_t id, const void *payload, size_t size)
{
    struct entry *e = add(t, ts);
    e->id = id;
    if (size > sizeof(e->data)) abort(); /* a payload the schema does not have */
    e->size = size;
    memcpy(e->data, payload, size);
}

void tb_lost(struct tb *t, uint64_t ts, uint64_t count, uint64_t first_ns, uint64_t last_ns)
{
    struct hmap_native_lost l = {count, first_ns, last_ns};
    tb_emit(t, ts, HMAP_NATIVE_LOST_ID, &l, sizeof(l));
}

void tb_raw(struct tb *t, const void *p, size_t n)
{
    struct entry *e = add(t, UINT64_MAX);
    e->raw = 1;
    e->size = n < sizeof(e->data) ? n : sizeof(e->data);
    memcpy(e->data, p, e->size);
}

static int by_time(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void write_text(FILE *f, const struct entry *e)
{
    if (e->id == HMAP_NATIVE_LOST_ID) {
        struct hmap_native_lost l;
        memcpy(&l, e->data, sizeof(l));
        fprintf(f, "Lost %" PRIu64 " events\n", l.count);
        return;
    }
    const struct bs_event_desc *ev = bs_event_by_id(e->id);
    fprintf(f, "HMEV %" PRIu64 " %u %u %s", e->ts, e->pid, e->pid, ev->name);
    for (unsigned i = 0; i < ev->nfields; i++) {
        const struct bs_field_desc *fd = &ev->fields[i];
        const char *s = (const char *)e->data + fd->offset;
        if (fd->kind == BS_FIELD_STRING) {
            fprintf(f, " %s=%.*s", fd->name, (int)strnlen(s, fd->size), s);
            continue;
        }
        uint64_t v = 0;
        for (unsigned b = 0; b < fd->size; b++)
            v |= (uint64_t)e->data[fd->offset + b] << (8 * b);
        fprintf(f, fd->kind == BS_FIELD_PTR ? " %s=0x%" PRIx64 : " %s=%" PRIu64, fd->name, v);
    }
    fputc('\n', f);
}

int tb_close(struct tb *t)
{
    /* The header every producer writes (schema/hmap_native_write.h). */
    struct hmap_native_file_header fh = hmap_native_file_header_make("trace_builder (tests)", 0, 0);
    /* Version 1: records only, no chunk or end record, so that a test can
     * put any bytes anywhere; readers still accept it, without the checks
     * for a cut that version 2 allows (docs/native-format.md). */
    fh.version = 1;
    fwrite(&fh, sizeof(fh), 1, t->bin);
    if (t->text) fprintf(t->text, "Attaching 10 probes...\n");
    if (!t->keep_order) qsort(t->v, t->n, sizeof(*t->v), by_time);
    for (size_t i = 0; i < t->n; i++) {
        const struct entry *e = &t->v[i];
        if (e->raw) {
            fwrite(e->data, 1, e->size, t->bin);
            continue;
        }
        uint8_t rec[256] = {0};
        struct hmap_native_rec_header h = {.ts_ns = e->ts,
                                           .pid = e->pid,
                                           .tid = e->pid,
                                           .id = e->id,
                                           .size = hmap_native_rec_size(e->id)};
        memcpy(rec, &h, sizeof(h));
        memcpy(rec + sizeof(h), e->data, e->size);
        fwrite(rec, h.size, 1, t->bin);
        if (t->text) write_text(t->text, e);
    }
    int rc = fclose(t->bin);
    if (t->text) rc |= fclose(t->text);
    free(t->v);
    free(t);
    return rc ? -1 : 0;
}
