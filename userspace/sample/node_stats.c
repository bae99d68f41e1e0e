#include "node_stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

void node_reader_init(struct node_reader *r, int cgroup_fd, const char *meminfo_path)
{
    r->cgroup_fd = cgroup_fd;
    cgroup_files_init(&r->files);
    r->meminfo_fd = -1;
    snprintf(r->meminfo_path, sizeof(r->meminfo_path), "%s",
             meminfo_path ? meminfo_path : "/proc/meminfo");
}

void node_reader_done(struct node_reader *r)
{
    cgroup_files_close(&r->files);
    if (r->meminfo_fd >= 0) close(r->meminfo_fd);
    r->meminfo_fd = -1;
}

const char *node_memory_source_name(enum node_memory_source s)
{
    switch (s) {
    case NODE_MEMORY_CGROUP:
        return "cgroup";
    case NODE_MEMORY_MEMINFO:
        return "meminfo";
    default:
        return "none";
    }
}

static int read_meminfo(struct node_reader *r, struct meminfo *mi)
{
    char buf[8192];
    ssize_t n;

    if (r->meminfo_fd < 0) {
        r->meminfo_fd = open(r->meminfo_path, O_RDONLY | O_CLOEXEC);
        if (r->meminfo_fd < 0) return -errno;
    }
    do
        n = pread(r->meminfo_fd, buf, sizeof(buf), 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    return parse_meminfo(buf, (size_t)n, mi);
}

static unsigned online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

int node_sample_read(struct node_reader *r, struct node_sample *out)
{
    char buf[16384];
    struct memory_stat ms;
    struct meminfo mi;
    int truncated;
    ssize_t n;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    out->mono_ns = clock_mono_ns();
    out->real_ns = clock_real_ns();
    out->capacity_cpus = online_cpus();

    n = cgroup_files_read(&r->files, r->cgroup_fd, "", CGF_CPU_STAT, buf, sizeof(buf), &truncated);
    if (n >= 0 && parse_cpu_stat(buf, (size_t)n, truncated, &out->cpu) == 0) {
        out->have_cpu = true;
    } else {
        LOG_RATELIMITED(LOG_WARN, "node: root cgroup cpu.stat unreadable (%s)",
                        n < 0 ? strerror((int)-n) : "no usage_usec");
        rc = -EINVAL;
    }

    bool have_meminfo = read_meminfo(r, &mi) == 0;
    if (have_meminfo)
        out->capacity_memory = mi.v[MEMINFO_TOTAL];
    else
        LOG_RATELIMITED(LOG_WARN, "node: %s unreadable; memory capacity unknown", r->meminfo_path);

    const uint64_t need = (1u << MEM_ANON) | (1u << MEM_FILE) | (1u << MEM_INACTIVE_FILE);
    n = cgroup_files_read(&r->files, r->cgroup_fd, "", CGF_MEMORY_STAT, buf, sizeof(buf),
                          &truncated);
    if (n >= 0 && parse_memory_stat(buf, (size_t)n, truncated, &ms) == 0 &&
        (ms.present & need) == need) {
        out->memory_source = NODE_MEMORY_CGROUP;
        out->memory_usage = ms.v[MEM_ANON] + ms.v[MEM_FILE];
        out->rss = ms.v[MEM_ANON];
        out->working_set = out->memory_usage > ms.v[MEM_INACTIVE_FILE]
                               ? out->memory_usage - ms.v[MEM_INACTIVE_FILE]
                               : 0;
    } else if (have_meminfo) {
        const uint64_t mneed = (1u << MEMINFO_FREE) | (1u << MEMINFO_INACTIVE_FILE);
        if ((mi.present & mneed) == mneed && mi.v[MEMINFO_TOTAL] >= mi.v[MEMINFO_FREE]) {
            /* No memory controller at the root: the same quantities from the kernel's global
             * counters. */
            out->memory_source = NODE_MEMORY_MEMINFO;
            out->memory_usage = mi.v[MEMINFO_TOTAL] - mi.v[MEMINFO_FREE];
            out->working_set = out->memory_usage > mi.v[MEMINFO_INACTIVE_FILE]
                                   ? out->memory_usage - mi.v[MEMINFO_INACTIVE_FILE]
                                   : 0;
            if (mi.present & (1u << MEMINFO_ANON_PAGES)) out->rss = mi.v[MEMINFO_ANON_PAGES];
        }
    }
    if (have_meminfo && (mi.present & (1u << MEMINFO_SWAP_TOTAL)) &&
        (mi.present & (1u << MEMINFO_SWAP_FREE)) &&
        mi.v[MEMINFO_SWAP_TOTAL] >= mi.v[MEMINFO_SWAP_FREE]) {
        out->have_swap = true;
        out->swap = mi.v[MEMINFO_SWAP_TOTAL] - mi.v[MEMINFO_SWAP_FREE];
    }
    return rc;
}
