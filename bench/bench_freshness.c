/* Freshness at default settings: a real collector (--interval=1s, --ship-interval=15s,
 * --ship-coalesce=1s) shipping over TLS to a real aggregator, containers made one after
 * another in real cgroups under this host's v2 hierarchy, each with a process in it.
 * Measured through the API (a LIST of the namespace every 20 ms, as a client would poll):
 *   - appearance: from the container's first process to its first figures;
 *   - removal (as the kubelet deletes a pod: the container's directory, then the pod's):
 *     from the removal to its absence;
 *   - age of what is served (now - the PodMetrics timestamp) while containers come and go.
 * Figures only: no pass/fail. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "discover/cgroup_root.h"
#include "lib/agg_harness.h"
#include "lib/kube_layout.h"

#define CONTAINERS 40
#define SPACING_S 0.7 /* between two containers' starts, and two removals */
#define POLL_US 20000

struct bench_container {
    char uid[40], id[65], name[32], dir[PATH_MAX];
    pid_t pid;
    double started, served, removed, gone;
};

static struct agg_harness h;
static struct bench_container cs[CONTAINERS];
static double ages[100000];
static size_t nages;

static double now_s(void)
{
    return tu_mono_s();
}

static double real_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "2026-12-02T22:47:58.977365136Z" or whole seconds, as seconds since the epoch. */
static double parse_time(const char *s)
{
    struct tm tm = {0};
    const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    double frac = 0;

    if (!rest) return -1;
    if (*rest == '.') frac = strtod(rest, NULL);
    return (double)timegm(&tm) + frac;
}

/* A process in dir's cgroup, sleeping; 0 once it is in. */
static pid_t start_process(const char *dir)
{
    char procs[PATH_MAX + 16];
    int fds[2];
    char ok;
    pid_t pid;

    snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
    if (pipe(fds)) return -1;
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (tu_write_file(procs, "0\n", (size_t)-1)) _exit(1);
        if (write(fds[1], "x", 1) != 1) _exit(1);
        for (;;)
            pause();
    }
    close(fds[1]);
    if (pid < 0 || read(fds[0], &ok, 1) != 1) {
        close(fds[0]);
        return -1;
    }
    close(fds[0]);
    return pid;
}

/* One LIST of the namespace: marks each container seen or gone and records served ages. */
static void poll_once(void)
{
    struct http_result r;
    json_t *doc, *items;
    double t = now_s(), rt = real_s();
    bool seen[CONTAINERS] = {0};

    if (ah_get(&h, "/apis/metrics.k8s.io/v1beta1/namespaces/bench/pods", "application/json", NULL,
               &r) != 0 ||
        r.status != 200) {
        outbuf_done(&r.body);
        return;
    }
    doc = json_loadb(r.body.data, r.body.len, 0, NULL);
    outbuf_done(&r.body);
    items = json_object_get(doc, "items");
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *it = json_array_get(items, i);
        const char *name =
            json_string_value(json_object_get(json_object_get(it, "metadata"), "name"));
        const char *ts = json_string_value(json_object_get(it, "timestamp"));
        int k;

        if (!name || sscanf(name, "fresh-%d", &k) != 1 || k < 0 || k >= CONTAINERS) continue;
        seen[k] = true;
        if (ts && nages < sizeof(ages) / sizeof(ages[0])) ages[nages++] = rt - parse_time(ts);
    }
    json_decref(doc);
    for (int k = 0; k < CONTAINERS; k++) {
        struct bench_container *c = &cs[k];
        if (seen[k] && c->started > 0 && c->served == 0) c->served = t;
        if (!seen[k] && c->removed > 0 && c->gone == 0) c->gone = t;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, double *v, size_t n)
{
    if (n == 0) {
        printf("  %-44s no samples\n", what);
        return;
    }
    qsort(v, n, sizeof(*v), cmp_double);
    printf("  %-44s p50 %6.2f s  p95 %6.2f s  max %6.2f s  (n=%zu)\n", what, v[n / 2],
           v[(size_t)((double)(n - 1) * 0.95 + 0.5)], v[n - 1], n);
}

