/* Pod and node labels from the API server into the store. Two reflectors (kube_watch.c) on
 * /api/v1/pods and /api/v1/nodes pack each change into a message for the h2o event loop
 * (h2o's multithread queue); on the loop the messages update a label_index that the store
 * reads for metadata.labels and labelSelectors, and each changed pod's pre-rendered protobuf
 * message is rendered again. Nothing the request handlers read is touched off the loop.
 *
 * Every function here runs on the loop thread. */
#ifndef KMETRICS_KUBE_LABELS_H
#define KMETRICS_KUBE_LABELS_H

#include <stdbool.h>
#include <stddef.h>

#include <h2o.h>

#include "kube_client.h"
#include "kube_watch.h"
#include "node_address.h"
#include "store/label_index.h"
#include "store/store.h"

struct kube_labels;

/* Attaches a label index to store and starts both reflectors. kc must outlive it. NULL with
 * err on failure. */
struct kube_labels *kube_labels_start(struct store *store, h2o_loop_t *loop, struct kube_client *kc,
                                      char *err, size_t errlen);
/* What the node watch also tells of nodes' kubelets (the kubelet-scrape fallback), on the
 * loop thread: a relist begins; a node's endpoint (NULL and why when it has none usable); a
 * node is gone; the relist is complete (nodes not told of since its beginning are gone). */
enum kube_node_change {
    KUBE_NODE_RELIST_BEGIN,
    KUBE_NODE_UPSERT,
    KUBE_NODE_DELETE,
    KUBE_NODE_RELIST_END
};
typedef void (*kube_node_listener)(void *arg, enum kube_node_change change, const char *name,
                                   const struct node_endpoint *ep, const char *why);

struct kube_labels_options {
    const struct kube_watch_options *watch; /* reflector tunables (tests); NULL: defaults */
    /* Non-NULL: the node watch reads whole Node objects and hands each node's kubelet
     * endpoint, chosen by these rules, to node_listener. */
    const struct node_address_rules *node_rules;
    kube_node_listener node_listener;
    void *node_arg;
};

/* The same with options (o may be NULL). */
struct kube_labels *kube_labels_start_opts(struct store *store, h2o_loop_t *loop,
                                           struct kube_client *kc,
                                           const struct kube_labels_options *o, char *err,
                                           size_t errlen);
/* Both lists have completed at least once (and reached the loop). */
bool kube_labels_synced(const struct kube_labels *kl);
/* Both watches currently connected; otherwise why says which and the last reason. */
bool kube_labels_connected(const struct kube_labels *kl, char *why, size_t whylen);
/* Stops the reflectors, detaches the index from the store (pods are rendered again without
 * labels) and frees everything. NULL is ignored. */
void kube_labels_stop(struct kube_labels *kl);

/* For tests and self-metrics. */
const struct label_index *kube_labels_index(const struct kube_labels *kl);

#endif
