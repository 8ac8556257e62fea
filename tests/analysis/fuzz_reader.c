/* SPDX-License-Identifier: MIT */
/*
 * fuzz_reader.c — see fuzz_reader.h.  The input goes through a memfd so the
 * reader's real read(2) path runs, with a tiny initial buffer so records and
 * lines straddle refills.  Reports are written to /dev/null.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_reader.h"
#include "csv_stream.h"
#include "lifetime.h"
#include "report.h"

int bs_fuzz_run(const uint8_t *data, size_t size, bs_fuzz_open_fn open)
{
    static FILE *null_out;
    if (!null_out) null_out = fopen("/dev/null", "w");
    int fd = memfd_create("fuzz-input", 0);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0) abort();
    struct bs_input in = {.fd = fd, .cap = 96, .buf = malloc(96)};
    char err[600];
    struct bs_reader *r = open("fuzz-input", &in, err, sizeof(err));
    if (!r) {
        bs_input_close(&in);
        return 0;
    }
    r->allow_truncated = size && (data[size - 1] & 1);
    struct bs_csv_stream cs = {.timeline = null_out, .deletes = null_out};
    struct bs_engine_opts o = {.ctx = &cs,
                               .on_delete = bs_csv_delete_row,
                               .on_tick = bs_csv_timeline_tick,
                               .tick_ns = 1000000};
    struct bs_engine *e = bs_engine_new(&o);
    cs.e = e;
    const struct hmap_native_rec_header *h;
    while (r->next(r, &h) == 1)
        bs_engine_feed(e, h);
    bs_engine_finish(e);
    char *inputs[] = {"fuzz-input"};
    struct bs_report_input rin = {.paths = inputs,
                                  .n = 1,
                                  .kind = r->kind,
                                  .top = 5,
                                  .filter_pid = -1,
                                  .truncated = r->truncated,
                                  .truncated_at = r->truncated_at};
    struct bs_report_model m;
    if (bs_report_model_build(&m, e, &rin) < 0) abort();
    bs_report_text(null_out, &m);
    bs_report_json(null_out, &m);
    bs_report_csv_maps(null_out, &m);
    bs_report_svg(null_out, &m);
    bs_report_model_free(&m);
    bs_engine_free(e);
    bs_reader_close(r);
    return 0;
}
