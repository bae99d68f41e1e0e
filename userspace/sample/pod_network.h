/* A pod's network traffic, measured where the kubelet measures it: the interface counters of
 * the pod's own network namespace (/proc/<pid>/net/dev of a process in the pod, loopback left
 * out), exact at the interface. A pod in the node's namespace (hostNetwork) has no interfaces
 * of its own: it is reported as such, with no figures (its traffic is the node's), or, when the
 * collector counts its containers' sockets (discover/pod_skb), with those counts. */
#ifndef KMETRICS_POD_NETWORK_H
#define KMETRICS_POD_NETWORK_H

#include <stdint.h>
#include <sys/types.h>

#include "net_dev_parse.h"

enum pod_net_state {
    POD_NET_UNKNOWN = 0, /* not read yet, or no process found to read it through */
    POD_NET_OWN,         /* its own namespace: totals valid */
    POD_NET_HOST,        /* the node's namespace (hostNetwork) */
    /* hostNetwork, with what its containers' sockets sent and received since they were
     * counted (IP packets: drops and interfaces unknown); set by the collector */
    POD_NET_HOST_SOCKETS,
};

struct pod_net_sample {
    enum pod_net_state state;
    int64_t real_ns; /* when read */
    struct net_dev_totals totals;
};

/* The node's network namespace, as the inode of proc_root/1/net/dev (init's; the collector
 * runs with the host's PID namespace; proc numbers each namespace's net/dev apart, and needs no
 * ptrace access to it, unlike ns/net), else of the collector's own. 0 when it cannot be told. */
ino_t pod_network_host_netns(const char *proc_root);

/* Reads the traffic of the pod whose container cgroups are cgroups[0..n) (relative to
 * root_fd; the sandbox's first, when known: it holds the namespace for the pod's life),
 * through the first process found in them. 0, or -errno (-ESRCH: no process in any of them;
 * out->state is then POD_NET_UNKNOWN). */
int pod_network_read(int root_fd, const char *const *cgroups, size_t n, const char *proc_root,
                     ino_t host_netns, struct pod_net_sample *out);

#endif
