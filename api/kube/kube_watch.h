/* A reflector: on its own thread, LISTs a Kubernetes collection (paginated, metadata only),
 * then WATCHes it from the list's resourceVersion, forever. Watches that end are resumed from
 * the last resourceVersion seen (events and bookmarks advance it); failures are retried with
 * exponential backoff (200 ms doubling to 30 s, with jitter); a resourceVersion the server no
 * longer has (410 Gone, an ERROR event with code 410 or reason Expired) starts a new list.
 *
 * It keeps nothing but the resourceVersion: the callbacks, run on the watch thread, decide
 * what to keep. After relist_begin every object present is reported once (ADDED), then
 * relist_end: objects not reported since relist_begin are gone. A list that fails half-way is
 * retried from relist_begin again, and relist_end is only called for a complete one.
 *
 * Objects are requested as PartialObjectMetadata (meta.k8s.io/v1, or v1beta1 when a server
 * answers 406 to v1), so only metadata crosses the wire, unless full_objects asks for whole
 * objects (the kubelet-scrape fallback needs a Node's status.addresses). Event lines that do not
 * parse (see kube_watch_event.h) are skipped with a rate-limited log line. See docs/kube-client.md.
 */
#ifndef KMETRICS_KUBE_WATCH_H
#define KMETRICS_KUBE_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "kube_client.h"
#include "kube_watch_event.h" /* struct kube_object_meta */

enum kube_watch_event { KUBE_WATCH_ADDED, KUBE_WATCH_MODIFIED, KUBE_WATCH_DELETED };

struct kube_watch_callbacks {
    void (*relist_begin)(void *arg); /* a full list starts */
    void (*object)(void *arg, enum kube_watch_event ev, const struct kube_object_meta *m);
    void (*relist_end)(void *arg); /* list complete: objects not seen since relist_begin are gone */
    /* connected: list done and watch stream open (reported once per connection); false +
     * reason on every failure (at most one per backoff period), so the latest reason is
     * known. */
    void (*state)(void *arg, bool connected, const char *why);
};

/* Tunables, mostly for tests; zero fields take the defaults. */
struct kube_watch_options {
    unsigned page_size;      /* LIST limit, default 500 */
    long backoff_initial_ms; /* default 200 */
    long backoff_max_ms;     /* default 30000 */
    long watch_timeout_s;    /* server-side timeoutSeconds, default 300-600 s at random */
    long list_timeout_ms;    /* per page, default 60000 */
    bool full_objects;       /* whole objects, not PartialObjectMetadata (meta.object) */
};

struct kube_watch;

/* list_path: the collection, e.g. "/api/v1/pods" (may carry a query, e.g. a fieldSelector).
 * cb is copied; callbacks may be NULL. kc must outlive the watch. NULL with err on failure. */
struct kube_watch *kube_watch_start(struct kube_client *kc, const char *list_path,
                                    const struct kube_watch_callbacks *cb, void *arg, char *err,
                                    size_t errlen);
struct kube_watch *kube_watch_start_opts(struct kube_client *kc, const char *list_path,
                                         const struct kube_watch_callbacks *cb, void *arg,
                                         const struct kube_watch_options *opts, char *err,
                                         size_t errlen);
/* Prompt: raises the stop flag, wakes any backoff sleep, joins the thread (within about
 * half a second: requests see the flag every 200 ms). No callback runs after it returns. */
void kube_watch_stop(struct kube_watch *w);

/* Counters, readable from any thread (tests, self-metrics). */
struct kube_watch_stats {
    unsigned long lists;      /* complete lists */
    unsigned long watches;    /* watch requests opened with 2xx */
    unsigned long expired;    /* 410/Expired seen: a relist followed */
    unsigned long failures;   /* failed lists or watches */
    unsigned long bad_events; /* lines skipped */
};
void kube_watch_get_stats(const struct kube_watch *w, struct kube_watch_stats *out);

#endif
