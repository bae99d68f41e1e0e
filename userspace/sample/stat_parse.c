/* Parsers for cgroup v2 stat files (cpu.stat, memory.stat, memory.events) and /proc/meminfo. Every
 * read is bounded by len: inputs come from files we do not control and are neither NUL-terminated
 * nor trusted. */
#include "stat_parse.h"

#include <errno.h>
#include <string.h>

#define MAX_KEYS 64

int parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    int overflow = 0;

    if (len == 0) return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        /* Unsigned wrap turns every non-digit, NUL and sign included, into d > 9. */
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9) return -EINVAL;
        /* Keep scanning after an overflow so that garbage still wins: "99..9x" is EINVAL. */
        if (v > UINT64_MAX / 10 || (v == UINT64_MAX / 10 && d > UINT64_MAX % 10))
            overflow = 1;
        else
            v = v * 10 + d;
    }
    if (overflow) return -ERANGE;
    *out = v;
    return 0;
}

int parse_single_u64(const char *buf, size_t len, uint64_t *out)
{
    if (len > 0 && buf[len - 1] == '\n') len--;
    return parse_u64(buf, len, out);
}

/* Key lengths computed once per call so that a line costs one length compare per missing key. */
struct key_table {
    const char *const *keys;
    size_t n;
    size_t len[MAX_KEYS];
    uint64_t wanted; /* bits of keys that can match at all (non-NULL, non-empty) */
};

static void key_table_init(struct key_table *kt, const char *const keys[], size_t nkeys)
{
    kt->keys = keys;
    kt->n = nkeys > MAX_KEYS ? MAX_KEYS : nkeys;
    kt->wanted = 0;
    for (size_t i = 0; i < kt->n; i++) {
        kt->len[i] = keys[i] ? strlen(keys[i]) : 0;
        if (kt->len[i] > 0) kt->wanted |= UINT64_C(1) << i;
    }
}

/* Bits of the keys equal to the whole token [tok, tok+toklen) that are still unset in found. */
static uint64_t key_table_match(const struct key_table *kt, const char *tok, size_t toklen,
                                uint64_t found)
{
    uint64_t hits = 0;

    /* Visit only keys still missing: the list shrinks as the file is read. */
    for (uint64_t todo = kt->wanted & ~found; todo; todo &= todo - 1) {
        unsigned i = (unsigned)__builtin_ctzll(todo);
        if (kt->len[i] == toklen && memcmp(kt->keys[i], tok, toklen) == 0) hits |= UINT64_C(1) << i;
    }
    return hits;
}

static void store(uint64_t hits, uint64_t v, uint64_t vals[])
{
    for (size_t i = 0; hits; i++, hits >>= 1)
        if (hits & 1) vals[i] = v;
}

/* "key SP+ value": the key ends at the first space; the rest after the spaces must be digits. */
static uint64_t flat_line(const struct key_table *kt, const char *line, size_t n, uint64_t found,
                          uint64_t vals[])
{
    const char *sp = memchr(line, ' ', n);
    size_t klen, i;
    uint64_t hits, v;

    if (!sp || sp == line) return 0;
    klen = (size_t)(sp - line);
    hits = key_table_match(kt, line, klen, found);
    if (!hits) return 0; /* unknown keys are the common case: skip the value entirely */
    for (i = klen; i < n && line[i] == ' '; i++)
        ;
    if (parse_u64(line + i, n - i, &v)) return 0;
    store(hits, v, vals);
    return hits;
}

/* "Key:" SP+ value " kB": meminfo keys end at ':' and every field we use is in kB. */
static uint64_t meminfo_line(const struct key_table *kt, const char *line, size_t n, uint64_t found,
                             uint64_t vals[])
{
    const char *colon = memchr(line, ':', n);
    size_t klen, i;
    uint64_t hits, v;

    if (!colon || colon == line) return 0;
    klen = (size_t)(colon - line);
    hits = key_table_match(kt, line, klen, found);
    if (!hits) return 0;
    i = klen + 1;
    if (i >= n || line[i] != ' ') return 0;
    while (i < n && line[i] == ' ')
        i++;
    if (n - i < 3 || memcmp(line + n - 3, " kB", 3) != 0) return 0;
    if (parse_u64(line + i, n - i - 3, &v) || v > UINT64_MAX / 1024) return 0;
    store(hits, v * 1024, vals);
    return hits;
}

typedef uint64_t (*line_fn)(const struct key_table *kt, const char *line, size_t n, uint64_t found,
                            uint64_t vals[]);

static uint64_t scan_lines(const char *buf, size_t len, int truncated, const struct key_table *kt,
                           uint64_t vals[], line_fn fn)
{
    uint64_t found = 0;
    size_t pos = 0;

    while (pos < len && found != kt->wanted) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end;

        if (nl) {
            end = (size_t)(nl - buf);
        } else {
            /* The unterminated tail may be a number cut in half: "12345" read as "12". */
            if (truncated) break;
            end = len;
        }
        found |= fn(kt, buf + pos, end - pos, found, vals);
        pos = end + 1;
    }
    return found;
}

