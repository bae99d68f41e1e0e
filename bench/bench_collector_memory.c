/* What the collector costs as shipped: the static binary of its image (build/static/), on a
 * node at the kubelet's default pod limit (110 pods x 3 containers + a sandbox each, a tmpfs
 * tree holding every file the collector reads), its BPF program loaded, ticking at its default
 * interval and shipping at its default ship interval (or --ship-interval) over TLS to a real
 * aggregator. Prints its peak RSS
 * (VmHWM: the start), its steady RSS (the highest VmRSS over a minute after warm-up: a
 * safety-net walk and a summary log line included), where those pages are, and its CPU per
 * tick (every thread: the tick and its shipment). The aggregator must serve every pod at the
 * end, or the figures are of a collector that does not work. Figures only: no pass/fail.
 *
 *   bench_collector_memory [--collector=PATH] [--ship-interval=SECONDS] [--profile=FILE]
 *
 * --profile runs the collector under valgrind's callgrind, recording only the measured
 * minute (the code the daemon runs once started) into FILE with instruction addresses, for
 * scripts/hot-objects.sh; it prints no figures (valgrind's would be measured). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"

#include "lib/agg_harness.h"
#include "lib/node_tree.h"

#define PODS 110
#define CONTAINERS_PER_POD 3
#define INTERVAL "1s"      /* the collector's default */
#define SHIP_INTERVAL_S 15 /* the collector's default --ship-interval */
#define WARMUP_S 5
#define PROFILE_WARMUP_S 20 /* under valgrind the start is slower */
#define MEASURE_S 62        /* past the walk and summary line a minute in */

/* One "Key: N kB" line of /proc/<pid>/<file>, or -1. */
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

/* CPU time of pid's threads in ns, the shipping thread's apart: the first field of each task's
 * schedstat (the scheduler's own count; /proc/<pid>/stat has it only in 10 ms clock ticks, too
 * coarse for a tick of a millisecond). */
struct cpu {
    long long tick, ship;
};

static int cpu_ns(pid_t pid, struct cpu *out)
{
    char path[64], file[PATH_MAX], comm[32];
    struct dirent *e;
    long long v;
    DIR *d;

    *out = (struct cpu){0};
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    d = opendir(path);
    if (!d) return -1;
    while ((e = readdir(d))) {
        FILE *f;

        if (e->d_name[0] == '.') continue;
        snprintf(file, sizeof(file), "%s/%s/comm", path, e->d_name);
        f = fopen(file, "r");
        if (!f || !fgets(comm, sizeof(comm), f)) comm[0] = '\0';
        if (f) fclose(f);
        snprintf(file, sizeof(file), "%s/%s/schedstat", path, e->d_name);
        f = fopen(file, "r");
        if (f && fscanf(f, "%lld", &v) == 1) {
            if (strncmp(comm, "kmetrics-ship", 13) == 0)
                out->ship += v;
            else
                out->tick += v;
        }
        if (f) fclose(f);
    }
    closedir(d);
    return 0;
}

/* How many pods the aggregator serves with all their containers. */
static int pods_served(struct agg_harness *h)
{
    struct http_result r;
    json_t *doc, *items;
    int n = -1;

    if (ah_get(h, "/apis/metrics.k8s.io/v1beta1/pods", NULL, NULL, &r) != 0 || r.status != 200) {
        outbuf_done(&r.body);
        return -1;
    }
    doc = json_loadb(r.body.data, r.body.len, 0, NULL);
    items = json_object_get(doc, "items");
    if (json_is_array(items)) {
        size_t i;
        json_t *pod;

        n = 0;
        json_array_foreach(items, i, pod) n +=
            json_array_size(json_object_get(pod, "containers")) == CONTAINERS_PER_POD;
    }
    json_decref(doc);
    outbuf_done(&r.body);
    return n;
}

