#include "kube_labels.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <h2o/multithread.h>
#include <h2o/version.h>

#include "log.h"

#include "http/loop_queue.h"

#define BATCH_BYTES (256u << 10) /* list pages go to the loop in messages about this big */

enum op { OP_RELIST_BEGIN, OP_OBJECTS, OP_RELIST_END, OP_STATE };

/* One message from a watch thread to the loop. OP_OBJECTS carries records, each:
 * event (1 byte), label count (4 bytes), then NUL-terminated namespace, name, uid and each
 * label's key and value; a node's, when endpoints are wanted, then its kubelet endpoint: 1 byte
 * (1: found), then host, port (2 bytes) and IPv6 flag (1 byte), or the reason there is none.
 * OP_STATE carries the reason as its data. */
struct msg {
    h2o_multithread_message_t super; /* first */
    enum label_kind kind;
    enum op op;
    bool connected;
    size_t len, cap;
    char data[];
};

struct side {
    struct kube_labels *kl;
    enum label_kind kind;
    struct kube_watch *watch;
    /* watch thread */
    struct msg *batch; /* objects of a list in progress */
    bool listing;
    /* loop thread */
    bool synced, connected;
    char why[256];
};

struct kube_labels {
    struct store *store;
    /* With node_rules: whole Node objects are watched and each node's kubelet endpoint goes
     * to node_listener (the kubelet-scrape fallback). Read by the node watch thread and the
     * loop; set before either starts. */
    struct node_address_rules node_rules;
    bool want_endpoints;
    kube_node_listener node_listener;
    void *node_arg;
    struct label_index *li;
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t receiver;
    struct side side[2]; /* by label_kind */
    /* loop thread: labels of the record being applied */
    struct label_view *views;
    size_t views_cap;
};

static const char *kind_name(enum label_kind k)
{
    return k == LABEL_POD ? "pods" : "nodes";
}

/* --- watch thread ----------------------------------------------------------------------------- */

static struct msg *msg_new(struct side *sd, enum op op, size_t cap)
{
    struct msg *m = malloc(sizeof(*m) + cap);

    if (!m) return NULL;
    memset(m, 0, sizeof(*m));
    m->kind = sd->kind;
    m->op = op;
    m->cap = cap;
    return m;
}

static void msg_send(struct side *sd, struct msg *m)
{
    h2o_multithread_send_message(&sd->kl->receiver, &m->super);
}

static void send_op(struct side *sd, enum op op)
{
    struct msg *m = msg_new(sd, op, 0);

    if (m)
        msg_send(sd, m);
    else
        log_error("labels: out of memory: a %s list is lost", kind_name(sd->kind));
}

static void flush_batch(struct side *sd)
{
    if (sd->batch) msg_send(sd, sd->batch);
    sd->batch = NULL;
}

static size_t str_size(const char *s)
{
    return (s ? strlen(s) : 0) + 1;
}

static void put_str(struct msg *m, const char *s)
{
    size_t n = str_size(s);
    memcpy(m->data + m->len, s ? s : "", n);
    m->len += n;
}

static void on_relist_begin(void *arg)
{
    struct side *sd = arg;

    sd->listing = true;
    send_op(sd, OP_RELIST_BEGIN);
}

static void on_object(void *arg, enum kube_watch_event ev, const struct kube_object_meta *m)
{
    struct side *sd = arg;
    size_t need = 5 + str_size(m->namespace_) + str_size(m->name) + str_size(m->uid);
    uint32_t n = (uint32_t)m->nlabels;
    bool endpoint = sd->kind == LABEL_NODE && sd->kl->want_endpoints;
    struct node_endpoint ep;
    char why[192] = "";
    bool found = false;

    if (endpoint) {
        found = ev != KUBE_WATCH_DELETED &&
                node_endpoint_of(m->object, &sd->kl->node_rules, &ep, why, sizeof(why)) == 0;
        need += 1 + (found ? str_size(ep.host) + 3 : str_size(why));
    }
    for (size_t i = 0; i < m->nlabels; i++)
        need += str_size(m->labels[i].key) + str_size(m->labels[i].value);
    if (sd->batch && sd->batch->len + need > sd->batch->cap) flush_batch(sd);
    if (!sd->batch) {
        sd->batch =
            msg_new(sd, OP_OBJECTS, need > BATCH_BYTES || !sd->listing ? need : BATCH_BYTES);
        if (!sd->batch) {
            log_error("labels: out of memory: a %s change is lost", kind_name(sd->kind));
            return;
        }
    }
    struct msg *b = sd->batch;
    b->data[b->len++] = (char)ev;
    memcpy(b->data + b->len, &n, 4);
    b->len += 4;
    put_str(b, m->namespace_);
    put_str(b, m->name);
    put_str(b, m->uid);
    for (size_t i = 0; i < m->nlabels; i++) {
        put_str(b, m->labels[i].key);
        put_str(b, m->labels[i].value);
    }
    if (endpoint) {
        b->data[b->len++] = (char)found;
        if (found) {
            put_str(b, ep.host);
            memcpy(b->data + b->len, &ep.port, 2);
            b->data[b->len + 2] = (char)ep.ipv6;
            b->len += 3;
        } else {
            put_str(b, why);
        }
    }
    if (!sd->listing) flush_batch(sd); /* a watch event: to the loop at once */
}

