#include "label_index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "strmap.h"

#define KEY_MAX (63 + 1 + 253) /* namespace/name */

/* One interned label set: views, then the strings they point at ("k\0v\0..."), then its map
 * key ("k\1v\2k\1v\2...": NUL-free, since keys and values hold no control characters). */
struct label_set {
    uint32_t refs, n;
    size_t bytes; /* of this allocation */
    const char *canon;
    struct label_view v[];
};

/* One pod or node: its key inline. */
struct entry {
    struct label_set *set; /* NULL: no labels */
    uint32_t mark;
    bool has_uid;
    uint8_t uid[16];
    char key[];
};

struct label_index {
    struct strmap map[2]; /* by label_kind: key -> entry */
    struct strmap sets;   /* canon -> label_set */
    uint32_t gen[2];
    size_t bytes;
    label_index_listener listener;
    void *listener_arg;
    char *scratch; /* canonical form being looked up */
    size_t scratch_cap;
};

struct label_index *label_index_new(void)
{
    struct label_index *li = calloc(1, sizeof(*li));

    if (!li) return NULL;
    strmap_init(&li->map[LABEL_POD]);
    strmap_init(&li->map[LABEL_NODE]);
    strmap_init(&li->sets);
    return li;
}

static void set_release(struct label_index *li, struct label_set *s)
{
    if (!s || --s->refs) return;
    strmap_del(&li->sets, s->canon);
    li->bytes -= s->bytes;
    free(s);
}

static void entry_free(struct label_index *li, struct entry *e)
{
    set_release(li, e->set);
    li->bytes -= sizeof(*e) + strlen(e->key) + 1;
    free(e);
}

void label_index_free(struct label_index *li)
{
    const char *k;
    void *v;

    if (!li) return;
    for (int kind = 0; kind < 2; kind++) {
        for (size_t it = 0; strmap_next(&li->map[kind], &it, &k, &v);)
            entry_free(li, v);
        strmap_done(&li->map[kind]);
    }
    strmap_done(&li->sets); /* empty: every set went with its last entry */
    free(li->scratch);
    free(li);
}

void label_index_set_listener(struct label_index *li, label_index_listener fn, void *arg)
{
    li->listener = fn;
    li->listener_arg = arg;
}

static void notify(struct label_index *li, enum label_kind kind, const char *key)
{
    if (li->listener) li->listener(li->listener_arg, kind, key);
}

bool label_index_uuid(const char *s, uint8_t out[16])
{
    size_t o = 0, i = 0;

    if (!s || strlen(s) != 36) return false;
    while (i < 36) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i++] != '-') return false;
            continue;
        }
        int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[o++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    return o == 16;
}

static bool clean(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return false;
    return true;
}

/* The interned set for labels (a new reference), NULL for none; *err = -ENOMEM on failure. */
static struct label_set *set_get(struct label_index *li, const struct label_view *labels, size_t n,
                                 int *err)
{
    size_t canon_len = 0, strings = 0, off;
    struct label_set *s;
    char *p;

    *err = 0;
    if (n == 0) return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t kl = strlen(labels[i].key), vl = strlen(labels[i].value);
        canon_len += kl + vl + 2;
        strings += kl + vl + 2;
    }
    if (canon_len + 1 > li->scratch_cap) {
        char *b = realloc(li->scratch, canon_len + 1);
        if (!b) {
            *err = -ENOMEM;
            return NULL;
        }
        li->scratch = b;
        li->scratch_cap = canon_len + 1;
    }
    off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t kl = strlen(labels[i].key), vl = strlen(labels[i].value);
        memcpy(li->scratch + off, labels[i].key, kl);
        li->scratch[off + kl] = '\1';
        memcpy(li->scratch + off + kl + 1, labels[i].value, vl);
        li->scratch[off + kl + 1 + vl] = '\2';
        off += kl + vl + 2;
    }
    li->scratch[off] = '\0';
    if ((s = strmap_get(&li->sets, li->scratch))) {
        s->refs++;
        return s;
    }
    size_t bytes = sizeof(*s) + n * sizeof(s->v[0]) + strings + canon_len + 1;
    if (!(s = malloc(bytes))) {
        *err = -ENOMEM;
        return NULL;
    }
    s->refs = 1;
    s->n = (uint32_t)n;
    s->bytes = bytes;
    p = (char *)&s->v[n];
    for (size_t i = 0; i < n; i++) {
        size_t kl = strlen(labels[i].key) + 1, vl = strlen(labels[i].value) + 1;
        memcpy(p, labels[i].key, kl);
        s->v[i].key = p;
        memcpy(p + kl, labels[i].value, vl);
        s->v[i].value = p + kl;
        p += kl + vl;
    }
    memcpy(p, li->scratch, canon_len + 1);
    s->canon = p;
    if (strmap_put(&li->sets, s->canon, s)) {
        free(s);
        *err = -ENOMEM;
        return NULL;
    }
    li->bytes += bytes;
    return s;
}

/* "namespace/name" for pods, "name" for nodes; false when they do not fit the kind. */
static bool make_key(enum label_kind kind, const char *ns, const char *name, char *key)
{
    size_t nl = name ? strlen(name) : 0, nsl = ns ? strlen(ns) : 0;

    if (nl == 0 || nl > 253 || strchr(name, '/')) return false;
    if (kind == LABEL_NODE) {
        if (nsl) return false;
        memcpy(key, name, nl + 1);
        return true;
    }
    if (nsl == 0 || nsl > 63 || strchr(ns, '/')) return false;
    memcpy(key, ns, nsl);
    key[nsl] = '/';
    memcpy(key + nsl + 1, name, nl + 1);
    return true;
}

