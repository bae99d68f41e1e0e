/* The collector over fixture trees: every kubepods layout of REFERENCE §4 with containerd and
 * CRI-O bundles, exact values, counter resets, and hostile cgroup files. Fixture files stand
 * in for cgroupfs so each value is known; the real-kernel tests are in tests/integration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collector.h"
#include "lib/kube_layout.h"
#include "log.h"
#include "snapshot_json.h"
#include "lib/test_util.h"

#define SEC_NS ((int64_t)1000000000)

struct fixture {
    char root[PATH_MAX];
    char runtime[PATH_MAX];
    char meminfo[PATH_MAX];
    const char *runtime_dirs[1];
    struct collector c;
    int started;
};

struct layout_row {
    enum cg_driver driver;
    enum pod_qos qos;
    enum cg_runtime runtime;
    int bundle; /* write an OCI bundle (containerd / CRI-O) */
};

static const struct layout_row rows[] = {
    {CG_DRIVER_SYSTEMD, QOS_GUARANTEED, RUNTIME_CONTAINERD, 1},
    {CG_DRIVER_SYSTEMD, QOS_BURSTABLE, RUNTIME_CONTAINERD, 1},
    {CG_DRIVER_SYSTEMD, QOS_BESTEFFORT, RUNTIME_CONTAINERD, 1},
    {CG_DRIVER_SYSTEMD, QOS_GUARANTEED, RUNTIME_CRIO, 1},
    {CG_DRIVER_SYSTEMD, QOS_BURSTABLE, RUNTIME_CRIO, 1},
    {CG_DRIVER_SYSTEMD, QOS_BESTEFFORT, RUNTIME_CRIO, 1},
    {CG_DRIVER_SYSTEMD, QOS_BURSTABLE, RUNTIME_DOCKER, 0},
    {CG_DRIVER_CGROUPFS, QOS_GUARANTEED, RUNTIME_CONTAINERD, 1},
    {CG_DRIVER_CGROUPFS, QOS_BURSTABLE, RUNTIME_CONTAINERD, 1},
    {CG_DRIVER_CGROUPFS, QOS_BESTEFFORT, RUNTIME_CONTAINERD, 1},
    {CG_DRIVER_CGROUPFS, QOS_GUARANTEED, RUNTIME_CRIO, 1},
    {CG_DRIVER_CGROUPFS, QOS_BURSTABLE, RUNTIME_CRIO, 1},
    {CG_DRIVER_CGROUPFS, QOS_BESTEFFORT, RUNTIME_CRIO, 1},
    {CG_DRIVER_CGROUPFS, QOS_BURSTABLE, RUNTIME_DOCKER, 0},
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static void write_cpu(const char *dir, uint64_t usage)
{
    char path[PATH_MAX + 16], body[256];

    snprintf(path, sizeof(path), "%s/cpu.stat", dir);
    snprintf(body, sizeof(body),
             "usage_usec %llu\nuser_usec %llu\nsystem_usec %llu\nnr_periods 10\n"
             "nr_throttled 2\nthrottled_usec 345\nnr_bursts 0\nburst_usec 0\n",
             (unsigned long long)usage, (unsigned long long)(usage * 3 / 4),
             (unsigned long long)(usage / 4));
    assert_int_equal(tu_write_file(path, body, (size_t)-1), 0);
}

static void write_file(const char *dir, const char *name, const char *body)
{
    char path[PATH_MAX + 64];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_int_equal(tu_write_file(path, body, (size_t)-1), 0);
}

/* cpu.pressure with the "some" total, and memory.events with oom_kill. */
static void write_signals(const char *dir, uint64_t cpu_some_usec, uint64_t oom_kills)
{
    char body[256];

    snprintf(body, sizeof(body),
             "some avg10=0.00 avg60=0.00 avg300=0.00 total=%llu\n"
             "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
             (unsigned long long)cpu_some_usec);
    write_file(dir, "cpu.pressure", body);
    snprintf(body, sizeof(body), "low 0\nhigh 0\nmax 0\noom 1\noom_kill %llu\n",
             (unsigned long long)oom_kills);
    write_file(dir, "memory.events", body);
}

static void write_memory(const char *dir, uint64_t current, uint64_t anon, uint64_t inactive_file)
{
    char body[1024];

    snprintf(body, sizeof(body), "%llu\n", (unsigned long long)current);
    write_file(dir, "memory.current", body);
    snprintf(body, sizeof(body),
             "anon %llu\nfile %llu\nkernel 8192\nkernel_stack 0\nsock 0\nshmem 0\n"
             "anon_thp 999999\nfile_mapped 4096\nactive_anon 0\ninactive_anon %llu\n"
             "active_file 0\ninactive_file %llu\nunevictable 0\n",
             (unsigned long long)anon, (unsigned long long)(current - anon),
             (unsigned long long)anon, (unsigned long long)inactive_file);
    write_file(dir, "memory.stat", body);
    snprintf(body, sizeof(body), "%llu\n", (unsigned long long)(current + 4096));
    write_file(dir, "memory.peak", body);
    write_file(dir, "memory.swap.current", "0\n");
}

/* Container directory of row i (absolute). */
static void row_dir(const struct fixture *f, size_t i, int which, char *out, size_t n)
{
    char uid[40], id[65], pod_dir[512], cname[128];

    kl_pod_uid(uid, (unsigned)i + 1);
    kl_container_id(id, (unsigned)(i + 1) * 10 + (unsigned)which);
    kl_pod_dir(pod_dir, sizeof(pod_dir), rows[i].driver, rows[i].qos, uid);
    kl_container_name(cname, sizeof(cname), rows[i].driver, rows[i].runtime, id);
    snprintf(out, n, "%s/%s/%s", f->root, pod_dir, cname);
}

static void make_row(struct fixture *f, size_t i)
{
    char uid[40], id[65], sid[65], dir[PATH_MAX], pod_name[64], cname[32];

    kl_pod_uid(uid, (unsigned)i + 1);
    kl_container_id(id, (unsigned)(i + 1) * 10);
    kl_container_id(sid, (unsigned)(i + 1) * 10 + 1);
    snprintf(pod_name, sizeof(pod_name), "pod-%zu", i);
    snprintf(cname, sizeof(cname), "app-%zu", i);

    row_dir(f, i, 0, dir, sizeof(dir));
    assert_int_equal(tu_mkdirs("%s", dir), 0);
    write_cpu(dir, 1000000 + i);
    write_memory(dir, (i + 1) << 20, (i + 1) << 19, 4096);
    if (rows[i].bundle) {
        assert_int_equal(
            kl_write_bundle(f->runtime, rows[i].runtime, id, uid, "ns-a", pod_name, cname, 0), 0);
        /* The pod's sandbox: present in cgroups, named in its bundle, never reported. */
        row_dir(f, i, 1, dir, sizeof(dir));
        assert_int_equal(tu_mkdirs("%s", dir), 0);
        write_cpu(dir, 5);
        assert_int_equal(
            kl_write_bundle(f->runtime, rows[i].runtime, sid, uid, "ns-a", pod_name, "", 1), 0);
    }
    if (rows[i].runtime == RUNTIME_CRIO) {
        /* conmon sits beside the container and is never a container. */
        char pod_dir[512], conmon[PATH_MAX];
        kl_pod_dir(pod_dir, sizeof(pod_dir), rows[i].driver, rows[i].qos, uid);
        snprintf(conmon, sizeof(conmon), "%s/%s/crio-conmon-%s%s", f->root, pod_dir, id,
                 rows[i].driver == CG_DRIVER_SYSTEMD ? ".scope" : "");
        assert_int_equal(tu_mkdirs("%s", conmon), 0);
        write_cpu(conmon, 77);
    }
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f || tu_tmpdir(f->root, sizeof(f->root), "fixture") != 0) return -1;
    chmod(f->root, 0755); /* the permission test reads it as another user */
    snprintf(f->runtime, sizeof(f->runtime), "%s.runtime", f->root);
    snprintf(f->meminfo, sizeof(f->meminfo), "%s.meminfo", f->root);
    f->runtime_dirs[0] = f->runtime;
    tu_write_file(f->meminfo,
                  "MemTotal:        8000000 kB\nMemFree:         1000000 kB\n"
                  "MemAvailable:    5000000 kB\nBuffers:          100000 kB\n"
                  "Cached:          3000000 kB\nActive(file):    1000000 kB\n"
                  "Inactive(file):  2000000 kB\nAnonPages:       2500000 kB\n"
                  "SwapTotal:             0 kB\nSwapFree:              0 kB\n",
                  (size_t)-1);
    /* The fixture root plays the hierarchy root for node figures. */
    write_cpu(f->root, 50000000);
    write_file(f->root, "memory.stat",
               "anon 3000000000\nfile 2000000000\ninactive_file 500000000\n");
    for (size_t i = 0; i < NROWS; i++)
        make_row(f, i);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    if (f->started) collector_done(&f->c);
    tu_rm_rf(f->root);
    tu_rm_rf(f->runtime);
    unlink(f->meminfo);
    free(f);
    return 0;
}

