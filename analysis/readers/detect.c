/* SPDX-License-Identifier: MIT */
/*
 * detect.c — format detection and the choice of reader (reader.h).
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "format.h"

/* Bytes enough to recognise every format by its start. */
#define DETECT_PEEK 64
/* bpftrace prints per-CPU buffers in turn: a record can come this many
 * records late and still be put in its place. */
#define BS_BPFTRACE_REORDER_WINDOW 65536

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

/* The magic is the whole 8-byte field, its NUL included. */
static int is_native(const uint8_t *p, size_t n)
{
    const size_t len = sizeof(((struct hmap_native_file_header *)0)->magic);
    return n >= len && memcmp(p, HMAP_NATIVE_MAGIC, len) == 0;
}

static int starts_with(const uint8_t *p, size_t n, const char *s)
{
    size_t l = strlen(s);
    return n >= l && memcmp(p, s, l) == 0;
}

static struct bs_reader *open_ctf_dir(const char *path, char *err, size_t errlen)
{
    found_metadata = 0;
    nftw(path, find_metadata, 16, FTW_PHYS);
    if (!found_metadata) {
        snprintf(err, errlen, "%s: directory holds no CTF trace (no 'metadata' file below it)",
                 path);
        return NULL;
    }
    return bs_ctf_open(path, err, errlen);
}

/* A file or a pipe: its first bytes say which reader takes it over. */
static struct bs_reader *open_stream(const char *path, char *err, size_t errlen)
{
    struct bs_input in;
    if (bs_input_open(&in, path, DETECT_PEEK, err, errlen) < 0) return NULL;
    const uint8_t *p = in.buf;
    size_t n = in.end - in.pos;
    /* Skip leading blank lines for the text check. */
    size_t skip = 0;
    while (skip < n && (p[skip] == '\n' || p[skip] == '\r'))
        skip++;
    struct bs_reader *r;
    if (is_native(p, n)) {
        r = bs_native_open(path, &in, err, errlen);
    } else if (starts_with(p + skip, n - skip, BS_BPFTRACE_EVENT_PREFIX) ||
               starts_with(p + skip, n - skip, "Attaching ")) {
        r = bs_bpftrace_open(path, &in, err, errlen);
        if (r) return bs_reorder_wrap(r, BS_BPFTRACE_REORDER_WINDOW, err, errlen);
    } else {
        snprintf(err, errlen,
                 "%s: unknown trace format at offset 0 (expected native \"HMTRACE\" magic, "
                 "bpftrace HMEV lines, or a CTF trace directory)",
                 path);
        r = NULL;
    }
    if (!r) bs_input_close(&in);
    return r;
}

struct bs_reader *bs_reader_open(const char *path, int allow_truncated, char *err, size_t errlen)
{
    struct stat st;
    int is_stdin = strcmp(path, "-") == 0;
    if (!is_stdin && stat(path, &st) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct bs_reader *r = !is_stdin && S_ISDIR(st.st_mode) ? open_ctf_dir(path, err, errlen)
                                                           : open_stream(path, err, errlen);
    if (r) r->allow_truncated = allow_truncated;
    return r;
}
