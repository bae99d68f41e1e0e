/* Unit tests for kubelet/kubelet_metrics_parse.c: a kubelet 1.20 /metrics/resource body read as
 * metrics-server reads it, and hostile bodies, each broken sample dropped alone. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kubelet/kubelet_metrics_parse.h"

#define S(lit) lit, sizeof(lit) - 1

/* kubelet 1.20.2's /metrics/resource, as it writes it (HELP and TYPE lines, exponents,
 * millisecond timestamps), with a pod series newer kubelets add. */
static const char real_body[] =
    "# HELP container_cpu_usage_seconds_total [ALPHA] Cumulative cpu time consumed by the "
    "container in core-seconds\n"
    "# TYPE container_cpu_usage_seconds_total counter\n"
    "container_cpu_usage_seconds_total{container=\"coredns\",namespace=\"kube-system\","
    "pod=\"coredns-74ff55c5b-9dkhm\"} 10.213447562 1606154096395\n"
    "# HELP container_memory_working_set_bytes [ALPHA] Current working set of the container in "
    "bytes\n"
    "# TYPE container_memory_working_set_bytes gauge\n"
    "container_memory_working_set_bytes{container=\"coredns\",namespace=\"kube-system\","
    "pod=\"coredns-74ff55c5b-9dkhm\"} 1.236992e+07 1606154096395\n"
    "# TYPE container_start_time_seconds gauge\n"
    "container_start_time_seconds{container=\"coredns\",namespace=\"kube-system\","
    "pod=\"coredns-74ff55c5b-9dkhm\"} 1.6061540e+09 1606154096395\n"
    "# HELP node_cpu_usage_seconds_total [ALPHA] Cumulative cpu time consumed by the node in "
    "core-seconds\n"
    "# TYPE node_cpu_usage_seconds_total counter\n"
    "node_cpu_usage_seconds_total 4087.130197408 1606154097289\n"
    "# TYPE node_memory_working_set_bytes gauge\n"
    "node_memory_working_set_bytes 8.13985792e+08 1606154097289\n"
    "# TYPE pod_cpu_usage_seconds_total counter\n"
    "pod_cpu_usage_seconds_total{namespace=\"kube-system\",pod=\"coredns-74ff55c5b-9dkhm\"} "
    "10.2 1606154096395\n"
    "# TYPE scrape_error gauge\n"
    "scrape_error 0\n";

static void test_real_kubelet_body(void **state)
{
    struct kubelet_metrics m;
    char err[128];

    (void)state;
    kubelet_metrics_init(&m);
    assert_int_equal(kubelet_metrics_parse(S(real_body), &m, err, sizeof(err)), 0);
    assert_int_equal(m.n, 6);
    assert_int_equal(m.dropped, 0);
    assert_int_equal(m.skipped, 1); /* pod_cpu_usage_seconds_total */
    assert_int_equal(m.samples[0].series, KUBELET_CONTAINER_CPU);
    assert_string_equal(m.samples[0].container, "coredns");
    assert_string_equal(m.samples[0].namespace_, "kube-system");
    assert_string_equal(m.samples[0].pod, "coredns-74ff55c5b-9dkhm");
    assert_true(m.samples[0].value == 10.213447562);
    assert_true(m.samples[0].has_timestamp && m.samples[0].timestamp_ms == 1606154096395);
    assert_int_equal(m.samples[1].series, KUBELET_CONTAINER_MEMORY);
    assert_true(m.samples[1].value == 12369920);
    assert_int_equal(m.samples[2].series, KUBELET_CONTAINER_START);
    assert_int_equal(m.samples[3].series, KUBELET_NODE_CPU);
    assert_string_equal(m.samples[3].pod, "");
    assert_true(m.samples[3].value == 4087.130197408);
    assert_int_equal(m.samples[4].series, KUBELET_NODE_MEMORY);
    assert_true(m.samples[4].value == 813985792);
    assert_int_equal(m.samples[5].series, KUBELET_SCRAPE_ERROR);
    assert_false(m.samples[5].has_timestamp);
    /* Parsing again empties first; CRLF and a missing final newline read the same. */
    assert_int_equal(kubelet_metrics_parse(S("node_cpu_usage_seconds_total 1 2\r\n"
                                             "node_memory_working_set_bytes 3"),
                                           &m, NULL, 0),
                     0);
    assert_int_equal(m.n, 2);
    assert_true(m.samples[0].timestamp_ms == 2 && m.samples[1].value == 3);
    kubelet_metrics_done(&m);
}

