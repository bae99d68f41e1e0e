/* Unit tests for userspace/stat_parse.c: real kernel formats and hostile input. Every case
 * asserts the exact result (return code, presence mask and values), not just survival. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sample/stat_parse.h"

/* A string literal and its length without the terminator, so embedded NULs count. */
#define S(lit) lit, sizeof(lit) - 1
#define BIT(i) (UINT64_C(1) << (i))
#define SENTINEL UINT64_C(0xdeadbeefcafef00d)

static const char *const mem_keys[] = {"anon", "file", "kernel", "shmem"};
#define NMEM (sizeof(mem_keys) / sizeof(mem_keys[0]))

static void fill(uint64_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = SENTINEL;
}

/* Flat-keyed parse of buf against mem_keys with vals pre-filled with SENTINEL. */
static uint64_t flat(const char *buf, size_t len, int truncated, uint64_t vals[NMEM])
{
    fill(vals, NMEM);
    return parse_flat_keyed(buf, len, truncated, mem_keys, NMEM, vals);
}

/* ---- samples ------------------------------------------------------------------------------ */

/* cpu.stat of a cgroup with the cpu controller enabled, 6.x layout (nice_usec, core_sched and
 * burst fields included: they must be skipped). */
static const char cpu_stat_sample[] = "usage_usec 44122753\n"
                                      "user_usec 22075032\n"
                                      "system_usec 22047720\n"
                                      "nice_usec 0\n"
                                      "core_sched.force_idle_usec 0\n"
                                      "nr_periods 15044\n"
                                      "nr_throttled 312\n"
                                      "throttled_usec 9876543\n"
                                      "nr_bursts 0\n"
                                      "burst_usec 0\n";

/* cpu.stat of the root/unified hierarchy on this machine: no cpu controller, four lines. */
static const char cpu_stat_root[] = "usage_usec 44122753\n"
                                    "user_usec 22075032\n"
                                    "system_usec 22047720\n"
                                    "nice_usec 0\n";

/* memory.stat of a 6.x cgroup: ~60 keys, several sharing prefixes with the ones we read. */
static const char memory_stat_sample[] = "anon 5943296\n"
                                         "file 9396224\n"
                                         "kernel 2105344\n"
                                         "kernel_stack 163840\n"
                                         "pagetables 282624\n"
                                         "sec_pagetables 0\n"
                                         "percpu 11520\n"
                                         "sock 4096\n"
                                         "vmalloc 8192\n"
                                         "shmem 8998912\n"
                                         "zswap 0\n"
                                         "zswapped 0\n"
                                         "file_mapped 7512064\n"
                                         "file_dirty 135168\n"
                                         "file_writeback 0\n"
                                         "swapcached 0\n"
                                         "anon_thp 2097152\n"
                                         "file_thp 0\n"
                                         "shmem_thp 0\n"
                                         "inactive_anon 14680064\n"
                                         "active_anon 262144\n"
                                         "inactive_file 233472\n"
                                         "active_file 163840\n"
                                         "unevictable 0\n"
                                         "slab_reclaimable 1191936\n"
                                         "slab_unreclaimable 429184\n"
                                         "slab 1621120\n"
                                         "workingset_refault_anon 0\n"
                                         "workingset_refault_file 17\n"
                                         "workingset_activate_anon 0\n"
                                         "workingset_activate_file 3\n"
                                         "workingset_restore_anon 0\n"
                                         "workingset_restore_file 1\n"
                                         "workingset_nodereclaim 0\n"
                                         "pgdemote_kswapd 0\n"
                                         "pgdemote_direct 0\n"
                                         "pgdemote_khugepaged 0\n"
                                         "pgscan 120\n"
                                         "pgsteal 98\n"
                                         "pgscan_kswapd 0\n"
                                         "pgscan_direct 120\n"
                                         "pgscan_khugepaged 0\n"
                                         "pgsteal_kswapd 0\n"
                                         "pgsteal_direct 98\n"
                                         "pgsteal_khugepaged 0\n"
                                         "pgfault 188543\n"
                                         "pgmajfault 41\n"
                                         "pgrefill 12\n"
                                         "pgactivate 2210\n"
                                         "pgdeactivate 7\n"
                                         "pglazyfree 0\n"
                                         "pglazyfreed 0\n"
                                         "zswpin 0\n"
                                         "zswpout 0\n"
                                         "zswpwb 0\n"
                                         "thp_fault_alloc 1\n"
                                         "thp_collapse_alloc 0\n"
                                         "thp_swpout 0\n"
                                         "thp_swpout_fallback 0\n";

