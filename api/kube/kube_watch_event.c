#include "kube_watch_event.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json_load.h"
#include "k8s_names.h"

static int bad(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        /* One printable line, whatever outside bytes (or jansson's quote of them) it holds. */
        for (char *p = err; *p; p++)
            if (*p < 0x20 || *p > 0x7e) *p = '?';
    }
    return -EINVAL;
}

static int oom(char *err, size_t errlen)
{
    if (err && errlen) snprintf(err, errlen, "out of memory");
    return -ENOMEM;
}

static bool visible_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e) return false;
    return true;
}

/* A string member of at most max visible-ASCII bytes. Absent, null or "": *out = NULL and 0
 * (the caller decides whether it was required; Go's omitempty makes "" and absent one). */
static int opt_token(json_t *obj, const char *key, size_t max, const char **out, char *err,
                     size_t errlen)
{
    json_t *v = json_object_get(obj, key);

    *out = NULL;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v)) return bad(err, errlen, "%s: expected a string", key);
    size_t n = json_string_length(v);
    if (n == 0) return 0;
    if (n > max || !visible_ascii(json_string_value(v), n))
        return bad(err, errlen, "%s: expected 1-%zu visible ASCII characters", key, max);
    *out = json_string_value(v);
    return 0;
}

/* Outside text quoted in a message: at most 60 bytes, anything not visible ASCII as '?'. */
static const char *shown(const char *s, char buf[64])
{
    size_t i = 0;

    for (; s[i] && i < 60; i++)
        buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    buf[i] = '\0';
    return buf;
}

static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || n > K8S_DNS_SUBDOMAIN_MAX || !visible_ascii(s, n)) return false;
    return !memchr(s, '/', n) && !memchr(s, '%', n);
}

static int cmp_label(const void *a, const void *b)
{
    return strcmp(((const struct label_view *)a)->key, ((const struct label_view *)b)->key);
}

/* Labels into *buf (grown as needed), sorted by key. */
static int parse_labels(json_t *labels, struct label_view **buf, size_t *n, char *err,
                        size_t errlen)
{
    const char *key;
    size_t klen, count;
    json_t *val;
    char q[64];

    *n = 0;
    if (!labels || json_is_null(labels)) return 0;
    if (!json_is_object(labels)) return bad(err, errlen, "metadata.labels: expected an object");
    count = json_object_size(labels);
    if (count > KUBE_META_MAX_LABELS)
        return bad(err, errlen, "metadata.labels: more than %d", KUBE_META_MAX_LABELS);
    if (count == 0) return 0;
    struct label_view *b = realloc(*buf, count * sizeof(*b));
    if (!b) return oom(err, errlen);
    *buf = b;
    json_object_keylen_foreach(labels, key, klen, val)
    {
        if (strlen(key) != klen || !k8s_label_key(key, klen))
            return bad(err, errlen, "metadata.labels: bad key \"%s\"", shown(key, q));
        if (!json_is_string(val) ||
            !k8s_label_value(json_string_value(val), json_string_length(val)))
            return bad(err, errlen, "metadata.labels[%s]: bad value", shown(key, q));
        b[*n].key = key;
        b[*n].value = json_string_value(val);
        (*n)++;
    }
    qsort(b, *n, sizeof(*b), cmp_label);
    return 0;
}

/* metadata of an object (an event's or a list item's). */
static int parse_meta(json_t *obj, struct kube_object_meta *m, struct label_view **buf, char *err,
                      size_t errlen)
{
    json_t *md = json_is_object(obj) ? json_object_get(obj, "metadata") : NULL;
    json_t *v;
    size_t nlabels;
    int rc;

    memset(m, 0, sizeof(*m));
    if (!json_is_object(md)) return bad(err, errlen, "metadata: expected an object");
    m->object = obj;
    v = json_object_get(md, "name");
    if (!json_is_string(v) || !name_ok(json_string_value(v), json_string_length(v)))
        return bad(err, errlen, "metadata.name: expected 1-253 visible characters, no '/'");
    m->name = json_string_value(v);
    v = json_object_get(md, "namespace");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v)) return bad(err, errlen, "metadata.namespace: expected a string");
        if (json_string_length(v) > 0) {
            if (!k8s_dns_label(json_string_value(v), json_string_length(v)))
                return bad(err, errlen, "metadata.namespace: not a DNS label");
            m->namespace_ = json_string_value(v);
        }
    }
    if ((rc = opt_token(md, "uid", KUBE_UID_MAX, &m->uid, err, errlen))) return rc;
    if ((rc = parse_labels(json_object_get(md, "labels"), buf, &nlabels, err, errlen))) return rc;
    m->labels = nlabels ? *buf : NULL;
    m->nlabels = nlabels;
    return 0;
}

static json_t *load(const char *text, size_t len, size_t max, char *err, size_t errlen)
{
    const struct json_bounds bounds = {
        .max_bytes = max, .flags = JSON_REJECT_DUPLICATES, .object = true};
    char why[256];
    json_t *j;

    if (json_load_bounded(text, len, &bounds, &j, why, sizeof(why))) bad(err, errlen, "%s", why);
    return j;
}

void kube_event_done(struct kube_event *ev)
{
    if (!ev) return;
    json_decref(ev->json_);
    free(ev->labels_);
    memset(ev, 0, sizeof(*ev));
}