static void start_with(struct fixture *f, bool memory_on_request)
{
    struct collector_config cfg = {
        .cgroup_root = f->root,
        .runtime_dirs = f->runtime_dirs,
        .runtime_dirs_count = 1,
        .interval_ns = SEC_NS / 10,
        .memory_on_request = memory_on_request,
        .node_name = "fixture-node",
        .meminfo_path = f->meminfo,
    };
    char err[256];

    assert_int_equal(collector_init(&f->c, &cfg, err, sizeof(err)), 0);
    f->started = 1;
    assert_int_equal(f->c.mode, DISCOVERY_WALK); /* a tmp dir is not cgroup2: no events */
}

static void start(struct fixture *f)
{
    start_with(f, false);
}

static struct container *row_container(struct fixture *f, size_t i, int which)
{
    char id[65];

    kl_container_id(id, (unsigned)(i + 1) * 10 + (unsigned)which);
    return registry_container(&f->c.reg, id);
}

/* --- tests -------------------------------------------------------------------------------- */

static void test_every_layout_is_discovered_with_identity(void **state)
{
    struct fixture *f = *state;

    start(f);
    collector_tick(&f->c);
    for (size_t i = 0; i < NROWS; i++) {
        struct container *ct = row_container(f, i, 0);
        char uid[40], name[32], pod_name[32];

        kl_pod_uid(uid, (unsigned)i + 1);
        snprintf(name, sizeof(name), "app-%zu", i);
        snprintf(pod_name, sizeof(pod_name), "pod-%zu", i);
        assert_non_null(ct);
        assert_string_equal(ct->pod->uid, uid);
        assert_int_equal(ct->pod->qos, rows[i].qos);
        assert_int_equal(ct->pod->driver, rows[i].driver);
        assert_true(ct->has_sample);
        assert_false(ct->sandbox);
        if (rows[i].bundle) {
            assert_int_equal(ct->identity, IDENTITY_BUNDLE);
            assert_int_equal(ct->runtime, rows[i].runtime);
            assert_string_equal(ct->name, name);
            assert_string_equal(ct->pod->name, pod_name);
            assert_string_equal(ct->pod->namespace_, "ns-a");
            struct container *sb = row_container(f, i, 1);
            assert_non_null(sb);
            assert_true(sb->sandbox);
            assert_false(sb->has_sample); /* sandboxes are not even read */
        } else {
            /* No bundle: still reported, by container id and pod uid. */
            assert_int_equal(ct->identity, IDENTITY_CGROUP_ONLY);
            assert_string_equal(ct->name, "");
            assert_string_equal(ct->pod->name, "");
        }
    }
    /* app + sandbox for every bundled row, app only for docker rows; conmon never. */
    assert_int_equal(registry_pod_count(&f->c.reg), NROWS);
    assert_int_equal(registry_container_count(&f->c.reg), NROWS * 2 - 2);
}

