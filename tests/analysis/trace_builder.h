/* SPDX-License-Identifier: MIT */
/*
 * trace_builder.h — writes hand-built traces for the analyzer's tests: a
 * native file from the packed schema structs of hmap_native.h, and, next to
 * it if asked, the same events as bpftrace HMEV lines.
 *
 *   struct tb *t = tb_open("x.hmt", "x.bt");
 *   TB(t, 1000, tophash_write, .map = M, .bucket = A, .slot = 0,
 *      .old_th = 0, .new_th = 200, .cause = HMAP_TH_INSERT);
 *   tb_close(t);
 */
#ifndef BS_TRACE_BUILDER_H
#define BS_TRACE_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "hmap_native.h"

struct tb;

/* text_path may be NULL (no bpftrace twin). */
struct tb *tb_open(const char *native_path, const char *text_path);
void tb_set_pid(struct tb *t, uint32_t pid);
/* Write events in the order they were emitted, not sorted by time (to test
 * readers on per-thread chunked files). */
void tb_keep_order(struct tb *t);
/* One event: id and its packed payload. */
void tb_emit(struct tb *t, uint64_t ts, uint16_t id, const void *payload, size_t size);
/* A lost record (native) / "Lost N events" line (text). */
void tb_lost(struct tb *t, uint64_t ts, uint64_t count, uint64_t first_ns, uint64_t last_ns);
/* Raw bytes into the native file only, for corruption tests. */
void tb_raw(struct tb *t, const void *p, size_t n);
/* Returns 0 when both files were written completely. */
int tb_close(struct tb *t);

#define TB(t, ts, name, ...)                                                                       \
    do {                                                                                           \
        struct hmap_native_##name p_ = {__VA_ARGS__};                                              \
        tb_emit(t, ts, HMAP_EV_##name, &p_, sizeof(p_));                                           \
    } while (0)

#endif /* BS_TRACE_BUILDER_H */
