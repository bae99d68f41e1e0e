/* A real collector shipping to a real aggregator: kubepods cgroups on this machine's kernel
 * with a CPU burner, the collector's BPF discovery, HTTP/2 TLS shipments, and the answers
 * clients see. Then faults: the aggregator restarts (full resync within an interval) and the
 * collector restarts (no negative or missing CPU). Needs root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "lib/agg_harness.h"
#include "discover/cgroup_root.h"
#include "duration.h"
#include "lib/kube_layout.h"
#include "lib/test_util.h"

static struct agg_harness h;
static char base[PATH_MAX], runtime_dir[PATH_MAX], container_dir[PATH_MAX];
static char uid[40], id[65];
static pid_t burner, collector;

static struct agg_harness h2; /* a second replica, for the HA test */

/* ship_flags: the collector's shipping period and the like. */
static pid_t start_collector_flags(const char *token_file, const char *ship_flags)
{
    char cmd[PATH_MAX * 4], urls[160];
    pid_t pid;

    snprintf(urls, sizeof(urls), "%s%s%s", h.base_url, h2.pid > 0 ? "," : "",
             h2.pid > 0 ? h2.base_url : "");
    snprintf(cmd, sizeof(cmd),
             "exec %s/kmetrics-collector --node-name=e2e-node --cgroup-root=%s --runtime-dirs=%s "
             "--interval=250ms %s --aggregator=%s --ship-token-file=%s/%s "
             "--aggregator-ca-file=%s/certs/ca.crt >>%s/collector.log 2>&1",
             h.bin_dir, base, runtime_dir, ship_flags, urls, h.dir, token_file, h.dir, h.dir);
    pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static pid_t start_collector_with(const char *token_file)
{
    return start_collector_flags(token_file, "--ship-interval=1s");
}

static pid_t start_collector(void)
{
    return start_collector_with("ship-token");
}

static void stop_pid(pid_t *pid)
{
    int status;

    if (*pid <= 0) return;
    kill(*pid, SIGTERM);
    waitpid(*pid, &status, 0);
    *pid = 0;
}

/* A pod's first container's CPU in nanocores as served by replica a, and the window it covers
 * (window_ns may be NULL); -1 when the pod is not served. */
static long long served_pod_cpu(struct agg_harness *a, const char *pod, int64_t *window_ns)
{
    struct http_result r;
    char path[256];
    long long nc = -1;

    snprintf(path, sizeof(path), "/apis/metrics.k8s.io/v1beta1/namespaces/e2e/pods/%s", pod);
    if (ah_get(a, path, "application/json", NULL, &r) == 0 && r.status == 200) {
        json_t *doc = json_loadb(r.body.data, r.body.len, 0, NULL);
        const char *cpu = json_string_value(json_object_get(
            json_object_get(json_array_get(json_object_get(doc, "containers"), 0), "usage"),
            "cpu"));
        const char *window = json_string_value(json_object_get(doc, "window"));
        char *unit;

        if (cpu) {
            unsigned long long v = strtoull(cpu, &unit, 10);
            nc = (long long)(*unit == 'n'   ? v
                             : *unit == 'u' ? v * 1000
                             : *unit == 'm' ? v * 1000000
                                            : v * 1000000000);
        }
        if (window_ns && (!window || duration_parse(window, window_ns) != 0)) nc = -1;
        json_decref(doc);
    }
    outbuf_done(&r.body);
    return nc;
}

static double served_cpu_by(struct agg_harness *a)
{
    return (double)served_pod_cpu(a, "burner-pod", NULL);
}

/* What the burner itself measured burning over the last window_s seconds, in nanocores (its
 * log: pairs of int64 realtime ns, process CPU ns), or over all of it when it is shorter.
 * -1 when it spans under half a second. */
static double burned_cpu(double window_s)
{
    char path[PATH_MAX + 16];
    int64_t rec[2], last[2] = {0, 0}, first[2] = {0, 0};
    FILE *f;

    snprintf(path, sizeof(path), "%s/burner.log", h.dir);
    if (!(f = fopen(path, "rb"))) return -1;
    if (fseek(f, -(long)sizeof(rec), SEEK_END) == 0 && fread(last, sizeof(last), 1, f) == 1) {
        rewind(f);
        while (fread(rec, sizeof(rec), 1, f) == 1)
            if (rec[0] >= last[0] - (int64_t)(window_s * 1e9)) {
                memcpy(first, rec, sizeof(first));
                break;
            }
    }
    fclose(f);
    if (last[0] - first[0] < 500000000) return -1; /* under half a second: too little to say */
    return (double)(last[1] - first[1]) / ((double)(last[0] - first[0]) / 1e9);
}

static double served_cpu(void)
{
    return served_cpu_by(&h);
}

/* Seconds until the pod is served (polling every 50 ms), or -1 after timeout seconds. */
static double wait_served(double timeout)
{
    double t0 = tu_mono_s();

    while (tu_mono_s() - t0 < timeout) {
        if (served_cpu() >= 0) return tu_mono_s() - t0;
        usleep(50000);
    }
    return -1;
}

static int setup(void **state)
{
    struct cgroup2_mount m;
    char pod_dir[512], cname[256], log[PATH_MAX + 16], path[PATH_MAX];
    size_t len;
    char *mi;

    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    mi = read_mountinfo(NULL, &len);
    if (geteuid() != 0 || !mi || cgroup2_find_mount(mi, len, &m) != 0) {
        free(mi);
        return -1;
    }
    free(mi);
    if (ah_start(&h, "--metric-resolution=3s --node-expiry=4s") != 0) return -1;
    snprintf(base, sizeof(base), "%s/kmetrics-e2e-%d", m.mount_point, (int)getpid());
    snprintf(runtime_dir, sizeof(runtime_dir), "%s/runtime", h.dir);
    kl_pod_uid(uid, 7);
    kl_container_id(id, 7);
    kl_pod_dir(pod_dir, sizeof(pod_dir), CG_DRIVER_SYSTEMD, QOS_GUARANTEED, uid);
    kl_container_name(cname, sizeof(cname), CG_DRIVER_SYSTEMD, RUNTIME_CONTAINERD, id);
    snprintf(container_dir, sizeof(container_dir), "%s/%s/%s", base, pod_dir, cname);
    if (tu_mkdirs("%s", container_dir) ||
        kl_write_bundle(runtime_dir, RUNTIME_CONTAINERD, id, uid, "e2e", "burner-pod", "burner", 0))
        return -1;
    snprintf(log, sizeof(log), "%s/burner.log", h.dir);
    snprintf(path, sizeof(path), "%s/tests/burner", h.bin_dir);
    burner = fork();
    if (burner == 0) {
        execl(path, "burner", container_dir, "40", "60", log, (char *)NULL);
        _exit(127);
    }
    collector = start_collector();
    return 0;
}

static int teardown(void **state)
{
    char cmd[PATH_MAX + 64];

    (void)state;
    stop_pid(&collector);
    if (burner > 0) {
        kill(burner, SIGKILL);
        waitpid(burner, NULL, 0);
    }
    ah_stop(&h);
    ah_stop(&h2);
    snprintf(cmd, sizeof(cmd), "find '%s' -depth -type d -exec rmdir {} + 2>/dev/null", base);
    if (system(cmd) != 0 && access(base, F_OK) == 0)
        fprintf(stderr, "warning: could not remove %s\n", base);
    tu_rm_rf(h.dir);
    curl_global_cleanup();
    return access(base, F_OK) == 0 ? -1 : 0;
}

static void test_collector_ships_and_clients_see_it(void **state)
{
    struct outbuf out;

    (void)state;
    /* The first shipment goes after two ticks; a new pod is served from it at once. */
    double t = wait_served(10);
    assert_true(t >= 0);
    fprintf(stderr, "pod served %.2f s after the collector started\n", t);
    sleep(3); /* a full rate window of shipments and of the burner's own log */
    double nc = served_cpu(), burned = burned_cpu(3);
    fprintf(stderr, "served %.0f nanocores; the burner measured %.0f over the last 3 s\n", nc,
            burned);
    /* The burner runs at a 40% duty cycle; on a busy machine it gets less, so the reference
     * is what it measured itself burning over the rate window (3 s here). Both figures cover
     * the same 3 s, give or take a tick: within 20%. */
    assert_true(burned > 0);
    assert_true(nc > burned * 0.8 && nc < burned * 1.2 + 0.02e9);
    outbuf_init(&out);
    assert_int_equal(
        ah_sh(&out, "kubectl --kubeconfig %s/kubeconfig get podmetrics -n e2e 2>&1", h.dir), 0);
    assert_non_null(strstr(out.data, "burner-pod"));
    outbuf_reset(&out);
    assert_int_equal(ah_sh(&out,
                           "kubectl --kubeconfig %s/kubeconfig get nodemetrics e2e-node "
                           "2>&1",
                           h.dir),
                     0);
    assert_non_null(strstr(out.data, "e2e-node"));
    outbuf_done(&out);
}

/* The items of a custom.metrics.k8s.io read of the e2e namespace's pods (NULL on failure). */
static json_t *custom_items(const char *metric)
{
    struct http_result r;
    char path[256];
    json_t *doc = NULL, *items;

    snprintf(path, sizeof(path), "/apis/custom.metrics.k8s.io/v1beta2/namespaces/e2e/pods/%%2A/%s",
             metric);
    if (ah_get(&h, path, "application/json", NULL, &r) == 0 && r.status == 200)
        doc = json_loadb(r.body.data, r.body.len, 0, NULL);
    outbuf_done(&r.body);
    items = json_incref(json_object_get(doc, "items"));
    json_decref(doc);
    return items;
}

/* custom_items once they list one pod, or what they list after seconds. */
static json_t *wait_custom_items(const char *metric, double seconds)
{
    json_t *items = NULL;
    double t0 = tu_mono_s();

    while (tu_mono_s() - t0 < seconds) {
        json_decref(items);
        items = custom_items(metric);
        if (json_array_size(items) == 1) break;
        usleep(200000);
    }
    return items;
}

/* The burner's signals, read from its cgroup by the collector, shipped as wire version 2 and
 * served as custom metrics: it stalls and waits for a CPU at times (pressure and run-queue
 * latency, when this kernel has them), has no network namespace of its own (it runs in the
 * test's: hostNetwork, counted at its sockets, of which it has none). */
static void test_signals_served_as_custom_metrics(void **state)
{
    json_t *items;

    (void)state;
    /* Two signal reads a ship interval apart make the first window. */
    items = wait_custom_items("runqueue_waits_per_second", 10);
    assert_int_equal(json_array_size(items), 1);
    json_t *it = json_array_get(items, 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(it, "describedObject"), "name")),
        "burner-pod");
    fprintf(stderr, "run-queue waits: %s/s over %lld s\n",
            json_string_value(json_object_get(it, "value")),
            (long long)json_integer_value(json_object_get(it, "windowSeconds")));
    /* It wakes every few ms to keep its 40 % duty cycle: waits there must be. */
    assert_string_not_equal(json_string_value(json_object_get(it, "value")), "0");
    json_decref(items);
    items = custom_items("runqueue_latency_p99_seconds");
    assert_int_equal(json_array_size(items), 1);
    json_decref(items);
    if (access("/proc/pressure/cpu", R_OK) == 0) {
        items = custom_items("cpu_pressure_some_ratio");
        assert_int_equal(json_array_size(items), 1);
        json_decref(items);
    }
    /* Counted at its sockets (it has none): a rate of 0, from the second count on. */
    items = wait_custom_items("network_receive_bytes_per_second", 10);
    assert_int_equal(json_array_size(items), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "value")), "0");
    json_decref(items);
}

