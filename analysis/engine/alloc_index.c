/* SPDX-License-Identifier: MIT */
/*
 * alloc_index.c — taking, indexing and releasing allocation records, and the
 * storage of bucket states and pending blocks (alloc_index.h).
 *
 * Invariants: the tree at arrays_root holds exactly the records
 * (struct bs_array) of the live array allocations, ordered by (pid, start),
 * each node's height one more than its
 * taller child's and its children's heights differing by at most one (AVL:
 * depth under 1.45 log2 n); by_start maps exactly the live overflow
 * allocations; every leaf of a live allocation is on its list and found
 * through its dense table if it has one, else through leaf_ix; every slab
 * record, leaf and pending block not in use is on its free list.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc_index.h"
#include "hmap_events.h"
#include "memory.h"

void bs_alloc_index_init(struct bs_alloc_index *ix)
{
    memset(ix, 0, sizeof(*ix));
    bs_addr_table_init(&ix->by_start);
    bs_addr_table_init(&ix->leaf_ix);
    ix->alloc_free = ix->last_alloc = ix->leaf_free = ix->arr_free = BS_NONE;
    for (unsigned c = 0; c < BS_PEND_CLASSES; c++)
        ix->pend[c].free = BS_NONE;
    ix->arrays_root = BS_NONE;
}

/* ---- the tree of arrays ------------------------------------------------------ */

static int height(const struct bs_alloc_index *ix, uint32_t n)
{
    return n == BS_NONE ? 0 : ix->arr[n].height;
}

static void fix_height(struct bs_alloc_index *ix, uint32_t n)
{
    int l = height(ix, ix->arr[n].left), r = height(ix, ix->arr[n].right);
    ix->arr[n].height = (uint8_t)((l > r ? l : r) + 1);
}

static uint32_t rotate_right(struct bs_alloc_index *ix, uint32_t n)
{
    uint32_t l = ix->arr[n].left;
    ix->arr[n].left = ix->arr[l].right;
    ix->arr[l].right = n;
    fix_height(ix, n);
    fix_height(ix, l);
    return l;
}

static uint32_t rotate_left(struct bs_alloc_index *ix, uint32_t n)
{
    uint32_t r = ix->arr[n].right;
    ix->arr[n].right = ix->arr[r].left;
    ix->arr[r].left = n;
    fix_height(ix, n);
    fix_height(ix, r);
    return r;
}

static uint32_t rebalance(struct bs_alloc_index *ix, uint32_t n)
{
    struct bs_array *a = &ix->arr[n];
    int bal = height(ix, a->left) - height(ix, a->right);
    if (bal > 1) {
        if (height(ix, ix->arr[a->left].left) < height(ix, ix->arr[a->left].right))
            a->left = rotate_left(ix, a->left);
        return rotate_right(ix, n);
    }
    if (bal < -1) {
        if (height(ix, ix->arr[a->right].right) < height(ix, ix->arr[a->right].left))
            a->right = rotate_right(ix, a->right);
        return rotate_left(ix, n);
    }
    fix_height(ix, n);
    return n;
}

/* Keys are unique: the caller drops a live allocation at the same start. */
static uint32_t tree_insert(struct bs_alloc_index *ix, uint32_t n, uint32_t k)
{
    if (n == BS_NONE) return k;
    const struct bs_array *key = &ix->arr[k];
    if (bs_array_cmp(ix, n, key->pid, key->start) > 0)
        ix->arr[n].left = tree_insert(ix, ix->arr[n].left, k);
    else
        ix->arr[n].right = tree_insert(ix, ix->arr[n].right, k);
    return rebalance(ix, n);
}

/* Subtree n without its smallest node, which goes to *min. */
static uint32_t tree_pop_min(struct bs_alloc_index *ix, uint32_t n, uint32_t *min)
{
    if (ix->arr[n].left == BS_NONE) {
        *min = n;
        return ix->arr[n].right;
    }
    ix->arr[n].left = tree_pop_min(ix, ix->arr[n].left, min);
    return rebalance(ix, n);
}

