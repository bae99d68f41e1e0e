/* Pod and container names from an OCI bundle's config.json (containerd and CRI-O).
 *
 * config.json is outside input as far as this file is concerned: it is size-capped before it is
 * read or parsed, every field is type- and length-checked, and names that could corrupt a path
 * or a log line are dropped. The parser does not log; callers decide what is worth a line. */
#include "oci_bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "file_read.h"
#include "hex.h"
#include "json_load.h"

const char *const oci_default_runtime_dirs[] = {
    "/run/containerd/io.containerd.runtime.v2.task/k8s.io",
    "/run/containers/storage/overlay-containers",
};
const size_t oci_default_runtime_dirs_count =
    sizeof(oci_default_runtime_dirs) / sizeof(oci_default_runtime_dirs[0]);

/* jansson decoding flags, chosen against what the runtimes (Go, encoding/json) write:
 *
 * - JSON_REJECT_DUPLICATES is NOT set: Go never writes duplicate keys, and when it reads them
 *   the last one wins. jansson without the flag also keeps the last one, so we see the same
 *   values runc and the shims see instead of failing a whole document over it.
 * - JSON_DISABLE_EOF_CHECK is NOT set: anything after the top-level value (a second document, a
 *   half-written rewrite, garbage) makes the document invalid, as it does for Go.
 * - JSON_DECODE_ANY is NOT set: only an object or array may be the top level; we need an object.
 * - JSON_DECODE_INT_AS_REAL is set: the spec has uint64 fields (process.rlimits; Go writes
 *   RLIM_INFINITY as 18446744073709551615) that do not fit jansson's int64 json_int_t and would
 *   fail the whole document with "too big integer". We read no numbers, so doubles are fine.
 * - JSON_ALLOW_NUL is set: annotations copied from the pod (CRI-O copies all of a pod's
 *   annotations into its sandbox's spec; containerd does with pod_annotations passthrough) are
 *   user-controlled and may hold "\u0000". Without the flag one such value would fail the
 *   document; with it, each field we read is checked for an embedded NUL and dropped alone.
 *
 * jansson itself refuses nesting deeper than JSON_PARSER_MAX_DEPTH (2048), so recursion stays
 * bounded; invalid UTF-8 is always an error (Go replaces it with U+FFFD when writing, so a real
 * config.json never has any); object hashing is seeded at random, so a crafted 4 MiB object
 * cannot make lookups quadratic. */
#define OCI_JSON_FLAGS (JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL)

/* containerd (pkg/cri/annotations) */
#define CTRD_PREFIX "io.kubernetes.cri."
#define CTRD_CONTAINER_TYPE CTRD_PREFIX "container-type"
#define CTRD_CONTAINER_NAME CTRD_PREFIX "container-name"
#define CTRD_SANDBOX_NAME CTRD_PREFIX "sandbox-name"
#define CTRD_SANDBOX_NAMESPACE CTRD_PREFIX "sandbox-namespace"
#define CTRD_SANDBOX_UID CTRD_PREFIX "sandbox-uid"
/* CRI-O (pkg/annotations and the kubelet's type labels) */
#define CRIO_PREFIX "io.kubernetes.cri-o."
#define CRIO_MANAGER "io.container.manager"
#define CRIO_CONTAINER_TYPE CRIO_PREFIX "ContainerType"
#define CRIO_POD_NAME "io.kubernetes.pod.name"
#define CRIO_POD_NAMESPACE "io.kubernetes.pod.namespace"
#define CRIO_POD_UID "io.kubernetes.pod.uid"
#define CRIO_CONTAINER_NAME "io.kubernetes.container.name"

/* The value of ann[key] when it is a string without an embedded NUL; NULL otherwise. */
static const char *ann_string(const json_t *ann, const char *key, size_t *len)
{
    const json_t *v = json_object_get(ann, key);
    const char *s;

    if (!json_is_string(v)) return NULL;
    s = json_string_value(v);
    *len = json_string_length(v);
    if (memchr(s, '\0', *len)) return NULL;
    return s;
}

static bool ann_equals(const json_t *ann, const char *key, const char *want)
{
    size_t len;
    const char *s = ann_string(ann, key, &len);

    return s && len == strlen(want) && memcmp(s, want, len) == 0;
}

static bool ann_has_prefix(const json_t *ann, const char *prefix)
{
    size_t plen = strlen(prefix);
    const char *key;
    json_t *v;

    /* json_object_foreach needs a non-const object; the loop only reads. */
    json_object_foreach((json_t *)ann, key, v)
    {
        (void)v;
        if (strncmp(key, prefix, plen) == 0) return true;
    }
    return false;
}

/* Kubernetes names are ASCII ([a-z0-9.-] after API validation). Anything else we refuse: '/'
 * and "." / ".." would change the meaning of a path built from the name, C0/DEL and non-ASCII
 * bytes (C1 controls, bidi overrides in UTF-8) could forge or garble a log line. */
static bool name_acceptable(const char *s, size_t len)
{
    if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.')) return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c >= 0x7f || c == '/') return false;
    }
    return true;
}

/* dst (cap bytes including the NUL) gets ann[key], or "" when it is missing or unusable. */
static void copy_field(char *dst, size_t cap, const json_t *ann, const char *key)
{
    size_t len;
    const char *s = ann_string(ann, key, &len);

    dst[0] = '\0';
    if (!s || len >= cap || !name_acceptable(s, len)) return;
    memcpy(dst, s, len);
    dst[len] = '\0';
}

