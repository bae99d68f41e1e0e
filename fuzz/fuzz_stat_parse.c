/* Runs every stat_parse.c parser on the input and checks it against a slow reference model. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample/stat_parse.h"
#include "fuzz_check.h"

/* Coverage of the reference model is no guide, and tracing its compares more than halved the
 * executions per second. */
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))

#define SENTINEL UINT64_C(0xa5a5a5a5a5a5a5a5)
#define NKEYS 66

/* Prefix look-alikes, cpu.stat/memory.stat/meminfo names, and two slots past the 64-key
 * clamp that must never be written. Keys with spaces are excluded: a key ends at the first
 * space by definition, so they can never match. */
static const char *const fz_keys[NKEYS] = {
    "anon",
    "anon_thp",
    "a",
    "an",
    "file",
    "file_mapped",
    "kernel",
    "shmem",
    "usage_usec",
    "user_usec",
    "nr_periods",
    "MemTotal:",
    "0",
    "\xff",
    "",
    NULL,
    [63] = "system_usec",
    [64] = "anon",
    [65] = "file",
};

/* Reference decimal parser: strip leading zeros, then compare digit strings with UINT64_MAX. */
NO_COVERAGE static int ref_u64(const uint8_t *s, size_t len, uint64_t *out)
{
    static const char max[] = "18446744073709551615";
    size_t i = 0, n;
    uint64_t v = 0;

    if (len == 0) return -EINVAL;
    for (size_t j = 0; j < len; j++)
        if (s[j] < '0' || s[j] > '9') return -EINVAL;
    while (i < len - 1 && s[i] == '0')
        i++;
    n = len - i;
    if (n > 20 || (n == 20 && memcmp(s + i, max, 20) > 0)) return -ERANGE;
    for (; i < len; i++)
        v = v * 10 + (uint64_t)(s[i] - '0');
    *out = v;
    return 0;
}

/* Next line as [start, end) without its '\n'; 0 at the end (or at an ignored unterminated tail). */
NO_COVERAGE static int next_line(const uint8_t *d, size_t size, int truncated, size_t *pos,
                                 size_t *start, size_t *end)
{
    size_t e = *pos;

    if (*pos >= size) return 0;
    while (e < size && d[e] != '\n')
        e++;
    if (e == size && truncated) return 0;
    *start = *pos;
    *end = e;
    *pos = e + 1;
    return 1;
}

/* Flat keyed as the header words it: the line starts with the key, then one or more spaces,
 * then a valid u64 up to the end of the line; first valid occurrence wins. */
NO_COVERAGE static uint64_t ref_flat(const uint8_t *d, size_t size, int truncated,
                                     const char *const keys[], size_t nkeys, uint64_t vals[])
{
    uint64_t mask = 0;
    size_t pos = 0, s, e, klen[64];

    if (nkeys > 64) nkeys = 64;
    for (size_t k = 0; k < nkeys; k++)
        klen[k] = keys[k] ? strlen(keys[k]) : 0;
    while (next_line(d, size, truncated, &pos, &s, &e)) {
        for (size_t k = 0; k < nkeys; k++) {
            size_t kl = klen[k], j;
            uint64_t v;

            /* The first-byte test only keeps the fuzzer fast; memcmp decides. */
            if ((mask >> k) & 1 || kl == 0 || e - s < kl + 1 || d[s] != (uint8_t)keys[k][0])
                continue;
            if (memcmp(d + s, keys[k], kl) != 0 || d[s + kl] != ' ') continue;
            for (j = s + kl; j < e && d[j] == ' '; j++)
                ;
            if (ref_u64(d + j, e - j, &v) == 0) {
                mask |= UINT64_C(1) << k;
                vals[k] = v;
            }
        }
    }
    return mask;
}

static const char *const ref_meminfo_keys[MEMINFO_NFIELDS] = {
    "MemTotal",     "MemFree",        "MemAvailable", "Buffers",   "Cached",
    "Active(file)", "Inactive(file)", "AnonPages",    "SwapTotal", "SwapFree",
};

/* "Key:" then one or more spaces, digits, and exactly " kB" at the end of the line. */
NO_COVERAGE static uint64_t ref_meminfo(const uint8_t *d, size_t size, uint64_t vals[])
{
    uint64_t mask = 0;
    size_t pos = 0, s, e;

    while (next_line(d, size, 0, &pos, &s, &e)) {
        for (size_t k = 0; k < MEMINFO_NFIELDS; k++) {
            size_t kl = strlen(ref_meminfo_keys[k]), j;
            uint64_t v;

            if ((mask >> k) & 1 || e - s < kl + 2 + 3) continue;
            if (memcmp(d + s, ref_meminfo_keys[k], kl) != 0 || d[s + kl] != ':' ||
                d[s + kl + 1] != ' ')
                continue;
            for (j = s + kl + 1; j < e && d[j] == ' '; j++)
                ;
            if (e - j < 3 || memcmp(d + e - 3, " kB", 3) != 0) continue;
            if (ref_u64(d + j, e - 3 - j, &v) == 0 && v <= UINT64_MAX / 1024) {
                mask |= UINT64_C(1) << k;
                vals[k] = v * 1024;
            }
        }
    }
    return mask;
}

