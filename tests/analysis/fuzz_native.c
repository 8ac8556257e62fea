/* SPDX-License-Identifier: MIT */
/* fuzz_native.c — libFuzzer target: the native trace reader (and all below). */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return bs_fuzz_run(data, size, bs_native_open);
}
