/* Unit tests for userspace/cgroup_path.c: every layout the kubelet and the runtimes create,
 * and hostile paths. Every path is handed to the parser in an exact-size heap buffer without a
 * terminating NUL, so AddressSanitizer catches any read past len. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "discover/cgroup_path.h"

#define UID "0b7c1f8e-3c4d-4e5f-9a1b-2c3d4e5f6a7b"
#define UID_ "0b7c1f8e_3c4d_4e5f_9a1b_2c3d4e5f6a7b"
#define STATIC_UID "6d1b9a4f2e3c4b5a8f7e6d5c4b3a2910"
#define CID "4f9a0c1d2e3b4a5968778695a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6e7f"
#define CID63 "4f9a0c1d2e3b4a5968778695a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6e7"
#define CID65 CID "0"
#define CID_UPPER "4F9A0C1D2E3B4A5968778695A4B3C2D1E0F1A2B3C4D5E6F708192A3B4C5D6E7F"

/* systemd pod slices */
#define SD_ROOT "kubepods.slice"
#define SD_BU "kubepods.slice/kubepods-burstable.slice"
#define SD_BE "kubepods.slice/kubepods-besteffort.slice"
#define SD_POD_G SD_ROOT "/kubepods-pod" UID_ ".slice"
#define SD_POD_BU SD_BU "/kubepods-burstable-pod" UID_ ".slice"
#define SD_POD_BE SD_BE "/kubepods-besteffort-pod" UID_ ".slice"
/* cgroupfs pod directories */
#define FS_ROOT "kubepods"
#define FS_POD_G "kubepods/pod" UID
#define FS_POD_BU "kubepods/burstable/pod" UID
#define FS_POD_BE "kubepods/besteffort/pod" UID

/* ---- helpers ---------------------------------------------------------------------------- */

static enum cg_kind classify_exact(const char *path, size_t len, struct cgroup_identity *id)
{
    /* malloc(0) may return NULL; keep one byte so a zero-length call still has a pointer. */
    char *buf = malloc(len ? len : 1);
    enum cg_kind k;

    assert_non_null(buf);
    memcpy(buf, path, len);
    memset(id, 0xa5, sizeof(*id)); /* stale garbage that the parser must overwrite */
    k = cgroup_path_classify(buf, len, id);
    free(buf);
    return k;
}

struct expect {
    enum cg_kind kind;
    enum cg_driver driver;
    enum pod_qos qos;
    enum cg_runtime runtime;
    const char *uid; /* "" when none */
    const char *cid; /* "" when none */
    bool sandbox;
    const char *pod_dir; /* expected path[0..pod_path_len), NULL when pod_path_len is 0 */
};

static void check_len(const char *path, size_t len, const struct expect *e)
{
    struct cgroup_identity id;
    enum cg_kind k = classify_exact(path, len, &id);
    size_t want_ppl = e->pod_dir ? strlen(e->pod_dir) : 0;

    if (k != e->kind || id.kind != e->kind)
        fail_msg("'%.*s': kind %s (stored %s), want %s", (int)len, path, cg_kind_name(k),
                 cg_kind_name(id.kind), cg_kind_name(e->kind));
    if (id.driver != e->driver)
        fail_msg("'%s': driver %s, want %s", path, cg_driver_name(id.driver),
                 cg_driver_name(e->driver));
    if (id.qos != e->qos)
        fail_msg("'%s': qos %s, want %s", path, pod_qos_name(id.qos), pod_qos_name(e->qos));
    if (id.runtime != e->runtime)
        fail_msg("'%s': runtime %s, want %s", path, cg_runtime_name(id.runtime),
                 cg_runtime_name(e->runtime));
    if (memchr(id.pod_uid, '\0', sizeof(id.pod_uid)) == NULL || strcmp(id.pod_uid, e->uid) != 0)
        fail_msg("'%s': pod_uid '%.*s', want '%s'", path, (int)sizeof(id.pod_uid), id.pod_uid,
                 e->uid);
    if (memchr(id.container_id, '\0', sizeof(id.container_id)) == NULL ||
        strcmp(id.container_id, e->cid) != 0)
        fail_msg("'%s': container_id '%.*s', want '%s'", path, (int)sizeof(id.container_id),
                 id.container_id, e->cid);
    if (id.maybe_sandbox != e->sandbox)
        fail_msg("'%s': maybe_sandbox %d, want %d", path, id.maybe_sandbox, e->sandbox);
    if (id.pod_path_len != want_ppl)
        fail_msg("'%s': pod_path_len %zu, want %zu", path, id.pod_path_len, want_ppl);
    if (e->pod_dir && memcmp(path, e->pod_dir, want_ppl) != 0)
        fail_msg("'%s': pod prefix '%.*s', want '%s'", path, (int)want_ppl, path, e->pod_dir);
}

