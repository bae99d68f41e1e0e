/* The aggregator's memory: per node and per container, the recent CPU samples the collectors
 * shipped and their newest memory figures. Applies shipments (full or delta, with sequence
 * checks), answers "rate over the window" and "newest working set", drops silent nodes, and
 * stays bounded: each series keeps a fixed number of points whatever arrives. */
#ifndef KMETRICS_STORE_H
#define KMETRICS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu_series.h"
#include "strmap.h"
#include "wire/wire.h"

#include "label_index.h"
#include "pod_index.h"
#include "metrics_model.h"
#include "selector.h"
#include "signal_index.h"
#include "store_series.h"

/* The node's CPU history on the collectors' wall-clock sample times (common/cpu_series.h):
 * exact nanoseconds, any node size. Containers use the packed store_series. */
struct node_series {
    struct cpu_series s;
    struct cpu_point ring[STORE_POINTS];
};

/* A series' rate over the store's window, computed when samples arrive (every ship interval)
 * rather than on every read. window_ns == 0: no rate yet. */
struct store_rate {
    uint64_t nanocores;
    int64_t window_ns;
    int64_t end_ns;
};

#define STORE_NOT_MEASURED UINT64_MAX /* a memory figure the collector did not send */

/* 128 bytes: at a million containers every field counts. */
struct store_container {
    /* A 64-bit hash of the container's 32-byte id: what tells a pod's few containers apart (two
     * of one pod colliding is a 2^-64 chance), at a quarter of the id's memory. */
    uint64_t id_hash;
    /* Interned (store.names): the runtime's name, or "container-<first 12 hex of the id>" for
     * a container it did not name (made once, when the container is first seen). */
    const char *name;
    struct store_series cpu; /* with its current rate's window */
    uint64_t working_set;    /* newest figures, or STORE_NOT_MEASURED */
    uint64_t swap;
};

struct store_node;

/* A pod's signals (wire version 2) as custom.metrics.k8s.io serves them: its containers'
 * newest windows combined (the most stalled container's stall, throttling and OOM kills
 * summed, the worst run-queue percentiles, waits summed) and its traffic. Kept in
 * store.signals by pod uid, made when the first arrive: 136 bytes and a table slot for a pod
 * that has them, nothing for one that has not. */
struct store_signal_window {
    int64_t end_real_ns; /* 0: none yet */
    uint32_t window_ms;
    uint8_t have; /* enum wire_signal_have */
    uint32_t stall_some_usec[WIRE_PRESSURES], stall_full_usec[WIRE_PRESSURES];
    uint32_t periods, throttled_periods, throttled_usec;
    uint32_t oom_kills, oom_kills_total;
    uint32_t runq_waits, runq_p50_us, runq_p99_us;
};

struct store_traffic {
    int64_t end_real_ns;
    uint32_t window_ms;
    uint8_t source; /* enum wire_net_source; WIRE_NET_NONE: none yet */
    uint64_t rx_bytes, tx_bytes;
    uint32_t rx_packets, rx_drops, tx_packets, tx_drops; /* saturated at 2^32-1 */
};

struct store_pod_signals {
    uint8_t uid[16]; /* the pod's (signal_index.c's key) */
    struct store_signal_window w;
    struct store_traffic net;
};

/* One pod, its name and its containers in one allocation: the fixed fields, the name, then (at
 * an 8-byte boundary, store_pod_containers) the containers. A pod whose names change or that
 * gains a container moves to a new allocation, and every reference to it follows. */
struct store_pod {
    uint8_t uid[16]; /* binary; uid_dashed: sent as a canonical UUID, else as 32 hex */
    bool uid_dashed : 1;
    bool named : 1;  /* namespace and name both known: only then can the API address it */
    bool listed : 1; /* named by the full snapshot being applied */
    uint8_t name_len;
    uint16_t ncontainers;
    uint32_t nlabels;
    const char *namespace_; /* interned (store.names): a cluster has few namespaces */
    struct store_node *node;
    /* Its labels in the label index, looked up when the pod is named or the index tells of a
     * change to its API object (store_labels_changed), not on every read: a hash lookup per
     * pod was half of a full LIST's time. Only a pod the name index holds keeps them (a pod
     * another took the name from is never served, and its pointer is cleared). */
    const struct label_view *labels;
    struct store_pod *next; /* in node->pods */
    char name[];            /* then the containers */
};

_Static_assert(WIRE_POD_NAME_MAX <= UINT8_MAX, "a pod name's length fits name_len");

/* Where a pod's containers start: after its name, 8-byte aligned. */
static inline size_t store_pod_containers_offset(size_t name_len)
{
    return (offsetof(struct store_pod, name) + name_len + 1 + 7) & ~(size_t)7;
}

static inline struct store_container *store_pod_containers(const struct store_pod *p)
{
    return (struct store_container *)((char *)p + store_pod_containers_offset(p->name_len));
}

/* Where a node's figures came from. */
enum store_source {
    STORE_SOURCE_COLLECTOR, /* its kmetrics collector's shipments */
    STORE_SOURCE_KUBELET,   /* the kubelet-scrape fallback (api/kubelet/) */
    STORE_SOURCES,
};

struct store_node {
    char *name;
    uint8_t source; /* enum store_source of what was applied last */
    uint64_t instance;
    uint64_t last_seq;
    int64_t last_ship_mono_ns;
    int64_t expiry_ns; /* 3 of the collector's ship intervals, or the store's default */
    /* Not expired before this, silent or not: the kubelet-scrape fallback keeps a silent
     * collector's last figures while its first scrape waits for a second (store_node_keep). */
    int64_t keep_until_mono_ns;
    int64_t first_seen_ns;
    uint32_t cpu_cores;
    uint64_t memory_capacity;
    struct node_series cpu;
    struct store_rate rate;
    struct wire_usage memory;
    struct store_pod *pods;
    size_t npods;
    size_t ncontainers;
};

