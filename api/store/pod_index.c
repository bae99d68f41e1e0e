#include "pod_index.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static char tombstone_byte;
#define TOMBSTONE ((struct store_pod *)(void *)&tombstone_byte)

/* Tables index by the low bits: every input bit must reach them (uids are often sequential
 * in their first bytes, and a multiply alone leaves low bits to low bits). */
static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

uint64_t pod_index_hash_uid(const uint8_t uid[16])
{
    uint64_t a, b;

    memcpy(&a, uid, 8);
    memcpy(&b, uid + 8, 8);
    return mix(a ^ mix(b));
}

/* FNV-1a over "namespace\0name", mixed. */
static uint64_t hash_name(const char *ns, const char *name)
{
    uint64_t h = 1469598103934665603ull;

    for (const char *c = ns;; c++) {
        h ^= (unsigned char)*c;
        h *= 1099511628211ull;
        if (!*c) break;
    }
    for (const char *c = name; *c; c++) {
        h ^= (unsigned char)*c;
        h *= 1099511628211ull;
    }
    return mix(h);
}

static uint64_t hash_pod(enum pod_index_kind kind, const struct store_pod *p)
{
    return kind == POD_BY_UID ? pod_index_hash_uid(p->uid) : hash_name(p->namespace_, p->name);
}

static bool same_key(enum pod_index_kind kind, const struct store_pod *a, const struct store_pod *b)
{
    if (kind == POD_BY_UID) return memcmp(a->uid, b->uid, 16) == 0;
    return a->namespace_ == b->namespace_ && strcmp(a->name, b->name) == 0; /* interned ns */
}

void pod_index_init(struct pod_index *x, enum pod_index_kind kind)
{
    memset(x, 0, sizeof(*x));
    x->kind = kind;
}

void pod_index_done(struct pod_index *x)
{
    free(x->slots);
    pod_index_init(x, x->kind);
}

struct store_pod *pod_index_by_uid(const struct pod_index *x, const uint8_t uid[16])
{
    if (x->cap == 0) return NULL;
    for (size_t i = pod_index_hash_uid(uid) & (x->cap - 1), n = 0; n < x->cap;
         i = (i + 1) & (x->cap - 1), n++) {
        struct store_pod *p = x->slots[i];
        if (!p) return NULL;
        if (p != TOMBSTONE && memcmp(p->uid, uid, 16) == 0) return p;
    }
    return NULL;
}

struct store_pod *pod_index_by_name(const struct pod_index *x, const char *ns, const char *name)
{
    if (x->cap == 0) return NULL;
    for (size_t i = hash_name(ns, name) & (x->cap - 1), n = 0; n < x->cap;
         i = (i + 1) & (x->cap - 1), n++) {
        struct store_pod *p = x->slots[i];
        if (!p) return NULL;
        if (p != TOMBSTONE && strcmp(p->name, name) == 0 && strcmp(p->namespace_, ns) == 0)
            return p;
    }
    return NULL;
}

/* The slot holding p's key, or NULL. */
static struct store_pod **find(const struct pod_index *x, const struct store_pod *p)
{
    if (x->cap == 0) return NULL;
    for (size_t i = hash_pod(x->kind, p) & (x->cap - 1), n = 0; n < x->cap;
         i = (i + 1) & (x->cap - 1), n++) {
        struct store_pod *q = x->slots[i];
        if (!q) return NULL;
        if (q != TOMBSTONE && same_key(x->kind, q, p)) return &x->slots[i];
    }
    return NULL;
}

static void insert_new(struct pod_index *x, struct store_pod *p)
{
    size_t i = hash_pod(x->kind, p) & (x->cap - 1);

    while (x->slots[i] && x->slots[i] != TOMBSTONE)
        i = (i + 1) & (x->cap - 1);
    if (!x->slots[i]) x->used++;
    x->slots[i] = p;
    x->len++;
}

static int grow(struct pod_index *x)
{
    size_t cap = x->cap ? x->cap * 2 : 16, old_cap = x->cap;
    struct store_pod **old = x->slots;

    if (x->len * 2 < x->cap) cap = x->cap; /* mostly tombstones: rehash at the same size */
    x->slots = calloc(cap, sizeof(*x->slots));
    if (!x->slots) {
        x->slots = old;
        return -ENOMEM;
    }
    x->cap = cap;
    x->len = 0;
    x->used = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i] && old[i] != TOMBSTONE) insert_new(x, old[i]);
    free(old);
    return 0;
}

int pod_index_put(struct pod_index *x, struct store_pod *p)
{
    struct store_pod **at = find(x, p);

    if (at) {
        *at = p;
        return 0;
    }
    if ((x->used + 1) * 4 > x->cap * 3 && grow(x)) return -ENOMEM;
    insert_new(x, p);
    return 0;
}

void pod_index_del(struct pod_index *x, const struct store_pod *p)
{
    struct store_pod **at = find(x, p);

    if (!at || *at != p) return;
    *at = TOMBSTONE;
    x->len--;
}

struct store_pod *pod_index_next(const struct pod_index *x, size_t *iter)
{
    for (; *iter < x->cap; (*iter)++) {
        struct store_pod *p = x->slots[*iter];
        if (p && p != TOMBSTONE) {
            (*iter)++;
            return p;
        }
    }
    return NULL;
}
