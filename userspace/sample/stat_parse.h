/* Parsers for the text files the kernel exposes: cgroup v2 "flat keyed" files (cpu.stat,
 * memory.stat, memory.events), single-value files (memory.current, memory.peak,
 * memory.swap.current) and /proc/meminfo.
 *
 * They take a buffer and its length (no NUL terminator needed, embedded NULs tolerated)
 * because the input is outside data: it may be truncated, garbage, or hostile. A parser
 * never reads past len, never allocates, and reports which fields it could read. */
#ifndef KMETRICS_STAT_PARSE_H
#define KMETRICS_STAT_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Parses a decimal unsigned 64-bit integer occupying exactly [s, s+len).
 * Returns 0, or -EINVAL (empty, non-digit, sign, spaces) or -ERANGE (overflow). */
int parse_u64(const char *s, size_t len, uint64_t *out);

/* Single-value file such as memory.current: one decimal number, optionally followed by one
 * '\n'. "max" and anything else is -EINVAL; overflow is -ERANGE. */
int parse_single_u64(const char *buf, size_t len, uint64_t *out);

/* Flat keyed file: lines "key value\n". For each keys[i] found with a valid value, vals[i] is
 * set and bit i of the returned mask is set (nkeys <= 64). Unknown keys are ignored; a line
 * whose value is not a valid u64 leaves that key absent; on duplicate keys the first valid
 * value wins; a final line without '\n' is accepted only if its value is complete (the
 * caller tells us whether the buffer may have been cut short by passing truncated=1, in which
 * case the final unterminated line is ignored). */
uint64_t parse_flat_keyed(const char *buf, size_t len, int truncated, const char *const keys[],
                          size_t nkeys, uint64_t vals[]);

/* cpu.stat */
enum cpu_stat_field {
    CPU_USAGE_USEC,
    CPU_USER_USEC,
    CPU_SYSTEM_USEC,
    CPU_NR_PERIODS,
    CPU_NR_THROTTLED,
    CPU_THROTTLED_USEC,
    CPU_STAT_NFIELDS
};
struct cpu_stat {
    uint64_t v[CPU_STAT_NFIELDS];
    uint64_t present; /* bit per enum cpu_stat_field */
};
/* Returns 0 when usage_usec was read, -EINVAL otherwise (other fields are optional). */
int parse_cpu_stat(const char *buf, size_t len, int truncated, struct cpu_stat *out);

/* memory.stat (bytes) */
enum memory_stat_field {
    MEM_ANON,
    MEM_FILE,
    MEM_KERNEL,
    MEM_SHMEM,
    MEM_ACTIVE_FILE,
    MEM_INACTIVE_FILE,
    MEM_ACTIVE_ANON,
    MEM_INACTIVE_ANON,
    MEM_STAT_NFIELDS
};
struct memory_stat {
    uint64_t v[MEM_STAT_NFIELDS];
    uint64_t present;
};
/* Returns 0 when at least one field was read, -EINVAL otherwise. */
int parse_memory_stat(const char *buf, size_t len, int truncated, struct memory_stat *out);

/* memory.events (counts; hierarchical: a pod's include its containers', and outlive them) */
enum memory_events_field {
    MEMEV_LOW,
    MEMEV_HIGH,
    MEMEV_MAX,
    MEMEV_OOM,
    MEMEV_OOM_KILL,
    MEMEV_OOM_GROUP_KILL,
    MEMEV_NFIELDS
};
struct memory_events {
    uint64_t v[MEMEV_NFIELDS];
    uint64_t present;
};
/* Returns 0 when oom_kill was read, -EINVAL otherwise. */
int parse_memory_events(const char *buf, size_t len, int truncated, struct memory_events *out);

/* /proc/meminfo, values converted from kB to bytes ("Key:   123 kB"). */
enum meminfo_field {
    MEMINFO_TOTAL,
    MEMINFO_FREE,
    MEMINFO_AVAILABLE,
    MEMINFO_BUFFERS,
    MEMINFO_CACHED,
    MEMINFO_ACTIVE_FILE,
    MEMINFO_INACTIVE_FILE,
    MEMINFO_ANON_PAGES,
    MEMINFO_SWAP_TOTAL,
    MEMINFO_SWAP_FREE,
    MEMINFO_NFIELDS
};
struct meminfo {
    uint64_t v[MEMINFO_NFIELDS];
    uint64_t present;
};
/* Returns 0 when MemTotal was read, -EINVAL otherwise. */
int parse_meminfo(const char *buf, size_t len, struct meminfo *out);

/* cgroup.procs: one PID per line. Stores up to max valid PIDs (1..2^30-1; bad lines are
 * skipped) and returns how many. */
size_t parse_pid_list(const char *buf, size_t len, int truncated, uint32_t *pids, size_t max);

#endif