static void test_memory_values_are_exact(void **state)
{
    struct fixture *f = *state;
    char dir[PATH_MAX];

    start(f);
    /* inactive_file larger than memory.current: working set clamps at 0, never wraps. */
    row_dir(f, 1, 0, dir, sizeof(dir));
    write_memory(dir, 1 << 20, 1 << 18, 2 << 20);
    collector_tick(&f->c);
    for (size_t i = 0; i < NROWS; i++) {
        const struct cgroup_sample *s = &row_container(f, i, 0)->last;
        uint64_t current = (uint64_t)(i + 1) << 20;
        if (i == 1) {
            assert_int_equal(s->working_set, 0);
            continue;
        }
        assert_true(s->have & SAMPLE_WORKING_SET);
        assert_int_equal(s->memory_current, current);
        assert_int_equal(s->working_set, current - 4096);
        assert_int_equal(s->rss, current / 2);
        assert_int_equal(s->peak, current + 4096);
        assert_int_equal(s->swap, 0);
        assert_int_equal(s->cpu.v[CPU_USAGE_USEC], 1000000 + i);
        assert_int_equal(s->cpu.v[CPU_NR_THROTTLED], 2);
        assert_int_equal(s->cpu.v[CPU_THROTTLED_USEC], 345);
    }
    /* Node: anon + file from the root memory.stat, minus inactive_file. */
    assert_int_equal(f->c.node.memory_source, NODE_MEMORY_CGROUP);
    assert_int_equal(f->c.node.memory_usage, 5000000000ull);
    assert_int_equal(f->c.node.working_set, 4500000000ull);
    assert_int_equal(f->c.node.capacity_memory, 8000000ull * 1024);
}

