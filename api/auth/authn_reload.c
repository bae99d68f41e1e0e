#include "authn_reload.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <h2o/multithread.h>
#include <jansson.h>

#include "backoff.h"
#include "clock.h"
#include "json_load.h"
#include "log.h"
#include "stop_flag.h"
#include "strv.h"

#include "http/loop_queue.h"

/* Read as a one-item list: a list's resourceVersion is the store's current one, from which a
 * watch can start. The object's own is as old as its last change, which etcd compacts away
 * after minutes: a watch from it fails at once with 410, and re-reading the object gives the
 * same old version again (a busy loop the 1,000-node bench found). */
#define CM_PATH                                                                                    \
    "/api/v1/namespaces/kube-system/configmaps?"                                                   \
    "fieldSelector=metadata.name%3Dextension-apiserver-authentication"
#define WATCH_PATH                                                                                 \
    "/api/v1/namespaces/kube-system/configmaps?watch=1&allowWatchBookmarks=true&"                  \
    "timeoutSeconds=300&fieldSelector=metadata.name%3Dextension-apiserver-authentication"
#define MAX_BODY (4u << 20)

static const struct json_bounds body_bounds = {.max_bytes = MAX_BODY, .object = true};
#define BACKOFF_INITIAL_NS (200 * NS_PER_MS)
#define BACKOFF_MAX_NS (30 * NS_PER_SEC)

struct config_msg {
    h2o_multithread_message_t super;
    struct authn_config *config;
};

struct authn_reload {
    struct kube_client *kc;
    struct authn_source flags;
    authn_apply_cb apply;
    void *arg;
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t receiver;
    pthread_t thread;
    bool running;
    struct stop_flag stop;
    struct backoff backoff;
    uint64_t errors;
    char *last_data; /* the data we built the current configuration from */
    char rv[128];
};

static void copy_source(struct authn_source *dst, const struct authn_source *src)
{
    dst->client_ca_pem = src->client_ca_pem ? strdup(src->client_ca_pem) : NULL;
    dst->requestheader_ca_pem =
        src->requestheader_ca_pem ? strdup(src->requestheader_ca_pem) : NULL;
    dst->allowed_names = strv_dup(src->allowed_names);
    dst->username_headers = strv_dup(src->username_headers);
    dst->group_headers = strv_dup(src->group_headers);
    dst->extra_prefixes = strv_dup(src->extra_prefixes);
}

static void drop_config(h2o_multithread_message_t *m)
{
    struct config_msg *cm = H2O_STRUCT_FROM_MEMBER(struct config_msg, super, m);

    authn_config_free(cm->config);
    free(cm);
}

static void on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    struct authn_reload *r = H2O_STRUCT_FROM_MEMBER(struct authn_reload, receiver, receiver);

    while (!h2o_linklist_is_empty(messages)) {
        struct config_msg *m =
            H2O_STRUCT_FROM_MEMBER(struct config_msg, super.link, messages->next);
        h2o_linklist_unlink(&m->super.link);
        r->apply(r->arg, m->config);
        free(m);
    }
}

/* Builds from a ConfigMap object (JSON) and sends it to the loop when its data changed. */
static void consider(struct authn_reload *r, json_t *cm)
{
    json_t *data = json_object_get(cm, "data");
    json_t *rv = json_object_get(json_object_get(cm, "metadata"), "resourceVersion");
    char *text = data ? json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char *whole = cm ? json_dumps(cm, JSON_COMPACT) : NULL;
    struct authn_source from_cm, merged;
    struct authn_config *c;
    struct config_msg *m;
    char err[256];

    if (json_is_string(rv)) snprintf(r->rv, sizeof(r->rv), "%s", json_string_value(rv));
    if (!text || !whole || (r->last_data && strcmp(text, r->last_data) == 0)) goto out;
    if (authn_source_from_configmap(whole, strlen(whole), &from_cm, err, sizeof(err)) != 0) {
        __atomic_fetch_add(&r->errors, 1, __ATOMIC_RELAXED);
        log_error("ConfigMap kube-system/extension-apiserver-authentication refused (keeping "
                  "the current trust configuration): %s",
                  err);
        goto out;
    }
    memset(&merged, 0, sizeof(merged));
    copy_source(&merged, &r->flags);
    authn_source_merge(&merged, &from_cm);
    c = authn_config_new(&merged, err, sizeof(err));
    authn_source_done(&merged);
    if (!c) {
        __atomic_fetch_add(&r->errors, 1, __ATOMIC_RELAXED);
        log_error("ConfigMap kube-system/extension-apiserver-authentication refused (keeping "
                  "the current trust configuration): %s",
                  err);
        goto out;
    }
    if (!(m = calloc(1, sizeof(*m)))) {
        authn_config_free(c);
        goto out;
    }
    m->config = c;
    free(r->last_data);
    r->last_data = text;
    text = NULL;
    log_info("trust configuration loaded from kube-system/extension-apiserver-authentication "
             "(resourceVersion %s)",
             r->rv);
    h2o_multithread_send_message(&r->receiver, &m->super);
out:
    free(text);
    free(whole);
}

