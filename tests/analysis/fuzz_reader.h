/* SPDX-License-Identifier: MIT */
/*
 * fuzz_reader.h — shared body of the libFuzzer targets: run bytes through a
 * reader, the lifetime engine and every report writer, as the tool would.
 */
#ifndef BS_FUZZ_READER_H
#define BS_FUZZ_READER_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"

typedef struct bs_reader *(*bs_fuzz_open_fn)(const char *path, struct bs_input *in, char *err,
                                             size_t errlen);
int bs_fuzz_run(const uint8_t *data, size_t size, bs_fuzz_open_fn open);

#endif /* BS_FUZZ_READER_H */