/* /proc/meminfo of a 6.18 kernel, verbatim except for non-zero swap figures. */
static const char meminfo_sample[] = "MemTotal:       24684096 kB\n"
                                     "MemFree:        24343604 kB\n"
                                     "MemAvailable:   24372812 kB\n"
                                     "Buffers:            1484 kB\n"
                                     "Cached:           215884 kB\n"
                                     "SwapCached:            0 kB\n"
                                     "Active:            17484 kB\n"
                                     "Inactive:         197384 kB\n"
                                     "Active(anon):       1528 kB\n"
                                     "Inactive(anon):     4760 kB\n"
                                     "Active(file):      15956 kB\n"
                                     "Inactive(file):   192624 kB\n"
                                     "Unevictable:       12980 kB\n"
                                     "Mlocked:           12032 kB\n"
                                     "SwapTotal:        2097148 kB\n"
                                     "SwapFree:         2097020 kB\n"
                                     "Zswap:                 0 kB\n"
                                     "Zswapped:              0 kB\n"
                                     "Dirty:               160 kB\n"
                                     "Writeback:             0 kB\n"
                                     "AnonPages:         10500 kB\n"
                                     "Mapped:            10696 kB\n"
                                     "Shmem:              8788 kB\n"
                                     "KReclaimable:      51336 kB\n"
                                     "Slab:              72580 kB\n"
                                     "SReclaimable:      51336 kB\n"
                                     "SUnreclaim:        21244 kB\n"
                                     "KernelStack:        1368 kB\n"
                                     "PageTables:         1752 kB\n"
                                     "SecPageTables:         0 kB\n"
                                     "NFS_Unstable:          0 kB\n"
                                     "Bounce:                0 kB\n"
                                     "WritebackTmp:          0 kB\n"
                                     "CommitLimit:    12342048 kB\n"
                                     "Committed_AS:      57148 kB\n"
                                     "VmallocTotal:   34359738367 kB\n"
                                     "VmallocUsed:       14220 kB\n"
                                     "VmallocChunk:          0 kB\n"
                                     "Percpu:              688 kB\n"
                                     "AnonHugePages:         0 kB\n"
                                     "ShmemHugePages:        0 kB\n"
                                     "ShmemPmdMapped:        0 kB\n"
                                     "FileHugePages:         0 kB\n"
                                     "FilePmdMapped:         0 kB\n"
                                     "Balloon:               0 kB\n"
                                     "HugePages_Total:       0\n"
                                     "HugePages_Free:        0\n"
                                     "HugePages_Rsvd:        0\n"
                                     "HugePages_Surp:        0\n"
                                     "Hugepagesize:       2048 kB\n"
                                     "Hugetlb:               0 kB\n"
                                     "DirectMap4k:       26624 kB\n"
                                     "DirectMap2M:     2070528 kB\n"
                                     "DirectMap1G:    25165824 kB\n";

/* ---- parse_u64 ---------------------------------------------------------------------------- */

static void expect_u64(const char *s, size_t len, uint64_t want)
{
    uint64_t v = SENTINEL;
    assert_int_equal(parse_u64(s, len, &v), 0);
    assert_true(v == want);
}

static void expect_u64_err(const char *s, size_t len, int err)
{
    uint64_t v = SENTINEL;
    assert_int_equal(parse_u64(s, len, &v), err);
    assert_true(v == SENTINEL); /* untouched on error */
}

static void test_u64_valid(void **state)
{
    (void)state;
    expect_u64(S("0"), 0);
    expect_u64(S("1"), 1);
    expect_u64(S("42"), 42);
    expect_u64(S("007"), 7);
    expect_u64(S("4294967296"), UINT64_C(4294967296));
    expect_u64(S("18446744073709551615"), UINT64_MAX);
    expect_u64(S("18446744073709551609"), UINT64_MAX - 6);
    /* Leading zeros do not count toward overflow: only the value does. */
    expect_u64(S("000000000000000000000018446744073709551615"), UINT64_MAX);
}

static void test_u64_overflow(void **state)
{
    (void)state;
    expect_u64_err(S("18446744073709551616"), -ERANGE); /* UINT64_MAX + 1 */
    expect_u64_err(S("18446744073709551620"), -ERANGE);
    expect_u64_err(S("18446744073709551700"), -ERANGE);
    expect_u64_err(S("99999999999999999999"), -ERANGE);
    expect_u64_err(S("100000000000000000000"), -ERANGE);
    expect_u64_err(S("123456789012345678901234567890"), -ERANGE);
}

static void test_u64_invalid(void **state)
{
    (void)state;
    expect_u64_err(S(""), -EINVAL);
    expect_u64_err(S("+1"), -EINVAL);
    expect_u64_err(S("-1"), -EINVAL);
    expect_u64_err(S("-0"), -EINVAL);
    expect_u64_err(S(" 1"), -EINVAL);
    expect_u64_err(S("1 "), -EINVAL);
    expect_u64_err(S("1\n"), -EINVAL);
    expect_u64_err(S("1\r"), -EINVAL);
    expect_u64_err(S("\t1"), -EINVAL);
    expect_u64_err(S("12x"), -EINVAL);
    expect_u64_err(S("x12"), -EINVAL);
    expect_u64_err(S("max"), -EINVAL);
    expect_u64_err(S("0x10"), -EINVAL);
    expect_u64_err(S("1.5"), -EINVAL);
    expect_u64_err(S("1e3"), -EINVAL);
    expect_u64_err(S("\0"), -EINVAL);
    expect_u64_err(S("1\0"), -EINVAL);
    expect_u64_err(S("\0001"), -EINVAL);
    expect_u64_err(S("\xff"), -EINVAL);
    expect_u64_err(S("/"), -EINVAL); /* '0' - 1 */
    expect_u64_err(S(":"), -EINVAL); /* '9' + 1 */
    /* Garbage beats overflow: the token is not a number at all. */
    expect_u64_err(S("99999999999999999999x"), -EINVAL);
}

static void test_u64_respects_len(void **state)
{
    /* Not NUL-terminated, and the bytes past len must not be looked at. */
    const char digits[3] = {'1', '2', '3'};
    uint64_t v = SENTINEL;

    (void)state;
    expect_u64(digits, 3, 123);
    expect_u64("12345", 3, 123);
    expect_u64("7x", 1, 7);
    assert_int_equal(parse_u64("5", 0, &v), -EINVAL);
    assert_true(v == SENTINEL);
}