static void test_aggregator_restart_resyncs_within_an_interval(void **state)
{
    (void)state;
    assert_int_equal(ah_stop(&h), 0);
    sleep(2); /* the collector sees it down and backs off */
    double t0 = tu_mono_s();
    assert_int_equal(ah_start(&h, "--metric-resolution=3s --node-expiry=4s"), 0);
    double up = tu_mono_s() - t0;
    double t = wait_served(10);
    fprintf(stderr, "after the aggregator restart: up in %.2f s, pod served %.2f s later\n", up, t);
    /* Served again within one ship interval (1 s), plus the 409-then-full round trip. */
    assert_true(t >= 0 && t <= 1.5);
    assert_true(served_cpu() > 0);
}

static void test_collector_restart_keeps_cpu_sane(void **state)
{
    double worst = 1e18, best = 0;

    (void)state;
    stop_pid(&collector);
    collector = start_collector();
    /* For 4 s across the restart the pod stays served with a sane CPU figure. */
    for (int i = 0; i < 40; i++) {
        double nc = served_cpu();
        if (nc >= 0 && nc < worst) worst = nc;
        if (nc > best) best = nc;
        assert_true(nc >= 0); /* node-expiry is 4 s: the restart must not make it vanish */
        usleep(100000);
    }
    fprintf(stderr, "across the collector restart: CPU between %.0f and %.0f nanocores\n", worst,
            best);
    assert_true(worst > 0.1e9);
    assert_true(best < 0.8e9);
}