#define COPY_FIELD(dst, ann, key) copy_field((dst), sizeof(dst), (ann), (key))

static int identity_from_annotations(const json_t *ann, struct oci_identity *out)
{
    /* CRI-O is checked first: it copies the pod's own annotations into the sandbox's spec, so a
     * user can plant io.kubernetes.cri.* keys in a CRI-O bundle; its own keys are written after
     * the copied ones and win. containerd copies pod annotations only when the administrator
     * configured a pod_annotations passthrough. */
    if (ann_equals(ann, CRIO_MANAGER, "cri-o") || ann_has_prefix(ann, CRIO_PREFIX)) {
        out->runtime = RUNTIME_CRIO;
        out->is_sandbox = ann_equals(ann, CRIO_CONTAINER_NAME, "POD") ||
                          ann_equals(ann, CRIO_CONTAINER_TYPE, "sandbox");
        COPY_FIELD(out->pod_name, ann, CRIO_POD_NAME);
        COPY_FIELD(out->pod_namespace, ann, CRIO_POD_NAMESPACE);
        COPY_FIELD(out->pod_uid, ann, CRIO_POD_UID);
        COPY_FIELD(out->container_name, ann, CRIO_CONTAINER_NAME);
    } else if (ann_has_prefix(ann, CTRD_PREFIX)) {
        out->runtime = RUNTIME_CONTAINERD;
        out->is_sandbox = ann_equals(ann, CTRD_CONTAINER_TYPE, "sandbox");
        COPY_FIELD(out->pod_name, ann, CTRD_SANDBOX_NAME);
        COPY_FIELD(out->pod_namespace, ann, CTRD_SANDBOX_NAMESPACE);
        COPY_FIELD(out->pod_uid, ann, CTRD_SANDBOX_UID); /* absent before containerd 1.6.11 */
        COPY_FIELD(out->container_name, ann, CTRD_CONTAINER_NAME);
    } else {
        return -EINVAL;
    }
    out->has_kubernetes = true;
    return 0;
}

/* On any error *out is left all-zero (RUNTIME_UNKNOWN, empty strings). */
int oci_parse_config(const char *json, size_t len, struct oci_identity *out)
{
    /* Real configs hold a few hundred values; counting them first keeps a document of tiny
     * values from costing jansson ~70 bytes each. */
    static const struct json_bounds bounds = {.max_bytes = OCI_CONFIG_MAX_BYTES,
                                              .max_values = OCI_CONFIG_MAX_VALUES,
                                              .flags = OCI_JSON_FLAGS,
                                              .object = true};
    char why[128];
    json_t *root;
    const json_t *ann;
    int rc;

    if (!out) return -EINVAL;
    memset(out, 0, sizeof(*out));
    if (!json) return len > OCI_CONFIG_MAX_BYTES ? -E2BIG : -EINVAL;
    rc = json_load_bounded(json, len, &bounds, &root, why, sizeof(why));
    if (rc) return rc;
    rc = -EINVAL;
    ann = json_object_get(root, "annotations");
    if (json_is_object(ann)) rc = identity_from_annotations(ann, out);
    json_decref(root);
    if (rc) memset(out, 0, sizeof(*out));
    return rc;
}

static bool container_id_valid(const char *id)
{
    if (!id || strnlen(id, CONTAINER_ID_LEN + 1) != CONTAINER_ID_LEN) return false;
    return hex_all_lower(id, CONTAINER_ID_LEN);
}

/* Reads and parses one config.json. FILE_READ_NOFOLLOW: the runtimes write it as a regular
 * file, so a symlink in its place is refused (-ELOOP) rather than followed to wherever it
 * points (opening some device nodes has side effects); a FIFO is refused without blocking.
 * -ENOENT when it (or a directory on the way) does not exist. */
static int load_config(const char *path, struct oci_identity *out)
{
    char *buf;
    size_t len;
    int rc = file_read(AT_FDCWD, path, OCI_CONFIG_MAX_BYTES, FILE_READ_NOFOLLOW, &buf, &len);

    if (rc == -ENOTDIR) return -ENOENT;
    if (rc == -EFBIG) return -E2BIG;
    if (rc) return rc;
    rc = oci_parse_config(buf, len, out);
    free(buf);
    return rc;
}

int oci_load_identity(const char *const dirs[], size_t ndirs, const char *container_id,
                      struct oci_identity *out)
{
    static const char *const layouts[] = {"config.json", "userdata/config.json"};
    char path[PATH_MAX];

    if (!out) return -EINVAL;
    memset(out, 0, sizeof(*out));
    /* Checked before any path is built: the id is a path component. */
    if (!container_id_valid(container_id) || (!dirs && ndirs)) return -EINVAL;
    for (size_t i = 0; i < ndirs; i++) {
        /* "" would turn into "/<id>/...": a directory nobody configured. */
        if (!dirs[i] || !dirs[i][0]) continue;
        for (size_t j = 0; j < sizeof(layouts) / sizeof(layouts[0]); j++) {
            int n = snprintf(path, sizeof(path), "%s/%s/%s", dirs[i], container_id, layouts[j]);
            int rc;

            if (n < 0 || (size_t)n >= sizeof(path)) return -ENAMETOOLONG;
            rc = load_config(path, out);
            if (rc == -ENOENT) continue;
            return rc;
        }
    }
    return -ENOENT;
}