static void on_relist_end(void *arg)
{
    struct side *sd = arg;

    flush_batch(sd);
    sd->listing = false;
    send_op(sd, OP_RELIST_END);
}

static void on_state(void *arg, bool connected, const char *why)
{
    struct side *sd = arg;
    size_t n = strlen(why) + 1;
    struct msg *m;

    /* A list cut short leaves its objects (still marked for a sweep that will come with the
     * next complete list); send them on. */
    flush_batch(sd);
    sd->listing = false;
    if (!(m = msg_new(sd, OP_STATE, n))) return;
    m->connected = connected;
    memcpy(m->data, why, n);
    m->len = n;
    msg_send(sd, m);
}

/* --- loop thread ------------------------------------------------------------------------------ */

static const char *take_str(const struct msg *m, size_t *off)
{
    const char *s = m->data + *off;
    *off += strlen(s) + 1;
    return s;
}

/* A node record's endpoint, to the listener. */
static void take_endpoint(struct kube_labels *kl, const struct msg *m, size_t *off,
                          enum kube_watch_event ev, const char *name)
{
    bool found = m->data[(*off)++];
    struct node_endpoint ep;
    const char *why = NULL;

    memset(&ep, 0, sizeof(ep));
    if (found) {
        snprintf(ep.host, sizeof(ep.host), "%s", take_str(m, off));
        memcpy(&ep.port, m->data + *off, 2);
        ep.ipv6 = m->data[*off + 2];
        *off += 3;
    } else {
        why = take_str(m, off);
    }
    if (!kl->node_listener) return;
    if (ev == KUBE_WATCH_DELETED)
        kl->node_listener(kl->node_arg, KUBE_NODE_DELETE, name, NULL, NULL);
    else
        kl->node_listener(kl->node_arg, KUBE_NODE_UPSERT, name, found ? &ep : NULL, why);
}

static void node_relist(struct kube_labels *kl, const struct msg *m, enum kube_node_change c)
{
    if (m->kind == LABEL_NODE && kl->want_endpoints && kl->node_listener)
        kl->node_listener(kl->node_arg, c, NULL, NULL, NULL);
}

static void apply_objects(struct kube_labels *kl, const struct msg *m)
{
    size_t off = 0;

    while (off < m->len) {
        enum kube_watch_event ev = (enum kube_watch_event)m->data[off++];
        uint32_t n;
        memcpy(&n, m->data + off, 4);
        off += 4;
        const char *ns = take_str(m, &off), *name = take_str(m, &off), *uid = take_str(m, &off);
        if (n > kl->views_cap) {
            struct label_view *v = realloc(kl->views, n * sizeof(*v));
            if (!v) {
                log_error("labels: out of memory");
                return;
            }
            kl->views = v;
            kl->views_cap = n;
        }
        for (uint32_t i = 0; i < n; i++) {
            kl->views[i].key = take_str(m, &off);
            kl->views[i].value = take_str(m, &off);
        }
        if (m->kind == LABEL_NODE && kl->want_endpoints) take_endpoint(kl, m, &off, ev, name);
        if (ev == KUBE_WATCH_DELETED) {
            label_index_delete(kl->li, m->kind, ns[0] ? ns : NULL, name, uid[0] ? uid : NULL);
            continue;
        }
        int rc = label_index_upsert(kl->li, m->kind, ns[0] ? ns : NULL, name, uid[0] ? uid : NULL,
                                    kl->views, n);
        if (rc)
            LOG_RATELIMITED(LOG_WARN, "labels: %s %s%s%s not kept: %s", kind_name(m->kind), ns,
                            ns[0] ? "/" : "", name, strerror(-rc));
    }
}

