#include "registry.h"

#include <stdlib.h>
#include <string.h>

void registry_init(struct registry *r)
{
    strmap_init(&r->pods);
    strmap_init(&r->containers);
}

static void container_free(struct container *c)
{
    cgroup_files_close(&c->files);
    free(c->cpu);
    free(c->runq_prev);
    free(c->cgroup);
    free(c);
}

void registry_done(struct registry *r)
{
    const char *key;
    void *value;

    for (size_t it = 0; strmap_next(&r->pods, &it, &key, &value);) {
        struct pod *p = value;
        for (struct container *c = p->containers, *next; c; c = next) {
            next = c->next;
            container_free(c);
        }
        free(p->cgroup);
        free(p);
    }
    strmap_done(&r->pods);
    strmap_done(&r->containers);
}

struct pod *registry_pod(struct registry *r, const char *uid)
{
    return strmap_get(&r->pods, uid);
}

struct container *registry_container(struct registry *r, const char *id)
{
    return strmap_get(&r->containers, id);
}

struct pod *registry_add_pod(struct registry *r, const struct cgroup_identity *id,
                             const char *pod_path, size_t pod_path_len)
{
    struct pod *p = strmap_get(&r->pods, id->pod_uid);

    if (p) return p;
    p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    memcpy(p->uid, id->pod_uid, sizeof(p->uid));
    p->qos = id->qos;
    p->driver = id->driver;
    p->cgroup = strndup(pod_path, pod_path_len);
    if (!p->cgroup || strmap_put(&r->pods, p->uid, p)) {
        free(p->cgroup);
        free(p);
        return NULL;
    }
    return p;
}

struct container *registry_add_container(struct registry *r, struct pod *pod,
                                         const struct cgroup_identity *id, const char *path,
                                         uint64_t ino, bool *created)
{
    struct container *c = strmap_get(&r->containers, id->container_id);

    *created = false;
    if (c) return c;
    c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    memcpy(c->id, id->container_id, sizeof(c->id));
    c->runtime = id->runtime;
    c->sandbox = id->maybe_sandbox;
    c->cgroup = strdup(path);
    c->cgroup_ino = ino;
    cgroup_files_init(&c->files);
    if (!c->cgroup || strmap_put(&r->containers, c->id, c)) {
        free(c->cgroup);
        free(c);
        return NULL;
    }
    c->pod = pod;
    c->next = pod->containers;
    pod->containers = c;
    pod->ncontainers++;
    *created = true;
    return c;
}

void registry_remove_container(struct registry *r, struct container *c)
{
    struct pod *p = c->pod;

    for (struct container **pp = &p->containers; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            p->ncontainers--;
            break;
        }
    }
    strmap_del(&r->containers, c->id);
    container_free(c);
}

void registry_remove_pod(struct registry *r, struct pod *p)
{
    while (p->containers)
        registry_remove_container(r, p->containers);
    strmap_del(&r->pods, p->uid);
    free(p->cgroup);
    free(p);
}

size_t registry_pod_count(const struct registry *r)
{
    return r->pods.len;
}
size_t registry_container_count(const struct registry *r)
{
    return r->containers.len;
}
