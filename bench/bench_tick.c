/* Collector tick benchmark on a node at the kubelet's default pod limit: 110 pods x 3 app
 * containers (+ one sandbox each), in two trees:
 *   - tmpfs: fixture files for every interface file the collector reads (cpu.stat,
 *     memory.current, memory.stat, memory.peak, memory.swap.current), i.e. a full cgroup v2 node;
 *   - cgroupfs: real cgroups under this host's v2 hierarchy (only cpu.stat exists here), with
 *     the real BPF lifecycle program attached.
 * For each, event-driven ticks (what runs each interval) and full-walk ticks (the safety net
 * and the no-BPF fallback). Syscalls are counted exactly by a BPF program on sys_enter; the
 * daemon's RSS is read from a real kmetrics-collector process. Figures only: no pass/fail. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "discover/cgroup_root.h"
#include "collector.h"
#include "log.h"
#include "syscount.skel.h"

#include "lib/agg_harness.h"
#include "lib/kube_layout.h"
#include "clock.h"

#define PODS 110
#define CONTAINERS_PER_POD 3
#define TICKS 300
#define SEC_NS ((int64_t)1000000000)

static struct syscount_bpf *counter;

static uint64_t syscalls_now(void)
{
    return counter ? counter->bss->syscalls : 0;
}

static void write_files(const char *dir, int full)
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

/* Builds the node's pods under root (systemd driver, Burstable, containerd) with bundles. */
static int build_tree(const char *root, const char *runtime, int full_files)
{
    /* The node's own figures come from the root (on cgroupfs the kernel provides them). */
    if (full_files) {
        if (tu_mkdirs("%s", root)) return -1;
        write_files(root, 1);
    }
    for (unsigned p = 0; p < PODS; p++) {
        char uid[40], pod_dir[512], dir[PATH_MAX], cname[128], id[65], pod_name[32];

        kl_pod_uid(uid, p + 1);
        snprintf(pod_name, sizeof(pod_name), "bench-%u", p);
        kl_pod_dir(pod_dir, sizeof(pod_dir), CG_DRIVER_SYSTEMD, QOS_BURSTABLE, uid);
        for (unsigned c = 0; c <= CONTAINERS_PER_POD; c++) {
            int sandbox = c == CONTAINERS_PER_POD;
            kl_container_id(id, (p + 1) * 16 + c);
            kl_container_name(cname, sizeof(cname), CG_DRIVER_SYSTEMD, RUNTIME_CONTAINERD, id);
            snprintf(dir, sizeof(dir), "%s/%s/%s", root, pod_dir, cname);
            if (tu_mkdirs("%s", dir)) return -1;
            if (!full_files || !sandbox) write_files(dir, full_files);
            kl_write_bundle(runtime, RUNTIME_CONTAINERD, id, uid, "bench", pod_name, "app",
                            sandbox);
        }
    }
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double tv_us(const struct timeval *a, const struct timeval *b)
{
    return (double)(a->tv_sec - b->tv_sec) * 1e6 + (double)(a->tv_usec - b->tv_usec);
}

static void run_ticks(struct collector *c, const char *tree, int full_walk)
{
    static int64_t times[TICKS];
    uint64_t sys_before, sys_total = 0;
    int64_t sum = 0;
    struct rusage ru0, ru1;

    /* Timing pass with the syscall counter detached (it taxes every syscall it sees)... */
    if (counter) syscount_bpf__detach(counter);
    getrusage(RUSAGE_SELF, &ru0);
    for (int i = 0; i < TICKS; i++) {
        if (full_walk) collector_request_walk(c);
        int64_t t0 = clock_mono_ns();
        collector_tick(c);
        times[i] = clock_mono_ns() - t0;
        sum += times[i];
    }
    getrusage(RUSAGE_SELF, &ru1);
    /* ...then a counting pass. */
    if (counter && syscount_bpf__attach(counter) == 0) {
        for (int i = 0; i < TICKS / 10; i++) {
            if (full_walk) collector_request_walk(c);
            sys_before = syscalls_now();
            collector_tick(c);
            sys_total += syscalls_now() - sys_before;
        }
    }
    qsort(times, TICKS, sizeof(times[0]), cmp_i64);
    printf("%-34s %-13s %5d %8.0f %8.0f %8.0f %8.0f %8.0f %9.0f %6zu\n", tree,
           full_walk ? "full walk" : "event-driven", TICKS, sum / 1e3 / TICKS,
           times[TICKS / 2] / 1e3, times[TICKS * 99 / 100] / 1e3,
           tv_us(&ru1.ru_utime, &ru0.ru_utime) / TICKS, tv_us(&ru1.ru_stime, &ru0.ru_stime) / TICKS,
           counter ? (double)sys_total / (TICKS / 10) : -1.0, registry_container_count(&c->reg));
}

static void bench_tree(const char *label, const char *root, const char *runtime, int force_events)
{
    const char *dirs[1] = {runtime};
    struct collector_config cfg = {
        .cgroup_root = root,
        .runtime_dirs = dirs,
        .runtime_dirs_count = 1,
        .interval_ns = SEC_NS,
        .walk_interval_ns = 3600 * SEC_NS,
    };
    struct collector c;
    char err[256];

    if (collector_init(&c, &cfg, err, sizeof(err))) {
        fprintf(stderr, "bench: %s\n", err);
        exit(1);
    }
    /* A tmpfs tree gets no kernel events; tick as if BPF had told us everything already. */
    if (force_events) c.mode = DISCOVERY_BPF_EVENTS;
    collector_tick(&c); /* initial walk, opens every file */
    run_ticks(&c, label, 0);
    run_ticks(&c, label, 1);
    collector_done(&c);
}

/* Runs the real daemon on the tree at 100 ms for a few seconds and reads its memory. */
/* Reads one "Key: N kB" line of a /proc file. */
static long proc_kib(pid_t pid, const char *file, const char *key)
{
    char path[64], line[256], fmt[64];
    long v = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
    snprintf(fmt, sizeof(fmt), "%s: %%ld kB", key);
    f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, fmt, &v) == 1) break;
    if (f) fclose(f);
    return v;
}

