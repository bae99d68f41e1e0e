#include "user_info.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void user_info_done(struct user_info *u)
{
    free(u->name);
    free(u->uid);
    for (size_t i = 0; i < u->ngroups; i++)
        free(u->groups[i]);
    free(u->groups);
    for (size_t i = 0; i < u->nextra; i++) {
        free(u->extra[i].key);
        for (size_t j = 0; j < u->extra[i].nvalues; j++)
            free(u->extra[i].values[j]);
        free(u->extra[i].values);
    }
    free(u->extra);
    memset(u, 0, sizeof(*u));
}

int user_info_add_group(struct user_info *u, const char *group, size_t len)
{
    char **g;

    if (u->ngroups >= USER_INFO_MAX_GROUPS) return -E2BIG;
    g = realloc(u->groups, (u->ngroups + 1) * sizeof(*g));
    if (!g) return -ENOMEM;
    u->groups = g;
    if (!(g[u->ngroups] = strndup(group, len))) return -ENOMEM;
    u->ngroups++;
    return 0;
}

int user_info_add_extra(struct user_info *u, const char *key, size_t klen, const char *value,
                        size_t vlen)
{
    struct user_extra *e = NULL;
    char **v;

    for (size_t i = 0; i < u->nextra; i++)
        if (strlen(u->extra[i].key) == klen && memcmp(u->extra[i].key, key, klen) == 0)
            e = &u->extra[i];
    if (!e) {
        if (u->nextra >= USER_INFO_MAX_EXTRA) return -E2BIG;
        e = realloc(u->extra, (u->nextra + 1) * sizeof(*e));
        if (!e) return -ENOMEM;
        u->extra = e;
        e = &u->extra[u->nextra];
        memset(e, 0, sizeof(*e));
        if (!(e->key = strndup(key, klen))) return -ENOMEM;
        u->nextra++;
    }
    if (e->nvalues >= USER_INFO_MAX_VALUES) return -E2BIG;
    v = realloc(e->values, (e->nvalues + 1) * sizeof(*v));
    if (!v) return -ENOMEM;
    e->values = v;
    if (!(v[e->nvalues] = strndup(value, vlen))) return -ENOMEM;
    e->nvalues++;
    return 0;
}

const char *user_info_extra(const struct user_info *u, const char *key)
{
    for (size_t i = 0; i < u->nextra; i++)
        if (strcmp(u->extra[i].key, key) == 0 && u->extra[i].nvalues) return u->extra[i].values[0];
    return NULL;
}

int user_info_copy(struct user_info *dst, const struct user_info *src)
{
    memset(dst, 0, sizeof(*dst));
    if (!(dst->name = strdup(src->name ? src->name : ""))) goto oom;
    if (src->uid && !(dst->uid = strdup(src->uid))) goto oom;
    for (size_t i = 0; i < src->ngroups; i++)
        if (user_info_add_group(dst, src->groups[i], strlen(src->groups[i]))) goto oom;
    for (size_t i = 0; i < src->nextra; i++)
        for (size_t j = 0; j < src->extra[i].nvalues; j++)
            if (user_info_add_extra(dst, src->extra[i].key, strlen(src->extra[i].key),
                                    src->extra[i].values[j], strlen(src->extra[i].values[j])))
                goto oom;
    return 0;
oom:
    user_info_done(dst);
    return -ENOMEM;
}
