/* SPDX-License-Identifier: MIT */
/*
 * memory.h — how the engine grows its arrays, and its one answer to running
 * out of memory or past its cap: stop with a message naming the input (a
 * report of part of a trace would be wrong without saying so).
 *
 * The cap (docs/report.md, "Memory and limits") bounds the engine's state
 * as bs_engine_state_bytes counts it: half of the physical memory, or of
 * RLIMIT_AS or RLIMIT_DATA if lower, so that an input that proves more live
 * state than the machine holds ends in this error, not in the OOM killer.
 */
#ifndef BS_ENGINE_MEMORY_H
#define BS_ENGINE_MEMORY_H

#include <stddef.h>
#include <stdint.h>

/* The input named in the messages, and the cap (0: the default above). */
void bs_mem_setup(const char *name, size_t cap);
size_t bs_mem_cap(void);
_Noreturn void bs_oom(void);
/* The state would pass the cap: `bytes` of it. */
_Noreturn void bs_over_cap(size_t bytes);
/* Double *cap (from 64) and reallocate p to it; past the cap, bs_over_cap. */
void *bs_grow_array(void *p, uint32_t *cap, size_t elem);
/* As bs_grow_array, for elements that want 64-byte alignment (realloc gives 16). */
void *bs_grow_aligned(void *p, uint32_t *cap, size_t elem);

#endif /* BS_ENGINE_MEMORY_H */