/* Runs the real daemon on the tree at 100 ms for a few seconds, shipping to a real aggregator
 * when h is given, and reads its memory: RSS (what the kernel reports, shared library pages
 * included), and PSS and private memory (what this process alone costs). */
static void bench_daemon_rss(const char *root, const char *runtime, struct agg_harness *h)
{
    char exe[PATH_MAX], root_arg[PATH_MAX + 32], rt_arg[PATH_MAX + 32], agg[128],
        tok[PATH_MAX + 32], ca[PATH_MAX + 32];
    int fds = 0;
    pid_t pid;

    if (tu_build_dir(exe, sizeof(exe))) return;
    strncat(exe, "/kmetrics-collector", sizeof(exe) - strlen(exe) - 1);
    snprintf(root_arg, sizeof(root_arg), "--cgroup-root=%s", root);
    snprintf(rt_arg, sizeof(rt_arg), "--runtime-dirs=%s", runtime);
    if (h) {
        snprintf(agg, sizeof(agg), "--aggregator=%s", h->base_url);
        snprintf(tok, sizeof(tok), "--ship-token-file=%s/ship-token", h->dir);
        snprintf(ca, sizeof(ca), "--aggregator-ca-file=%s/certs/ca.crt", h->dir);
    }
    pid = fork();
    if (pid == 0) {
        if (h)
            execl(exe, "kmetrics-collector", root_arg, rt_arg, "--interval=100ms",
                  "--ship-interval=1s", agg, tok, ca, "-q", (char *)NULL);
        else
            execl(exe, "kmetrics-collector", root_arg, rt_arg, "--interval=100ms", "-q",
                  (char *)NULL);
        _exit(127);
    }
    sleep(5);
    long rss = proc_kib(pid, "status", "VmRSS"), hwm = proc_kib(pid, "status", "VmHWM");
    long pss = proc_kib(pid, "smaps_rollup", "Pss");
    long priv = proc_kib(pid, "smaps_rollup", "Private_Clean") +
                proc_kib(pid, "smaps_rollup", "Private_Dirty");
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "ls /proc/%d/fd | wc -l", (int)pid);
    FILE *p = popen(cmd, "r");
    if (p && fscanf(p, "%d", &fds) != 1) fds = -1;
    if (p) pclose(p);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    printf("collector daemon on the tmpfs tree, 100 ms interval, %s: RSS %ld KiB (peak %ld), "
           "PSS %ld KiB, private %ld KiB, %d open fds\n",
           h ? "shipping every 1 s over TLS" : "not shipping", rss, hwm, pss, priv, fds);
}

