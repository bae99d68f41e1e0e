/* Node usage as the kubelet defines it (REFERENCE §4): CPU from the root cgroup's cpu.stat;
 * memory from the root cgroup's memory.stat (anon + file, working set minus inactive_file),
 * or from /proc/meminfo when the memory controller is not there; capacity from the online
 * CPUs and MemTotal. */
#ifndef KMETRICS_NODE_STATS_H
#define KMETRICS_NODE_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup_reader.h"

enum node_memory_source { NODE_MEMORY_NONE = 0, NODE_MEMORY_CGROUP, NODE_MEMORY_MEMINFO };

struct node_sample {
    int64_t mono_ns;
    int64_t real_ns;
    bool have_cpu;
    struct cpu_stat cpu;
    enum node_memory_source memory_source;
    uint64_t memory_usage; /* anon + file (cgroup) or MemTotal - MemFree (meminfo) */
    uint64_t working_set;
    uint64_t rss;
    bool have_swap;
    uint64_t swap;
    unsigned capacity_cpus;
    uint64_t capacity_memory;
};

struct node_reader {
    int cgroup_fd; /* the hierarchy's root directory (not owned) */
    struct cgroup_files files;
    int meminfo_fd;
    char meminfo_path[256];
};

void node_reader_init(struct node_reader *r, int cgroup_fd, const char *meminfo_path);
void node_reader_done(struct node_reader *r);
/* Returns 0 when CPU was read; memory fields as available (errors logged, rate-limited). */
int node_sample_read(struct node_reader *r, struct node_sample *out);

const char *node_memory_source_name(enum node_memory_source s);

#endif