struct store_stats {
    uint64_t nodes_dropped_stale;
    uint64_t resyncs_requested;
};

struct store {
    int64_t window_ns;                        /* --metric-resolution */
    struct cpu_series_params cpu_params;      /* nodes */
    struct store_series_params series_params; /* containers */
    int64_t node_expiry_ns;      /* a node silent this long is dropped, unless its collector says
                                    its ship interval (then 3 of those) */
    struct strmap nodes;         /* name -> store_node */
    struct pod_index pods;       /* by namespace and name (named pods) */
    struct pod_index uids;       /* by uid */
    struct strmap names;         /* interned container names and namespaces (few distinct, shared
                                    by thousands) */
    struct signal_index signals; /* pods' signal records, by uid (only pods that have some) */
    size_t npods;
    size_t ncontainers;
    struct store_stats stats;
    /* Named pods sorted by namespace/name, rebuilt only when membership or names change
     * (shipments mostly just add samples): LISTs neither sort nor scan other namespaces. */
    uint64_t membership_gen;
    struct store_pod **sorted;
    size_t nsorted;
    uint64_t sorted_gen;
    /* Labels from the API server (kube_labels.c), NULL without one. A pod takes the labels of
     * the API object of its namespace/name, unless both uids are UUIDs and differ (another
     * pod of that name); pods the API server does not know are served without labels. */
    const struct label_index *labels;
    /* --node-selector: nodes whose labels do not match, and their pods, are not served
     * (NULL: every node). Node labels come from the API server: none in standalone mode. */
    const struct selector *node_selector;
};

void store_init(struct store *s, int64_t window_ns, int64_t node_expiry_ns);
/* Whether node n is served: it matches --node-selector (always without one). */
bool store_node_selected(const struct store *s, const struct store_node *n);
/* The same by name (a node the store may not hold yet). */
bool store_node_name_selected(const struct store *s, const char *name);
void store_done(struct store *s);

enum store_apply_result {
    STORE_APPLIED = 0,
    STORE_NEED_FULL, /* unknown instance or a sequence gap: ask for a full snapshot */
    STORE_DUPLICATE, /* seq already applied: acknowledged, nothing changes */
};

/* Applies a decoded shipment for its node. now_mono_ns stamps the node's freshness. A shipment
 * whose node differs from authenticated_node (when not NULL) must be refused by the caller
 * before this. Returns -ENOMEM on allocation failure (the node is then dropped whole rather
 * than left half-updated). */
int store_apply(struct store *s, const struct wire_shipment *ship, int64_t now_mono_ns,
                enum store_apply_result *result);
/* The same for figures from another source (the kubelet-scrape fallback turns a scrape into a
 * full shipment with its own instance): a shipment of another instance replaces the node's
 * pods whatever their source, so the two never add up. */
int store_apply_from(struct store *s, const struct wire_shipment *ship, enum store_source source,
                     int64_t now_mono_ns, enum store_apply_result *result);
/* Nodes and pods held, by the source of their node's figures (arrays of STORE_SOURCES). */
void store_count_by_source(const struct store *s, size_t *nodes, size_t *pods);
/* A node by name, NULL when none is held. */
const struct store_node *store_node_get(const struct store *s, const char *name);

/* A named pod, NULL when unknown. */
struct store_pod *store_find_pod(const struct store *s, const char *ns, const char *name);
/* The pod's signal record (wire version 2), or NULL when none was shipped. */
const struct store_pod_signals *store_pod_signals(const struct store *s, const struct store_pod *p);
/* The pod's uid as it was sent. */
void store_pod_uid(const struct store_pod *p, char out[WIRE_UID_MAX + 1]);

/* Named pods in namespace/name order; with ns, only that namespace's. Valid until the next
 * store change. NULL with *n = 0 on allocation failure. */
struct store_pod *const *store_sorted_pods(struct store *s, const char *ns, size_t *n);

/* Uses li (NULL: none) for metadata.labels from now on: every pod's labels are looked up
 * again. */
void store_set_label_index(struct store *s, const struct label_index *li);
/* The labels or uid of key's API object ("namespace/name" for pods, name for nodes) changed,
 * or it came or went: that pod's labels are looked up again (a label_index listener: the index
 * calls it for every change, before anything could read labels it has freed). */
void store_labels_changed(struct store *s, enum label_kind kind, const char *key);
/* A pod's labels (none without an index or a matching API object), as last looked up; valid
 * until the index changes. */
void store_pod_labels(const struct store *s, const struct store_pod *p,
                      const struct label_view **labels, size_t *nlabels);

/* Drops node name and its pods now (when held). */
void store_node_drop(struct store *s, const char *name);
/* Keeps node name (when held) from expiring before until_mono_ns. */
void store_node_keep(struct store *s, const char *name, int64_t until_mono_ns);
/* Drops nodes not heard from within node_expiry_ns; returns how many. */
size_t store_expire(struct store *s, int64_t now_mono_ns);

/* Views for rendering. The callbacks get views valid only during the call. */
bool store_node_view(const struct store *s, const struct store_node *n,
                     struct node_metrics_view *out);
/* Fills containers (caller array of at least p->ncontainers) and out; false when no container
 * has a CPU rate yet (the pod is not served). */
bool store_pod_view(const struct store *s, const struct store_pod *p,
                    struct container_metrics_view *containers, struct pod_metrics_view *out);

#endif
