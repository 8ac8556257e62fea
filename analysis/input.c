/*
 * input.c — buffered reading and format detection.
 *
 * One large buffer per input, refilled with read(2): works the same on
 * regular files and on pipes (stdin), and keeps records contiguous by moving
 * the unread tail to the front before each refill.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader.h"

#define INPUT_BUFFER (4u << 20)
/* bpftrace prints per-CPU buffers in turn: a record can come this many
 * records late and still be put in its place. */
#define BS_BPFTRACE_REORDER_WINDOW 65536

const char *const bs_input_kind_name[3] = {"native", "bpftrace", "ctf"};

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

/* nftw has no user pointer: the directory walk reports through a static. */
static int found_metadata;
static int find_metadata(const char *path, const struct stat *st, int type, struct FTW *f)
{
    if (type == FTW_F && strcmp(path + f->base, "metadata") == 0) {
        found_metadata = 1;
        return 1;
    }
    return 0;
}

static int starts_with(const uint8_t *p, size_t n, const char *s)
{
    size_t l = strlen(s);
    return n >= l && memcmp(p, s, l) == 0;
}

struct bs_reader *bs_reader_open(const char *path, int allow_truncated, char *err, size_t errlen)
{
    struct stat st;
    int is_stdin = strcmp(path, "-") == 0;
    if (!is_stdin && stat(path, &st) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct bs_reader *r = NULL;
    if (!is_stdin && S_ISDIR(st.st_mode)) {
        found_metadata = 0;
        nftw(path, find_metadata, 16, FTW_PHYS);
        if (!found_metadata) {
            snprintf(err, errlen, "%s: directory holds no CTF trace (no 'metadata' file below it)",
                     path);
            return NULL;
        }
        r = bs_ctf_open(path, err, errlen);
    } else {
        struct bs_input in = {.fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC)};
        if (in.fd < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return NULL;
        }
        in.size = is_stdin || !S_ISREG(st.st_mode) ? 0 : (uint64_t)st.st_size;
        in.cap = INPUT_BUFFER;
        in.buf = malloc(in.cap);
        long n = in.buf ? bs_input_fill(&in, 64) : -1;
        if (n < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            bs_input_close(&in);
            return NULL;
        }
        const uint8_t *p = in.buf;
        /* Skip leading blank lines for the text check. */
        size_t skip = 0;
        while (skip < (size_t)n && (p[skip] == '\n' || p[skip] == '\r'))
            skip++;
        if (starts_with(p, (size_t)n, HMAP_NATIVE_MAGIC) && n >= 8 && p[7] == 0) {
            r = bs_native_open(path, &in, err, errlen);
        } else if (starts_with(p + skip, (size_t)n - skip, "HMEV ") ||
                   starts_with(p + skip, (size_t)n - skip, "Attaching ")) {
            r = bs_bpftrace_open(path, &in, err, errlen);
            if (r) r = bs_reorder_wrap(r, BS_BPFTRACE_REORDER_WINDOW, err, errlen);
        } else {
            snprintf(err, errlen,
                     "%s: unknown trace format at offset 0 (expected native \"HMTRACE\" magic, "
                     "bpftrace HMEV lines, or a CTF trace directory)",
                     path);
            bs_input_close(&in);
            return NULL;
        }
        if (!r) bs_input_close(&in);
    }
    if (r) r->allow_truncated = allow_truncated;
    return r;
}

void bs_reader_close(struct bs_reader *r)
{
    if (r) r->close(r);
}
