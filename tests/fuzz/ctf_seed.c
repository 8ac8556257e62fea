/* SPDX-License-Identifier: MIT */
/*
 * ctf_seed.c — writes the seed of fuzz_ctf: a small CTF trace in LTTng's
 * layout (packetized metadata declaring LTTng's packet header and context,
 * one stream of two packets of hmap events, its CTF index 1.1), encoded as
 * fuzz_ctf reads it (fuzz_ctf.c):
 *   u32 LE metadata length, u32 LE index length, metadata, index, stream.
 * Layouts: docs/report.md, "CTF input checks".
 *
 * usage: fuzz_ctf_seed FILE        the fuzz input
 *        fuzz_ctf_seed --dir DIR   the trace itself, in the new directory DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "schema_table.h"

#define EVENTS_PER_PACKET 3
#define NCLASSES 4

static const uint8_t uuid[16] = {0x72, 0x8e, 0x35, 0xa9, 0x37, 0x1f, 0x48, 0xa0,
                                 0xb3, 0x30, 0x88, 0x3a, 0x4b, 0x68, 0x87, 0xdb};

struct buf {
    uint8_t *p;
    size_t n, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 4096;
        b->p = realloc(b->p, b->cap);
        if (!b->p) exit(1);
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void le(struct buf *b, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        uint8_t c = (uint8_t)(v >> (8 * i));
        put(b, &c, 1);
    }
}

static void be(struct buf *b, uint64_t v, int bytes)
{
    for (int i = bytes; i-- > 0;) {
        uint8_t c = (uint8_t)(v >> (8 * i));
        put(b, &c, 1);
    }
}

static void set_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int main(int argc, char **argv)
{
    int as_dir = argc == 3 && strcmp(argv[1], "--dir") == 0;
    if (argc != 2 && !as_dir) {
        fprintf(stderr, "usage: fuzz_ctf_seed FILE | --dir DIR\n");
        return 2;
    }
    const struct bs_event_desc *ev[NCLASSES];
    int nev = 0;
    for (unsigned id = 1; nev < NCLASSES && id < 1000; id++)
        if ((ev[nev] = bs_event_by_id(id))) nev++;

    /* TSDL, in the words lttng-ust uses for the header and context. */
    struct buf t = {0};
    char line[512];
