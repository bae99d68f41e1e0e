/* Where the cgroup v2 hierarchy is mounted, from /proc/self/mountinfo: /sys/fs/cgroup when it
 * is cgroup2 (unified hosts), else another cgroup2 mount such as /sys/fs/cgroup/unified
 * (hybrid hosts). Also maps a directory to its path inside the hierarchy, which is how the
 * kernel names cgroups in BPF events. */
#ifndef KMETRICS_CGROUP_ROOT_H
#define KMETRICS_CGROUP_ROOT_H

#include <stddef.h>

struct cgroup2_mount {
    char mount_point[4096]; /* where it is mounted here */
    char root[4096];        /* the hierarchy path mounted there ("/" unless a namespace) */
};

/* Parses mountinfo text and picks the cgroup2 mount to use. Returns 0, or -ENOENT when there
 * is no cgroup2 mount, -EINVAL for unparseable text. */
int cgroup2_find_mount(const char *mountinfo, size_t len, struct cgroup2_mount *out);

/* The cgroup2 mount whose mount point is the longest prefix of dir (an absolute, resolved
 * path). Returns 0 or -ENOENT when dir is not on a cgroup2 file system. */
int cgroup2_mount_of(const char *mountinfo, size_t len, const char *dir, struct cgroup2_mount *out);

/* The path of dir inside the hierarchy ("" for its root, else "/a/b"), given its mount. */
int cgroup2_hierarchy_path(const struct cgroup2_mount *m, const char *dir, char *out,
                           size_t outlen);

/* Reads /proc/self/mountinfo (or path) into a malloc'd buffer; caller frees. */
char *read_mountinfo(const char *path, size_t *len);

#endif