static void check(const char *path, const struct expect *e)
{
    check_len(path, strlen(path), e);
}

static void expect_other_len(const char *path, size_t len)
{
    static const struct expect other = {CG_OTHER, 0, 0, 0, "", "", false, NULL};

    check_len(path, len, &other);
}

static void expect_other(const char *path)
{
    expect_other_len(path, strlen(path));
}

static void expect_above(const char *path, enum cg_driver d, enum pod_qos q)
{
    struct expect e = {CG_ABOVE_PODS, d, q, RUNTIME_UNKNOWN, "", "", false, NULL};

    check(path, &e);
}

static void expect_pod(const char *path, enum cg_driver d, enum pod_qos q, const char *uid,
                       const char *pod_dir)
{
    struct expect e = {CG_POD, d, q, RUNTIME_UNKNOWN, uid, "", false, pod_dir};

    check(path, &e);
}

static void expect_ctr(const char *path, enum cg_kind k, enum cg_driver d, enum pod_qos q,
                       enum cg_runtime rt, const char *uid, bool sandbox, const char *pod_dir)
{
    struct expect e = {k, d, q, rt, uid, CID, sandbox, pod_dir};

    check(path, &e);
}

/* Checks the full set of runtime children of one systemd pod slice. */
static void check_systemd_pod(const char *pod, enum pod_qos q, const char *uid)
{
    char p[1024];

    expect_pod(pod, CG_DRIVER_SYSTEMD, q, uid, pod);
    snprintf(p, sizeof(p), "%s/cri-containerd-%s.scope", pod, CID);
    expect_ctr(p, CG_CONTAINER, CG_DRIVER_SYSTEMD, q, RUNTIME_CONTAINERD, uid, false, pod);
    snprintf(p, sizeof(p), "%s/crio-%s.scope", pod, CID);
    expect_ctr(p, CG_CONTAINER, CG_DRIVER_SYSTEMD, q, RUNTIME_CRIO, uid, false, pod);
    snprintf(p, sizeof(p), "%s/crio-%s", pod, CID);
    expect_ctr(p, CG_CONTAINER, CG_DRIVER_SYSTEMD, q, RUNTIME_CRIO, uid, true, pod);
    snprintf(p, sizeof(p), "%s/crio-conmon-%s.scope", pod, CID);
    expect_ctr(p, CG_CONMON, CG_DRIVER_SYSTEMD, q, RUNTIME_CRIO, uid, false, pod);
    snprintf(p, sizeof(p), "%s/crio-conmon-%s", pod, CID);
    expect_ctr(p, CG_CONMON, CG_DRIVER_SYSTEMD, q, RUNTIME_CRIO, uid, false, pod);
    snprintf(p, sizeof(p), "%s/docker-%s.scope", pod, CID);
    expect_ctr(p, CG_CONTAINER, CG_DRIVER_SYSTEMD, q, RUNTIME_DOCKER, uid, false, pod);
}

/* Checks the full set of runtime children of one cgroupfs pod directory. */
static void check_cgroupfs_pod(const char *pod, enum pod_qos q, const char *uid)
{
    char p[1024];

    expect_pod(pod, CG_DRIVER_CGROUPFS, q, uid, pod);
    snprintf(p, sizeof(p), "%s/%s", pod, CID);
    expect_ctr(p, CG_CONTAINER, CG_DRIVER_CGROUPFS, q, RUNTIME_UNKNOWN, uid, false, pod);
    snprintf(p, sizeof(p), "%s/crio-%s", pod, CID);
    expect_ctr(p, CG_CONTAINER, CG_DRIVER_CGROUPFS, q, RUNTIME_CRIO, uid, false, pod);
    snprintf(p, sizeof(p), "%s/crio-conmon-%s", pod, CID);
    expect_ctr(p, CG_CONMON, CG_DRIVER_CGROUPFS, q, RUNTIME_CRIO, uid, false, pod);
}

