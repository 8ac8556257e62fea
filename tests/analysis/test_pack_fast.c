/* SPDX-License-Identifier: MIT */
/*
 * test_pack_fast.c — the fast packed-event decoder (hmap_native_unpack_fast,
 * schema/hmap_native_pack.h) against the exact one (hmap_native_unpack).
 *
 * The readers decode with the fast path first and fall back to the exact
 * decoder for what it refuses, so the fast path must never take an event
 * differently from the exact decoder: same length, header, payload bytes
 * and decoder state, and nothing it refuses may have changed the state.
 * Checked on random events of every id (fields of every size, strings,
 * tasks that change, 2-byte lengths), on the same events damaged byte by
 * byte, and with random bytes (not zeros) after the data, as the slack the
 * fast path reads ahead.  It must also take most valid events of every id,
 * or the readers' speed would silently be the exact decoder's.
 *
 *   test_pack_fast [ROUNDS]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap_native_pack.h"
#include "xorshift.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    return xorshift64(&rng);
}

/* A value of any magnitude: mostly small, sometimes up to the full width. */
static uint64_t rnd_bits(unsigned maxbits)
{
    unsigned bits = (unsigned)(rnd() % (maxbits + 1));
    uint64_t v = bits >= 64 ? rnd() : rnd() & ((1ull << bits) - 1);
    return v;
}

static uint64_t rnd_ptr(uint64_t *base)
{
    switch (rnd() % 4) {
    case 0:
        return *base; /* the same as before: delta 0 */
    case 1:
        return *base += rnd() % 4096 * 16;
    case 2:
        return *base -= rnd() % 65536;
    default:
        return *base = rnd_bits(48); /* anywhere in a 48-bit address space */
    }
}

struct rec {
    struct hmap_native_rec_header h;
    uint8_t payload[HMAP_NATIVE_MAX_PAYLOAD];
};

/* A random event of id (lost = 0) into r's payload. */
static void random_event(unsigned id, struct rec *r, uint64_t *base)
{
    memset(r->payload, 0, sizeof r->payload);
    if (id == HMAP_NATIVE_LOST_ID) {
        struct hmap_native_lost l = {rnd_bits(64), rnd_bits(64), rnd_bits(64)};
        memcpy(r->payload, &l, sizeof l);
        return;
    }
    switch (id) {
#define T_ptr(n) p->n = rnd_ptr(base);
#define T_u8(n) p->n = (uint8_t)rnd();
#define T_u16(n) p->n = (uint16_t)rnd_bits(16);
#define T_u32(n) p->n = (uint32_t)rnd_bits(32);
#define T_u64(n) p->n = rnd_bits(rnd() % 8 ? 48 : 64);
#define F_(t, n, d) T_##t(n)
#define E_(t, n, e, d) T_##t(n)
#define S_(n, l, d)                                                                                \
    {                                                                                              \
        size_t len_ = rnd() % (l);                                                                 \
        for (size_t i_ = 0; i_ < len_; i_++)                                                       \
            p->n[i_] = (char)('a' + rnd() % 26);                                                   \
    }
#define EV_(id_, name, desc, fields)                                                               \
    case id_: {                                                                                    \
        struct hmap_native_##name *p = (void *)r->payload;                                         \
        fields break;                                                                              \
    }
        HMAP_EVENTS(EV_, F_, E_, S_)
#undef EV_
#undef F_
#undef E_
#undef S_
    }
}

static int failures;
#define CHECK(c, ...)                                                                              \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            if (failures++ < 20) {                                                                 \
                fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                               \
                fprintf(stderr, __VA_ARGS__);                                                      \
                fputc('\n', stderr);                                                               \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static uint64_t taken[HMAP_EVENT_MAX_ID + 1], seen[HMAP_EVENT_MAX_ID + 1];

/*
 * Decode body[0..len) (a chunk starting at first_ns, pid, tid) event by
 * event with the exact decoder, trying the fast one at each event from the
 * same state.  buf has HMAP_NATIVE_UNPACK_SLACK random bytes after len.
 * count: tally what the fast path takes (valid chunks only).
 */
