/* SPDX-License-Identifier: MIT */
/*
 * libpath.c — find the file whose hmap:* USDT probes `bucketscope record`
 * attaches to when no -l is given (docs/record.md, "Which library"):
 *
 *   -p PID   the libhmap.so* in /proc/PID/maps, else the executable if it
 *            carries hmap notes (libhmap linked statically);
 *   -- CMD   CMD found through PATH; CMD itself if it carries hmap notes,
 *            else the libhmap.so* its dynamic linker loads for it, asked
 *            from that linker in list mode (`ld.so --list CMD`: the same
 *            DT_RPATH/DT_RUNPATH, LD_LIBRARY_PATH and ld.so.cache search the
 *            real run will make, and no code of CMD runs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libpath.h"

static void say(char *why, size_t whysz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whysz, fmt, ap);
    va_end(ap);
}

/* "libhmap.so", "libhmap.so.0", "libhmap.so.0.1.0" (not libhmap-lttng.so). */
static bool is_libhmap_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return strncmp(base, "libhmap.so", 10) == 0 && (base[10] == '\0' || base[10] == '.');
}

/* One stapsdt note: 3 addresses (pc, base, semaphore), then provider\0name\0args\0. */
static bool note_is_hmap(const char *desc, size_t len, int elfclass)
{
    size_t skip = 3 * (elfclass == ELFCLASS32 ? 4 : 8);
    if (len <= skip) return false;
    return len - skip >= 5 && memcmp(desc + skip, "hmap", 5) == 0;
}

bool bs_elf_has_hmap_probes(const char *path)
{
    bool found = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    if (elf_version(EV_CURRENT) == EV_NONE) {
        close(fd);
        return false;
    }
    Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
    size_t shstrndx;
    if (elf && elf_kind(elf) == ELF_K_ELF && elf_getshdrstrndx(elf, &shstrndx) == 0) {
        int cls = gelf_getclass(elf);
        for (Elf_Scn *scn = NULL; !found && (scn = elf_nextscn(elf, scn));) {
            GElf_Shdr sh;
            if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE) continue;
            const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
            if (!name || strcmp(name, ".note.stapsdt") != 0) continue;
            Elf_Data *d = elf_getdata(scn, NULL);
            size_t off = 0, noff, doff;
            GElf_Nhdr nh;
            while (d && !found && (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
                if (nh.n_type == 3 && nh.n_namesz == 8 &&
                    memcmp((char *)d->d_buf + noff, "stapsdt", 8) == 0)
                    found = note_is_hmap((char *)d->d_buf + doff, nh.n_descsz, cls);
            }
        }
    }
    if (elf) elf_end(elf);
    close(fd);
    return found;
}

int bs_check_probe_file(const char *path, char *why, size_t whysz)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        say(why, whysz, "%s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        say(why, whysz, "%s is %s, not an ELF file", path,
            S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
        close(fd);
        return -1;
    }
    unsigned char magic[SELFMAG];
    if (pread(fd, magic, SELFMAG, 0) != SELFMAG || memcmp(magic, ELFMAG, SELFMAG) != 0) {
        say(why, whysz,
            "%s is not an ELF file: -l needs the shared library (libhmap.so) or the program "
            "holding the hmap probes",
            path);
        close(fd);
        return -1;
    }
    int rc = -1;
    GElf_Ehdr eh;
    Elf *elf = elf_version(EV_CURRENT) != EV_NONE ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
    if (!elf || !gelf_getehdr(elf, &eh))
        say(why, whysz, "%s is not a valid ELF file: %s", path, elf_errmsg(-1));
    else if (eh.e_type != ET_DYN && eh.e_type != ET_EXEC)
        say(why, whysz,
            "%s is an ELF %s, not a shared library or executable: uprobes attach to the file a "
            "process maps",
            path,
            eh.e_type == ET_REL    ? "relocatable object (.o)"
            : eh.e_type == ET_CORE ? "core dump"
                                   : "file of another type");
    else if (!bs_elf_has_hmap_probes(path))
        say(why, whysz,
            "%s has no hmap USDT probes (no .note.stapsdt note of provider hmap): not libhmap, "
            "or a libhmap built without probes",
            path);
    else
        rc = 0;
    if (elf) elf_end(elf);
    close(fd);
    return rc;
}