/* ---- names ------------------------------------------------------------------------------ */

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(cg_kind_name(CG_OTHER), "other");
    assert_string_equal(cg_kind_name(CG_ABOVE_PODS), "above-pods");
    assert_string_equal(cg_kind_name(CG_POD), "pod");
    assert_string_equal(cg_kind_name(CG_CONTAINER), "container");
    assert_string_equal(cg_kind_name(CG_CONMON), "conmon");
    assert_string_equal(cg_driver_name(CG_DRIVER_UNKNOWN), "unknown");
    assert_string_equal(cg_driver_name(CG_DRIVER_SYSTEMD), "systemd");
    assert_string_equal(cg_driver_name(CG_DRIVER_CGROUPFS), "cgroupfs");
    assert_string_equal(pod_qos_name(QOS_UNKNOWN), "unknown");
    assert_string_equal(pod_qos_name(QOS_GUARANTEED), "Guaranteed");
    assert_string_equal(pod_qos_name(QOS_BURSTABLE), "Burstable");
    assert_string_equal(pod_qos_name(QOS_BESTEFFORT), "BestEffort");
    assert_string_equal(cg_runtime_name(RUNTIME_UNKNOWN), "unknown");
    assert_string_equal(cg_runtime_name(RUNTIME_CONTAINERD), "containerd");
    assert_string_equal(cg_runtime_name(RUNTIME_CRIO), "cri-o");
    assert_string_equal(cg_runtime_name(RUNTIME_DOCKER), "docker");
    /* Out-of-range values still give a string. */
    assert_non_null(cg_kind_name((enum cg_kind)99));
    assert_non_null(cg_driver_name((enum cg_driver)99));
    assert_non_null(pod_qos_name((enum pod_qos)99));
    assert_non_null(cg_runtime_name((enum cg_runtime)99));
}

/* ---- systemd driver --------------------------------------------------------------------- */

static void test_systemd_guaranteed(void **state)
{
    (void)state;
    check_systemd_pod(SD_POD_G, QOS_GUARANTEED, UID);
}

static void test_systemd_burstable(void **state)
{
    (void)state;
    check_systemd_pod(SD_POD_BU, QOS_BURSTABLE, UID);
}

static void test_systemd_besteffort(void **state)
{
    (void)state;
    check_systemd_pod(SD_POD_BE, QOS_BESTEFFORT, UID);
}

static void test_systemd_above_pods(void **state)
{
    (void)state;
    expect_above(SD_ROOT, CG_DRIVER_SYSTEMD, QOS_UNKNOWN);
    expect_above(SD_BU, CG_DRIVER_SYSTEMD, QOS_BURSTABLE);
    expect_above(SD_BE, CG_DRIVER_SYSTEMD, QOS_BESTEFFORT);
    expect_above("/" SD_BU "/", CG_DRIVER_SYSTEMD, QOS_BURSTABLE);
}

static void test_systemd_static_pod(void **state)
{
    (void)state;
    check_systemd_pod(SD_ROOT "/kubepods-pod" STATIC_UID ".slice", QOS_GUARANTEED, STATIC_UID);
    check_systemd_pod(SD_BU "/kubepods-burstable-pod" STATIC_UID ".slice", QOS_BURSTABLE,
                      STATIC_UID);
    check_systemd_pod(SD_BE "/kubepods-besteffort-pod" STATIC_UID ".slice", QOS_BESTEFFORT,
                      STATIC_UID);
}

/* kubelet --cgroup-root=/kubelet.slice: the slices carry a "kubelet-" prefix. */
static void test_systemd_cgroup_root_prefix(void **state)
{
    (void)state;
    expect_above("kubelet.slice/kubelet-kubepods.slice", CG_DRIVER_SYSTEMD, QOS_UNKNOWN);
    expect_above("kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice",
                 CG_DRIVER_SYSTEMD, QOS_BESTEFFORT);
    check_systemd_pod("kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod" UID_ ".slice",
                      QOS_GUARANTEED, UID);
    check_systemd_pod("/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/"
                      "kubelet-kubepods-burstable-pod" UID_ ".slice",
                      QOS_BURSTABLE, UID);
    /* Nested --cgroup-root: systemd spells every ancestor into the name. */
    check_systemd_pod("a.slice/a-b.slice/a-b-kubepods.slice/a-b-kubepods-pod" UID_ ".slice",
                      QOS_GUARANTEED, UID);
    /* The prefix is matched exactly at every level. */
    expect_other("kubelet.slice/kubelet-kubepods.slice/kubepods-pod" UID_ ".slice");
    expect_other("kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/"
                 "kubepods-burstable-pod" UID_ ".slice");
    expect_other("kubelet-kubepods.slice/kubepods-burstable.slice");
}

/* ---- cgroupfs driver -------------------------------------------------------------------- */

static void test_cgroupfs_guaranteed(void **state)
{
    (void)state;
    check_cgroupfs_pod(FS_POD_G, QOS_GUARANTEED, UID);
}

static void test_cgroupfs_burstable(void **state)
{
    (void)state;
    check_cgroupfs_pod(FS_POD_BU, QOS_BURSTABLE, UID);
}

static void test_cgroupfs_besteffort(void **state)
{
    (void)state;
    check_cgroupfs_pod(FS_POD_BE, QOS_BESTEFFORT, UID);
}

static void test_cgroupfs_above_pods(void **state)
{
    (void)state;
    expect_above(FS_ROOT, CG_DRIVER_CGROUPFS, QOS_UNKNOWN);
    expect_above("kubepods/burstable", CG_DRIVER_CGROUPFS, QOS_BURSTABLE);
    expect_above("kubepods/besteffort", CG_DRIVER_CGROUPFS, QOS_BESTEFFORT);
    expect_above("/kubepods/", CG_DRIVER_CGROUPFS, QOS_UNKNOWN);
}