/* A collector that only ships reads memory.current and memory.stat, and the signal files, when
 * asked (before a shipment), and a container's first tick; every other tick reads cpu.stat and
 * keeps the figures it had. */
static void test_memory_read_on_request(void **state)
{
    struct fixture *f = *state;
    const struct cgroup_sample *s;
    char dir[PATH_MAX];

    row_dir(f, 0, 0, dir, sizeof(dir));
    write_signals(dir, 1000, 0);
    start_with(f, true);
    collector_tick(&f->c); /* first samples: everything read */
    s = &row_container(f, 0, 0)->last;
    assert_int_equal(s->memory_current, 1 << 20);
    assert_int_equal(s->working_set, (1 << 20) - 4096);
    assert_true(s->have & SAMPLE_CPU_PRESSURE);
    assert_true(s->have & SAMPLE_OOM_KILLS);
    assert_false(s->have & SAMPLE_IO_PRESSURE); /* no io.pressure file: left out */
    assert_int_equal(s->pressure[PRESSURE_CPU].some_usec, 1000);

    write_memory(dir, 5 << 20, 3 << 20, 8192);
    write_cpu(dir, 7000000);
    write_signals(dir, 2500, 1);
    collector_tick(&f->c);
    assert_int_equal(s->pressure[PRESSURE_CPU].some_usec, 1000); /* kept */
    assert_int_equal(s->oom_kills, 0);
    assert_true(s->have & SAMPLE_CPU_PRESSURE);
    assert_int_equal(s->cpu.v[CPU_USAGE_USEC], 7000000); /* CPU every tick */
    assert_true(s->have & SAMPLE_WORKING_SET);
    assert_int_equal(s->memory_current, 1 << 20); /* memory kept from the first tick */
    assert_int_equal(s->working_set, (1 << 20) - 4096);
    assert_int_equal(s->rss, 1 << 19);

    collector_want_memory(&f->c);
    collector_tick(&f->c);
    assert_int_equal(s->pressure[PRESSURE_CPU].some_usec, 2500);
    assert_int_equal(s->oom_kills, 1);
    assert_int_equal(s->memory_current, 5 << 20);
    assert_int_equal(s->working_set, (5 << 20) - 8192);
    assert_int_equal(s->rss, 3 << 20);

    write_memory(dir, 6 << 20, 3 << 20, 8192);
    collector_tick(&f->c); /* the request was for one tick only */
    assert_int_equal(s->memory_current, 5 << 20);
}

/* --no-signals: the pressure and memory.events files are never read. */
static void test_signals_off(void **state)
{
    struct fixture *f = *state;
    struct collector_config cfg = {
        .cgroup_root = f->root,
        .runtime_dirs = f->runtime_dirs,
        .runtime_dirs_count = 1,
        .interval_ns = SEC_NS / 10,
        .skip_signals = true,
        .node_name = "fixture-node",
        .meminfo_path = f->meminfo,
    };
    char dir[PATH_MAX], err[256];
    const struct cgroup_sample *s;

    row_dir(f, 0, 0, dir, sizeof(dir));
    write_signals(dir, 1000, 2);
    assert_int_equal(collector_init(&f->c, &cfg, err, sizeof(err)), 0);
    f->started = 1;
    collector_tick(&f->c);
    collector_tick(&f->c);
    s = &row_container(f, 0, 0)->last;
    assert_true(s->have & SAMPLE_WORKING_SET);
    assert_false(s->have & (SAMPLE_CPU_PRESSURE | SAMPLE_OOM_KILLS));
    assert_int_equal(row_container(f, 0, 0)->files.state[CGF_CPU_PRESSURE], CGF_UNTRIED);
}