/* A counter from the aggregator's /metrics, or -1. */
static double agg_counter(const char *series)
{
    struct http_result r;
    double v = -1;

    if (ah_get(&h, "/metrics", NULL, NULL, &r) == 0 && r.status == 200) {
        outbuf_append(&r.body, "", 1);
        const char *at = strstr(r.body.data, series);
        if (at && at[strlen(series)] == ' ') v = strtod(at + strlen(series) + 1, NULL);
    }
    outbuf_done(&r.body);
    return v;
}

/* A pod's status code from replica h: 200 when served. */
static long pod_status(const char *name)
{
    struct http_result r;
    char path[256];
    long status = -1;

    snprintf(path, sizeof(path), "/apis/metrics.k8s.io/v1beta1/namespaces/e2e/pods/%s", name);
    if (ah_get(&h, path, "application/json", NULL, &r) == 0) status = r.status;
    outbuf_done(&r.body);
    return status;
}

/* With a minute between periodic shipments, a pod that appears is still served within
 * seconds (its container's first rate is shipped at once, as a changes-only delta), and a pod
 * deleted is gone as soon. */
static void test_pods_appear_and_go_at_once(void **state)
{
    const char *changes = "kmetrics_shipments_received_total{outcome=\"stored\"}";
    char pod_dir[512], cname[256], dir[PATH_MAX], uid2[40], id2[65];
    double t0, stored0, t = -1;

    (void)state;
    stop_pid(&collector);
    collector = start_collector_flags("ship-token", "--ship-interval=60s");
    assert_true(wait_served(10) >= 0); /* the first, full shipment */
    sleep(1);
    stored0 = agg_counter(changes);

    kl_pod_uid(uid2, 8);
    kl_container_id(id2, 8);
    kl_pod_dir(pod_dir, sizeof(pod_dir), CG_DRIVER_SYSTEMD, QOS_BESTEFFORT, uid2);
    kl_container_name(cname, sizeof(cname), CG_DRIVER_SYSTEMD, RUNTIME_CONTAINERD, id2);
    snprintf(dir, sizeof(dir), "%s/%s/%s", base, pod_dir, cname);
    assert_int_equal(
        kl_write_bundle(runtime_dir, RUNTIME_CONTAINERD, id2, uid2, "e2e", "late-pod", "late", 0),
        0);
    t0 = tu_mono_s();
    assert_int_equal(tu_mkdirs("%s", dir), 0);
    while (tu_mono_s() - t0 < 20) {
        if (pod_status("late-pod") == 200) {
            t = tu_mono_s() - t0;
            break;
        }
        usleep(50000);
    }
    fprintf(stderr,
            "a new pod served %.2f s after its container's cgroup appeared "
            "(periodic shipments every 60 s)\n",
            t);
    assert_true(t >= 0 && t < 10);
    /* It came in a shipment of its own, not a periodic one (the next is a minute away). */
    assert_true(agg_counter(changes) == stored0 + 1);

    /* Deleted (its container's directory, then its own): gone from the API as promptly. */
    t = -1;
    t0 = tu_mono_s();
    assert_int_equal(rmdir(dir), 0);
    *strrchr(dir, '/') = '\0';
    assert_int_equal(rmdir(dir), 0);
    while (tu_mono_s() - t0 < 20) {
        if (pod_status("late-pod") == 404) {
            t = tu_mono_s() - t0;
            break;
        }
        usleep(50000);
    }
    fprintf(stderr, "the deleted pod gone from the API %.2f s after its cgroup was removed\n", t);
    assert_true(t >= 0 && t < 10);
    assert_true(agg_counter(changes) == stored0 + 2);
    stop_pid(&collector);
    collector = start_collector();
}