static void check_u64(const uint8_t *data, size_t size)
{
    uint64_t got = SENTINEL, want = SENTINEL;
    int rc = parse_u64((const char *)data, size, &got);
    int ref = ref_u64(data, size, &want);

    CHECK(rc == ref);
    CHECK(got == want); /* also: untouched on error */
    if (rc == 0) {
        /* Round trip: printing the value gives the input minus its leading zeros. */
        char txt[32];
        size_t z = 0;
        int n = snprintf(txt, sizeof(txt), "%llu", (unsigned long long)got);

        while (z < size - 1 && data[z] == '0')
            z++;
        CHECK(n > 0 && (size_t)n == size - z && memcmp(txt, data + z, (size_t)n) == 0);
    }

    /* Single-value file: the same as parse_u64 minus at most one trailing '\n'. */
    got = want = SENTINEL;
    rc = parse_single_u64((const char *)data, size, &got);
    ref = parse_u64((const char *)data, size && data[size - 1] == '\n' ? size - 1 : size, &want);
    CHECK(rc == ref && got == want);
}

static void check_flat(const uint8_t *data, size_t size)
{
    uint64_t vals[2][NKEYS], ref[NKEYS], mask[2];

    for (int t = 0; t < 2; t++) {
        uint64_t want;

        for (size_t i = 0; i < NKEYS; i++)
            vals[t][i] = ref[i] = SENTINEL;
        mask[t] = parse_flat_keyed((const char *)data, size, t, fz_keys, NKEYS, vals[t]);
        want = ref_flat(data, size, t, fz_keys, NKEYS, ref);
        CHECK(mask[t] == want);
        /* Present keys carry the reference value; absent ones (and 64, 65) are untouched. */
        for (size_t i = 0; i < NKEYS; i++)
            CHECK(vals[t][i] == ref[i]);
    }
    /* Ignoring the tail can only lose keys, never add or change them. */
    CHECK((mask[1] & ~mask[0]) == 0);
    for (size_t i = 0; i < 64; i++)
        if ((mask[1] >> i) & 1) CHECK(vals[1][i] == vals[0][i]);
    if (size == 0 || data[size - 1] == '\n') CHECK(mask[0] == mask[1]);
}

static const char *const ref_cpu_keys[CPU_STAT_NFIELDS] = {
    "usage_usec", "user_usec", "system_usec", "nr_periods", "nr_throttled", "throttled_usec",
};
static const char *const ref_mem_keys[MEM_STAT_NFIELDS] = {
    "anon",        "file",          "kernel",      "shmem",
    "active_file", "inactive_file", "active_anon", "inactive_anon",
};

/* Absent fields are zero, present ones match the reference; no stray mask bits. */
static void check_fields(const uint64_t *v, uint64_t present, const uint64_t *ref, uint64_t want,
                         size_t n)
{
    CHECK(present == want);
    CHECK((present >> n) == 0);
    for (size_t i = 0; i < n; i++)
        CHECK(v[i] == (((present >> i) & 1) ? ref[i] : 0));
}

static void check_structs(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    uint64_t ref[64], want;

    for (int t = 0; t < 2; t++) {
        struct cpu_stat cs;
        struct memory_stat ms;
        int rc;

        memset(&cs, 0x5a, sizeof(cs));
        rc = parse_cpu_stat(buf, size, t, &cs);
        want = ref_flat(data, size, t, ref_cpu_keys, CPU_STAT_NFIELDS, ref);
        check_fields(cs.v, cs.present, ref, want, CPU_STAT_NFIELDS);
        CHECK(rc == ((want & 1) ? 0 : -EINVAL));

        memset(&ms, 0x5a, sizeof(ms));
        rc = parse_memory_stat(buf, size, t, &ms);
        want = ref_flat(data, size, t, ref_mem_keys, MEM_STAT_NFIELDS, ref);
        check_fields(ms.v, ms.present, ref, want, MEM_STAT_NFIELDS);
        CHECK(rc == (want ? 0 : -EINVAL));
    }

    {
        struct meminfo mi;
        int rc;

        memset(&mi, 0x5a, sizeof(mi));
        rc = parse_meminfo(buf, size, &mi);
        want = ref_meminfo(data, size, ref);
        check_fields(mi.v, mi.present, ref, want, MEMINFO_NFIELDS);
        CHECK(rc == ((want & 1) ? 0 : -EINVAL));
        for (size_t i = 0; i < MEMINFO_NFIELDS; i++)
            CHECK(mi.v[i] % 1024 == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* PIDs: never more than max, each in range, truncated=1 never finds more than truncated=0. */
static void check_pid_list(const uint8_t *data, size_t size)
{
    uint32_t pids[8], pids_t[8];
    char *buf = malloc(size ? size : 1);

    if (!buf) return;
    memcpy(buf, data, size);
    size_t n = parse_pid_list(buf, size, 0, pids, 8);
    size_t nt = parse_pid_list(buf, size, 1, pids_t, 8);
    if (n > 8 || nt > n) abort();
    for (size_t i = 0; i < n; i++)
        if (pids[i] == 0 || pids[i] > 0x3fffffff) abort();
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_u64(data, size);
    check_flat(data, size);
    check_structs(data, size);
    check_pid_list(data, size);
    return 0;
}