/* A kernel without PSI (no <proc>/pressure/cpu) is said once, at start, in one log line; not
 * with --no-signals, not when the file is there. */
static void test_no_psi_said_once_at_start(void **state)
{
    struct fixture *f = *state;
    struct collector_config cfg = {
        .cgroup_root = f->root,
        .runtime_dirs = f->runtime_dirs,
        .runtime_dirs_count = 1,
        .interval_ns = SEC_NS / 10,
        .node_name = "fixture-node",
        .meminfo_path = f->meminfo,
    };
    char with_psi[PATH_MAX], without[PATH_MAX], err[256];
    uint64_t lines[3];
    int level = log_get_level();

    char cpu[PATH_MAX + 16];

    snprintf(with_psi, sizeof(with_psi), "%s.proc-psi", f->root);
    snprintf(without, sizeof(without), "%s.proc-no-psi", f->root);
    snprintf(cpu, sizeof(cpu), "%s/pressure/cpu", with_psi);
    assert_int_equal(tu_mkdirs("%s/pressure", with_psi), 0);
    assert_int_equal(tu_mkdirs("%s", without), 0);
    assert_int_equal(tu_write_file(cpu, "some avg10=0.00 total=0\n", (size_t)-1), 0);
    log_set_level(LOG_INFO);
    for (int k = 0; k < 3; k++) {
        uint64_t before = log_lines_written(LOG_INFO);
        cfg.proc_root = k == 0 ? with_psi : without;
        cfg.skip_signals = k == 2;
        assert_int_equal(collector_init(&f->c, &cfg, err, sizeof(err)), 0);
        lines[k] = log_lines_written(LOG_INFO) - before;
        collector_tick(&f->c);
        collector_tick(&f->c);
        assert_int_equal(log_lines_written(LOG_INFO) - before, lines[k]); /* none per tick */
        collector_done(&f->c);
    }
    log_set_level(level);
    tu_rm_rf(with_psi);
    tu_rm_rf(without);
    assert_int_equal(lines[1], lines[0] + 1); /* the one line */
    assert_int_equal(lines[2], lines[0]);     /* --no-signals: nothing to say */
}

static void test_cpu_rate_and_counter_reset(void **state)
{
    struct fixture *f = *state;
    struct cpu_rate r;
    char dir[PATH_MAX];

    start(f);
    row_dir(f, 0, 0, dir, sizeof(dir));
    write_cpu(dir, 10000000);
    collector_tick(&f->c);
    struct container *ct = row_container(f, 0, 0);
    assert_false(
        cpu_history_rate(ct->cpu, &f->c.cpu_params, 15 * SEC_NS, &r)); /* one sample: no rate yet */

    usleep(100000);
    write_cpu(dir, 10000000 + 50000); /* +50 ms of CPU */
    collector_tick(&f->c);
    assert_true(cpu_history_rate(ct->cpu, &f->c.cpu_params, 15 * SEC_NS, &r));
    assert_int_equal(r.nanocores,
                     (uint64_t)((unsigned __int128)50000 * 1000 * SEC_NS / (uint64_t)r.window_ns));
    assert_true(r.window_ns >= SEC_NS / 10 && r.window_ns < SEC_NS);

    /* The container restarted in place: the counter went backwards. */
    usleep(100000);
    write_cpu(dir, 1000);
    collector_tick(&f->c);
    assert_int_equal(ct->cpu->series.resets, 1);
    assert_int_equal(f->c.stats.counter_resets, 1);
    assert_false(cpu_history_rate(ct->cpu, &f->c.cpu_params, 15 * SEC_NS,
                                  &r)); /* new series, never negative */
    usleep(100000);
    write_cpu(dir, 1000 + 20000);
    collector_tick(&f->c);
    assert_true(cpu_history_rate(ct->cpu, &f->c.cpu_params, 15 * SEC_NS, &r));
    assert_true(r.nanocores > 0 && r.nanocores < 1000000000ull);
}

