/* Reads one cgroup's interface files into a sample. File descriptors stay open between ticks
 * and are re-read with pread(2) at offset 0 (the kernel regenerates the content), so a tick
 * costs one syscall per file instead of three. A file that does not exist (a controller not
 * enabled here) is remembered as absent and not asked for again. */
#ifndef KMETRICS_CGROUP_READER_H
#define KMETRICS_CGROUP_READER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pressure_parse.h"
#include "stat_parse.h"

enum cgroup_file {
    CGF_CPU_STAT,
    CGF_MEMORY_CURRENT,
    CGF_MEMORY_STAT,
    CGF_MEMORY_PEAK,
    CGF_MEMORY_SWAP_CURRENT,
    CGF_CPU_PRESSURE,
    CGF_MEMORY_PRESSURE,
    CGF_IO_PRESSURE,
    CGF_MEMORY_EVENTS,
    CGF_COUNT
};

enum cgroup_file_state { CGF_UNTRIED = 0, CGF_OPEN, CGF_ABSENT, CGF_REOPEN_EACH_TIME };

struct cgroup_files {
    int fd[CGF_COUNT];
    uint8_t state[CGF_COUNT];
};

/* What a sample holds: bit per field that was read this time. */
enum sample_field {
    SAMPLE_CPU = 1u << 0, /* cpu (struct cpu_stat; usage_usec always present) */
    SAMPLE_MEM_CURRENT = 1u << 1,
    SAMPLE_WORKING_SET = 1u << 2,
    SAMPLE_RSS = 1u << 3,
    SAMPLE_PEAK = 1u << 4,
    SAMPLE_SWAP = 1u << 5,
    SAMPLE_CPU_PRESSURE = 1u << 6, /* pressure[PRESSURE_CPU] */
    SAMPLE_MEMORY_PRESSURE = 1u << 7,
    SAMPLE_IO_PRESSURE = 1u << 8,
    SAMPLE_OOM_KILLS = 1u << 9,
};

enum pressure_kind { PRESSURE_CPU, PRESSURE_MEMORY, PRESSURE_IO, PRESSURE_KINDS };

struct cgroup_sample {
    int64_t mono_ns; /* when cpu.stat was read (a file left out was carried from before) */
    int64_t real_ns;
    unsigned have; /* enum sample_field bits */
    struct cpu_stat cpu;
    uint64_t memory_current;
    uint64_t working_set; /* memory.current - inactive_file, clamped at 0 */
    uint64_t rss;         /* memory.stat anon */
    uint64_t peak;
    uint64_t swap;
    /* Cumulative counters, read with SAMPLE_READ_SIGNALS: stalled time (PSI, when the kernel
     * has it on) and OOM kills in the cgroup and below (memory.events, memory controller). */
    struct pressure pressure[PRESSURE_KINDS];
    uint64_t oom_kills;
};

void cgroup_files_init(struct cgroup_files *f);
void cgroup_files_close(struct cgroup_files *f);

/* Reads one interface file of the cgroup at rel into buf (kept open for next time). Returns
 * the byte count or -errno (-ENOENT: absent; -ENODEV: the cgroup was removed); *truncated is
 * set when the buffer filled, so the last line may be cut. */
ssize_t cgroup_files_read(struct cgroup_files *f, int root_fd, const char *rel,
                          enum cgroup_file which, char *buf, size_t size, int *truncated);

/* Reads the files of the cgroup at rel (relative to root_fd) into *out. Returns 0 when
 * cpu.stat was read (other fields as available), -ENOENT when the cgroup is gone, or another
 * negative errno when cpu.stat could not be read or parsed. Logs name the cgroup by rel.
 *
 * prev, when given, is this cgroup's previous sample: what reads (enum sample_reads) leaves out
 * is then carried over from it instead of read. The slow-moving files (memory.peak, a
 * high-water mark the kernel keeps for us, and memory.swap.current) need reading only now and
 * then; memory.current and memory.stat only when their figures will be used (a shipment), and
 * the signal files with them. Each file left out is a syscall saved per container. Without
 * prev, every file but the signal files is read (those only when reads asks). */
enum sample_reads {
    SAMPLE_READ_MEMORY = 1 << 0,  /* memory.current, memory.stat */
    SAMPLE_READ_SLOW = 1 << 1,    /* memory.peak, memory.swap.current */
    SAMPLE_READ_SIGNALS = 1 << 2, /* cpu/memory/io.pressure, memory.events */
    SAMPLE_READ_ALL = SAMPLE_READ_MEMORY | SAMPLE_READ_SLOW | SAMPLE_READ_SIGNALS,
};
int cgroup_sample_read(struct cgroup_files *f, int root_fd, const char *rel,
                       const struct cgroup_sample *prev, unsigned reads, struct cgroup_sample *out);

/* The first processes of the cgroup at rel (cgroup.procs, as many as 512 bytes of it hold): up
 * to max pids; how many were read (0 when none, or the file is unreadable). Asking for one
 * more than needed tells a full list from a longer one. */
size_t cgroup_procs_read(int root_fd, const char *rel, uint32_t *pids, size_t max);

/* Descriptors numbered at or above (max_open_files - 64) are not kept open. */
void cgroup_reader_set_fd_limit(int max_open_files);

#endif