static void compare_chunk(const uint8_t *body, size_t len, uint64_t first_ns, uint32_t pid,
                          uint32_t tid, int count)
{
    struct hmap_native_pack_state ex, fa;
    hmap_native_pack_begin(&ex, first_ns, pid, tid);
    for (size_t at = 0; at < len;) {
        struct rec re, rf;
        memset(&rf, 0xa5, sizeof rf);
        fa = ex;
        uint64_t ts_max = rnd() % 8 ? UINT64_MAX : ex.ts + rnd() % 64;
        long nf = hmap_native_unpack_fast(&fa, body + at, len - at, ts_max, &rf.h, rf.payload);
        const char *what = "";
        struct hmap_native_pack_state before = ex;
        long ne = hmap_native_unpack(&ex, body + at, len - at, &re.h, re.payload, &what);
        if (count && ne > 0 && re.h.id <= HMAP_EVENT_MAX_ID) seen[re.h.id]++;
        if (nf > 0) {
            if (count) taken[rf.h.id]++;
            CHECK(ne == nf, "offset %zu: fast took %ld bytes, exact %ld (%s)", at, nf, ne, what);
            if (ne != nf) return;
            CHECK(!memcmp(&re.h, &rf.h, sizeof re.h), "offset %zu: headers differ (id %u)", at,
                  re.h.id);
            CHECK(!memcmp(re.payload, rf.payload, re.h.size - sizeof re.h),
                  "offset %zu: payloads differ (id %u)", at, re.h.id);
            CHECK(!memcmp(&ex, &fa, sizeof ex), "offset %zu: states differ (id %u)", at, re.h.id);
            CHECK(re.h.ts_ns <= ts_max, "offset %zu: fast took a time past ts_max", at);
        } else {
            CHECK(nf == 0, "offset %zu: fast returned %ld", at, nf);
            CHECK(!memcmp(&fa, &before, sizeof fa), "offset %zu: fast refused but moved the state",
                  at);
        }
        if (ne <= 0) return; /* the exact decoder stops here: so does a reader */
        at += (size_t)ne;
    }
}

int main(int argc, char **argv)
{
    unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 300;
    static struct hmap_native_chunker c;
    static uint8_t buf[HMAP_NATIVE_CHUNK_BODY + HMAP_NATIVE_UNPACK_SLACK];
    uint64_t ts = 1000, base = 0x555500001000ull, chunks = 0;
    for (unsigned round = 0; round < rounds; round++) {
        hmap_native_chunker_clear(&c);
        uint32_t pid = 1234, tid = 1234;
        unsigned n = 1 + (unsigned)(rnd() % 300);
        for (unsigned i = 0; i < n; i++) {
            struct rec r;
            unsigned id = (unsigned)(rnd() % (HMAP_EVENT_MAX_ID + 1));
            random_event(id, &r, &base);
            if (rnd() % 16 == 0) tid = (uint32_t)rnd_bits(32); /* another task: TASK bit */
            if (rnd() % 64 == 0) pid = (uint32_t)rnd_bits(32);
            ts += rnd() % 16 == 0 ? rnd_bits(40) : rnd() % 300;
            r.h = (struct hmap_native_rec_header){.ts_ns = ts,
                                                  .pid = pid,
                                                  .tid = tid,
                                                  .id = (uint16_t)id,
                                                  .size = hmap_native_rec_size((uint16_t)id)};
            if (hmap_native_chunker_add(&c, &r.h, r.payload) != 1) break;
        }
        /* valid, then damaged copies; the slack after the data is random */
        for (int damage = 0; damage <= 8; damage++) {
            memcpy(buf, c.body, c.len);
            for (size_t i = c.len; i < sizeof buf; i++)
                buf[i] = (uint8_t)rnd();
            size_t len = c.len;
            if (damage) {
                int k = 1 + (int)(rnd() % 3);
                while (k--) {
                    size_t at = rnd() % c.len;
                    buf[at] = rnd() % 2 ? (uint8_t)rnd() : (uint8_t)(buf[at] ^ (1u << (rnd() % 8)));
                }
                if (rnd() % 4 == 0) len = rnd() % (c.len + 1); /* cut */
            }
            compare_chunk(buf, len, c.first_ns, c.pid, c.tid, damage == 0);
        }
        chunks++;
    }
    /* Hand-made edge cases: varints of 9 and 10 bytes, a u32 past 32 bits,
     * a 2-byte len, fields longer or shorter than len. */
    static const uint8_t edge[][40] = {
        /* tophash_write, dts as a 9-byte varint */
        {5, 20, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 0, 1, 2, 3, 4},
        /* len 1 short of the fields */
        {5, 5, 0, 0, 0, 1, 2, 3, 4},
        /* len 1 past the fields */
        {5, 7, 0, 0, 0, 1, 2, 3, 4, 0},
        /* map as a 10-byte varint */
        {5, 15, 0, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 1, 2, 3},
        /* a reserved tag bit */
        {0x85, 6, 0, 0, 0, 1, 2, 3, 4},
        /* TASK with a pid of 2^32 */
        {0x45, 13, 0, 0x80, 0x80, 0x80, 0x80, 0x10, 1, 0, 0, 1, 2, 3, 4},
        /* an unknown id */
        {0x3f, 6, 0, 0, 0, 1, 2, 3, 4},
    };
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        memset(buf, 0, sizeof buf);
        memcpy(buf, edge[i], sizeof edge[i]);
        compare_chunk(buf, 2 + (size_t)edge[i][1], 0, 1, 1, 0);
    }
    for (unsigned id = 1; id <= HMAP_EVENT_MAX_ID; id++) {
        CHECK(seen[id] > 0, "event id %u never generated", id);
        CHECK(taken[id] * 2 >= seen[id],
              "the fast path took %" PRIu64 " of %" PRIu64 " valid events of id %u", taken[id],
              seen[id], id);
    }
    if (failures) {
        fprintf(stderr, "%d failures\n", failures);
        return 1;
    }
    printf("ok: %" PRIu64 " chunks, fast path and exact decoder agree\n", chunks);
    return 0;
}
