/* SPDX-License-Identifier: MIT */
/*
 * ctf_check.c — checks of a CTF trace directory before libbabeltrace2 reads
 * it, and the view that leaves out what failed (ctf_check.h).
 *
 * Layouts (docs/report.md, "CTF input checks"):
 *   metadata packet: magic 0x75D11D57, uuid[16], checksum u32, content_size
 *     u32 and packet_size u32 (bits), compression, encryption, checksum
 *     scheme, major, minor (u8): 37 bytes, in the trace's byte order, then
 *     TSDL text up to content_size;
 *   stream packet (LTTng): magic 0xC1FC1FC1 u32, uuid[16], stream_id u32,
 *     stream_instance_id u64, then the packet context timestamp_begin,
 *     timestamp_end, content_size, packet_size (u64, sizes in bits), ...;
 *   index file: magic 0xC1F1DCC1, major, minor, entry length (u32), then
 *     entries offset (bytes), packet_size, content_size (bits),
 *     timestamp_begin, timestamp_end, events_discarded, stream_id (u64),
 *     more in 1.1; all big-endian.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctf_check.h"

#define META_MAGIC 0x75D11D57u
#define META_HEADER 37
#define STREAM_MAGIC 0xC1FC1FC1u
/* Header and packet context up to packet_size included. */
#define STREAM_HEADER 64
#define INDEX_MAGIC 0xC1F1DCC1u
#define INDEX_HEADER 16
#define INDEX_ENTRY_MIN 56 /* CTF index 1.0 */
#define INDEX_ENTRY_MAX 4096
#define INDEX_MAX (256u << 20)
/* Larger metadata is refused rather than read whole (LTTng's is ~10 KiB
 * plus ~1 KiB per event class). */
#define METADATA_MAX (64u << 20)
/* TSDL nests a few levels; libbabeltrace2's parser recurses per level. */
#define NEST_MAX 256

static uint32_t get32(const uint8_t *p, int be)
{
    return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
              : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint64_t get64(const uint8_t *p, int be)
{
    return be ? (uint64_t)get32(p, 1) << 32 | get32(p + 4, 1)
              : (uint64_t)get32(p + 4, 0) << 32 | get32(p, 0);
}

/* ---- metadata ------------------------------------------------------------- */

/* TSDL text: brackets balanced outside comments, strings and character
 * literals, no NUL byte, and the last token a ';' (every top-level
 * declaration ends with one).  A cut anywhere but between two declarations
 * fails one of these. */
static int check_tsdl(const uint8_t *t, size_t n, char *err, size_t errlen)
{
    enum { CODE, BLOCK, LINE, STR, CHR } st = CODE;
    char stack[NEST_MAX];
    int depth = 0;
    uint8_t last = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = t[i];
        if (c == 0) {
            snprintf(err, errlen, "NUL byte at offset %zu of the TSDL text", i);
            return -1;
        }
        switch (st) {
        case BLOCK:
            if (c == '*' && i + 1 < n && t[i + 1] == '/') st = CODE, i++;
            continue;
        case LINE:
            if (c == '\n') st = CODE;
            continue;
        case STR:
        case CHR:
            if (c == '\\')
                i++;
            else if (c == (st == STR ? '"' : '\''))
                st = CODE, last = c;
            continue;
        case CODE:
            break;
        }
        if (c == '/' && i + 1 < n && (t[i + 1] == '*' || t[i + 1] == '/')) {
            st = t[i + 1] == '*' ? BLOCK : LINE;
            i++;
            continue;
        }
        if (c == '"' || c == '\'') {
            st = c == '"' ? STR : CHR;
            continue;
        }
        if (c == '{' || c == '(' || c == '[') {
            if (depth == NEST_MAX) {
                snprintf(err, errlen, "TSDL text nested deeper than %d at offset %zu", NEST_MAX, i);
                return -1;
            }
            stack[depth++] = c == '{' ? '}' : c == '(' ? ')' : ']';
        } else if (c == '}' || c == ')' || c == ']') {
            if (!depth || stack[depth - 1] != (char)c) {
                snprintf(err, errlen, "unmatched '%c' at offset %zu of the TSDL text", c, i);
                return -1;
            }
            depth--;
        }
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') last = c;
    }
    const char *why = st == BLOCK   ? "inside a comment"
                      : st == STR   ? "inside a string"
                      : st == CHR   ? "inside a character literal"
                      : depth       ? "with a bracket still open"
                      : !last       ? "empty"
                      : last != ';' ? "without the ';' of its last declaration"
                                    : NULL;
    if (!why) return 0;
    snprintf(err, errlen, "the TSDL text (%zu bytes) ends %s: incomplete", n, why);
    return -1;
}

