/* Pod traffic through /proc/<pid>/net/dev of a process in one of its cgroups. */
#include "pod_network.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "cgroup_reader.h"

/* A pod namespace holds a handful of interfaces; a node's can hold hundreds of veths. */
#define NET_DEV_BUF 65536

static ssize_t read_file(int dir_fd, const char *path, char *buf, size_t size)
{
    int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    size_t got = 0;
    ssize_t n = 0;

    if (fd < 0) return -errno;
    /* procfs hands a file out a page at a time: read until the end or the buffer is full. */
    while (got < size) {
        n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    n = n < 0 ? -errno : (ssize_t)got;
    close(fd);
    return n;
}

ino_t pod_network_host_netns(const char *proc_root)
{
    char path[4096];
    struct stat st;

    snprintf(path, sizeof(path), "%s/1/ns/net", proc_root);
    if (stat(path, &st) == 0) return st.st_ino;
    /* init's is not ours to look at (a sandboxed machine): then the collector's own stands for
     * the node's, which is right wherever the collector runs in it (standalone, tests). */
    log_info("%s: %s; pods in the collector's own network namespace count as hostNetwork", path,
             strerror(errno));
    snprintf(path, sizeof(path), "%s/self/ns/net", proc_root);
    return stat(path, &st) == 0 ? st.st_ino : 0;
}

int pod_network_read(int root_fd, const char *const *cgroups, size_t n, const char *proc_root,
                     ino_t host_netns, struct pod_net_sample *out)
{
    static char buf[NET_DEV_BUF]; /* the collector thread's alone */
    char path[4096];
    struct stat st;
    uint32_t pid = 0;
    ssize_t len;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n && !pid; i++)
        if (cgroup_procs_read(root_fd, cgroups[i], &pid, 1) != 1) pid = 0;
    if (!pid) return -ESRCH;
    snprintf(path, sizeof(path), "%s/%u/ns/net", proc_root, pid);
    if (stat(path, &st) != 0) return -errno; /* the process just went, or no ptrace access */
    out->real_ns = clock_real_ns();
    if (host_netns && st.st_ino == host_netns) {
        out->state = POD_NET_HOST;
        return 0;
    }
    snprintf(path, sizeof(path), "%s/%u/net/dev", proc_root, pid);
    len = read_file(AT_FDCWD, path, buf, sizeof(buf));
    if (len < 0) return (int)len;
    if (parse_net_dev(buf, (size_t)len, (size_t)len == sizeof(buf), &out->totals) != 0) {
        LOG_RATELIMITED(LOG_WARN, "%s: not an interface list (%zd bytes); pod traffic skipped",
                        path, len);
        return -EINVAL;
    }
    out->state = POD_NET_OWN;
    return 0;
}