static void test_cgroupfs_static_pod(void **state)
{
    (void)state;
    check_cgroupfs_pod("kubepods/pod" STATIC_UID, QOS_GUARANTEED, STATIC_UID);
    check_cgroupfs_pod("kubepods/burstable/pod" STATIC_UID, QOS_BURSTABLE, STATIC_UID);
    check_cgroupfs_pod("kubepods/besteffort/pod" STATIC_UID, QOS_BESTEFFORT, STATIC_UID);
}

/* ---- runtime specifics ------------------------------------------------------------------ */

static void test_crio_sandbox_and_conmon(void **state)
{
    (void)state;
    /* systemd: bare crio-<id> may be the sandbox; .scope is a container. */
    expect_ctr(SD_POD_BU "/crio-" CID, CG_CONTAINER, CG_DRIVER_SYSTEMD, QOS_BURSTABLE, RUNTIME_CRIO,
               UID, true, SD_POD_BU);
    expect_ctr(SD_POD_BU "/crio-" CID ".scope", CG_CONTAINER, CG_DRIVER_SYSTEMD, QOS_BURSTABLE,
               RUNTIME_CRIO, UID, false, SD_POD_BU);
    /* cgroupfs: crio-<id> is the normal container name, never flagged. */
    expect_ctr(FS_POD_BU "/crio-" CID, CG_CONTAINER, CG_DRIVER_CGROUPFS, QOS_BURSTABLE,
               RUNTIME_CRIO, UID, false, FS_POD_BU);
    /* conmon in both drivers, with and without .scope under systemd. */
    expect_ctr(SD_POD_G "/crio-conmon-" CID ".scope", CG_CONMON, CG_DRIVER_SYSTEMD, QOS_GUARANTEED,
               RUNTIME_CRIO, UID, false, SD_POD_G);
    expect_ctr(SD_POD_G "/crio-conmon-" CID, CG_CONMON, CG_DRIVER_SYSTEMD, QOS_GUARANTEED,
               RUNTIME_CRIO, UID, false, SD_POD_G);
    expect_ctr(FS_POD_BE "/crio-conmon-" CID, CG_CONMON, CG_DRIVER_CGROUPFS, QOS_BESTEFFORT,
               RUNTIME_CRIO, UID, false, FS_POD_BE);
    /* conmon with a bad id, or the .scope form under cgroupfs. */
    expect_other(SD_POD_G "/crio-conmon-" CID63 ".scope");
    expect_other(SD_POD_G "/crio-conmon-.scope");
    expect_other(FS_POD_G "/crio-conmon-" CID ".scope");
    expect_other(FS_POD_G "/crio-conmon-" CID65);
}

/* ---- prefixes, slashes, pod_path_len ---------------------------------------------------- */

static void test_leading_prefix_components(void **state)
{
    (void)state;
    expect_above("kmetrics-test-123/kubepods.slice", CG_DRIVER_SYSTEMD, QOS_UNKNOWN);
    check_systemd_pod("kmetrics-test-123/" SD_POD_BE, QOS_BESTEFFORT, UID);
    check_systemd_pod("/kmetrics-test-123/x.slice/" SD_POD_G, QOS_GUARANTEED, UID);
    check_cgroupfs_pod("kmetrics-test-123/" FS_POD_BU, QOS_BURSTABLE, UID);
    check_cgroupfs_pod("/a/b/c/" FS_POD_G, QOS_GUARANTEED, UID);
    /* Prefix components that merely contain "kubepods" are not the root. */
    check_cgroupfs_pod("kubepods.slicex/kubepods2/" FS_POD_G, QOS_GUARANTEED, UID);
}

static void test_slashes(void **state)
{
    (void)state;
    /* Leading slash: part of the pod prefix. */
    expect_ctr("/" SD_POD_G "/cri-containerd-" CID ".scope", CG_CONTAINER, CG_DRIVER_SYSTEMD,
               QOS_GUARANTEED, RUNTIME_CONTAINERD, UID, false, "/" SD_POD_G);
    expect_pod("/" FS_POD_BU, CG_DRIVER_CGROUPFS, QOS_BURSTABLE, UID, "/" FS_POD_BU);
    /* Trailing slash: not part of the pod prefix. */
    expect_pod(SD_POD_BE "/", CG_DRIVER_SYSTEMD, QOS_BESTEFFORT, UID, SD_POD_BE);
    expect_pod(FS_POD_G "///", CG_DRIVER_CGROUPFS, QOS_GUARANTEED, UID, FS_POD_G);
    expect_ctr(FS_POD_G "/" CID "/", CG_CONTAINER, CG_DRIVER_CGROUPFS, QOS_GUARANTEED,
               RUNTIME_UNKNOWN, UID, false, FS_POD_G);
    /* Doubled slashes everywhere. */
    expect_ctr("//kubepods//burstable//pod" UID "//" CID "//", CG_CONTAINER, CG_DRIVER_CGROUPFS,
               QOS_BURSTABLE, RUNTIME_UNKNOWN, UID, false, "//kubepods//burstable//pod" UID);
    expect_ctr("//kubepods.slice///kubepods-pod" UID_ ".slice////docker-" CID ".scope",
               CG_CONTAINER, CG_DRIVER_SYSTEMD, QOS_GUARANTEED, RUNTIME_DOCKER, UID, false,
               "//kubepods.slice///kubepods-pod" UID_ ".slice");
}

