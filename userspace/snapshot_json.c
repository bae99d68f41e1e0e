#include "snapshot_json.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "log.h"

void format_rfc3339_ns(int64_t real_ns, char *out, size_t outlen)
{
    time_t secs = (time_t)(real_ns / 1000000000);
    long nanos = (long)(real_ns % 1000000000);
    struct tm tm;
    char base[32];

    gmtime_r(&secs, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, outlen, "%s.%09ldZ", base, nanos);
}

/* json_integer is signed 64-bit; counters never get near 2^63 but clamp rather than wrap. */
static json_t *jint(uint64_t v)
{
    return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static void set_new(json_t *obj, const char *key, json_t *value)
{
    if (value) json_object_set_new(obj, key, value);
}

static void add_time_window(json_t *obj, int64_t end_real_ns, const struct cpu_rate *rate)
{
    char stamp[48];

    format_rfc3339_ns(end_real_ns, stamp, sizeof(stamp));
    set_new(obj, "timestamp", json_string(stamp));
    if (rate) set_new(obj, "window_seconds", json_real((double)rate->window_ns / 1e9));
}

static json_t *cpu_json(const struct cpu_stat *cs, const struct cpu_rate *rate)
{
    static const char *const names[CPU_STAT_NFIELDS] = {
        "usage_usec", "user_usec", "system_usec", "nr_periods", "nr_throttled", "throttled_usec",
    };
    json_t *o = json_object();

    if (!o) return NULL;
    if (rate) set_new(o, "usage_nanocores", jint(rate->nanocores));
    for (int i = 0; i < CPU_STAT_NFIELDS; i++) {
        if (cs->present & (1ull << i)) set_new(o, names[i], jint(cs->v[i]));
    }
    return o;
}

/* {"cpu": {"some_usec", "full_usec"}, "memory": ..., "io": ...}: the cumulative stalled times
 * (PSI), each kind present when its file was read; NULL when none was. */
static json_t *pressure_json(const struct cgroup_sample *s)
{
    static const char *const kinds[PRESSURE_KINDS] = {"cpu", "memory", "io"};
    static const unsigned bits[PRESSURE_KINDS] = {SAMPLE_CPU_PRESSURE, SAMPLE_MEMORY_PRESSURE,
                                                  SAMPLE_IO_PRESSURE};
    json_t *o = NULL;

    for (int k = 0; k < PRESSURE_KINDS; k++) {
        json_t *one;
        if (!(s->have & bits[k])) continue;
        if (!o && !(o = json_object())) return NULL;
        if (!(one = json_object())) continue;
        set_new(one, "some_usec", jint(s->pressure[k].some_usec));
        if (s->pressure[k].has_full) set_new(one, "full_usec", jint(s->pressure[k].full_usec));
        set_new(o, kinds[k], one);
    }
    return o;
}

/* {"waits", "p50_us", "p99_us", "window_seconds"}: run-queue latency over the last signal
 * window; NULL until two reads of the container's histogram exist. */
static json_t *runq_json(const struct runq_window *w)
{
    json_t *o;

    if (!w->valid || !(o = json_object())) return NULL;
    set_new(o, "waits", jint(w->waits));
    set_new(o, "p50_us", json_integer(w->p50_us));
    set_new(o, "p99_us", json_integer(w->p99_us));
    set_new(o, "window_seconds", json_real((double)w->window_ns / 1e9));
    return o;
}

static json_t *container_json(const struct container *ct, const struct cpu_series_params *cp,
                              int64_t window_ns, uint64_t *pod_cpu, uint64_t *pod_ws,
                              uint64_t *pod_rss, unsigned *pod_have)
{
    const struct cgroup_sample *s = &ct->last;
    struct cpu_rate rate;
    bool has_rate = cpu_history_rate(ct->cpu, cp, window_ns, &rate);
    json_t *o = json_object(), *mem = json_object();

    if (!o || !mem) {
        json_decref(o);
        json_decref(mem);
        return NULL;
    }
    set_new(o, "id", json_string(ct->id));
    if (ct->name[0]) set_new(o, "name", json_string(ct->name));
    set_new(o, "runtime", json_string(cg_runtime_name(ct->runtime)));
    set_new(o, "identity", json_string(ct->identity == IDENTITY_BUNDLE ? "bundle" : "cgroup"));
    set_new(o, "cgroup", json_string(ct->cgroup));
    add_time_window(o, s->real_ns, has_rate ? &rate : NULL);
    set_new(o, "counter_resets", json_integer(ct->cpu->series.resets));
    if (ct->exited_mono_ns)
        set_new(o, "exited", json_true()); /* its cgroup is gone; figures are its last ones */
    set_new(o, "cpu", cpu_json(&s->cpu, has_rate ? &rate : NULL));
    if (s->have & SAMPLE_WORKING_SET) set_new(mem, "working_set_bytes", jint(s->working_set));
    if (s->have & SAMPLE_MEM_CURRENT) set_new(mem, "usage_bytes", jint(s->memory_current));
    if (s->have & SAMPLE_RSS) set_new(mem, "rss_bytes", jint(s->rss));
    if (s->have & SAMPLE_PEAK) set_new(mem, "peak_bytes", jint(s->peak));
    if (s->have & SAMPLE_SWAP) set_new(mem, "swap_bytes", jint(s->swap));
    if (s->have & SAMPLE_OOM_KILLS) set_new(mem, "oom_kills", jint(s->oom_kills));
    json_object_set_new(o, "memory", mem);
    set_new(o, "pressure", pressure_json(s));
    set_new(o, "runq", runq_json(&ct->runq));

    if (has_rate) {
        *pod_cpu += rate.nanocores;
        *pod_have |= SAMPLE_CPU;
    }
    if (s->have & SAMPLE_WORKING_SET) {
        *pod_ws += s->working_set;
        *pod_have |= SAMPLE_WORKING_SET;
    }
    if (s->have & SAMPLE_RSS) {
        *pod_rss += s->rss;
        *pod_have |= SAMPLE_RSS;
    }
    return o;
}

/* The pod's traffic (cumulative) and where it was counted: its namespace's interfaces, or a
 * hostNetwork pod's sockets; {"host_network": true, "source": "none"} for a pod in the node's
 * namespace not counted at its sockets; NULL when not read. */
static json_t *network_json(const struct pod_net_sample *n)
{
    json_t *o;

    if (n->state == POD_NET_UNKNOWN || !(o = json_object())) return NULL;
    if (n->state != POD_NET_OWN) set_new(o, "host_network", json_true());
    set_new(o, "source",
            json_string(n->state == POD_NET_OWN            ? "interfaces"
                        : n->state == POD_NET_HOST_SOCKETS ? "sockets"
                                                           : "none"));
    if (n->state == POD_NET_HOST) return o;
    set_new(o, "rx_bytes", jint(n->totals.rx_bytes));
    set_new(o, "tx_bytes", jint(n->totals.tx_bytes));
    set_new(o, "rx_packets", jint(n->totals.rx_packets));
    set_new(o, "tx_packets", jint(n->totals.tx_packets));
    if (n->state == POD_NET_HOST_SOCKETS) return o; /* no drops or interfaces at a socket */
    set_new(o, "rx_drops", jint(n->totals.rx_drops));
    set_new(o, "tx_drops", jint(n->totals.tx_drops));
    set_new(o, "interfaces", json_integer(n->totals.interfaces));
    return o;
}

static json_t *pod_json(const struct pod *p, const struct cpu_series_params *cp, int64_t window_ns)
{
    json_t *o = json_object(), *containers = json_array(), *cpu = json_object(),
           *mem = json_object();
    uint64_t cpu_sum = 0, ws_sum = 0, rss_sum = 0;
    unsigned have = 0;
    int64_t newest = 0;
    struct cpu_rate window_rate = {0};
    bool any_rate = false;

    if (!o || !containers || !cpu || !mem) goto fail;
    for (const struct container *ct = p->containers; ct; ct = ct->next) {
        if (ct->sandbox || !ct->has_sample) continue;
        json_array_append_new(
            containers, container_json(ct, cp, window_ns, &cpu_sum, &ws_sum, &rss_sum, &have));
        if (ct->last.real_ns > newest) newest = ct->last.real_ns;
        /* The pod's window is its containers' (sampled in the same tick); take the longest. */
        struct cpu_rate r;
        if (cpu_history_rate(ct->cpu, cp, window_ns, &r) && r.window_ns > window_rate.window_ns) {
            window_rate = r;
            any_rate = true;
        }
    }
    if (json_array_size(containers) == 0)
        goto fail; /* nothing measured (only a sandbox, or not sampled yet) */
    set_new(o, "uid", json_string(p->uid));
    if (p->name[0]) {
        set_new(o, "namespace", json_string(p->namespace_));
        set_new(o, "name", json_string(p->name));
    }
    set_new(o, "qos", json_string(pod_qos_name(p->qos)));
    set_new(o, "cgroup", json_string(p->cgroup));
    add_time_window(o, newest, any_rate ? &window_rate : NULL);
    if (have & SAMPLE_CPU) set_new(cpu, "usage_nanocores", jint(cpu_sum));
    if (have & SAMPLE_WORKING_SET) set_new(mem, "working_set_bytes", jint(ws_sum));
    if (have & SAMPLE_RSS) set_new(mem, "rss_bytes", jint(rss_sum));
    json_object_set_new(o, "cpu", cpu);
    json_object_set_new(o, "memory", mem);
    set_new(o, "network", network_json(&p->net));
    json_object_set_new(o, "containers", containers);
    return o;
fail:
    json_decref(o);
    json_decref(containers);
    json_decref(cpu);
    json_decref(mem);
    return NULL;
}

static json_t *node_json(const struct collector *c, int64_t window_ns)
{
    const struct node_sample *n = &c->node;
    struct cpu_rate rate;
    bool has_rate = cpu_history_rate(&c->node_cpu, &c->cpu_params, window_ns, &rate);
    json_t *o = json_object(), *mem = json_object(), *cap = json_object();

    if (!o || !mem || !cap) {
        json_decref(o);
        json_decref(mem);
        json_decref(cap);
        return NULL;
    }
    set_new(o, "name", json_string(c->node_name));
    add_time_window(o, n->real_ns, has_rate ? &rate : NULL);
    if (n->have_cpu) set_new(o, "cpu", cpu_json(&n->cpu, has_rate ? &rate : NULL));
    if (n->memory_source != NODE_MEMORY_NONE) {
        set_new(mem, "working_set_bytes", jint(n->working_set));
        set_new(mem, "usage_bytes", jint(n->memory_usage));
        set_new(mem, "rss_bytes", jint(n->rss));
    }
    if (n->have_swap) set_new(mem, "swap_bytes", jint(n->swap));
    set_new(mem, "source", json_string(node_memory_source_name(n->memory_source)));
    json_object_set_new(o, "memory", mem);
    set_new(cap, "cpu_cores", json_integer(n->capacity_cpus));
    if (n->capacity_memory) set_new(cap, "memory_bytes", jint(n->capacity_memory));
    json_object_set_new(o, "capacity", cap);
    return o;
}

static json_t *stats_json(const struct collector *c)
{
    const struct collector_stats *s = &c->stats;
    json_t *o = json_object();

    if (!o) return NULL;
    set_new(o, "discovery", json_string(discovery_mode_name(c->mode)));
    if (c->mode != DISCOVERY_BPF_EVENTS)
        set_new(o, "bpf_unavailable_reason", json_string(c->bpf_error));
    if (!c->runq) set_new(o, "runq_unavailable_reason", json_string(c->runq_error));
    if (!c->skb) set_new(o, "socket_traffic_unavailable_reason", json_string(c->skb_error));
    set_new(o, "cgroup_root", json_string(c->root_path));
    set_new(o, "interval_seconds", json_real((double)c->cfg.interval_ns / 1e9));
    set_new(o, "ticks", jint(s->ticks));
    set_new(o, "full_walks", jint(s->full_walks));
    set_new(o, "events_mkdir", jint(s->events_mkdir));
    set_new(o, "events_rmdir", jint(s->events_rmdir));
    set_new(o, "events_lost", jint(s->events_lost));
    set_new(o, "containers_added", jint(s->containers_added));
    set_new(o, "containers_removed", jint(s->containers_removed));
    set_new(o, "counter_resets", jint(s->counter_resets));
    set_new(o, "exit_usage_recorded", jint(s->exit_usage_recorded));
    set_new(o, "read_errors", jint(s->read_errors));
    set_new(o, "pods", jint(registry_pod_count(&c->reg)));
    set_new(o, "containers", jint(registry_container_count(&c->reg)));
    set_new(o, "last_tick_usec", jint((uint64_t)(s->last_tick_ns / 1000)));
    return o;
}

json_t *snapshot_to_json(const struct collector *c, int64_t window_ns)
{
    json_t *root = json_object(), *pods = json_array();
    const char *key;
    void *value;

    if (!root || !pods) {
        json_decref(root);
        json_decref(pods);
        return NULL;
    }
    set_new(root, "node", node_json(c, window_ns));
    for (size_t it = 0; strmap_next(&c->reg.pods, &it, &key, &value);) {
        json_t *p = pod_json(value, &c->cpu_params, window_ns);
        if (p) json_array_append_new(pods, p);
    }
    json_object_set_new(root, "pods", pods);
    set_new(root, "collector", stats_json(c));
    return root;
}

int snapshot_write(FILE *out, const struct collector *c, int64_t window_ns, int pretty)
{
    json_t *doc = snapshot_to_json(c, window_ns);
    int rc;

    if (!doc) return -ENOMEM;
    rc = json_dumpf(doc, out, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_REAL_PRECISION(10));
    json_decref(doc);
    if (rc == 0 && fputc('\n', out) == EOF) rc = -1;
    fflush(out);
    return rc ? -EIO : 0;
}

static void text_row(FILE *out, const char *ns, const char *pod, const char *container,
                     const struct container *ct, const struct cpu_series_params *cp,
                     int64_t window_ns)
{
    struct cpu_rate rate;
    char cpu[32] = "-", mem[32] = "-";

    if (cpu_history_rate(ct->cpu, cp, window_ns, &rate))
        snprintf(cpu, sizeof(cpu), "%llum", (unsigned long long)(rate.nanocores / 1000000));
    if (ct->last.have & SAMPLE_WORKING_SET)
        snprintf(mem, sizeof(mem), "%lluMi", (unsigned long long)(ct->last.working_set >> 20));
    fprintf(out, "%-20s %-40s %-24s %-14.12s %10s %10s\n", ns, pod, container, ct->id, cpu, mem);
}

int snapshot_write_text(FILE *out, const struct collector *c, int64_t window_ns)
{
    struct cpu_rate rate;
    const char *key;
    void *value;

    fprintf(out, "NODE %s", c->node_name);
    if (cpu_history_rate(&c->node_cpu, &c->cpu_params, window_ns, &rate))
        fprintf(out, "  cpu %llum", (unsigned long long)(rate.nanocores / 1000000));
    if (c->node.memory_source != NODE_MEMORY_NONE)
        fprintf(out, "  memory %lluMi", (unsigned long long)(c->node.working_set >> 20));
    fprintf(out, "  (%zu pods, %zu containers, discovery %s)\n", registry_pod_count(&c->reg),
            registry_container_count(&c->reg), discovery_mode_name(c->mode));
    fprintf(out, "%-20s %-40s %-24s %-14s %10s %10s\n", "NAMESPACE", "POD", "CONTAINER", "ID",
            "CPU", "MEMORY");
    for (size_t it = 0; strmap_next(&c->reg.pods, &it, &key, &value);) {
        const struct pod *p = value;
        for (const struct container *ct = p->containers; ct; ct = ct->next) {
            if (ct->sandbox || !ct->has_sample) continue;
            text_row(out, p->name[0] ? p->namespace_ : "?", p->name[0] ? p->name : p->uid,
                     ct->name[0] ? ct->name : "?", ct, &c->cpu_params, window_ns);
        }
    }
    fflush(out);
    return ferror(out) ? -EIO : 0;
}
