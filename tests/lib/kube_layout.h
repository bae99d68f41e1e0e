/* Builds the cgroup paths and runtime bundles the kubelet and container runtimes would make
 * (REFERENCE §4, §5), for tests that lay out real or fixture kubepods trees. */
#ifndef KMETRICS_TEST_KUBE_LAYOUT_H
#define KMETRICS_TEST_KUBE_LAYOUT_H

#include <stdio.h>
#include <string.h>

#include "discover/cgroup_path.h"
#include "test_util.h"

/* Pod directory relative to the root, e.g. kubepods.slice/kubepods-burstable.slice/
 * kubepods-burstable-pod1234_....slice */
void kl_pod_dir(char *out, size_t n, enum cg_driver drv, enum pod_qos qos, const char *uid);

/* Container directory name under its pod. */
void kl_container_name(char *out, size_t n, enum cg_driver drv, enum cg_runtime rt, const char *id);

/* A 64-hex container id derived from a small number (distinct, deterministic). */
void kl_container_id(char *out, unsigned seed);

/* A canonical pod UID derived from a small number. */
void kl_pod_uid(char *out, unsigned seed);

/* Writes the runtime's config.json for a container under runtime_dir (containerd task dir
 * layout <dir>/<id>/config.json, CRI-O <dir>/<id>/userdata/config.json). */
int kl_write_bundle(const char *runtime_dir, enum cg_runtime rt, const char *id,
                    const char *pod_uid, const char *ns, const char *pod, const char *container,
                    int sandbox);

#endif
