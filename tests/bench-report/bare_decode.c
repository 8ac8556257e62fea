/* SPDX-License-Identifier: MIT */
/*
 * bare_decode.c — the baseline for the analyzer's CTF path: libbabeltrace2
 * decoding every field of every event of a CTF trace and doing nothing else
 * (src.ctf.fs per trace directory -> muxer -> simple sink, as the analyzer
 * builds it).  Prints events and a checksum so the work cannot be skipped.
 *
 *   bench_report_bare_decode TRACE_DIR
 */
#include <babeltrace2/babeltrace.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dirs[256];
static int ndirs;
static uint64_t events, checksum;

static int collect(const char *path, const struct stat *st, int type, struct FTW *f)
{
    if (type == FTW_F && strcmp(path + f->base, "metadata") == 0 && ndirs < 256)
        dirs[ndirs++] = strndup(path, (size_t)f->base - 1);
    return 0;
}

static void walk(const bt_field *f)
{
    bt_field_class_type t = bt_field_get_class_type(f);
    if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_UNSIGNED_INTEGER))
        checksum += bt_field_integer_unsigned_get_value(f);
    else if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_SIGNED_INTEGER))
        checksum += (uint64_t)bt_field_integer_signed_get_value(f);
    else if (t == BT_FIELD_CLASS_TYPE_STRING)
        checksum += bt_field_string_get_length(f);
    else if (t == BT_FIELD_CLASS_TYPE_STRUCTURE)
        for (uint64_t i = 0,
                      n = bt_field_class_structure_get_member_count(bt_field_borrow_class_const(f));
             i < n; i++)
            walk(bt_field_structure_borrow_member_field_by_index_const(f, i));
}

static bt_graph_simple_sink_component_consume_func_status consume(bt_message_iterator *it, void *ud)
{
    bt_message_array_const msgs;
    uint64_t n;
    switch (bt_message_iterator_next(it, &msgs, &n)) {
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_OK:
        break;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_END:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_END;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_AGAIN:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_AGAIN;
    default:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_ERROR;
    }
    for (uint64_t i = 0; i < n; i++) {
        if (bt_message_get_type(msgs[i]) == BT_MESSAGE_TYPE_EVENT) {
            const bt_event *ev = bt_message_event_borrow_event_const(msgs[i]);
            int64_t ns;
            bt_clock_snapshot_get_ns_from_origin(
                bt_message_event_borrow_default_clock_snapshot_const(msgs[i]), &ns);
            checksum += (uint64_t)ns;
            walk(bt_event_borrow_payload_field_const(ev));
            const bt_field *ctx = bt_event_borrow_common_context_field_const(ev);
            if (ctx) walk(ctx);
            events++;
        }
        bt_message_put_ref(msgs[i]);
    }
    return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_OK;
}

int main(int argc, char **argv)
{
    if (argc != 2 || nftw(argv[1], collect, 16, FTW_PHYS) != 0 || !ndirs) {
        fprintf(stderr, "usage: bench_report_bare_decode TRACE_DIR (with CTF traces below it)\n");
        return 2;
    }
    const bt_plugin *ctf, *utils;
    if (bt_plugin_find("ctf", 1, 1, 1, 1, 1, &ctf) ||
        bt_plugin_find("utils", 1, 1, 1, 1, 1, &utils))
        return 1;
    bt_graph *g = bt_graph_create(0);
    const bt_component_filter *mux;
    const bt_component_sink *sink;
    bt_graph_add_filter_component(
        g, bt_plugin_borrow_filter_component_class_by_name_const(utils, "muxer"), "muxer", NULL,
        BT_LOGGING_LEVEL_NONE, &mux);
    bt_graph_add_simple_sink_component(g, "sink", NULL, consume, NULL, NULL, &sink);
    uint64_t k = 0;
    for (int i = 0; i < ndirs; i++) {
        bt_value *params = bt_value_map_create(), *inputs;
        bt_value_map_insert_empty_array_entry(params, "inputs", &inputs);
        bt_value_array_append_string_element(inputs, dirs[i]);
        const bt_component_source *src;
        char name[16];
        snprintf(name, sizeof(name), "src%d", i);
        if (bt_graph_add_source_component(
                g, bt_plugin_borrow_source_component_class_by_name_const(ctf, "fs"), name, params,
                BT_LOGGING_LEVEL_NONE, &src))
            return 1;
        bt_value_put_ref(params);
        for (uint64_t p = 0; p < bt_component_source_get_output_port_count(src); p++)
            bt_graph_connect_ports(g, bt_component_source_borrow_output_port_by_index_const(src, p),
                                   bt_component_filter_borrow_input_port_by_index_const(mux, k++),
                                   NULL);
    }
    bt_graph_connect_ports(g, bt_component_filter_borrow_output_port_by_index_const(mux, 0),
                           bt_component_sink_borrow_input_port_by_index_const(sink, 0), NULL);
    if (bt_graph_run(g) != BT_GRAPH_RUN_STATUS_OK) return 1;
    printf("%llu events decoded (checksum %llx)\n", (unsigned long long)events,
           (unsigned long long)checksum);
    bt_graph_put_ref(g);
    bt_plugin_put_ref(ctf);
    bt_plugin_put_ref(utils);
    for (int i = 0; i < ndirs; i++)
        free(dirs[i]);
    return 0;
}
