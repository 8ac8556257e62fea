/* SPDX-License-Identifier: MIT */
/*
 * ctf.c — reader for LTTng CTF traces through libbabeltrace2.
 *
 * Graph (docs/tracing-stack.md §6): one src.ctf.fs per directory holding a
 * `metadata` file, all feeding one flt.utils.muxer (which orders events of
 * every stream and trace by their common clock), into a simple sink.  The
 * sink's consume callback only takes a batch of messages; next() hands them
 * out one record at a time and runs the graph once more when the batch is
 * used up, so the CTF path yields the same pull-style stream as the others.
 *
 * Events named hmap:<event> are translated into native records by field name
 * (schema_table); enum fields arrive as CTF enumerations and are read as
 * integers; vpid/vtid come from the common context when the session added
 * them.  Discarded-events messages become lost records and are counted.
 */
#include <babeltrace2/babeltrace.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "schema_table.h"

#define MAX_CLASSES 512
/* LTTng names an event <provider>:<event>; the provider is
 * LTTNG_UST_TRACEPOINT_PROVIDER of hmap_lttng_tp.h. */
#define PROVIDER_PREFIX "hmap:"
#define PROVIDER_LEN (sizeof(PROVIDER_PREFIX) - 1)

/* Per event class: what it becomes and where its fields are. */
struct class_info {
    const bt_event_class *cls;
    const struct bs_event_desc *ev; /* NULL: not an hmap event */
    int64_t member[BS_MAX_FIELDS];  /* payload member index per schema field, -1 absent */
    int64_t vpid, vtid;             /* common-context member indices, -1 absent */
};

struct ctf_reader {
    struct bs_reader r;
    bt_graph *graph;
    const bt_message **batch;
    uint64_t nbatch, ibatch, batch_cap;
    int ended;
    struct class_info classes[MAX_CLASSES];
    int nclasses;
    struct bs_record rec;
    char **dirs;
    int ndirs;
    int warned_no_vpid;
};

/* ---- trace discovery ----------------------------------------------------- */

static char **found_dirs;
static int nfound, found_cap;

static int collect_trace_dir(const char *path, const struct stat *st, int type, struct FTW *f)
{
    if (type != FTW_F || strcmp(path + f->base, "metadata") != 0) return 0;
    if (nfound == found_cap) {
        found_cap = found_cap ? found_cap * 2 : 16;
        char **n = realloc(found_dirs, (size_t)found_cap * sizeof(char *));
        if (!n) return -1;
        found_dirs = n;
    }
    found_dirs[nfound] = strndup(path, (size_t)(f->base ? f->base - 1 : 0));
    if (!found_dirs[nfound]) return -1;
    nfound++;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- error reporting ------------------------------------------------------ */

/* The library's most specific error cause (it lists them innermost first):
 * it says what was wrong and where; the outer ones only name components. */
static void take_bt_error(char *buf, size_t len, const char *path, const char *what)
{
    int n = snprintf(buf, len, "%s: %s", path, what);
    const bt_error *err = bt_current_thread_take_error();
    if (!err) return;
    uint64_t count = bt_error_get_cause_count(err);
    if (count > 0 && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, ": %.300s",
                 bt_error_cause_get_message(bt_error_borrow_cause_by_index(err, 0)));
    bt_error_release(err);
}

/* ---- sink ------------------------------------------------------------------ */

static bt_graph_simple_sink_component_consume_func_status consume(bt_message_iterator *it, void *ud)
{
    struct ctf_reader *cr = ud;
    bt_message_array_const msgs;
    uint64_t n;
    switch (bt_message_iterator_next(it, &msgs, &n)) {
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_OK:
        break;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_END:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_END;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_AGAIN:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_AGAIN;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_MEMORY_ERROR:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_MEMORY_ERROR;
    default:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_ERROR;
    }
    if (n > cr->batch_cap) {
        const bt_message **b = realloc(cr->batch, n * sizeof(*b));
        if (!b) {
            for (uint64_t i = 0; i < n; i++)
                bt_message_put_ref(msgs[i]);
            return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_MEMORY_ERROR;
        }
        cr->batch = b;
        cr->batch_cap = n;
    }
    memcpy(cr->batch, msgs, n * sizeof(*msgs));
    cr->nbatch = n;
    cr->ibatch = 0;
    return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_OK;
}

/* ---- translation ------------------------------------------------------------ */

static int64_t member_index(const bt_field_class *st, const char *name)
{
    if (!st || bt_field_class_get_type(st) != BT_FIELD_CLASS_TYPE_STRUCTURE) return -1;
    uint64_t n = bt_field_class_structure_get_member_count(st);
    for (uint64_t i = 0; i < n; i++) {
        const bt_field_class_structure_member *m =
            bt_field_class_structure_borrow_member_by_index_const(st, i);
        if (strcmp(bt_field_class_structure_member_get_name(m), name) == 0) return (int64_t)i;
    }
    return -1;
}

static struct class_info *class_info(struct ctf_reader *cr, const bt_event_class *cls)
{
    for (int i = cr->nclasses; i-- > 0;)
        if (cr->classes[i].cls == cls) return &cr->classes[i];
    if (cr->nclasses == MAX_CLASSES) return NULL;
    struct class_info *ci = &cr->classes[cr->nclasses++];
    memset(ci, 0, sizeof(*ci));
    ci->cls = cls;
    const char *name = bt_event_class_get_name(cls);
    if (!name || strncmp(name, PROVIDER_PREFIX, PROVIDER_LEN) != 0) return ci;
    ci->ev = bs_event_by_name(name + PROVIDER_LEN, strlen(name + PROVIDER_LEN));
    if (!ci->ev) return ci;
    const bt_field_class *ctx = bt_stream_class_borrow_event_common_context_field_class_const(
        bt_event_class_borrow_stream_class_const(cls));
    ci->vpid = member_index(ctx, "vpid");
    ci->vtid = member_index(ctx, "vtid");
    /* Without the vpid context every event has pid 0: say so once, on
     * stderr (the README's LTTng recipe adds it; docs/report.md, Inputs). */
    if (ci->vpid < 0 && !cr->warned_no_vpid) {
        cr->warned_no_vpid = 1;
        fprintf(stderr,
                "bucketscope-report: warning: %s: the LTTng trace has no vpid context, so every "
                "event has pid 0 and --pid cannot select; record with `lttng add-context -u -t "
                "vpid -t vtid`\n",
                cr->r.path);
    }
    const bt_field_class *payload = bt_event_class_borrow_payload_field_class_const(cls);
    for (unsigned i = 0; i < ci->ev->nfields; i++)
        ci->member[i] = member_index(payload, ci->ev->fields[i].name);
    return ci;
}

static uint64_t int_value(const bt_field *f)
{
    if (!f) return 0;
    bt_field_class_type t = bt_field_get_class_type(f);
    if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_UNSIGNED_INTEGER))
        return bt_field_integer_unsigned_get_value(f);
    if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_SIGNED_INTEGER))
        return (uint64_t)bt_field_integer_signed_get_value(f);
    return 0;
}