static void test_hostile_files_skip_only_what_is_bad(void **state)
{
    struct fixture *f = *state;
    char dir[PATH_MAX], big[PATH_MAX + 16];
    uint64_t warns_before;

    start(f);
    collector_tick(&f->c);
    /* Row 0: cpu.stat garbage. Row 1: memory files garbage. Row 2: no memory controller.
     * Row 3: a 1 MiB cpu.stat of junk. Row 4: truncated cpu.stat (no usage_usec). */
    row_dir(f, 0, 0, dir, sizeof(dir));
    write_file(dir, "cpu.stat", "\x01\x02garbage\xff\xfe usage_usec x\n");
    row_dir(f, 1, 0, dir, sizeof(dir));
    write_file(dir, "memory.current", "max\n");
    write_file(dir, "memory.stat", "anon -5\ninactive_file 18446744073709551616\n");
    write_file(dir, "memory.peak", "");
    row_dir(f, 2, 0, dir, sizeof(dir));
    const char *memfiles[] = {"memory.current", "memory.stat", "memory.peak",
                              "memory.swap.current"};
    for (size_t k = 0; k < 4; k++) {
        snprintf(big, sizeof(big), "%s/%s", dir, memfiles[k]);
        unlink(big);
    }
    row_dir(f, 3, 0, dir, sizeof(dir));
    {
        size_t n = 1 << 20;
        char *junk = malloc(n);
        for (size_t k = 0; k < n; k++)
            junk[k] = (char)("usage_sec 9\n\0\xff"[k % 14]);
        snprintf(big, sizeof(big), "%s/cpu.stat", dir);
        assert_int_equal(tu_write_file(big, junk, n), 0);
        free(junk);
    }
    row_dir(f, 4, 0, dir, sizeof(dir));
    write_file(dir, "cpu.stat", "usage_us");

    /* A fresh collector so every file is opened anew. */
    collector_done(&f->c);
    f->started = 0;
    start(f);
    warns_before = log_lines_written(LOG_WARN);
    for (int t = 0; t < 5; t++)
        collector_tick(&f->c);

    assert_false(row_container(f, 0, 0)->has_sample);
    assert_false(row_container(f, 3, 0)->has_sample);
    assert_false(row_container(f, 4, 0)->has_sample);
    assert_int_equal(f->c.stats.read_errors, 15); /* 3 containers x 5 ticks */
    const struct cgroup_sample *s1 = &row_container(f, 1, 0)->last;
    assert_true(s1->have & SAMPLE_CPU);
    assert_false(s1->have & (SAMPLE_MEM_CURRENT | SAMPLE_WORKING_SET | SAMPLE_RSS | SAMPLE_PEAK));
    const struct cgroup_sample *s2 = &row_container(f, 2, 0)->last;
    assert_int_equal(s2->have, SAMPLE_CPU); /* no memory controller: CPU only, no error */
    for (size_t i = 5; i < NROWS; i++)
        assert_true(row_container(f, i, 0)->last.have & SAMPLE_WORKING_SET);
    /* One rate-limited line per kind of problem, not one per tick. */
    uint64_t warns = log_lines_written(LOG_WARN) - warns_before;
    assert_true(warns >= 1 && warns <= 5);

    /* The snapshot still carries every good container and the partial ones. */
    json_t *doc = snapshot_to_json(&f->c, 15 * SEC_NS);
    assert_int_equal(json_array_size(json_object_get(doc, "pods")), NROWS - 3);
    json_decref(doc);
}

static void test_vanished_cgroup_is_dropped_quietly(void **state)
{
    struct fixture *f = *state;
    char dir[PATH_MAX];
    uint64_t warns_before;

    start(f);
    collector_tick(&f->c);
    assert_non_null(row_container(f, 7, 0));
    /* Remove a container between ticks, as its runtime would. */
    row_dir(f, 7, 0, dir, sizeof(dir));
    tu_rm_rf(dir);
    warns_before = log_lines_written(LOG_WARN);
    collector_tick(&f->c);
    assert_null(row_container(f, 7, 0));
    assert_int_equal(log_lines_written(LOG_WARN), warns_before);
    assert_int_equal(f->c.stats.read_errors, 0);
    assert_non_null(row_container(f, 8, 0));
}

/* A kubelet on the systemd driver leaves a cgroupfs-named twin of a pod's directory
 * ("kubepods/burstable/pod<uid>") that outlives the pod (seen on a real 1.20 node): the pod's
 * cgroup stays the one its containers live in, the twin going does not retire the pod, and the
 * twin staying does not keep a deleted pod alive. */
