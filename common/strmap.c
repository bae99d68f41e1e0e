#include "strmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char tombstone_byte;
#define STRMAP_TOMBSTONE (&tombstone_byte)

/* FNV-1a: keys are short ids and paths; good spread, no setup. */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    while (*s) {
        h ^= (unsigned char)*s++;
        h *= 1099511628211ull;
    }
    return h;
}

void strmap_init(struct strmap *m)
{
    memset(m, 0, sizeof(*m));
}

void strmap_done(struct strmap *m)
{
    free(m->slots);
    strmap_init(m);
}

static struct strmap_slot *find(const struct strmap *m, const char *key)
{
    if (m->cap == 0) return NULL;
    for (size_t i = hash_str(key) & (m->cap - 1), n = 0; n < m->cap;
         i = (i + 1) & (m->cap - 1), n++) {
        struct strmap_slot *s = &m->slots[i];
        if (!s->key) return NULL;
        if (s->key != STRMAP_TOMBSTONE && strcmp(s->key, key) == 0) return s;
    }
    return NULL;
}

void *strmap_get(const struct strmap *m, const char *key)
{
    struct strmap_slot *s = find(m, key);
    return s ? s->value : NULL;
}

static int grow(struct strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    struct strmap_slot *old = m->slots;
    size_t old_cap = m->cap;

    /* Only tombstones would fill it: rehash at the same size. */
    if (m->len * 2 < m->cap) cap = m->cap;
    m->slots = calloc(cap, sizeof(*m->slots));
    if (!m->slots) {
        m->slots = old;
        return -ENOMEM;
    }
    m->cap = cap;
    m->len = 0;
    m->used = 0;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].key && old[i].key != STRMAP_TOMBSTONE) strmap_put(m, old[i].key, old[i].value);
    }
    free(old);
    return 0;
}

int strmap_put(struct strmap *m, const char *key, void *value)
{
    struct strmap_slot *s = find(m, key);
    size_t i;

    if (s) {
        s->key = key;
        s->value = value;
        return 0;
    }
    if ((m->used + 1) * 4 > m->cap * 3 && grow(m)) return -ENOMEM;
    for (i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        s = &m->slots[i];
        if (!s->key || s->key == STRMAP_TOMBSTONE) break;
    }
    if (!s->key) m->used++;
    s->key = key;
    s->value = value;
    m->len++;
    return 0;
}

void *strmap_del(struct strmap *m, const char *key)
{
    struct strmap_slot *s = find(m, key);
    void *v;

    if (!s) return NULL;
    v = s->value;
    s->key = STRMAP_TOMBSTONE;
    s->value = NULL;
    m->len--;
    return v;
}

int strmap_next(const struct strmap *m, size_t *iter, const char **key, void **value)
{
    for (; *iter < m->cap; (*iter)++) {
        struct strmap_slot *s = &m->slots[*iter];
        if (s->key && s->key != STRMAP_TOMBSTONE) {
            *key = s->key;
            *value = s->value;
            (*iter)++;
            return 1;
        }
    }
    return 0;
}
