#include "signal_index.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pod_index.h"
#include "store.h"

static char tombstone_byte;
#define TOMBSTONE ((struct store_pod_signals *)(void *)&tombstone_byte)

void signal_index_init(struct signal_index *x)
{
    memset(x, 0, sizeof(*x));
}

void signal_index_done(struct signal_index *x)
{
    for (size_t i = 0; i < x->cap; i++)
        if (x->slots[i] != TOMBSTONE) free(x->slots[i]);
    free(x->slots);
    signal_index_init(x);
}

/* The slot holding uid's record, or NULL. */
static struct store_pod_signals **find(const struct signal_index *x, const uint8_t uid[16])
{
    if (x->cap == 0) return NULL;
    for (size_t i = pod_index_hash_uid(uid) & (x->cap - 1), n = 0; n < x->cap;
         i = (i + 1) & (x->cap - 1), n++) {
        struct store_pod_signals *g = x->slots[i];
        if (!g) return NULL;
        if (g != TOMBSTONE && memcmp(g->uid, uid, 16) == 0) return &x->slots[i];
    }
    return NULL;
}

struct store_pod_signals *signal_index_get(const struct signal_index *x, const uint8_t uid[16])
{
    struct store_pod_signals **at = find(x, uid);

    return at ? *at : NULL;
}

static void insert_new(struct signal_index *x, struct store_pod_signals *g)
{
    size_t i = pod_index_hash_uid(g->uid) & (x->cap - 1);

    while (x->slots[i] && x->slots[i] != TOMBSTONE)
        i = (i + 1) & (x->cap - 1);
    if (!x->slots[i]) x->used++;
    x->slots[i] = g;
    x->len++;
}

static bool grow(struct signal_index *x)
{
    size_t cap = x->cap ? x->cap * 2 : 16, old_cap = x->cap;
    struct store_pod_signals **old = x->slots;

    if (x->len * 2 < x->cap) cap = x->cap; /* mostly tombstones: rehash at the same size */
    x->slots = calloc(cap, sizeof(*x->slots));
    if (!x->slots) {
        x->slots = old;
        return false;
    }
    x->cap = cap;
    x->len = x->used = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i] && old[i] != TOMBSTONE) insert_new(x, old[i]);
    free(old);
    return true;
}

struct store_pod_signals *signal_index_get_or_add(struct signal_index *x, const uint8_t uid[16])
{
    struct store_pod_signals *g = signal_index_get(x, uid);

    if (g) return g;
    if ((x->used + 1) * 4 > x->cap * 3 && !grow(x)) return NULL;
    if (!(g = calloc(1, sizeof(*g)))) return NULL;
    memcpy(g->uid, uid, 16);
    insert_new(x, g);
    return g;
}

void signal_index_del(struct signal_index *x, const uint8_t uid[16])
{
    struct store_pod_signals **at = find(x, uid);

    if (!at) return;
    free(*at);
    *at = TOMBSTONE;
    x->len--;
}
