#include "sandbox_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sample/cgroup_reader.h"

#define MAX_PIDS 8 /* a sandbox runs one process; more than a few means it is not one */

static ssize_t read_small(int dir_fd, const char *path, char *buf, size_t size)
{
    int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    ssize_t n;

    if (fd < 0) return -errno;
    do
        n = read(fd, buf, size);
    while (n < 0 && errno == EINTR);
    if (n < 0) n = -errno;
    close(fd);
    return n;
}

bool cgroup_runs_only_pause(int root_fd, const char *rel, const char *proc_root)
{
    char path[4096];
    uint32_t pids[MAX_PIDS + 1];
    size_t npids = cgroup_procs_read(root_fd, rel, pids, MAX_PIDS + 1);
    ssize_t n;

    if (npids == 0 || npids > MAX_PIDS) return false;
    for (size_t i = 0; i < npids; i++) {
        char comm[64];
        snprintf(path, sizeof(path), "%s/%u/comm", proc_root, pids[i]);
        n = read_small(AT_FDCWD, path, comm, sizeof(comm));
        if (n <= 0 || !((size_t)n == 6 && memcmp(comm, "pause\n", 6) == 0)) return false;
    }
    return true;
}
