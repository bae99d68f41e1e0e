/* Pod and container names from the container runtime's OCI bundle (config.json annotations)
 * of containerd and CRI-O, so the collector knows names without the kubelet. config.json is
 * outside input: size-capped, and every field checked before use. */
#ifndef KMETRICS_OCI_BUNDLE_H
#define KMETRICS_OCI_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>

#include "cgroup_path.h"

#define OCI_CONFIG_MAX_BYTES                                                                       \
    (4u << 20)                      /* real ones are 5-50 KiB; anything past this is refused       \
                                     */
#define OCI_CONFIG_MAX_VALUES 65536 /* arrays, objects and their members; real ones: ~500 */
#define K8S_NAME_MAX 253            /* pod name (DNS subdomain) */
#define K8S_LABEL_NAME_MAX 63       /* namespace, container name (DNS label) */

struct oci_identity {
    enum cg_runtime runtime; /* RUNTIME_CONTAINERD or RUNTIME_CRIO from the annotations */
    bool is_sandbox;         /* the pod's sandbox (pause/infra) container */
    bool has_kubernetes;     /* at least one Kubernetes annotation was found */
    char pod_name[K8S_NAME_MAX + 1];
    char pod_namespace[K8S_LABEL_NAME_MAX + 1];
    char pod_uid[POD_UID_MAX + 1];
    char container_name[K8S_LABEL_NAME_MAX + 1];
};

/* Parses a config.json held in memory. Returns 0 when the document is a JSON object with an
 * "annotations" object carrying a known runtime's Kubernetes annotations; -EINVAL for
 * malformed JSON or a document without them; -E2BIG when len > OCI_CONFIG_MAX_BYTES or it
 * holds more than OCI_CONFIG_MAX_VALUES values (jansson's memory grows with their count).
 * A field whose value is not a string or is longer than its Kubernetes limit is left ""
 * (the rest is still used). */
int oci_parse_config(const char *json, size_t len, struct oci_identity *out);

/* Finds and parses the bundle of container_id under one of dirs: tries
 * <dir>/<id>/config.json (containerd's task directory) and <dir>/<id>/userdata/config.json
 * (CRI-O's overlay-containers). Returns 0, -ENOENT when no dir has it, or the parse or read
 * error (negative errno) of the first bundle found. container_id must be 64 lower-case hex. */
int oci_load_identity(const char *const dirs[], size_t ndirs, const char *container_id,
                      struct oci_identity *out);

/* The default runtime bundle directories (containerd k8s.io namespace, CRI-O). */
extern const char *const oci_default_runtime_dirs[];
extern const size_t oci_default_runtime_dirs_count;

#endif