static uint32_t tree_remove(struct bs_alloc_index *ix, uint32_t n, uint32_t k)
{
    if (n == BS_NONE) return BS_NONE;
    const struct bs_array *key = &ix->arr[k];
    int c = n == k ? 0 : bs_array_cmp(ix, n, key->pid, key->start);
    if (c > 0) {
        ix->arr[n].left = tree_remove(ix, ix->arr[n].left, k);
    } else if (c < 0 || n != k) {
        ix->arr[n].right = tree_remove(ix, ix->arr[n].right, k);
    } else {
        uint32_t l = ix->arr[n].left, r = ix->arr[n].right, min;
        if (r == BS_NONE) return l;
        r = tree_pop_min(ix, r, &min);
        ix->arr[min].left = l;
        ix->arr[min].right = r;
        return rebalance(ix, min);
    }
    return rebalance(ix, n);
}

/* A bucket-array record for allocation ai, out of the tree. */
static uint32_t array_take(struct bs_alloc_index *ix, uint32_t ai, uint32_t pid, uint64_t start,
                           uint32_t bucket_size)
{
    if (ix->arr_free == BS_NONE) {
        uint32_t old = ix->arr_cap;
        ix->arr = bs_grow_array(ix->arr, &ix->arr_cap, sizeof(*ix->arr));
        for (uint32_t i = ix->arr_cap; i-- > old;) {
            ix->arr[i].ai = ix->arr_free;
            ix->arr_free = i;
        }
    }
    uint32_t n = ix->arr_free;
    struct bs_array *r = &ix->arr[n];
    ix->arr_free = r->ai;
    *r = (struct bs_array){.start = start,
                           .pid = pid,
                           .ai = ai,
                           .left = BS_NONE,
                           .right = BS_NONE,
                           .leaves = BS_NONE,
                           .bucket_size = bucket_size,
                           .one = {0, 0, 0, BS_NONE},
                           .height = 1};
    return n;
}

/* ---- bucket states ------------------------------------------------------------ */

static void leaf_give(struct bs_alloc_index *ix, uint32_t l)
{
    ix->leaf[l].next = ix->leaf_free;
    ix->leaf_free = l;
    ix->nstates_live -= BS_LEAF;
}

static void free_states(struct bs_alloc_index *ix, uint32_t ai)
{
    struct bs_alloc *a = &ix->allocs[ai];
    if (a->nstates == 1) {
        ix->nstates_live--;
        return;
    }
    struct bs_array *r = &ix->arr[a->arr];
    for (uint32_t l = r->leaves, next; l != BS_NONE; l = next) {
        next = ix->leaf[l].next;
        if (!r->leaf_of) bs_addr_del(&ix->leaf_ix, ai, ix->leaf[l].chunk);
        leaf_give(ix, l);
    }
    if (r->leaf_of) ix->dense_live -= bs_alloc_nleaves_max(a);
    free(r->leaf_of);
    r->leaf_of = NULL;
    r->leaves = BS_NONE;
    r->nleaves = 0;
}

void bs_alloc_index_free(struct bs_alloc_index *ix)
{
    bs_addr_table_free(&ix->by_start);
    bs_addr_table_free(&ix->leaf_ix);
    for (uint32_t i = 0; i < ix->allocs_cap; i++)
        if (ix->allocs[i].in_use && bs_alloc_is_array(&ix->allocs[i]))
            free(ix->arr[ix->allocs[i].arr].leaf_of);
    free(ix->allocs);
    free(ix->arr);
    free(ix->leaf);
    free(ix->scratch);
    for (unsigned c = 0; c < BS_PEND_CLASSES; c++)
        free(ix->pend[c].ns);
}

/* Allocation ai has touched enough of its leaves for a dense table: move
 * them there from leaf_ix. */