/* Common-context member i (vpid, vtid), 0 when absent. */
static uint64_t context_value(const bt_event *ev, int64_t i)
{
    const bt_field *ctx = i < 0 ? NULL : bt_event_borrow_common_context_field_const(ev);
    return ctx ? int_value(bt_field_structure_borrow_member_field_by_index_const(ctx, (uint64_t)i))
               : 0;
}

static uint64_t snapshot_ns(const bt_clock_snapshot *cs)
{
    int64_t ns = 0;
    if (cs && bt_clock_snapshot_get_ns_from_origin(cs, &ns) !=
                  BT_CLOCK_SNAPSHOT_GET_NS_FROM_ORIGIN_STATUS_OK)
        ns = 0;
    return ns < 0 ? 0 : (uint64_t)ns;
}

/* 1 if msg became a record in cr->rec, 0 if it is not one of ours, -1 on a
 * field the schema does not allow. */
static int translate(struct ctf_reader *cr, const bt_message *msg)
{
    bt_message_type type = bt_message_get_type(msg);
    if (type == BT_MESSAGE_TYPE_DISCARDED_EVENTS || type == BT_MESSAGE_TYPE_DISCARDED_PACKETS) {
        int events = type == BT_MESSAGE_TYPE_DISCARDED_EVENTS;
        uint64_t count = 0;
        const bt_stream *s = events ? bt_message_discarded_events_borrow_stream_const(msg)
                                    : bt_message_discarded_packets_borrow_stream_const(msg);
        const bt_stream_class *sc = bt_stream_borrow_class_const(s);
        struct hmap_native_lost l = {0, 0, 0};
        if (events) {
            if (bt_message_discarded_events_get_count(msg, &count) !=
                BT_PROPERTY_AVAILABILITY_AVAILABLE)
                count = 1; /* unknown number, at least one */
            cr->r.discarded_events += count;
            if (bt_stream_class_discarded_events_have_default_clock_snapshots(sc)) {
                l.first_ns = snapshot_ns(
                    bt_message_discarded_events_borrow_beginning_default_clock_snapshot_const(msg));
                l.last_ns = snapshot_ns(
                    bt_message_discarded_events_borrow_end_default_clock_snapshot_const(msg));
            }
        } else {
            if (bt_message_discarded_packets_get_count(msg, &count) !=
                BT_PROPERTY_AVAILABILITY_AVAILABLE)
                count = 1;
            cr->r.discarded_packets += count;
            if (bt_stream_class_discarded_packets_have_default_clock_snapshots(sc)) {
                l.first_ns = snapshot_ns(
                    bt_message_discarded_packets_borrow_beginning_default_clock_snapshot_const(
                        msg));
                l.last_ns = snapshot_ns(
                    bt_message_discarded_packets_borrow_end_default_clock_snapshot_const(msg));
            }
            count = 0; /* events in lost packets are unknown: a span, no count */
        }
        l.count = count;
        memset(&cr->rec, 0, sizeof(cr->rec));
        cr->rec.h = (struct hmap_native_rec_header){
            .ts_ns = l.first_ns, .id = HMAP_NATIVE_LOST_ID, .size = hmap_native_rec_size(0)};
        memcpy(cr->rec.payload, &l, sizeof(l));
        return 1;
    }
    if (type != BT_MESSAGE_TYPE_EVENT) return 0;
    const bt_event *ev = bt_message_event_borrow_event_const(msg);
    struct class_info *ci = class_info(cr, bt_event_borrow_class_const(ev));
    if (!ci || !ci->ev) return 0;
    memset(&cr->rec, 0, sizeof(cr->rec));
    const bt_field *payload = bt_event_borrow_payload_field_const(ev);
    for (unsigned i = 0; i < ci->ev->nfields; i++) {
        const struct bs_field_desc *fd = &ci->ev->fields[i];
        if (ci->member[i] < 0 || !payload)
            continue; /* absent field: 0, as a producer with an older schema would give */
        const bt_field *f =
            bt_field_structure_borrow_member_field_by_index_const(payload, (uint64_t)ci->member[i]);
        if (fd->kind == BS_FIELD_STRING) {
            if (bt_field_get_class_type(f) == BT_FIELD_CLASS_TYPE_STRING)
                strncpy((char *)cr->rec.payload + fd->offset, bt_field_string_get_value(f),
                        fd->size - 1);
            continue;
        }
        uint64_t v = int_value(f);
        if (fd->size < sizeof(v) && v >> (8 * fd->size)) return -1;
        bs_field_store(cr->rec.payload, fd, v);
    }
    cr->rec.h = (struct hmap_native_rec_header){
        .ts_ns = snapshot_ns(bt_message_event_borrow_default_clock_snapshot_const(msg)),
        .pid = (uint32_t)context_value(ev, ci->vpid),
        .tid = (uint32_t)context_value(ev, ci->vtid),
        .id = ci->ev->id,
        .size = hmap_native_rec_size(ci->ev->id)};
    return 1;
}