int bs_lib_for_pid(pid_t pid, char *out, size_t outsz, char *why, size_t whysz)
{
    char path[64], line[PATH_MAX + 256];
    snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        say(why, whysz, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    bool found = false;
    while (!found && fgets(line, sizeof(line), f)) {
        unsigned long inode = 0;
        int n = 0;
        line[strcspn(line, "\n")] = '\0';
        /* address perms offset dev inode path */
        if (sscanf(line, "%*s %*s %*s %*s %lu %n", &inode, &n) < 1 || !n || line[n] != '/')
            continue;
        const char *file = line + n;
        if (!is_libhmap_name(file) || strstr(file, " (deleted)")) continue;
        /* The path is the process's view; through /proc/PID/root when this
         * process sees another file there (another mount namespace). */
        struct stat st;
        if (stat(file, &st) == 0 && st.st_ino == inode)
            snprintf(out, outsz, "%s", file);
        else
            snprintf(out, outsz, "/proc/%d/root%s", (int)pid, file);
        found = true;
    }
    fclose(f);
    if (found) return 0;

    char exe[64], target[PATH_MAX];
    snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(exe, target, sizeof(target) - 1);
    if (bs_elf_has_hmap_probes(exe)) {
        if (n > 0) {
            target[n] = '\0';
            struct stat a, b;
            if (stat(target, &a) == 0 && stat(exe, &b) == 0 && a.st_ino == b.st_ino) {
                snprintf(out, outsz, "%s", target);
                return 0;
            }
        }
        snprintf(out, outsz, "%s", exe);
        return 0;
    }
    say(why, whysz,
        "process %d has not mapped a libhmap.so and its executable has no hmap probes; pass -l "
        "LIB (the library or program holding the probes)",
        (int)pid);
    return -1;
}

/* "start-end perms offset MAJ:MIN inode path": the start address and the file's id. */
static bool parse_maps_line(const char *line, unsigned long *start, struct bs_file_id *id)
{
    unsigned long long ino;
    if (sscanf(line, "%lx-%*x %*s %*s %x:%x %llu", start, &id->major, &id->minor, &ino) != 4)
        return false;
    id->ino = ino;
    return true;
}

/*
 * stat() is not enough: on overlayfs (a container's root, say) stat() gives
 * the overlay's device while /proc/PID/maps gives the device of the layer's
 * file that is really mapped (and uprobes are set on that file too).  So the
 * file is mapped here once and its id read back from /proc/self/maps: the
 * kernel's own view, whatever the filesystem.  stat() only if that fails.
 */
int bs_file_id(const char *path, struct bs_file_id *id)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    *id = (struct bs_file_id){major(st.st_dev), minor(st.st_dev), (uint64_t)st.st_ino};
    void *p = st.st_size > 0 ? mmap(NULL, 1, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    close(fd);
    if (p == MAP_FAILED) return 0;
    FILE *f = fopen("/proc/self/maps", "r");
    char line[PATH_MAX + 256];
    while (f && fgets(line, sizeof(line), f)) {
        unsigned long start;
        struct bs_file_id m;
        if (parse_maps_line(line, &start, &m) && start == (unsigned long)p) {
            *id = m;
            break;
        }
    }
    if (f) fclose(f);
    munmap(p, 1);
    return 0;
}

int bs_pid_maps_file(pid_t pid, const struct bs_file_id *id)
{
    char path[64], line[PATH_MAX + 256];
    snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int found = 0;
    while (!found && fgets(line, sizeof(line), f)) {
        unsigned long start;
        struct bs_file_id m;
        found = parse_maps_line(line, &start, &m) && m.ino == id->ino && m.major == id->major &&
                m.minor == id->minor && m.ino != 0;
    }
    fclose(f);
    return found;
}

/* cmd through PATH, as execvp() will find it. */
static int find_in_path(const char *cmd, char *out, size_t outsz)
{
    if (strchr(cmd, '/')) {
        snprintf(out, outsz, "%s", cmd);
        return access(cmd, X_OK) == 0 ? 0 : -1;
    }
    const char *p = getenv("PATH");
    if (!p) p = "/usr/local/bin:/bin:/usr/bin";
    while (*p) {
        size_t len = strcspn(p, ":");
        struct stat st;
        snprintf(out, outsz, "%.*s%s%s", (int)len, p, len ? "/" : "", cmd);
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0) return 0;
        p += len;
        if (*p) p++;
    }
    return -1;
}

