/* libFuzzer harness for route_path(): the request path is outside input. Besides running under
 * ASan/UBSan it checks on every input:
 *   - the kind and version are in range, and a 404 or 400 carries nothing else;
 *   - ns, name and check are set exactly on the routes that have them, point into the input
 *     and are valid per the Kubernetes rules (namespace a DNS label, pod and node names DNS
 *     subdomains, checks [a-z0-9-]{1,63});
 *   - custom metrics' routes: a metric name of [A-Za-z0-9_.:-]{1,253}, a pod name or "*"
 *     (the only escape let through, "%2A", is a whole segment of exactly those routes);
 *   - routing is deterministic, and one added trailing '/' changes nothing.
 * libFuzzer hands over an exact-size heap copy, so a read past size is caught. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/router.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool check_ok(const char *s, size_t n)
{
    if (n == 0 || n > 63) return false;
    for (size_t i = 0; i < n; i++)
        if (!oracle_lower_alnum(s[i]) && s[i] != '-') return false;
    return true;
}

static bool within(const char *p, size_t n, const char *base, size_t size)
{
    return p >= base && n <= size && (size_t)(p - base) <= size - n;
}

static void check_route(const char *path, size_t size, const struct route *r)
{
    bool custom = r->kind == ROUTE_CUSTOM_POD_METRIC || r->kind == ROUTE_CUSTOM_NAMESPACE_METRIC;
    bool has_ns = r->kind == ROUTE_PODS_NAMESPACE || r->kind == ROUTE_POD ||
                  r->kind == ROUTE_CORE_PODS_NAMESPACE || custom;
    bool has_name = r->kind == ROUTE_NODE || r->kind == ROUTE_POD || r->kind == ROUTE_CORE_NODE ||
                    (r->kind == ROUTE_CUSTOM_POD_METRIC && !r->all);
    bool may_check = r->kind == ROUTE_LIVEZ || r->kind == ROUTE_READYZ || r->kind == ROUTE_HEALTHZ;
    bool versioned = r->kind == ROUTE_GROUP_VERSION || r->kind == ROUTE_OPENAPI_V3_GROUP ||
                     (r->kind >= ROUTE_NODES && r->kind <= ROUTE_POD);

    CHECK(r->kind >= ROUTE_NOT_FOUND && r->kind <= ROUTE_KIND_LAST);
    if (r->kind >= ROUTE_CUSTOM_GROUP && r->kind <= ROUTE_CUSTOM_NAMESPACE_METRIC) {
        CHECK(custom_api_version_string(r->version) || r->kind == ROUTE_CUSTOM_GROUP);
        if (r->kind == ROUTE_CUSTOM_GROUP) CHECK(r->version == API_V1BETA1);
    } else {
        CHECK(r->version == API_V1BETA1 || r->version == API_V1);
        if (!versioned) CHECK(r->version == API_V1BETA1);
        CHECK(api_version_string(r->version) && api_version_short(r->version));
    }
    CHECK(!r->all || r->kind == ROUTE_CUSTOM_POD_METRIC);
    if (custom) {
        CHECK(r->metric && within(r->metric, r->metric_len, path, size));
        CHECK(r->metric_len >= 1 && r->metric_len <= 253 && r->metric[-1] == '/');
        for (size_t i = 0; i < r->metric_len; i++)
            CHECK(oracle_lower_alnum(r->metric[i]) ||
                  (r->metric[i] >= 'A' && r->metric[i] <= 'Z') || strchr("_.:-", r->metric[i]));
    } else {
        CHECK(!r->metric && r->metric_len == 0);
    }

    if (has_ns) {
        CHECK(r->ns && within(r->ns, r->ns_len, path, size));
        CHECK(oracle_dns_label(r->ns, r->ns_len));
        CHECK(r->ns > path && r->ns[-1] == '/');
    } else {
        CHECK(!r->ns && r->ns_len == 0);
    }
    if (has_name) {
        CHECK(r->name && within(r->name, r->name_len, path, size));
        CHECK(oracle_dns_subdomain(r->name, r->name_len));
        CHECK(r->name > path && r->name[-1] == '/');
        if (has_ns) CHECK(r->name > r->ns + r->ns_len);
    } else {
        CHECK(!r->name && r->name_len == 0);
    }
    if (may_check && r->check) {
        CHECK(within(r->check, r->check_len, path, size));
        CHECK(check_ok(r->check, r->check_len));
        CHECK(r->check > path && r->check[-1] == '/');
    } else {
        CHECK(!r->check && r->check_len == 0);
    }

    /* Anything routed came from a well-formed path. */
    if (r->kind != ROUTE_BAD_REQUEST && r->kind != ROUTE_NOT_FOUND) {
        CHECK(size > 1 && path[0] == '/');
        const char *pct = memchr(path, '%', size);
        CHECK(!memchr(path, '\0', size));
        /* the one escape: a whole "%2A" segment, the pods' "*" of a custom metric route */
        CHECK(!pct || (r->kind == ROUTE_CUSTOM_POD_METRIC && r->all && pct[-1] == '/' &&
                       size - (size_t)(pct - path) >= 4 && pct[3] == '/' &&
                       !memchr(pct + 1, '%', size - (size_t)(pct + 1 - path))));
        CHECK(!memmem(path, size, "//", 2));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = (const char *)data;
    struct route r, again;
    char *slashed;

    memset(&r, 0xa5, sizeof(r));
    route_path(path, size, &r);
    check_route(path, size, &r);

    memset(&again, 0x5a, sizeof(again));
    route_path(path, size, &again);
    CHECK(again.kind == r.kind && again.version == r.version && again.ns == r.ns &&
          again.ns_len == r.ns_len && again.name == r.name && again.name_len == r.name_len &&
          again.check == r.check && again.check_len == r.check_len && again.metric == r.metric &&
          again.metric_len == r.metric_len && again.all == r.all);

    /* "P" and "P/" route alike when P is absolute and has no trailing '/' of its own. */
    if (size == 0 || path[0] != '/' || path[size - 1] == '/') return 0;
    slashed = malloc(size + 1);
    if (!slashed) return 0;
    memcpy(slashed, path, size);
    slashed[size] = '/';
    route_path(slashed, size + 1, &again);
    check_route(slashed, size + 1, &again);
    CHECK(again.kind == r.kind && again.version == r.version);
    CHECK(again.ns_len == r.ns_len && again.name_len == r.name_len &&
          again.check_len == r.check_len);
    CHECK(!r.ns || again.ns - slashed == r.ns - path);
    CHECK(!r.name || again.name - slashed == r.name - path);
    CHECK(!r.check || again.check - slashed == r.check - path);
    CHECK(again.all == r.all && again.metric_len == r.metric_len);
    CHECK(!r.metric || again.metric - slashed == r.metric - path);
    free(slashed);
    return 0;
}
