/* Recognises a pod's sandbox (pause) container by its processes when no runtime bundle says
 * so: every process in the cgroup is named "pause". Needs the host's /proc (hostPID); without
 * it the processes are not found and the answer is simply "not known to be a sandbox". */
#ifndef KMETRICS_SANDBOX_PROBE_H
#define KMETRICS_SANDBOX_PROBE_H

#include <stdbool.h>

/* rel: the container's cgroup relative to root_fd; proc_root: "/proc" normally. */
bool cgroup_runs_only_pause(int root_fd, const char *rel, const char *proc_root);

#endif