/* Does the TSDL text declare LTTng's packet header and context (the layout
 * walk_stream reads)?  Compared with runs of white space made one space. */
static int is_lttng_layout(const uint8_t *t, size_t n)
{
    static const char *const decl[] = {
        "typealias integer { size = 32; align = 8; signed = false; } := uint32_t;",
        "typealias integer { size = 64; align = 8; signed = false; } := uint64_t;",
        "packet.header := struct { uint32_t magic; uint8_t uuid[16]; uint32_t stream_id; "
        "uint64_t stream_instance_id; };",
        "struct packet_context { uint64_clock_monotonic_t timestamp_begin; "
        "uint64_clock_monotonic_t timestamp_end; uint64_t content_size; uint64_t packet_size;"};
    char *s = malloc(n + 1);
    size_t k = 0;
    if (!s) return 0;
    for (size_t i = 0; i < n; i++) {
        int space = t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r';
        if (!space)
            s[k++] = (char)t[i];
        else if (k && s[k - 1] != ' ')
            s[k++] = ' ';
    }
    s[k] = 0;
    int ok = 1;
    for (size_t i = 0; ok && i < sizeof(decl) / sizeof(decl[0]); i++)
        ok = strstr(s, decl[i]) != NULL;
    free(s);
    return ok;
}

int bs_ctf_check_metadata(const uint8_t *p, size_t n, int *lttng, char *err, size_t errlen)
{
    int be = n >= 4 && get32(p, 1) == META_MAGIC;
    *lttng = 0;
    if (!(n >= 4 && (be || get32(p, 0) == META_MAGIC))) {
        if (check_tsdl(p, n, err, errlen) == 0) {
            *lttng = is_lttng_layout(p, n);
            return 0;
        }
        char why[300];
        snprintf(why, sizeof(why), "%s", err);
        snprintf(err, errlen, "metadata (text, %zu bytes): %s", n, why);
        return -1;
    }
    /* Packetized: gather the text of every packet, then check it. */
    uint8_t *text = malloc(n ? n : 1);
    size_t tn = 0, off = 0;
    if (!text) {
        snprintf(err, errlen, "metadata: out of memory");
        return -1;
    }
    while (off < n) {
        if (n - off < META_HEADER || get32(p + off, be) != META_MAGIC) {
            snprintf(err, errlen,
                     n - off < META_HEADER
                         ? "metadata truncated at offset %zu: %zu bytes of a packet header"
                         : "metadata: no packet header at offset %zu (bad magic)",
                     off, n - off);
            free(text);
            return -1;
        }
        uint64_t cbits = get32(p + off + 24, be), pbits = get32(p + off + 28, be);
        if (cbits % 8 || pbits % 8 || cbits < META_HEADER * 8 || cbits > pbits) {
            snprintf(err, errlen,
                     "metadata: packet at offset %zu has content size %" PRIu64
                     " bits and packet size %" PRIu64 " bits",
                     off, cbits, pbits);
            free(text);
            return -1;
        }
        if (p[off + 32] || p[off + 33]) {
            snprintf(err, errlen, "metadata: packet at offset %zu is compressed or encrypted", off);
            free(text);
            return -1;
        }
        size_t content = (size_t)(cbits / 8), packet = (size_t)(pbits / 8);
        if (n - off < content) {
            snprintf(err, errlen,
                     "metadata truncated at offset %zu: the packet at offset %zu holds %zu bytes, "
                     "%zu present",
                     n, off, content, n - off);
            free(text);
            return -1;
        }
        memcpy(text + tn, p + off + META_HEADER, content - META_HEADER);
        tn += content - META_HEADER;
        /* The last packet's padding may be cut: its text is whole. */
        off = n - off < packet ? n : off + packet;
    }
    int rc = check_tsdl(text, tn, err, errlen);
    if (rc == 0) *lttng = is_lttng_layout(text, tn);
    free(text);
    if (rc < 0) {
        char why[300];
        snprintf(why, sizeof(why), "%s", err);
        snprintf(err, errlen, "metadata (%zu bytes in packets): %s", n, why);
    }
    return rc;
}

