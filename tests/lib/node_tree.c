#include "node_tree.h"

#include <limits.h>
#include <stdio.h>

#include "kube_layout.h"
#include "test_util.h"

void nt_write_files(const char *dir, int full)
{
    char p[PATH_MAX + 32];

    snprintf(p, sizeof(p), "%s/cpu.stat", dir);
    tu_write_file(p,
                  "usage_usec 123456789\nuser_usec 100000000\nsystem_usec 23456789\n"
                  "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n",
                  (size_t)-1);
    if (!full) return;
    snprintf(p, sizeof(p), "%s/memory.current", dir);
    tu_write_file(p, "52428800\n", (size_t)-1);
    snprintf(p, sizeof(p), "%s/memory.peak", dir);
    tu_write_file(p, "62428800\n", (size_t)-1);
    snprintf(p, sizeof(p), "%s/memory.swap.current", dir);
    tu_write_file(p, "0\n", (size_t)-1);
    /* The signal files, as 6.x writes them. */
    static const char *const psi[] = {"cpu.pressure", "memory.pressure", "io.pressure"};
    for (size_t i = 0; i < sizeof(psi) / sizeof(psi[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, psi[i]);
        tu_write_file(p,
                      "some avg10=0.12 avg60=0.05 avg300=0.01 total=1234567\n"
                      "full avg10=0.00 avg60=0.00 avg300=0.00 total=23456\n",
                      (size_t)-1);
    }
    snprintf(p, sizeof(p), "%s/memory.events", dir);
    tu_write_file(p, "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n", (size_t)-1);
    /* A 6.x memory.stat, full length: its parse cost is part of the tick. */
    snprintf(p, sizeof(p), "%s/memory.stat", dir);
    tu_write_file(p,
                  "anon 41943040\nfile 10485760\nkernel 1048576\nkernel_stack 65536\n"
                  "pagetables 131072\nsec_pagetables 0\npercpu 2048\nsock 0\nvmalloc 0\n"
                  "shmem 0\nzswap 0\nzswapped 0\nfile_mapped 4194304\nfile_dirty 0\n"
                  "file_writeback 0\nswapcached 0\nanon_thp 0\nfile_thp 0\nshmem_thp 0\n"
                  "inactive_anon 41943040\nactive_anon 0\ninactive_file 8388608\n"
                  "active_file 2097152\nunevictable 0\nslab_reclaimable 524288\n"
                  "slab_unreclaimable 262144\nslab 786432\nworkingset_refault_anon 0\n"
                  "workingset_refault_file 0\nworkingset_activate_anon 0\n"
                  "workingset_activate_file 0\nworkingset_restore_anon 0\n"
                  "workingset_restore_file 0\nworkingset_nodereclaim 0\npgscan 0\npgsteal 0\n"
                  "pgscan_kswapd 0\npgscan_direct 0\npgsteal_kswapd 0\npgsteal_direct 0\n"
                  "pgfault 12345\npgmajfault 0\npgrefill 0\npgactivate 0\npgdeactivate 0\n"
                  "pglazyfree 0\npglazyfreed 0\nzswpin 0\nzswpout 0\nthp_fault_alloc 0\n"
                  "thp_collapse_alloc 0\n",
                  (size_t)-1);
}

int nt_build(const char *root, const char *runtime, unsigned pods, unsigned containers, int full)
{
    /* The node's own figures come from the root (on cgroupfs the kernel provides them). */
    if (full) {
        if (tu_mkdirs("%s", root)) return -1;
        nt_write_files(root, 1);
    }
    for (unsigned p = 0; p < pods; p++) {
        char uid[40], pod_dir[512], dir[PATH_MAX], cname[128], id[65], pod_name[32], app[32];

        kl_pod_uid(uid, p + 1);
        snprintf(pod_name, sizeof(pod_name), "bench-%u", p);
        kl_pod_dir(pod_dir, sizeof(pod_dir), CG_DRIVER_SYSTEMD, QOS_BURSTABLE, uid);
        for (unsigned c = 0; c <= containers; c++) {
            int sandbox = c == containers;

            snprintf(app, sizeof(app), "app-%u", c); /* a pod's containers have distinct names */
            kl_container_id(id, (p + 1) * 16 + c);
            kl_container_name(cname, sizeof(cname), CG_DRIVER_SYSTEMD, RUNTIME_CONTAINERD, id);
            snprintf(dir, sizeof(dir), "%s/%s/%s", root, pod_dir, cname);
            if (tu_mkdirs("%s", dir)) return -1;
            /* A sandbox is never read, so a fixture tree needs no files for it. */
            if (!full || !sandbox) nt_write_files(dir, full);
            if (kl_write_bundle(runtime, RUNTIME_CONTAINERD, id, uid, "bench", pod_name, app,
                                sandbox))
                return -1;
        }
    }
    return 0;
}
