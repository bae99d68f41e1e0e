/* Pod and container identity from a cgroup path alone, for every layout the kubelet and the
 * container runtimes create (systemd and cgroupfs drivers, Guaranteed/Burstable/BestEffort,
 * containerd, CRI-O, docker/cri-dockerd, static pods). The path is outside input: a parser
 * that never reads past len and never allocates. */
#ifndef KMETRICS_CGROUP_PATH_H
#define KMETRICS_CGROUP_PATH_H

#include <stdbool.h>
#include <stddef.h>

enum cg_kind {
    CG_OTHER = 0,  /* not part of the kubepods tree, or unrecognised: ignore, do not descend */
    CG_ABOVE_PODS, /* kubepods root or a QoS level: descend to find pods */
    CG_POD,        /* a pod's cgroup */
    CG_CONTAINER,  /* a container's cgroup directly under a pod (may still be a sandbox) */
    CG_CONMON,     /* CRI-O's conmon monitor: never a container */
};

enum cg_driver { CG_DRIVER_UNKNOWN = 0, CG_DRIVER_SYSTEMD, CG_DRIVER_CGROUPFS };
enum pod_qos { QOS_UNKNOWN = 0, QOS_GUARANTEED, QOS_BURSTABLE, QOS_BESTEFFORT };
/* RUNTIME_UNKNOWN for a bare 64-hex cgroupfs name: containerd and docker look the same. */
enum cg_runtime { RUNTIME_UNKNOWN = 0, RUNTIME_CONTAINERD, RUNTIME_CRIO, RUNTIME_DOCKER };

#define POD_UID_MAX 36      /* canonical UUID with dashes; static pods use 32 hex */
#define CONTAINER_ID_LEN 64 /* hex */

struct cgroup_identity {
    enum cg_kind kind;
    enum cg_driver driver;
    enum pod_qos qos;              /* set for CG_POD, CG_CONTAINER, CG_CONMON and QoS levels */
    enum cg_runtime runtime;       /* set for CG_CONTAINER and CG_CONMON */
    char pod_uid[POD_UID_MAX + 1]; /* dashes restored; "" above pods */
    char container_id[CONTAINER_ID_LEN + 1]; /* lower-case hex; "" unless container/conmon */
    bool maybe_sandbox;  /* CRI-O sandbox: bare "crio-<id>" (no .scope) under the systemd driver */
    size_t pod_path_len; /* for CG_CONTAINER/CG_CONMON: length of the pod directory's prefix of
                            path (without trailing '/'); for CG_POD up to the end of the pod
                            component */
};

/* Classifies a path relative to the cgroup v2 root ("kubepods.slice/..." or
 * "/kubepods/burstable/pod.../..."). Leading, trailing and doubled slashes are tolerated;
 * any components before the kubepods root are allowed (kubelet --cgroup-root). Returns the
 * kind (also stored in out->kind). */
enum cg_kind cgroup_path_classify(const char *path, size_t len, struct cgroup_identity *out);

const char *cg_kind_name(enum cg_kind k);
const char *cg_driver_name(enum cg_driver d);
const char *pod_qos_name(enum pod_qos q);
const char *cg_runtime_name(enum cg_runtime r);

#endif
