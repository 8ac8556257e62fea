/* SPDX-License-Identifier: MIT */
/* replay_probes.c — the hmap LTTng-UST probes, built into bench_report_replay
 * (the same generated event definitions as libhmap-lttng.so). */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "hmap_lttng_tp.h"