/* ---- index ------------------------------------------------------------------- */

int bs_ctf_check_index(const uint8_t *p, size_t n, uint64_t stream_size,
                       const struct bs_ctf_packet *hdr, size_t nhdr, char *err, size_t errlen)
{
    if (n < INDEX_HEADER || get32(p, 1) != INDEX_MAGIC || get32(p + 4, 1) != 1) {
        snprintf(err, errlen, "not a CTF index 1.x (bad header)");
        return -1;
    }
    uint32_t len = get32(p + 12, 1);
    if (len < INDEX_ENTRY_MIN || len > INDEX_ENTRY_MAX || (n - INDEX_HEADER) % len) {
        snprintf(err, errlen, "entry length %" PRIu32 " does not divide its %zu bytes of entries",
                 len, n - INDEX_HEADER);
        return -1;
    }
    size_t count = (n - INDEX_HEADER) / len;
    if (hdr && count != nhdr) {
        snprintf(err, errlen, "%zu entries for the stream's %zu packets", count, nhdr);
        return -1;
    }
    uint64_t next = 0, last_end = 0;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *e = p + INDEX_HEADER + i * len;
        struct bs_ctf_packet x = {get64(e, 1), get64(e + 8, 1), get64(e + 16, 1), get64(e + 24, 1),
                                  get64(e + 32, 1)};
        const char *why = NULL;
        if (x.offset != next)
            why = "does not start where the previous packet ends";
        else if (!x.packet_bits || x.packet_bits % 8 || x.content_bits > x.packet_bits)
            why = "has impossible sizes";
        else if (x.packet_bits / 8 > stream_size - x.offset)
            why = "ends beyond the stream file";
        else if (x.ts_begin > x.ts_end || x.ts_begin < last_end)
            why = "has timestamps out of order";
        else if (hdr && (hdr[i].offset != x.offset || hdr[i].packet_bits != x.packet_bits ||
                         hdr[i].content_bits != x.content_bits || hdr[i].ts_begin != x.ts_begin ||
                         hdr[i].ts_end != x.ts_end))
            why = "disagrees with the packet header";
        if (why) {
            snprintf(err, errlen, "entry %zu (offset %" PRIu64 ", %" PRIu64 " bits) %s", i,
                     x.offset, x.packet_bits, why);
            return -1;
        }
        next = x.offset + x.packet_bits / 8;
        last_end = x.ts_end;
    }
    if (next != stream_size) {
        snprintf(err, errlen, "its packets cover %" PRIu64 " of the stream's %" PRIu64 " bytes",
                 next, stream_size);
        return -1;
    }
    return 0;
}

/* ---- streams ---------------------------------------------------------------- */

/* Walk the packet headers of a stream file in LTTng's layout (the metadata
 * declares it).  Returns the number of whole packets (their headers in
 * *hdr), -1 on a read error.  Marks s truncated at the first packet that
 * does not fit or has no valid header. */