/* Two replicas given as two URLs: every shipment reaches both, so either can serve. */
static void test_every_replica_gets_every_shipment(void **state)
{
    (void)state;
    h2 = h; /* same certificates and tokens, another port */
    h2.pid = 0;
    h2.port = ah_free_port();
    assert_int_equal(ah_start(&h2, "--metric-resolution=3s --node-expiry=4s"), 0);
    stop_pid(&collector);
    collector = start_collector();
    double t0 = tu_mono_s();
    while (tu_mono_s() - t0 < 5 && served_cpu_by(&h2) < 0)
        usleep(50000);
    double a = served_cpu_by(&h), b = served_cpu_by(&h2);
    fprintf(stderr, "replicas serve %.0f and %.0f nanocores\n", a, b);
    assert_true(a > 0.1e9 && b > 0.1e9);
    /* The same samples: the same rate, give or take one shipment in flight. */
    assert_true(a / b > 0.8 && a / b < 1.25);
    assert_int_equal(ah_stop(&h2), 0);
}

/* The token file is replaced (as the kubelet rotates a projected token: a new file renamed
 * over the old): the collector ships with the new token without a restart. */
static void test_rotated_ship_token_is_used(void **state)
{
    const char *rejected = "kmetrics_shipments_rejected_total{reason=\"unauthenticated\"}";
    const char *stored = "kmetrics_shipments_received_total{outcome=\"stored\"}";
    char path[PATH_MAX + 32], tmp[PATH_MAX + 32];
    (void)state;

    stop_pid(&collector);
    snprintf(path, sizeof(path), "%s/rotating-token", h.dir);
    snprintf(tmp, sizeof(tmp), "%s/rotating-token.new", h.dir);
    assert_int_equal(tu_write_file(path, "not-the-ship-token\n", (size_t)-1), 0);
    double r0 = agg_counter(rejected);
    collector = start_collector_with("rotating-token");
    double t0 = tu_mono_s();
    while (tu_mono_s() - t0 < 10 && agg_counter(rejected) <= r0)
        usleep(100000);
    assert_true(agg_counter(rejected) > r0);
    double s0 = agg_counter(stored);
    assert_int_equal(tu_write_file(tmp, AH_SHIP_TOKEN "\n", (size_t)-1), 0);
    assert_int_equal(rename(tmp, path), 0);
    t0 = tu_mono_s();
    while (tu_mono_s() - t0 < 10 && agg_counter(stored) <= s0)
        usleep(100000);
    fprintf(stderr, "rotated token in use %.2f s after the file was replaced\n", tu_mono_s() - t0);
    assert_true(agg_counter(stored) > s0);
    stop_pid(&collector);
    collector = start_collector();
}

