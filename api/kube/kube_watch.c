#include "kube_watch.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "backoff.h"
#include "clock.h"
#include "hex.h"
#include "json_load.h"
#include "log.h"
#include "random.h"
#include "stop_flag.h"

#define ACCEPT_LIST_V1 "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
#define ACCEPT_WATCH_V1 "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"
#define ACCEPT_LIST_V1BETA1 "application/json;as=PartialObjectMetadataList;v=v1beta1;g=meta.k8s.io"
#define ACCEPT_WATCH_V1BETA1 "application/json;as=PartialObjectMetadata;v=v1beta1;g=meta.k8s.io"
#define ACCEPT_FULL "application/json" /* opts.full_objects */

/* A watch that ends sooner than this without an event counts as a failure for backoff (a
 * server that accepts and hangs up at once must not be hammered). */
#define QUICK_END_NS 1000000000LL
/* A watch that stayed open this long (or delivered events) resets the backoff. */
#define HEALTHY_NS 10000000000LL
#define LIST_RESTARTS_MAX 3 /* expired continue tokens in a row before the list counts failed */

struct kube_watch {
    struct kube_client *kc;
    char *path;
    char sep; /* '?' or '&': what joins our query to list_path's */
    struct kube_watch_callbacks cb;
    void *arg;
    struct kube_watch_options o;
    pthread_t thread;
    struct stop_flag stop;

    /* watch thread only */
    char rv[KUBE_RV_MAX + 1];
    bool connected, state_reported;
    bool beta; /* the server refused meta.k8s.io/v1 partial metadata */
    uint64_t rng;
    struct backoff backoff;
    /* the current watch stream */
    unsigned long events;
    bool expired;
    char why[512];

    struct kube_watch_stats stats; /* __atomic */
};

static void stat_inc(unsigned long *c)
{
    __atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

void kube_watch_get_stats(const struct kube_watch *w, struct kube_watch_stats *out)
{
    out->lists = __atomic_load_n(&w->stats.lists, __ATOMIC_RELAXED);
    out->watches = __atomic_load_n(&w->stats.watches, __ATOMIC_RELAXED);
    out->expired = __atomic_load_n(&w->stats.expired, __ATOMIC_RELAXED);
    out->failures = __atomic_load_n(&w->stats.failures, __ATOMIC_RELAXED);
    out->bad_events = __atomic_load_n(&w->stats.bad_events, __ATOMIC_RELAXED);
}

/* Connected: reported on the change only. Failures: every one (at most one per backoff
 * period), so the consumer always holds the latest reason. */
static void set_state(struct kube_watch *w, bool connected, const char *why)
{
    if (connected && w->state_reported && w->connected) return;
    if (connected)
        log_info("watch %s: connected", w->path);
    else if (!w->state_reported || w->connected)
        log_warn("watch %s: %s", w->path, why);
    else
        LOG_RATELIMITED(LOG_WARN, "watch %s: still failing: %s", w->path, why);
    w->connected = connected;
    w->state_reported = true;
    if (w->cb.state) w->cb.state(w->arg, connected, why);
}

/* Appends "key=value" to the URL being built, percent-encoding value. */
static void url_param(char *url, size_t cap, size_t *len, const char *key, const char *value)
{
    int n = snprintf(url + *len, cap - *len,
                     "%s%s=", *len && url[*len - 1] != '?' && url[*len - 1] != '&' ? "&" : "", key);
    if (n < 0 || (size_t)n >= cap - *len) return;
    *len += (size_t)n;
    for (const unsigned char *p = (const unsigned char *)value; *p && *len + 4 < cap; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            url[(*len)++] = (char)*p;
        } else {
            url[(*len)++] = '%';
            url[(*len)++] = hex_upper[*p >> 4];
            url[(*len)++] = hex_upper[*p & 15];
        }
    }
    url[*len] = '\0';
}