/* Classifying the pod prefix of a container path gives the same pod identity back. */
static void test_pod_path_len_reclassifies(void **state)
{
    static const char *const paths[] = {
        SD_POD_G "/cri-containerd-" CID ".scope",
        "/x/" SD_POD_BU "//crio-" CID,
        "//" SD_POD_BE "/crio-conmon-" CID ".scope/",
        FS_POD_G "/" CID,
        "/kubepods//besteffort/pod" STATIC_UID "/crio-" CID "/",
        "kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod" UID_ ".slice/docker-" CID
        ".scope",
    };
    (void)state;

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct cgroup_identity c, p;

        assert_true(classify_exact(paths[i], strlen(paths[i]), &c) >= CG_CONTAINER);
        assert_true(c.pod_path_len < strlen(paths[i]));
        assert_int_equal(paths[i][c.pod_path_len], '/');
        assert_int_equal(classify_exact(paths[i], c.pod_path_len, &p), CG_POD);
        assert_string_equal(p.pod_uid, c.pod_uid);
        assert_int_equal(p.qos, c.qos);
        assert_int_equal(p.driver, c.driver);
        assert_int_equal(p.pod_path_len, c.pod_path_len);
    }
}

/* The whole struct is rewritten on every call, and out may be NULL. */
static void test_struct_fully_filled(void **state)
{
    struct cgroup_identity id;
    (void)state;

    memset(&id, 0x5a, sizeof(id));
    assert_int_equal(cgroup_path_classify(SD_ROOT, strlen(SD_ROOT), &id), CG_ABOVE_PODS);
    assert_int_equal(id.pod_uid[0], '\0');
    assert_int_equal(id.container_id[0], '\0');
    assert_false(id.maybe_sandbox);
    assert_int_equal(id.pod_path_len, 0);
    assert_int_equal(id.runtime, RUNTIME_UNKNOWN);

    /* A near miss after a real container leaves nothing of the partial parse behind. */
    assert_int_equal(
        cgroup_path_classify(SD_POD_G "/crio-" CID, strlen(SD_POD_G "/crio-" CID), &id),
        CG_CONTAINER);
    assert_int_equal(
        cgroup_path_classify(SD_POD_G "/crio-" CID63, strlen(SD_POD_G "/crio-" CID63), &id),
        CG_OTHER);
    {
        struct cgroup_identity zero;

        memset(&zero, 0, sizeof(zero));
        assert_memory_equal(&id, &zero, sizeof(id));
    }

    assert_int_equal(cgroup_path_classify(FS_POD_G, strlen(FS_POD_G), NULL), CG_POD);
    assert_int_equal(cgroup_path_classify(NULL, 0, &id), CG_OTHER);
    assert_int_equal(cgroup_path_classify(NULL, 5, &id), CG_OTHER);
}

/* ---- hostile ---------------------------------------------------------------------------- */

static void test_hostile_empty_and_slashes(void **state)
{
    size_t n = 64 * 1024;
    char *big = malloc(n);
    (void)state;

    assert_non_null(big);
    expect_other_len("", 0);
    expect_other("/");
    expect_other("////");
    memset(big, '/', n);
    expect_other_len(big, n);
    /* 64 KiB of one component, and of many one-letter components. */
    memset(big, 'a', n);
    expect_other_len(big, n);
    for (size_t i = 1; i < n; i += 2)
        big[i] = '/';
    expect_other_len(big, n);
    free(big);
}

/* A 64 KiB prefix before a real container still parses, with pod_path_len counting it. */
static void test_hostile_huge_prefix_pod_path_len(void **state)
{
    static const char tail[] = "/" SD_POD_BE "/crio-" CID ".scope";
    size_t n = 64 * 1024, tl = sizeof(tail) - 1;
    char *big = malloc(n);
    struct cgroup_identity id;
    (void)state;

    assert_non_null(big);
    memset(big, 'x', n - tl);
    memcpy(big + n - tl, tail, tl);
    assert_int_equal(classify_exact(big, n, &id), CG_CONTAINER);
    assert_int_equal(id.pod_path_len, n - tl + strlen("/" SD_POD_BE));
    assert_string_equal(id.pod_uid, UID);
    assert_int_equal(id.runtime, RUNTIME_CRIO);
    free(big);
}

