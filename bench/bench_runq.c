/* What the run-queue latency programs (bpf/runq_latency.bpf.c) cost per context switch: two
 * processes pinned to one CPU ping-pong a byte over pipes, so each round trip is two wakeups
 * and two switches. Timed with the programs detached, attached while the two are in no
 * watched cgroup (every other task of a node), and attached with both in a watched cgroup
 * (a measured container's tasks). With the programs attached, the kernel's own run-time
 * statistics (BPF_ENABLE_STATS) give the programs' time per run. Needs root. Best of REPEATS
 * runs each, on a machine others share: figures only, no pass/fail. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "discover/cgroup_root.h"
#include "discover/runq_latency_user.h"
#include "sample/runq_window.h"

#define ROUND_TRIPS 100000
#define REPEATS 5

static int64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The calling process onto CPU 0 and, when cg is given, into that cgroup. */
static void place(const char *cg)
{
    cpu_set_t one;
    char procs[4200];
    FILE *f;

    CPU_ZERO(&one);
    CPU_SET(0, &one);
    if (sched_setaffinity(0, sizeof(one), &one) != 0) _exit(126);
    if (!cg) return;
    snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
    f = fopen(procs, "w");
    if (!f || fprintf(f, "0\n") < 0 || fclose(f) != 0) _exit(125);
}

/* ns per switch (wakeup and switch) over ROUND_TRIPS round trips, or -1. */
static double ping_pong(const char *cg)
{
    int there[2], back[2], timing[2];
    pid_t echo, timer;
    double ns = -1;
    char b = 0;

    if (pipe(there) || pipe(back) || pipe(timing)) return -1;
    echo = fork();
    if (echo == 0) {
        /* Only the parent may hold the write end, or this read never ends. */
        close(there[1]);
        close(back[0]);
        close(timing[0]);
        close(timing[1]);
        place(cg);
        while (read(there[0], &b, 1) == 1)
            if (write(back[1], &b, 1) != 1) break;
        _exit(0);
    }
    timer = fork();
    if (timer == 0) {
        int64_t t0;

        place(cg);
        usleep(10000); /* the echo in place */
        t0 = mono_ns();
        for (int i = 0; i < ROUND_TRIPS; i++)
            if (write(there[1], &b, 1) != 1 || read(back[0], &b, 1) != 1) _exit(1);
        ns = (double)(mono_ns() - t0) / (2.0 * ROUND_TRIPS);
        if (write(timing[1], &ns, sizeof(ns)) != sizeof(ns)) _exit(1);
        _exit(0);
    }
    close(there[0]);
    close(back[1]);
    close(timing[1]);
    if (read(timing[0], &ns, sizeof(ns)) != sizeof(ns)) ns = -1;
    close(there[1]); /* the echo's read ends */
    close(back[0]);
    close(timing[0]);
    waitpid(timer, NULL, 0);
    waitpid(echo, NULL, 0);
    return ns;
}

static double best_of(const char *cg)
{
    double best = -1;

    for (int i = 0; i < REPEATS; i++) {
        double ns = ping_pong(cg);
        if (ns > 0 && (best < 0 || ns < best)) best = ns;
    }
    return best;
}

/* Best ns per switch, and the programs' ns per run over all REPEATS runs. */
static void measure(const char *label, const char *cg, const struct runq_latency *rq)
{
    uint64_t ns0 = 0, runs0 = 0, ns1 = 0, runs1 = 0;
    double per_switch;

    if (rq) runq_latency_prog_stats(rq, &ns0, &runs0);
    per_switch = best_of(cg);
    if (rq) runq_latency_prog_stats(rq, &ns1, &runs1);
    printf("  %-44s %8.0f ns per switch", label, per_switch);
    if (rq && runs1 > runs0)
        printf("   programs: %.0f ns per run over %llu runs", (double)(ns1 - ns0) / (runs1 - runs0),
               (unsigned long long)(runs1 - runs0));
    printf("\n");
}

int main(void)
{
    struct cgroup2_mount m;
    struct runq_latency *rq;
    struct runq_hist h;
    struct stat st;
    char cg[4200], err[256];
    double base;
    size_t len;
    char *mi;
    int stats_fd;

    if (geteuid() != 0) {
        printf("bench_runq: needs root (BPF, cgroups); skipped\n");
        return 0;
    }
    mi = read_mountinfo(NULL, &len);
    if (!mi || cgroup2_find_mount(mi, len, &m) != 0) {
        printf("bench_runq: no cgroup v2 mount; skipped\n");
        free(mi);
        return 0;
    }
    free(mi);
    snprintf(cg, sizeof(cg), "%s/kmetrics-bench-runq-%d", m.mount_point, (int)getpid());
    if (mkdir(cg, 0755) != 0 || stat(cg, &st) != 0) {
        printf("bench_runq: %s: %s; skipped\n", cg, strerror(errno));
        return 0;
    }
    printf("run-queue latency programs: cost per context switch, two processes pinned to CPU 0 "
           "ping-ponging a byte (%d round trips, best of %d)\n",
           ROUND_TRIPS, REPEATS);
    base = best_of(NULL);
    printf("  %-44s %8.0f ns per switch\n", "detached", base);
    rq = runq_latency_open(err, sizeof(err));
    if (!rq) {
        printf("  attached: cannot load: %s\n", err);
        rmdir(cg);
        return 0;
    }
    stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
    if (stats_fd < 0) printf("  (no BPF run-time statistics: %s)\n", strerror(errno));
    measure("attached, tasks in no watched cgroup", NULL, stats_fd >= 0 ? rq : NULL);
    if (runq_latency_watch(rq, st.st_ino) == 0) {
        measure("attached, tasks in a watched cgroup", cg, stats_fd >= 0 ? rq : NULL);
        if (runq_latency_read(rq, st.st_ino, &h) == 0) {
            uint64_t slots[RUNQ_SLOTS];

            memcpy(slots, h.slots, sizeof(slots));
            printf("  the watched cgroup's histogram: %llu waits, mean %.1f us, p50 %u us, p99 %u "
                   "us\n",
                   h.count, h.count ? (double)h.total_ns / (double)h.count / 1e3 : 0.0,
                   runq_quantile_us(slots, 0.5), runq_quantile_us(slots, 0.99));
        }
    }
    if (stats_fd >= 0) close(stats_fd);
    runq_latency_close(rq);
    printf("  detached again: %.0f ns per switch\n", best_of(NULL));
    if (rmdir(cg) != 0) printf("  warning: %s not removed: %s\n", cg, strerror(errno));
    return 0;
}
