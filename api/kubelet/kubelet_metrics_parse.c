/* The kubelet's /metrics/resource, read as metrics-server reads it (kubelet_metrics_parse.h). */
#include "kubelet_metrics_parse.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_names.h"
#include "span.h"

static const struct {
    const char *name;
    enum kubelet_series series;
    bool container; /* carries container, namespace and pod labels */
} wanted[] = {
    {"node_cpu_usage_seconds_total", KUBELET_NODE_CPU, false},
    {"node_memory_working_set_bytes", KUBELET_NODE_MEMORY, false},
    {"container_cpu_usage_seconds_total", KUBELET_CONTAINER_CPU, true},
    {"container_memory_working_set_bytes", KUBELET_CONTAINER_MEMORY, true},
    {"container_start_time_seconds", KUBELET_CONTAINER_START, true},
    {"scrape_error", KUBELET_SCRAPE_ERROR, false},
};

void kubelet_metrics_init(struct kubelet_metrics *m)
{
    memset(m, 0, sizeof(*m));
}

void kubelet_metrics_done(struct kubelet_metrics *m)
{
    free(m->samples);
    kubelet_metrics_init(m);
}

static bool is_name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static bool is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

/* A label value, quoted, with Prometheus's escapes (\\, \", \n), into out (at most cap - 1
 * bytes). Returns the end of the value (after its quote), or NULL. */
static const char *label_value(const char *p, const char *end, char *out, size_t cap, size_t *n)
{
    *n = 0;
    if (p == end || *p != '"') return NULL;
    for (p++; p < end; p++) {
        char c = *p;
        if (c == '"') {
            out[*n] = '\0';
            return p + 1;
        }
        if (c == '\\') {
            if (++p == end) return NULL;
            c = *p == 'n' ? '\n' : *p;
            if (*p != 'n' && *p != '\\' && *p != '"') return NULL;
        }
        if (c == '\0' || *n + 1 >= cap) return NULL;
        out[(*n)++] = c;
    }
    return NULL;
}

/* The labels of a container series: exactly container, namespace and pod, each once, each a
 * valid Kubernetes name; other labels are refused. Returns the end ('}' passed) or NULL. */
static const char *container_labels(const char *p, const char *end, struct kubelet_sample *s)
{
    unsigned seen = 0;

    for (p++;;) {
        const char *k = p;
        char *dst;
        size_t cap, n;
        unsigned bit;

        if (p < end && *p == '}') break;
        while (p < end && is_name_char(*p))
            p++;
        struct span key = {k, (size_t)(p - k)};
        if (span_is(key, "container")) {
            dst = s->container, cap = sizeof(s->container), bit = 1;
        } else if (span_is(key, "namespace")) {
            dst = s->namespace_, cap = sizeof(s->namespace_), bit = 2;
        } else if (span_is(key, "pod")) {
            dst = s->pod, cap = sizeof(s->pod), bit = 4;
        } else {
            return NULL;
        }
        if ((seen & bit) || p == end || *p != '=') return NULL;
        seen |= bit;
        if (!(p = label_value(p + 1, end, dst, cap, &n))) return NULL;
        if (p < end && *p == ',') p++;
    }
    if (seen != 7) return NULL;
    if (!k8s_dns_label(s->container, strlen(s->container)) ||
        !k8s_dns_label(s->namespace_, strlen(s->namespace_)) ||
        !k8s_dns_subdomain(s->pod, strlen(s->pod)))
        return NULL;
    return p + 1;
}