static void test_hostile_uppercase(void **state)
{
    (void)state;
    expect_other(SD_POD_G "/cri-containerd-" CID_UPPER ".scope");
    expect_other(FS_POD_G "/" CID_UPPER);
    expect_other(FS_POD_G "/crio-" CID_UPPER);
    expect_other("kubepods/pod0B7C1F8E-3C4D-4E5F-9A1B-2C3D4E5F6A7B");
    expect_other(SD_ROOT "/kubepods-pod0B7C1F8E_3C4D_4E5F_9A1B_2C3D4E5F6A7B.slice");
    expect_other("KUBEPODS/pod" UID);
    expect_other("Kubepods.slice/kubepods-pod" UID_ ".slice");
    expect_other(SD_ROOT "/kubepods-Burstable.slice");
    expect_other("kubepods/Burstable");
    expect_other(SD_POD_G "/CRIO-" CID ".scope");
    expect_other(SD_POD_G "/crio-" CID ".Scope");
}

static void test_hostile_container_id_length(void **state)
{
    (void)state;
    expect_other(SD_POD_G "/cri-containerd-" CID63 ".scope");
    expect_other(SD_POD_G "/cri-containerd-" CID65 ".scope");
    expect_other(SD_POD_BU "/crio-" CID63 ".scope");
    expect_other(SD_POD_BU "/crio-" CID65);
    expect_other(SD_POD_BE "/docker-" CID63 ".scope");
    expect_other(SD_POD_BE "/docker-" CID65 ".scope");
    expect_other(FS_POD_G "/" CID63);
    expect_other(FS_POD_G "/" CID65);
    expect_other(FS_POD_BU "/crio-" CID63);
    expect_other(FS_POD_BU "/crio-" CID65);
    expect_other(SD_POD_G "/cri-containerd-.scope");
    expect_other(SD_POD_G "/crio-");
    expect_other(SD_POD_G "/.scope");
    /* non-hex characters */
    expect_other(FS_POD_G "/g" CID63);
    expect_other(FS_POD_G "/-" CID63);
}

static void test_hostile_uid_separators(void **state)
{
    (void)state;
    /* '_' in cgroupfs, '-' in systemd names */
    expect_other("kubepods/pod" UID_);
    expect_other("kubepods/burstable/pod" UID_ "/" CID);
    expect_other(SD_ROOT "/kubepods-pod" UID ".slice");
    expect_other(SD_BU "/kubepods-burstable-pod" UID ".slice/crio-" CID ".scope");
    /* a mix of both */
    expect_other("kubepods/pod0b7c1f8e-3c4d_4e5f-9a1b-2c3d4e5f6a7b");
    expect_other(SD_ROOT "/kubepods-pod0b7c1f8e_3c4d-4e5f_9a1b_2c3d4e5f6a7b.slice");
}

static void test_hostile_uid_shape(void **state)
{
    (void)state;
    /* dashes moved by one */
    expect_other("kubepods/pod0b7c1f8-e3c4d-4e5f-9a1b-2c3d4e5f6a7b");
    expect_other("kubepods/pod0b7c1f8e3-c4d-4e5f-9a1b-2c3d4e5f6a7b");
    expect_other("kubepods/pod0b7c1f8e-3c4d-4e5f-9a1b2-c3d4e5f6a7b");
    expect_other(SD_ROOT "/kubepods-pod0b7c1f8e_3c4d_4e5f9_a1b_2c3d4e5f6a7b.slice");
    /* 36 characters but dashes where hex belongs */
    expect_other("kubepods/pod------------------------------------");
    /* wrong lengths */
    expect_other("kubepods/pod0b7c1f8e-3c4d-4e5f-9a1b-2c3d4e5f6a7");
    expect_other("kubepods/pod0b7c1f8e-3c4d-4e5f-9a1b-2c3d4e5f6a7bc");
    expect_other("kubepods/pod" STATIC_UID "0");
    expect_other("kubepods/pod6d1b9a4f2e3c4b5a8f7e6d5c4b3a291");
    expect_other("kubepods/pod");
    expect_other(SD_ROOT "/kubepods-pod.slice");
    expect_other(SD_ROOT "/kubepods-pod" STATIC_UID "0.slice");
    /* 32 hex with a stray separator is neither form */
    expect_other("kubepods/pod6d1b9a4f-2e3c4b5a8f7e6d5c4b3a2910");
    /* non-hex */
    expect_other("kubepods/pod0b7c1f8e-3c4d-4e5f-9a1b-2c3d4e5f6a7g");
    expect_other("kubepods/pod0b7c1f8e-3c4d-4e5f-9a1b-2c3d4e5f6a7 ");
    /* missing .slice / extra suffix */
    expect_other(SD_ROOT "/kubepods-pod" UID_);
    expect_other(SD_ROOT "/kubepods-pod" UID_ ".slice.slice");
    expect_other("kubepods/pod" UID ".slice");
}

