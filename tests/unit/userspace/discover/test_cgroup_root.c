/* Finding the cgroup v2 mount from mountinfo: unified, hybrid, namespaced and hostile text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "discover/cgroup_root.h"

/* This machine's shape: v1 controllers on /sys/fs/cgroup/<c>, cgroup2 on .../unified. */
static const char hybrid[] =
    "22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "25 22 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 "
    "cgroup2 rw,nsdelegate\n"
    "27 25 0:25 / /sys/fs/cgroup/systemd rw,nosuid shared:11 - cgroup cgroup rw,name=systemd\n"
    "30 25 0:28 / /sys/fs/cgroup/cpu rw,nosuid shared:14 - cgroup cgroup rw,cpu\n";

static const char unified[] =
    "22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "26 22 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n"
    "90 26 0:24 / /mnt/other\\040cg rw - cgroup2 cgroup2 rw\n";

/* Inside a container with a cgroup namespace: the mount's root is a sub-path. */
static const char namespaced[] = "1200 1100 0:24 /kubepods.slice/kubepods-pod1.slice/cri-x.scope "
                                 "/sys/fs/cgroup ro,nosuid - cgroup2 cgroup2 rw\n";

static void test_hybrid_picks_unified(void **state)
{
    struct cgroup2_mount m;
    char hp[4096];

    (void)state;
    assert_int_equal(cgroup2_find_mount(hybrid, strlen(hybrid), &m), 0);
    assert_string_equal(m.mount_point, "/sys/fs/cgroup/unified");
    assert_string_equal(m.root, "/");
    assert_int_equal(cgroup2_mount_of(hybrid, strlen(hybrid), "/sys/fs/cgroup/unified/a/b", &m), 0);
    assert_int_equal(cgroup2_hierarchy_path(&m, "/sys/fs/cgroup/unified/a/b", hp, sizeof(hp)), 0);
    assert_string_equal(hp, "/a/b");
    assert_int_equal(cgroup2_hierarchy_path(&m, "/sys/fs/cgroup/unified", hp, sizeof(hp)), 0);
    assert_string_equal(hp, "");
    /* The v1 cpu hierarchy is not cgroup2. */
    assert_int_equal(cgroup2_mount_of(hybrid, strlen(hybrid), "/sys/fs/cgroup/cpu/x", &m), -ENOENT);
    /* A sibling whose name merely starts like the mount point is not under it. */
    assert_int_equal(cgroup2_mount_of(hybrid, strlen(hybrid), "/sys/fs/cgroup/unifiedx", &m),
                     -ENOENT);
}

static void test_unified_prefers_sys_fs_cgroup_and_unescapes(void **state)
{
    struct cgroup2_mount m;

    (void)state;
    assert_int_equal(cgroup2_find_mount(unified, strlen(unified), &m), 0);
    assert_string_equal(m.mount_point, "/sys/fs/cgroup");
    assert_int_equal(cgroup2_mount_of(unified, strlen(unified), "/mnt/other cg/x", &m), 0);
    assert_string_equal(m.mount_point, "/mnt/other cg");
}

static void test_namespaced_root_prefixes_hierarchy_path(void **state)
{
    struct cgroup2_mount m;
    char hp[4096];

    (void)state;
    assert_int_equal(cgroup2_mount_of(namespaced, strlen(namespaced), "/sys/fs/cgroup", &m), 0);
    assert_int_equal(cgroup2_hierarchy_path(&m, "/sys/fs/cgroup", hp, sizeof(hp)), 0);
    assert_string_equal(hp, "/kubepods.slice/kubepods-pod1.slice/cri-x.scope");
}

static void test_hostile_mountinfo(void **state)
{
    struct cgroup2_mount m;
    const char *cases[] = {
        "",
        "garbage\n",
        "1 2 3 4 5 6 7 8 9 10 11\n",                          /* no "-" separator */
        "1 2 0:1 / /x rw - cgroup2\n",                        /* too few fields */
        "1 2 0:1 / /x\\0 rw shared:1 - cgroup2 cgroup2 rw\n", /* bad escape kept literal */
        "\n\n\n",
    };
    char *huge;
    size_t n = 1 << 20;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = cgroup2_find_mount(cases[i], strlen(cases[i]), &m);
        if (i == 4) {
            assert_int_equal(rc, 0);
            assert_string_equal(m.mount_point, "/x\\0");
        } else {
            assert_true(rc == -ENOENT || rc == -EINVAL);
        }
    }
    /* An escape decoding to NUL, and a mount point longer than the buffer: line skipped. */
    const char nul[] = "1 2 0:1 / /a\\000b rw - cgroup2 cgroup2 rw\n";
    assert_int_equal(cgroup2_find_mount(nul, strlen(nul), &m), -ENOENT);
    huge = malloc(n);
    memset(huge, 'a', n);
    memcpy(huge, "1 2 0:1 / /", 11);
    memcpy(huge + n - 30, " rw - cgroup2 cgroup2 rw\n", 25);
    assert_int_equal(cgroup2_find_mount(huge, n - 5, &m), -ENOENT);
    free(huge);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hybrid_picks_unified),
        cmocka_unit_test(test_unified_prefers_sys_fs_cgroup_and_unescapes),
        cmocka_unit_test(test_namespaced_root_prefixes_hierarchy_path),
        cmocka_unit_test(test_hostile_mountinfo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
