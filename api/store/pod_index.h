/* The store's two ways to find a pod: by binary uid (every shipment names its pods so) and by
 * namespace and name (API reads). An open-addressing table of pod pointers, hashed on the
 * pod's own fields: 8 bytes a slot and no key strings kept (a map of "namespace/name" strings
 * to pods cost a key copy and 16-byte slots per pod). */
#ifndef KMETRICS_POD_INDEX_H
#define KMETRICS_POD_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct store_pod;

enum pod_index_kind { POD_BY_UID, POD_BY_NAME };

struct pod_index {
    enum pod_index_kind kind;
    struct store_pod **slots;
    size_t cap; /* power of two, or 0 */
    size_t len;
    size_t used; /* live + tombstones */
};

void pod_index_init(struct pod_index *x, enum pod_index_kind kind);
void pod_index_done(struct pod_index *x);
struct store_pod *pod_index_by_uid(const struct pod_index *x, const uint8_t uid[16]);
struct store_pod *pod_index_by_name(const struct pod_index *x, const char *ns, const char *name);
/* Adds p, replacing a pod with the same key. 0 or -ENOMEM. */
int pod_index_put(struct pod_index *x, struct store_pod *p);
/* Removes p if it is the one held under its key. */
void pod_index_del(struct pod_index *x, const struct store_pod *p);
/* The hash of a binary pod uid the table uses (signal_index.c uses it too). */
uint64_t pod_index_hash_uid(const uint8_t uid[16]);
/* Iteration: for (size_t i = 0; (p = pod_index_next(x, &i));) */
struct store_pod *pod_index_next(const struct pod_index *x, size_t *iter);

#endif