static void apply(struct kube_labels *kl, const struct msg *m)
{
    struct side *sd = &kl->side[m->kind];

    switch (m->op) {
    case OP_RELIST_BEGIN:
        label_index_relist_begin(kl->li, m->kind);
        node_relist(kl, m, KUBE_NODE_RELIST_BEGIN);
        break;
    case OP_OBJECTS:
        apply_objects(kl, m);
        break;
    case OP_RELIST_END:
        label_index_relist_end(kl->li, m->kind);
        node_relist(kl, m, KUBE_NODE_RELIST_END);
        if (!sd->synced) log_info("labels: %s synced", kind_name(m->kind));
        sd->synced = true;
        break;
    case OP_STATE:
        sd->connected = m->connected;
        snprintf(sd->why, sizeof(sd->why), "%s", m->data);
        break;
    }
}

static void on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    struct kube_labels *kl = H2O_STRUCT_FROM_MEMBER(struct kube_labels, receiver, receiver);

    while (!h2o_linklist_is_empty(messages)) {
        struct msg *m = H2O_STRUCT_FROM_MEMBER(struct msg, super.link, messages->next);
        h2o_linklist_unlink(&m->super.link);
        apply(kl, m);
        free(m);
    }
}

static void on_label_change(void *arg, enum label_kind kind, const char *key)
{
    store_labels_changed(arg, kind, key);
}

/* --- lifetime --------------------------------------------------------------------------------- */

struct kube_labels *kube_labels_start_opts(struct store *store, h2o_loop_t *loop,
                                           struct kube_client *kc,
                                           const struct kube_labels_options *o, char *err,
                                           size_t errlen)
{
    static const char *const paths[2] = {
        [LABEL_POD] = "/api/v1/pods", [LABEL_NODE] = "/api/v1/nodes"};
    static const struct kube_watch_callbacks cb = {
        .relist_begin = on_relist_begin,
        .object = on_object,
        .relist_end = on_relist_end,
        .state = on_state,
    };
    struct kube_labels *kl = calloc(1, sizeof(*kl));

    if (!kl || !(kl->li = label_index_new())) {
        free(kl);
        snprintf(err, errlen, "labels: out of memory");
        return NULL;
    }
    kl->store = store;
    if (o && o->node_rules) {
        kl->node_rules = *o->node_rules;
        kl->want_endpoints = true;
        kl->node_listener = o->node_listener;
        kl->node_arg = o->node_arg;
    }
    label_index_set_listener(kl->li, on_label_change, store);
    store_set_label_index(store, kl->li);
    kl->queue = h2o_multithread_create_queue(loop);
    h2o_multithread_register_receiver(kl->queue, &kl->receiver, on_messages);
    for (int k = 0; k < 2; k++) {
        struct side *sd = &kl->side[k];
        sd->kl = kl;
        sd->kind = (enum label_kind)k;
        snprintf(sd->why, sizeof(sd->why), "not connected yet");
        struct kube_watch_options wo = {0};
        if (o && o->watch) wo = *o->watch;
        /* A Node's addresses are in its status, which partial metadata leaves out. */
        wo.full_objects = k == LABEL_NODE && kl->want_endpoints;
        sd->watch = kube_watch_start_opts(kc, paths[k], &cb, sd, &wo, err, errlen);
        if (!sd->watch) {
            kube_labels_stop(kl);
            return NULL;
        }
    }
    return kl;
}

struct kube_labels *kube_labels_start(struct store *store, h2o_loop_t *loop, struct kube_client *kc,
                                      char *err, size_t errlen)
{
    return kube_labels_start_opts(store, loop, kc, NULL, err, errlen);
}

bool kube_labels_synced(const struct kube_labels *kl)
{
    return kl->side[LABEL_POD].synced && kl->side[LABEL_NODE].synced;
}

bool kube_labels_connected(const struct kube_labels *kl, char *why, size_t whylen)
{
    for (int k = 0; k < 2; k++) {
        if (!kl->side[k].connected) {
            if (why && whylen)
                snprintf(why, whylen, "%s: %s", kind_name((enum label_kind)k), kl->side[k].why);
            return false;
        }
    }
    if (why && whylen) snprintf(why, whylen, "connected");
    return true;
}

const struct label_index *kube_labels_index(const struct kube_labels *kl)
{
    return kl->li;
}

static void drop_msg(h2o_multithread_message_t *m)
{
    free(H2O_STRUCT_FROM_MEMBER(struct msg, super, m));
}

void kube_labels_stop(struct kube_labels *kl)
{
    if (!kl) return;
    for (int k = 0; k < 2; k++) {
        kube_watch_stop(kl->side[k].watch); /* joined: no more messages */
        free(kl->side[k].batch);
    }
    /* Sent but never delivered: dropped. */
    loop_queue_close(kl->queue, &kl->receiver, drop_msg);
    store_set_label_index(kl->store, NULL);
    label_index_free(kl->li);
    free(kl->views);
    free(kl);
}
