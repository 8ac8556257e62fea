// SPDX-License-Identifier: MIT
/*
 * shadow_check.c — the ground-truth check of bucketscope gorecord
 * (docs/go.md, "Ground truth"):
 *
 *   go_shadow_check TRACE DUMPS
 *
 * Replays the native trace TRACE into a shadow of every bucket it announced
 * (bucket_array_alloc, overflow_alloc; bucket_free removes them) and applies
 * every tophash_write, checking that its old_th is what the shadow holds.
 * At each phase of DUMPS (written by tests/go/truth/main.go: the real
 * tophash bytes of every bucket of a map, stamped with CLOCK_MONOTONIC, the
 * trace's clock), the events before the stamp are applied and every dumped
 * bucket must exist in the shadow with the same 8 bytes.  Exit 0 only with
 * 0 mismatches and 0 inconsistent writes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap_native.h"

#define TABLE (1u << 21)
static struct slot {
    uint64_t addr; /* 0 empty, 1 tombstone */
    uint8_t th[8];
} table[TABLE];

static struct slot *lookup(uint64_t a, int insert)
{
    uint64_t i = (a * 0x9e3779b97f4a7c15ull) >> 43, tomb = UINT64_MAX;
    for (;; i = (i + 1) & (TABLE - 1)) {
        if (table[i].addr == a) return &table[i];
        if (table[i].addr == 1 && tomb == UINT64_MAX) tomb = i;
        if (table[i].addr == 0) {
            if (!insert) return NULL;
            if (tomb != UINT64_MAX) i = tomb;
            table[i].addr = a;
            memset(table[i].th, 0, 8);
            return &table[i];
        }
    }
}

/* map -> bucket size, for frees. */
static struct {
    uint64_t map;
    uint32_t bs;
} maps[65536];
static size_t nmaps;
static uint32_t bucket_size(uint64_t map)
{
    for (size_t i = nmaps; i-- > 0;)
        if (maps[i].map == map) return maps[i].bs;
    return 0;
}

static uint64_t bad_writes, unknown_writes;

/* Checks per map name of the dumps (keep, strs, ...): every kind of map the
 * program has must be checked bucket by bucket. */
static struct {
    char name[64];
    uint64_t checked, mismatches;
} names[32];
static size_t nnames;
static size_t name_index(const char *n)
{
    for (size_t i = 0; i < nnames; i++)
        if (strcmp(names[i].name, n) == 0) return i;
    if (nnames == 32) return 31;
    snprintf(names[nnames].name, sizeof names[nnames].name, "%s", n);
    return nnames++;
}