static int ctf_next(struct bs_reader *r, const struct hmap_native_rec_header **rec)
{
    struct ctf_reader *cr = (struct ctf_reader *)r;
    for (;;) {
        while (cr->ibatch < cr->nbatch) {
            const bt_message *msg = cr->batch[cr->ibatch++];
            int st = translate(cr, msg);
            bt_message_put_ref(msg);
            if (st < 0) {
                snprintf(r->err, sizeof(r->err),
                         "%s: event %" PRIu64 ": a field value is out of range for the schema",
                         r->path, r->events_done);
                return -1;
            }
            if (st > 0) {
                r->events_done++;
                *rec = &cr->rec.h;
                return 1;
            }
        }
        if (cr->ended) return 0;
        bt_graph_run_once_status st = bt_graph_run_once(cr->graph);
        if (st == BT_GRAPH_RUN_ONCE_STATUS_END) {
            cr->ended = 1;
        } else if (st != BT_GRAPH_RUN_ONCE_STATUS_OK && st != BT_GRAPH_RUN_ONCE_STATUS_AGAIN) {
            take_bt_error(r->err, sizeof(r->err), r->path, "libbabeltrace2 rejected the trace");
            return -1;
        }
    }
}

static void ctf_close(struct bs_reader *r)
{
    struct ctf_reader *cr = (struct ctf_reader *)r;
    for (uint64_t i = cr->ibatch; i < cr->nbatch; i++)
        bt_message_put_ref(cr->batch[i]);
    free(cr->batch);
    bt_graph_put_ref(cr->graph);
    for (int i = 0; i < cr->ndirs; i++)
        free(cr->dirs[i]);
    free(cr->dirs);
    free(cr);
}