static void test_pod_twin_directory_neither_keeps_nor_retires(void **state)
{
    struct fixture *f = *state;
    const size_t row = 1; /* systemd, burstable, containerd */
    char uid[40], pod_dir[512], twin[512], path[PATH_MAX + 600];
    struct pod *p;

    assert_int_equal(rows[row].driver, CG_DRIVER_SYSTEMD);
    kl_pod_uid(uid, (unsigned)row + 1);
    kl_pod_dir(pod_dir, sizeof(pod_dir), CG_DRIVER_SYSTEMD, rows[row].qos, uid);
    kl_pod_dir(twin, sizeof(twin), CG_DRIVER_CGROUPFS, rows[row].qos, uid);
    assert_int_equal(tu_mkdirs("%s/%s", f->root, twin), 0);
    snprintf(path, sizeof(path), "%s/%s", f->root, twin);
    write_cpu(path, 0);

    start(f);
    collector_tick(&f->c);
    p = registry_pod(&f->c.reg, uid);
    assert_non_null(p);
    assert_string_equal(p->cgroup, pod_dir);
    assert_int_equal(p->ncontainers, 2);

    /* The twin goes: the pod stays, whole. */
    snprintf(path, sizeof(path), "%s/%s", f->root, twin);
    tu_rm_rf(path);
    collector_tick(&f->c);
    p = registry_pod(&f->c.reg, uid);
    assert_non_null(p);
    assert_false(p->gone);
    assert_int_equal(p->ncontainers, 2);

    /* The twin is back and the pod is deleted: the pod goes. */
    assert_int_equal(tu_mkdirs("%s/%s", f->root, twin), 0);
    snprintf(path, sizeof(path), "%s/%s", f->root, pod_dir);
    tu_rm_rf(path);
    collector_tick(&f->c);
    assert_null(registry_pod(&f->c.reg, uid));
    assert_null(row_container(f, row, 0));
    assert_non_null(row_container(f, row + 1, 0));
}

static void test_permission_denied_skips_container(void **state)
{
    struct fixture *f = *state;
    char dir[PATH_MAX], path[PATH_MAX + 16];
    pid_t pid;
    int status;

    row_dir(f, 5, 0, dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/cpu.stat", dir);
    assert_int_equal(chmod(path, 0), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Not root: permissions apply. Exit code tells the parent what was seen. */
        if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) _exit(10);
        struct collector_config cfg = {.cgroup_root = f->root,
                                       .runtime_dirs = f->runtime_dirs,
                                       .runtime_dirs_count = 1,
                                       .interval_ns = SEC_NS / 10,
                                       .disable_bpf = true,
                                       .meminfo_path = f->meminfo};
        char err[256];
        struct collector c;
        log_set_level(LOG_ERROR);
        if (collector_init(&c, &cfg, err, sizeof(err))) _exit(11);
        collector_tick(&c);
        char id5[65], id6[65];
        kl_container_id(id5, 60);
        kl_container_id(id6, 70);
        struct container *bad = registry_container(&c.reg, id5);
        struct container *good = registry_container(&c.reg, id6);
        int rc = !bad                       ? 12
                 : bad->has_sample          ? 13
                 : !good                    ? 14
                 : !good->has_sample        ? 15
                 : c.stats.read_errors != 1 ? 16
                                            : 0;
        collector_done(&c);
        _exit(rc);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    chmod(path, 0644);
}

static void test_snapshot_json_layout(void **state)
{
    struct fixture *f = *state;
    char uid[40], id[65], dir[PATH_MAX];

    start(f);
    collector_tick(&f->c);
    usleep(50000);
    row_dir(f, 1, 0, dir, sizeof(dir));
    write_cpu(dir, 1000001 + 100000);
    collector_tick(&f->c);
    json_t *doc = snapshot_to_json(&f->c, 15 * SEC_NS);
    assert_non_null(doc);
    json_t *node = json_object_get(doc, "node");
    assert_string_equal(json_string_value(json_object_get(node, "name")), "fixture-node");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(node, "memory"), "source")), "cgroup");
    kl_pod_uid(uid, 2);
    kl_container_id(id, 20);
    json_t *pods = json_object_get(doc, "pods"), *pod = NULL, *p;
    size_t i;
    json_array_foreach(pods, i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "uid")), uid) == 0) pod = p;
    }
    assert_non_null(pod);
    assert_string_equal(json_string_value(json_object_get(pod, "name")), "pod-1");
    assert_string_equal(json_string_value(json_object_get(pod, "namespace")), "ns-a");
    assert_string_equal(json_string_value(json_object_get(pod, "qos")), "Burstable");
    json_t *containers = json_object_get(pod, "containers");
    assert_int_equal(json_array_size(containers), 1);
    json_t *ct = json_array_get(containers, 0);
    assert_string_equal(json_string_value(json_object_get(ct, "id")), id);
    assert_string_equal(json_string_value(json_object_get(ct, "name")), "app-1");
    assert_string_equal(json_string_value(json_object_get(ct, "identity")), "bundle");
    json_t *cpu = json_object_get(ct, "cpu");
    assert_int_equal(json_integer_value(json_object_get(cpu, "usage_usec")), 1100001);
    assert_true(json_integer_value(json_object_get(cpu, "usage_nanocores")) > 0);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(pod, "cpu"), "usage_nanocores")),
        json_integer_value(json_object_get(cpu, "usage_nanocores")));
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(ct, "memory"), "working_set_bytes")),
        (2 << 20) - 4096);
    assert_true(json_real_value(json_object_get(ct, "window_seconds")) > 0.04);
    const char *ts = json_string_value(json_object_get(ct, "timestamp"));
    assert_non_null(ts);
    assert_int_equal(strlen(ts), strlen("2026-01-01T00:00:00.000000000Z"));
    json_decref(doc);
}

