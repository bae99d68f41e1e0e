/* Unit tests for the per-pod signal files' parsers: PSI pressure files (pressure_parse.c),
 * /proc/<pid>/net/dev (net_dev_parse.c) and memory.events (stat_parse.c). Real kernel formats
 * (6.1 and 6.18) and hostile input; every case asserts the exact result. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sample/net_dev_parse.h"
#include "sample/pressure_parse.h"
#include "sample/stat_parse.h"

/* A string literal and its length without the terminator, so embedded NULs count. */
#define S(lit) lit, sizeof(lit) - 1

static void test_pressure_real(void **state)
{
    struct pressure p;

    (void)state;
    assert_int_equal(parse_pressure(S("some avg10=1.48 avg60=2.33 avg300=1.76 total=4624401263\n"
                                      "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"),
                                    0, &p),
                     0);
    assert_true(p.has_some && p.has_full);
    assert_int_equal(p.some_usec, 4624401263u);
    assert_int_equal(p.full_usec, 0);
    /* cpu.pressure before Linux 5.13: no "full" line. */
    assert_int_equal(parse_pressure(S("some avg10=0.00 avg60=0.00 avg300=0.00 total=17\n"), 0, &p),
                     0);
    assert_true(p.has_some && !p.has_full);
    assert_int_equal(p.some_usec, 17);
    /* The last line without its newline is complete unless the buffer filled. */
    assert_int_equal(parse_pressure(S("some avg10=0.00 avg60=0.00 avg300=0.00 total=5"), 0, &p), 0);
    assert_int_equal(p.some_usec, 5);
    assert_int_equal(parse_pressure(S("some avg10=0.00 avg60=0.00 avg300=0.00 total=5"), 1, &p),
                     -EINVAL);
    assert_false(p.has_some);
}

static void test_pressure_hostile(void **state)
{
    struct pressure p;

    (void)state;
    /* Nothing, garbage, half lines. */
    assert_int_equal(parse_pressure(S(""), 0, &p), -EINVAL);
    assert_int_equal(parse_pressure(S("\n\n\n"), 0, &p), -EINVAL);
    assert_int_equal(parse_pressure(S("some"), 0, &p), -EINVAL);
    assert_int_equal(parse_pressure(S("some total="), 0, &p), -EINVAL);
    assert_int_equal(parse_pressure(S("some total=-1\n"), 0, &p), -EINVAL);
    assert_int_equal(parse_pressure(S("some total=12x\n"), 0, &p), -EINVAL);
    assert_int_equal(parse_pressure(S("some total=99999999999999999999\n"), 0, &p), -EINVAL);
    assert_int_equal(parse_pressure(S("somex total=1\n"), 0, &p), -EINVAL);
    assert_int_equal(parse_pressure(S("SOME total=1\n"), 0, &p), -EINVAL);
    /* total= must be the last field. */
    assert_int_equal(parse_pressure(S("some total=1 avg10=0.00\n"), 0, &p), -EINVAL);
    assert_int_equal(parse_pressure(S("some avg10=0.00 total=1 \n"), 0, &p), -EINVAL);
    /* An embedded NUL is not a digit. */
    assert_int_equal(parse_pressure(S("some total=1\0002\n"), 0, &p), -EINVAL);
    /* Only full: no some, an error, but full was read. */
    assert_int_equal(parse_pressure(S("full avg10=0.00 total=3\n"), 0, &p), -EINVAL);
    assert_true(p.has_full);
    assert_int_equal(p.full_usec, 3);
    /* Duplicates: the first valid one wins; a bad first one does not block a good second. */
    assert_int_equal(parse_pressure(S("some total=x\nsome total=7\nsome total=8\n"), 0, &p), 0);
    assert_int_equal(p.some_usec, 7);
    /* CRLF: the '\r' makes the number invalid (the kernel never writes it). */
    assert_int_equal(parse_pressure(S("some total=7\r\n"), 0, &p), -EINVAL);
    /* A very long line of averages before a valid total. */
    char big[8192];
    size_t n = 0;
    memcpy(big, "some", 4);
    n = 4;
    while (n < sizeof(big) - 32) {
        memcpy(big + n, " avg=0.00", 9);
        n += 9;
    }
    memcpy(big + n, " total=42\n", 10);
    n += 10;
    assert_int_equal(parse_pressure(big, n, 0, &p), 0);
    assert_int_equal(p.some_usec, 42);
}

/* /proc/<pid>/net/dev of a pod: loopback, the pod's veth end (a long name whose counter runs
 * into the colon), and a second interface. */
