/* libFuzzer harness for kubelet_metrics_parse(): a kubelet's /metrics/resource body is
 * outside input. Besides running under ASan/UBSan it checks on every input: a refused body
 * keeps nothing; every kept sample is of a wanted series with a finite, non-negative value,
 * and a container series' names are valid Kubernetes names (a node series has none); kept,
 * dropped and skipped never exceed the lines; parsing again gives the same samples. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kubelet/kubelet_metrics_parse.h"
#include "k8s_names.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kubelet_metrics m, again;
    size_t lines = 1;
    char err[128];
    int rc;

    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    kubelet_metrics_init(&m);
    kubelet_metrics_init(&again);
    rc = kubelet_metrics_parse((const char *)data, size, &m, err, sizeof(err));
    if (rc) {
        CHECK(m.n == 0 && err[0] != '\0');
    } else {
        CHECK(m.n + m.dropped + m.skipped <= lines);
        for (size_t i = 0; i < m.n; i++) {
            const struct kubelet_sample *s = &m.samples[i];
            bool container = s->series == KUBELET_CONTAINER_CPU ||
                             s->series == KUBELET_CONTAINER_MEMORY ||
                             s->series == KUBELET_CONTAINER_START;
            CHECK(s->series <= KUBELET_SCRAPE_ERROR);
            CHECK(isfinite(s->value) && s->value >= 0);
            if (container) {
                CHECK(k8s_dns_label(s->container, strlen(s->container)));
                CHECK(k8s_dns_label(s->namespace_, strlen(s->namespace_)));
                CHECK(k8s_dns_subdomain(s->pod, strlen(s->pod)));
            } else {
                CHECK(!s->container[0] && !s->namespace_[0] && !s->pod[0]);
            }
        }
        CHECK(kubelet_metrics_parse((const char *)data, size, &again, NULL, 0) == 0);
        CHECK(again.n == m.n && again.dropped == m.dropped && again.skipped == m.skipped);
        CHECK(m.n == 0 || memcmp(again.samples, m.samples, m.n * sizeof(*m.samples)) == 0);
    }
    kubelet_metrics_done(&m);
    kubelet_metrics_done(&again);
    return 0;
}