static long walk_stream(int fd, struct bs_ctf_stream_check *s, struct bs_ctf_packet **hdr)
{
    size_t n = 0, cap = 0;
    uint64_t off = 0;
    int be = -1;
    *hdr = NULL;
    while (off < s->size) {
        uint8_t h[STREAM_HEADER];
        size_t want = s->size - off < sizeof(h) ? (size_t)(s->size - off) : sizeof(h);
        if (pread(fd, h, want, (off_t)off) != (ssize_t)want) {
            free(*hdr);
            *hdr = NULL;
            return -1;
        }
        if (be < 0) be = want >= 4 && get32(h, 1) == STREAM_MAGIC;
        const char *why = NULL;
        uint64_t cbits = 0, pbits = 0;
        if (want < 4 || get32(h, be) != STREAM_MAGIC) {
            why = "no packet header (bad magic)";
        } else if (want < sizeof(h)) {
            why = "a packet header cut short";
        } else {
            cbits = get64(h + 48, be);
            pbits = get64(h + 56, be);
            if (pbits % 8 || pbits < 8 * STREAM_HEADER || cbits > pbits ||
                cbits < 8 * STREAM_HEADER)
                why = "a packet header with impossible sizes";
            else if (pbits / 8 > s->size - off)
                why = "a packet that does not fit in the file";
        }
        if (why) {
            s->truncated = 1;
            snprintf(s->why, sizeof(s->why),
                     "%s at offset %" PRIu64 " (file size %" PRIu64 ", %zu whole packets before)",
                     why, off, s->size, n);
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            struct bs_ctf_packet *nh = realloc(*hdr, cap * sizeof(**hdr));
            if (!nh) return -1;
            *hdr = nh;
        }
        (*hdr)[n++] =
            (struct bs_ctf_packet){off, pbits, cbits, get64(h + 32, be), get64(h + 40, be)};
        off += pbits / 8;
    }
    s->good = off > s->size ? s->size : off;
    if (s->truncated) s->good = n ? (*hdr)[n - 1].offset + (*hdr)[n - 1].packet_bits / 8 : 0;
    return (long)n;
}

static int read_file(const char *path, uint64_t max, uint8_t **data, size_t *n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    *data = NULL;
    if (fd < 0 || fstat(fd, &st) < 0 || (uint64_t)st.st_size > max) {
        if (fd >= 0 && (uint64_t)st.st_size > max) errno = EFBIG;
        int e = errno;
        if (fd >= 0) close(fd);
        errno = e;
        return -1;
    }
    *n = (size_t)st.st_size;
    *data = malloc(*n ? *n : 1);
    if (!*data || (*n && pread(fd, *data, *n, 0) != (ssize_t)*n)) {
        int e = *data ? (errno ? errno : EIO) : ENOMEM;
        free(*data);
        *data = NULL;
        close(fd);
        errno = e;
        return -1;
    }
    close(fd);
    return 0;
}

static void check_stream(const char *dir, int lttng, struct bs_ctf_stream_check *s)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, s->name);
    int fd = lttng ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    struct bs_ctf_packet *hdr = NULL;
    long nhdr = fd < 0 ? -1 : walk_stream(fd, s, &hdr);
    if (fd >= 0) close(fd);
    if (nhdr < 0) s->good = s->size;
    snprintf(path, sizeof(path), "%s/index/%s.idx", dir, s->name);
    uint8_t *idx;
    size_t n;
    struct stat st;
    s->has_index = stat(path, &st) == 0;
    if (!s->has_index) {
        free(hdr);
        return;
    }
    char why[200];
    if (read_file(path, INDEX_MAX, &idx, &n) < 0) {
        snprintf(why, sizeof(why), "%s", strerror(errno));
    } else if (s->truncated) {
        snprintf(why, sizeof(why), "its stream is truncated");
    } else if (bs_ctf_check_index(idx, n, s->size, nhdr < 0 ? NULL : hdr,
                                  nhdr < 0 ? 0 : (size_t)nhdr, why, sizeof(why)) == 0) {
        s->index_ok = 1;
    }
    if (!s->index_ok && !s->truncated)
        snprintf(s->why, sizeof(s->why), "index/%s.idx: %s", s->name, why);
    free(idx);
    free(hdr);
}

/* ---- the directory ------------------------------------------------------------ */

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct bs_ctf_stream_check *)a)->name,
                  ((const struct bs_ctf_stream_check *)b)->name);
}

