#include "cgroup_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

static const char *const file_names[CGF_COUNT] = {
    [CGF_CPU_STAT] = "cpu.stat",
    [CGF_MEMORY_CURRENT] = "memory.current",
    [CGF_MEMORY_STAT] = "memory.stat",
    [CGF_MEMORY_PEAK] = "memory.peak",
    [CGF_MEMORY_SWAP_CURRENT] = "memory.swap.current",
    [CGF_CPU_PRESSURE] = "cpu.pressure",
    [CGF_MEMORY_PRESSURE] = "memory.pressure",
    [CGF_IO_PRESSURE] = "io.pressure",
    [CGF_MEMORY_EVENTS] = "memory.events",
};

/* Which read (enum sample_reads) each file after cpu.stat belongs to, and the sample fields it
 * fills (carried from the previous sample on the ticks it is not read). */
static const struct {
    unsigned read;
    unsigned fields;
} file_group[CGF_COUNT] = {
    [CGF_MEMORY_CURRENT] = {SAMPLE_READ_MEMORY, SAMPLE_MEM_CURRENT},
    [CGF_MEMORY_STAT] = {SAMPLE_READ_MEMORY, SAMPLE_WORKING_SET | SAMPLE_RSS},
    [CGF_MEMORY_PEAK] = {SAMPLE_READ_SLOW, SAMPLE_PEAK},
    [CGF_MEMORY_SWAP_CURRENT] = {SAMPLE_READ_SLOW, SAMPLE_SWAP},
    [CGF_CPU_PRESSURE] = {SAMPLE_READ_SIGNALS, SAMPLE_CPU_PRESSURE},
    [CGF_MEMORY_PRESSURE] = {SAMPLE_READ_SIGNALS, SAMPLE_MEMORY_PRESSURE},
    [CGF_IO_PRESSURE] = {SAMPLE_READ_SIGNALS, SAMPLE_IO_PRESSURE},
    [CGF_MEMORY_EVENTS] = {SAMPLE_READ_SIGNALS, SAMPLE_OOM_KILLS},
};

/* memory.stat is the largest file read (~1.5 KiB on 6.x); a read that fills the buffer is
 * treated as possibly cut short. */
#define READ_BUF_SIZE 16384

static int keep_fd_below = 1024 - 64;

void cgroup_reader_set_fd_limit(int max_open_files)
{
    /* Leave room for sockets, the ring buffer and files opened now and then. */
    keep_fd_below = max_open_files > 128 ? max_open_files - 64 : max_open_files / 2;
}

void cgroup_files_init(struct cgroup_files *f)
{
    for (int i = 0; i < CGF_COUNT; i++) {
        f->fd[i] = -1;
        f->state[i] = CGF_UNTRIED;
    }
}

void cgroup_files_close(struct cgroup_files *f)
{
    for (int i = 0; i < CGF_COUNT; i++) {
        if (f->fd[i] >= 0) close(f->fd[i]);
    }
    cgroup_files_init(f);
}