static const void *find_class(const char *plugin, const char *name, int filter)
{
    const bt_plugin *p = NULL;
    if (bt_plugin_find(plugin, BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, &p) !=
        BT_PLUGIN_FIND_STATUS_OK)
        return NULL;
    const void *cls;
    if (filter) {
        const bt_component_class_filter *c =
            bt_plugin_borrow_filter_component_class_by_name_const(p, name);
        bt_component_class_filter_get_ref(c);
        cls = c;
    } else {
        const bt_component_class_source *c =
            bt_plugin_borrow_source_component_class_by_name_const(p, name);
        bt_component_class_source_get_ref(c);
        cls = c;
    }
    bt_plugin_put_ref(p);
    return cls;
}

/* Build the graph: sources, muxer, sink, every source port to the muxer. */
static int build_graph(struct ctf_reader *cr, char *err, size_t errlen)
{
    const bt_component_class_source *fs = find_class("ctf", "fs", 0);
    const bt_component_class_filter *muxc = find_class("utils", "muxer", 1);
    int rc = -1;
    if (!fs || !muxc) {
        snprintf(err, errlen, "%s: babeltrace2 plugins ctf/utils not found (package babeltrace2)",
                 cr->r.path);
        goto out;
    }
    cr->graph = bt_graph_create(0);
    const bt_component_filter *mux;
    const bt_component_sink *sink;
    if (!cr->graph ||
        bt_graph_add_filter_component(cr->graph, muxc, "muxer", NULL, BT_LOGGING_LEVEL_NONE,
                                      &mux) ||
        bt_graph_add_simple_sink_component(cr->graph, "sink", NULL, consume, NULL, cr, &sink)) {
        take_bt_error(err, errlen, cr->r.path, "cannot build the trace graph");
        goto out;
    }
    uint64_t k = 0;
    for (int i = 0; i < cr->ndirs; i++) {
        bt_value *params = bt_value_map_create(), *inputs = NULL;
        const bt_component_source *src;
        char name[32];
        snprintf(name, sizeof(name), "src%d", i);
        if (!params || bt_value_map_insert_empty_array_entry(params, "inputs", &inputs) ||
            bt_value_array_append_string_element(inputs, cr->dirs[i])) {
            bt_value_put_ref(params);
            snprintf(err, errlen, "%s: out of memory", cr->r.path);
            goto out;
        }
        int st =
            bt_graph_add_source_component(cr->graph, fs, name, params, BT_LOGGING_LEVEL_NONE, &src);
        bt_value_put_ref(params);
        if (st) {
            take_bt_error(err, errlen, cr->dirs[i], "libbabeltrace2 rejected the trace");
            goto out;
        }
        uint64_t nports = bt_component_source_get_output_port_count(src);
        for (uint64_t p = 0; p < nports; p++) {
            const bt_port_output *out =
                bt_component_source_borrow_output_port_by_index_const(src, p);
            const bt_port_input *in =
                bt_component_filter_borrow_input_port_by_index_const(mux, k++);
            if (bt_graph_connect_ports(cr->graph, out, in, NULL)) {
                take_bt_error(err, errlen, cr->dirs[i], "cannot connect stream");
                goto out;
            }
        }
    }
    if (bt_graph_connect_ports(cr->graph,
                               bt_component_filter_borrow_output_port_by_index_const(mux, 0),
                               bt_component_sink_borrow_input_port_by_index_const(sink, 0), NULL)) {
        take_bt_error(err, errlen, cr->r.path, "cannot connect the sink");
        goto out;
    }
    rc = 0;
out:
    bt_component_class_source_put_ref(fs);
    bt_component_class_filter_put_ref(muxc);
    return rc;
}

struct bs_reader *bs_ctf_open(const char *path, char *err, size_t errlen)
{
    struct ctf_reader *cr = calloc(1, sizeof(*cr));
    if (!cr) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    cr->r.path = path;
    cr->r.kind = BS_INPUT_CTF;
    cr->r.next = ctf_next;
    cr->r.close = ctf_close;
    found_dirs = NULL;
    nfound = found_cap = 0;
    if (nftw(path, collect_trace_dir, 16, FTW_PHYS) != 0 || nfound == 0) {
        snprintf(err, errlen, "%s: cannot list its CTF trace directories", path);
        cr->dirs = found_dirs;
        cr->ndirs = nfound;
        ctf_close(&cr->r);
        return NULL;
    }
    qsort(found_dirs, (size_t)nfound, sizeof(char *), by_name);
    cr->dirs = found_dirs;
    cr->ndirs = nfound;
    if (build_graph(cr, err, errlen) < 0) {
        ctf_close(&cr->r);
        return NULL;
    }
    return &cr->r;
}