/* Each line breaks one rule: that sample is dropped, the good ones around it kept. */
static void test_hostile_samples_dropped_alone(void **state)
{
    static const char *const bad[] = {
        "container_cpu_usage_seconds_total{container=\"a\",namespace=\"x\"} 1", /* no pod */
        "container_cpu_usage_seconds_total{container=\"a\",namespace=\"x\",pod=\"y\",pod=\"y\"} 1",
        "container_cpu_usage_seconds_total{container=\"a\",namespace=\"x\",pod=\"y\",id=\"1\"} 1",
        "container_cpu_usage_seconds_total{container=\"A\",namespace=\"x\",pod=\"y\"} 1",
        "container_cpu_usage_seconds_total{container=\"a\\\"b\",namespace=\"x\",pod=\"y\"} 1",
        "container_cpu_usage_seconds_total{container=\"a\",namespace=\"x.y\",pod=\"y\"} 1",
        "container_cpu_usage_seconds_total{container=\"a\",namespace=\"x\",pod=\"y\\q\"} 1",
        "container_cpu_usage_seconds_total{container=\"a\",namespace=\"x\",pod=\"y} 1",
        "container_cpu_usage_seconds_total 1",
        "container_memory_working_set_bytes{container=\"a\",namespace=\"x\",pod=\"y\"} NaN",
        "container_memory_working_set_bytes{container=\"a\",namespace=\"x\",pod=\"y\"} +Inf",
        "container_memory_working_set_bytes{container=\"a\",namespace=\"x\",pod=\"y\"} -1",
        "container_memory_working_set_bytes{container=\"a\",namespace=\"x\",pod=\"y\"} 0x10",
        "container_memory_working_set_bytes{container=\"a\",namespace=\"x\",pod=\"y\"} 1e999",
        "node_cpu_usage_seconds_total",
        "node_cpu_usage_seconds_total{node=\"n\"} 1",
        "node_cpu_usage_seconds_total 1 99999999999999999999",
        "node_cpu_usage_seconds_total 1 12 extra",
        "node_cpu_usage_seconds_total 1 1.5",
        "scrape_error  ",
    };
    struct kubelet_metrics m;
    char body[512];

    (void)state;
    kubelet_metrics_init(&m);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int n = snprintf(body, sizeof(body), "scrape_error 0\n%s\nnode_cpu_usage_seconds_total 7\n",
                         bad[i]);
        assert_int_equal(kubelet_metrics_parse(body, (size_t)n, &m, NULL, 0), 0);
        if (m.n != 2 || m.dropped != 1)
            fail_msg("'%s': %zu kept, %zu dropped", bad[i], m.n, m.dropped);
        assert_true(m.samples[1].value == 7);
    }
    /* Another series' name that merely begins like ours is skipped, not dropped. */
    assert_int_equal(kubelet_metrics_parse(S("node_cpu_usage_seconds_totally 1\n"), &m, NULL, 0),
                     0);
    assert_int_equal(m.n + m.dropped, 0);
    assert_int_equal(m.skipped, 1);
    /* NUL bytes and junk: nothing kept, nothing crashes. */
    assert_int_equal(kubelet_metrics_parse(S("\0\0\n{}\n\"\"\n=\n"), &m, NULL, 0), 0);
    assert_int_equal(m.n, 0);
    kubelet_metrics_done(&m);
}

static void test_limits(void **state)
{
    struct kubelet_metrics m;
    char err[128];
    size_t line = strlen("node_cpu_usage_seconds_total 1\n"), n = KUBELET_METRICS_MAX_SAMPLES + 1;
    char *body = malloc(n * line + KUBELET_METRICS_MAX_LINE + 64);

    (void)state;
    assert_non_null(body);
    kubelet_metrics_init(&m);
    for (size_t i = 0; i < n; i++)
        memcpy(body + i * line, "node_cpu_usage_seconds_total 1\n", line);
    assert_int_equal(kubelet_metrics_parse(body, n * line, &m, err, sizeof(err)), -EMSGSIZE);
    assert_int_equal(m.n, 0);
    assert_non_null(strstr(err, "samples"));
    assert_int_equal(kubelet_metrics_parse(body, (n - 1) * line, &m, NULL, 0), 0);
    assert_int_equal(m.n, KUBELET_METRICS_MAX_SAMPLES);
    /* An over-long line of ours is dropped, of another series skipped. */
    memcpy(body, "node_cpu_usage_seconds_total ", 29);
    memset(body + 29, '1', KUBELET_METRICS_MAX_LINE);
    body[29 + KUBELET_METRICS_MAX_LINE] = '\n';
    assert_int_equal(kubelet_metrics_parse(body, 30 + KUBELET_METRICS_MAX_LINE, &m, NULL, 0), 0);
    assert_int_equal(m.n, 0);
    assert_int_equal(m.dropped, 1);
    body[0] = 'x';
    assert_int_equal(kubelet_metrics_parse(body, 30 + KUBELET_METRICS_MAX_LINE, &m, NULL, 0), 0);
    assert_int_equal(m.skipped, 1);
    assert_int_equal(
        kubelet_metrics_parse(body, KUBELET_METRICS_MAX_BYTES + 1, &m, err, sizeof(err)),
        -EMSGSIZE); /* refused before a byte is read */
    assert_non_null(strstr(err, "size"));
    free(body);
    kubelet_metrics_done(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_kubelet_body),
        cmocka_unit_test(test_hostile_samples_dropped_alone),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