/* A copy of this mount table in which root is a cgroup2 mount, written to path. */
static int write_mountinfo(const char *path, const char *root)
{
    char line[4096];
    FILE *in = fopen("/proc/self/mountinfo", "r"), *out = fopen(path, "w");
    int rc = in && out ? 0 : -1;

    while (rc == 0 && fgets(line, sizeof(line), in))
        fputs(line, out);
    if (out) fprintf(out, "9999 1 0:9999 / %s rw,relatime - cgroup2 cgroup2 rw\n", root);
    if (in) fclose(in);
    if (out && fclose(out) != 0) rc = -1;
    return rc;
}

/* In the child, before exec: a tree on tmpfs is no cgroup2 mount, so the collector would not
 * load its BPF program; in a mount namespace of its own, its /proc/<pid>/mountinfo says the
 * tree is one, and it loads and attaches the program as on a node. (Events of the host's own
 * cgroups then name nothing under the tree and are dropped.) Needs CAP_SYS_ADMIN; without it
 * the collector walks instead, and the bench says so. */
static void pretend_cgroup2(const char *mountinfo)
{
    char target[64];

    snprintf(target, sizeof(target), "/proc/%d/mountinfo", (int)getpid());
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount(mountinfo, target, NULL, MS_BIND, NULL) != 0)
        fprintf(stderr, "bench: cannot show the tree as cgroup2: %s\n", strerror(errno));
}

struct run {
    const char *exe, *root, *runtime, *profile;
    int ship_interval_s;
    struct agg_harness *h;
    char log[PATH_MAX + 32], mountinfo[PATH_MAX + 32];
};