static void apply(uint16_t id, const uint8_t *p)
{
    switch (id) {
    case HMAP_EV_map_create: {
        const struct hmap_native_map_create *e = (const void *)p;
        if (nmaps < 65536) maps[nmaps].map = e->map, maps[nmaps++].bs = e->bucket_size;
        break;
    }
    case HMAP_EV_bucket_array_alloc: {
        const struct hmap_native_bucket_array_alloc *e = (const void *)p;
        uint32_t bs = bucket_size(e->map);
        for (uint64_t i = 0; bs && i < e->nbuckets + e->nprealloc; i++)
            memset(lookup(e->addr + i * bs, 1)->th, 0, 8);
        break;
    }
    case HMAP_EV_overflow_alloc: {
        const struct hmap_native_overflow_alloc *e = (const void *)p;
        struct slot *s = lookup(e->addr, 1);
        if (e->source == HMAP_OVF_ALLOCATOR) memset(s->th, 0, 8);
        break;
    }
    case HMAP_EV_bucket_free: {
        const struct hmap_native_bucket_free *e = (const void *)p;
        uint32_t bs = bucket_size(e->map);
        for (uint64_t off = 0; bs && off + bs <= e->bytes; off += bs) {
            struct slot *s = lookup(e->addr + off, 0);
            if (s) s->addr = 1;
        }
        break;
    }
    case HMAP_EV_tophash_write: {
        const struct hmap_native_tophash_write *e = (const void *)p;
        struct slot *s = lookup(e->bucket, 0);
        if (!s) {
            if (unknown_writes++ < 5)
                fprintf(stderr, "write to unknown bucket %" PRIx64 "\n", e->bucket);
            break;
        }
        if (e->slot > 7 || s->th[e->slot] != e->old_th) {
            if (bad_writes++ < 5)
                fprintf(stderr, "bucket %" PRIx64 " slot %u: old_th %u, shadow %u\n", e->bucket,
                        e->slot, e->old_th, e->slot < 8 ? s->th[e->slot] : 0);
            if (e->slot > 7) break;
        }
        s->th[e->slot] = e->new_th;
        break;
    }
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: go_shadow_check TRACE DUMPS\n");
        return 2;
    }
    FILE *t = fopen(argv[1], "rb"), *d = fopen(argv[2], "r");
    if (!t || !d) {
        perror("open");
        return 2;
    }
    struct hmap_native_file_header fh;
    if (fread(&fh, sizeof fh, 1, t) != 1 || memcmp(fh.magic, HMAP_NATIVE_MAGIC, 8) != 0) {
        fprintf(stderr, "%s: not a native trace\n", argv[1]);
        return 2;
    }
    struct hmap_native_rec_header h;
    uint8_t payload[HMAP_NATIVE_MAX_PAYLOAD + 64];
    int have = 0; /* a read-ahead record in h/payload */
    uint64_t phases = 0, checked = 0, mismatches = 0, records = 0;
    char line[512], name[64];
    while (fgets(line, sizeof line, d)) {
        unsigned long long ts, haddr;
        int ph;
        if (sscanf(line, "phase %d %llu map %63s %llx", &ph, &ts, name, &haddr) != 4) continue;
        phases++;
        for (;;) { /* apply every record before the stamp */
            if (!have) {
                if (fread(&h, sizeof h, 1, t) != 1) break;
                if (h.size < sizeof h || h.size - sizeof h > sizeof payload ||
                    fread(payload, h.size - sizeof h, 1, t) != 1) {
                    fprintf(stderr, "%s: truncated record\n", argv[1]);
                    return 1;
                }
                have = 1;
            }
            if (h.ts_ns >= ts) break;
            apply(h.id, payload);
            records++;
            have = 0;
        }
        while (fgets(line, sizeof line, d) && strncmp(line, "end", 3) != 0) {
            unsigned long long b;
            unsigned th[8];
            if (sscanf(line, "b %llx %u %u %u %u %u %u %u %u", &b, &th[0], &th[1], &th[2], &th[3],
                       &th[4], &th[5], &th[6], &th[7]) != 9)
                continue;
            checked++;
            size_t ni = name_index(name);
            names[ni].checked++;
            struct slot *s = lookup(b, 0);
            int ok = s != NULL;
            for (int i = 0; ok && i < 8; i++)
                ok = s->th[i] == th[i];
            names[ni].mismatches += !ok;
            if (!ok && mismatches++ < 10) {
                fprintf(stderr, "phase %d map %s bucket %llx: real", ph, name, b);
                for (int i = 0; i < 8; i++)
                    fprintf(stderr, " %u", th[i]);
                if (s) {
                    fprintf(stderr, ", shadow");
                    for (int i = 0; i < 8; i++)
                        fprintf(stderr, " %u", s->th[i]);
                    fprintf(stderr, "\n");
                } else
                    fprintf(stderr, ", not in the shadow\n");
            }
        }
    }
    for (size_t i = 0; i < nnames; i++)
        printf("map %s: %" PRIu64 " bucket checks, %" PRIu64 " mismatches\n", names[i].name,
               names[i].checked, names[i].mismatches);
    printf("%" PRIu64 " phases, %" PRIu64 " bucket checks, %" PRIu64 " mismatches, %" PRIu64
           " records replayed, %" PRIu64 " inconsistent old_th, %" PRIu64
           " writes to unknown buckets\n",
           phases, checked, mismatches, records, bad_writes, unknown_writes);
    return phases && checked && !mismatches && !bad_writes ? 0 : 1;
}
