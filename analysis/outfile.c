/* SPDX-License-Identifier: MIT */
/*
 * outfile.c — the outputs of bucketscope-report (outfile.h).
 *
 * Each output is a stdio stream over our own write function (fopencookie),
 * so the errno of the first failed write is kept where it happened: stdio
 * only remembers that an error occurred, and by the time the report checks,
 * errno has long been overwritten by the readers' and engine's calls.
 *
 * A regular file is written to ".NAME.XXXXXX" in its directory and renamed
 * onto NAME only once it is complete, so a run that fails (an unreadable
 * input, a full disk) leaves an older NAME as it was (docs/report.md,
 * "Outputs and write errors").  A device or FIFO (/dev/stdout, /dev/full, a
 * pipe) cannot be renamed onto and is written in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prog.h"
#include "outfile.h"

#define MAX_OUTS 8 /* stdout, --csv-timeline, --csv-deletes, --svg, and room */

struct out {
    char name[PATH_MAX];  /* for messages: the path as given, or "standard output" */
    char final[PATH_MAX]; /* renamed onto when complete; "" when written in place */
    char tmp[PATH_MAX];   /* the temporary, "" when written in place */
    int fd, own_fd;       /* own_fd: closed at the end (not stdout's) */
    int err;              /* errno of the first failed write or close, 0 */
    FILE *f;
    int done; /* committed or given up: nothing left to remove */
};

static struct out outs[MAX_OUTS];
static int nouts;

static ssize_t out_write(void *c, const char *buf, size_t n)
{
    struct out *o = c;
    size_t done = 0;
    if (o->err) return -1; /* no gap: nothing more after a failed write */
    while (done < n) {
        ssize_t w = write(o->fd, buf + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            o->err = w < 0 ? errno : EIO;
            break;
        }
        done += (size_t)w;
    }
    return done ? (ssize_t)done : -1;
}

static int out_close(void *c)
{
    struct out *o = c;
    if (o->own_fd && close(o->fd) != 0 && !o->err) o->err = errno;
    o->fd = -1;
    return o->err ? -1 : 0;
}

/* Temporaries of outputs never committed (any exit before the end). */
static void remove_temporaries(void)
{
    for (int i = 0; i < nouts; i++)
        if (!outs[i].done && outs[i].tmp[0]) unlink(outs[i].tmp);
}

static FILE *wrap(struct out *o)
{
    static const cookie_io_functions_t io = {.write = out_write, .close = out_close};
    o->f = fopencookie(o, "w", io);
    if (!o->f) {
        bs_err("%s: %s\n", o->name, strerror(errno));
        exit(EXIT_OUTPUT);
    }
    /* The same buffering as a file stream: rows are small and many. */
    setvbuf(o->f, NULL, _IOFBF, 1 << 16);
    return o->f;
}

static struct out *new_out(const char *name)
{
    if (nouts == MAX_OUTS) {
        bs_err("too many outputs\n");
        exit(EXIT_OUTPUT);
    }
    if (nouts == 0) atexit(remove_temporaries);
    struct out *o = &outs[nouts++];
    snprintf(o->name, sizeof(o->name), "%s", name);
    o->fd = -1;
    return o;
}

_Noreturn static void cannot_create(const char *path, int err)
{
    bs_err("cannot create %s: %s\n", path, strerror(err));
    exit(EXIT_OUTPUT);
}

FILE *bs_out_open(const char *path)
{
    struct out *o = new_out(path);
    struct stat st;
    int exists = stat(path, &st) == 0;
    o->own_fd = 1;
    if (exists && !S_ISREG(st.st_mode)) {
        o->fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (o->fd < 0) cannot_create(path, errno);
        return wrap(o);
    }
    /* Through a symlink, the file it names is replaced, not the link. */
    if (!exists || !realpath(path, o->final)) snprintf(o->final, sizeof(o->final), "%s", path);
    const char *slash = strrchr(o->final, '/');
    int dirlen = slash ? (int)(slash - o->final) : 0;
    const char *base = slash ? slash + 1 : o->final;
    if (snprintf(o->tmp, sizeof(o->tmp), "%.*s%s.%s.XXXXXX", dirlen, o->final, slash ? "/" : "",
                 base) >= (int)sizeof(o->tmp))
        cannot_create(path, ENAMETOOLONG);
    o->fd = mkostemp(o->tmp, O_CLOEXEC);
    if (o->fd < 0) {
        int e = errno;
        o->tmp[0] = '\0';
        /* A file we may write in a directory we may not: in place, then. */
        if (exists && (e == EACCES || e == EPERM || e == EROFS) &&
            (o->fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)) >= 0) {
            o->final[0] = '\0';
            return wrap(o);
        }
        cannot_create(path, e);
    }
    /* mkstemp makes it 0600; give it the mode the file had, or the mode a
     * new file gets (0666 less the umask). */
    mode_t um = umask(0);
    umask(um);
    if (fchmod(o->fd, exists ? st.st_mode & 07777 : 0666 & ~um) != 0) {
        int e = errno;
        unlink(o->tmp);
        cannot_create(path, e);
    }
    return wrap(o);
}

FILE *bs_out_stdout(void)
{
    struct out *o = new_out("standard output");
    o->fd = STDOUT_FILENO;
    return wrap(o);
}

int bs_out_commit_all(void)
{
    int rc = 0;
    for (int i = 0; i < nouts; i++) {
        struct out *o = &outs[i];
        if (o->done) continue;
        if (fclose(o->f) != 0 && !o->err) o->err = errno ? errno : EIO;
        if (!o->err && o->tmp[0] && rename(o->tmp, o->final) != 0) {
            bs_err("cannot rename %s to %s: %s\n", o->tmp, o->final, strerror(errno));
            unlink(o->tmp);
            rc = -1;
        } else if (o->err) {
            bs_err("writing %s: %s\n", o->name, strerror(o->err));
            if (o->tmp[0]) unlink(o->tmp);
            rc = -1;
        }
        o->done = 1;
    }
    return rc;
}
