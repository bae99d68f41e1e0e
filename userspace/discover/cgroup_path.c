/* Pod and container identity from a cgroup v2 path. One left-to-right pass over the
 * components with a small state machine; every comparison is bounded by the component's
 * length, so the whole walk is O(len), reads nothing past len and never allocates. */
#include "cgroup_path.h"

#include <string.h>

#include "hex.h"
#include "span.h"

/* Where the walk stands after the components seen so far. */
enum walk_state {
    W_SEARCH,    /* no kubepods root yet: components are the --cgroup-root prefix */
    W_ROOT,      /* at the kubepods root */
    W_QOS,       /* at a Burstable or BestEffort level */
    W_POD,       /* at a pod */
    W_CONTAINER, /* at a container (or CRI-O sandbox) */
    W_CONMON,    /* at CRI-O's conmon */
    W_OTHER,     /* unrecognised: final */
};

/* A pod UID as it appears in a cgroup name, with sep where the canonical form has '-'
 * ('_' for systemd slices, '-' for cgroupfs). Writes the canonical form to out. */
static bool parse_pod_uid(struct span s, char sep, char out[POD_UID_MAX + 1])
{
    if (s.n == 32) {
        if (!hex_all_lower(s.p, s.n)) return false;
    } else if (s.n == 36) {
        for (size_t i = 0; i < s.n; i++) {
            bool dash_pos = i == 8 || i == 13 || i == 18 || i == 23;

            if (dash_pos ? s.p[i] != sep : !hex_is_lower(s.p[i])) return false;
        }
    } else {
        return false;
    }
    for (size_t i = 0; i < s.n; i++)
        out[i] = s.p[i] == sep ? '-' : s.p[i];
    out[s.n] = '\0';
    return true;
}

static bool parse_container_id(struct span s, char out[CONTAINER_ID_LEN + 1])
{
    if (s.n != CONTAINER_ID_LEN || !hex_all_lower(s.p, s.n)) return false;
    memcpy(out, s.p, CONTAINER_ID_LEN);
    out[CONTAINER_ID_LEN] = '\0';
    return true;
}

/* "<P>.slice" where the component matches ^(.+-)?kubepods\.slice$; sets *prefix to P. */
static bool is_systemd_root(struct span c, struct span *prefix)
{
    static const char tail[] = "kubepods.slice";
    size_t tn = sizeof(tail) - 1;

    if (!span_has_suffix(c, tail)) return false;
    /* Either exactly "kubepods.slice" or at least one byte, then '-', before it. */
    if (c.n != tn && !(c.n >= tn + 2 && c.p[c.n - tn - 1] == '-')) return false;
    *prefix = span_chop(c, strlen(".slice"));
    return true;
}

/* "<prefix>-<rest>" (rest may be empty); sets *rest. */
static bool strip_dashed_prefix(struct span c, struct span prefix, struct span *rest)
{
    if (c.n < prefix.n + 1 || memcmp(c.p, prefix.p, prefix.n) != 0 || c.p[prefix.n] != '-')
        return false;
    *rest = span_skip(c, prefix.n + 1);
    return true;
}

/* "<prefix>-pod<uid_>.slice" */
static bool systemd_pod(struct span c, struct span prefix, struct cgroup_identity *out)
{
    struct span rest;

    if (!strip_dashed_prefix(c, prefix, &rest) || !span_has_prefix(rest, "pod") ||
        !span_has_suffix(rest, ".slice"))
        return false;
    rest = span_skip(rest, strlen("pod"));
    if (rest.n < strlen(".slice")) return false;
    return parse_pod_uid(span_chop(rest, strlen(".slice")), '_', out->pod_uid);
}

/* A child of the systemd kubepods root "<P>.slice": a QoS slice or a Guaranteed pod. */
static enum walk_state systemd_under_root(struct span c, struct span root_prefix,
                                          struct span *qos_prefix, struct cgroup_identity *out)
{
    struct span rest;

