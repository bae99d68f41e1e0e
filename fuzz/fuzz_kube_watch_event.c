/* libFuzzer harness for the watch event and list page parsers (kube_watch_event.c).
 *
 * The first byte picks the parser (even: an event line, odd: a list page); the rest is the
 * input. Invariants on every input:
 * - the return value is 0, -EINVAL or -ENOMEM; on an error the output is all-zero and err a
 *   non-empty, printable, NUL-terminated line;
 * - on success every string handed out obeys the documented rules, checked here against an
 *   independent reading of them: names 1-253 visible ASCII without '/' or '%', namespaces DNS
 *   labels, uids and resourceVersions 1-64 visible ASCII, labels valid keys and values in
 *   strictly increasing key order, at most KUBE_META_MAX_LABELS;
 * - an ERROR event has a code in 0..999; kube_event_is_expired matches code 410 or reason
 *   Expired/Gone; other events have a resourceVersion;
 * - list items are each accepted or refused alone; freeing leaves the structs all-zero;
 * - every object's kubelet endpoint (node_address.c, as the kubelet-scrape fallback reads a
 *   whole Node): found, it is an IPv4 or IPv6 address or a host name of [A-Za-z0-9.-], with
 *   a port in 1..65535; not found, the endpoint is empty and err says why. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "kube/kube_watch_event.h"
#include "kube/node_address.h"

static bool visible(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] > '~') return false;
    return true;
}

static void check_err(int rc, const char *err)
{
    CHECK(rc == -EINVAL || rc == -ENOMEM);
    CHECK(err[0] != '\0');
    for (const char *p = err; *p; p++)
        CHECK(*p >= 0x20 && *p < 0x7f);
}

static void check_token(const char *s, size_t max)
{
    CHECK(s != NULL);
    size_t n = strlen(s);
    CHECK(n >= 1 && n <= max && visible(s, n));
}

/* A label name part by definition: 1-63 of [A-Za-z0-9._-], alphanumeric at both ends. */
static bool oracle_name_part(const char *s, size_t n)
{
    if (n == 0 || n > 63) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && ((i == 0 || i == n - 1) || (c != '-' && c != '_' && c != '.'))) return false;
    }
    return true;
}

static bool oracle_label_key(const char *k)
{
    const char *slash = strchr(k, '/');
    if (!slash) return oracle_name_part(k, strlen(k));
    return oracle_dns_subdomain(k, (size_t)(slash - k)) &&
           oracle_name_part(slash + 1, strlen(slash + 1));
}

static void check_endpoint(const struct kube_object_meta *m)
{
    struct node_address_rules r = {.port = 10250, .use_node_status_port = true};
    struct node_endpoint ep;
    unsigned char ip[16];
    char err[192] = "";

    CHECK(node_address_types_parse(NODE_ADDRESS_DEFAULT_TYPES, &r, err, sizeof(err)) == 0);
    int rc = node_endpoint_of(m->object, &r, &ep, err, sizeof(err));
    if (rc) {
        CHECK(rc == -EINVAL || rc == -ENOENT);
        CHECK(err[0] != '\0' && ep.host[0] == '\0');
        return;
    }
    size_t n = strlen(ep.host);
    CHECK(n >= 1 && n <= NODE_ADDRESS_HOST_MAX && ep.port >= 1);
    CHECK(ep.ipv6 == (inet_pton(AF_INET6, ep.host, ip) == 1));
    if (!ep.ipv6)
        for (size_t i = 0; i < n; i++) {
            char c = ep.host[i];
            CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.');
        }
}

static void check_meta(const struct kube_object_meta *m)
{
    CHECK(m->object != NULL);
    check_endpoint(m);
    CHECK(m->name != NULL);
    size_t n = strlen(m->name);
    CHECK(n >= 1 && n <= 253 && visible(m->name, n));
    CHECK(!strchr(m->name, '/') && !strchr(m->name, '%'));
    if (m->namespace_) CHECK(oracle_dns_label(m->namespace_, strlen(m->namespace_)));
    if (m->uid) check_token(m->uid, KUBE_UID_MAX);
    CHECK(m->nlabels <= KUBE_META_MAX_LABELS);
    CHECK((m->nlabels == 0) == (m->labels == NULL));
    for (size_t i = 0; i < m->nlabels; i++) {
        const char *v = m->labels[i].value;
        CHECK(oracle_label_key(m->labels[i].key));
        CHECK(v[0] == '\0' || oracle_name_part(v, strlen(v)));
        if (i) CHECK(strcmp(m->labels[i - 1].key, m->labels[i].key) < 0);
    }
}

static void fuzz_event(const char *data, size_t size)
{
    static const struct kube_event zero;
    struct kube_event ev;
    char err[256];
    int rc;

    memset(&ev, 0xa5, sizeof(ev));
    memset(err, 'x', sizeof(err));
    rc = kube_event_parse(data, size, &ev, err, sizeof(err));
    if (rc) {
        CHECK(memchr(err, '\0', sizeof(err)) != NULL);
        check_err(rc, err);
        CHECK(memcmp(&ev, &zero, sizeof(ev)) == 0);
        return;
    }
    CHECK(ev.type >= KUBE_EVENT_ADDED && ev.type <= KUBE_EVENT_ERROR);
    if (ev.type == KUBE_EVENT_ERROR) {
        CHECK(ev.code >= 0 && ev.code <= 999);
        bool expired =
            ev.code == 410 ||
            (ev.reason && (strcmp(ev.reason, "Expired") == 0 || strcmp(ev.reason, "Gone") == 0));
        CHECK(kube_event_is_expired(&ev) == expired);
    } else {
        check_token(ev.resource_version, KUBE_RV_MAX);
        CHECK(!kube_event_is_expired(&ev));
        if (ev.type != KUBE_EVENT_BOOKMARK) check_meta(&ev.meta);
    }
    kube_event_done(&ev);
    CHECK(memcmp(&ev, &zero, sizeof(ev)) == 0);
}

static void fuzz_list(const char *data, size_t size)
{
    static const struct kube_list zero;
    struct kube_list l;
    struct kube_object_meta m;
    char err[256];
    int rc;

    memset(&l, 0xa5, sizeof(l));
    err[0] = '\0';
    rc = kube_list_parse(data, size, &l, err, sizeof(err));
    if (rc) {
        check_err(rc, err);
        CHECK(memcmp(&l, &zero, sizeof(l)) == 0);
        return;
    }
    check_token(l.resource_version, KUBE_RV_MAX);
    if (l.continue_) check_token(l.continue_, KUBE_CONTINUE_MAX);
    for (size_t i = 0; i <= l.nitems; i++) { /* one past the end must be refused */
        err[0] = '\0';
        rc = kube_list_item(&l, i, &m, err, sizeof(err));
        if (rc) {
            check_err(rc, err);
            CHECK(m.name == NULL && m.nlabels == 0);
        } else {
            CHECK(i < l.nitems);
            check_meta(&m);
        }
    }
    kube_list_done(&l);
    CHECK(memcmp(&l, &zero, sizeof(l)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    if (data[0] & 1)
        fuzz_list((const char *)data + 1, size - 1);
    else
        fuzz_event((const char *)data + 1, size - 1);
    return 0;
}