int main(void)
{
    struct cgroup2_mount m;
    char base[PATH_MAX], runtime_dir[PATH_MAX], cmd[PATH_MAX * 4], pod_dir[512], cname[256];
    double appear[CONTAINERS], vanish[CONTAINERS], t0;
    size_t na = 0, nv = 0;
    size_t len;
    char *mi = read_mountinfo(NULL, &len);
    pid_t collector;
    int rc = 1;

    if (geteuid() != 0 || !mi || cgroup2_find_mount(mi, len, &m) != 0) {
        fprintf(stderr, "bench_freshness: needs root and a cgroup v2 mount\n");
        free(mi);
        return 1;
    }
    free(mi);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (ah_start(&h, "") != 0) {
        fprintf(stderr, "bench_freshness: the aggregator did not start\n");
        return 1;
    }
    snprintf(base, sizeof(base), "%s/kmetrics-bench-fresh-%d", m.mount_point, (int)getpid());
    snprintf(runtime_dir, sizeof(runtime_dir), "%s/runtime", h.dir);
    if (tu_mkdirs("%s", base)) goto out;
    /* Defaults but for where to find things: interval 1 s, ship 15 s, coalesce 1 s. */
    snprintf(cmd, sizeof(cmd),
             "exec %s/kmetrics-collector --node-name=bench-node --cgroup-root=%s "
             "--runtime-dirs=%s --aggregator=%s --ship-token-file=%s/ship-token "
             "--aggregator-ca-file=%s/certs/ca.crt -q >>%s/collector.log 2>&1",
             h.bin_dir, base, runtime_dir, h.base_url, h.dir, h.dir, h.dir);
    collector = fork();
    if (collector == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    sleep(3); /* its first, full shipment */

    for (int k = 0; k < CONTAINERS; k++) {
        struct bench_container *c = &cs[k];
        kl_pod_uid(c->uid, 100 + (unsigned)k);
        kl_container_id(c->id, 100 + (unsigned)k);
        snprintf(c->name, sizeof(c->name), "fresh-%d", k);
        kl_pod_dir(pod_dir, sizeof(pod_dir), CG_DRIVER_SYSTEMD, QOS_BESTEFFORT, c->uid);
        kl_container_name(cname, sizeof(cname), CG_DRIVER_SYSTEMD, RUNTIME_CONTAINERD, c->id);
        snprintf(c->dir, sizeof(c->dir), "%s/%s/%s", base, pod_dir, cname);
        if (kl_write_bundle(runtime_dir, RUNTIME_CONTAINERD, c->id, c->uid, "bench", c->name, "app",
                            0))
            goto out_collector;
    }
    /* Appearance: one container every SPACING_S, the API polled throughout. */
    t0 = now_s();
    for (int k = 0; k < CONTAINERS; k++) {
        struct bench_container *c = &cs[k];
        if (tu_mkdirs("%s", c->dir) || (c->pid = start_process(c->dir)) <= 0) goto out_collector;
        c->started = now_s();
        while (now_s() - c->started < SPACING_S) {
            poll_once();
            usleep(POLL_US);
        }
    }
    while (now_s() - t0 < CONTAINERS * SPACING_S + 20) {
        bool all = true;
        for (int k = 0; k < CONTAINERS; k++)
            all &= cs[k].served > 0;
        if (all) break;
        poll_once();
        usleep(POLL_US);
    }
    /* Removal: the process ends and the pod's cgroups go, one pod every SPACING_S. */
    t0 = now_s();
    for (int k = 0; k < CONTAINERS; k++) {
        struct bench_container *c = &cs[k];
        kill(c->pid, SIGKILL);
        waitpid(c->pid, NULL, 0);
        c->pid = 0;
        /* As the kubelet deletes a pod: the container's directory, then the pod's. */
        if (rmdir(c->dir)) fprintf(stderr, "rmdir %s: %s\n", c->dir, strerror(errno));
        *strrchr(c->dir, '/') = '\0';
        if (rmdir(c->dir)) fprintf(stderr, "rmdir %s: %s\n", c->dir, strerror(errno));
        c->removed = now_s();
        while (now_s() - c->removed < SPACING_S) {
            poll_once();
            usleep(POLL_US);
        }
    }
    while (now_s() - t0 < CONTAINERS * SPACING_S + 90) {
        bool all = true;
        for (int k = 0; k < CONTAINERS; k++)
            all &= cs[k].gone > 0;
        if (all) break;
        poll_once();
        usleep(POLL_US);
    }
    for (int k = 0; k < CONTAINERS; k++) {
        if (cs[k].served > 0) appear[na++] = cs[k].served - cs[k].started;
        if (cs[k].gone > 0) vanish[nv++] = cs[k].gone - cs[k].removed;
    }
    printf("freshness at default settings (interval 1s, ship-interval 15s, ship-coalesce 1s), "
           "%d containers %.1f s apart, the API polled every %d ms:\n",
           CONTAINERS, SPACING_S, POLL_US / 1000);
    report("first process -> first figures in the API", appear, na);
    report("pod's cgroups removed -> gone from the API", vanish, nv);
    report("age of served figures (now - timestamp)", ages, nages);
    if (na < CONTAINERS || nv < CONTAINERS)
        printf("  (%zu of %d never served, %zu of %d never gone)\n", CONTAINERS - na, CONTAINERS,
               CONTAINERS - nv, CONTAINERS);
    rc = 0;
out_collector:
    kill(collector, SIGTERM);
    waitpid(collector, NULL, 0);
out:
    for (int k = 0; k < CONTAINERS; k++)
        if (cs[k].pid > 0) {
            kill(cs[k].pid, SIGKILL);
            waitpid(cs[k].pid, NULL, 0);
        }
    snprintf(cmd, sizeof(cmd), "find '%s' -depth -type d -exec rmdir {} + 2>/dev/null", base);
    if (system(cmd) != 0 && access(base, F_OK) == 0)
        fprintf(stderr, "warning: could not remove %s\n", base);
    ah_stop(&h);
    tu_rm_rf(h.dir);
    curl_global_cleanup();
    return rc;
}