/* A static pod (32-hex UID, systemd) is found; a garbage or oversized bundle leaves its
 * container reported by id, with the rest of the pod's data intact. */
static void test_static_pod_and_bad_bundles(void **state)
{
    struct fixture *f = *state;
    const char *uid = "0123456789abcdef0123456789abcdef";
    char dir[PATH_MAX], id[65], id2[65], path[PATH_MAX + 128];

    kl_container_id(id, 9001);
    kl_container_id(id2, 9002);
    snprintf(dir, sizeof(dir), "%s/kubepods.slice/kubepods-pod%s.slice/cri-containerd-%s.scope",
             f->root, uid, id);
    assert_int_equal(tu_mkdirs("%s", dir), 0);
    write_cpu(dir, 42);
    snprintf(path, sizeof(path), "%s/%s/config.json", f->runtime, id);
    assert_int_equal(
        tu_write_file(path, "{\"annotations\": {\"io.kubernetes.cri.contai", (size_t)-1), 0);
    snprintf(dir, sizeof(dir), "%s/kubepods.slice/kubepods-pod%s.slice/cri-containerd-%s.scope",
             f->root, uid, id2);
    assert_int_equal(tu_mkdirs("%s", dir), 0);
    write_cpu(dir, 43);
    snprintf(path, sizeof(path), "%s/%s/config.json", f->runtime, id2);
    {
        assert_int_equal(tu_mkdirs("%s/%s", f->runtime, id2), 0);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, (off_t)OCI_CONFIG_MAX_BYTES + 1), 0);
        close(fd);
    }
    start(f);
    collector_tick(&f->c);
    struct pod *p = registry_pod(&f->c.reg, "0123456789abcdef0123456789abcdef");
    assert_non_null(p);
    assert_int_equal(p->qos, QOS_GUARANTEED);
    assert_int_equal(p->ncontainers, 2);
    struct container *ct = registry_container(&f->c.reg, id);
    assert_non_null(ct);
    assert_int_equal(ct->identity, IDENTITY_CGROUP_ONLY);
    assert_true(ct->has_sample);
    assert_int_equal(ct->last.cpu.v[CPU_USAGE_USEC], 42);
    ct = registry_container(&f->c.reg, id2);
    assert_non_null(ct);
    assert_int_equal(ct->identity, IDENTITY_CGROUP_ONLY);
    assert_true(ct->has_sample);
    /* Everyone else is unaffected. */
    assert_int_equal(registry_pod_count(&f->c.reg), NROWS + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_layout_is_discovered_with_identity, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_memory_values_are_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_read_on_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signals_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_psi_said_once_at_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cpu_rate_and_counter_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_files_skip_only_what_is_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vanished_cgroup_is_dropped_quietly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pod_twin_directory_neither_keeps_nor_retires, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_permission_denied_skips_container, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_json_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_static_pod_and_bad_bundles, setup, teardown),
    };
    log_set_level(LOG_WARN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