static void test_hostile_dot_components(void **state)
{
    (void)state;
    expect_other("..");
    expect_other(".");
    expect_other("../" FS_POD_G);
    expect_other("./" FS_POD_G);
    expect_other("kubepods/../" FS_POD_G);
    expect_other("kubepods/./burstable");
    expect_other(FS_POD_G "/..");
    expect_other(FS_POD_G "/" CID "/..");
    expect_other(SD_POD_G "/./cri-containerd-" CID ".scope");
    expect_other("/" SD_ROOT "/..");
    /* names merely starting with dots are ordinary prefix components */
    expect_above(".../kubepods", CG_DRIVER_CGROUPFS, QOS_UNKNOWN);
    expect_above("..x/kubepods", CG_DRIVER_CGROUPFS, QOS_UNKNOWN);
}

static void test_hostile_embedded_nul(void **state)
{
    static const char p1[] = FS_POD_G "\0/" CID;
    static const char p2[] = "kube\0pods/pod" UID;
    static const char p3[] = "x\0/" SD_POD_G;
    static const char p4[] = FS_POD_G "/" CID "\0";
    (void)state;

    expect_other_len(p1, sizeof(p1) - 1);
    expect_other_len(p2, sizeof(p2) - 1);
    expect_other_len(p3, sizeof(p3) - 1);
    expect_other_len(p4, sizeof(p4) - 1);
    expect_other_len("\0", 1);
    /* the same path without the NUL parses */
    expect_ctr(FS_POD_G "/" CID, CG_CONTAINER, CG_DRIVER_CGROUPFS, QOS_GUARANTEED, RUNTIME_UNKNOWN,
               UID, false, FS_POD_G);
}

static void test_hostile_missing_pod_level(void **state)
{
    (void)state;
    /* container-looking names directly under the root or a QoS level */
    expect_other("kubepods/" CID);
    expect_other("kubepods/crio-" CID);
    expect_other("kubepods/burstable/" CID);
    expect_other(SD_ROOT "/cri-containerd-" CID ".scope");
    expect_other(SD_ROOT "/crio-" CID);
    expect_other(SD_BE "/docker-" CID ".scope");
    expect_other(SD_BU "/crio-conmon-" CID ".scope");
    /* a pod named at the wrong level */
    expect_other(SD_ROOT "/kubepods-burstable-pod" UID_ ".slice");
    expect_other(SD_BU "/kubepods-pod" UID_ ".slice");
    expect_other(SD_BU "/kubepods-besteffort-pod" UID_ ".slice");
    /* a QoS level below another QoS level or below a pod */
    expect_other("kubepods/burstable/besteffort");
    expect_other(SD_BU "/kubepods-burstable-burstable.slice");
    expect_other(FS_POD_G "/burstable");
    /* unrecognised things anywhere below the root */
    expect_other("kubepods/guaranteed");
    expect_other(SD_ROOT "/kubepods-guaranteed.slice");
    expect_other(SD_ROOT "/system.slice");
    expect_other(FS_POD_G "/pod" UID);
    expect_other(SD_POD_G "/kubepods-pod" UID_ ".slice");
}

static void test_hostile_nested_under_container(void **state)
{
    (void)state;
    expect_other(SD_POD_G "/cri-containerd-" CID ".scope/init.scope");
    expect_other(SD_POD_G "/cri-containerd-" CID ".scope/cri-containerd-" CID ".scope");
    expect_other(SD_POD_BU "/crio-" CID "/crio-" CID ".scope");
    expect_other(SD_POD_BU "/crio-conmon-" CID ".scope/x");
    expect_other(FS_POD_G "/" CID "/" CID);
    expect_other(FS_POD_G "/crio-conmon-" CID "/" CID);
    expect_other(FS_POD_BE "/" CID "/kubepods/pod" UID);
}

static void test_hostile_kubepods_twice(void **state)
{
    (void)state;
    expect_other("kubepods/kubepods");
    expect_other("kubepods/kubepods/pod" UID);
    expect_other("kubepods.slice/kubepods.slice");
    expect_other("kubepods.slice/kubepods.slice/kubepods-pod" UID_ ".slice");
    expect_other("kubepods/kubepods.slice/kubepods-pod" UID_ ".slice");
    expect_other("kubepods.slice/kubepods");
    expect_other("kubepods/burstable/kubepods");
    expect_other(FS_POD_G "/kubepods");
    expect_other(SD_POD_G "/kubepods.slice");
    expect_other(SD_BU "/x-kubepods.slice");
}

