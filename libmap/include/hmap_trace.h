/* SPDX-License-Identifier: MIT */
/*
 * hmap_trace.h — the in-process recorder: libhmap writes its own events to a
 * native trace file (format: docs/native-format.md), no root, no daemon.
 *
 * Two ways to start it:
 *   - environment:  HMAP_TRACE=FILE ./app     read once when libhmap is
 *     loaded; a failure to open FILE is reported on stderr and the program
 *     continues untraced;
 *   - this API, around the part of a program you want to see.
 * In FILE, "%p" is replaced by the process id (one file per process).
 *
 * Only maps used between start and stop are recorded; a map created before
 * start shows up with the events it emits afterwards, without its creation.
 * Events of all threads go to the one file; recording stops at exit (the
 * buffers are flushed then).  A forked child stops recording.  Events that
 * could not be written are counted, reported with `lost` records in the
 * file and on stderr; they are never dropped silently.
 *
 * Present whatever the build; when the recorder is compiled out
 * (-DHMAP_PROBES without `recorder`) start returns -ENOTSUP.
 */
#ifndef HMAP_TRACE_H
#define HMAP_TRACE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Start recording to path: always a new file, mode 0600, never through a
 * symbolic link; if path exists, to path.<pid> (said on stderr) instead
 * (docs/probes.md, "HMAP_TRACE path rules").  0, or
 * -EALREADY (a trace is being recorded), -ENOTSUP (compiled out), -EINVAL
 * (empty path), -ELOOP (path is a symbolic link) or the -errno of
 * open/write. */
int hmap_trace_start(const char *path);

/* Flush every thread's buffer and close the file.  Call it when no other
 * thread is inside a map operation: events in flight while it runs may be
 * left out.  0, -EINVAL when no trace is being recorded, -EIO when events
 * were lost (see hmap_trace_lost) or the file could not be completed. */
int hmap_trace_stop(void);

/* Events the current (or last) trace could not record. */
uint64_t hmap_trace_lost(void);

#ifdef __cplusplus
}
#endif
#endif /* HMAP_TRACE_H */