    if (systemd_pod(c, root_prefix, out)) {
        out->qos = QOS_GUARANTEED;
        return W_POD;
    }
    if (!strip_dashed_prefix(c, root_prefix, &rest)) return W_OTHER;
    if (span_is(rest, "burstable.slice"))
        out->qos = QOS_BURSTABLE;
    else if (span_is(rest, "besteffort.slice"))
        out->qos = QOS_BESTEFFORT;
    else
        return W_OTHER;
    *qos_prefix = span_chop(c, strlen(".slice"));
    return W_QOS;
}

/* A child of a systemd pod slice. */
static enum walk_state systemd_under_pod(struct span c, struct cgroup_identity *out)
{
    bool scope = span_has_suffix(c, ".scope");
    struct span id = scope ? span_chop(c, strlen(".scope")) : c;

    if (span_has_prefix(id, "crio-conmon-")) {
        out->runtime = RUNTIME_CRIO;
        return parse_container_id(span_skip(id, strlen("crio-conmon-")), out->container_id)
                   ? W_CONMON
                   : W_OTHER;
    }
    if (span_has_prefix(id, "crio-")) {
        out->runtime = RUNTIME_CRIO;
        out->maybe_sandbox = !scope;
        id = span_skip(id, strlen("crio-"));
    } else if (scope && span_has_prefix(id, "cri-containerd-")) {
        out->runtime = RUNTIME_CONTAINERD;
        id = span_skip(id, strlen("cri-containerd-"));
    } else if (scope && span_has_prefix(id, "docker-")) {
        out->runtime = RUNTIME_DOCKER;
        id = span_skip(id, strlen("docker-"));
    } else {
        return W_OTHER;
    }
    return parse_container_id(id, out->container_id) ? W_CONTAINER : W_OTHER;
}

/* A child of a cgroupfs pod directory. */
static enum walk_state cgroupfs_under_pod(struct span c, struct cgroup_identity *out)
{
    if (span_has_prefix(c, "crio-conmon-")) {
        out->runtime = RUNTIME_CRIO;
        return parse_container_id(span_skip(c, strlen("crio-conmon-")), out->container_id)
                   ? W_CONMON
                   : W_OTHER;
    }
    if (span_has_prefix(c, "crio-")) {
        out->runtime = RUNTIME_CRIO;
        c = span_skip(c, strlen("crio-"));
    } else {
        out->runtime = RUNTIME_UNKNOWN;
    }
    return parse_container_id(c, out->container_id) ? W_CONTAINER : W_OTHER;
}

/* "pod<uid>" under a cgroupfs root or QoS directory. */
static bool cgroupfs_pod(struct span c, struct cgroup_identity *out)
{
    return span_has_prefix(c, "pod") &&
           parse_pod_uid(span_skip(c, strlen("pod")), '-', out->pod_uid);
}

/* Advances the walk by one non-empty component c that ends at offset end of the path. */
static enum walk_state step(enum walk_state st, struct span c, size_t end, struct span *root_prefix,
                            struct span *qos_prefix, struct cgroup_identity *out)
{
    if (span_is(c, ".") || span_is(c, "..")) return W_OTHER;