static int on_event(void *arg, const char *line, size_t len)
{
    struct authn_reload *r = arg;
    char why[128];
    json_t *ev;
    const char *type;

    json_load_bounded(line, len, &body_bounds, &ev, why, sizeof(why));
    type = json_string_value(json_object_get(ev, "type"));

    if (type && (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0))
        consider(r, json_object_get(ev, "object"));
    else if (type && strcmp(type, "BOOKMARK") == 0)
        consider(r, json_object_get(ev, "object")); /* no data: just the resourceVersion */
    else if (type && strcmp(type, "ERROR") == 0) {
        json_decref(ev);
        return 1; /* e.g. 410 Gone: read the ConfigMap again and re-watch */
    }
    json_decref(ev);
    return 0;
}

static void *run(void *arg)
{
    struct authn_reload *r = arg;

    while (!stop_flag_raised(&r->stop)) {
        struct kube_response resp;
        char err[256], path[512];
        long status = 0;
        int rc = kube_client_request(r->kc, "GET", CM_PATH, NULL, NULL, 10000, MAX_BODY, &resp, err,
                                     sizeof(err));
        if (rc == 0 && resp.status == 200) {
            json_t *list, *rv;

            json_load_bounded(resp.body, resp.len, &body_bounds, &list, err, sizeof(err));
            consider(r, json_array_get(json_object_get(list, "items"), 0));
            rv = json_object_get(json_object_get(list, "metadata"), "resourceVersion");
            if (json_is_string(rv)) snprintf(r->rv, sizeof(r->rv), "%s", json_string_value(rv));
            json_decref(list);
            kube_response_done(&resp);
            snprintf(path, sizeof(path), "%s&resourceVersion=%s", WATCH_PATH, r->rv);
            rc = kube_client_stream(r->kc, path, NULL, 330000, MAX_BODY, on_event, r,
                                    &r->stop.raised, &status, err, sizeof(err));
            if (rc == 0 && status == 200) {
                backoff_reset(&r->backoff); /* the watch ran its course: read, re-watch */
                continue;
            }
            if (rc == 1) {
                /* An ERROR event (410 Gone: the version was compacted): read again, but after
                 * a backoff, so a server that keeps refusing is not asked in a loop. */
                stop_flag_sleep(&r->stop, backoff_next(&r->backoff));
                continue;
            }
        } else if (rc == 0) {
            snprintf(err, sizeof(err), "HTTP %ld", resp.status);
            kube_response_done(&resp);
        }
        if (stop_flag_raised(&r->stop)) break;
        LOG_RATELIMITED(LOG_WARN,
                        "cannot read ConfigMap kube-system/extension-apiserver-authentication: "
                        "%s (retrying)",
                        err);
        stop_flag_sleep(&r->stop, backoff_next(&r->backoff));
    }
    return NULL;
}

struct authn_reload *authn_reload_start(h2o_loop_t *loop, struct kube_client *kc,
                                        const struct authn_source *flags, authn_apply_cb apply,
                                        void *arg, char *err, size_t errlen)
{
    struct authn_reload *r = calloc(1, sizeof(*r));

    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->kc = kc;
    stop_flag_init(&r->stop);
    backoff_init(&r->backoff, BACKOFF_INITIAL_NS, BACKOFF_MAX_NS, BACKOFF_EQUAL_JITTER);
    copy_source(&r->flags, flags);
    r->apply = apply;
    r->arg = arg;
    r->queue = h2o_multithread_create_queue(loop);
    h2o_multithread_register_receiver(r->queue, &r->receiver, on_messages);
    if (flags->client_ca_pem && flags->requestheader_ca_pem) {
        struct authn_config *c = authn_config_new(flags, err, errlen);
        if (!c) {
            authn_reload_stop(r);
            return NULL;
        }
        apply(arg, c);
        return r;
    }
    if (!kc) {
        snprintf(err, errlen, "no API server to read the trust configuration from");
        authn_reload_stop(r);
        return NULL;
    }
    if (pthread_create(&r->thread, NULL, run, r) != 0) {
        snprintf(err, errlen, "cannot start a thread");
        authn_reload_stop(r);
        return NULL;
    }
    r->running = true;
    return r;
}

void authn_reload_stop(struct authn_reload *r)
{
    if (!r) return;
    stop_flag_raise(&r->stop);
    if (r->running) pthread_join(r->thread, NULL);
    stop_flag_done(&r->stop);
    loop_queue_close(r->queue, &r->receiver, drop_config);
    authn_source_done(&r->flags);
    free(r->last_data);
    free(r);
}

uint64_t authn_reload_errors(const struct authn_reload *r)
{
    return __atomic_load_n(&r->errors, __ATOMIC_RELAXED);
}
