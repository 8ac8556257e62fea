/* SPDX-License-Identifier: MIT */
/*
 * memory.h — how the engine grows its arrays, and its one answer to running
 * out of memory: stop with a message (a report of part of a trace would be
 * wrong without saying so).
 */
#ifndef BS_ENGINE_MEMORY_H
#define BS_ENGINE_MEMORY_H

#include <stddef.h>
#include <stdint.h>

_Noreturn void bs_oom(void);
/* Double *cap (from 64) and reallocate p to it. */
void *bs_grow_array(void *p, uint32_t *cap, size_t elem);
/* As bs_grow_array, for elements that want 64-byte alignment (realloc gives 16). */
void *bs_grow_aligned(void *p, uint32_t *cap, size_t elem);

#endif /* BS_ENGINE_MEMORY_H */