/* Whether the stopped process pid was waiting in epoll (the collector between ticks), from
 * its main thread's /proc/<pid>/syscall. */
static bool waiting_in_epoll(pid_t pid)
{
    char path[64];
    long nr = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
    if (!(f = fopen(path, "r"))) return false;
    if (fscanf(f, "%ld", &nr) != 1) nr = -1;
    fclose(f);
    return nr == SYS_epoll_wait || nr == SYS_epoll_pwait;
}

/* The newest SIGUSR1 snapshot in the collector's log that lists the pod with uid, or NULL. */
static json_t *logged_snapshot_with(const char *pod_uid)
{
    char path[PATH_MAX + 16], *line = NULL;
    size_t cap = 0;
    json_t *found = NULL;
    FILE *f;

    snprintf(path, sizeof(path), "%s/collector.log", h.dir);
    if (!(f = fopen(path, "r"))) return NULL;
    while (getline(&line, &cap, f) > 0) {
        json_t *doc;

        if (line[0] != '{' || !strstr(line, pod_uid)) continue;
        if ((doc = json_loads(line, 0, NULL))) {
            json_decref(found);
            found = doc;
        }
    }
    free(line);
    fclose(f);
    return found;
}

/* A job of ~300 ms of CPU in a container of its own pod runs and its cgroup is removed between
 * two of the collector's ticks: the collector is stopped (SIGSTOP, while it waits for its next
 * tick) before the job starts and continued after the removal, so no tick can read the job's
 * cpu.stat, on any machine load. Its CPU is then known only from what the BPF program read at
 * cgroup_rmdir. The aggregator must serve it: the job's container went from 0 to the job's
 * usage between two points, so the served rate times the served window is that usage, to the
 * microsecond (the window is exact to the µs, the rate's rounding is below a nanosecond). The
 * truth is the pod's usage_usec, which grows by the job's alone. The collector's own state
 * (SIGUSR1) shows the same last point. */