/* A finite, non-negative float as Go's ParseFloat reads it (no hex, no underscores). */
static const char *number(const char *p, const char *end, double *v)
{
    char buf[64];
    size_t n = 0;
    char *stop;

    while (p + n < end && p[n] != ' ' && p[n] != '\t')
        n++;
    if (n == 0 || n >= sizeof(buf)) return NULL;
    memcpy(buf, p, n);
    buf[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789.eE+-", buf[i])) return NULL; /* no hex, inf, nan */
    *v = strtod(buf, &stop);
    if (stop != buf + n || !isfinite(*v) || *v < 0) return NULL;
    return p + n;
}

static const char *timestamp(const char *p, const char *end, int64_t *ms)
{
    int64_t v = 0;
    bool neg = p < end && *p == '-';
    const char *d = p + neg;

    if (d == end) return NULL;
    for (p = d; p < end && *p >= '0' && *p <= '9'; p++) {
        if (v > (INT64_MAX - (*p - '0')) / 10) return NULL;
        v = v * 10 + (*p - '0');
    }
    if (p == d) return NULL;
    *ms = neg ? -v : v;
    return p;
}

static const char *skip_blanks(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* One sample line (no newline). Returns 1 kept in *s, 0 another series, -1 broken. */
static int sample_line(const char *p, const char *end, struct kubelet_sample *s)
{
    const char *name = p;
    size_t i;

    while (p < end && is_name_char(*p))
        p++;
    struct span metric = {name, (size_t)(p - name)};
    for (i = 0; i < sizeof(wanted) / sizeof(wanted[0]) && !span_is(metric, wanted[i].name); i++)
        ;
    if (i == sizeof(wanted) / sizeof(wanted[0])) return 0;
    memset(s, 0, sizeof(*s));
    s->series = wanted[i].series;
    if (wanted[i].container) {
        if (p == end || *p != '{' || !(p = container_labels(p, end, s))) return -1;
    } else if (p < end && *p == '{') {
        if (p + 1 == end || p[1] != '}') return -1; /* node series carry no labels */
        p += 2;
    }
    if (p == end || (*p != ' ' && *p != '\t')) return -1;
    if (!(p = number(skip_blanks(p, end), end, &s->value))) return -1;
    p = skip_blanks(p, end);
    if (p < end) {
        if (!(p = timestamp(p, end, &s->timestamp_ms))) return -1;
        s->has_timestamp = true;
        if (skip_blanks(p, end) != end) return -1;
    }
    return 1;
}

/* Whether the line starts with a wanted series' whole name. */
static bool names_wanted(const char *p, const char *end)
{
    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
        size_t n = strlen(wanted[i].name);
        if ((size_t)(end - p) > n && memcmp(p, wanted[i].name, n) == 0 && !is_name_char(p[n]))
            return true;
    }
    return false;
}

static int fail(char *err, size_t errlen, int rc, const char *why)
{
    if (err && errlen) snprintf(err, errlen, "%s", why);
    return rc;
}

int kubelet_metrics_parse(const char *body, size_t len, struct kubelet_metrics *m, char *err,
                          size_t errlen)
{
    const char *p = body, *end = body + len;

    m->n = m->dropped = m->skipped = 0;
    if (err && errlen) err[0] = '\0';
    if (len > KUBELET_METRICS_MAX_BYTES)
        return fail(err, errlen, -EMSGSIZE, "body over the size limit");
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end, *q = skip_blanks(p, eol);
        struct kubelet_sample s;
        int rc;

        if (eol > q && eol[-1] == '\r') eol--;
        if (q == eol || *q == '#') {
            p = nl ? nl + 1 : end;
            continue;
        }
        /* A line too long to be one of ours: dropped if it names one, else skipped. */
        if ((size_t)(eol - p) > KUBELET_METRICS_MAX_LINE)
            rc = names_wanted(q, eol) ? -1 : 0;
        else
            rc = sample_line(q, eol, &s);
        if (rc == 0) m->skipped++;
        if (rc < 0) m->dropped++;
        if (rc > 0) {
            if (m->n == KUBELET_METRICS_MAX_SAMPLES) {
                m->n = 0;
                return fail(err, errlen, -EMSGSIZE, "more samples than the limit");
            }
            if (m->n == m->cap) {
                size_t cap = m->cap ? m->cap * 2 : 64;
                struct kubelet_sample *ns = realloc(m->samples, cap * sizeof(*ns));
                if (!ns) {
                    m->n = 0;
                    return fail(err, errlen, -ENOMEM, "out of memory");
                }
                m->samples = ns;
                m->cap = cap;
            }
            m->samples[m->n++] = s;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}