static pid_t start_collector(const struct run *r)
{
    char root_arg[PATH_MAX + 32], rt_arg[PATH_MAX + 32], agg[128], tok[PATH_MAX + 32],
        ca[PATH_MAX + 32], out[PATH_MAX + 32], ship[48];
    const char *argv[16];
    int n = 0;
    pid_t pid;

    snprintf(root_arg, sizeof(root_arg), "--cgroup-root=%s", r->root);
    snprintf(rt_arg, sizeof(rt_arg), "--runtime-dirs=%s", r->runtime);
    snprintf(agg, sizeof(agg), "--aggregator=%s", r->h->base_url);
    snprintf(tok, sizeof(tok), "--ship-token-file=%s/ship-token", r->h->dir);
    snprintf(ca, sizeof(ca), "--aggregator-ca-file=%s/certs/ca.crt", r->h->dir);
    if (r->profile) {
        snprintf(out, sizeof(out), "--callgrind-out-file=%s", r->profile);
        argv[n++] = "valgrind";
        argv[n++] = "--tool=callgrind";
        argv[n++] = "--instr-atstart=no";
        argv[n++] = "--dump-instr=yes";
        argv[n++] = out;
    }
    argv[n++] = r->exe;
    argv[n++] = root_arg;
    argv[n++] = rt_arg;
    argv[n++] = "--node-name=bench-node";
    argv[n++] = "--interval=" INTERVAL;
    snprintf(ship, sizeof(ship), "--ship-interval=%ds", r->ship_interval_s);
    argv[n++] = ship;
    argv[n++] = agg;
    argv[n++] = tok;
    argv[n++] = ca;
    argv[n] = NULL;
    pid = fork();
    if (pid == 0) {
        int fd = open(r->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        pretend_cgroup2(r->mountinfo);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static void print_file(const char *path)
{
    char line[512];
    FILE *f = fopen(path, "r");

    while (f && fgets(line, sizeof(line), f))
        fprintf(stderr, "  %s", line);
    if (f) fclose(f);
}

static bool file_has(const char *path, const char *needle)
{
    char line[512];
    bool found = false;
    FILE *f = fopen(path, "r");

    while (f && !found && fgets(line, sizeof(line), f))
        found = strstr(line, needle) != NULL;
    if (f) fclose(f);
    return found;
}

/* Where the resident pages are, from /proc/<pid>/smaps: the binary's code, its read-only data
 * (RELRO included) and writable data and bss, the heap, the main thread's stack, the BPF
 * maps (the ring buffer's pages are mapped twice) and other anonymous memory (the shipping
 * thread's stack, blocks malloc maps on their own). */
enum area { A_CODE, A_RODATA, A_DATA, A_HEAP, A_STACK, A_BPF, A_ANON, A_OTHER, A_COUNT };
static const char *const area_names[A_COUNT] = {"code",  "rodata",   "data+bss",   "heap",
                                                "stack", "BPF maps", "other anon", "other"};

static void rss_by_area(pid_t pid, const char *exe, long kib[A_COUNT])
{
    char path[64], line[PATH_MAX + 128], perms[8], name[PATH_MAX];
    enum area cur = A_OTHER;
    FILE *f;
    long v;

    memset(kib, 0, sizeof(long) * A_COUNT);
    snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
    f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;

        name[0] = '\0';
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %4095[^\n]", &lo, &hi, perms, name) >= 3) {
            if (strcmp(name, exe) == 0)
                cur = perms[2] == 'x' ? A_CODE : perms[1] == 'w' ? A_DATA : A_RODATA;
            else if (strcmp(name, "[heap]") == 0)
                cur = A_HEAP;
            else if (strcmp(name, "[stack]") == 0)
                cur = A_STACK;
            else if (strstr(name, "bpf"))
                cur = A_BPF;
            else if (!name[0])
                cur = cur == A_DATA ? A_DATA : A_ANON; /* right after the binary: its bss */
            else
                cur = A_OTHER; /* [vdso], [vvar] */
        } else if (sscanf(line, "Rss: %ld kB", &v) == 1) {
            kib[cur] += v;
        }
    }
    if (f) fclose(f);
}

static void callgrind_control(const char *what, pid_t pid)
{
    char cmd[64];

    snprintf(cmd, sizeof(cmd), "callgrind_control %s %d >/dev/null", what, (int)pid);
    if (system(cmd) != 0) fprintf(stderr, "bench: %s failed\n", cmd);
}

static int run(struct run *r)
{
    struct cpu cpu0, cpu1;
    long rss_max = 0, area[A_COUNT];
    double t0, t1, ticks;
    bool cpu_ok;
    int served, status;
    pid_t pid;

    snprintf(r->log, sizeof(r->log), "%s/collector.log", r->h->dir);
    snprintf(r->mountinfo, sizeof(r->mountinfo), "%s/mountinfo", r->h->dir);
    if (write_mountinfo(r->mountinfo, r->root)) return 1;
    pid = start_collector(r);
    if (pid < 0) return 1;
    sleep(r->profile ? PROFILE_WARMUP_S : WARMUP_S);
    if (r->profile) callgrind_control("-i on", pid);
    cpu_ok = cpu_ns(pid, &cpu0) == 0;
    t0 = tu_mono_s();
    for (int i = 0; i < MEASURE_S; i++) {
        long rss;

        sleep(1);
        rss = proc_kib(pid, "status", "VmRSS");
        if (rss > rss_max) rss_max = rss;
    }
    cpu_ok &= cpu_ns(pid, &cpu1) == 0;
    t1 = tu_mono_s();
    if (r->profile) callgrind_control("-i off", pid);
    served = pods_served(r->h);

    long hwm = proc_kib(pid, "status", "VmHWM"), rss = proc_kib(pid, "status", "VmRSS");
    long anon = proc_kib(pid, "status", "RssAnon"), file = proc_kib(pid, "status", "RssFile");
    long pss = proc_kib(pid, "smaps_rollup", "Pss");
    long threads = proc_kib(pid, "status", "Threads");
    rss_by_area(pid, r->exe, area);

    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    if (!cpu_ok || hwm < 0) {
        fprintf(stderr, "bench: the collector did not run; its log:\n");
        print_file(r->log);
        return 1;
    }
    if (served != PODS || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr,
                "bench: the aggregator serves %d of %d pods whole, collector exit status %d; "
                "its log:\n",
                served, PODS, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        print_file(r->log);
        return 1;
    }
    if (r->profile) {
        printf("callgrind profile of the collector's steady minute: %s\n", r->profile);
        return 0;
    }
    printf("%s: %d pods x %d containers (+%d sandboxes), %s, ticking every %s, shipping "
           "every %d s over TLS, %ld threads\n",
           r->exe, PODS, CONTAINERS_PER_POD, PODS,
           file_has(r->log, "BPF cgroup lifecycle events attached") ? "BPF events"
                                                                    : "no BPF (walks every tick)",
           INTERVAL, r->ship_interval_s, threads);
    printf("  peak RSS (VmHWM)    %6ld KiB\n", hwm);
    printf("  steady RSS          %6ld KiB  the highest VmRSS over %d s after %d s; at the end "
           "%ld KiB = %ld anonymous + %ld file-backed, PSS %ld KiB\n",
           rss_max, MEASURE_S, WARMUP_S, rss, anon, file, pss);
    printf("    at the end, KiB:");
    for (int a = 0; a < A_COUNT; a++)
        if (area[a]) printf(" %s %ld%s", area_names[a], area[a], a + 1 < A_COUNT ? "," : "");
    printf("\n");
    /* One tick a second: the window's length in seconds is its tick count. The shipping
     * thread's CPU is shown per shipment too, and spread over the ticks between two. */
    ticks = t1 - t0;
    double tick_us = (double)(cpu1.tick - cpu0.tick) / 1e3 / ticks;
    double ship_us = (double)(cpu1.ship - cpu0.ship) / 1e3 / ticks;
    printf("  CPU per tick        %6.0f us  mean over %.0f ticks, every thread: the tick %.0f us "
           "(collector thread) + its shipping %.0f us (shipping thread: %.0f us per shipment)\n",
           tick_us + ship_us, ticks, tick_us, ship_us, ship_us * r->ship_interval_s);
    printf("  the aggregator serves all %d pods\n", served);
    printf("targets: steady RSS <= 4096 KiB, peak <= 8192 KiB, CPU per tick < 2000 us\n");
    return 0;
}

int main(int argc, char **argv)
{
    char bin[PATH_MAX], exe[PATH_MAX + 32], exe_real[PATH_MAX], root[PATH_MAX], runtime[PATH_MAX];
    struct agg_harness h = {0};
    struct run r = {
        .h = &h, .root = root, .runtime = runtime, .exe = exe, .ship_interval_s = SHIP_INTERVAL_S};
    int rc = 1;

    log_set_level(LOG_ERROR);
    if (tu_build_dir(bin, sizeof(bin))) {
        fprintf(stderr, "bench: no build directory with kmetrics-collector above this binary\n");
        return 1;
    }
    snprintf(exe, sizeof(exe), "%s/static/kmetrics-collector", bin);
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--collector=", 12) == 0) {
            r.exe = argv[i] + 12;
        } else if (strncmp(argv[i], "--profile=", 10) == 0) {
            r.profile = argv[i] + 10;
        } else if (strncmp(argv[i], "--ship-interval=", 16) == 0 && atoi(argv[i] + 16) > 0) {
            r.ship_interval_s = atoi(argv[i] + 16);
        } else {
            fprintf(stderr,
                    "usage: %s [--collector=PATH] [--ship-interval=SECONDS] [--profile=FILE]\n",
                    argv[0]);
            return 2;
        }
    }
    /* smaps names the binary by its real path. */
    if (!realpath(r.exe, exe_real) || access(exe_real, X_OK) != 0) {
        fprintf(stderr, "bench: %s: %s (make static)\n", r.exe, strerror(errno));
        return 1;
    }
    r.exe = exe_real;
    snprintf(root, sizeof(root), "/dev/shm/kmetrics-bench-mem-%d", (int)getpid());
    snprintf(runtime, sizeof(runtime), "/dev/shm/kmetrics-bench-mem-rt-%d", (int)getpid());
    if (nt_build(root, runtime, PODS, CONTAINERS_PER_POD, 1)) {
        fprintf(stderr, "bench: building %s failed\n", root);
        goto out;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (ah_start(&h, "-q") != 0)
        fprintf(stderr, "bench: the aggregator did not start\n");
    else
        rc = run(&r);
    ah_stop(&h);
    if (h.dir[0]) tu_rm_rf(h.dir);
    curl_global_cleanup();
out:
    tu_rm_rf(root);
    tu_rm_rf(runtime);
    return rc;
}
