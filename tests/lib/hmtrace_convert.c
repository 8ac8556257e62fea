/* SPDX-License-Identifier: MIT */
/*
 * hmtrace_convert.c — rewrite a native trace in another format version,
 * record for record and in the same file order, so that tests can check
 * that every version of the same events gives the same report
 * (docs/native-format.md).
 *
 *   hmtrace_convert --to 2|3 [--cut-ok] IN OUT
 *
 * --to 2: fixed-size records, unchunked (as the BPF recorder wrote them
 * up to version 2), then the end record.  --to 3: packed chunks of at
 * most 64 KiB, a new chunk wherever the next record is earlier than the
 * chunk's last (a chunk is in time order), as bpf/record.c writes them.
 * The end record's totals are the input's (its `lost` included, so losses
 * that only the end record counted stay that way); a cut input
 * (--cut-ok) gives a cut output, without end record.  IN is read with
 * the strict reader: a malformed input is an error (exit 1).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hmap_native_pack.h"
#include "hmap_native_write.h"
#include "hmtrace_read.h"

static FILE *out;
static const char *out_path;
static struct hmap_native_chunker chunker;
static uint64_t chunks;

static void put(const void *p, size_t n)
{
    if (fwrite(p, 1, n, out) != n) {
        perror(out_path);
        exit(1);
    }
}

static void flush_chunk(void)
{
    if (!chunker.records) return;
    struct hmap_native_chunk_record cr = hmap_native_chunker_record(&chunker, chunks++);
    put(&cr, sizeof cr);
    put(chunker.body, chunker.len);
    hmap_native_chunker_clear(&chunker);
}

int main(int argc, char **argv)
{
    int to = 0, cut_ok = 0, i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--to") && i + 1 < argc)
            to = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--cut-ok"))
            cut_ok = 1;
        else
            break;
    }
    if ((to != 2 && to != 3) || argc - i != 2) {
        fprintf(stderr, "usage: hmtrace_convert --to 2|3 [--cut-ok] IN OUT\n");
        return 2;
    }
    struct hmtrace t;
    if (hmtrace_open(&t, argv[i]) < 0) return 1;
    t.cut_ok = cut_ok;
    out_path = argv[i + 1];
    /* Mode 0600, as every trace file (docs/probes.md, "HMAP_TRACE path rules"). */
    int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    out = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!out) {
        perror(out_path);
        return 1;
    }
    struct hmap_native_file_header fh =
        to == 3 ? hmap_native_file_header_make_packed(t.fh.producer, t.fh.pid, t.fh.start_ns)
                : hmap_native_file_header_make(t.fh.producer, t.fh.pid, t.fh.start_ns);
    put(&fh, sizeof fh);
    struct hmtrace_rec r;
    int st;
    while ((st = hmtrace_next(&t, &r)) == 1) {
        if (to == 2) {
            put(&r, r.h.size);
            continue;
        }
        int added = hmap_native_chunker_add(&chunker, &r.h, r.payload);
        if (added == 0) {
            flush_chunk();
            added = hmap_native_chunker_add(&chunker, &r.h, r.payload);
        }
        if (added != 1) {
            fprintf(stderr, "%s: cannot pack event id %u\n", argv[i], r.h.id);
            return 1;
        }
    }
    if (st < 0) return 1;
    flush_chunk();
    if (!t.cut) { /* a version 1 input has no end record: its counts are the file's */
        struct hmap_native_end_record er =
            hmap_native_end_record_make(t.last_ts, t.fh.pid, t.ended ? t.end.events : t.events,
                                        t.ended ? t.end.lost : t.lost, to == 3 ? chunks : 0);
        put(&er, sizeof er);
    }
    hmtrace_close(&t);
    if (fclose(out) != 0) {
        perror(out_path);
        return 1;
    }
    return 0;
}