/* ---- parse_single_u64 --------------------------------------------------------------------- */

static void expect_single(const char *s, size_t len, int rc, uint64_t want)
{
    uint64_t v = SENTINEL;
    assert_int_equal(parse_single_u64(s, len, &v), rc);
    assert_true(v == (rc == 0 ? want : SENTINEL));
}

static void test_single_valid(void **state)
{
    (void)state;
    expect_single(S("123\n"), 0, 123);
    expect_single(S("123"), 0, 123);
    expect_single(S("0\n"), 0, 0);
    expect_single(S("1073741824\n"), 0, UINT64_C(1073741824));
    expect_single(S("18446744073709551615\n"), 0, UINT64_MAX);
}

static void test_single_invalid(void **state)
{
    (void)state;
    expect_single(S("18446744073709551616\n"), -ERANGE, 0);
    expect_single(S("999999999999999999999999\n"), -ERANGE, 0);
    expect_single(S("max\n"), -EINVAL, 0);
    expect_single(S("max"), -EINVAL, 0);
    expect_single(S(""), -EINVAL, 0);
    expect_single(S("\n"), -EINVAL, 0);
    expect_single(S("\n\n"), -EINVAL, 0);
    expect_single(S("12\n\n"), -EINVAL, 0);
    expect_single(S("12\r\n"), -EINVAL, 0);
    expect_single(S(" 12\n"), -EINVAL, 0);
    expect_single(S("12 \n"), -EINVAL, 0);
    expect_single(S("+12\n"), -EINVAL, 0);
    expect_single(S("-1\n"), -EINVAL, 0);
    expect_single(S("12\0\n"), -EINVAL, 0);
    expect_single(S("\0\n"), -EINVAL, 0);
    expect_single(S("12 34\n"), -EINVAL, 0);
    expect_single(S("12\n34\n"), -EINVAL, 0);
    expect_single(S("12x\n"), -EINVAL, 0);
}

/* ---- parse_flat_keyed --------------------------------------------------------------------- */

static void test_flat_basic(void **state)
{
    uint64_t v[NMEM];

    (void)state;
    assert_true(flat(S("anon 1\nfile 2\nkernel 3\nshmem 4\n"), 0, v) == 0xf);
    assert_true(v[0] == 1 && v[1] == 2 && v[2] == 3 && v[3] == 4);
    /* Order in the file does not matter; unknown keys are skipped; absent stay untouched. */
    assert_true(flat(S("zzz 9\nshmem 4\nanon 1\n"), 0, v) == (BIT(0) | BIT(3)));
    assert_true(v[0] == 1 && v[1] == SENTINEL && v[2] == SENTINEL && v[3] == 4);
}

static void test_flat_empty(void **state)
{
    uint64_t v[NMEM];

    (void)state;
    assert_true(flat(S(""), 0, v) == 0);
    assert_true(flat(S(""), 1, v) == 0);
    fill(v, NMEM);
    assert_true(parse_flat_keyed(NULL, 0, 0, mem_keys, NMEM, v) == 0);
    assert_true(flat(S("\n"), 0, v) == 0);
    assert_true(flat(S("\n\n\n\n"), 0, v) == 0);
    assert_true(flat(S("\n\n\n\n"), 1, v) == 0);
    for (size_t i = 0; i < NMEM; i++)
        assert_true(v[i] == SENTINEL);
    /* No keys asked for: nothing to report, vals never written. */
    assert_true(parse_flat_keyed(S("anon 1\n"), 0, mem_keys, 0, v) == 0);
    assert_true(v[0] == SENTINEL);
}

static void test_flat_truncated(void **state)
{
    uint64_t v[NMEM];

    (void)state;
    /* Cut mid-number: "file 23" could have been "file 2345". */
    assert_true(flat(S("anon 1\nfile 23"), 1, v) == BIT(0));
    assert_true(v[0] == 1 && v[1] == SENTINEL);
    assert_true(flat(S("anon 1\nfile 23"), 0, v) == (BIT(0) | BIT(1)));
    assert_true(v[0] == 1 && v[1] == 23);
    /* Cut mid-key or right after the separator: absent either way. */
    assert_true(flat(S("anon 1\nfi"), 0, v) == BIT(0));
    assert_true(flat(S("anon 1\nfile"), 0, v) == BIT(0));
    assert_true(flat(S("anon 1\nfile "), 0, v) == BIT(0));
    assert_true(flat(S("anon 1\nfile "), 1, v) == BIT(0));
    /* Cut exactly at a line end: every line is complete. */
    assert_true(flat(S("anon 1\nfile 2\n"), 1, v) == (BIT(0) | BIT(1)));
    assert_true(v[1] == 2);
    /* A single unterminated line. */
    assert_true(flat(S("anon 77"), 1, v) == 0);
    assert_true(v[0] == SENTINEL);
    assert_true(flat(S("anon 77"), 0, v) == BIT(0));
    assert_true(v[0] == 77);
    /* The ignored tail does not hide an earlier valid duplicate. */
    assert_true(flat(S("anon 5\nanon 6"), 1, v) == BIT(0));
    assert_true(v[0] == 5);
}

