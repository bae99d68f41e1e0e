/* The pods and containers the collector knows on this node, with each container's open files,
 * CPU history and newest sample. Pods own their containers; the registry owns the pods. */
#ifndef KMETRICS_REGISTRY_H
#define KMETRICS_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "strmap.h"

#include "discover/cgroup_path.h"
#include "discover/oci_bundle.h"
#include "sample/cgroup_reader.h"
#include "sample/cpu_history.h"
#include "sample/pod_network.h"
#include "sample/runq_window.h"
#include "wire/wire.h"

enum identity_source {
    IDENTITY_PENDING = 0, /* bundle not looked up yet */
    IDENTITY_BUNDLE,      /* names from the runtime's config.json */
    IDENTITY_CGROUP_ONLY, /* no bundle found: reported by container id and pod uid */
};

struct pod;

struct container {
    char id[CONTAINER_ID_LEN + 1];
    char name[K8S_LABEL_NAME_MAX + 1]; /* "" until known */
    enum cg_runtime runtime;
    char *cgroup; /* path relative to the collector's cgroup root (owned) */
    uint64_t cgroup_ino;
    bool sandbox;           /* pause/infra container: measured for nothing, never reported */
    int64_t exited_mono_ns; /* its cgroup is gone (0: alive); kept for one window, see collector */
    enum identity_source identity;
    int64_t added_mono_ns; /* when it was found: a missing bundle is looked for again a while */
    uint64_t seen_walk;    /* walk generation that last saw it */

    struct cgroup_files files;
    struct cpu_history *cpu; /* from its first sample on (owned); a sandbox never has one */
    struct cgroup_sample last;
    bool has_sample;
    bool rated; /* two samples of one series: it has a CPU rate */
    /* The signal counters' increases between the last two reads of them (shipped as is,
     * with the run-queue latency's window folded in). */
    struct wire_signals signals;
    int64_t signals_mono_ns; /* when they were last read (0: never) */
    /* Run-queue latency over the last signal window; the histogram's previous read while
     * its cgroup is measured (owned; NULL otherwise). */
    struct runq_window runq;
    struct runq_prev *runq_prev;
    bool skb_counted; /* its sockets' traffic is counted (a hostNetwork pod's; discover/pod_skb) */

    struct pod *pod;
    struct container *next; /* in pod->containers */
};

struct pod {
    char uid[POD_UID_MAX + 1];
    char name[K8S_NAME_MAX + 1]; /* "" until a bundle names it */
    char namespace_[K8S_LABEL_NAME_MAX + 1];
    enum pod_qos qos;
    enum cg_driver driver;
    char *cgroup; /* owned */
    uint64_t seen_walk;
    bool gone;                 /* its cgroup was removed: dropped once its exited containers are */
    struct pod_net_sample net; /* read on the ticks that read signals */
    /* Found in the node's network namespace once: hostNetwork for its life (the collector
     * counts its containers' sockets from then on), and what its gone containers' sockets
     * had counted. */
    bool host_network;
    struct net_dev_totals skb_gone;
    struct wire_network net_window; /* its increase between the last two reads */
    struct container *containers;
    unsigned ncontainers;
};

struct registry {
    struct strmap pods;       /* uid -> struct pod */
    struct strmap containers; /* id -> struct container */
};

void registry_init(struct registry *r);
void registry_done(struct registry *r);

struct pod *registry_pod(struct registry *r, const char *uid);
struct container *registry_container(struct registry *r, const char *id);

/* Finds or creates the pod named by a CG_POD/CG_CONTAINER identity; pod_path is its cgroup
 * directory (pod_path_len bytes). NULL on allocation failure. */
struct pod *registry_add_pod(struct registry *r, const struct cgroup_identity *id,
                             const char *pod_path, size_t pod_path_len);
/* Creates a container in pod (which must be id's pod). *created says whether it is new; an
 * existing container with the same id is returned as is. */
struct container *registry_add_container(struct registry *r, struct pod *pod,
                                         const struct cgroup_identity *id, const char *path,
                                         uint64_t ino, bool *created);
void registry_remove_container(struct registry *r, struct container *c);
void registry_remove_pod(struct registry *r, struct pod *p);

size_t registry_pod_count(const struct registry *r);
size_t registry_container_count(const struct registry *r);

#endif
