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

static ssize_t read_fd(int fd, char *buf, size_t size)
{
    size_t got = 0;
    ssize_t n = 0;

    /* procfs hands a file out a page at a time: read until the end or the buffer is full. */
    while (got < size) {
        n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    return n < 0 ? -errno : (ssize_t)got;
}

/* A network namespace is told by the inode of its /proc/<pid>/net/dev: proc gives each
 * namespace's entries their own inode numbers (per namespace, like the ns/net link's), and
 * unlike ns/net, which needs ptrace access (CAP_SYS_PTRACE to look at a process with any
 * capability the collector lacks), net/dev is readable by anyone. */
static ino_t net_dev_inode(const char *proc_root, const char *pid)
{
    char path[4096];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s/net/dev", proc_root, pid);
    return stat(path, &st) == 0 ? st.st_ino : 0;
}

ino_t pod_network_host_netns(const char *proc_root)
{
    ino_t ino = net_dev_inode(proc_root, "1");

    if (ino) return ino;
    /* init's is not ours to look at (a sandboxed machine): then the collector's own stands for
     * the node's, which is right wherever the collector runs in it (standalone, tests). */
    log_info("%s/1/net/dev: %s; pods in the collector's own network namespace count as "
             "hostNetwork",
             proc_root, strerror(errno));
    return net_dev_inode(proc_root, "self");
}

int pod_network_read(int root_fd, const char *const *cgroups, size_t n, const char *proc_root,
                     ino_t host_netns, struct pod_net_sample *out)
{
    static char buf[NET_DEV_BUF]; /* the collector thread's alone */
    char path[4096];
    struct stat st;
    uint32_t pid = 0;
    ssize_t len;
    int fd;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n && !pid; i++)
        if (cgroup_procs_read(root_fd, cgroups[i], &pid, 1) != 1) pid = 0;
    if (!pid) return -ESRCH;
    snprintf(path, sizeof(path), "%s/%u/net/dev", proc_root, pid);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return -errno; /* the process just went */
    if (fstat(fd, &st) != 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    out->real_ns = clock_real_ns();
    if (host_netns && st.st_ino == host_netns) {
        close(fd);
        out->state = POD_NET_HOST;
        return 0;
    }
    len = read_fd(fd, buf, sizeof(buf));
    close(fd);
    if (len < 0) return (int)len;
    if (parse_net_dev(buf, (size_t)len, (size_t)len == sizeof(buf), &out->totals) != 0) {
        LOG_RATELIMITED(LOG_WARN, "%s: not an interface list (%zd bytes); pod traffic skipped",
                        path, len);
        return -EINVAL;
    }
    out->state = POD_NET_OWN;
    return 0;
}
