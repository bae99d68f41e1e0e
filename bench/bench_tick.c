/* Collector tick benchmark on a node at the kubelet's default pod limit: 110 pods x 3 app
 * containers (+ one sandbox each), in two trees:
 *   - tmpfs: fixture files for every interface file the collector reads (cpu.stat,
 *     memory.current, memory.stat, memory.peak, memory.swap.current, and the signal files
 *     cpu/memory/io.pressure and memory.events), i.e. a full cgroup v2 node;
 *   - cgroupfs: real cgroups under this host's v2 hierarchy (cpu.stat and the pressure files
 *     exist here), with the real BPF lifecycle program attached.
 * For each, event-driven ticks (what runs each interval) and full-walk ticks (the safety net
 * and the no-BPF fallback), with the signal files read and without (--no-signals). Every tick
 * here reads every file; a shipping collector reads the memory and signal files only on the
 * ticks that ship (bench_collector_memory measures that). Syscalls are counted exactly by a BPF
 * program on sys_enter. The daemon's memory and CPU as shipped: bench_collector_memory.c. Figures
 * only: no pass/fail. */
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "discover/cgroup_root.h"
#include "collector.h"
#include "log.h"
#include "syscount.skel.h"

#include "lib/node_tree.h"
#include "lib/test_util.h"
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

static void bench_tree(const char *label, const char *root, const char *runtime, int force_events,
                       bool skip_signals)
{
    const char *dirs[1] = {runtime};
    struct collector_config cfg = {
        .cgroup_root = root,
        .runtime_dirs = dirs,
        .runtime_dirs_count = 1,
        .interval_ns = SEC_NS,
        .walk_interval_ns = 3600 * SEC_NS,
        .skip_signals = skip_signals,
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
    if (nt_build(tmp_root, tmp_rt, PODS, CONTAINERS_PER_POD, 1)) {
        fprintf(stderr, "bench: building %s failed\n", tmp_root);
        return 1;
    }
    printf("collector tick: %d pods x %d containers (+%d sandboxes), %d ticks each\n", PODS,
           CONTAINERS_PER_POD, PODS, TICKS);
    printf("%-34s %-13s %5s %8s %8s %8s %8s %8s %9s %6s\n", "tree", "discovery", "ticks", "mean_us",
           "p50_us", "p99_us", "user_us", "sys_us", "syscalls", "ctrs");
    bench_tree("tmpfs, all 9 files per container", tmp_root, tmp_rt, 1, false);
    bench_tree("tmpfs, --no-signals (5 files)", tmp_root, tmp_rt, 1, true);

    mi = read_mountinfo(NULL, &len);
    if (mi && cgroup2_find_mount(mi, len, &m) == 0 && geteuid() == 0) {
        snprintf(cg_root, sizeof(cg_root), "%s/kmetrics-bench-%d", m.mount_point, (int)getpid());
        if (nt_build(cg_root, tmp_rt, PODS, CONTAINERS_PER_POD, 0) == 0) {
            bench_tree("cgroupfs (cpu.stat, 3 x pressure)", cg_root, tmp_rt, 0, false);
            bench_tree("cgroupfs, --no-signals (cpu.stat)", cg_root, tmp_rt, 0, true);
        }
        char cmd[PATH_MAX + 64];
        snprintf(cmd, sizeof(cmd), "find '%s' -depth -type d -exec rmdir {} +", cg_root);
        if (system(cmd) != 0) fprintf(stderr, "bench: could not remove %s\n", cg_root);
    }
    free(mi);
    printf("targets: tick < 2000 us and < 2000 syscalls (event-driven)\n");
    tu_rm_rf(tmp_root);
    tu_rm_rf(tmp_rt);
    syscount_bpf__destroy(counter);
    return 0;
}