int bs_ctf_check_dir(struct bs_ctf_dir_check *c, const char *dir, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    char path[4096];
    uint8_t *meta;
    size_t n;
    snprintf(path, sizeof(path), "%s/metadata", dir);
    if (read_file(path, METADATA_MAX, &meta, &n) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char why[400];
    int lttng;
    int rc = bs_ctf_check_metadata(meta, n, &lttng, why, sizeof(why));
    free(meta);
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", dir, why);
        return -1;
    }
    c->dir = strdup(dir);
    DIR *d = opendir(dir);
    if (!c->dir || !d) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        if (d) closedir(d);
        bs_ctf_check_free(c);
        return -1;
    }
    /* The stream files are what src.ctf.fs takes: regular files but
     * `metadata` and hidden ones; it skips empty ones itself. */
    struct dirent *de;
    int cap = 0;
    while ((de = readdir(d))) {
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (de->d_name[0] == '.' || strcmp(de->d_name, "metadata") == 0 || stat(path, &st) < 0 ||
            !S_ISREG(st.st_mode))
            continue;
        if (c->nstreams == cap) {
            cap = cap ? cap * 2 : 16;
            struct bs_ctf_stream_check *ns = realloc(c->streams, (size_t)cap * sizeof(*ns));
            if (!ns) break;
            c->streams = ns;
        }
        struct bs_ctf_stream_check *s = &c->streams[c->nstreams];
        memset(s, 0, sizeof(*s));
        s->name = strdup(de->d_name);
        if (!s->name) break;
        s->size = (uint64_t)st.st_size;
        c->nstreams++;
    }
    closedir(d);
    qsort(c->streams, (size_t)c->nstreams, sizeof(*c->streams), by_name);
    for (int i = 0; i < c->nstreams; i++) {
        struct bs_ctf_stream_check *s = &c->streams[i];
        check_stream(dir, lttng, s);
        c->ntruncated += s->truncated;
        c->nindex_skipped += s->has_index && !s->index_ok && !s->truncated;
    }
    return 0;
}

int bs_ctf_needs_view(const struct bs_ctf_dir_check *c)
{
    return c->ntruncated || c->nindex_skipped;
}

/* The first `len` bytes of `from` into a new file `to`. */
static int copy_prefix(const char *from, const char *to, uint64_t len)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int rc = in < 0 || out < 0 ? -1 : 0;
    static char buf[1 << 16];
    uint64_t done = 0;
    while (rc == 0 && done < len) {
        size_t want = len - done < sizeof(buf) ? (size_t)(len - done) : sizeof(buf);
        ssize_t r = pread(in, buf, want, (off_t)done);
        if (r <= 0 || write(out, buf, (size_t)r) != r) rc = -1;
        done += r > 0 ? (uint64_t)r : 0;
    }
    int e = errno;
    if (in >= 0) close(in);
    if (out >= 0 && close(out) < 0) rc = -1;
    errno = e;
    return rc;
}

int bs_ctf_make_view(const struct bs_ctf_dir_check *c, const char *view, char *err, size_t errlen)
{
    char from[8192], to[4096], dir[PATH_MAX];
    int have_index = 0;
    /* The links are read from the view's directory: absolute targets. */
    if (!realpath(c->dir, dir) || mkdir(view, 0700) < 0) goto fail_view;
    snprintf(from, sizeof(from), "%s/metadata", dir);
    snprintf(to, sizeof(to), "%s/metadata", view);
    if (symlink(from, to) < 0) goto fail;
    for (int i = 0; i < c->nstreams; i++) {
        const struct bs_ctf_stream_check *s = &c->streams[i];
        snprintf(from, sizeof(from), "%s/%s", dir, s->name);
        snprintf(to, sizeof(to), "%s/%s", view, s->name);
        if (s->truncated ? copy_prefix(from, to, s->good) < 0 : symlink(from, to) < 0) goto fail;
        if (!s->index_ok) continue;
        snprintf(to, sizeof(to), "%s/index", view);
        if (!have_index && mkdir(to, 0700) < 0) goto fail;
        have_index = 1;
        snprintf(from, sizeof(from), "%s/index/%s.idx", dir, s->name);
        snprintf(to, sizeof(to), "%s/index/%s.idx", view, s->name);
        if (symlink(from, to) < 0) goto fail;
    }
    return 0;
fail:
    snprintf(err, errlen, "%s: cannot make a filtered view of it at %s: %s", c->dir, to,
             strerror(errno));
    return -1;
fail_view:
    snprintf(err, errlen, "%s: cannot make a filtered view of it at %s: %s", c->dir, view,
             strerror(errno));
    return -1;
}

void bs_ctf_check_free(struct bs_ctf_dir_check *c)
{
    for (int i = 0; i < c->nstreams; i++)
        free(c->streams[i].name);
    free(c->streams);
    free(c->dir);
    memset(c, 0, sizeof(*c));
}
