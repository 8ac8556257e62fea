/* SPDX-License-Identifier: MIT */
/*
 * input.h — buffered input shared by the file readers (works on pipes too).
 *
 * One large buffer per input, refilled with read(2): works the same on
 * regular files and on pipes (stdin), and keeps records contiguous by moving
 * the unread tail to the front before each refill.
 */
#ifndef BS_INPUT_H
#define BS_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct bs_input {
    int fd;
    uint8_t *buf;
    size_t cap, pos, end; /* unread bytes are buf[pos..end) */
    uint64_t base;        /* file offset of buf[0] */
    uint64_t size;        /* file size if known, else 0 */
    int eof;
};

/* Open path ("-": stdin) with its buffer and read its first `peek` bytes
 * (fewer if the input is shorter).  0, or -1 with "path: reason" in err and
 * nothing left open. */
int bs_input_open(struct bs_input *in, const char *path, size_t peek, char *err, size_t errlen);
/* Make at least `need` bytes available at buf[pos] unless the input ends
 * first; returns the number available (end - pos) or -1 on a read error
 * (errno set). */
long bs_input_fill(struct bs_input *in, size_t need);
void bs_input_close(struct bs_input *in);

#endif /* BS_INPUT_H */