static size_t url_start(const struct kube_watch *w, char *url, size_t cap)
{
    int n = snprintf(url, cap, "%s%c", w->path, w->sep);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* A failed response's reason for a one-line message: the metav1.Status message when the body
 * is one, else the start of the body; printable either way. */
static void excerpt(char *out, size_t cap, const char *body, size_t len)
{
    static const struct json_bounds bounds = {.max_bytes = 1u << 20};
    char why[64];
    json_t *j;

    json_load_bounded(body, len, &bounds, &j, why, sizeof(why)); /* not JSON: the raw body */
    const char *msg = json_string_value(json_object_get(j, "message"));
    size_t k = 0;

    if (msg) {
        body = msg;
        len = strlen(msg);
    }
    for (size_t i = 0; i < len && k + 1 < cap && k < 300; i++)
        out[k++] = body[i] >= 0x20 && body[i] < 0x7f ? body[i] : ' ';
    out[k] = '\0';
    json_decref(j);
}

static void list_items(struct kube_watch *w, struct kube_list *page)
{
    for (size_t i = 0; i < page->nitems; i++) {
        struct kube_object_meta m;
        char err[256];

        if (kube_list_item(page, i, &m, err, sizeof(err))) {
            stat_inc(&w->stats.bad_events);
            LOG_RATELIMITED(LOG_WARN, "list %s: skipping an item: %s", w->path, err);
            continue;
        }
        if (w->cb.object) w->cb.object(w->arg, KUBE_WATCH_ADDED, &m);
    }
}

/* One complete, paginated LIST: relist_begin, every object, relist_end; w->rv set. 0, or -1
 * with w->why (or -ECANCELED when stopped). */
static int do_list(struct kube_watch *w)
{
    char *cont = NULL, *url;
    size_t cap = strlen(w->path) + KUBE_CONTINUE_MAX * 3 + 128;
    int restarts = 0, rc = -1;
    bool begun = false;

    if (!(url = malloc(cap))) {
        snprintf(w->why, sizeof(w->why), "list: out of memory");
        return -1;
    }
    for (;;) {
        struct kube_response r;
        struct kube_list page;
        char err[512], num[16];
        size_t len = url_start(w, url, cap);

        snprintf(num, sizeof(num), "%u", w->o.page_size);
        url_param(url, cap, &len, "limit", num);
        if (cont) url_param(url, cap, &len, "continue", cont);
        int e = kube_client_request_stop(w->kc, "GET", url,
                                         w->o.full_objects ? ACCEPT_FULL
                                         : w->beta         ? ACCEPT_LIST_V1BETA1
                                                           : ACCEPT_LIST_V1,
                                         NULL, w->o.list_timeout_ms, KUBE_LIST_MAX_BYTES,
                                         &w->stop.raised, &r, err, sizeof(err));
        if (e == -ECANCELED) {
            rc = -ECANCELED;
            break;
        }
        if (e) {
            snprintf(w->why, sizeof(w->why), "list: %s", err);
            break;
        }
        if (r.status == 406 && !w->beta && !w->o.full_objects) {
            log_info("list %s: meta.k8s.io/v1 partial metadata refused, using v1beta1", w->path);
            w->beta = true;
            kube_response_done(&r);
            free(cont);
            cont = NULL;
            continue;
        }
        if (r.status == 410 && cont && ++restarts <= LIST_RESTARTS_MAX) {
            /* The continue token outlived etcd's history: start the list again. */
            stat_inc(&w->stats.expired);
            kube_response_done(&r);
            free(cont);
            cont = NULL;
            continue;
        }
        if (r.status != 200) {
            excerpt(err, sizeof(err), r.body, r.len);
            snprintf(w->why, sizeof(w->why), "list: HTTP %ld: %s", r.status, err);
            kube_response_done(&r);
            break;
        }
        e = kube_list_parse(r.body, r.len, &page, err, sizeof(err));
        kube_response_done(&r);
        if (e) {
            snprintf(w->why, sizeof(w->why), "list: bad response: %s", err);
            break;
        }
        if (!begun && w->cb.relist_begin) w->cb.relist_begin(w->arg);
        begun = true;
        list_items(w, &page);
        free(cont);
        cont = page.continue_ ? strdup(page.continue_) : NULL;
        if (page.continue_ && !cont) {
            kube_list_done(&page);
            snprintf(w->why, sizeof(w->why), "list: out of memory");
            break;
        }
        if (!cont) {
            snprintf(w->rv, sizeof(w->rv), "%s", page.resource_version);
            kube_list_done(&page);
            if (w->cb.relist_end) w->cb.relist_end(w->arg);
            stat_inc(&w->stats.lists);
            rc = 0;
            break;
        }
        kube_list_done(&page);
        if (stop_flag_raised(&w->stop)) {
            rc = -ECANCELED;
            break;
        }
    }
    free(cont);
    free(url);
    return rc;
}

/* --- the watch stream ----------------------------------------------------------------------- */

enum { LINE_EXPIRED = 1, LINE_ERROR = 2 };

static void on_open(void *arg, long status)
{
    struct kube_watch *w = arg;

    if (status < 200 || status > 299) return;
    stat_inc(&w->stats.watches);
    set_state(w, true, "watching");
}

static int on_line(void *arg, const char *line, size_t len)
{
    struct kube_watch *w = arg;
    struct kube_event ev;
    char err[256];

    if (len == 0) return 0;
    if (kube_event_parse(line, len, &ev, err, sizeof(err))) {
        stat_inc(&w->stats.bad_events);
        LOG_RATELIMITED(LOG_WARN, "watch %s: skipping an event: %s", w->path, err);
        return 0;
    }
    switch (ev.type) {
    case KUBE_EVENT_ADDED:
    case KUBE_EVENT_MODIFIED:
    case KUBE_EVENT_DELETED:
        if (w->cb.object)
            w->cb.object(w->arg,
                         ev.type == KUBE_EVENT_ADDED      ? KUBE_WATCH_ADDED
                         : ev.type == KUBE_EVENT_MODIFIED ? KUBE_WATCH_MODIFIED
                                                          : KUBE_WATCH_DELETED,
                         &ev.meta);
        w->events++;
        /* fall through */
    case KUBE_EVENT_BOOKMARK:
        snprintf(w->rv, sizeof(w->rv), "%s", ev.resource_version);
        kube_event_done(&ev);
        return 0;
    case KUBE_EVENT_ERROR:
        break;
    }
    if (kube_event_is_expired(&ev)) {
        w->expired = true;
        kube_event_done(&ev);
        return LINE_EXPIRED;
    }
    snprintf(w->why, sizeof(w->why), "watch: error event %ld %s: %.300s", ev.code,
             ev.reason ? ev.reason : "", ev.message ? ev.message : "");
    kube_event_done(&ev);
    return LINE_ERROR;
}

enum watch_end { WATCH_RESUME, WATCH_RELIST, WATCH_FAILED, WATCH_STOPPED };

static enum watch_end do_watch(struct kube_watch *w, bool *quick, bool *healthy)
{
    size_t cap = strlen(w->path) + 512;
    char *url = malloc(cap), err[512], num[24];
    long timeout_s = w->o.watch_timeout_s, status = 0;
    int64_t t0 = clock_mono_ns(), lasted;
    size_t len;
    int rc;

    if (!url) {
        snprintf(w->why, sizeof(w->why), "watch: out of memory");
        return WATCH_FAILED;
    }
    if (timeout_s <= 0) timeout_s = 300 + (long)(random_next(&w->rng) % 301); /* as client-go */
    len = url_start(w, url, cap);
    url_param(url, cap, &len, "watch", "1");
    url_param(url, cap, &len, "allowWatchBookmarks", "true");
    url_param(url, cap, &len, "resourceVersion", w->rv);
    snprintf(num, sizeof(num), "%ld", timeout_s);
    url_param(url, cap, &len, "timeoutSeconds", num);
    w->events = 0;
    w->expired = false;
    rc = kube_client_stream_open(w->kc, url,
                                 w->o.full_objects ? ACCEPT_FULL
                                 : w->beta         ? ACCEPT_WATCH_V1BETA1
                                                   : ACCEPT_WATCH_V1,
                                 (timeout_s + 30) * 1000, KUBE_EVENT_MAX_BYTES, on_open, on_line, w,
                                 &w->stop.raised, &status, err, sizeof(err));
    free(url);
    lasted = clock_mono_ns() - t0;
    *quick = lasted < QUICK_END_NS && w->events == 0;
    *healthy = lasted >= HEALTHY_NS || w->events > 0;
    if (rc == -ECANCELED) return WATCH_STOPPED;
    if (rc == LINE_EXPIRED || (rc == 0 && status == 410)) {
        stat_inc(&w->stats.expired);
        log_info("watch %s: resourceVersion %s expired, listing again", w->path, w->rv);
        return WATCH_RELIST;
    }
    if (rc == LINE_ERROR) return WATCH_FAILED;
    if (rc < 0) {
        snprintf(w->why, sizeof(w->why), "watch: %s", err);
        return WATCH_FAILED;
    }
    if (status == 406 && !w->beta && !w->o.full_objects) {
        w->beta = true;
        return WATCH_RELIST;
    }
    if (status < 200 || status > 299) {
        snprintf(w->why, sizeof(w->why), "watch: %s", err);
        return WATCH_FAILED;
    }
    if (*quick) {
        snprintf(w->why, sizeof(w->why), "watch: the server ended it at once");
        return WATCH_FAILED;
    }
    return WATCH_RESUME; /* timeoutSeconds ran out, or the server closed: carry on */
}

static void *watch_main(void *arg)
{
    struct kube_watch *w = arg;
    bool need_list = true;

    while (!stop_flag_raised(&w->stop)) {
        bool quick = false, healthy = false;
        enum watch_end end;

        if (need_list) {
            int rc = do_list(w);
            if (rc == -ECANCELED) break;
            if (rc) {
                stat_inc(&w->stats.failures);
                set_state(w, false, w->why);
                if (!stop_flag_sleep(&w->stop, backoff_next(&w->backoff))) break;
                continue;
            }
            need_list = false;
        }
        end = do_watch(w, &quick, &healthy);
        if (healthy) backoff_reset(&w->backoff);
        switch (end) {
        case WATCH_STOPPED:
            break;
        case WATCH_RESUME:
            continue;
        case WATCH_RELIST:
            need_list = true;
            if (!quick) continue;
            break; /* 410 right away again: back off before listing */
        case WATCH_FAILED:
            stat_inc(&w->stats.failures);
            set_state(w, false, w->why);
            break;
        }
        if (end == WATCH_STOPPED || !stop_flag_sleep(&w->stop, backoff_next(&w->backoff))) break;
    }
    return NULL;
}

struct kube_watch *kube_watch_start_opts(struct kube_client *kc, const char *list_path,
                                         const struct kube_watch_callbacks *cb, void *arg,
                                         const struct kube_watch_options *opts, char *err,
                                         size_t errlen)
{
    struct kube_watch *w;
    sigset_t all, old;
    int rc;

    if (!kc || !list_path || list_path[0] != '/') {
        snprintf(err, errlen, "watch: bad arguments");
        return NULL;
    }
    w = calloc(1, sizeof(*w));
    if (!w || !(w->path = strdup(list_path))) {
        free(w);
        snprintf(err, errlen, "watch: out of memory");
        return NULL;
    }
    w->kc = kc;
    w->sep = strchr(list_path, '?') ? '&' : '?';
    if (cb) w->cb = *cb;
    w->arg = arg;
    if (opts) w->o = *opts;
    if (!w->o.page_size) w->o.page_size = 500;
    if (w->o.backoff_initial_ms <= 0) w->o.backoff_initial_ms = 200;
    if (w->o.backoff_max_ms <= 0) w->o.backoff_max_ms = 30000;
    if (w->o.list_timeout_ms <= 0) w->o.list_timeout_ms = 60000;
    w->rng = random_seed();
    /* Equal jitter, so replicas that lost the API server together do not come back together. */
    backoff_init(&w->backoff, w->o.backoff_initial_ms * NS_PER_MS, w->o.backoff_max_ms * NS_PER_MS,
                 BACKOFF_EQUAL_JITTER);
    stop_flag_init(&w->stop);
    /* Signals stay with the threads that handle them. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&w->thread, NULL, watch_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        snprintf(err, errlen, "watch: thread: %s", strerror(rc));
        stop_flag_done(&w->stop);
        free(w->path);
        free(w);
        return NULL;
    }
    return w;
}

struct kube_watch *kube_watch_start(struct kube_client *kc, const char *list_path,
                                    const struct kube_watch_callbacks *cb, void *arg, char *err,
                                    size_t errlen)
{
    return kube_watch_start_opts(kc, list_path, cb, arg, NULL, err, errlen);
}

void kube_watch_stop(struct kube_watch *w)
{
    if (!w) return;
    stop_flag_raise(&w->stop);
    pthread_join(w->thread, NULL);
    stop_flag_done(&w->stop);
    free(w->path);
    free(w);
}