static void make_dense(struct bs_alloc_index *ix, uint32_t ai)
{
    struct bs_alloc *a = &ix->allocs[ai];
    struct bs_array *r = &ix->arr[a->arr];
    uint32_t n = bs_alloc_nleaves_max(a);
    uint32_t *t = malloc((size_t)n * sizeof(*t));
    if (!t) bs_oom();
    for (uint32_t c = 0; c < n; c++)
        t[c] = BS_NONE;
    for (uint32_t l = r->leaves; l != BS_NONE; l = ix->leaf[l].next) {
        t[ix->leaf[l].chunk] = l;
        bs_addr_del(&ix->leaf_ix, ai, ix->leaf[l].chunk);
    }
    r->leaf_of = t;
    ix->dense_live += n;
}

struct bs_bstate *bs_alloc_new_leaf(struct bs_alloc_index *ix, uint32_t ai, uint32_t c)
{
    if (ix->leaf_free == BS_NONE) {
        uint32_t old = ix->leaf_cap;
        ix->leaf = bs_grow_array(ix->leaf, &ix->leaf_cap, sizeof(*ix->leaf));
        for (uint32_t i = ix->leaf_cap; i-- > old;) {
            ix->leaf[i].next = ix->leaf_free;
            ix->leaf_free = i;
        }
    }
    uint32_t l = ix->leaf_free;
    struct bs_leaf *lf = &ix->leaf[l];
    ix->leaf_free = lf->next;
    for (uint32_t i = 0; i < BS_LEAF; i++)
        lf->st[i] = (struct bs_bstate){0, 0, 0, BS_NONE};
    if ((ix->nstates_live += BS_LEAF) > ix->peak_states_live)
        ix->peak_states_live = ix->nstates_live;
    struct bs_alloc *a = &ix->allocs[ai];
    struct bs_array *r = &ix->arr[a->arr];
    lf->chunk = c;
    lf->next = r->leaves;
    r->leaves = l;
    r->nleaves++;
    if (r->leaf_of)
        r->leaf_of[c] = l;
    else if ((uint64_t)r->nleaves * BS_DENSE_RATIO >= bs_alloc_nleaves_max(a))
        make_dense(ix, ai);
    else if (bs_addr_put(&ix->leaf_ix, ai, c, l) < 0)
        bs_oom();
    return lf->st;
}

static int by_chunk(const void *x, const void *y, void *ctx)
{
    const struct bs_leaf *leaf = ctx;
    uint32_t a = leaf[*(const uint32_t *)x].chunk, b = leaf[*(const uint32_t *)y].chunk;
    return a < b ? -1 : a > b;
}

const uint32_t *bs_alloc_leaves(struct bs_alloc_index *ix, const struct bs_alloc *a, uint32_t *n)
{
    const struct bs_array *r = &ix->arr[a->arr];
    *n = 0;
    while (ix->scratch_cap < r->nleaves)
        ix->scratch = bs_grow_array(ix->scratch, &ix->scratch_cap, sizeof(*ix->scratch));
    if (r->leaf_of) { /* at most BS_DENSE_RATIO entries per leaf to look at */
        for (uint32_t c = 0; c < bs_alloc_nleaves_max(a); c++)
            if (r->leaf_of[c] != BS_NONE) ix->scratch[(*n)++] = r->leaf_of[c];
        return ix->scratch;
    }
    for (uint32_t l = r->leaves; l != BS_NONE; l = ix->leaf[l].next)
        ix->scratch[(*n)++] = l;
    if (*n > 1) qsort_r(ix->scratch, *n, sizeof(*ix->scratch), by_chunk, ix->leaf);
    return ix->scratch;
}

/* ---- pending-delete times ----------------------------------------------------- */

static uint64_t *pend_at(struct bs_alloc_index *ix, uint32_t times)
{
    return &ix->pend[BS_PEND_CLASS(times)].ns[(size_t)BS_PEND_BLOCK(times) << BS_PEND_CLASS(times)];
}