/* PT_INTERP of an ELF executable, or -1 (a script, a static program). */
static int elf_interp(const char *path, char *out, size_t outsz)
{
    int rc = -1, fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || elf_version(EV_CURRENT) == EV_NONE) {
        if (fd >= 0) close(fd);
        return -1;
    }
    Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
    size_t n;
    if (elf && elf_kind(elf) == ELF_K_ELF && elf_getphdrnum(elf, &n) == 0) {
        for (size_t i = 0; i < n && rc; i++) {
            GElf_Phdr ph;
            if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_INTERP) continue;
            size_t fsz;
            char *img = elf_rawfile(elf, &fsz);
            if (img && ph.p_offset < fsz && ph.p_filesz > 1 && ph.p_filesz < outsz &&
                ph.p_offset + ph.p_filesz <= fsz) {
                memcpy(out, img + ph.p_offset, ph.p_filesz);
                out[ph.p_filesz - 1] = '\0';
                rc = 0;
            }
        }
    }
    if (elf) elf_end(elf);
    close(fd);
    return rc;
}

/* Run `interp --list prog` and take the libhmap.so* it resolves. */
static int ask_dynamic_linker(const char *interp, const char *prog, char *out, size_t outsz)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC)) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(p[1], 1);
        if (null >= 0) dup2(null, 2), dup2(null, 0);
        execl(interp, interp, "--list", prog, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    FILE *f = fdopen(p[0], "r");
    char line[PATH_MAX + 256];
    int rc = -1;
    /* "\tlibhmap.so.0 => /path/libhmap.so.0 (0x...)" */
    while (f && fgets(line, sizeof(line), f)) {
        char *arrow = strstr(line, " => /");
        if (rc == 0 || !arrow) continue;
        char *path = arrow + 4, *end = strstr(path, " (0x");
        if (!end) end = path + strcspn(path, "\n");
        *end = '\0';
        if (is_libhmap_name(path) && realpath(path, out)) rc = 0;
    }
    if (f)
        fclose(f);
    else
        close(p[0]);
    (void)outsz;
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    return rc;
}

int bs_lib_for_cmd(const char *cmd, char *out, size_t outsz, char *why, size_t whysz)
{
    char prog[PATH_MAX], interp[PATH_MAX], real[PATH_MAX];
    if (find_in_path(cmd, prog, sizeof(prog)) != 0) {
        say(why, whysz, "cannot run %s: no such executable%s", cmd,
            strchr(cmd, '/') ? "" : " in PATH");
        return -1;
    }
    if (bs_elf_has_hmap_probes(prog)) {
        snprintf(out, outsz, "%s", prog);
        return 0;
    }
    if (outsz >= PATH_MAX && elf_interp(prog, interp, sizeof(interp)) == 0 &&
        realpath(prog, real) && ask_dynamic_linker(interp, real, out, outsz) == 0)
        return 0;
    say(why, whysz,
        "%s does not link libhmap (no libhmap.so among its libraries, no hmap probes in it); "
        "pass -l LIB naming the library or program holding the probes",
        cmd);
    return -1;
}