static int parse_error_status(json_t *obj, struct kube_event *ev, char *err, size_t errlen)
{
    json_t *code = json_is_object(obj) ? json_object_get(obj, "code") : NULL;
    json_t *v;

    if (!json_is_integer(code)) return bad(err, errlen, "ERROR: object.code: expected an integer");
    json_int_t c = json_integer_value(code);
    if (c < 0 || c > 999) return bad(err, errlen, "ERROR: object.code: out of range");
    ev->code = (long)c;
    v = json_object_get(obj, "reason");
    if (v && !json_is_null(v) && !json_is_string(v))
        return bad(err, errlen, "ERROR: object.reason: expected a string");
    ev->reason = json_string_value(v);
    v = json_object_get(obj, "message");
    if (v && !json_is_null(v) && !json_is_string(v))
        return bad(err, errlen, "ERROR: object.message: expected a string");
    ev->message = json_string_value(v);
    return 0;
}

int kube_event_parse(const char *line, size_t len, struct kube_event *ev, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        enum kube_event_type type;
    } types[] = {{"ADDED", KUBE_EVENT_ADDED},
                 {"MODIFIED", KUBE_EVENT_MODIFIED},
                 {"DELETED", KUBE_EVENT_DELETED},
                 {"BOOKMARK", KUBE_EVENT_BOOKMARK},
                 {"ERROR", KUBE_EVENT_ERROR}};
    const char *type;
    json_t *obj, *md;
    char q[64];
    size_t t;
    int rc;

    memset(ev, 0, sizeof(*ev));
    if (!(ev->json_ = load(line, len, KUBE_EVENT_MAX_BYTES, err, errlen))) return -EINVAL;
    type = json_string_value(json_object_get(ev->json_, "type"));
    if (!type) {
        rc = bad(err, errlen, "type: expected a string");
        goto fail;
    }
    for (t = 0; t < sizeof(types) / sizeof(types[0]) && strcmp(types[t].name, type) != 0; t++)
        ;
    if (t == sizeof(types) / sizeof(types[0])) {
        rc = bad(err, errlen, "type: unknown \"%s\"", shown(type, q));
        goto fail;
    }
    ev->type = types[t].type;
    obj = json_object_get(ev->json_, "object");
    if (!json_is_object(obj)) {
        rc = bad(err, errlen, "%s: object: expected an object", type);
        goto fail;
    }
    if (ev->type == KUBE_EVENT_ERROR) {
        if ((rc = parse_error_status(obj, ev, err, errlen))) goto fail;
        return 0;
    }
    if (ev->type != KUBE_EVENT_BOOKMARK &&
        (rc = parse_meta(obj, &ev->meta, &ev->labels_, err, errlen)))
        goto fail;
    md = json_object_get(obj, "metadata");
    if (!json_is_object(md)) {
        rc = bad(err, errlen, "%s: metadata: expected an object", type);
        goto fail;
    }
    if ((rc = opt_token(md, "resourceVersion", KUBE_RV_MAX, &ev->resource_version, err, errlen)))
        goto fail;
    if (!ev->resource_version) {
        rc = bad(err, errlen, "%s: metadata.resourceVersion: missing", type);
        goto fail;
    }
    return 0;
fail:
    kube_event_done(ev);
    return rc;
}

bool kube_event_is_expired(const struct kube_event *ev)
{
    return ev->type == KUBE_EVENT_ERROR &&
           (ev->code == 410 || (ev->reason && (strcmp(ev->reason, "Expired") == 0 ||
                                               strcmp(ev->reason, "Gone") == 0)));
}

/* --- lists --------------------------------------------------------------------------------- */

void kube_list_done(struct kube_list *l)
{
    if (!l) return;
    json_decref(l->json_);
    free(l->labels_);
    memset(l, 0, sizeof(*l));
}

int kube_list_parse(const char *body, size_t len, struct kube_list *out, char *err, size_t errlen)
{
    json_t *md, *items;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!(out->json_ = load(body, len, KUBE_LIST_MAX_BYTES, err, errlen))) return -EINVAL;
    md = json_object_get(out->json_, "metadata");
    items = json_object_get(out->json_, "items");
    if (!json_is_object(md)) {
        rc = bad(err, errlen, "metadata: expected an object");
        goto fail;
    }
    if ((rc = opt_token(md, "resourceVersion", KUBE_RV_MAX, &out->resource_version, err, errlen)) ||
        (rc = opt_token(md, "continue", KUBE_CONTINUE_MAX, &out->continue_, err, errlen)))
        goto fail;
    if (!out->resource_version) {
        rc = bad(err, errlen, "metadata.resourceVersion: missing");
        goto fail;
    }
    if (items && !json_is_null(items) && !json_is_array(items)) {
        rc = bad(err, errlen, "items: expected an array");
        goto fail;
    }
    out->nitems = json_array_size(items);
    return 0;
fail:
    kube_list_done(out);
    return rc;
}

int kube_list_item(struct kube_list *l, size_t i, struct kube_object_meta *m, char *err,
                   size_t errlen)
{
    json_t *item = json_array_get(json_object_get(l->json_, "items"), i);

    memset(m, 0, sizeof(*m));
    if (!item) return bad(err, errlen, "items[%zu]: missing", i);
    int rc = parse_meta(item, m, &l->labels_, err, errlen);
    if (rc) memset(m, 0, sizeof(*m)); /* nothing half-filled */
    return rc;
}