static uint32_t pend_take(struct bs_alloc_index *ix, unsigned c)
{
    struct bs_pend_slab *sl = &ix->pend[c];
    if (sl->free == BS_NONE) {
        uint32_t old = sl->cap;
        sl->ns = bs_grow_array(sl->ns, &sl->cap, sizeof(uint64_t) << c);
        if (sl->cap > 1u << BS_PEND_SHIFT) bs_over_cap((size_t)sl->cap * (sizeof(uint64_t) << c));
        for (uint32_t i = sl->cap; i-- > old;) {
            sl->ns[(size_t)i << c] = sl->free;
            sl->free = i;
        }
    }
    uint32_t i = sl->free;
    sl->free = (uint32_t)sl->ns[(size_t)i << c];
    if ((ix->pend_bytes_live += sizeof(uint64_t) << c) > ix->peak_pend_bytes)
        ix->peak_pend_bytes = ix->pend_bytes_live;
    return (uint32_t)c << BS_PEND_SHIFT | i;
}

static void pend_give(struct bs_alloc_index *ix, uint32_t times)
{
    struct bs_pend_slab *sl = &ix->pend[BS_PEND_CLASS(times)];
    *pend_at(ix, times) = sl->free;
    sl->free = BS_PEND_BLOCK(times);
    ix->pend_bytes_live -= sizeof(uint64_t) << BS_PEND_CLASS(times);
}

/* Move b's n times to a block of class c. */
static void pend_move(struct bs_alloc_index *ix, struct bs_bstate *b, unsigned c, unsigned n)
{
    uint32_t to = pend_take(ix, c); /* may move the slab of b's block */
    uint64_t *dst = pend_at(ix, to);
    const uint64_t *src = pend_at(ix, b->times);
    for (unsigned i = 0; i < n; i++) /* at most 8: no call to memcpy */
        dst[i] = src[i];
    pend_give(ix, b->times);
    b->times = to;
}

/* Bits set in a byte: without -mpopcnt, __builtin_popcount is a call. */
static unsigned bits8(uint8_t x)
{
    x = (uint8_t)(x - ((x >> 1) & 0x55));
    x = (uint8_t)((x & 0x33) + ((x >> 2) & 0x33));
    return (x + (x >> 4)) & 0x0f;
}

static unsigned below(const struct bs_bstate *b, unsigned s)
{
    return bits8((uint8_t)(b->pending & ((1u << s) - 1)));
}

void bs_pending_add(struct bs_alloc_index *ix, struct bs_bstate *b, unsigned s, uint64_t t)
{
    unsigned n = bits8(b->pending);
    if (n == 0) {
        b->times = pend_take(ix, 0);
        if (++ix->npending_live > ix->peak_pending_live) ix->peak_pending_live = ix->npending_live;
    } else if (n == 1u << BS_PEND_CLASS(b->times)) {
        pend_move(ix, b, BS_PEND_CLASS(b->times) + 1, n);
    }
    uint64_t *ns = pend_at(ix, b->times);
    unsigned at = below(b, s);
    for (unsigned i = n; i > at; i--) /* at most 7: no call to memmove */
        ns[i] = ns[i - 1];
    ns[at] = t;
    b->pending |= (uint8_t)(1u << s);
}

uint64_t bs_pending_remove(struct bs_alloc_index *ix, struct bs_bstate *b, unsigned s)
{
    unsigned n = bits8(b->pending), at = below(b, s);
    uint64_t *ns = pend_at(ix, b->times), t = ns[at];
    for (unsigned i = at; i + 1 < n; i++)
        ns[i] = ns[i + 1];
    b->pending &= (uint8_t) ~(1u << s);
    unsigned c = BS_PEND_CLASS(b->times);
    if (n == 1) {
        pend_give(ix, b->times);
        b->times = BS_NONE;
        ix->npending_live--;
    } else if (c > 1 && n - 1 <= 1u << (c - 2)) { /* a quarter: no move back and forth */
        pend_move(ix, b, c - 1, n - 1);
    }
    return t;
}

