/* Request path to route. One pass checks the whole path (no NUL, no '%', no empty, "." or
 * ".." segment) and records the first few segments; matching then compares those segments
 * only. Nothing is allocated, nothing past len is read, and the work is O(len). Structure is
 * matched before names are validated: an unknown shape is a 404 whatever it contains, a known
 * shape with a name Kubernetes could never have created is a 400. */
#include "router.h"

#include <stdbool.h>
#include <string.h>

#include "k8s_names.h"
#include "span.h"

#define GROUP "metrics.k8s.io"
#define CUSTOM_GROUP "custom.metrics.k8s.io"
#define MAX_SEGS 9 /* the longest route has 8 segments; one more tells "too long" apart */
#define METRIC_NAME_MAX 253
#define DNS_LABEL_MAX 63
#define DNS_SUBDOMAIN_MAX 253
#define CHECK_NAME_MAX 63

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63. */
static bool dns_label_ok(struct span s)
{
    return k8s_dns_label(s.p, s.n);
}

/* RFC 1123 subdomain: dot-separated labels, at most 253 in all. Each part starting and
 * ending with an alphanumeric means every '.' has one on both sides. */
static bool dns_subdomain_ok(struct span s)
{
    return k8s_dns_subdomain(s.p, s.n);
}

/* Health check names as /livez/{check} takes them here: [a-z0-9-]+, at most 63. */
static bool check_name_ok(struct span s)
{
    if (s.n == 0 || s.n > CHECK_NAME_MAX) return false;
    for (size_t i = 0; i < s.n; i++)
        if (!is_lower_alnum(s.p[i]) && s.p[i] != '-') return false;
    return true;
}

/* A custom metric's name as this server could serve one: [A-Za-z0-9_.:-], at most 253. */
static bool metric_name_ok(struct span s)
{
    if (s.n == 0 || s.n > METRIC_NAME_MAX) return false;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (!is_lower_alnum(c) && !(c >= 'A' && c <= 'Z') && c != '_' && c != '.' && c != ':' &&
            c != '-')
            return false;
    }
    return true;
}

static bool parse_custom_version(struct span s, enum api_version *v)
{
    if (span_is(s, "v1beta1"))
        *v = API_V1BETA1;
    else if (span_is(s, "v1beta2"))
        *v = API_V1BETA2;
    else
        return false;
    return true;
}

static bool parse_version(struct span s, enum api_version *v)
{
    if (span_is(s, "v1beta1"))
        *v = API_V1BETA1;
    else if (span_is(s, "v1"))
        *v = API_V1;
    else
        return false;
    return true;
}

/* Splits path[0..len) (leading '/' included, trailing '/' already dropped) into segments,
 * keeping the first MAX_SEGS. Returns the segment count, or -1 when the path is malformed. */
static int split(const char *path, size_t len, struct span segs[MAX_SEGS])
{
    size_t nseg = 0, start = 1;

    for (size_t i = 1; i <= len; i++) {
        struct span s;

        if (i < len) {
            /* Escapes would let "%2F" smuggle a '/' past the split; only a whole "%2A"
             * segment (custom metrics' "*") is let through. */
            if (path[i] == '%' && !(i == start && len - i >= 3 && path[i + 1] == '2' &&
                                    (path[i + 2] == 'A' || path[i + 2] == 'a') &&
                                    (len - i == 3 || path[i + 3] == '/')))
                return -1;
            if (path[i] == '\0') return -1;
            if (path[i] != '/') continue;
        }
        s = (struct span){path + start, i - start};
        if (s.n == 0 || span_is(s, ".") || span_is(s, "..")) return -1;
        if (nseg < MAX_SEGS) segs[nseg] = s;
        nseg++;
        start = i + 1;
    }
    return nseg > MAX_SEGS ? MAX_SEGS : (int)nseg;
}

/* Everything after /apis/metrics.k8s.io/{v}/ (n >= 1 segments). */
static void route_resource(const struct span *s, int n, struct route *out)
{
    if (span_is(s[0], "nodes")) {
        if (n == 1) {
            out->kind = ROUTE_NODES;
        } else if (n == 2) {
            out->kind = dns_subdomain_ok(s[1]) ? ROUTE_NODE : ROUTE_BAD_REQUEST;
            out->name = s[1].p;
            out->name_len = s[1].n;
        }
    } else if (span_is(s[0], "pods")) {
        if (n == 1) out->kind = ROUTE_PODS_ALL;
    } else if (span_is(s[0], "namespaces") && (n == 4 || n == 3) && span_is(s[2], "pods")) {
        bool ok = dns_label_ok(s[1]) && (n == 3 || dns_subdomain_ok(s[3]));

        out->kind = !ok ? ROUTE_BAD_REQUEST : n == 3 ? ROUTE_PODS_NAMESPACE : ROUTE_POD;
        out->ns = s[1].p;
        out->ns_len = s[1].n;
        if (n == 4) {
            out->name = s[3].p;
            out->name_len = s[3].n;
        }
    }
}

/* "*", as given or escaped. */
static bool is_all(struct span s)
{
    return span_is(s, "*") || span_is(s, "%2A") || span_is(s, "%2a");
}

