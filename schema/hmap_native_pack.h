/* SPDX-License-Identifier: MIT */
/*
 * hmap_native_pack.h — the packed event encoding of native format version 3
 * (docs/native-format.md, "Packed chunks (version 3)"): one encoder that
 * every writer uses (the in-process recorder, `bucketscope record`,
 * `bucketscope-gorecord`'s converters and the test tools) and the one
 * decoder that the readers use, both generated from the schema
 * (hmap_events.h), so a new event or field needs no code here.
 *
 * A version 3 file keeps the chunk, end and file header records of version
 * 2; only what lies inside a chunk changes.  There every event is
 *
 *     tag      1 byte: bits 0..5 the event id (0 = lost), bit 6 TASK
 *     len      varint: bytes of the event after this field
 *     dts      varint: time since the previous event of the chunk (the
 *              chunk record's first_ns for the first): never negative, a
 *              chunk is in time order
 *     pid tid  two varints, only with TASK: otherwise the previous event's
 *              (the chunk record's for the first)
 *     fields   in schema order: a `ptr` as the zigzag varint of its
 *              difference to the previous address of its kind in the chunk
 *              (an event's first pointer is its map, compared with the
 *              previous map; every other pointer with the previous other
 *              pointer, 0 at the chunk's start); u8 and enumerations one byte;
 *              u16, u32, u64 varints; a string as a varint length (without
 *              the NUL) and its bytes.
 *
 * Varints are LEB128: 7 bits per byte, low first, bit 7 set on all but the
 * last byte.  The state that the deltas refer to (struct
 * hmap_native_pack_state) starts afresh in every chunk, so each chunk can
 * be decoded alone: a reader may start at any chunk and resynchronise at
 * the next one.
 *
 * Pure functions on memory: no I/O, no allocation, no locks, so they are
 * also safe in a fatal-signal handler.
 */
#ifndef HMAP_NATIVE_PACK_H
#define HMAP_NATIVE_PACK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hmap_native.h"
#include "hmap_native_write.h"

#define HMAP_NATIVE_PACK_TASK 0x40u     /* tag bit: pid and tid follow */
#define HMAP_NATIVE_PACK_ID_MASK 0x3fu  /* tag bits holding the event id */
#define HMAP_NATIVE_PACK_RESERVED 0x80u /* tag bit that is always 0 */
_Static_assert(HMAP_EVENT_MAX_ID <= HMAP_NATIVE_PACK_ID_MASK, "event ids fit in the tag");

/* What the deltas of the next event refer to. */
struct hmap_native_pack_state {
    uint64_t ts;       /* previous event's time */
    uint64_t map;      /* previous map address */
    uint64_t addr;     /* previous other address */
    uint32_t pid, tid; /* previous event's task */
};

/* hmap_native_unpack_fast moves pid and tid, and the record header's id,
 * size and reserved, as one 8-byte word each. */
_Static_assert(offsetof(struct hmap_native_pack_state, tid) ==
                   offsetof(struct hmap_native_pack_state, pid) + 4,
               "pid and tid adjacent");
_Static_assert(offsetof(struct hmap_native_rec_header, tid) ==
                       offsetof(struct hmap_native_rec_header, pid) + 4 &&
                   offsetof(struct hmap_native_rec_header, size) ==
                       offsetof(struct hmap_native_rec_header, id) + 2 &&
                   offsetof(struct hmap_native_rec_header, reserved) ==
                       offsetof(struct hmap_native_rec_header, id) + 4 &&
                   sizeof(((struct hmap_native_rec_header *)0)->reserved) == 4,
               "record header: pid, tid; id, size, reserved adjacent");

/* The state at the start of a chunk whose chunk record says first_ns, pid
 * and tid. */
static inline void hmap_native_pack_begin(struct hmap_native_pack_state *s, uint64_t first_ns,
                                          uint32_t pid, uint32_t tid)
{
    s->ts = first_ns;
    s->map = s->addr = 0;
    s->pid = pid;
    s->tid = tid;
}

/* ---- encoding --------------------------------------------------------------- */

