/* SPDX-License-Identifier: MIT */
/*
 * input.c — the buffered input of the file readers (input.h).  Knows bytes
 * only: which format they hold is detect.c's business.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"

/* Large enough that refills are rare; records are at most 64 KiB. */
#define INPUT_BUFFER (4u << 20)

int bs_input_open(struct bs_input *in, const char *path, size_t peek, char *err, size_t errlen)
{
    int is_stdin = strcmp(path, "-") == 0;
    struct stat st;
    *in = (struct bs_input){.fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC)};
    if (in->fd < 0 || (!is_stdin && fstat(in->fd, &st) < 0)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (in->fd > 0) close(in->fd);
        return -1;
    }
    in->size = is_stdin || !S_ISREG(st.st_mode) ? 0 : (uint64_t)st.st_size;
    in->cap = INPUT_BUFFER;
    in->buf = malloc(in->cap);
    if (!in->buf) errno = ENOMEM;
    if (!in->buf || bs_input_fill(in, peek) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        bs_input_close(in);
        return -1;
    }
    return 0;
}

/* Keeps buf[pos..end) the unread bytes at file offset base + pos. */
long bs_input_fill(struct bs_input *in, size_t need)
{
    if (in->end - in->pos >= need || in->eof) return (long)(in->end - in->pos);
    if (in->pos) {
        memmove(in->buf, in->buf + in->pos, in->end - in->pos);
        in->base += in->pos;
        in->end -= in->pos;
        in->pos = 0;
    }
    if (need > in->cap) {
        uint8_t *nb = realloc(in->buf, need);
        if (!nb) return -1;
        in->buf = nb;
        in->cap = need;
    }
    while (in->end < need && !in->eof) {
        ssize_t n = read(in->fd, in->buf + in->end, in->cap - in->end);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) in->eof = 1;
        in->end += (size_t)n;
    }
    return (long)(in->end - in->pos);
}

void bs_input_close(struct bs_input *in)
{
    if (in->fd > 0) close(in->fd);
    free(in->buf);
    in->buf = NULL;
    in->fd = -1;
}