/* Everything after /apis/custom.metrics.k8s.io/{v}/ (n >= 1 segments). */
static void route_custom(const struct span *s, int n, struct route *out)
{
    bool pods = n == 5 && span_is(s[2], "pods"), ns_metric = n == 4 && span_is(s[2], "metrics");

    if (!span_is(s[0], "namespaces") || !(pods || ns_metric)) return;
    out->ns = s[1].p;
    out->ns_len = s[1].n;
    out->metric = s[n - 1].p;
    out->metric_len = s[n - 1].n;
    if (pods && is_all(s[3])) {
        out->all = true;
    } else if (pods) {
        out->name = s[3].p;
        out->name_len = s[3].n;
    }
    if (!dns_label_ok(s[1]) || !metric_name_ok(s[n - 1]) ||
        (pods && !out->all && !dns_subdomain_ok(s[3])))
        out->kind = ROUTE_BAD_REQUEST;
    else
        out->kind = pods ? ROUTE_CUSTOM_POD_METRIC : ROUTE_CUSTOM_NAMESPACE_METRIC;
}

static void route_segments(const struct span *s, int n, struct route *out)
{
    enum api_version v;

    if (n == 0) return;
    if (span_is(s[0], "api")) {
        if (n == 1)
            out->kind = ROUTE_API;
        else if (n == 2 && span_is(s[1], "v1"))
            out->kind = ROUTE_API_V1;
        else if (n >= 3 && span_is(s[1], "v1")) {
            route_resource(s + 2, n - 2, out); /* the same shapes, in the core group */
            out->kind = out->kind == ROUTE_NODES            ? ROUTE_CORE_NODES
                        : out->kind == ROUTE_NODE           ? ROUTE_CORE_NODE
                        : out->kind == ROUTE_PODS_ALL       ? ROUTE_CORE_PODS_ALL
                        : out->kind == ROUTE_PODS_NAMESPACE ? ROUTE_CORE_PODS_NAMESPACE
                        : out->kind == ROUTE_BAD_REQUEST    ? ROUTE_BAD_REQUEST
                                                            : ROUTE_NOT_FOUND;
        }
    } else if (span_is(s[0], "apis")) {
        if (n == 1) {
            out->kind = ROUTE_APIS;
        } else if (span_is(s[1], GROUP)) {
            if (n == 2) {
                out->kind = ROUTE_GROUP;
            } else if (parse_version(s[2], &v)) {
                out->version = v;
                if (n == 3)
                    out->kind = ROUTE_GROUP_VERSION;
                else
                    route_resource(s + 3, n - 3, out);
            }
        } else if (span_is(s[1], CUSTOM_GROUP)) {
            if (n == 2) {
                out->kind = ROUTE_CUSTOM_GROUP;
            } else if (parse_custom_version(s[2], &v)) {
                out->version = v;
                if (n == 3)
                    out->kind = ROUTE_CUSTOM_GROUP_VERSION;
                else
                    route_custom(s + 3, n - 3, out);
            }
        }
    } else if (span_is(s[0], "openapi")) {
        if (n == 2 && span_is(s[1], "v2")) {
            out->kind = ROUTE_OPENAPI_V2;
        } else if (n >= 2 && span_is(s[1], "v3")) {
            if (n == 2) {
                out->kind = ROUTE_OPENAPI_V3;
            } else if (n == 5 && span_is(s[2], "apis") && span_is(s[3], GROUP) &&
                       parse_version(s[4], &v)) {
                out->kind = ROUTE_OPENAPI_V3_GROUP;
                out->version = v;
            }
        }
    } else if (span_is(s[0], "livez") || span_is(s[0], "readyz") || span_is(s[0], "healthz")) {
        if (n > 2) return;
        if (n == 2) {
            out->check = s[1].p;
            out->check_len = s[1].n;
        }
        if (n == 2 && !check_name_ok(s[1]))
            out->kind = ROUTE_BAD_REQUEST;
        else if (s[0].p[0] == 'l')
            out->kind = ROUTE_LIVEZ;
        else
            out->kind = s[0].p[0] == 'r' ? ROUTE_READYZ : ROUTE_HEALTHZ;
    } else if (n == 1 && span_is(s[0], "metrics")) {
        out->kind = ROUTE_METRICS;
    } else if (n == 1 && span_is(s[0], "ship")) {
        out->kind = ROUTE_SHIP;
    }
}

void route_path(const char *path, size_t len, struct route *out)
{
    static const struct route none;
    struct span segs[MAX_SEGS];
    int n;

    if (!out) return;
    *out = none;
    if (!path || len == 0 || path[0] != '/') {
        out->kind = ROUTE_BAD_REQUEST;
        return;
    }
    if (len == 1) return;            /* "/" itself: nothing served there */
    if (path[len - 1] == '/') len--; /* one trailing '/'; "//" then fails as an empty segment */
    n = split(path, len, segs);
    if (n < 0) {
        out->kind = ROUTE_BAD_REQUEST;
        return;
    }
    route_segments(segs, n, out);
    /* A 404 or 400 carries nothing: no half-set version, no pointer to an invalid name. */
    if (out->kind == ROUTE_NOT_FOUND || out->kind == ROUTE_BAD_REQUEST)
        *out = (struct route){.kind = out->kind};
}

const char *api_version_string(enum api_version v)
{
    return v == API_V1 ? GROUP "/v1" : v == API_V1BETA1 ? GROUP "/v1beta1" : NULL;
}

const char *api_version_short(enum api_version v)
{
    return v == API_V1 ? "v1" : v == API_V1BETA1 ? "v1beta1" : v == API_V1BETA2 ? "v1beta2" : NULL;
}

const char *custom_api_version_string(enum api_version v)
{
    return v == API_V1BETA1   ? CUSTOM_GROUP "/v1beta1"
           : v == API_V1BETA2 ? CUSTOM_GROUP "/v1beta2"
                              : NULL;
}
