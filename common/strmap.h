/* Open-addressing hash map from NUL-terminated string keys to pointers. The map does not own
 * keys or values: a key must stay valid while its entry is in the map (callers point it at a
 * field of the value). */
#ifndef KMETRICS_STRMAP_H
#define KMETRICS_STRMAP_H

#include <stddef.h>

struct strmap_slot {
    const char *key; /* NULL: empty; STRMAP_TOMBSTONE: deleted */
    void *value;
};

struct strmap {
    struct strmap_slot *slots;
    size_t cap; /* power of two, or 0 */
    size_t len;
    size_t used; /* live + tombstones */
};

void strmap_init(struct strmap *m);
void strmap_done(struct strmap *m);
void *strmap_get(const struct strmap *m, const char *key);
/* Inserts or replaces. Returns 0 or -ENOMEM. */
int strmap_put(struct strmap *m, const char *key, void *value);
/* Removes and returns the value, or NULL when absent. */
void *strmap_del(struct strmap *m, const char *key);

/* Iteration: for (size_t i = 0; strmap_next(m, &i, &k, &v);) */
int strmap_next(const struct strmap *m, size_t *iter, const char **key, void **value);

#endif
