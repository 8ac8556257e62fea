/* SPDX-License-Identifier: MIT */
/*
 * harness.c — lockstep execution of map and reference model (harness.h).
 *
 * Iteration guarantees are checked with birth times: every operation bumps
 * h->now, a new entry remembers the `now` of its insert, an iterator the
 * `now` of its start.  An entry still in the model with born < started has
 * been present for the whole iteration, so it must be returned exactly
 * once; any entry returned must be in the model at that moment, with its
 * current value (so nothing deleted before being reached is returned).
 */
#include "harness.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void harness_fail(const harness *h, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "FAIL [%s type=%s op=%llu len=%zu]: ", h->ctx, h->tt->name,
            (unsigned long long)h->now, h->ref.len);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (h->m) {
        hmap_stats s;
        hmap_get_stats(h->m, &s);
        fprintf(stderr,
                "  map: B=%u count=%llu growing=%d same_size=%d nevacuate=%llu noverflow=%u "
                "flags=%u\n",
                s.B, (unsigned long long)s.count, s.growing, s.same_size_grow,
                (unsigned long long)s.nevacuate, s.noverflow, s.flags);
    }
    fflush(stderr);
    abort();
}

bool harness_init(harness *h, int type_index, const hmap_options *opts)
{
    memset(h, 0, sizeof *h);
    h->type_index = type_index;
    h->tt = &test_types[type_index];
    ref_init(&h->ref);
    for (unsigned i = 0; i < HARNESS_ITERS; i++)
        ref_init(&h->iters[i].seen);
    h->m = hmap_new(h->tt->type, opts);
    return h->m != NULL;
}

void harness_destroy(harness *h)
{
    /* The last iterator is left unfinished on purpose: hmap_free must also
     * release what a live iterator keeps (the leak checks see to it). */
    for (unsigned i = 0; i < HARNESS_ITERS; i++) {
        if (h->iters[i].live && i != HARNESS_ITERS - 1) hmap_iter_stop(&h->iters[i].it);
        ref_destroy(&h->iters[i].seen);
    }
    hmap_free(h->m);
    h->m = NULL;
    ref_destroy(&h->ref);
}

static void check_len(harness *h)
{
    if (hmap_len(h->m) != h->ref.len)
        harness_fail(h, "hmap_len %zu, model %zu", hmap_len(h->m), h->ref.len);
}

/* hmap_get agrees with the model for id. */
static void check_get(harness *h, uint64_t id)
{
    uint8_t key[TT_MAX_KEY];
    h->tt->make_key(id, 0, key);
    const void *v = hmap_get(h->m, key);
    const ref_entry *e = ref_find(&h->ref, id);
    if (!e && v) harness_fail(h, "get(%llu): found, model says absent", (unsigned long long)id);
    if (e && !v) harness_fail(h, "get(%llu): absent, model has it", (unsigned long long)id);
    if (e && !h->tt->val_ok(v, e->val))
        harness_fail(h, "get(%llu): wrong value (want seed %llu)", (unsigned long long)id,
                     (unsigned long long)e->val);
}

int harness_set(harness *h, uint64_t id, uint64_t v, unsigned variant)
{
    uint8_t key[TT_MAX_KEY], val[TT_MAX_VAL];
    h->now++;
    if (!h->tt->key_update) variant = 0;
    h->tt->make_key(id, variant, key);
    h->tt->make_val(v, val);
    int rc = hmap_set(h->m, key, val);
    if (rc == -ENOMEM && h->enomem_ok) {
        /* The failed insert must have changed nothing visible. */
        check_get(h, id);
        check_len(h);
        return rc;
    }
    if (rc != 0) harness_fail(h, "set(%llu) returned %d", (unsigned long long)id, rc);
    bool is_new;
    ref_entry *e = ref_put(&h->ref, id, &is_new);
    if (is_new) e->born = h->now;
    if (is_new || h->tt->key_update) e->variant = variant;
    e->val = v;
    check_get(h, id);
    check_len(h);
    return 0;
}

void harness_get(harness *h, uint64_t id)
{
    h->now++;
    check_get(h, id);
}

void harness_delete(harness *h, uint64_t id)
{
    uint8_t key[TT_MAX_KEY];
    h->now++;
    h->tt->make_key(id, 0, key);
    bool got = hmap_delete(h->m, key);
    bool want = ref_remove(&h->ref, id);
    if (got != want)
        harness_fail(h, "delete(%llu) returned %d, model %d", (unsigned long long)id, got, want);
    check_get(h, id);
    check_len(h);
}

void harness_clear(harness *h)
{
    h->now++;
    hmap_clear(h->m);
    ref_clear(&h->ref);
    check_len(h);
}

void harness_iter_start(harness *h, unsigned slot)
{
    harness_iter *hi = &h->iters[slot];
    if (hi->live) harness_iter_stop(h, slot);
    h->now++;
    hmap_iter_init(&hi->it, h->m);
    hi->live = true;
    hi->started = h->now;
    ref_clear(&hi->seen);
}

