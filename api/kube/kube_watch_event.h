/* Parsers for what a Kubernetes list/watch sends back, metadata only: one watch event line
 * ({"type":..., "object":{... "metadata":{...}}}) and one list page ({"metadata":{
 * "resourceVersion", "continue"}, "items":[{"metadata":{...}}, ...]}). Pure: no I/O, no
 * globals, outside input is hostile.
 *
 * Rules (an object breaking one is refused, -EINVAL with a one-line reason in err):
 * - JSON at most KUBE_EVENT_MAX_BYTES, duplicate keys refused, strings without NUL.
 * - metadata.name: 1-253 bytes of visible ASCII without '/' or '%' (any resource's name can be
 *   a path segment); metadata.namespace absent, null or "" (cluster-scoped) or a DNS label;
 *   metadata.uid absent or 1-64 bytes of visible ASCII.
 * - metadata.labels absent, null or an object of at most KUBE_META_MAX_LABELS string values,
 *   each key a qualified name (optional DNS-subdomain prefix and '/') and each value a label
 *   value, as the API server validates them. Handed out sorted by key.
 * - resourceVersion and continue tokens: visible ASCII, at most KUBE_RV_MAX and
 *   KUBE_CONTINUE_MAX bytes.
 * - Event types ADDED, MODIFIED, DELETED (an object with metadata), BOOKMARK (only
 *   metadata.resourceVersion is read), ERROR (a metav1.Status: integer code, optional reason
 *   and message). Unknown types are refused. */
#ifndef KMETRICS_KUBE_WATCH_EVENT_H
#define KMETRICS_KUBE_WATCH_EVENT_H

#include <stdbool.h>
#include <stddef.h>

#include "metrics_model.h"

#define KUBE_EVENT_MAX_BYTES (8u << 20) /* etcd holds objects up to 1.5 MiB */
#define KUBE_LIST_MAX_BYTES (256u << 20)
#define KUBE_META_MAX_LABELS 1024
#define KUBE_RV_MAX 64
#define KUBE_CONTINUE_MAX 4096
#define KUBE_UID_MAX 64

struct json_t; /* jansson's */

struct kube_object_meta {
    const struct json_t *object; /* the whole object, metadata included (valid as the rest) */
    const char *namespace_;      /* NULL: cluster-scoped */
    const char *name;
    const char *uid;                 /* NULL when the object has none */
    const struct label_view *labels; /* sorted by key */
    size_t nlabels;
};

enum kube_event_type {
    KUBE_EVENT_ADDED,
    KUBE_EVENT_MODIFIED,
    KUBE_EVENT_DELETED,
    KUBE_EVENT_BOOKMARK,
    KUBE_EVENT_ERROR,
};

/* One parsed line. Strings point into memory the struct owns until kube_event_done. */
struct kube_event {
    enum kube_event_type type;
    const char *resource_version; /* every type but ERROR */
    struct kube_object_meta meta; /* ADDED, MODIFIED, DELETED */
    long code;                    /* ERROR: the Status code */
    const char *reason;           /* ERROR: may be NULL */
    const char *message;          /* ERROR: may be NULL */
    void *json_;                  /* private */
    struct label_view *labels_;   /* private */
};

/* 0, or -EINVAL (bad input) / -ENOMEM with the event zeroed and a reason in err. */
int kube_event_parse(const char *line, size_t len, struct kube_event *ev, char *err, size_t errlen);
void kube_event_done(struct kube_event *ev);

/* An ERROR saying the resourceVersion is too old (410 Gone, reason Expired or Gone): only a
 * new list helps. */
bool kube_event_is_expired(const struct kube_event *ev);

/* One page of a list. */
struct kube_list {
    const char *resource_version;
    const char *continue_; /* NULL on the last page */
    size_t nitems;
    void *json_;                /* private */
    struct label_view *labels_; /* private */
};

/* 0, or -EINVAL / -ENOMEM with the list zeroed and a reason in err. Items are not checked
 * here: kube_list_item checks each, so one bad item does not lose the page. */
int kube_list_parse(const char *body, size_t len, struct kube_list *out, char *err, size_t errlen);
/* Item i's metadata, valid until the next call or kube_list_done; -EINVAL for a bad item. */
int kube_list_item(struct kube_list *l, size_t i, struct kube_object_meta *m, char *err,
                   size_t errlen);
void kube_list_done(struct kube_list *l);

#endif
