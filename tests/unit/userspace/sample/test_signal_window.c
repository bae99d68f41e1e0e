/* Unit tests for signal_window.c: the increases the collector ships for a container's signal
 * counters and a pod's traffic, and what it leaves out (counters that went backwards, grew
 * past 32 bits, or that one of the two reads lacked). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sample/signal_window.h"
#include "wire/wire_check.h"

#define SEC 1000000000LL

static struct cgroup_sample sample(int64_t real_ns, uint64_t scale)
{
    struct cgroup_sample s = {.real_ns = real_ns,
                              .have = SAMPLE_CPU | SAMPLE_CPU_PRESSURE | SAMPLE_MEMORY_PRESSURE |
                                      SAMPLE_IO_PRESSURE | SAMPLE_OOM_KILLS};

    s.cpu.present = 1ull << CPU_USAGE_USEC | 1ull << CPU_NR_PERIODS | 1ull << CPU_NR_THROTTLED |
                    1ull << CPU_THROTTLED_USEC;
    s.cpu.v[CPU_NR_PERIODS] = 100 * scale;
    s.cpu.v[CPU_NR_THROTTLED] = 60 * scale;
    s.cpu.v[CPU_THROTTLED_USEC] = 7000 * scale;
    for (int k = 0; k < PRESSURE_KINDS; k++)
        s.pressure[k] = (struct pressure){.some_usec = (uint64_t)(k + 1) * 1000 * scale,
                                          .full_usec = (uint64_t)(k + 1) * 100 * scale,
                                          .has_some = true,
                                          .has_full = true};
    s.oom_kills = scale;
    return s;
}

static void test_container_window(void **state)
{
    struct cgroup_sample a = sample(100 * SEC, 1), b = sample(115 * SEC, 3);
    struct wire_signals w;

    (void)state;
    signal_window_container(&a, &b, 15 * SEC + 400000, &w);
    assert_int_equal(w.have, WIRE_SIG_CPU_PRESSURE | WIRE_SIG_MEMORY_PRESSURE |
                                 WIRE_SIG_IO_PRESSURE | WIRE_SIG_THROTTLING | WIRE_SIG_OOM);
    assert_true(w.end_real_ns == 115 * SEC);
    assert_int_equal(w.window_ms, 15000); /* rounded to the millisecond */
    assert_int_equal(w.stall_some_usec[WIRE_PRESSURE_CPU], 2000);
    assert_int_equal(w.stall_full_usec[WIRE_PRESSURE_MEMORY], 400);
    assert_int_equal(w.stall_some_usec[WIRE_PRESSURE_IO], 6000);
    assert_int_equal(w.periods, 200);
    assert_int_equal(w.throttled_periods, 120);
    assert_int_equal(w.throttled_usec, 14000);
    assert_int_equal(w.oom_kills, 2);
    assert_int_equal(w.oom_kills_total, 3);
    assert_null(wire_signals_problem(&w));
}

static void test_container_window_leaves_out_what_it_cannot_tell(void **state)
{
    struct cgroup_sample a = sample(100 * SEC, 2), b = sample(115 * SEC, 3);
    struct wire_signals w;

    (void)state;
    /* The memory controller's files were absent in the first read. */
    a.have &= ~(unsigned)(SAMPLE_MEMORY_PRESSURE | SAMPLE_OOM_KILLS);
    /* io stall went backwards (a recreated cgroup); cpu's grew by more than 32 bits. */
    b.pressure[PRESSURE_IO].some_usec = 1;
    b.pressure[PRESSURE_CPU].some_usec = a.pressure[PRESSURE_CPU].some_usec + (1ull << 32);
    /* No cpu controller: no throttling figures. */
    b.cpu.present = 1ull << CPU_USAGE_USEC;
    signal_window_container(&a, &b, 15 * SEC, &w);
    assert_int_equal(w.have, 0);
    assert_int_equal(w.window_ms, 0); /* nothing left: all zero, nothing shipped */
    a = sample(100 * SEC, 2);
    b = sample(115 * SEC, 3);
    b.cpu.v[CPU_NR_THROTTLED] = b.cpu.v[CPU_NR_PERIODS] + a.cpu.v[CPU_NR_THROTTLED] + 1;
    signal_window_container(&a, &b, 15 * SEC, &w);
    assert_false(w.have & WIRE_SIG_THROTTLING); /* more throttled than periods: not believed */
    assert_true(w.have & WIRE_SIG_OOM);
    /* Windows the format cannot carry. */
    b = sample(115 * SEC, 3);
    signal_window_container(&a, &b, 0, &w);
    assert_int_equal(w.have, 0);
    signal_window_container(&a, &b, -SEC, &w);
    assert_int_equal(w.have, 0);
    signal_window_container(&a, &b, (int64_t)(WIRE_MAX_WINDOW_MS + 1) * 1000000, &w);
    assert_int_equal(w.have, 0);
}

static void test_runq_folded_in(void **state)
{
    struct cgroup_sample a = sample(100 * SEC, 1), b = sample(115 * SEC, 3);
    struct runq_window r = {
        .waits = 1ull << 40, .p50_us = 30, .p99_us = 20, .window_ns = 15 * SEC, .valid = true};
    struct wire_signals w;

    (void)state;
    signal_window_container(&a, &b, 15 * SEC, &w);
    signal_window_add_runq(&w, &r, 115 * SEC);
    assert_true(w.have & WIRE_SIG_RUNQ);
    assert_int_equal(w.runq_waits, UINT32_MAX); /* saturated */
    assert_int_equal(w.runq_p99_us, 30);        /* never below p50 */
    assert_null(wire_signals_problem(&w));
    /* Alone (no PSI, no controllers): it sets the window itself. */
    memset(&w, 0, sizeof(w));
    signal_window_add_runq(&w, &r, 115 * SEC);
    assert_int_equal(w.have, WIRE_SIG_RUNQ);
    assert_int_equal(w.window_ms, 15000);
    assert_true(w.end_real_ns == 115 * SEC);
    /* Not valid: nothing. */
    memset(&w, 0, sizeof(w));
    r.valid = false;
    signal_window_add_runq(&w, &r, 115 * SEC);
    assert_int_equal(w.have, 0);
}