static void test_flat_garbage(void **state)
{
    uint64_t v[NMEM];

    (void)state;
    assert_true(flat(S("\xff\xfe garbage\n\x01\x02 3\n\x80\x81\x82\nanon 5\n\xff"), 0, v) ==
                BIT(0));
    assert_true(v[0] == 5);
    assert_true(flat(S("\xff\xff\xff\xff\xff\xff\xff\xff"), 0, v) == 0);
    assert_true(flat(S("         \n\t\t\n : : :\n"), 0, v) == 0);
    /* Near misses: other separators and case. */
    assert_true(flat(S("anon=1\nfile:2\nKernel 3\nSHMEM 4\n"), 0, v) == 0);
    for (size_t i = 0; i < NMEM; i++)
        assert_true(v[i] == SENTINEL);
}

static void test_flat_embedded_nul(void **state)
{
    uint64_t v[NMEM];

    (void)state;
    /* A NUL anywhere in a line spoils that line only. */
    assert_true(flat(S("anon 1\0\nfile 2\nkernel\0 3\nshmem 4\n"), 0, v) == (BIT(1) | BIT(3)));
    assert_true(v[0] == SENTINEL && v[1] == 2 && v[2] == SENTINEL && v[3] == 4);
    assert_true(flat(S("\0anon 1\nan\0on 1\nanon \0001\nfile 2\0"), 0, v) == 0);
    assert_true(flat(S("\0\0\0\nanon 9\n\0\0"), 0, v) == BIT(0));
    assert_true(v[0] == 9);
    /* A line made of NULs followed by a terminated valid line and a NUL tail. */
    assert_true(flat(S("\0\0\0\0\0\0\nkernel 8\n\0"), 1, v) == BIT(2));
    assert_true(v[2] == 8);
}

static void test_flat_bad_values(void **state)
{
    uint64_t v[NMEM];

    (void)state;
    assert_true(flat(S("anon abc\nfile 1.5\nkernel 0x10\nshmem 12x\n"), 0, v) == 0);
    assert_true(flat(S("anon -1\nfile -0\nkernel max\nshmem +5\n"), 0, v) == 0);
    assert_true(flat(S("anon 5 \nfile 5\t\nkernel \t5\nshmem 5 6\n"), 0, v) == 0);
    for (size_t i = 0; i < NMEM; i++)
        assert_true(v[i] == SENTINEL);
}

static void test_flat_overflow(void **state)
{
    uint64_t v[NMEM];

    (void)state;
    assert_true(flat(S("anon 18446744073709551615\n"
                       "file 18446744073709551616\n"
                       "kernel 123456789012345678901234567890\n"
                       "shmem 00000000000000000000000000000042\n"),
                     0, v) == (BIT(0) | BIT(3)));
    assert_true(v[0] == UINT64_MAX && v[1] == SENTINEL && v[2] == SENTINEL && v[3] == 42);
}

static void test_flat_prefix_keys(void **state)
{
    static const char *const keys[] = {"anon", "anon_thp", "file", "file_mapped", "ano"};
    uint64_t v[5];

    (void)state;
    fill(v, 5);
    assert_true(parse_flat_keyed(S("anon_thp 2\nfile_mapped 3\nfile_dirty 4\nanonx 9\n"
                                   "an 8\nanon 1\nfile 5\n"),
                                 0, keys, 5, v) == 0xf);
    assert_true(v[0] == 1 && v[1] == 2 && v[2] == 5 && v[3] == 3 && v[4] == SENTINEL);
    /* Only longer keys in the file: the shorter key stays absent. */
    fill(v, 5);
    assert_true(parse_flat_keyed(S("anon_thp 2\nfile_dirty 4\n"), 0, keys, 5, v) == BIT(1));
    assert_true(v[0] == SENTINEL && v[1] == 2);
    /* Only shorter keys in the file: the longer key stays absent. */
    fill(v, 5);
    assert_true(parse_flat_keyed(S("anon 1\n"), 0, keys, 5, v) == BIT(0));
    assert_true(v[1] == SENTINEL && v[4] == SENTINEL);
}

static void test_flat_duplicates(void **state)
{
    uint64_t v[NMEM];

    (void)state;
    assert_true(flat(S("anon 1\nanon 2\n"), 0, v) == BIT(0));
    assert_true(v[0] == 1);
    /* First *valid* value wins: invalid and overflowing ones do not count. */
    assert_true(flat(S("anon x\nanon 99999999999999999999\nanon 3\nanon 4\n"), 0, v) == BIT(0));
    assert_true(v[0] == 3);
}

static void test_flat_spacing(void **state)
{
    uint64_t v[NMEM];

    (void)state;
    /* One or more spaces between key and value. */
    assert_true(flat(S("anon 1\nfile  2\nkernel          3\n"), 0, v) == 0x7);
    assert_true(v[0] == 1 && v[1] == 2 && v[2] == 3);
    /* Leading space (empty key), tab separator, no separator: absent. */
    assert_true(flat(S(" anon 1\nfile\t2\nkernel3\n\tshmem 4\n"), 0, v) == 0);
    /* Key with no value, value with no key. */
    assert_true(flat(S("anon\nfile \nkernel    \n 5\n5\n  5\n"), 0, v) == 0);
    for (size_t i = 0; i < NMEM; i++)
        assert_true(v[i] == SENTINEL);
}