void label_index_relist_begin(struct label_index *li, enum label_kind kind)
{
    li->gen[kind]++;
}

int label_index_upsert(struct label_index *li, enum label_kind kind, const char *namespace_,
                       const char *name, const char *uid, const struct label_view *labels,
                       size_t nlabels)
{
    char key[KEY_MAX + 1];
    uint8_t u[16];
    bool has_uid = label_index_uuid(uid, u);
    struct label_set *set;
    struct entry *e;
    int err;

    if (!make_key(kind, namespace_, name, key) || nlabels > UINT32_MAX) return -EINVAL;
    for (size_t i = 0; i < nlabels; i++)
        if (!labels[i].key || !labels[i].value || !clean(labels[i].key) || !clean(labels[i].value))
            return -EINVAL;
    set = set_get(li, labels, nlabels, &err);
    if (err) return err;
    e = strmap_get(&li->map[kind], key);
    if (e) {
        bool changed =
            e->set != set || e->has_uid != has_uid || (has_uid && memcmp(e->uid, u, 16) != 0);
        set_release(li, e->set); /* after the comparison: set holds its own reference */
        e->set = set;
        e->has_uid = has_uid;
        if (has_uid) memcpy(e->uid, u, 16);
        e->mark = li->gen[kind];
        if (changed) notify(li, kind, e->key);
        return 0;
    }
    size_t kl = strlen(key) + 1;
    if (!(e = malloc(sizeof(*e) + kl))) {
        set_release(li, set);
        return -ENOMEM;
    }
    e->set = set;
    e->mark = li->gen[kind];
    e->has_uid = has_uid;
    memcpy(e->uid, u, 16);
    memcpy(e->key, key, kl);
    if (strmap_put(&li->map[kind], e->key, e)) {
        set_release(li, set);
        free(e);
        return -ENOMEM;
    }
    li->bytes += sizeof(*e) + kl;
    notify(li, kind, e->key);
    return 0;
}

static void remove_entry(struct label_index *li, enum label_kind kind, struct entry *e)
{
    strmap_del(&li->map[kind], e->key);
    notify(li, kind, e->key); /* looked up now, it is gone */
    entry_free(li, e);
}

void label_index_delete(struct label_index *li, enum label_kind kind, const char *namespace_,
                        const char *name, const char *uid)
{
    char key[KEY_MAX + 1];
    uint8_t u[16];
    struct entry *e;

    if (!make_key(kind, namespace_, name, key) || !(e = strmap_get(&li->map[kind], key))) return;
    if (e->has_uid && label_index_uuid(uid, u) && memcmp(e->uid, u, 16) != 0) return;
    remove_entry(li, kind, e);
}

void label_index_relist_end(struct label_index *li, enum label_kind kind)
{
    const char *k;
    void *v;

    /* Deleting leaves a tombstone in place, so the walk goes on undisturbed. */
    for (size_t it = 0; strmap_next(&li->map[kind], &it, &k, &v);) {
        struct entry *e = v;
        if (e->mark != li->gen[kind]) remove_entry(li, kind, e);
    }
}

static bool found(const struct entry *e, const struct label_view **labels, size_t *n)
{
    *labels = e->set ? e->set->v : NULL;
    *n = e->set ? e->set->n : 0;
    return true;
}

bool label_index_pod(const struct label_index *li, const char *key, const char *uid,
                     const struct label_view **labels, size_t *nlabels)
{
    const struct entry *e = strmap_get(&li->map[LABEL_POD], key);
    uint8_t u[16];

    *labels = NULL;
    *nlabels = 0;
    if (!e) return false;
    if (e->has_uid && label_index_uuid(uid, u) && memcmp(e->uid, u, 16) != 0) return false;
    return found(e, labels, nlabels);
}

bool label_index_pod_bin(const struct label_index *li, const char *namespace_, const char *name,
                         const uint8_t *uid, const struct label_view **labels, size_t *nlabels)
{
    char key[KEY_MAX + 1];
    const struct entry *e;

    *labels = NULL;
    *nlabels = 0;
    if (!make_key(LABEL_POD, namespace_, name, key)) return false;
    if (!(e = strmap_get(&li->map[LABEL_POD], key))) return false;
    if (e->has_uid && uid && memcmp(e->uid, uid, 16) != 0) return false;
    return found(e, labels, nlabels);
}

bool label_index_pod_uid(const struct label_index *li, const char *namespace_, const char *name,
                         uint8_t uid[16])
{
    char key[KEY_MAX + 1];
    const struct entry *e;

    if (!make_key(LABEL_POD, namespace_, name, key)) return false;
    if (!(e = strmap_get(&li->map[LABEL_POD], key)) || !e->has_uid) return false;
    memcpy(uid, e->uid, 16);
    return true;
}

bool label_index_node(const struct label_index *li, const char *name,
                      const struct label_view **labels, size_t *nlabels)
{
    const struct entry *e = strmap_get(&li->map[LABEL_NODE], name);

    *labels = NULL;
    *nlabels = 0;
    return e ? found(e, labels, nlabels) : false;
}

void label_index_get_stats(const struct label_index *li, struct label_index_stats *out)
{
    out->pods = li->map[LABEL_POD].len;
    out->nodes = li->map[LABEL_NODE].len;
    out->sets = li->sets.len;
    out->bytes = li->bytes + li->scratch_cap +
                 (li->map[0].cap + li->map[1].cap + li->sets.cap) * sizeof(struct strmap_slot);
}