static void test_hostile_root_near_misses(void **state)
{
    (void)state;
    expect_other("kubepods.slicex");
    expect_other("kubepods.slicex/kubepods-pod" UID_ ".slice");
    expect_other("kubepodsx/pod" UID);
    expect_other("xkubepods/pod" UID);
    expect_other("kubepods.slic");
    expect_other("-kubepods.slice");
    expect_other("-kubepods.slice/--kubepods-pod" UID_ ".slice");
    expect_other("xkubepods.slice"); /* no '-' before "kubepods" */
    expect_other("kubepods.scope");
    expect_other("kubepods-burstable.slice");
    expect_other("kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice");
    expect_other("burstable/pod" UID);
    expect_other("pod" UID);
    expect_other("kubepods-pod" UID_ ".slice");
    expect_other("x/y/z");
    /* "<x>-kubepods.slice" is a root for any non-empty x, including one ending in '-' */
    expect_above("a--kubepods.slice", CG_DRIVER_SYSTEMD, QOS_UNKNOWN);
    expect_pod("a--kubepods.slice/a--kubepods-pod" UID_ ".slice", CG_DRIVER_SYSTEMD, QOS_GUARANTEED,
               UID, "a--kubepods.slice/a--kubepods-pod" UID_ ".slice");
}

static void test_hostile_systemd_without_scope(void **state)
{
    (void)state;
    expect_other(SD_POD_G "/cri-containerd-" CID);
    expect_other(SD_POD_BU "/docker-" CID);
    expect_other(SD_POD_BE "/" CID); /* bare hex is a cgroupfs name */
    expect_other(SD_POD_BE "/" CID ".scope");
    expect_other(SD_POD_G "/cri-containerd-" CID ".slice");
    expect_other(SD_POD_G "/crio-" CID ".slice");
}

static void test_hostile_mixed_drivers(void **state)
{
    (void)state;
    /* systemd-named levels under a cgroupfs root */
    expect_other("kubepods/kubepods-burstable.slice");
    expect_other("kubepods/kubepods-pod" UID_ ".slice");
    expect_other("kubepods/burstable/kubepods-burstable-pod" UID_ ".slice");
    expect_other(FS_POD_G "/cri-containerd-" CID ".scope");
    expect_other(FS_POD_G "/crio-" CID ".scope");
    expect_other(FS_POD_G "/docker-" CID ".scope");
    expect_other(FS_POD_G "/docker-" CID);
    /* cgroupfs-named levels under a systemd root */
    expect_other(SD_ROOT "/burstable");
    expect_other(SD_ROOT "/pod" UID);
    expect_other(SD_BU "/pod" UID);
    expect_other(SD_ROOT "/besteffort/pod" UID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_systemd_guaranteed),
        cmocka_unit_test(test_systemd_burstable),
        cmocka_unit_test(test_systemd_besteffort),
        cmocka_unit_test(test_systemd_above_pods),
        cmocka_unit_test(test_systemd_static_pod),
        cmocka_unit_test(test_systemd_cgroup_root_prefix),
        cmocka_unit_test(test_cgroupfs_guaranteed),
        cmocka_unit_test(test_cgroupfs_burstable),
        cmocka_unit_test(test_cgroupfs_besteffort),
        cmocka_unit_test(test_cgroupfs_above_pods),
        cmocka_unit_test(test_cgroupfs_static_pod),
        cmocka_unit_test(test_crio_sandbox_and_conmon),
        cmocka_unit_test(test_leading_prefix_components),
        cmocka_unit_test(test_slashes),
        cmocka_unit_test(test_pod_path_len_reclassifies),
        cmocka_unit_test(test_struct_fully_filled),
        cmocka_unit_test(test_hostile_empty_and_slashes),
        cmocka_unit_test(test_hostile_huge_prefix_pod_path_len),
        cmocka_unit_test(test_hostile_uppercase),
        cmocka_unit_test(test_hostile_container_id_length),
        cmocka_unit_test(test_hostile_uid_separators),
        cmocka_unit_test(test_hostile_uid_shape),
        cmocka_unit_test(test_hostile_dot_components),
        cmocka_unit_test(test_hostile_embedded_nul),
        cmocka_unit_test(test_hostile_missing_pod_level),
        cmocka_unit_test(test_hostile_nested_under_container),
        cmocka_unit_test(test_hostile_kubepods_twice),
        cmocka_unit_test(test_hostile_root_near_misses),
        cmocka_unit_test(test_hostile_systemd_without_scope),
        cmocka_unit_test(test_hostile_mixed_drivers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