static void test_flat_crlf(void **state)
{
    uint64_t v[NMEM];
    struct memory_stat ms;

    (void)state;
    assert_true(flat(S("anon 1\r\nfile 2\r\nkernel 3\n"), 0, v) == BIT(2));
    assert_true(v[0] == SENTINEL && v[1] == SENTINEL && v[2] == 3);
    assert_true(flat(S("anon 1\rfile 2\n"), 0, v) == 0);
    assert_int_equal(parse_memory_stat(S("anon 1\r\nfile 2\r\n"), 0, &ms), -EINVAL);
    assert_true(ms.present == 0);
}

static void test_flat_long_lines(void **state)
{
    const size_t big = 100 * 1024;
    char *buf = malloc(big + 64);
    uint64_t v[NMEM];
    size_t n;

    (void)state;
    assert_non_null(buf);

    /* anon followed by 100 KB of digits: overflow, absent; the next line still parses. */
    memcpy(buf, "anon ", 5);
    memset(buf + 5, '9', big);
    n = 5 + big;
    memcpy(buf + n, "\nfile 6\n", 8);
    assert_true(flat(buf, n + 8, 0, v) == BIT(1));
    assert_true(v[0] == SENTINEL && v[1] == 6);

    /* 100 KB of leading zeros then 7: still 7. */
    memcpy(buf, "anon ", 5);
    memset(buf + 5, '0', big);
    buf[5 + big] = '7';
    buf[6 + big] = '\n';
    assert_true(flat(buf, big + 7, 0, v) == BIT(0));
    assert_true(v[0] == 7);

    /* 100 KB of spaces between key and value: a valid separator. */
    memcpy(buf, "kernel", 6);
    memset(buf + 6, ' ', big);
    memcpy(buf + 6 + big, "42\n", 3);
    assert_true(flat(buf, big + 9, 0, v) == BIT(2));
    assert_true(v[2] == 42);

    /* 100 KB key with no space, then a valid line; and the same unterminated. */
    memset(buf, 'a', big);
    memcpy(buf + big, "\nshmem 4\n", 9);
    assert_true(flat(buf, big + 9, 0, v) == BIT(3));
    assert_true(v[3] == 4);
    assert_true(flat(buf, big, 0, v) == 0);
    assert_true(flat(buf, big, 1, v) == 0);
    free(buf);
}

/* xorshift64: deterministic bytes so the expected outcome is exact and reproducible. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_random_1mb(void **state)
{
    const size_t len = 1024 * 1024;
    const size_t mid = len / 2;
    static const char plant[] = "\nanon 777\nusage_usec 555\nMemTotal:   3 kB\n";
    char *buf = malloc(len);
    uint64_t seed = UINT64_C(0x9e3779b97f4a7c15), v[NMEM], x;
    struct cpu_stat cs;
    struct memory_stat ms;
    struct meminfo mi;

    (void)state;
    assert_non_null(buf);
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)(rng_next(&seed) >> 56);
    /* Pure random bytes: no valid line of any kind. */
    assert_true(flat(buf, len, 0, v) == 0);
    assert_true(flat(buf, len, 1, v) == 0);
    assert_int_equal(parse_cpu_stat(buf, len, 0, &cs), -EINVAL);
    assert_true(cs.present == 0);
    assert_int_equal(parse_memory_stat(buf, len, 1, &ms), -EINVAL);
    assert_true(ms.present == 0);
    assert_int_equal(parse_meminfo(buf, len, &mi), -EINVAL);
    assert_true(mi.present == 0);
    assert_int_equal(parse_u64(buf, len, &x), -EINVAL);
    assert_int_equal(parse_single_u64(buf, len, &x), -EINVAL);

    /* Valid lines planted in the middle are found despite the noise around them. */
    memcpy(buf + mid, plant, sizeof(plant) - 1);
    assert_true(flat(buf, len, 1, v) == BIT(0));
    assert_true(v[0] == 777);
    assert_int_equal(parse_cpu_stat(buf, len, 1, &cs), 0);
    assert_true(cs.present == BIT(CPU_USAGE_USEC) && cs.v[CPU_USAGE_USEC] == 555);
    assert_int_equal(parse_memory_stat(buf, len, 0, &ms), 0);
    assert_true(ms.present == BIT(MEM_ANON) && ms.v[MEM_ANON] == 777);
    assert_int_equal(parse_meminfo(buf, len, &mi), 0);
    assert_true(mi.present == BIT(MEMINFO_TOTAL) && mi.v[MEMINFO_TOTAL] == 3072);
    free(buf);
}

static void test_flat_many_keys(void **state)
{
    enum { N = 70 };
    char names[N][8];
    const char *keys[N];
    uint64_t v[N];

    (void)state;
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof(names[i]), "k%d", i);
        keys[i] = names[i];
    }
    fill(v, N);
    /* nkeys > 64 is clamped: k64.. are never looked up or written. */
    assert_true(parse_flat_keyed(S("k63 1\nk64 2\nk69 3\nk0 4\n"), 0, keys, N, v) ==
                (BIT(0) | BIT(63)));
    assert_true(v[0] == 4 && v[63] == 1 && v[64] == SENTINEL && v[69] == SENTINEL);
    /* Exactly 64 keys, all present. */
    {
        char buf[1024];
        size_t n = 0;
        for (int i = 0; i < 64; i++)
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "k%d %d\n", i, i * 10);
        fill(v, N);
        assert_true(parse_flat_keyed(buf, n, 0, keys, 64, v) == UINT64_MAX);
        for (int i = 0; i < 64; i++)
            assert_true(v[i] == (uint64_t)i * 10);
    }
}