static const char net_dev_real[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop "
    "fifo colls carrier compressed\n"
    "    lo: 30088863850 15844892    0    4    0     0          0         0 30088863850 15844892  "
    "  0    0    0     0       0          0\n"
    "  eth0:1234567890123   1000    0    7    0     0          0         0     5678      12    0 "
    "   2    0     0       0          0\n"
    "  net1:     100       1    0    0    0     0          0         0      200       2    0    1 "
    "   0     0       0          0\n";

static void test_net_dev_real(void **state)
{
    struct net_dev_totals t;

    (void)state;
    assert_int_equal(parse_net_dev(S(net_dev_real), 0, &t), 0);
    assert_int_equal(t.interfaces, 2);
    assert_int_equal(t.rx_bytes, 1234567890123u + 100);
    assert_int_equal(t.rx_packets, 1001);
    assert_int_equal(t.rx_drops, 7);
    assert_int_equal(t.tx_bytes, 5678 + 200);
    assert_int_equal(t.tx_packets, 14);
    assert_int_equal(t.tx_drops, 3);
    /* A namespace with only a loopback: zero, no error. */
    assert_int_equal(parse_net_dev(S("Inter-| a | b\n face |x|y\n    lo: 1 1 0 0 0 0 0 0 1 1 0 0 0 "
                                     "0 0 0\n"),
                                   0, &t),
                     0);
    assert_int_equal(t.interfaces, 0);
    assert_int_equal(t.rx_bytes, 0);
    /* Cut short: the last line is dropped, the rest counts. */
    size_t cut = sizeof(net_dev_real) - 1 - 20;
    assert_int_equal(parse_net_dev(net_dev_real, cut, 1, &t), 0);
    assert_int_equal(t.interfaces, 1);
    assert_int_equal(t.rx_bytes, 1234567890123u);
}

static void test_net_dev_hostile(void **state)
{
    struct net_dev_totals t;

    (void)state;
    assert_int_equal(parse_net_dev(S(""), 0, &t), -EINVAL);
    /* Interface lines without the header: not a net/dev file. */
    assert_int_equal(parse_net_dev(S("eth0: 1 1 0 0 0 0 0 0 1 1 0 0\n"), 0, &t), -EINVAL);
    /* Too few fields, a bad number, a sign, no name, a name with a space, an embedded NUL: each
     * line skipped. */
    assert_int_equal(parse_net_dev(S("|\n"
                                     "eth0: 1 1 0 0 0 0 0 0 1 1 0\n"
                                     "eth1: 1 1 0 0 0 0 0 0 1 x 0 0\n"
                                     "eth2: 1 -1 0 0 0 0 0 0 1 1 0 0\n"
                                     ": 1 1 0 0 0 0 0 0 1 1 0 0\n"
                                     "e th3: 1 1 0 0 0 0 0 0 1 1 0 0\n"
                                     "eth4: 1 1 0 0\0000 0 0 0 1 1 0 0\n"
                                     "eth5 1 1 0 0 0 0 0 0 1 1 0 0\n"),
                                   0, &t),
                     0);
    assert_int_equal(t.interfaces, 0);
    /* "lo" only as the whole name: "lo0" and "lol" count. */
    assert_int_equal(parse_net_dev(S("|\nlo0: 1 0 0 0 0 0 0 0 0 0 0 0\nlol: 2 0 0 0 0 0 0 0 0 0 0 "
                                     "0\n"),
                                   0, &t),
                     0);
    assert_int_equal(t.interfaces, 2);
    assert_int_equal(t.rx_bytes, 3);
    /* Counters near the top saturate instead of wrapping. */
    assert_int_equal(parse_net_dev(S("|\n"
                                     "a: 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0\n"
                                     "b: 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0\n"),
                                   0, &t),
                     0);
    assert_int_equal(t.rx_bytes, UINT64_MAX);
    /* An overflowing field: the line is skipped. */
    assert_int_equal(parse_net_dev(S("|\na: 18446744073709551616 0 0 0 0 0 0 0 0 0 0 0\n"), 0, &t),
                     0);
    assert_int_equal(t.interfaces, 0);
    /* Extra fields beyond the sixteen are ignored. */
    assert_int_equal(
        parse_net_dev(S("|\na: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\n"), 0, &t), 0);
    assert_int_equal(t.rx_drops, 4);
    assert_int_equal(t.tx_drops, 12);
}

static void test_memory_events(void **state)
{
    struct memory_events e;

    (void)state;
    assert_int_equal(parse_memory_events(S("low 0\nhigh 3\nmax 12\noom 2\noom_kill 1\n"
                                           "oom_group_kill 0\n"),
                                         0, &e),
                     0);
    assert_int_equal(e.v[MEMEV_OOM_KILL], 1);
    assert_int_equal(e.v[MEMEV_OOM], 2);
    assert_int_equal(e.v[MEMEV_MAX], 12);
    /* 6.1 has no oom_group_kill line. */
    assert_int_equal(parse_memory_events(S("low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n"), 0, &e), 0);
    assert_false(e.present & (UINT64_C(1) << MEMEV_OOM_GROUP_KILL));
    /* oom_kill is what counts: without it (or with a bad value) an error. */
    assert_int_equal(parse_memory_events(S("low 0\nhigh 0\n"), 0, &e), -EINVAL);
    assert_int_equal(parse_memory_events(S("oom_kill -1\n"), 0, &e), -EINVAL);
    assert_int_equal(parse_memory_events(S("oom_kill 1"), 1, &e), -EINVAL); /* cut short */
    assert_int_equal(parse_memory_events(S("oom_killer 4\noom_kill 5\n"), 0, &e), 0);
    assert_int_equal(e.v[MEMEV_OOM_KILL], 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pressure_real), cmocka_unit_test(test_pressure_hostile),
        cmocka_unit_test(test_net_dev_real),  cmocka_unit_test(test_net_dev_hostile),
        cmocka_unit_test(test_memory_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
