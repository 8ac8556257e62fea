/* SPDX-License-Identifier: MIT */
/* fuzz_bpftrace.c — libFuzzer target: the bpftrace-line reader behind a small
 * reorder window (as bucketscope-report uses it), and all below. */
#include "fuzz_reader.h"

static struct bs_reader *open_reordered(const char *path, struct bs_input *in, char *err,
                                        size_t errlen)
{
    struct bs_reader *r = bs_bpftrace_open(path, in, err, errlen);
    return r ? bs_reorder_wrap(r, 16, err, errlen) : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return bs_fuzz_run(data, size, open_reordered);
}