static void test_flat_odd_key_tables(void **state)
{
    /* NULL and empty keys never match; a key listed twice gets both slots. */
    static const char *const keys[] = {"", NULL, "anon", "anon"};
    uint64_t v[4];

    (void)state;
    fill(v, 4);
    assert_true(parse_flat_keyed(S(" 1\nanon 2\n"), 0, keys, 4, v) == (BIT(2) | BIT(3)));
    assert_true(v[0] == SENTINEL && v[1] == SENTINEL && v[2] == 2 && v[3] == 2);
}

/* ---- parse_cpu_stat ----------------------------------------------------------------------- */

static void test_cpu_stat_real(void **state)
{
    struct cpu_stat cs;

    (void)state;
    assert_int_equal(parse_cpu_stat(S(cpu_stat_sample), 0, &cs), 0);
    assert_true(cs.present == BIT(CPU_STAT_NFIELDS) - 1);
    assert_true(cs.v[CPU_USAGE_USEC] == 44122753);
    assert_true(cs.v[CPU_USER_USEC] == 22075032);
    assert_true(cs.v[CPU_SYSTEM_USEC] == 22047720);
    assert_true(cs.v[CPU_NR_PERIODS] == 15044);
    assert_true(cs.v[CPU_NR_THROTTLED] == 312);
    assert_true(cs.v[CPU_THROTTLED_USEC] == 9876543);
    /* Same with truncated=1: the file ends with '\n' so nothing is lost. */
    assert_int_equal(parse_cpu_stat(S(cpu_stat_sample), 1, &cs), 0);
    assert_true(cs.present == BIT(CPU_STAT_NFIELDS) - 1);

    /* No cpu controller: only the usage fields; the rest absent and zero. */
    assert_int_equal(parse_cpu_stat(S(cpu_stat_root), 0, &cs), 0);
    assert_true(cs.present == (BIT(CPU_USAGE_USEC) | BIT(CPU_USER_USEC) | BIT(CPU_SYSTEM_USEC)));
    assert_true(cs.v[CPU_NR_PERIODS] == 0 && cs.v[CPU_THROTTLED_USEC] == 0);
}

static void test_cpu_stat_required(void **state)
{
    struct cpu_stat cs;

    (void)state;
    /* usage_usec is mandatory; other fields are still reported. */
    assert_int_equal(parse_cpu_stat(S("user_usec 5\nnr_periods 6\n"), 0, &cs), -EINVAL);
    assert_true(cs.present == (BIT(CPU_USER_USEC) | BIT(CPU_NR_PERIODS)));
    assert_true(cs.v[CPU_USER_USEC] == 5 && cs.v[CPU_NR_PERIODS] == 6);
    assert_int_equal(parse_cpu_stat(S("usage_usec max\n"), 0, &cs), -EINVAL);
    assert_int_equal(parse_cpu_stat(S("usage_usec 12"), 1, &cs), -EINVAL);
    assert_true(cs.present == 0 && cs.v[CPU_USAGE_USEC] == 0);
    assert_int_equal(parse_cpu_stat(S("usage_usec 12"), 0, &cs), 0);
    assert_true(cs.present == BIT(CPU_USAGE_USEC) && cs.v[CPU_USAGE_USEC] == 12);
    assert_int_equal(parse_cpu_stat(S(""), 0, &cs), -EINVAL);
    assert_int_equal(parse_cpu_stat(NULL, 0, 0, &cs), -EINVAL);
    /* Similar names must not be taken for ours. */
    assert_int_equal(parse_cpu_stat(S("usage_usec_total 1\nusage 2\nnr_throttled_x 3\n"), 0, &cs),
                     -EINVAL);
    assert_true(cs.present == 0);
}

/* ---- parse_memory_stat -------------------------------------------------------------------- */

static void test_memory_stat_real(void **state)
{
    struct memory_stat ms;

    (void)state;
    assert_int_equal(parse_memory_stat(S(memory_stat_sample), 0, &ms), 0);
    assert_true(ms.present == BIT(MEM_STAT_NFIELDS) - 1);
    assert_true(ms.v[MEM_ANON] == 5943296);
    assert_true(ms.v[MEM_FILE] == 9396224);
    assert_true(ms.v[MEM_KERNEL] == 2105344);
    assert_true(ms.v[MEM_SHMEM] == 8998912);
    assert_true(ms.v[MEM_ACTIVE_FILE] == 163840);
    assert_true(ms.v[MEM_INACTIVE_FILE] == 233472);
    assert_true(ms.v[MEM_ACTIVE_ANON] == 262144);
    assert_true(ms.v[MEM_INACTIVE_ANON] == 14680064);
}

static void test_memory_stat_prefixes(void **state)
{
    struct memory_stat ms;

    (void)state;
    /* Only look-alikes of our keys: nothing present. */
    assert_int_equal(parse_memory_stat(S("anon_thp 1\nfile_mapped 2\nfile_dirty 3\nkernel_stack 4\n"
                                         "shmem_thp 5\nfile_thp 6\nactive_file_x 7\n"),
                                       0, &ms),
                     -EINVAL);
    assert_true(ms.present == 0);
    /* Look-alikes before the real keys do not shadow them. */
    assert_int_equal(
        parse_memory_stat(S("anon_thp 1\nkernel_stack 4\nanon 10\nkernel 20\n"), 0, &ms), 0);
    assert_true(ms.present == (BIT(MEM_ANON) | BIT(MEM_KERNEL)));
    assert_true(ms.v[MEM_ANON] == 10 && ms.v[MEM_KERNEL] == 20 && ms.v[MEM_FILE] == 0);
}