static void test_network_window(void **state)
{
    struct pod_net_sample a = {.state = POD_NET_OWN,
                               .real_ns = 100 * SEC,
                               .totals = {10, 1, 0, 20, 2, 0, 1}},
                          b = {.state = POD_NET_OWN,
                               .real_ns = 115 * SEC,
                               .totals = {2850, 21, 1, 3420, 22, 2, 1}};
    struct wire_network w;

    (void)state;
    signal_window_network(&a, &b, b.real_ns - a.real_ns, &w);
    assert_int_equal(w.source, WIRE_NET_INTERFACES);
    assert_int_equal(w.window_ms, 15000);
    assert_true(w.end_real_ns == 115 * SEC);
    assert_int_equal(w.rx_bytes, 2840);
    assert_int_equal(w.rx_packets, 20);
    assert_int_equal(w.rx_drops, 1);
    assert_int_equal(w.tx_bytes, 3400);
    assert_int_equal(w.tx_packets, 20);
    assert_int_equal(w.tx_drops, 2);
    assert_null(wire_network_problem(&w));

    /* A new namespace (the sandbox was recreated): smaller counters, no window. */
    signal_window_network(&b, &a, 15 * SEC, &w);
    assert_int_equal(w.source, WIRE_NET_NONE);
    /* Not read this time, or the first read. */
    a.state = POD_NET_UNKNOWN;
    signal_window_network(&a, &b, 15 * SEC, &w);
    assert_int_equal(w.source, WIRE_NET_NONE);
    signal_window_network(&b, &a, 15 * SEC, &w);
    assert_int_equal(w.source, WIRE_NET_NONE);
    /* hostNetwork: said so, without figures. */
    a.state = POD_NET_HOST;
    signal_window_network(&b, &a, 15 * SEC, &w);
    assert_int_equal(w.source, WIRE_NET_HOST);
    assert_int_equal(w.rx_bytes, 0);
    assert_null(wire_network_problem(&w));
    /* A clock step backwards between the reads. */
    a = b;
    a.real_ns += SEC;
    signal_window_network(&a, &b, -SEC, &w);
    assert_int_equal(w.source, WIRE_NET_NONE);
}

/* A hostNetwork pod counted at its sockets: a window between two counts, without drops (the
 * sockets do not know them); the first count, or one after a count that was not, says
 * hostNetwork without figures; counts that went backwards give no window. */
static void test_socket_window(void **state)
{
    struct pod_net_sample
        a = {.state = POD_NET_HOST_SOCKETS,
             .real_ns = 100 * SEC,
             .totals = {.rx_bytes = 1560, .rx_packets = 20, .tx_bytes = 2560, .tx_packets = 20}},
        b = {.state = POD_NET_HOST_SOCKETS,
             .real_ns = 115 * SEC,
             .totals = {.rx_bytes = 3120, .rx_packets = 40, .tx_bytes = 7680, .tx_packets = 60}},
        host = {.state = POD_NET_HOST, .real_ns = 100 * SEC};
    struct wire_network w;

    (void)state;
    signal_window_network(&a, &b, b.real_ns - a.real_ns, &w);
    assert_int_equal(w.source, WIRE_NET_SOCKETS);
    assert_int_equal(w.window_ms, 15000);
    assert_true(w.end_real_ns == 115 * SEC);
    assert_int_equal(w.rx_bytes, 1560);
    assert_int_equal(w.rx_packets, 20);
    assert_int_equal(w.tx_bytes, 5120);
    assert_int_equal(w.tx_packets, 40);
    assert_int_equal(w.rx_drops, 0);
    assert_int_equal(w.tx_drops, 0);
    assert_null(wire_network_problem(&w));

    /* The first count: hostNetwork, no figures yet. */
    signal_window_network(&host, &a, 15 * SEC, &w);
    assert_int_equal(w.source, WIRE_NET_HOST);
    assert_int_equal(w.window_ms, 0);
    assert_int_equal(w.tx_bytes, 0);
    assert_null(wire_network_problem(&w));
    host.state = POD_NET_UNKNOWN;
    signal_window_network(&host, &a, 15 * SEC, &w);
    assert_int_equal(w.source, WIRE_NET_HOST);
    /* Counted, then not (the program's map full): hostNetwork, no figures. */
    signal_window_network(&a, &(struct pod_net_sample){.state = POD_NET_HOST}, 15 * SEC, &w);
    assert_int_equal(w.source, WIRE_NET_HOST);
    /* Backwards, or a clock step: no window. */
    signal_window_network(&b, &a, 15 * SEC, &w);
    assert_int_equal(w.source, WIRE_NET_NONE);
    signal_window_network(&a, &b, -SEC, &w);
    assert_int_equal(w.source, WIRE_NET_NONE);
    /* Interfaces one time, sockets the next (never seen): a first count, no window. */
    a.state = POD_NET_OWN;
    signal_window_network(&a, &b, 15 * SEC, &w);
    assert_int_equal(w.source, WIRE_NET_HOST);
    assert_int_equal(w.window_ms, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_container_window),
        cmocka_unit_test(test_container_window_leaves_out_what_it_cannot_tell),
        cmocka_unit_test(test_runq_folded_in),
        cmocka_unit_test(test_network_window),
        cmocka_unit_test(test_socket_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
