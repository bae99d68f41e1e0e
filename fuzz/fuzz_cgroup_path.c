/* libFuzzer harness for cgroup_path_classify(): the path is outside input. Besides running
 * under ASan/UBSan it checks the parser's invariants on every input:
 *   - the struct is consistent with the kind (ids well-formed, unused fields zero);
 *   - classification is deterministic;
 *   - pod_path_len <= len, and path[0..pod_path_len) classifies as the same pod;
 *   - prepending a neutral component or a '/', or appending a '/', changes nothing but
 *     pod_path_len (by the length of what was prepended).
 * Every buffer handed to the parser is exact-size heap memory without a NUL terminator. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discover/cgroup_path.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char NEUTRAL[] = "kmetrics-fuzz/"; /* neither a kubepods root nor "." / ".." */

static bool lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool str_in(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static bool valid_uid(const char *u)
{
    size_t n = strlen(u);

    if (n == 32) {
        for (size_t i = 0; i < n; i++)
            if (!lower_hex(u[i])) return false;
        return true;
    }
    if (n != 36) return false;
    for (size_t i = 0; i < n; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;

        if (dash ? u[i] != '-' : !lower_hex(u[i])) return false;
    }
    return true;
}

static bool valid_cid(const char *c)
{
    if (strlen(c) != CONTAINER_ID_LEN) return false;
    for (size_t i = 0; i < CONTAINER_ID_LEN; i++)
        if (!lower_hex(c[i])) return false;
    return true;
}

/* Classifies [a][b] (b may be empty) from a fresh exact-size heap copy. */
static enum cg_kind classify_cat(const char *a, size_t na, const char *b, size_t nb,
                                 struct cgroup_identity *out)
{
    size_t n = na + nb;
    char *buf = malloc(n ? n : 1);
    enum cg_kind k;

    if (!buf) abort();
    if (na) memcpy(buf, a, na);
    if (nb) memcpy(buf + na, b, nb);
    memset(out, 0xa5, sizeof(*out));
    k = cgroup_path_classify(buf, n, out);
    free(buf);
    return k;
}

static void check_consistent(const char *path, size_t len, enum cg_kind k,
                             const struct cgroup_identity *id)
{
    static const struct cgroup_identity zero;

    CHECK(id->kind == k);
    CHECK(str_in(id->pod_uid, sizeof(id->pod_uid)));
    CHECK(str_in(id->container_id, sizeof(id->container_id)));
    CHECK(id->pod_path_len <= len);
    CHECK(cg_kind_name(k) && cg_driver_name(id->driver) && pod_qos_name(id->qos) &&
          cg_runtime_name(id->runtime));

    switch (k) {
    case CG_OTHER:
        CHECK(memcmp(id, &zero, sizeof(zero)) == 0);
        return;
    case CG_ABOVE_PODS:
        CHECK(id->driver == CG_DRIVER_SYSTEMD || id->driver == CG_DRIVER_CGROUPFS);
        CHECK(id->qos != QOS_GUARANTEED);
        CHECK(id->runtime == RUNTIME_UNKNOWN);
        CHECK(id->pod_uid[0] == '\0' && id->container_id[0] == '\0');
        CHECK(!id->maybe_sandbox && id->pod_path_len == 0);
        return;
    case CG_POD:
        CHECK(id->runtime == RUNTIME_UNKNOWN && id->container_id[0] == '\0');
        CHECK(!id->maybe_sandbox);
        CHECK(id->pod_path_len > 0);
        for (size_t i = id->pod_path_len; i < len; i++)
            CHECK(path[i] == '/');
        break;
    case CG_CONTAINER:
    case CG_CONMON:
        CHECK(valid_cid(id->container_id));
        CHECK(id->pod_path_len < len && path[id->pod_path_len] == '/');
        CHECK(memmem(path + id->pod_path_len, len - id->pod_path_len, id->container_id,
                     CONTAINER_ID_LEN) != NULL);
        if (k == CG_CONMON)
            CHECK(id->runtime == RUNTIME_CRIO && !id->maybe_sandbox);
        else if (id->driver == CG_DRIVER_SYSTEMD)
            CHECK(id->runtime != RUNTIME_UNKNOWN);
        else
            CHECK(id->runtime == RUNTIME_UNKNOWN || id->runtime == RUNTIME_CRIO);
        if (id->maybe_sandbox)
            CHECK(k == CG_CONTAINER && id->driver == CG_DRIVER_SYSTEMD &&
                  id->runtime == RUNTIME_CRIO);
        break;
    default:
        CHECK(!"kind out of range");
    }
    /* pods, containers, conmon */
    CHECK(id->driver == CG_DRIVER_SYSTEMD || id->driver == CG_DRIVER_CGROUPFS);
    CHECK(id->qos == QOS_GUARANTEED || id->qos == QOS_BURSTABLE || id->qos == QOS_BESTEFFORT);
    CHECK(valid_uid(id->pod_uid));
}

/* Same identity apart from pod_path_len, which must have moved by shift. */
static void check_same(const struct cgroup_identity *a, const struct cgroup_identity *b,
                       size_t shift)
{
    struct cgroup_identity t = *b;

    CHECK(b->kind == a->kind);
    if (a->pod_path_len) {
        CHECK(b->pod_path_len == a->pod_path_len + shift);
        t.pod_path_len = a->pod_path_len;
    }
    CHECK(memcmp(a, &t, sizeof(t)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = (const char *)data;
    struct cgroup_identity id, again, pod, alt;
    enum cg_kind k;

    k = classify_cat(path, size, NULL, 0, &id);
    check_consistent(path, size, k, &id);

    CHECK(classify_cat(path, size, NULL, 0, &again) == k);
    CHECK(memcmp(&id, &again, sizeof(id)) == 0);

    if (k == CG_POD || k == CG_CONTAINER || k == CG_CONMON) {
        CHECK(classify_cat(path, id.pod_path_len, NULL, 0, &pod) == CG_POD);
        check_consistent(path, id.pod_path_len, CG_POD, &pod);
        CHECK(strcmp(pod.pod_uid, id.pod_uid) == 0);
        CHECK(pod.qos == id.qos && pod.driver == id.driver);
        CHECK(pod.pod_path_len == id.pod_path_len);
    }

    classify_cat(NEUTRAL, sizeof(NEUTRAL) - 1, path, size, &alt);
    check_same(&id, &alt, sizeof(NEUTRAL) - 1);
    classify_cat("/", 1, path, size, &alt);
    check_same(&id, &alt, 1);
    classify_cat(path, size, "/", 1, &alt);
    check_same(&id, &alt, 0);
    return 0;
}
