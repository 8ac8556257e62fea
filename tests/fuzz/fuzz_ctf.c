/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ctf.c — libFuzzer target: the CTF reader (readers/ctf.c) on a trace
 * directory made from the input,
 *   u32 LE metadata length, u32 LE index length, metadata, index, stream
 * (lengths clamped to what is there; no index file when its length is 0),
 * written as metadata, ch_0 and index/ch_0.idx.  The checks run in this
 * process (and are what the fuzzer is guided by); libbabeltrace2 runs in
 * the reader's child, whose crashes and hangs must come back as errors: a
 * hang here is a watchdog that did not bite (libFuzzer's -timeout).  The
 * last input byte's low bit sets --allow-truncated.  Seed: ctf_seed.c.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format.h"

static char root[64], dir[128];

static void write_file(const char *name, const uint8_t *p, size_t n)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n) || close(fd) < 0) abort();
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void cleanup(void)
{
    char path[256];
    const char *names[] = {"index/ch_0.idx", "index", "ch_0", "metadata"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        remove(path);
    }
    rmdir(dir);
    rmdir(root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    snprintf(root, sizeof(root), "/tmp/bs-fuzz-ctf.XXXXXX");
    if (!mkdtemp(root)) abort();
    snprintf(dir, sizeof(dir), "%s/trace", root);
    if (mkdir(dir, 0700) < 0) abort();
    atexit(cleanup);
    /* A stuck decode costs this much per input; far below -timeout. */
    bs_ctf_timeout_s = 2;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8) return 0;
    size_t nm = get32(data), ni = get32(data + 4), left = size - 8;
    if (nm > left) nm = left;
    left -= nm;
    if (ni > left) ni = left;
    left -= ni;
    const uint8_t *p = data + 8;
    write_file("metadata", p, nm);
    char idx[192];
    snprintf(idx, sizeof(idx), "%s/index", dir);
    if (ni) {
        mkdir(idx, 0700);
        write_file("index/ch_0.idx", p + nm, ni);
    } else {
        snprintf(idx, sizeof(idx), "%s/index/ch_0.idx", dir);
        remove(idx);
    }
    write_file("ch_0", p + nm + ni, left);

    char err[600];
    struct bs_reader *r = bs_ctf_open(root, err, sizeof(err));
    if (!r) return 0;
    r->allow_truncated = data[size - 1] & 1;
    const struct hmap_native_rec_header *h;
    int st;
    while ((st = r->next(r, &h)) == 1)
        if (h->size < sizeof(*h)) abort();
    if (st < 0 && !r->err[0]) abort(); /* an error always says why */
    bs_reader_close(r);
    return 0;
}
