#include "cgroup_walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define MAX_DEPTH_ABOVE_KUBEPODS 2 /* e.g. kubelet.slice/kubelet-kubepods.slice */
#define MAX_DEPTH 12               /* kubepods, QoS, pod, container, plus prefixes */
#define REL_MAX 4096

struct walk {
    cgroup_walk_fn fn;
    void *ctx;
    struct cgroup_walk_stats *stats;
    char rel[REL_MAX];
};

static int is_dir(int dir_fd, const struct dirent *de)
{
    struct stat st;

    if (de->d_type == DT_DIR) return 1;
    if (de->d_type != DT_UNKNOWN) return 0;
    return fstatat(dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static void walk_dir(struct walk *w, int dir_fd, size_t rel_len, int depth)
{
    DIR *dir;
    struct dirent *de;

    dir = fdopendir(dir_fd);
    if (!dir) {
        close(dir_fd);
        return;
    }
    w->stats->dirs_read++;
    while ((de = readdir(dir)) != NULL) {
        struct cgroup_identity id;
        size_t name_len = strlen(de->d_name);
        size_t child_len;
        int child_fd;

        if (de->d_name[0] == '.' || !is_dir(dirfd(dir), de)) continue;
        if (rel_len + 1 + name_len >= REL_MAX) continue;
        child_len = rel_len;
        if (rel_len) w->rel[child_len++] = '/';
        memcpy(w->rel + child_len, de->d_name, name_len + 1);
        child_len += name_len;

        switch (cgroup_path_classify(w->rel, child_len, &id)) {
        case CG_POD:
        case CG_CONTAINER:
            w->fn(w->ctx, w->rel, &id, (uint64_t)de->d_ino);
            if (id.kind == CG_CONTAINER) break; /* never descend into a container */
            /* fall through: a pod's children are its containers */
        case CG_ABOVE_PODS:
            goto descend;
        case CG_OTHER:
            if (depth < MAX_DEPTH_ABOVE_KUBEPODS && strstr(de->d_name, "kube")) goto descend;
            break;
        case CG_CONMON:
            break;
        }
        w->rel[rel_len] = '\0';
        continue;
    descend:
        if (depth + 1 < MAX_DEPTH) {
            child_fd = openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (child_fd >= 0)
                walk_dir(w, child_fd, child_len, depth + 1);
            else if (errno == ENOENT)
                w->stats->vanished++;
            else
                LOG_RATELIMITED(LOG_WARN, "cgroup walk: cannot open %s: %s", w->rel,
                                strerror(errno));
        }
        w->rel[rel_len] = '\0';
    }
    closedir(dir);
}

bool cgroup_walk_reaches(const char *rel)
{
    int depth = 0;

    for (const char *p = rel; *p;) {
        const char *end;
        char comp[256];
        size_t len;

        while (*p == '/')
            p++;
        if (!*p) break;
        end = strchr(p, '/');
        len = end ? (size_t)(end - p) : strlen(p);
        if (len >= sizeof(comp)) return false;
        memcpy(comp, p, len);
        comp[len] = '\0';
        if (strstr(comp, "kubepods")) return true; /* from here the classifier decides */
        if (depth >= MAX_DEPTH_ABOVE_KUBEPODS || !strstr(comp, "kube")) return false;
        depth++;
        p += len;
    }
    return false;
}

int cgroup_walk(int root_fd, cgroup_walk_fn fn, void *ctx, struct cgroup_walk_stats *stats)
{
    struct walk w = {.fn = fn, .ctx = ctx, .stats = stats};
    int fd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0) return -errno;
    walk_dir(&w, fd, 0, 0);
    return 0;
}