    switch (st) {
    case W_SEARCH:
        if (span_is(c, "kubepods")) {
            out->driver = CG_DRIVER_CGROUPFS;
            return W_ROOT;
        }
        if (is_systemd_root(c, root_prefix)) {
            out->driver = CG_DRIVER_SYSTEMD;
            return W_ROOT;
        }
        return W_SEARCH;

    case W_ROOT:
        if (out->driver == CG_DRIVER_SYSTEMD) {
            st = systemd_under_root(c, *root_prefix, qos_prefix, out);
        } else if (span_is(c, "burstable")) {
            out->qos = QOS_BURSTABLE;
            st = W_QOS;
        } else if (span_is(c, "besteffort")) {
            out->qos = QOS_BESTEFFORT;
            st = W_QOS;
        } else if (cgroupfs_pod(c, out)) {
            out->qos = QOS_GUARANTEED;
            st = W_POD;
        } else {
            st = W_OTHER;
        }
        break;

    case W_QOS:
        if (out->driver == CG_DRIVER_SYSTEMD)
            st = systemd_pod(c, *qos_prefix, out) ? W_POD : W_OTHER;
        else
            st = cgroupfs_pod(c, out) ? W_POD : W_OTHER;
        break;

    case W_POD:
        return out->driver == CG_DRIVER_SYSTEMD ? systemd_under_pod(c, out)
                                                : cgroupfs_under_pod(c, out);

    case W_CONTAINER:
    case W_CONMON:
    case W_OTHER:
        return W_OTHER;
    }
    if (st == W_POD) out->pod_path_len = end;
    return st;
}

enum cg_kind cgroup_path_classify(const char *path, size_t len, struct cgroup_identity *out)
{
    struct cgroup_identity scratch;
    struct span root_prefix = {NULL, 0}, qos_prefix = {NULL, 0};
    enum walk_state st = W_SEARCH;
    enum cg_kind kind;
    size_t i = 0;

    if (!out) out = &scratch;
    memset(out, 0, sizeof(*out));
    if (!path || len == 0 || memchr(path, '\0', len)) return CG_OTHER;

    while (i < len && st != W_OTHER) {
        const char *slash;
        size_t start;

        while (i < len && path[i] == '/')
            i++;
        if (i == len) break;
        start = i;
        slash = memchr(path + i, '/', len - i);
        i = slash ? (size_t)(slash - path) : len;
        st = step(st, (struct span){path + start, i - start}, i, &root_prefix, &qos_prefix, out);
    }

    switch (st) {
    case W_ROOT:
    case W_QOS:
        kind = CG_ABOVE_PODS;
        break;
    case W_POD:
        kind = CG_POD;
        break;
    case W_CONTAINER:
        kind = CG_CONTAINER;
        break;
    case W_CONMON:
        kind = CG_CONMON;
        break;
    default:
        kind = CG_OTHER;
        break;
    }
    if (kind == CG_OTHER) {
        /* Nothing half-parsed leaks out of an unrecognised path. */
        memset(out, 0, sizeof(*out));
        return CG_OTHER;
    }
    if (kind == CG_ABOVE_PODS) out->runtime = RUNTIME_UNKNOWN;
    out->kind = kind;
    return kind;
}

const char *cg_kind_name(enum cg_kind k)
{
    switch (k) {
    case CG_OTHER:
        return "other";
    case CG_ABOVE_PODS:
        return "above-pods";
    case CG_POD:
        return "pod";
    case CG_CONTAINER:
        return "container";
    case CG_CONMON:
        return "conmon";
    }
    return "invalid";
}

const char *cg_driver_name(enum cg_driver d)
{
    switch (d) {
    case CG_DRIVER_UNKNOWN:
        return "unknown";
    case CG_DRIVER_SYSTEMD:
        return "systemd";
    case CG_DRIVER_CGROUPFS:
        return "cgroupfs";
    }
    return "invalid";
}

/* The QoS class names as Kubernetes prints them (status.qosClass). */
const char *pod_qos_name(enum pod_qos q)
{
    switch (q) {
    case QOS_UNKNOWN:
        return "unknown";
    case QOS_GUARANTEED:
        return "Guaranteed";
    case QOS_BURSTABLE:
        return "Burstable";
    case QOS_BESTEFFORT:
        return "BestEffort";
    }
    return "invalid";
}

const char *cg_runtime_name(enum cg_runtime r)
{
    switch (r) {
    case RUNTIME_UNKNOWN:
        return "unknown";
    case RUNTIME_CONTAINERD:
        return "containerd";
    case RUNTIME_CRIO:
        return "cri-o";
    case RUNTIME_DOCKER:
        return "docker";
    }
    return "invalid";
}
