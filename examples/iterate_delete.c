/* SPDX-License-Identifier: MIT */
/*
 * iterate_delete.c — writing to a map while ranging over it, and what Go's
 * rules guarantee (docs/go-map-model.md §9.3):
 *   - every entry present for the whole iteration is returned exactly once;
 *   - an entry deleted before the iterator reaches it is never returned;
 *   - an entry inserted during the iteration may or may not be returned;
 * even when the inserts make the map grow in the middle of the loop.
 *
 * The loop deletes each entry it is given, also deletes one entry it has
 * not been given yet (when there is one), and inserts new keys early on, so
 * that the map starts a doubling growth mid-iteration.  Every rule above is
 * checked and the counts printed; the exit status is 1 if one is broken.
 *
 * Run:    build/examples/iterate_delete
 * Trace it (from the repository root; BPF and LTTng need root):
 *   in-process recorder:
 *     HMAP_TRACE=/tmp/iterate_delete.hmtrace build/examples/iterate_delete
 *     bucketscope report /tmp/iterate_delete.hmtrace
 *   BPF recorder (USDT probes of libhmap.so):
 *     bucketscope record -o /tmp/iterate_delete.hmtrace -- build/examples/iterate_delete
 *     bucketscope report /tmp/iterate_delete.hmtrace
 *   LTTng-UST:
 *     lttng create; lttng enable-event -u 'hmap:*'; lttng start
 *     HMAP_LTTNG=1 build/examples/iterate_delete
 *     lttng stop; bucketscope report ~/lttng-traces/<session directory>
 *   bpftrace (event counts):
 *     bpftrace bpf/scripts/count.bt $PWD/build/libmap/libhmap.so   (then run the example)
 * In the trace: grow_start during the loop; memory the growth retires while
 * the iterator can still reach it is freed only once the iterator stops.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <hmap.h>

#define ORIGINAL 10000 /* keys 0..9999 before the loop */
#define ADDED 20000    /* keys 100000.. inserted during the loop: forces growth */
#define ADDED_BASE 100000

int main(void)
{
    hmap *m = hmap_new(&hmap_type_u64, NULL);
    if (!m) {
        perror("hmap_new");
        return 1;
    }
    for (uint64_t k = 0; k < ORIGINAL; k++)
        if (hmap_set(m, &k, &k) != 0) {
            perror("hmap_set");
            return 1;
        }
    hmap_stats before;
    hmap_get_stats(m, &before);

    /* seen[k]: times the iterator returned original key k;
     * early[k]: k was deleted by the loop before the iterator returned it. */
    static unsigned char seen[ORIGINAL], early[ORIGINAL];
    uint64_t returned = 0, added_seen = 0, added = 0, other = 0, bad_value = 0;
    uint64_t next_unseen = 0; /* scan position for a not-yet-returned key */
    bool grew = false;

    hmap_iter it;
    const void *kp;
    void *vp;
    hmap_iter_init(&it, m);
    while (hmap_iter_next(&it, &kp, &vp)) {
        uint64_t k = *(const uint64_t *)kp;
        if (*(uint64_t *)vp != k) bad_value++;
        if (k >= ADDED_BASE) {
            added_seen++;
            continue;
        }
        if (k >= ORIGINAL) {
            other++;
            continue;
        }
        seen[k]++;
        returned++;
        hmap_delete(m, &k); /* deleting the current entry: allowed */

        /* Delete one original key the iterator has not returned yet. */
        while (next_unseen < ORIGINAL && (seen[next_unseen] || early[next_unseen]))
            next_unseen++;
        if (next_unseen < ORIGINAL) {
            early[next_unseen] = 1;
            hmap_delete(m, &next_unseen);
        }

        /* Insert new keys during the first part of the loop. */
        for (int j = 0; j < 20 && added < ADDED; j++, added++) {
            uint64_t nk = ADDED_BASE + added;
            if (hmap_set(m, &nk, &nk) != 0) {
                perror("hmap_set");
                return 1;
            }
        }
        if (!grew) {
            hmap_stats s;
            hmap_get_stats(m, &s);
            grew = s.growing || s.B != before.B;
        }
    }

    uint64_t twice = 0, deleted_early = 0, early_returned = 0, missed = 0;
    for (uint64_t k = 0; k < ORIGINAL; k++) {
        twice += seen[k] > 1;
        deleted_early += early[k];
        early_returned += early[k] && seen[k];
        missed += !early[k] && !seen[k];
    }
    hmap_stats after;
    hmap_get_stats(m, &after);
    printf("original entries: %d; returned: %" PRIu64 " (each deleted as it was returned)\n",
           ORIGINAL, returned);
    printf("deleted before being reached: %" PRIu64 ", of which returned: %" PRIu64 "\n",
           deleted_early, early_returned);
    printf("returned twice: %" PRIu64 "; never deleted early yet not returned: %" PRIu64 "\n",
           twice, missed);
    printf("inserted during the loop: %" PRIu64 ", of which returned: %" PRIu64
           " (Go allows any number)\n",
           added, added_seen);
    printf("map grew during the iteration: %s (B %u -> %u); entries left: %" PRIu64 "\n",
           grew ? "yes" : "no", before.B, after.B, after.count);

    bool ok = twice == 0 && early_returned == 0 && missed == 0 && other == 0 && bad_value == 0 &&
              after.count == added;
    printf("%s\n", ok ? "Go's iteration guarantees held"
                      : "VIOLATION of Go's iteration guarantees (see the counts above)");
    hmap_free(m);
    return ok ? 0 : 1;
}