uint64_t parse_flat_keyed(const char *buf, size_t len, int truncated, const char *const keys[],
                          size_t nkeys, uint64_t vals[])
{
    struct key_table kt;

    if (len == 0 || nkeys == 0) return 0;
    key_table_init(&kt, keys, nkeys);
    return scan_lines(buf, len, truncated, &kt, vals, flat_line);
}

static const char *const cpu_stat_keys[CPU_STAT_NFIELDS] = {
    [CPU_USAGE_USEC] = "usage_usec",     [CPU_USER_USEC] = "user_usec",
    [CPU_SYSTEM_USEC] = "system_usec",   [CPU_NR_PERIODS] = "nr_periods",
    [CPU_NR_THROTTLED] = "nr_throttled", [CPU_THROTTLED_USEC] = "throttled_usec",
};

int parse_cpu_stat(const char *buf, size_t len, int truncated, struct cpu_stat *out)
{
    memset(out, 0, sizeof(*out));
    out->present = parse_flat_keyed(buf, len, truncated, cpu_stat_keys, CPU_STAT_NFIELDS, out->v);
    return (out->present & (UINT64_C(1) << CPU_USAGE_USEC)) ? 0 : -EINVAL;
}

static const char *const memory_stat_keys[MEM_STAT_NFIELDS] = {
    [MEM_ANON] = "anon",
    [MEM_FILE] = "file",
    [MEM_KERNEL] = "kernel",
    [MEM_SHMEM] = "shmem",
    [MEM_ACTIVE_FILE] = "active_file",
    [MEM_INACTIVE_FILE] = "inactive_file",
    [MEM_ACTIVE_ANON] = "active_anon",
    [MEM_INACTIVE_ANON] = "inactive_anon",
};

int parse_memory_stat(const char *buf, size_t len, int truncated, struct memory_stat *out)
{
    memset(out, 0, sizeof(*out));
    out->present =
        parse_flat_keyed(buf, len, truncated, memory_stat_keys, MEM_STAT_NFIELDS, out->v);
    return out->present ? 0 : -EINVAL;
}

static const char *const memory_events_keys[MEMEV_NFIELDS] = {
    [MEMEV_LOW] = "low", [MEMEV_HIGH] = "high",         [MEMEV_MAX] = "max",
    [MEMEV_OOM] = "oom", [MEMEV_OOM_KILL] = "oom_kill", [MEMEV_OOM_GROUP_KILL] = "oom_group_kill",
};

int parse_memory_events(const char *buf, size_t len, int truncated, struct memory_events *out)
{
    memset(out, 0, sizeof(*out));
    out->present = parse_flat_keyed(buf, len, truncated, memory_events_keys, MEMEV_NFIELDS, out->v);
    return (out->present & (UINT64_C(1) << MEMEV_OOM_KILL)) ? 0 : -EINVAL;
}

static const char *const meminfo_keys[MEMINFO_NFIELDS] = {
    [MEMINFO_TOTAL] = "MemTotal",
    [MEMINFO_FREE] = "MemFree",
    [MEMINFO_AVAILABLE] = "MemAvailable",
    [MEMINFO_BUFFERS] = "Buffers",
    [MEMINFO_CACHED] = "Cached",
    [MEMINFO_ACTIVE_FILE] = "Active(file)",
    [MEMINFO_INACTIVE_FILE] = "Inactive(file)",
    [MEMINFO_ANON_PAGES] = "AnonPages",
    [MEMINFO_SWAP_TOTAL] = "SwapTotal",
    [MEMINFO_SWAP_FREE] = "SwapFree",
};

int parse_meminfo(const char *buf, size_t len, struct meminfo *out)
{
    struct key_table kt;

    memset(out, 0, sizeof(*out));
    if (len > 0) {
        key_table_init(&kt, meminfo_keys, MEMINFO_NFIELDS);
        /* Truncation cannot fake a value here: a cut line loses its " kB" and is rejected. */
        out->present = scan_lines(buf, len, 0, &kt, out->v, meminfo_line);
    }
    return (out->present & (UINT64_C(1) << MEMINFO_TOTAL)) ? 0 : -EINVAL;
}

size_t parse_pid_list(const char *buf, size_t len, int truncated, uint32_t *pids, size_t max)
{
    size_t n = 0, pos = 0;

    while (pos < len && n < max) {
        const char *line = buf + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - line) : len - pos;
        uint64_t v;

        pos += line_len + 1;
        if (!nl && truncated) break; /* the last number may be cut short */
        if (parse_u64(line, line_len, &v) == 0 && v > 0 && v <= 0x3fffffff) pids[n++] = (uint32_t)v;
    }
    return n;
}