static void test_memory_stat_truncated(void **state)
{
    struct memory_stat ms;
    size_t cut = (size_t)(strstr(memory_stat_sample, "active_file 163840") - memory_stat_sample) +
                 strlen("active_file 16");

    (void)state;
    /* Read cut short inside active_file's value. */
    assert_int_equal(parse_memory_stat(memory_stat_sample, cut, 1, &ms), 0);
    assert_true(ms.present == ((BIT(MEM_STAT_NFIELDS) - 1) & ~BIT(MEM_ACTIVE_FILE)));
    assert_true(ms.v[MEM_ACTIVE_FILE] == 0 && ms.v[MEM_INACTIVE_FILE] == 233472);
    assert_int_equal(parse_memory_stat(memory_stat_sample, cut, 0, &ms), 0);
    assert_true(ms.present == BIT(MEM_STAT_NFIELDS) - 1);
    assert_true(ms.v[MEM_ACTIVE_FILE] == 16);
}

/* ---- parse_meminfo ------------------------------------------------------------------------ */

static void test_meminfo_real(void **state)
{
    struct meminfo mi;

    (void)state;
    assert_int_equal(parse_meminfo(S(meminfo_sample), &mi), 0);
    assert_true(mi.present == BIT(MEMINFO_NFIELDS) - 1);
    assert_true(mi.v[MEMINFO_TOTAL] == UINT64_C(24684096) * 1024);
    assert_true(mi.v[MEMINFO_FREE] == UINT64_C(24343604) * 1024);
    assert_true(mi.v[MEMINFO_AVAILABLE] == UINT64_C(24372812) * 1024);
    assert_true(mi.v[MEMINFO_BUFFERS] == UINT64_C(1484) * 1024);
    assert_true(mi.v[MEMINFO_CACHED] == UINT64_C(215884) * 1024);
    assert_true(mi.v[MEMINFO_ACTIVE_FILE] == UINT64_C(15956) * 1024);
    assert_true(mi.v[MEMINFO_INACTIVE_FILE] == UINT64_C(192624) * 1024);
    assert_true(mi.v[MEMINFO_ANON_PAGES] == UINT64_C(10500) * 1024);
    assert_true(mi.v[MEMINFO_SWAP_TOTAL] == UINT64_C(2097148) * 1024);
    assert_true(mi.v[MEMINFO_SWAP_FREE] == UINT64_C(2097020) * 1024);
}

static void test_meminfo_units(void **state)
{
    struct meminfo mi;

    (void)state;
    /* The kB unit is required, exactly as the kernel writes it. */
    assert_int_equal(parse_meminfo(S("MemTotal:       123\n"), &mi), -EINVAL);
    assert_int_equal(parse_meminfo(S("MemTotal:       123 KB\n"), &mi), -EINVAL);
    assert_int_equal(parse_meminfo(S("MemTotal:       123 kb\n"), &mi), -EINVAL);
    assert_int_equal(parse_meminfo(S("MemTotal:       123 kB \n"), &mi), -EINVAL);
    assert_int_equal(parse_meminfo(S("MemTotal:       123  kB\n"), &mi), -EINVAL);
    assert_int_equal(parse_meminfo(S("MemTotal:       123kB\n"), &mi), -EINVAL);
    assert_int_equal(parse_meminfo(S("MemTotal:       123 kB\r\n"), &mi), -EINVAL);
    assert_int_equal(parse_meminfo(S("MemTotal:        kB\n"), &mi), -EINVAL);
    assert_int_equal(parse_meminfo(S("MemTotal: kB\n"), &mi), -EINVAL);
    assert_int_equal(parse_meminfo(S("MemTotal:\n"), &mi), -EINVAL);
    assert_int_equal(parse_meminfo(S("MemTotal:123 kB\n"), &mi), -EINVAL);
    assert_int_equal(parse_meminfo(S("MemTotal       123 kB\n"), &mi), -EINVAL);
    assert_int_equal(parse_meminfo(S("MemTotal :     123 kB\n"), &mi), -EINVAL);
    assert_true(mi.present == 0);
    assert_int_equal(parse_meminfo(S("MemTotal: 1 kB\n"), &mi), 0);
    assert_true(mi.v[MEMINFO_TOTAL] == 1024);
    assert_int_equal(parse_meminfo(S("MemTotal: 0 kB\n"), &mi), 0);
    assert_true(mi.present == BIT(MEMINFO_TOTAL) && mi.v[MEMINFO_TOTAL] == 0);
}