int main(void)
{
    char tmp_root[PATH_MAX], tmp_rt[PATH_MAX], cg_root[PATH_MAX];
    struct cgroup2_mount m;
    size_t len;
    char *mi;

    log_set_level(LOG_ERROR);
    counter = syscount_bpf__open();
    if (counter) {
        counter->rodata->target_tgid = (unsigned)getpid();
        if (syscount_bpf__load(counter) || syscount_bpf__attach(counter)) {
            syscount_bpf__destroy(counter);
            counter = NULL;
        }
    }
    if (!counter)
        fprintf(stderr, "bench: syscall counter unavailable (needs root and BPF); "
                        "syscalls shown as -1\n");

    snprintf(tmp_root, sizeof(tmp_root), "/dev/shm/kmetrics-bench-%d", (int)getpid());
    snprintf(tmp_rt, sizeof(tmp_rt), "/dev/shm/kmetrics-bench-rt-%d", (int)getpid());
    if (build_tree(tmp_root, tmp_rt, 1)) {
        fprintf(stderr, "bench: building %s failed\n", tmp_root);
        return 1;
    }
    printf("collector tick: %d pods x %d containers (+%d sandboxes), %d ticks each\n", PODS,
           CONTAINERS_PER_POD, PODS, TICKS);
    printf("%-34s %-13s %5s %8s %8s %8s %8s %8s %9s %6s\n", "tree", "discovery", "ticks", "mean_us",
           "p50_us", "p99_us", "user_us", "sys_us", "syscalls", "ctrs");
    bench_tree("tmpfs, all 5 files per container", tmp_root, tmp_rt, 1);

    mi = read_mountinfo(NULL, &len);
    if (mi && cgroup2_find_mount(mi, len, &m) == 0 && geteuid() == 0) {
        snprintf(cg_root, sizeof(cg_root), "%s/kmetrics-bench-%d", m.mount_point, (int)getpid());
        if (build_tree(cg_root, tmp_rt, 0) == 0)
            bench_tree("cgroupfs (real kernel, cpu.stat)", cg_root, tmp_rt, 0);
        char cmd[PATH_MAX + 64];
        snprintf(cmd, sizeof(cmd), "find '%s' -depth -type d -exec rmdir {} +", cg_root);
        if (system(cmd) != 0) fprintf(stderr, "bench: could not remove %s\n", cg_root);
    }
    free(mi);
    bench_daemon_rss(tmp_root, tmp_rt, NULL);
    {
        struct agg_harness h = {0};
        curl_global_init(CURL_GLOBAL_DEFAULT);
        if (ah_start(&h, "-q") == 0) bench_daemon_rss(tmp_root, tmp_rt, &h);
        ah_stop(&h);
        tu_rm_rf(h.dir);
        curl_global_cleanup();
    }
    printf("targets: tick < 2000 us and < 2000 syscalls (event-driven); daemon RSS < 8192 KiB\n");
    tu_rm_rf(tmp_root);
    tu_rm_rf(tmp_rt);
    syscount_bpf__destroy(counter);
    return 0;
}
