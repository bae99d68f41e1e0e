/* The walk's reach: pods under the kubepods root (also below kubelet --cgroup-root prefixes),
 * nothing under unrelated trees, never into containers; events follow the same rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "discover/cgroup_walk.h"
#include "lib/kube_layout.h"
#include "lib/test_util.h"

struct seen {
    int pods, containers;
    char last[PATH_MAX];
};

static void on_found(void *ctx, const char *rel, const struct cgroup_identity *id, uint64_t ino)
{
    struct seen *s = ctx;

    (void)ino;
    if (id->kind == CG_POD)
        s->pods++;
    else if (id->kind == CG_CONTAINER)
        s->containers++;
    snprintf(s->last, sizeof(s->last), "%s", rel);
}

static void test_walk_reach(void **state)
{
    char root[PATH_MAX], id[65], id2[65];
    struct cgroup_walk_stats st = {0};
    struct seen s = {0};

    (void)state;
    assert_int_equal(tu_tmpdir(root, sizeof(root), "walk"), 0);
    kl_container_id(id, 1);
    kl_container_id(id2, 2);
    /* Reached: the plain root, and the kubelet.slice prefix form. */
    tu_mkdirs("%s/kubepods.slice/kubepods-podaaaaaaaa_bbbb_cccc_dddd_eeeeeeeeeeee.slice/"
              "cri-containerd-%s.scope/nested-child",
              root, id);
    tu_mkdirs("%s/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
              "kubelet-kubepods-besteffort-pod11111111_2222_3333_4444_555555555555.slice/"
              "cri-containerd-%s.scope",
              root, id2);
    /* Not reached: an unrelated tree holding a kubepods copy, and a deep prefix. */
    tu_mkdirs("%s/system.slice/containerd.service/kubepods/pod11111111-2222-3333-4444-"
              "666666666666/%s",
              root, id);
    tu_mkdirs("%s/kube-a/kube-b/kube-c/kubepods/pod11111111-2222-3333-4444-777777777777/%s", root,
              id);
    int fd = open(root, O_RDONLY | O_DIRECTORY);
    assert_int_equal(cgroup_walk(fd, on_found, &s, &st), 0);
    close(fd);
    assert_int_equal(s.pods, 2);
    assert_int_equal(s.containers, 2);
    tu_rm_rf(root);

    assert_true(cgroup_walk_reaches("kubepods.slice/kubepods-pod1.slice"));
    assert_true(cgroup_walk_reaches("/kubelet.slice/kubelet-kubepods.slice/x"));
    assert_true(cgroup_walk_reaches("kube-a/kube-b/kubepods/pod1"));
    assert_false(cgroup_walk_reaches("kube-a/kube-b/kube-c/kubepods/pod1"));
    assert_false(cgroup_walk_reaches("system.slice/containerd.service/kubepods/pod1"));
    assert_false(cgroup_walk_reaches("kmetrics-test-1/kubepods.slice/x"));
    assert_false(cgroup_walk_reaches(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_reach),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
