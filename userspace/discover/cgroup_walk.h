/* Full walk of the cgroup tree below the collector's root, reporting every pod and container
 * cgroup it finds. It descends only where pods can be: into the kubepods tree, and above it
 * only through directories whose name mentions "kube" (kubelet --cgroup-root setups), so
 * system.slice and friends cost one readdir of the root and nothing more. */
#ifndef KMETRICS_CGROUP_WALK_H
#define KMETRICS_CGROUP_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup_path.h"

/* rel: path relative to the root ("kubepods.slice/..."), NUL-terminated. */
typedef void (*cgroup_walk_fn)(void *ctx, const char *rel, const struct cgroup_identity *id,
                               uint64_t ino);

struct cgroup_walk_stats {
    uint64_t dirs_read;
    uint64_t vanished; /* directories removed between readdir and open: dropped quietly */
};

/* Whether a walk from the root would reach rel: the components above the kubepods root are
 * few and mention "kube". Lifecycle events apply the same rule, so an event never adds what
 * the next safety-net walk would remove. */
bool cgroup_walk_reaches(const char *rel);

/* Returns 0, or -errno when the root itself cannot be read. */
int cgroup_walk(int root_fd, cgroup_walk_fn fn, void *ctx, struct cgroup_walk_stats *stats);

#endif