static void test_exited_job_cpu_reaches_the_aggregator(void **state)
{
    char pod_dir[512], cname[256], dir[PATH_MAX], pod_path[PATH_MAX], uid3[40], id3[65];
    long long before, after, nc = -1, served_usec, logged;
    int64_t window_ns = 0;
    double t0;
    int status, tries = 0;

    (void)state;
    kl_pod_uid(uid3, 9);
    kl_container_id(id3, 9);
    kl_pod_dir(pod_dir, sizeof(pod_dir), CG_DRIVER_SYSTEMD, QOS_BESTEFFORT, uid3);
    kl_container_name(cname, sizeof(cname), CG_DRIVER_SYSTEMD, RUNTIME_CONTAINERD, id3);
    snprintf(pod_path, sizeof(pod_path), "%s/%s", base, pod_dir);
    snprintf(dir, sizeof(dir), "%s/%s", pod_path, cname);
    assert_int_equal(
        kl_write_bundle(runtime_dir, RUNTIME_CONTAINERD, id3, uid3, "e2e", "job-pod", "job", 0), 0);
    assert_int_equal(tu_mkdirs("%s", dir), 0);
    /* Served (with 0 CPU) once the collector has sampled the empty container twice. */
    t0 = tu_mono_s();
    while (tu_mono_s() - t0 < 20 && served_pod_cpu(&h, "job-pod", NULL) != 0)
        usleep(50000);
    assert_int_equal(served_pod_cpu(&h, "job-pod", NULL), 0);

    /* Stopped while it waits for a tick, not in the middle of one. */
    for (;;) {
        assert_int_equal(kill(collector, SIGSTOP), 0);
        assert_int_equal(waitpid(collector, &status, WUNTRACED), collector);
        if (waiting_in_epoll(collector)) break;
        kill(collector, SIGCONT);
        assert_true(++tries < 1000);
        usleep(10000);
    }
    before = tu_cpu_usage_usec(pod_path);
    assert_int_equal(tu_run_cpu_job(dir, 300), 0);
    assert_int_equal(rmdir(dir), 0);
    after = tu_cpu_usage_usec(pod_path); /* the kernel flushed the job into its pod */
    assert_int_equal(kill(collector, SIGCONT), 0);
    assert_true(before >= 0 && after - before >= 300 * 1000);

    /* Every point before the last was 0: the first non-zero rate served is the last point's. */
    t0 = tu_mono_s();
    while (tu_mono_s() - t0 < 20 && (nc = served_pod_cpu(&h, "job-pod", &window_ns)) <= 0)
        usleep(50000);
    assert_true(nc > 0 && window_ns > 0);
    served_usec = (long long)(((unsigned __int128)nc * (uint64_t)window_ns + 500000000000ull) /
                              1000000000000ull);

    assert_int_equal(kill(collector, SIGUSR1), 0);
    json_t *snap = NULL;
    t0 = tu_mono_s();
    while (tu_mono_s() - t0 < 20 && !(snap = logged_snapshot_with(uid3)))
        usleep(50000);
    assert_non_null(snap);
    json_t *pod = tu_json_find_by(json_object_get(snap, "pods"), "uid", uid3);
    json_t *c = tu_json_find_by(json_object_get(pod, "containers"), "id", id3);
    logged = json_integer_value(json_object_get(json_object_get(c, "cpu"), "usage_usec"));
    fprintf(stderr,
            "a 300 ms job removed between ticks: its pod's usage grew by %lld us; the collector's "
            "last point %lld us (exit usages recorded: %lld); the aggregator serves %lld "
            "nanocores over %lld us: %lld us\n",
            after - before, logged,
            (long long)json_integer_value(
                json_object_get(json_object_get(snap, "collector"), "exit_usage_recorded")),
            nc, (long long)(window_ns / 1000), served_usec);
    /* Equal but for each figure's own rounding down to microseconds. */
    assert_true(llabs(logged - (after - before)) <= 1);
    assert_true(llabs(served_usec - (after - before)) <= 1);
    assert_true(json_integer_value(json_object_get(json_object_get(snap, "collector"),
                                                   "exit_usage_recorded")) >= 1);
    json_decref(snap);
    assert_int_equal(rmdir(pod_path), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collector_ships_and_clients_see_it),
        cmocka_unit_test(test_signals_served_as_custom_metrics),
        cmocka_unit_test(test_aggregator_restart_resyncs_within_an_interval),
        cmocka_unit_test(test_collector_restart_keeps_cpu_sane),
        cmocka_unit_test(test_pods_appear_and_go_at_once),
        cmocka_unit_test(test_every_replica_gets_every_shipment),
        cmocka_unit_test(test_rotated_ship_token_is_used),
        cmocka_unit_test(test_exited_job_cpu_reaches_the_aggregator),
    };
    /* KMETRICS_TEST_FILTER=test_exited* runs one test (cmocka's pattern). */
    if (getenv("KMETRICS_TEST_FILTER")) cmocka_set_test_filter(getenv("KMETRICS_TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