static inline uint8_t *hmap_native_put_varint(uint8_t *q, uint64_t v)
{
    while (v >= 0x80) {
        *q++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *q++ = (uint8_t)v;
    return q;
}

static inline uint64_t hmap_native_zigzag(uint64_t delta)
{
    return (delta << 1) ^ (uint64_t)((int64_t)delta >> 63);
}

static inline uint8_t *hmap_native_put_ptr(uint64_t *prev, uint8_t *q, uint64_t v)
{
    q = hmap_native_put_varint(q, hmap_native_zigzag(v - *prev));
    *prev = v;
    return q;
}

static inline uint8_t *hmap_native_put_str(uint8_t *q, const char *str, size_t cap)
{
    size_t n = strnlen(str, cap - 1);
    q = hmap_native_put_varint(q, n);
    memcpy(q, str, n);
    return q + n;
}

/* Largest encoded event: tag, a two-byte len, and the largest body. */
#define HMAP_NATIVE_PACK_VMAX(t) HMAP_NATIVE_PACK_VMAX_##t
#define HMAP_NATIVE_PACK_VMAX_ptr 10
#define HMAP_NATIVE_PACK_VMAX_u8 1
#define HMAP_NATIVE_PACK_VMAX_u16 3
#define HMAP_NATIVE_PACK_VMAX_u32 5
#define HMAP_NATIVE_PACK_VMAX_u64 10
#define HMAP_NATIVE_PACK_MF_(t, n, d) +HMAP_NATIVE_PACK_VMAX(t)
#define HMAP_NATIVE_PACK_ME_(t, n, e, d) +HMAP_NATIVE_PACK_VMAX(t)
#define HMAP_NATIVE_PACK_MS_(n, l, d) +1 + (l)
#define HMAP_NATIVE_PACK_MEV_(id, name, desc, fields)                                              \
    enum { hmap_native_pack_max_##name = 3 + 10 + 5 + 5 fields };
HMAP_EVENTS(HMAP_NATIVE_PACK_MEV_, HMAP_NATIVE_PACK_MF_, HMAP_NATIVE_PACK_ME_, HMAP_NATIVE_PACK_MS_)
#undef HMAP_NATIVE_PACK_MEV_
#define HMAP_NATIVE_PACK_LOST_MAX (3 + 10 + 5 + 5 + 3 * 10)
/* The bound buffers are sized with: no packed event is longer. */
#define HMAP_NATIVE_PACK_MAX 256
#define HMAP_NATIVE_PACK_CHECK_(id, name, desc, fields)                                            \
    _Static_assert(hmap_native_pack_max_##name <= HMAP_NATIVE_PACK_MAX,                            \
                   "packed " #name " fits HMAP_NATIVE_PACK_MAX");
HMAP_EVENTS(HMAP_NATIVE_PACK_CHECK_, HMAP_IGNORE_F_, HMAP_IGNORE_E_, HMAP_IGNORE_S_)
#undef HMAP_NATIVE_PACK_CHECK_
_Static_assert(HMAP_NATIVE_PACK_LOST_MAX <= HMAP_NATIVE_PACK_MAX, "packed lost fits");

/* Start an event: tag, a one-byte placeholder for len, dts and the task.
 * Returns where the fields go; *lenp is the placeholder.  ts must not be
 * before the state's (a writer starts a new chunk instead); one that is
 * (a signal handler's event written in the middle of another's) is
 * stamped with the state's time. */
static inline uint8_t *hmap_native_pack_head(struct hmap_native_pack_state *s, uint8_t *out,
                                             unsigned id, uint64_t ts, uint32_t pid, uint32_t tid,
                                             uint8_t **lenp)
{
    int task = pid != s->pid || tid != s->tid;
    uint8_t *q = out;
    if (__builtin_expect(ts < s->ts, 0)) ts = s->ts; /* only an event nested in another's write */
    *q++ = (uint8_t)(id | (task ? HMAP_NATIVE_PACK_TASK : 0));
    *lenp = q++;
    q = hmap_native_put_varint(q, ts - s->ts);
    s->ts = ts;
    if (__builtin_expect(task, 0)) {
        q = hmap_native_put_varint(q, pid);
        q = hmap_native_put_varint(q, tid);
        s->pid = pid;
        s->tid = tid;
    }
    return q;
}

/* Finish the event started at out whose fields end at q: write len (moving
 * the body one byte when it needs two).  Returns the event's length. */
static inline size_t hmap_native_pack_tail(uint8_t *out, uint8_t *lenp, uint8_t *q)
{
    size_t body = (size_t)(q - lenp - 1);
    if (__builtin_expect(body < 0x80, 1)) {
        *lenp = (uint8_t)body;
        return (size_t)(q - out);
    }
    memmove(lenp + 2, lenp + 1, body);
    lenp[0] = (uint8_t)(body | 0x80);
    lenp[1] = (uint8_t)(body >> 7);
    return (size_t)(q + 1 - out);
}

#define HMAP_NATIVE_PUT_ptr(q, v) hmap_native_put_ptr(np_++ ? &s->addr : &s->map, q, v)
#define HMAP_NATIVE_PUT_u8(q, v) (*(q) = (v), (q) + 1)
#define HMAP_NATIVE_PUT_u16(q, v) hmap_native_put_varint(q, v)
#define HMAP_NATIVE_PUT_u32(q, v) hmap_native_put_varint(q, v)
#define HMAP_NATIVE_PUT_u64(q, v) hmap_native_put_varint(q, v)
#define HMAP_NATIVE_PF_(t, n, d) q = HMAP_NATIVE_PUT_##t(q, p->n);
#define HMAP_NATIVE_PE_(t, n, e, d) q = HMAP_NATIVE_PUT_##t(q, p->n);
#define HMAP_NATIVE_PS_(n, l, d) q = hmap_native_put_str(q, p->n, l);
/*
 * hmap_native_pack_<event>(s, out, ts, pid, tid, p): append the event with
 * payload *p to the chunk whose state is s, at out (HMAP_NATIVE_PACK_MAX
 * bytes of room).  Returns the bytes written.
 */
#define HMAP_NATIVE_PEV_(id_, name, desc, fields)                                                  \
    static inline size_t hmap_native_pack_##name(struct hmap_native_pack_state *s, uint8_t *out,   \
                                                 uint64_t ts, uint32_t pid, uint32_t tid,          \
                                                 const struct hmap_native_##name *p)               \
    {                                                                                              \
        uint8_t *lenp;                                                                             \
        uint8_t *q = hmap_native_pack_head(s, out, id_, ts, pid, tid, &lenp);                      \
        int np_ = 0;                                                                               \
        (void)np_;                                                                                 \
        fields return hmap_native_pack_tail(out, lenp, q);                                         \
    }
HMAP_EVENTS(HMAP_NATIVE_PEV_, HMAP_NATIVE_PF_, HMAP_NATIVE_PE_, HMAP_NATIVE_PS_)
#undef HMAP_NATIVE_PEV_
#undef HMAP_NATIVE_PF_
#undef HMAP_NATIVE_PE_
#undef HMAP_NATIVE_PS_

/* A lost record: count, then its time span, as plain varints. */
static inline size_t hmap_native_pack_lost(struct hmap_native_pack_state *s, uint8_t *out,
                                           uint64_t ts, uint32_t pid, uint32_t tid,
                                           const struct hmap_native_lost *p)
{
    uint8_t *lenp;
    uint8_t *q = hmap_native_pack_head(s, out, HMAP_NATIVE_LOST_ID, ts, pid, tid, &lenp);
    q = hmap_native_put_varint(q, p->count);
    q = hmap_native_put_varint(q, p->first_ns);
    q = hmap_native_put_varint(q, p->last_ns);
    return hmap_native_pack_tail(out, lenp, q);
}

/* A fixed-layout record (version 2: header and payload) packed: for
 * writers whose events arrive as such records (the BPF ring, Go's shadow).
 * Returns the bytes written, 0 for an id this encoder does not know. */
static inline size_t hmap_native_pack_record(struct hmap_native_pack_state *s, uint8_t *out,
                                             const struct hmap_native_rec_header *h,
                                             const void *payload)
{
    switch (h->id) {
    case HMAP_NATIVE_LOST_ID: {
        struct hmap_native_lost l;
        memcpy(&l, payload, sizeof l);
        return hmap_native_pack_lost(s, out, h->ts_ns, h->pid, h->tid, &l);
    }
#define HMAP_NATIVE_PR_(id_, name, desc, fields)                                                   \
    case id_: {                                                                                    \
        struct hmap_native_##name p_;                                                              \
        memcpy(&p_, payload, sizeof p_);                                                           \
        return hmap_native_pack_##name(s, out, h->ts_ns, h->pid, h->tid, &p_);                     \
    }
        HMAP_EVENTS(HMAP_NATIVE_PR_, HMAP_IGNORE_F_, HMAP_IGNORE_E_, HMAP_IGNORE_S_)
#undef HMAP_NATIVE_PR_
    default:
        return 0;
    }
}

/* ---- decoding --------------------------------------------------------------- */

/* Read a varint from [*qp, end): 1, or 0 when it runs past end or past 64
 * bits. */
static inline __attribute__((always_inline)) int
hmap_native_get_varint(const uint8_t **qp, const uint8_t *end, uint64_t *v)
{
    const uint8_t *q = *qp;
    if (q < end && *q < 0x80) { /* the common one-byte case */
        *v = *q;
        *qp = q + 1;
        return 1;
    }
    if (end - q >= 2 && q[1] < 0x80) { /* two bytes: most address deltas */
        *v = (uint64_t)(q[0] & 0x7f) | (uint64_t)q[1] << 7;
        *qp = q + 2;
        return 1;
    }
    uint64_t r = 0;
    for (unsigned shift = 0; q < end && shift < 64; shift += 7) {
        uint8_t b = *q++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (shift == 63 && b > 1) return 0;
            *v = r;
            *qp = q;
            return 1;
        }
    }
    return 0;
}

static inline __attribute__((always_inline)) int
hmap_native_get_ptr(uint64_t *prev, const uint8_t **qp, const uint8_t *end, void *out)
{
    uint64_t z;
    if (!hmap_native_get_varint(qp, end, &z)) return 0;
    *prev += (z >> 1) ^ (0 - (z & 1));
    memcpy(out, prev, sizeof *prev);
    return 1;
}

static inline __attribute__((always_inline)) int hmap_native_get_u8(const uint8_t **qp,
                                                                    const uint8_t *end, void *out)
{
    if (*qp >= end) return 0;
    memcpy(out, (*qp)++, 1);
    return 1;
}

#define HMAP_NATIVE_GET_INT_(bits)                                                                 \
    static inline __attribute__((always_inline)) int hmap_native_get_u##bits(                      \
        const uint8_t **qp, const uint8_t *end, void *out)                                         \
    {                                                                                              \
        uint64_t v;                                                                                \
        if (!hmap_native_get_varint(qp, end, &v) || v > UINT##bits##_MAX) return 0;                \
        uint##bits##_t x = (uint##bits##_t)v;                                                      \
        memcpy(out, &x, sizeof x);                                                                 \
        return 1;                                                                                  \
    }
HMAP_NATIVE_GET_INT_(16)
HMAP_NATIVE_GET_INT_(32)
HMAP_NATIVE_GET_INT_(64)
#undef HMAP_NATIVE_GET_INT_

/* A string of at most cap-1 bytes, stored NUL-terminated and zero-filled. */
static inline __attribute__((always_inline)) int
hmap_native_get_str(const uint8_t **qp, const uint8_t *end, char *out, size_t cap)
{
    uint64_t n;
    if (!hmap_native_get_varint(qp, end, &n) || n >= cap || n > (uint64_t)(end - *qp)) return 0;
    memcpy(out, *qp, n);
    memset(out + n, 0, cap - n);
    *qp += n;
    return 1;
}

/* Outcome of hmap_native_unpack other than a length. */
enum {
    HMAP_NATIVE_UNPACK_SHORT = 0,    /* the bytes given end inside the event */
    HMAP_NATIVE_UNPACK_CORRUPT = -1, /* not a valid event */
    HMAP_NATIVE_UNPACK_UNKNOWN = -2, /* an id this decoder does not know */
};

/*
 * Decode the event at in[0..avail) of a chunk whose state is s into the
 * fixed layout of version 2: *h (size = the id's fixed record size,
 * reserved 0) and payload (HMAP_NATIVE_MAX_PAYLOAD bytes; the payload's
 * padding is zeroed).  Returns the event's length in the chunk, or
 * HMAP_NATIVE_UNPACK_* with *what saying why.  An unknown id leaves
 * the address state unknown (its fields are not understood): the caller
 * can only skip the rest of the chunk.
 */
static inline __attribute__((always_inline)) long
hmap_native_unpack_(struct hmap_native_pack_state *s, const uint8_t *in, size_t avail,
                    struct hmap_native_rec_header *h, void *payload, const char **what, int fields)
{
    const uint8_t *q = in, *end = in + avail;
    uint64_t body, dts, pid = s->pid, tid = s->tid;
    if (avail < 2) return HMAP_NATIVE_UNPACK_SHORT;
    uint8_t tag = *q++;
    if (tag & HMAP_NATIVE_PACK_RESERVED) {
        *what = "reserved tag bit set";
        return HMAP_NATIVE_UNPACK_CORRUPT;
    }
    if (!hmap_native_get_varint(&q, end, &body)) {
        if (end - q >= 10) {
            *what = "bad event length";
            return HMAP_NATIVE_UNPACK_CORRUPT;
        }
        return HMAP_NATIVE_UNPACK_SHORT;
    }
    if (body > HMAP_NATIVE_PACK_MAX) {
        *what = "event length beyond any event";
        return HMAP_NATIVE_UNPACK_CORRUPT;
    }
    if (body > (uint64_t)(end - q)) return HMAP_NATIVE_UNPACK_SHORT;
    end = q + body;
    long len = (long)(end - in);
    if (!hmap_native_get_varint(&q, end, &dts) ||
        ((tag & HMAP_NATIVE_PACK_TASK) &&
         (!hmap_native_get_varint(&q, end, &pid) || !hmap_native_get_varint(&q, end, &tid) ||
          pid > UINT32_MAX || tid > UINT32_MAX)) ||
        s->ts + dts < s->ts) {
        *what = "bad event time or task";
        return HMAP_NATIVE_UNPACK_CORRUPT;
    }
    unsigned id = tag & HMAP_NATIVE_PACK_ID_MASK;
    s->ts += dts;
    s->pid = (uint32_t)pid;
    s->tid = (uint32_t)tid;
    h->ts_ns = s->ts;
    h->pid = s->pid;
    h->tid = s->tid;
    h->id = (uint16_t)id;
    h->reserved = 0;
    if (!fields && id != HMAP_NATIVE_LOST_ID && id <= HMAP_EVENT_MAX_ID) {
        h->size = hmap_native_rec_size((uint16_t)id);
        return len;
    }
    int ok;
    switch (id) {
    case HMAP_NATIVE_LOST_ID: {
        struct hmap_native_lost *l = payload;
        h->size = hmap_native_rec_size(id);
        ok = hmap_native_get_u64(&q, end, &l->count) &&
             hmap_native_get_u64(&q, end, &l->first_ns) &&
             hmap_native_get_u64(&q, end, &l->last_ns);
        break;
    }
#define HMAP_NATIVE_GET_ptr(p, n) hmap_native_get_ptr(np_++ ? &s->addr : &s->map, &q, end, &(p)->n)
#define HMAP_NATIVE_GET_u8(p, n) hmap_native_get_u8(&q, end, &(p)->n)
#define HMAP_NATIVE_GET_u16(p, n) hmap_native_get_u16(&q, end, &(p)->n)
#define HMAP_NATIVE_GET_u32(p, n) hmap_native_get_u32(&q, end, &(p)->n)
#define HMAP_NATIVE_GET_u64(p, n) hmap_native_get_u64(&q, end, &(p)->n)
#define HMAP_NATIVE_GF_(t, n, d) &&HMAP_NATIVE_GET_##t(p_, n)
#define HMAP_NATIVE_GE_(t, n, e, d) &&HMAP_NATIVE_GET_##t(p_, n)
#define HMAP_NATIVE_GS_(n, l, d) &&hmap_native_get_str(&q, end, p_->n, l)
#define HMAP_NATIVE_GEV_(id_, name, desc, fields)                                                  \
    case id_: {                                                                                    \
        struct hmap_native_##name *p_ = payload;                                                   \
        int np_ = 0;                                                                               \
        (void)np_;                                                                                 \
        h->size = hmap_native_rec_size(id_);                                                       \
        memset((uint8_t *)payload + sizeof *p_, 0, h->size - sizeof *h - sizeof *p_);              \
        ok = 1 fields;                                                                             \
        break;                                                                                     \
    }
        HMAP_EVENTS(HMAP_NATIVE_GEV_, HMAP_NATIVE_GF_, HMAP_NATIVE_GE_, HMAP_NATIVE_GS_)
#undef HMAP_NATIVE_GEV_
#undef HMAP_NATIVE_GF_
#undef HMAP_NATIVE_GE_
#undef HMAP_NATIVE_GS_
    default:
        h->size = sizeof *h;
        *what = "event id unknown to this reader";
        return HMAP_NATIVE_UNPACK_UNKNOWN;
    }
    if (!ok || q != end) {
        *what = ok ? "event longer than its fields" : "event fields run past its length";
        return HMAP_NATIVE_UNPACK_CORRUPT;
    }
    return len;
}

static inline long hmap_native_unpack(struct hmap_native_pack_state *s, const uint8_t *in,
                                      size_t avail, struct hmap_native_rec_header *h, void *payload,
                                      const char **what)
{
    return hmap_native_unpack_(s, in, avail, h, payload, what, 1);
}

/* The same without the event's fields (a lost record's excepted): *h
 * only, for a reader's first pass over a file, which needs the framing,
 * times and counts.  The fields are checked when the event is decoded for
 * good.  The address state is left behind: only a chunk's start can be
 * decoded after this. */
static inline long hmap_native_unpack_frame(struct hmap_native_pack_state *s, const uint8_t *in,
                                            size_t avail, struct hmap_native_rec_header *h,
                                            void *payload, const char **what)
{
    return hmap_native_unpack_(s, in, avail, h, payload, what, 0);
}

/* ---- decoding, the fast path ------------------------------------------------
 * For a reader that decodes many events from one buffer: the same decoding
 * as hmap_native_unpack for the common events, without a bounds check per
 * field.  It takes an event only when every part of it is plainly valid
 * (one-byte len, varints of at most 8 bytes that fit their type, fields
 * that end exactly at len) and otherwise returns 0 without touching the
 * state, so that the caller decodes that event with hmap_native_unpack,
 * which says exactly what is wrong (or takes it: a 9-byte varint, a lost
 * record).  The results are byte for byte those of hmap_native_unpack.
 *
 * Instead of checking bounds field by field, it reads ahead: the buffer
 * must have HMAP_NATIVE_UNPACK_SLACK readable bytes after in + avail (their
 * values do not matter; zeroing them once keeps memory checkers quiet).
 * The fields of an event whose varints run past its end are decoded from
 * those bytes and then refused by the final length check. */
#define HMAP_NATIVE_UNPACK_SLACK 320

/* A varint of 1 to 8 bytes at q, branch-free: 8 bytes at q are read, the
 * terminating byte is found by its clear top bit and the 7-bit groups are
 * gathered in two or three steps (one branch: up to 4 bytes, 28 bits, in
 * 32-bit arithmetic, whose masks are immediates).  Returns the bytes it
 * takes, 0 if more than 8. */
static inline __attribute__((always_inline)) unsigned hmap_native_get_varint8(const uint8_t *q,
                                                                              uint64_t *v)
{
    uint64_t x;
    memcpy(&x, q, sizeof x);
    uint32_t lo = (uint32_t)x, stop32 = ~lo & 0x80808080u;
    if (__builtin_expect(stop32 != 0, 1)) {
        lo &= (stop32 ^ (stop32 - 1)) & 0x7f7f7f7fu; /* the bytes up to the last, 7 bits each */
        lo -= (lo >> 1) & 0x3f803f80u;               /* b0 + b1 << 7 in each 16-bit half */
        lo = (lo & 0x3fffu) | ((lo >> 2) & 0xfffc000u);
        *v = lo;
        return ((unsigned)__builtin_ctz(stop32) + 1) >> 3;
    }
    uint64_t stop = ~x & 0x8080808080808080ull;
    if (__builtin_expect(!stop, 0)) return 0;
    x &= (stop ^ (stop - 1)) & 0x7f7f7f7f7f7f7f7full;
    x -= (x >> 1) & 0x3f803f803f803f80ull;
    x = (x & 0x00003fff00003fffull) | ((x >> 2) & 0x0fffc0000fffc000ull);
    x = (x & 0x000000000fffffffull) | ((x >> 4) & 0x00fffffff0000000ull);
    *v = x;
    return ((unsigned)__builtin_ctzll(stop) + 1) >> 3;
}

/* The same, trying the one-byte case first: for fields that are mostly
 * small (times, sizes, counts). */
static inline __attribute__((always_inline)) unsigned
hmap_native_get_varint8_small(const uint8_t *q, uint64_t *v)
{
    if (__builtin_expect(*q < 0x80, 1)) {
        *v = *q;
        return 1;
    }
    return hmap_native_get_varint8(q, v);
}

/* Bytes after an event's start that its fast decoding may read at most:
 * tag and len, then 8 per varint (time, task, fields) plus the last
 * 8-byte load, a string's length and bytes. */
#define HMAP_NATIVE_FAST_READ_ptr 8
#define HMAP_NATIVE_FAST_READ_u8 1
#define HMAP_NATIVE_FAST_READ_u16 8
#define HMAP_NATIVE_FAST_READ_u32 8
#define HMAP_NATIVE_FAST_READ_u64 8
#define HMAP_NATIVE_FR_F_(t, n, d) +HMAP_NATIVE_FAST_READ_##t
#define HMAP_NATIVE_FR_E_(t, n, e, d) +HMAP_NATIVE_FAST_READ_##t
#define HMAP_NATIVE_FR_S_(n, l, d) +8 + (l)
#define HMAP_NATIVE_FR_EV_(id, name, desc, fields)                                                 \
    _Static_assert(2 + 3 * 8 fields + 8 <= HMAP_NATIVE_UNPACK_SLACK,                               \
                   "the fast decoding of " #name " reads within HMAP_NATIVE_UNPACK_SLACK");
HMAP_EVENTS(HMAP_NATIVE_FR_EV_, HMAP_NATIVE_FR_F_, HMAP_NATIVE_FR_E_, HMAP_NATIVE_FR_S_)
#undef HMAP_NATIVE_FR_EV_
#undef HMAP_NATIVE_FR_F_
#undef HMAP_NATIVE_FR_E_
#undef HMAP_NATIVE_FR_S_

#define HMAP_NATIVE_FGET_V_(get, var)                                                              \
    do {                                                                                           \
        unsigned k_ = get(q, &var);                                                                \
        if (!k_) return 0;                                                                         \
        q += k_;                                                                                   \
    } while (0)
#define HMAP_NATIVE_FGET_ptr(n)                                                                    \
    do {                                                                                           \
        uint64_t z_, *prev_ = np_++ ? &addr : &map;                                                \
        HMAP_NATIVE_FGET_V_(hmap_native_get_varint8, z_);                                          \
        *prev_ += (z_ >> 1) ^ (0 - (z_ & 1));                                                      \
        memcpy(&p_->n, prev_, sizeof *prev_);                                                      \
    } while (0)
#define HMAP_NATIVE_FGET_u8(n) (memcpy(&p_->n, q, 1), q++)
/* An 8-byte varint holds 56 bits: a u64 always fits. */
#define HMAP_NATIVE_FGET_INT_(n, bits)                                                             \
    do {                                                                                           \
        uint64_t v_;                                                                               \
        HMAP_NATIVE_FGET_V_(hmap_native_get_varint8_small, v_);                                    \
        if (bits < 64 && v_ >> (bits & 63)) return 0;                                              \
        uint##bits##_t x_ = (uint##bits##_t)v_;                                                    \
        memcpy(&p_->n, &x_, sizeof x_);                                                            \
    } while (0)
#define HMAP_NATIVE_FGET_u16(n) HMAP_NATIVE_FGET_INT_(n, 16)
#define HMAP_NATIVE_FGET_u32(n) HMAP_NATIVE_FGET_INT_(n, 32)
#define HMAP_NATIVE_FGET_u64(n) HMAP_NATIVE_FGET_INT_(n, 64)
#define HMAP_NATIVE_FF_(t, n, d) HMAP_NATIVE_FGET_##t(n);
#define HMAP_NATIVE_FE_(t, n, e, d) HMAP_NATIVE_FGET_##t(n);
#define HMAP_NATIVE_FS_(n, l, d)                                                                   \
    do {                                                                                           \
        uint64_t n_;                                                                               \
        HMAP_NATIVE_FGET_V_(hmap_native_get_varint8_small, n_);                                    \
        if (n_ >= (l) || n_ > (uint64_t)(end - q)) return 0;                                       \
        memcpy(p_->n, q, n_);                                                                      \
        memset(p_->n + n_, 0, (l)-n_);                                                             \
        q += n_;                                                                                   \
    } while (0);

/*
 * Decode the event at in[0..avail) like hmap_native_unpack, if it is no
 * later than ts_max (a chunk's last_ns: a later one is the caller's error
 * to report) and the fast path takes it: its length, else 0 with *s and *h
 * untouched and the payload scratch (decode it with hmap_native_unpack).
 * in[avail .. avail + HMAP_NATIVE_UNPACK_SLACK) must be readable.
 */
static inline __attribute__((always_inline)) long
hmap_native_unpack_fast(struct hmap_native_pack_state *s, const uint8_t *in, size_t avail,
                        uint64_t ts_max, struct hmap_native_rec_header *h, void *payload)
{
    unsigned tag = in[0], body = in[1];
    if (((tag | body) & 0x80) || body + 2 > avail) return 0;
    const uint8_t *q = in + 2, *end = q + body;
    uint64_t dts, task, map = s->map, addr = s->addr; /* task: pid | tid << 32 */
    memcpy(&task, &s->pid, sizeof task);
    HMAP_NATIVE_FGET_V_(hmap_native_get_varint8_small, dts);
    uint64_t ts = s->ts + dts;
    if (ts > ts_max || ts < dts) return 0;
    if (tag & HMAP_NATIVE_PACK_TASK) {
        uint64_t pid, tid;
        HMAP_NATIVE_FGET_V_(hmap_native_get_varint8_small, pid);
        HMAP_NATIVE_FGET_V_(hmap_native_get_varint8_small, tid);
        if ((pid | tid) > UINT32_MAX) return 0;
        task = pid | tid << 32;
    }
    unsigned id = tag & HMAP_NATIVE_PACK_ID_MASK;
    uint64_t idsize; /* the header's id, size and reserved (0), stored at once */
    switch (id) {
#define HMAP_NATIVE_FEV_(id_, name, desc, fields)                                                  \
    case id_: {                                                                                    \
        struct hmap_native_##name *p_ = payload;                                                   \
        int np_ = 0;                                                                               \
        (void)np_;                                                                                 \
        idsize = id_ | (uint64_t)HMAP_NATIVE_REC_SIZE(sizeof *p_) << 16;                           \
        fields;                                                                                    \
        if (q != end) return 0;                                                                    \
        memset((uint8_t *)payload + sizeof *p_, 0,                                                 \
               HMAP_NATIVE_REC_SIZE(sizeof *p_) - sizeof *h - sizeof *p_);                         \
        break;                                                                                     \
    }
        HMAP_EVENTS(HMAP_NATIVE_FEV_, HMAP_NATIVE_FF_, HMAP_NATIVE_FE_, HMAP_NATIVE_FS_)
#undef HMAP_NATIVE_FEV_
    default: /* lost records and unknown ids */
        return 0;
    }
    h->ts_ns = ts;
    memcpy(&h->pid, &task, sizeof task);
    memcpy(&h->id, &idsize, sizeof idsize);
    s->ts = ts;
    memcpy(&s->pid, &task, sizeof task);
    s->map = map;
    s->addr = addr;
    return (long)body + 2;
}
#undef HMAP_NATIVE_FGET_V_
#undef HMAP_NATIVE_FGET_ptr
#undef HMAP_NATIVE_FGET_u8
#undef HMAP_NATIVE_FGET_INT_
#undef HMAP_NATIVE_FGET_u16
#undef HMAP_NATIVE_FGET_u32
#undef HMAP_NATIVE_FGET_u64
#undef HMAP_NATIVE_FF_
#undef HMAP_NATIVE_FE_
#undef HMAP_NATIVE_FS_

/*
 * Walk the packed events body[0..len) of a chunk that starts at first_ns,
 * as a writer that did not count them (a flush from another thread) needs:
 * how many events there are and the time of the last (first_ns if none).
 * Only the tag, len and dts of each event are read.  Stops at the first
 * event that does not fit.  Returns the bytes walked.
 */
static inline size_t hmap_native_pack_walk(const uint8_t *body, size_t len, uint64_t first_ns,
                                           uint32_t *events, uint64_t *last_ns)
{
    const uint8_t *q = body, *end = body + len;
    uint32_t n = 0;
    uint64_t ts = first_ns;
    while (q < end) {
        const uint8_t *e = q + 1;
        uint64_t blen, dts;
        if (!hmap_native_get_varint(&e, end, &blen) || blen > (uint64_t)(end - e)) break;
        const uint8_t *b = e;
        if (!hmap_native_get_varint(&b, e + blen, &dts)) break;
        ts += dts;
        n++;
        q = e + blen;
    }
    *events = n;
    *last_ns = ts;
    return (size_t)(q - body);
}

/* ---- a chunk being built from fixed-layout records ------------------------- */

#define HMAP_NATIVE_CHUNK_BODY (64u * 1024)

/* One chunk's packed events in memory, for writers that get their events
 * as fixed-layout records and write whole chunks (bpf/record.c, the test
 * tools).  records == 0: empty. */
struct hmap_native_chunker {
    struct hmap_native_pack_state st; /* st.ts: the latest event's time */
    uint64_t first_ns;
    uint32_t pid, tid; /* the chunk record's: the first event's */
    uint32_t records, len;
    uint8_t body[HMAP_NATIVE_CHUNK_BODY];
};

/*
 * Append the record h (payload after it).  1: done; 0: the chunk must be
 * written (and cleared) first, because it is full or because h is earlier
 * than its latest event (a chunk is in time order); -1: an id the encoder
 * does not know.
 */
static inline int hmap_native_chunker_add(struct hmap_native_chunker *c,
                                          const struct hmap_native_rec_header *h,
                                          const void *payload)
{
    if (c->records == 0) {
        hmap_native_pack_begin(&c->st, h->ts_ns, h->pid, h->tid);
        c->first_ns = h->ts_ns;
        c->pid = h->pid;
        c->tid = h->tid;
    } else if (h->ts_ns < c->st.ts || c->len + HMAP_NATIVE_PACK_MAX > sizeof c->body) {
        return 0;
    }
    size_t n = hmap_native_pack_record(&c->st, c->body + c->len, h, payload);
    if (!n) return -1;
    c->len += (uint32_t)n;
    c->records++;
    return 1;
}

/* The chunk record for the chunk as it stands, numbered seq. */
static inline struct hmap_native_chunk_record
hmap_native_chunker_record(const struct hmap_native_chunker *c, uint64_t seq)
{
    return hmap_native_chunk_record_make(c->pid, c->tid, seq, c->first_ns, c->st.ts, c->len,
                                         c->records);
}

static inline void hmap_native_chunker_clear(struct hmap_native_chunker *c)
{
    c->records = c->len = 0;
}

#endif /* HMAP_NATIVE_PACK_H */