/* The iteration is over: everything present throughout was returned once. */
static void check_iter_complete(harness *h, harness_iter *hi)
{
    for (size_t i = 0; i < h->ref.cap; i++) {
        const ref_entry *e = &h->ref.slots[i];
        if (!e->used || e->born >= hi->started) continue;
        const ref_entry *s = ref_find(&hi->seen, e->id);
        if (!s)
            harness_fail(h, "iteration started at op %llu missed id %llu (present throughout)",
                         (unsigned long long)hi->started, (unsigned long long)e->id);
    }
}

/* Advance one entry and check it (see harness.c's opening comment); false
 * at the end of the iteration, after the completeness check. */
static bool iter_next_checked(harness *h, harness_iter *hi, const void **k, void **v, uint64_t *idp)
{
    if (!hmap_iter_next(&hi->it, k, v)) {
        hi->live = false;
        check_iter_complete(h, hi);
        return false;
    }
    uint64_t id;
    unsigned variant;
    if (!h->tt->read_key(*k, &id, &variant))
        harness_fail(h, "iterator returned a key the test never stored");
    const ref_entry *e = ref_find(&h->ref, id);
    if (!e)
        harness_fail(h, "iterator returned id %llu, which is not in the map now",
                     (unsigned long long)id);
    if (!h->tt->val_ok(*v, e->val))
        harness_fail(h, "iterator returned id %llu with a stale or wrong value",
                     (unsigned long long)id);
    if (h->tt->key_update && variant != e->variant)
        harness_fail(h, "iterator returned id %llu with an old key copy (variant %u, want %u)",
                     (unsigned long long)id, variant, e->variant);
    if (e->born < hi->started) {
        bool is_new;
        ref_put(&hi->seen, id, &is_new);
        if (!is_new) harness_fail(h, "iterator returned id %llu twice", (unsigned long long)id);
    }
    *idp = id;
    return true;
}

void harness_iter_step(harness *h, unsigned slot, unsigned n)
{
    harness_iter *hi = &h->iters[slot];
    if (!hi->live) return;
    h->now++;
    const void *k;
    void *v;
    uint64_t id;
    for (unsigned step = 0; step < n && iter_next_checked(h, hi, &k, &v, &id); step++)
        ;
}

void harness_iter_write(harness *h, unsigned slot, bool del, uint64_t newval)
{
    harness_iter *hi = &h->iters[slot];
    if (!hi->live) return;
    h->now++;
    const void *k;
    void *v;
    uint64_t id;
    if (!iter_next_checked(h, hi, &k, &v, &id)) return;
    h->now++;
    if (del) {
        /* Go's `for k := range m { delete(m, k) }`, with the key pointer. */
        if (!hmap_delete(h->m, k))
            harness_fail(h, "delete through the iterator's key pointer missed id %llu",
                         (unsigned long long)id);
        ref_remove(&h->ref, id);
    } else {
        uint8_t val[TT_MAX_VAL];
        h->tt->make_val(newval, val);
        int rc = hmap_set(h->m, k, val);
        if (rc == -ENOMEM && h->enomem_ok) return;
        if (rc != 0) harness_fail(h, "set through the iterator's key pointer returned %d", rc);
        ref_find(&h->ref, id)->val = newval; /* an update: key and birth stay */
    }
    check_get(h, id);
    check_len(h);
}

void harness_iter_stop(harness *h, unsigned slot)
{
    harness_iter *hi = &h->iters[slot];
    if (!hi->live) return;
    hmap_iter_stop(&hi->it);
    hi->live = false;
}

void harness_verify_all(harness *h, bool iterate)
{
    check_len(h);
    for (size_t i = 0; i < h->ref.cap; i++)
        if (h->ref.slots[i].used) check_get(h, h->ref.slots[i].id);
    if (!iterate) return;

    refmodel seen;
    ref_init(&seen);
    hmap_iter it;
    hmap_iter_init(&it, h->m);
    const void *k;
    void *v;
    while (hmap_iter_next(&it, &k, &v)) {
        uint64_t id;
        unsigned variant;
        bool is_new;
        if (!h->tt->read_key(k, &id, &variant))
            harness_fail(h, "full iteration returned a key the test never stored");
        const ref_entry *e = ref_find(&h->ref, id);
        if (!e || !h->tt->val_ok(v, e->val))
            harness_fail(h, "full iteration returned id %llu, absent or wrong value",
                         (unsigned long long)id);
        if (h->tt->key_update && variant != e->variant)
            harness_fail(h, "full iteration returned id %llu with an old key copy",
                         (unsigned long long)id);
        ref_put(&seen, id, &is_new);
        if (!is_new)
            harness_fail(h, "full iteration returned id %llu twice", (unsigned long long)id);
    }
    if (seen.len != h->ref.len)
        harness_fail(h, "full iteration returned %zu entries, model has %zu", seen.len, h->ref.len);
    ref_destroy(&seen);
}