#define TEXT(...) (snprintf(line, sizeof(line), __VA_ARGS__), put(&t, line, strlen(line)))
    TEXT("/* CTF 1.8 */\n\n");
    TEXT("typealias integer { size = 8; align = 8; signed = false; } := uint8_t;\n");
    TEXT("typealias integer { size = 32; align = 8; signed = false; } := uint32_t;\n");
    TEXT("typealias integer { size = 64; align = 8; signed = false; } := uint64_t;\n\n");
    TEXT("trace {\n\tmajor = 1;\n\tminor = 8;\n\tuuid = "
         "\"728e35a9-371f-48a0-b330-883a4b6887db\";\n\tbyte_order = le;\n");
    TEXT("\tpacket.header := struct {\n\t\tuint32_t magic;\n\t\tuint8_t  uuid[16];\n"
         "\t\tuint32_t stream_id;\n\t\tuint64_t stream_instance_id;\n\t};\n};\n\n");
    TEXT("env {\n\tdomain = \"ust\";\n\ttracer_name = \"lttng-ust\";\n\ttracer_major = 2;\n"
         "\ttracer_minor = 13;\n};\n\n");
    TEXT("clock {\n\tname = \"monotonic\";\n\tfreq = 1000000000;\n\toffset = 0;\n};\n\n");
    TEXT("typealias integer {\n\tsize = 64; align = 8; signed = false;\n"
         "\tmap = clock.monotonic.value;\n} := uint64_clock_monotonic_t;\n\n");
    TEXT("struct packet_context {\n\tuint64_clock_monotonic_t timestamp_begin;\n"
         "\tuint64_clock_monotonic_t timestamp_end;\n\tuint64_t content_size;\n"
         "\tuint64_t packet_size;\n\tuint64_t packet_seq_num;\n\tuint64_t events_discarded;\n"
         "\tuint32_t cpu_id;\n};\n\n");
    TEXT("stream {\n\tid = 0;\n\tevent.header := struct { uint32_t id; "
         "uint64_clock_monotonic_t timestamp; };\n\tpacket.context := struct packet_context;\n"
         "\tevent.context := struct {\n\t\tinteger { size = 32; align = 8; signed = 1; } _vpid;\n"
         "\t\tinteger { size = 32; align = 8; signed = 1; } _vtid;\n\t};\n};\n\n");
    for (int e = 0; e < nev; e++) {
        TEXT("event {\n\tname = \"hmap:%s\";\n\tid = %d;\n\tstream_id = 0;\n\tfields := struct {\n",
             ev[e]->name, e);
        for (unsigned f = 0; f < ev[e]->nfields; f++)
            TEXT("\t\t%s _%s;\n", ev[e]->fields[f].kind == BS_FIELD_STRING ? "string" : "uint64_t",
                 ev[e]->fields[f].name);
        TEXT("\t};\n};\n\n");
    }

    /* Metadata packets of 512 bytes. */
    struct buf m = {0};
    const size_t chunk = 512 - 37;
    for (size_t off = 0; off < t.n; off += chunk) {
        size_t len = t.n - off < chunk ? t.n - off : chunk;
        le(&m, 0x75D11D57u, 4);
        put(&m, uuid, 16);
        le(&m, 0, 4);              /* checksum */
        le(&m, (37 + len) * 8, 4); /* content size */
        le(&m, 512 * 8, 4);        /* packet size */
        le(&m, 0, 4);              /* compression, encryption, checksum scheme, major */
        m.p[m.n - 1] = 1;          /* major 1 */
        le(&m, 8, 1);              /* minor 8 */
        put(&m, t.p + off, len);
        for (size_t i = 37 + len; i < 512; i++)
            le(&m, 0, 1);
    }

    /* Two stream packets, padded to a multiple of 8 bytes, and the index. */
    struct buf s = {0}, x = {0};
    be(&x, 0xC1F1DCC1u, 4);
    be(&x, 1, 4);
    be(&x, 1, 4);
    be(&x, 72, 4);
    uint64_t ts = 1000;
    for (int pk = 0; pk < 2; pk++) {
        size_t start = s.n;
        uint64_t ts_begin = ts;
        le(&s, 0xC1FC1FC1u, 4);
        put(&s, uuid, 16);
        le(&s, 0, 4); /* stream_id */
        le(&s, 0, 8); /* stream_instance_id */
        size_t ctx = s.n;
        for (int i = 0; i < 6; i++)
            le(&s, 0, 8);
        le(&s, 0, 4); /* cpu_id */
        for (int k = 0; k < EVENTS_PER_PACKET; k++) {
            int e = (pk * EVENTS_PER_PACKET + k) % nev;
            le(&s, (uint64_t)e, 4);
            le(&s, ts += 100, 8);
            le(&s, 42, 4);
            le(&s, 43, 4);
            for (unsigned f = 0; f < ev[e]->nfields; f++) {
                if (ev[e]->fields[f].kind == BS_FIELD_STRING)
                    put(&s, "seed", 5);
                else
                    le(&s, f + 1, 8);
            }
        }
        uint64_t content = (s.n - start) * 8;
        while ((s.n - start) % 8)
            le(&s, 0, 1);
        uint64_t packet = (s.n - start) * 8;
        set_le(s.p + ctx, ts_begin, 8);
        set_le(s.p + ctx + 8, ts, 8);
        set_le(s.p + ctx + 16, content, 8);
        set_le(s.p + ctx + 24, packet, 8);
        set_le(s.p + ctx + 32, (uint64_t)pk, 8);
        uint64_t entry[9] = {start, packet, content, ts_begin, ts, 0, 0, 0, (uint64_t)pk};
        for (int i = 0; i < 9; i++)
            be(&x, entry[i], 8);
    }

    if (as_dir) {
        char path[4096];
        struct {
            const char *name;
            struct buf *b;
        } files[] = {{"metadata", &m}, {"ch_0", &s}, {"index/ch_0.idx", &x}};
        snprintf(path, sizeof(path), "%s/index", argv[2]);
        if (mkdir(argv[2], 0700) < 0 || mkdir(path, 0700) < 0) {
            perror(argv[2]);
            return 1;
        }
        for (int i = 0; i < 3; i++) {
            snprintf(path, sizeof(path), "%s/%s", argv[2], files[i].name);
            FILE *f = fopen(path, "wb");
            if (!f || fwrite(files[i].b->p, 1, files[i].b->n, f) != files[i].b->n || fclose(f)) {
                perror(path);
                return 1;
            }
        }
    } else {
        FILE *out = fopen(argv[1], "wb");
        if (!out) {
            perror(argv[1]);
            return 1;
        }
        uint8_t hdr[8];
        set_le(hdr, m.n, 4);
        set_le(hdr + 4, x.n, 4);
        if (fwrite(hdr, 1, 8, out) != 8 || fwrite(m.p, 1, m.n, out) != m.n ||
            fwrite(x.p, 1, x.n, out) != x.n || fwrite(s.p, 1, s.n, out) != s.n || fclose(out)) {
            perror(argv[1]);
            return 1;
        }
    }
    free(t.p);
    free(m.p);
    free(s.p);
    free(x.p);
    return 0;
}