/* ---- allocation records ----------------------------------------------------------- */

uint32_t bs_alloc_take(struct bs_alloc_index *ix, uint32_t map, uint32_t pid, uint64_t start,
                       uint64_t bytes, uint8_t kind, uint32_t nstates, uint32_t bucket_size)
{
    uint32_t ai = ix->alloc_free;
    if (ai == BS_NONE) {
        uint32_t oldcap = ix->allocs_cap;
        ix->allocs = bs_grow_aligned(ix->allocs, &ix->allocs_cap, sizeof(*ix->allocs));
        for (uint32_t i = ix->allocs_cap; i-- > oldcap;) {
            ix->allocs[i].next_free = ix->alloc_free;
            ix->allocs[i].in_use = 0;
            ix->alloc_free = i;
        }
        ai = ix->alloc_free;
    }
    struct bs_alloc *a = &ix->allocs[ai];
    ix->alloc_free = a->next_free;
    memset(a, 0, sizeof(*a));
    a->nstates = nstates;
    a->start = start;
    a->bytes = bytes;
    a->pid = pid;
    a->map = map;
    a->kind = kind;
    a->in_use = 1;
    if (kind == HMAP_MEM_ARRAY) {
        uint32_t r = array_take(ix, ai, pid, start, bucket_size); /* may move ix->arr */
        ix->allocs[ai].arr = r;
        ix->arrays_root = tree_insert(ix, ix->arrays_root, r);
        ix->narrays++;
    } else {
        a->one = (struct bs_bstate){0, 0, 0, BS_NONE};
        if (bs_addr_put(&ix->by_start, pid, start, ai) < 0) bs_oom();
    }
    if (nstates == 1 && (ix->nstates_live += 1) > ix->peak_states_live)
        ix->peak_states_live = ix->nstates_live;
    ix->nallocs_live++;
    return ai;
}

void bs_alloc_set_nbuckets(struct bs_alloc_index *ix, uint32_t ai, uint32_t nbuckets)
{
    ix->arr[ix->allocs[ai].arr].nbuckets = nbuckets;
}

void bs_alloc_release(struct bs_alloc_index *ix, uint32_t ai)
{
    struct bs_alloc *a = &ix->allocs[ai];
    free_states(ix, ai);
    if (a->kind == HMAP_MEM_ARRAY) {
        ix->arrays_root = tree_remove(ix, ix->arrays_root, a->arr);
        ix->arr[a->arr].ai = ix->arr_free;
        ix->arr_free = a->arr;
        ix->narrays--;
    } else {
        bs_addr_del(&ix->by_start, a->pid, a->start);
    }
    if (ix->last_alloc == ai) ix->last_alloc = BS_NONE;
    a->in_use = 0;
    a->next_free = ix->alloc_free;
    ix->alloc_free = ai;
    ix->nallocs_live--;
}

static size_t fixed_bytes(const struct bs_alloc_index *ix)
{
    return bs_addr_table_bytes(&ix->by_start) + bs_addr_table_bytes(&ix->leaf_ix) +
           (size_t)ix->allocs_cap * sizeof(struct bs_alloc) +
           (size_t)ix->arr_cap * sizeof(struct bs_array) +
           (size_t)ix->leaf_cap * sizeof(struct bs_leaf) +
           (size_t)ix->scratch_cap * sizeof(uint32_t) + (size_t)ix->dense_live * sizeof(uint32_t);
}

size_t bs_alloc_index_bytes(const struct bs_alloc_index *ix)
{
    size_t n = fixed_bytes(ix);
    for (unsigned c = 0; c < BS_PEND_CLASSES; c++)
        n += (size_t)ix->pend[c].cap * (sizeof(uint64_t) << c);
    return n;
}

size_t bs_alloc_index_peak_bytes(const struct bs_alloc_index *ix)
{
    return fixed_bytes(ix) + (size_t)ix->peak_pend_bytes;
}
