/* SPDX-License-Identifier: MIT */
/*
 * ctf_check.h — what the CTF reader checks in a trace directory before
 * libbabeltrace2 sees it (ctf.c), without libbabeltrace2.
 *
 * libbabeltrace2 2.0.4's src.ctf.fs trusts its input in ways that do not
 * fail cleanly: a truncated `metadata` file makes it loop forever, an index
 * entry beyond the end of its stream file trips an assertion (abort), and a
 * stream file cut inside a packet rejects the whole trace.  So, per trace
 * directory (the one holding `metadata`):
 *   - the metadata must be complete: every metadata packet whole (the
 *     padding of the last one may be missing) and the TSDL text balanced,
 *     outside comments and strings, and ending with ';' — else the trace is
 *     refused with the reason and the offset;
 *   - every stream file is walked packet by packet through its packet
 *     headers when the metadata declares LTTng's layout for them; a
 *     packet that does not fit in the file, or a bad header after a good
 *     one, marks the stream truncated at that packet's offset;
 *   - an `index/<stream>.idx` file is used only if every entry agrees with
 *     those packet headers (or, for a stream whose layout is not LTTng's, is
 *     at least consistent with the file); otherwise it is left out and
 *     libbabeltrace2 indexes the stream from its packet headers, which it
 *     does whenever a stream has no index.
 * Leaving an index out or cutting a stream to its last whole packet needs a
 * view: a directory of symbolic links to the original files, without the
 * index files left out and with a copy of each truncated stream cut at its
 * last whole packet (bs_ctf_make_view).
 */
#ifndef BS_CTF_CHECK_H
#define BS_CTF_CHECK_H

#include <stddef.h>
#include <stdint.h>

/* One stream file of a trace directory. */
struct bs_ctf_stream_check {
    char *name;    /* file name in the directory */
    uint64_t size; /* file size */
    int has_index; /* index/<name>.idx exists */
    int index_ok;  /* ... and agrees with the stream */
    int truncated; /* a packet at `good` does not fit or is not one */
    uint64_t good; /* bytes of whole packets from the start */
    char why[320]; /* truncated, or the index left out: why */
};

struct bs_ctf_dir_check {
    char *dir;
    struct bs_ctf_stream_check *streams;
    int nstreams;
    int ntruncated, nindex_skipped;
};

/* The metadata file's bytes: 0 if complete, else -1 with the reason (and
 * the file offset where it shows) in err.  *lttng: the text declares
 * LTTng's packet header and context, so the stream files can be walked. */
int bs_ctf_check_metadata(const uint8_t *p, size_t n, int *lttng, char *err, size_t errlen);

/* An index file's bytes against its stream: `hdr` holds the stream's packet
 * headers as walked (offsets, sizes), NULL if its layout is unknown.  0 if
 * usable, else -1 with the reason in err. */
struct bs_ctf_packet {
    uint64_t offset, packet_bits, content_bits, ts_begin, ts_end;
};
int bs_ctf_check_index(const uint8_t *p, size_t n, uint64_t stream_size,
                       const struct bs_ctf_packet *hdr, size_t nhdr, char *err, size_t errlen);

/* Check the trace directory `dir`: 0 with c filled (streams truncated or
 * with an index left out are marked), or -1 with the reason in err when it
 * cannot be decoded at all (metadata unreadable or incomplete). */
int bs_ctf_check_dir(struct bs_ctf_dir_check *c, const char *dir, char *err, size_t errlen);
/* Does decoding c need a view (an index left out, a stream to cut)? */
int bs_ctf_needs_view(const struct bs_ctf_dir_check *c);
/* Create `view` (a new directory) for c: 0, or -1 with the reason in err. */
int bs_ctf_make_view(const struct bs_ctf_dir_check *c, const char *view, char *err, size_t errlen);
void bs_ctf_check_free(struct bs_ctf_dir_check *c);

#endif /* BS_CTF_CHECK_H */