static int open_file(int root_fd, const char *rel, enum cgroup_file which)
{
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/%s", rel[0] ? rel : ".", file_names[which]);

    if (n < 0 || (size_t)n >= sizeof(path)) return -ENAMETOOLONG;
    /* rel comes from our own walk or from the kernel: strip a leading '/' so openat stays
     * below root_fd. */
    while (path[0] == '/')
        memmove(path, path + 1, strlen(path));
    /* O_NOATIME: every read would otherwise go through the access-time check (relatime on
     * cgroup2 mounts), a sixth of a tick's kernel time; allowed to the files' owner (root)
     * or CAP_FOWNER, so a collector that is neither opens them plainly. */
    int fd = openat(root_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOATIME);
    if (fd < 0 && errno == EPERM)
        fd = openat(root_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    return fd < 0 ? -errno : fd;
}

ssize_t cgroup_files_read(struct cgroup_files *f, int root_fd, const char *rel,
                          enum cgroup_file which, char *buf, size_t size, int *truncated)
{
    ssize_t n;
    int fd;

    if (f->state[which] == CGF_ABSENT) return -ENOENT;
    if (f->state[which] == CGF_OPEN) {
        fd = f->fd[which];
    } else {
        fd = open_file(root_fd, rel, which);
        if (fd < 0) return fd;
    }
    do
        n = pread(fd, buf, size, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) n = -errno;
    if (f->state[which] != CGF_OPEN) {
        /* Keep the descriptor while under the budget; past it, open the file each time
         * rather than fail (a node with far more containers than expected). */
        if (n >= 0 && f->state[which] == CGF_UNTRIED) {
            if (fd < keep_fd_below) {
                f->fd[which] = fd;
                f->state[which] = CGF_OPEN;
                fd = -1;
            } else {
                f->state[which] = CGF_REOPEN_EACH_TIME;
            }
        }
        if (fd >= 0) close(fd);
    }
    *truncated = n >= 0 && (size_t)n == size;
    return n;
}

/* A signal file's figures into out (a bad file leaves its field out, with one log line). */
static void read_signal(struct cgroup_sample *out, enum cgroup_file which, const char *buf,
                        size_t n, int truncated, const char *rel)
{
    struct memory_events ev;

    if (which == CGF_MEMORY_EVENTS) {
        if (parse_memory_events(buf, n, truncated, &ev) != 0) {
            LOG_RATELIMITED(LOG_WARN, "%s: memory.events has no valid oom_kill; skipped", rel);
            return;
        }
        out->oom_kills = ev.v[MEMEV_OOM_KILL];
        out->have |= SAMPLE_OOM_KILLS;
        return;
    }
    enum pressure_kind k = which == CGF_CPU_PRESSURE      ? PRESSURE_CPU
                           : which == CGF_MEMORY_PRESSURE ? PRESSURE_MEMORY
                                                          : PRESSURE_IO;
    if (parse_pressure(buf, n, truncated, &out->pressure[k]) != 0) {
        LOG_RATELIMITED(LOG_WARN, "%s: %s has no valid \"some\" total; skipped", rel,
                        file_names[which]);
        return;
    }
    out->have |= file_group[which].fields;
}

size_t cgroup_procs_read(int root_fd, const char *rel, uint32_t *pids, size_t max)
{
    char path[4096], buf[512];
    ssize_t n;
    int fd;

    while (*rel == '/')
        rel++;
    snprintf(path, sizeof(path), "%s/cgroup.procs", rel[0] ? rel : ".");
    if ((fd = openat(root_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) return 0;
    do
        n = read(fd, buf, sizeof(buf));
    while (n < 0 && errno == EINTR);
    close(fd);
    /* A list longer than the buffer: its first pids, the last one cut short left out. */
    return n > 0 ? parse_pid_list(buf, (size_t)n, (size_t)n == sizeof(buf), pids, max) : 0;
}

int cgroup_sample_read(struct cgroup_files *f, int root_fd, const char *rel,
                       const struct cgroup_sample *prev, unsigned reads, struct cgroup_sample *out)
{
    char buf[READ_BUF_SIZE];
    struct memory_stat ms;
    uint64_t value;
    int truncated;
    ssize_t n;

    memset(out, 0, sizeof(*out));
    out->mono_ns = clock_mono_ns();
    out->real_ns = clock_real_ns();

    n = cgroup_files_read(f, root_fd, rel, CGF_CPU_STAT, buf, sizeof(buf), &truncated);
    if (n == -ENOENT || n == -ENODEV)
        return -ENOENT; /* the cgroup went away (ENODEV: removed while we held the fd) */
    if (n < 0) {
        LOG_RATELIMITED(LOG_WARN, "%s: reading cpu.stat failed: %s; container skipped", rel,
                        strerror((int)-n));
        return (int)n;
    }
    if (parse_cpu_stat(buf, (size_t)n, truncated, &out->cpu) != 0) {
        LOG_RATELIMITED(LOG_WARN,
                        "%s: cpu.stat has no valid usage_usec (%zd bytes); container "
                        "skipped",
                        rel, n);
        return -EINVAL;
    }
    out->have |= SAMPLE_CPU;

    if (!prev) {
        reads |= SAMPLE_READ_MEMORY | SAMPLE_READ_SLOW; /* a first sample: all but signals */
    } else {
        /* What is not read this tick is carried over: the fields of its files, and the values
         * (those read are overwritten below). */
        for (int i = CGF_MEMORY_CURRENT; i < CGF_COUNT; i++)
            if (!(reads & file_group[i].read)) out->have |= prev->have & file_group[i].fields;
        out->memory_current = prev->memory_current;
        out->working_set = prev->working_set;
        out->rss = prev->rss;
        out->peak = prev->peak;
        out->swap = prev->swap;
        memcpy(out->pressure, prev->pressure, sizeof(out->pressure));
        out->oom_kills = prev->oom_kills;
    }
    for (int i = CGF_MEMORY_CURRENT; i < CGF_COUNT; i++) {
        if (!(reads & file_group[i].read)) continue;
        n = cgroup_files_read(f, root_fd, rel, (enum cgroup_file)i, buf, sizeof(buf), &truncated);
        if (n == -ENOENT) {
            /* No memory controller here, PSI off, or a kernel without memory.peak: not an
             * error. */
            if (f->state[i] == CGF_UNTRIED) f->state[i] = CGF_ABSENT;
            continue;
        }
        if (n == -ENODEV) return -ENOENT;
        if (n < 0) {
            LOG_RATELIMITED(LOG_WARN, "%s: reading %s failed: %s; field skipped", rel,
                            file_names[i], strerror((int)-n));
            continue;
        }
        if (i >= CGF_CPU_PRESSURE) {
            read_signal(out, (enum cgroup_file)i, buf, (size_t)n, truncated, rel);
            continue;
        }
        if (i == CGF_MEMORY_STAT) {
            if (parse_memory_stat(buf, (size_t)n, truncated, &ms) != 0) {
                LOG_RATELIMITED(LOG_WARN, "%s: memory.stat unreadable; rss/working set skipped",
                                rel);
                continue;
            }
            if (ms.present & (1u << MEM_ANON)) {
                out->rss = ms.v[MEM_ANON];
                out->have |= SAMPLE_RSS;
            }
            if ((out->have & SAMPLE_MEM_CURRENT) && (ms.present & (1u << MEM_INACTIVE_FILE))) {
                uint64_t inactive = ms.v[MEM_INACTIVE_FILE];
                out->working_set =
                    out->memory_current > inactive ? out->memory_current - inactive : 0;
                out->have |= SAMPLE_WORKING_SET;
            }
            continue;
        }
        if (parse_single_u64(buf, (size_t)n, &value) != 0) {
            LOG_RATELIMITED(LOG_WARN, "%s: %s is not a number; field skipped", rel, file_names[i]);
            continue;
        }
        switch (i) {
        case CGF_MEMORY_CURRENT:
            out->memory_current = value;
            out->have |= SAMPLE_MEM_CURRENT;
            break;
        case CGF_MEMORY_PEAK:
            out->peak = value;
            out->have |= SAMPLE_PEAK;
            break;
        case CGF_MEMORY_SWAP_CURRENT:
            out->swap = value;
            out->have |= SAMPLE_SWAP;
            break;
        default:
            break;
        }
    }
    return 0;
}
