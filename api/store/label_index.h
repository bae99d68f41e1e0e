/* The labels of every pod and node the API server knows, for the store to put in metadata.labels
 * and match labelSelectors against. Event-loop side: one thread only, no locks.
 *
 * Pods are keyed "namespace/name" and remember their uid; nodes are keyed by name. Memory is
 * kept small: one allocation per object (key and a 16-byte binary uid inline), and label
 * sets interned whole and shared (the replicas of a Deployment carry identical labels, so
 * thousands of pods point at one set); no allocation per label.
 *
 * Relists are mark-and-sweep: relist_begin starts a new generation, every upsert marks its
 * entry, relist_end drops the entries of that kind left unmarked. A listener hears of every
 * key whose labels or uid changed (or that came or went), so pre-rendered output can be
 * refreshed. */
#ifndef KMETRICS_LABEL_INDEX_H
#define KMETRICS_LABEL_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics_model.h"

enum label_kind { LABEL_POD = 0, LABEL_NODE = 1 };

typedef void (*label_index_listener)(void *arg, enum label_kind kind, const char *key);

struct label_index;

struct label_index *label_index_new(void);
void label_index_free(struct label_index *li);
void label_index_set_listener(struct label_index *li, label_index_listener fn, void *arg);

void label_index_relist_begin(struct label_index *li, enum label_kind kind);
/* Adds or replaces one object's labels (sorted by key, as kube_watch hands them out). Pods need
 * a namespace; nodes have none. uid may be NULL; only a canonical UUID is kept (anything else
 * means "no uid": name matching). Keys and values must be free of control characters.
 * 0, -EINVAL, or -ENOMEM (then the index is unchanged). */
int label_index_upsert(struct label_index *li, enum label_kind kind, const char *namespace_,
                       const char *name, const char *uid, const struct label_view *labels,
                       size_t nlabels);
/* Removes it (a DELETED event). With a uid, only an entry with that uid (or none) goes: a
 * late delete must not remove the pod that replaced it under the same name. */
void label_index_delete(struct label_index *li, enum label_kind kind, const char *namespace_,
                        const char *name, const char *uid);
void label_index_relist_end(struct label_index *li, enum label_kind kind);

/* A pod's labels by "namespace/name". uid is what the caller knows of the pod (NULL: nothing):
 * when both it and the entry are UUIDs and they differ, the entry is another pod of the same
 * name and nothing is returned. Labels stay valid until the next change to the index. */
bool label_index_pod(const struct label_index *li, const char *key, const char *uid,
                     const struct label_view **labels, size_t *nlabels);
/* The same by namespace and name, with the binary uid of a pod sent with a canonical UUID
 * (NULL: not known as one). */
bool label_index_pod_bin(const struct label_index *li, const char *namespace_, const char *name,
                         const uint8_t *uid, const struct label_view **labels, size_t *nlabels);
/* The uid (binary, from a canonical UUID) of the pod the API server knows by this namespace
 * and name; false when it knows none or without a uid. */
bool label_index_pod_uid(const struct label_index *li, const char *namespace_, const char *name,
                         uint8_t uid[16]);
bool label_index_node(const struct label_index *li, const char *name,
                      const struct label_view **labels, size_t *nlabels);

struct label_index_stats {
    size_t pods, nodes;
    size_t sets;  /* distinct label sets */
    size_t bytes; /* requested by entries, sets and hash tables (malloc's own overhead aside) */
};
void label_index_get_stats(const struct label_index *li, struct label_index_stats *out);

/* Parses a canonical UUID (8-4-4-4-12 hex, either case) into 16 bytes. */
bool label_index_uuid(const char *s, uint8_t out[16]);

#endif
