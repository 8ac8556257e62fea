/*
 * reader.h — every trace format behind one interface: a time-ordered stream
 * of records in the native layout (struct hmap_native_rec_header followed by
 * the event's packed payload, hmap_native.h).  Readers of other formats
 * translate into that layout, so the lifetime engine knows one format only.
 *
 * The format of an input is detected, never flagged: "HMTRACE\0" magic for
 * native files, a directory with a CTF `metadata` file somewhere below for
 * LTTng, text starting with HMEV or bpftrace's "Attaching" line for bpftrace.
 */
#ifndef BS_READER_H
#define BS_READER_H

#include <stddef.h>
#include <stdint.h>

#include "hmap_native.h"

enum bs_input_kind { BS_INPUT_NATIVE, BS_INPUT_BPFTRACE, BS_INPUT_CTF };
extern const char *const bs_input_kind_name[3];

/* One record with room for the largest payload, for readers that build
 * records instead of pointing into their input. */
struct bs_record {
    struct hmap_native_rec_header h;
    uint8_t payload[104];
};

/* Buffered input shared by the file readers (works on pipes too). */
struct bs_input {
    int fd;
    uint8_t *buf;
    size_t cap, pos, end; /* unread bytes are buf[pos..end) */
    uint64_t base;        /* file offset of buf[0] */
    uint64_t size;        /* file size if known, else 0 */
    int eof;
};

struct bs_reader {
    const char *path;
    enum bs_input_kind kind;
    /* 1: *rec is the next record (valid until the next call); 0: end of
     * input; -1: error, message in err. */
    int (*next)(struct bs_reader *r, const struct hmap_native_rec_header **rec);
    void (*close)(struct bs_reader *r);
    int allow_truncated;
    int truncated;          /* input ended early and allow_truncated let it pass */
    char truncated_at[200]; /* where, for the report */
    uint64_t discarded_events, discarded_packets; /* reported by the trace (CTF) */
    uint64_t bytes_done, bytes_total;             /* progress, 0 total if unknown */
    uint64_t events_done;
    char err[512];
};

/* Open one input (a file, "-" for stdin, or a directory of CTF traces).
 * Returns NULL with a message in err on failure. */
struct bs_reader *bs_reader_open(const char *path, int allow_truncated, char *err, size_t errlen);
/* Put a reorder window of `window` records in front of a nearly ordered
 * reader (bpftrace output); takes ownership of `in`. */
struct bs_reader *bs_reorder_wrap(struct bs_reader *in, uint32_t window, char *err, size_t errlen);
/* Merge several readers of the same kind by time; takes ownership. */
struct bs_reader *bs_reader_merge(struct bs_reader **readers, int n);
void bs_reader_close(struct bs_reader *r);

/* Per-format openers, used by bs_reader_open after detection. */
struct bs_reader *bs_native_open(const char *path, struct bs_input *in, char *err, size_t errlen);
struct bs_reader *bs_bpftrace_open(const char *path, struct bs_input *in, char *err, size_t errlen);
struct bs_reader *bs_ctf_open(const char *path, char *err, size_t errlen);

/* Buffered input: make at least `need` bytes available at buf[pos] unless the
 * input ends first; returns the number available (end - pos) or -1 on a read
 * error (errno set). */
long bs_input_fill(struct bs_input *in, size_t need);
void bs_input_close(struct bs_input *in);

#endif /* BS_READER_H */