static void test_meminfo_hostile(void **state)
{
    struct meminfo mi;

    (void)state;
    assert_int_equal(parse_meminfo(S(""), &mi), -EINVAL);
    assert_int_equal(parse_meminfo(NULL, 0, &mi), -EINVAL);
    assert_int_equal(parse_meminfo(S("\n\n\n"), &mi), -EINVAL);
    assert_int_equal(parse_meminfo(S("MemTotal: -5 kB\nMemTotal: +5 kB\nMemTotal: max kB\n"
                                     "MemTotal: 5x kB\nMemTotal: 5\0 kB\nMem\0Total: 5 kB\n"),
                                   &mi),
                     -EINVAL);
    assert_true(mi.present == 0 && mi.v[MEMINFO_TOTAL] == 0);
    /* kB to bytes: the largest value that fits, and the first that does not. */
    assert_int_equal(parse_meminfo(S("MemTotal: 18014398509481983 kB\n"), &mi), 0);
    assert_true(mi.v[MEMINFO_TOTAL] == UINT64_C(18014398509481983) * 1024);
    assert_int_equal(parse_meminfo(S("MemTotal: 18014398509481984 kB\n"), &mi), -EINVAL);
    assert_int_equal(parse_meminfo(S("MemTotal: 18446744073709551615 kB\n"), &mi), -EINVAL);
    assert_int_equal(parse_meminfo(S("MemTotal: 18446744073709551616 kB\n"), &mi), -EINVAL);
    assert_true(mi.present == 0);
    /* Look-alike keys; HugePages_ lines without a unit are ignored. */
    assert_int_equal(
        parse_meminfo(S("Active:  5 kB\nInactive:  6 kB\nSwapCached:  7 kB\n"
                        "MemTotalX:  8 kB\nHugePages_Total:  9\nActive(file)x: 1 kB\n"),
                      &mi),
        -EINVAL);
    assert_true(mi.present == 0);
    /* Duplicates: first valid wins. Unterminated final line: parsed. */
    assert_int_equal(
        parse_meminfo(S("MemTotal: x kB\nMemTotal: 2 kB\nMemTotal: 3 kB\nCached: 4 kB"), &mi), 0);
    assert_true(mi.present == (BIT(MEMINFO_TOTAL) | BIT(MEMINFO_CACHED)));
    assert_true(mi.v[MEMINFO_TOTAL] == 2048 && mi.v[MEMINFO_CACHED] == 4096);
    /* Cut mid-number or mid-unit: the unit is missing so the line is absent. */
    assert_int_equal(parse_meminfo(S("MemFree: 5 kB\nMemTotal:       2468"), &mi), -EINVAL);
    assert_int_equal(parse_meminfo(S("MemFree: 5 kB\nMemTotal:       2468 k"), &mi), -EINVAL);
    assert_true(mi.present == BIT(MEMINFO_FREE) && mi.v[MEMINFO_FREE] == 5120);
    /* MemTotal missing: -EINVAL but the fields read are still reported. */
    assert_int_equal(parse_meminfo(S("SwapTotal: 1 kB\nSwapFree: 2 kB\n"), &mi), -EINVAL);
    assert_true(mi.present == (BIT(MEMINFO_SWAP_TOTAL) | BIT(MEMINFO_SWAP_FREE)));
}

/* cgroup.procs: good PIDs kept in order, junk lines skipped, the cap respected, and a cut
 * last line ignored when the read may have been truncated. */
static void test_pid_list(void **state)
{
    static const char procs[] = "1\n42\nx\n-3\n0\n\n1073741824\n7 \n99999999999999999999\n123";
    uint32_t pids[8];

    (void)state;
    assert_int_equal(parse_pid_list(procs, sizeof(procs) - 1, 0, pids, 8), 3);
    assert_int_equal(pids[0], 1);
    assert_int_equal(pids[1], 42);
    assert_int_equal(pids[2], 123);
    assert_int_equal(parse_pid_list(procs, sizeof(procs) - 1, 1, pids, 8), 2);
    assert_int_equal(parse_pid_list(procs, sizeof(procs) - 1, 0, pids, 1), 1);
    assert_int_equal(parse_pid_list("", 0, 0, pids, 8), 0);
    assert_int_equal(parse_pid_list("\0\0\n5\n", 5, 0, pids, 8), 1);
    assert_int_equal(pids[0], 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u64_valid),
        cmocka_unit_test(test_u64_overflow),
        cmocka_unit_test(test_u64_invalid),
        cmocka_unit_test(test_u64_respects_len),
        cmocka_unit_test(test_single_valid),
        cmocka_unit_test(test_single_invalid),
        cmocka_unit_test(test_flat_basic),
        cmocka_unit_test(test_flat_empty),
        cmocka_unit_test(test_flat_truncated),
        cmocka_unit_test(test_flat_garbage),
        cmocka_unit_test(test_flat_embedded_nul),
        cmocka_unit_test(test_flat_bad_values),
        cmocka_unit_test(test_flat_overflow),
        cmocka_unit_test(test_flat_prefix_keys),
        cmocka_unit_test(test_flat_duplicates),
        cmocka_unit_test(test_flat_spacing),
        cmocka_unit_test(test_flat_crlf),
        cmocka_unit_test(test_flat_long_lines),
        cmocka_unit_test(test_random_1mb),
        cmocka_unit_test(test_flat_many_keys),
        cmocka_unit_test(test_flat_odd_key_tables),
        cmocka_unit_test(test_cpu_stat_real),
        cmocka_unit_test(test_cpu_stat_required),
        cmocka_unit_test(test_memory_stat_real),
        cmocka_unit_test(test_memory_stat_prefixes),
        cmocka_unit_test(test_memory_stat_truncated),
        cmocka_unit_test(test_meminfo_real),
        cmocka_unit_test(test_meminfo_units),
        cmocka_unit_test(test_meminfo_hostile),
        cmocka_unit_test(test_pid_list),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
