/* SPDX-License-Identifier: MIT */
/*
 * bucketscope — the command users type.  It only dispatches, git-style:
 * `bucketscope record ...` runs bucketscope-record (bpf/), `bucketscope
 * report ...` runs bucketscope-report (analysis/).  The tools are separate
 * programs so that the analyzer never needs libbpf or root, and the
 * recorder never needs libbabeltrace2.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef BS_RECORD_BUILD_PATH
#define BS_RECORD_BUILD_PATH ""
#endif
#ifndef BS_REPORT_BUILD_PATH
#define BS_REPORT_BUILD_PATH ""
#endif
#ifndef BS_GORECORD_BUILD_PATH
#define BS_GORECORD_BUILD_PATH ""
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bucketscope record [OPTIONS] [-- CMD ARGS...]   record hmap probes (BPF)\n"
            "       bucketscope gorecord [OPTIONS] -- GO-PROGRAM... record a Go 1.19-1.23 binary\n"
            "       bucketscope report [OPTIONS] TRACE...           delete-to-free report\n"
            "       bucketscope help | -V | --version\n"
            "Each subcommand has its own --help.\n");
}

/* Run `bucketscope-<sub>`: next to this program when installed, else the
 * build tree's copy (so ./build/cli/bucketscope works before install). */
static int run(const char *sub, const char *build_path, char **argv)
{
    char self[PATH_MAX], path[PATH_MAX], name[64];
    /* argv[0] is the command as typed, "bucketscope record": the command
     * names itself so in its usage line and messages (cli/bs_prog.h). */
    snprintf(name, sizeof name, "bucketscope %s", sub);
    argv[0] = name;
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = 0;
        snprintf(path, sizeof path, "%s/bucketscope-%s", dirname(self), sub);
        if (access(path, X_OK) == 0) execv(path, argv);
    }
    if (build_path[0] && access(build_path, X_OK) == 0) execv(build_path, argv);
    fprintf(stderr, "bucketscope: bucketscope-%s is not installed next to bucketscope (%s)\n", sub,
            strerror(errno));
    return 127;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("bucketscope %s\n", BS_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "record")) return run("record", BS_RECORD_BUILD_PATH, argv + 1);
    if (!strcmp(argv[1], "gorecord")) return run("gorecord", BS_GORECORD_BUILD_PATH, argv + 1);
    if (!strcmp(argv[1], "report")) return run("report", BS_REPORT_BUILD_PATH, argv + 1);
    fprintf(stderr, "bucketscope: unknown command '%s'\nTry 'bucketscope help'.\n", argv[1]);
    return 2;
}
