#include "collector.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

#include "discover/cgroup_events_user.h"
#include "discover/cgroup_root.h"
#include "discover/pod_skb_user.h"
#include "discover/runq_latency_user.h"
#include "discover/sandbox_probe.h"
#include "sample/signal_window.h"

/* How often the slow-moving memory files are read (see cgroup_sample_read). */
#define SLOW_FILES_PERIOD_NS (5 * (int64_t)1000000000)
/* A container whose runtime bundle was not found (or not readable) when its cgroup appeared
 * is looked up again every tick for this long, not only at the next full walk (a minute
 * later): a bundle written late, or a read racing its write, would otherwise leave it unnamed,
 * or a sandbox reported as a container, for up to that minute. */
#define IDENTITY_RETRY_NS (10 * (int64_t)1000000000)

const char *discovery_mode_name(enum discovery_mode m)
{
    return m == DISCOVERY_BPF_EVENTS ? "bpf-events" : "walk";
}

/* --- identity ----------------------------------------------------------------------------- */

static const char *proc_root(const struct collector *c)
{
    return c->cfg.proc_root ? c->cfg.proc_root : "/proc";
}

static void resolve_identity(struct collector *c, struct container *ct)
{
    const char *const *dirs = c->cfg.runtime_dirs ? c->cfg.runtime_dirs : oci_default_runtime_dirs;
    size_t ndirs = c->cfg.runtime_dirs ? c->cfg.runtime_dirs_count : oci_default_runtime_dirs_count;
    struct oci_identity oci;
    struct pod *p = ct->pod;
    int rc = oci_load_identity(dirs, ndirs, ct->id, &oci);

    if (rc) {
        ct->identity = IDENTITY_CGROUP_ONLY;
        if (rc == -ENOENT)
            log_debug("container %.12s (pod %s): no runtime bundle; reported by id", ct->id,
                      p->uid);
        else
            LOG_RATELIMITED(LOG_WARN,
                            "container %.12s: runtime bundle unusable (%s); reported by id", ct->id,
                            strerror(-rc));
        /* Without a bundle, a cgroup whose only process is "pause" is the pod's sandbox. */
        if (!ct->sandbox && cgroup_runs_only_pause(c->root_fd, ct->cgroup, proc_root(c))) {
            ct->sandbox = true;
            log_debug("container %.12s: runs only pause; treated as the pod's sandbox", ct->id);
        }
        return;
    }
    ct->identity = IDENTITY_BUNDLE;
    ct->sandbox = oci.is_sandbox;
    if (oci.runtime != RUNTIME_UNKNOWN) ct->runtime = oci.runtime;
    memcpy(ct->name, oci.container_name, sizeof(ct->name));
    if (oci.pod_uid[0] && strcmp(oci.pod_uid, p->uid) != 0) {
        /* The bundle belongs to another pod than the cgroup says: trust the cgroup, not the
         * names (they would mislabel usage). */
        LOG_RATELIMITED(LOG_WARN,
                        "container %.12s: bundle pod uid %s != cgroup pod uid %s; "
                        "names ignored",
                        ct->id, oci.pod_uid, p->uid);
        ct->name[0] = '\0';
        return;
    }
    if (!p->name[0] && oci.pod_name[0]) {
        memcpy(p->name, oci.pod_name, sizeof(p->name));
        memcpy(p->namespace_, oci.pod_namespace, sizeof(p->namespace_));
    }
}

/* --- run-queue latency ------------------------------------------------------------------- */

/* Stops measuring ct's cgroup; its last window stays reported unless forget. */
static void runq_stop(struct collector *c, struct container *ct, bool forget)
{
    if (ct->runq_prev && c->runq) runq_latency_unwatch(c->runq, ct->cgroup_ino);
    free(ct->runq_prev);
    ct->runq_prev = NULL;
    if (forget) memset(&ct->runq, 0, sizeof(ct->runq));
}

/* On the ticks that read signals: the window since the previous read of ct's histogram. Its
 * cgroup is measured from its first such tick on, which is the window's start. */
static void sample_runq(struct collector *c, struct container *ct, int64_t mono_ns)
{
    struct runq_hist h;
    int rc;

    if (!c->runq || !ct->cgroup_ino) return;
    if (!ct->runq_prev) {
        ct->runq_prev = calloc(1, sizeof(*ct->runq_prev));
        if (!ct->runq_prev) return;
        rc = runq_latency_watch(c->runq, ct->cgroup_ino);
        if (rc) {
            LOG_RATELIMITED(LOG_WARN, "container %.12s: run-queue latency not measured: %s", ct->id,
                            strerror(-rc));
            free(ct->runq_prev);
            ct->runq_prev = NULL;
            return;
        }
    }
    rc = runq_latency_read(c->runq, ct->cgroup_ino, &h);
    if (rc == -ENOENT) {
        runq_stop(c, ct, true); /* gone from the map: measured anew from the next read */
        return;
    }
    if (rc) {
        LOG_RATELIMITED(LOG_WARN, "container %.12s: reading its run-queue latency: %s", ct->id,
                        strerror(-rc));
        return;
    }
    if (runq_window_update(ct->runq_prev, &h, mono_ns, &ct->runq))
        log_info("container %.12s: run-queue histogram went backwards; new series", ct->id);
}

/* --- hostNetwork pods' sockets ----------------------------------------------------------- */

static void add_counts(struct net_dev_totals *t, const struct pod_skb_counts *n)
{
    t->rx_bytes += n->rx_bytes;
    t->rx_packets += n->rx_packets;
    t->tx_bytes += n->tx_bytes;
    t->tx_packets += n->tx_packets;
}

/* Stops counting ct's sockets; what they counted stays in its pod's figures. */
static void skb_stop(struct collector *c, struct container *ct)
{
    struct pod_skb_counts n;

    if (!ct->skb_counted) return;
    if (pod_skb_read(c->skb, ct->cgroup_ino, &n) == 0) add_counts(&ct->pod->skb_gone, &n);
    pod_skb_unwatch(c->skb, ct->cgroup_ino);
    ct->skb_counted = false;
}

/* A hostNetwork pod's traffic: its containers' sockets' counts (each counted from the first
 * signal tick that finds it in such a pod) and its gone containers'. Left as read (no figures)
 * when one of them cannot be counted. */
static void sample_pod_sockets(struct collector *c, struct pod *p)
{
    struct net_dev_totals sum = p->skb_gone;

    for (struct container *ct = p->containers; ct; ct = ct->next) {
        struct pod_skb_counts n;
        int rc = 0;

        if (ct->exited_mono_ns || !ct->cgroup_ino) continue;
        if (!ct->skb_counted && (rc = pod_skb_watch(c->skb, ct->cgroup_ino)) == 0)
            ct->skb_counted = true;
        if (rc == 0) rc = pod_skb_read(c->skb, ct->cgroup_ino, &n);
        if (rc) {
            LOG_RATELIMITED(LOG_WARN, "container %.12s: its sockets' traffic not counted: %s",
                            ct->id, strerror(-rc));
            if (rc == -ENOENT) ct->skb_counted = false; /* counted anew from the next tick */
            return;
        }
        add_counts(&sum, &n);
    }
    p->net.state = POD_NET_HOST_SOCKETS;
    p->net.real_ns = clock_real_ns();
    p->net.totals = sum;
}

/* --- exited containers ------------------------------------------------------------------- */

/* A container whose cgroup is gone keeps its series and last sample for one window, so one
 * that lived a few seconds still shows in its pod's figures and reaches the aggregator; its
 * files are closed at once. Sandboxes and never-sampled containers go straight away. */
static void retire_container(struct collector *c, struct container *ct)
{
    if (ct->exited_mono_ns) return;
    c->stats.containers_removed++;
    runq_stop(c, ct, false);
    skb_stop(c, ct);
    if (ct->sandbox || !ct->has_sample || c->cfg.retain_exited_ns <= 0) {
        c->stats.containers_dropped += !ct->sandbox && ct->has_sample;
        registry_remove_container(&c->reg, ct);
        return;
    }
    cgroup_files_close(&ct->files);
    ct->exited_mono_ns = clock_mono_ns();
    log_debug("container %.12s (pod %s) exited; its figures stay for one window", ct->id,
              ct->pod->uid);
}

/* A pod whose directory is gone is no longer shipped (a deleted pod leaves the API at once,
 * as it leaves the kubelet's figures); its containers stay in the collector's own output for
 * one window. Leaving shipments is a change to ship when any of them was shipped. */
static void mark_pod_gone(struct collector *c, struct pod *p)
{
    if (p->gone) return;
    p->gone = true;
    for (const struct container *ct = p->containers; ct; ct = ct->next)
        if (!ct->sandbox && ct->has_sample) {
            c->stats.pods_gone++;
            break;
        }
}

static void retire_pod(struct collector *c, struct pod *p)
{
    mark_pod_gone(c, p);
    for (struct container *ct = p->containers, *next; ct; ct = next) {
        next = ct->next;
        retire_container(c, ct);
    }
    if (p->ncontainers == 0) registry_remove_pod(&c->reg, p);
}

/* Drops exited containers older than the window, and gone pods left empty. */
static void purge_exited(struct collector *c, int64_t now)
{
    const char *key;
    void *value;

    for (size_t it = 0; strmap_next(&c->reg.pods, &it, &key, &value);) {
        struct pod *p = value;
        for (struct container *ct = p->containers, *next; ct; ct = next) {
            next = ct->next;
            if (ct->exited_mono_ns && now - ct->exited_mono_ns > c->cfg.retain_exited_ns) {
                c->stats.containers_dropped++; /* only sampled ones wait out the window */
                registry_remove_container(&c->reg, ct);
            }
        }
        if (p->gone && p->ncontainers == 0) registry_remove_pod(&c->reg, p);
    }
}

/* --- discovery ---------------------------------------------------------------------------- */

/* Whether rel is the directory p's containers live in. A kubelet on the systemd driver can
 * also leave a cgroupfs-named twin of a pod's directory ("kubepods/burstable/pod<uid>" beside
 * "kubepods.slice/...") that outlives the pod; the twin must neither keep a deleted pod alive
 * nor retire a live one. */
static bool pod_cgroup_is(const struct pod *p, const char *rel)
{
    return strcmp(p->cgroup, rel) == 0;
}

static struct container *add_container(struct collector *c, const char *rel,
                                       const struct cgroup_identity *id, uint64_t ino)
{
    struct pod *p = registry_add_pod(&c->reg, id, rel, id->pod_path_len);
    struct container *ct;
    bool created;

    if (!p) return NULL;
    if (strncmp(p->cgroup, rel, id->pod_path_len) != 0 || p->cgroup[id->pod_path_len]) {
        /* The pod moved (its cgroup was recreated under another parent): follow its containers. */
        char *moved = strndup(rel, id->pod_path_len);
        if (!moved) return NULL;
        free(p->cgroup);
        p->cgroup = moved;
    }
    p->seen_walk = c->walk_gen;
    p->gone = false;
    ct = registry_add_container(&c->reg, p, id, rel, ino, &created);
    if (!ct) return NULL;
    if (created) {
        c->stats.containers_added++;
        ct->added_mono_ns = clock_mono_ns();
        resolve_identity(c, ct);
        log_debug("container %.12s added (pod %s%s%s)", ct->id, p->uid,
                  ct->sandbox ? ", sandbox" : "", ct->name[0] ? "" : ", unnamed");
    } else if (ct->exited_mono_ns) {
        /* Its cgroup is back (a walk raced the removal, or the runtime recreated it). */
        ct->exited_mono_ns = 0;
        if (ct->cgroup_ino != ino && ino != 0) {
            runq_stop(c, ct, true);
            skb_stop(c, ct);
            if (ct->cpu) cpu_history_init(ct->cpu);
            ct->has_sample = ct->rated = false;
            ct->cgroup_ino = ino;
        }
    } else if (ct->cgroup_ino != ino && ino != 0) {
        /* Same id, new directory: the old one was removed and recreated. New series. */
        cgroup_files_close(&ct->files);
        runq_stop(c, ct, true);
        skb_stop(c, ct);
        if (ct->cpu) cpu_history_init(ct->cpu);
        ct->has_sample = ct->rated = false;
        ct->cgroup_ino = ino;
    }
    ct->seen_walk = c->walk_gen;
    return ct;
}

static void on_walk_found(void *ctx, const char *rel, const struct cgroup_identity *id,
                          uint64_t ino)
{
    struct collector *c = ctx;
    struct pod *p;

    if (id->kind == CG_POD) {
        /* Pods are learnt from their containers; a pod directory only vouches for a pod whose
         * containers live in it (see pod_cgroup_is). */
        p = registry_pod(&c->reg, id->pod_uid);
        if (p && pod_cgroup_is(p, rel)) {
            p->seen_walk = c->walk_gen;
            p->gone = false;
        }
    } else if (id->kind == CG_CONTAINER) {
        add_container(c, rel, id, ino);
    }
}

static void full_walk(struct collector *c)
{
    const char *key;
    void *value;
    int rc;

    c->walk_gen++;
    rc = cgroup_walk(c->root_fd, on_walk_found, c, &c->stats.walk);
    c->stats.full_walks++;
    c->last_walk_mono_ns = clock_mono_ns();
    c->walk_wanted = false;
    if (rc) {
        LOG_RATELIMITED(LOG_ERROR, "walking %s failed: %s", c->root_path, strerror(-rc));
        return; /* keep what we know rather than drop everything */
    }
    /* Whatever the walk did not see is gone; identities not found before get another try. */
    for (size_t it = 0; strmap_next(&c->reg.pods, &it, &key, &value);) {
        struct pod *p = value;
        for (struct container *ct = p->containers, *next; ct; ct = next) {
            next = ct->next;
            if (ct->seen_walk != c->walk_gen) {
                retire_container(c, ct);
            } else if (ct->identity == IDENTITY_CGROUP_ONLY) {
                resolve_identity(c, ct);
            }
        }
        if (p->seen_walk != c->walk_gen) {
            mark_pod_gone(c, p);
            if (p->ncontainers == 0) registry_remove_pod(&c->reg, p);
        }
    }
}

/* Maps a hierarchy path from the kernel ("/kubepods.slice/...") to one relative to our root;
 * NULL when it is outside the root. */
static const char *event_rel_path(const struct collector *c, const char *path)
{
    size_t plen = strlen(c->hierarchy_prefix);

    if (strncmp(path, c->hierarchy_prefix, plen) != 0 || (path[plen] != '/' && path[plen]))
        return NULL;
    path += plen;
    while (*path == '/')
        path++;
    return path;
}

/* In a cgroup namespace (a collector in a container), mountinfo gives our root's hierarchy
 * path relative to the namespace's own root ("/../../../.."), while BPF event paths are
 * absolute. The absolute path is learnt from an event instead: the suffix of its path that
 * names, under our root, the directory with the event's cgroup id is that directory (kernfs
 * ids are unique), and what precedes it is our root's path. Only a directory that still
 * exists can teach it (a mkdir whose cgroup was not removed since). */
static bool learn_hierarchy_prefix(struct collector *c, const char *path, uint64_t cgroup_id)
{
    struct stat st;

    for (const char *p = path; p && p[0] == '/'; p = strchr(p + 1, '/')) {
        size_t n = (size_t)(p - path);
        if (!p[1] || n >= sizeof(c->hierarchy_prefix)) continue;
        if (fstatat(c->root_fd, p + 1, &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_ino != cgroup_id)
            continue;
        memcpy(c->hierarchy_prefix, path, n);
        c->hierarchy_prefix[n] = '\0';
        c->hierarchy_prefix_known = true;
        log_info("in a cgroup namespace: %s is \"%s\" in the hierarchy (learnt from the "
                 "event for %s)",
                 c->root_path, c->hierarchy_prefix, path);
        return true;
    }
    return false;
}

/* A container's cumulative CPU as the kernel had it at its cgroup's removal (read by the BPF
 * program, see bpf/cgroup_events.bpf.c) becomes its last CPU point, stamped with the removal's
 * time: what it burnt since the last tick then counts in its rate, its pod's, and the next
 * shipment, exactly. Only over a sample (a series to end), and only when newer than it. */
static void record_exit_usage(struct collector *c, struct container *ct,
                              const struct cgroup_event *ev)
{
    int64_t mono = (int64_t)ev->mono_ns, real = clock_real_ns() - (clock_mono_ns() - mono);
    uint64_t usec = ev->usage_ns / 1000;

    if (!(ev->flags & CGROUP_EVENT_USAGE) || ct->sandbox || !ct->has_sample || !ct->cpu) return;
    if (mono <= ct->last.mono_ns) return; /* a tick read cpu.stat after the removal began */
    if (usec < ct->last.cpu.v[CPU_USAGE_USEC]) {
        /* Never seen: the kernel's counter does not go backwards. Keep what was read. */
        LOG_RATELIMITED(LOG_WARN,
                        "container %.12s: usage at removal %lluus below its last sample %lluus; "
                        "ignored",
                        ct->id, (unsigned long long)usec,
                        (unsigned long long)ct->last.cpu.v[CPU_USAGE_USEC]);
        return;
    }
    cpu_history_add(ct->cpu, &c->cpu_params, mono, real, usec);
    if (!ct->rated) {
        ct->rated = true;
        c->stats.containers_rated++;
    }
    ct->last.mono_ns = mono;
    ct->last.real_ns = real;
    ct->last.cpu.v[CPU_USAGE_USEC] = usec;
    /* user_usec and system_usec are not known at removal: left out rather than stale. */
    ct->last.cpu.present &= ~((1ull << CPU_USER_USEC) | (1ull << CPU_SYSTEM_USEC));
    c->stats.exit_usage_recorded++;
    log_debug("container %.12s (pod %s) removed: last usage %lluus (%lluus not yet flushed)",
              ct->id, ct->pod->uid, (unsigned long long)usec,
              (unsigned long long)(ev->unflushed_ns / 1000));
}

static void on_cgroup_event(void *ctx, const struct cgroup_event *ev)
{
    struct collector *c = ctx;
    struct cgroup_identity id;
    const char *rel;

    if (ev->kind == CGROUP_EVENT_MKDIR)
        c->stats.events_mkdir++;
    else
        c->stats.events_rmdir++;
    if (strnlen(ev->path, sizeof(ev->path)) >= sizeof(ev->path) - 1) {
        c->walk_wanted = true; /* path cut short: let a walk find it */
        return;
    }
    if (!c->hierarchy_prefix_known &&
        !(ev->kind == CGROUP_EVENT_MKDIR && learn_hierarchy_prefix(c, ev->path, ev->cgroup_id))) {
        c->walk_wanted = true; /* cannot place the event yet: the next tick walks */
        return;
    }
    rel = event_rel_path(c, ev->path);
    if (!rel) return;
    switch (cgroup_path_classify(rel, strlen(rel), &id)) {
    case CG_CONTAINER:
        if (ev->kind == CGROUP_EVENT_MKDIR) {
            add_container(c, rel, &id, ev->cgroup_id);
        } else {
            struct container *ct = registry_container(&c->reg, id.container_id);
            if (ct && (ct->cgroup_ino == ev->cgroup_id || ev->cgroup_id == 0)) {
                if (ct->cgroup_ino == ev->cgroup_id) record_exit_usage(c, ct, ev);
                retire_container(c, ct);
            }
        }
        break;
    case CG_POD:
        /* A new pod directory has nothing to sample until a container appears in it. */
        if (ev->kind == CGROUP_EVENT_RMDIR) {
            struct pod *p = registry_pod(&c->reg, id.pod_uid);
            if (p && pod_cgroup_is(p, rel)) retire_pod(c, p);
        }
        break;
    default:
        break;
    }
}

void collector_handle_events(struct collector *c)
{
    uint64_t lost;

    if (!c->events) return;
    if (cgroup_events_drain(c->events) < 0) c->walk_wanted = true;
    lost = cgroup_events_lost(c->events);
    if (lost != c->lost_seen) {
        LOG_RATELIMITED(LOG_WARN, "%llu cgroup events lost (ring buffer full); walking the tree",
                        (unsigned long long)(lost - c->lost_seen));
        c->lost_seen = lost;
        c->stats.events_lost = lost;
        c->walk_wanted = true;
    }
}

int collector_events_fd(const struct collector *c)
{
    return c->events ? cgroup_events_fd(c->events) : -1;
}

void collector_request_walk(struct collector *c)
{
    c->walk_wanted = true;
}

/* --- sampling ----------------------------------------------------------------------------- */

static void sample_container(struct collector *c, struct container *ct, unsigned reads)
{
    struct cgroup_sample s;
    int rc;

    /* A history for each container measured, not for each one known: sandboxes never are. */
    if (!ct->cpu) {
        ct->cpu = malloc(sizeof(*ct->cpu));
        if (!ct->cpu) {
            LOG_RATELIMITED(LOG_ERROR, "container %.12s: out of memory for its CPU history",
                            ct->id);
            return;
        }
        cpu_history_init(ct->cpu);
    }
    /* A first sample reads every file but the signals, which only when they are on. */
    if (!ct->has_sample && !c->cfg.skip_signals) reads |= SAMPLE_READ_SIGNALS;
    rc = cgroup_sample_read(&ct->files, c->root_fd, ct->cgroup, ct->has_sample ? &ct->last : NULL,
                            reads, &s);
    if (rc == -ENOENT) {
        /* Removed between discovery and now: dropped quietly; the event or walk agrees. */
        log_debug("container %.12s (pod %s): cgroup vanished", ct->id, ct->pod->uid);
        retire_container(c, ct);
        return;
    }
    if (rc) {
        c->stats.read_errors++;
        return;
    }
    if (cpu_history_add(ct->cpu, &c->cpu_params, s.mono_ns, s.real_ns, s.cpu.v[CPU_USAGE_USEC])) {
        c->stats.counter_resets++;
        log_info("container %.12s (pod %s): CPU counter went backwards; new series", ct->id,
                 ct->pod->uid);
    } else if (ct->has_sample && !ct->rated) {
        ct->rated = true;
        c->stats.containers_rated++;
    }
    if (reads & SAMPLE_READ_SIGNALS) {
        /* The window since the last read of the signal files (ct->last still holds it). */
        if (ct->has_sample && ct->signals_mono_ns)
            signal_window_container(&ct->last, &s, s.mono_ns - ct->signals_mono_ns, &ct->signals);
        ct->signals_mono_ns = s.mono_ns;
        sample_runq(c, ct, s.mono_ns);
        if (ct->runq.valid) signal_window_add_runq(&ct->signals, &ct->runq, s.real_ns);
    }
    ct->last = s;
    ct->has_sample = true;
}

/* A pod's traffic through a process in its sandbox (which holds its network namespace for
 * the pod's life), else in one of its containers. */
static void sample_pod_network(struct collector *c, struct pod *p)
{
    const char *cgroups[8];
    struct pod_net_sample prev = p->net;
    size_t n = 0;

    for (int sandbox = 1; sandbox >= 0; sandbox--)
        for (struct container *ct = p->containers; ct && n < 8; ct = ct->next)
            if (ct->sandbox == sandbox && !ct->exited_mono_ns) cgroups[n++] = ct->cgroup;
    if (pod_network_read(c->root_fd, cgroups, n, proc_root(c), c->host_netns, &p->net) != 0 &&
        !p->host_network)
        log_debug("pod %s: no traffic figures this time", p->uid);
    if (p->net.state == POD_NET_HOST) p->host_network = true;
    if (p->host_network && c->skb) sample_pod_sockets(c, p);
    signal_window_network(&prev, &p->net, p->net.real_ns - prev.real_ns, &p->net_window);
}

static void sample_containers(struct collector *c, int64_t now)
{
    unsigned reads = c->read_slow_files ? SAMPLE_READ_SLOW : 0;
    const char *key;
    void *value;

    /* The signals' counters are used where the memory figures are: on shipping ticks. */
    if (!c->cfg.memory_on_request || c->memory_wanted)
        reads |= SAMPLE_READ_MEMORY | (c->cfg.skip_signals ? 0 : SAMPLE_READ_SIGNALS);
    c->memory_wanted = false;

    /* Deleting from a map leaves a tombstone, so removing entries while iterating is safe. */
    for (size_t it = 0; strmap_next(&c->reg.pods, &it, &key, &value);) {
        struct pod *p = value;
        for (struct container *ct = p->containers, *next; ct; ct = next) {
            next = ct->next;
            if (ct->identity == IDENTITY_CGROUP_ONLY && !ct->exited_mono_ns &&
                now - ct->added_mono_ns < IDENTITY_RETRY_NS)
                resolve_identity(c, ct);
            if (!ct->sandbox && !ct->exited_mono_ns) sample_container(c, ct, reads);
        }
        if ((reads & SAMPLE_READ_SIGNALS) && !p->gone) sample_pod_network(c, p);
    }
}

void collector_tick(struct collector *c)
{
    int64_t start = clock_mono_ns();

    collector_handle_events(c);
    purge_exited(c, start);
    if (c->mode == DISCOVERY_WALK || c->walk_wanted ||
        start - c->last_walk_mono_ns >= c->cfg.walk_interval_ns)
        full_walk(c);

    if (node_sample_read(&c->node_reader, &c->node) == 0) {
        c->has_node = true;
        cpu_history_add(&c->node_cpu, &c->cpu_params, c->node.mono_ns, c->node.real_ns,
                        c->node.cpu.v[CPU_USAGE_USEC]);
    }
    /* memory.peak and memory.swap.current every SLOW_FILES_PERIOD, the rest every tick. */
    c->read_slow_files = c->stats.ticks % c->slow_every_ticks == 0;
    sample_containers(c, start);
    c->stats.ticks++;
    c->stats.last_tick_ns = clock_mono_ns() - start;
}

void collector_want_memory(struct collector *c)
{
    c->memory_wanted = true;
}

/* --- setup -------------------------------------------------------------------------------- */

static void raise_fd_limit(void)
{
    struct rlimit rl;

    /* One descriptor per cgroup file kept open: 5 per container. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rlim_t want = rl.rlim_max == RLIM_INFINITY ? 1048576 : rl.rlim_max;
        if (want > 1048576) want = 1048576;
        if (rl.rlim_cur < want) {
            rl.rlim_cur = want;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
        getrlimit(RLIMIT_NOFILE, &rl);
        cgroup_reader_set_fd_limit(rl.rlim_cur > INT_MAX ? INT_MAX : (int)rl.rlim_cur);
    }
}

static int locate_root(struct collector *c, char *err, size_t errlen)
{
    struct cgroup2_mount m;
    size_t len = 0;
    char *mi = read_mountinfo(c->cfg.mountinfo_path, &len);
    char resolved[PATH_MAX];
    int rc = 0;

    if (c->cfg.cgroup_root) {
        if (!realpath(c->cfg.cgroup_root, resolved)) {
            rc = -errno;
            snprintf(err, errlen, "--cgroup-root %s: %s", c->cfg.cgroup_root, strerror(errno));
            goto out;
        }
        snprintf(c->root_path, sizeof(c->root_path), "%s", resolved);
    } else if (!mi || cgroup2_find_mount(mi, len, &m) != 0) {
        rc = -ENOENT;
        snprintf(err, errlen,
                 "no cgroup v2 mount found (cgroup v1 only hosts are not "
                 "supported); give --cgroup-root");
        goto out;
    } else {
        snprintf(c->root_path, sizeof(c->root_path), "%s", m.mount_point);
    }

    /* Node figures come from the hierarchy's root; BPF event paths are relative to it. A root
     * that is not on cgroup2 (a test fixture tree) is its own node root and has no events. */
    c->root_is_cgroup2 = mi && cgroup2_mount_of(mi, len, c->root_path, &m) == 0 &&
                         cgroup2_hierarchy_path(&m, c->root_path, c->hierarchy_prefix,
                                                sizeof(c->hierarchy_prefix)) == 0;
    /* "/.." leads: relative to a cgroup namespace's root, unknown in absolute terms. */
    c->hierarchy_prefix_known = strncmp(c->hierarchy_prefix, "/..", 3) != 0;
    c->root_fd = open(c->root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (c->root_fd < 0) {
        rc = -errno;
        snprintf(err, errlen, "opening %s: %s", c->root_path, strerror(errno));
        goto out;
    }
    c->node_fd = c->root_is_cgroup2 ? open(m.mount_point, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                                    : dup(c->root_fd);
    if (c->node_fd < 0) c->node_fd = dup(c->root_fd);
out:
    free(mi);
    return rc;
}

/* Whether a BPF signal may be opened: it rides on the signal ticks and on BPF, so it is off
 * with its own flag, with --no-signals, with --no-bpf or on a tree that is not cgroup v2 (no
 * cgroup ids). When not, err says why. */
static bool bpf_signal_allowed(const struct collector *c, bool skip, const char *flag, char *err,
                               size_t errlen)
{
    if (skip || c->cfg.skip_signals) {
        snprintf(err, errlen, "disabled by %s", skip ? flag : "--no-signals");
        return false;
    }
    if (c->cfg.disable_bpf || !c->root_is_cgroup2) {
        snprintf(err, errlen, "needs BPF on cgroup v2 (%s)", c->bpf_error);
        return false;
    }
    return true;
}

/* One line when the kernel refuses. */
static void open_runq(struct collector *c)
{
    if (!bpf_signal_allowed(c, c->cfg.skip_runq, "--no-runq", c->runq_error, sizeof(c->runq_error)))
        return;
    c->runq = runq_latency_open(c->runq_error, sizeof(c->runq_error));
    if (c->runq)
        log_info("run-queue latency: BPF scheduler tracepoints attached");
    else
        log_warn("run-queue latency off: %s", c->runq_error);
}

/* The directory below which pods live (the kubepods slice, or the root when it is not there
 * yet): cgroup_skb programs attached there run for pods' sockets only. */
static void pods_dir(const struct collector *c, char *out, size_t n)
{
    static const char *const names[] = {"kubepods.slice", "kubepods"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct stat st;

        snprintf(out, n, "%s/%s", c->root_path, names[i]);
        if (stat(out, &st) == 0 && S_ISDIR(st.st_mode)) return;
    }
    snprintf(out, n, "%s", c->root_path);
}

/* hostNetwork pods' traffic at their sockets. One line when the kernel refuses. */
static void open_pod_skb(struct collector *c)
{
    char dir[4200];

    if (!bpf_signal_allowed(c, c->cfg.skip_socket_traffic, "--no-socket-traffic", c->skb_error,
                            sizeof(c->skb_error)))
        return;
    pods_dir(c, dir, sizeof(dir));
    c->skb = pod_skb_open(dir, c->skb_error, sizeof(c->skb_error));
    if (c->skb)
        log_info("hostNetwork pods' traffic: cgroup_skb programs attached to %s", dir);
    else
        log_warn("hostNetwork pods' traffic not counted at their sockets: %s", c->skb_error);
}

int collector_init(struct collector *c, const struct collector_config *cfg, char *err,
                   size_t errlen)
{
    int rc;

    memset(c, 0, sizeof(*c));
    c->cfg = *cfg;
    c->root_fd = -1;
    c->node_fd = -1;
    if (c->cfg.interval_ns <= 0) c->cfg.interval_ns = 1000000000;
    if (c->cfg.history_ns < 60 * (int64_t)1000000000) c->cfg.history_ns = 60 * (int64_t)1000000000;
    if (c->cfg.walk_interval_ns <= 0) c->cfg.walk_interval_ns = 60 * (int64_t)1000000000;
    if (cfg->node_name && cfg->node_name[0])
        snprintf(c->node_name, sizeof(c->node_name), "%s", cfg->node_name);
    else if (gethostname(c->node_name, sizeof(c->node_name) - 1) != 0)
        snprintf(c->node_name, sizeof(c->node_name), "unknown");

    c->slow_every_ticks = (uint64_t)(SLOW_FILES_PERIOD_NS / c->cfg.interval_ns);
    if (c->slow_every_ticks < 1) c->slow_every_ticks = 1;
    registry_init(&c->reg);
    raise_fd_limit();
    rc = locate_root(c, err, errlen);
    if (rc) return rc;
    node_reader_init(&c->node_reader, c->node_fd, cfg->meminfo_path);
    c->host_netns = pod_network_host_netns(proc_root(c));
    if (!cfg->skip_signals) {
        char psi[4200];
        snprintf(psi, sizeof(psi), "%s/pressure/cpu", proc_root(c));
        if (access(psi, R_OK) != 0)
            log_info("no pressure stall information in this kernel (%s: %s; psi=1 on its "
                     "command line turns it on): containers are reported without pressure",
                     psi, strerror(errno));
    }
    cpu_history_params(&c->cpu_params, c->cfg.history_ns, c->cfg.interval_ns);
    cpu_history_init(&c->node_cpu);

    c->mode = DISCOVERY_WALK;
    if (cfg->disable_bpf) {
        snprintf(c->bpf_error, sizeof(c->bpf_error), "disabled by --no-bpf");
    } else if (!c->root_is_cgroup2) {
        snprintf(c->bpf_error, sizeof(c->bpf_error), "%s is not on a cgroup v2 file system",
                 c->root_path);
    } else {
        c->events = cgroup_events_open(on_cgroup_event, c, c->bpf_error, sizeof(c->bpf_error));
        if (c->events) c->mode = DISCOVERY_BPF_EVENTS;
    }
    if (c->mode == DISCOVERY_BPF_EVENTS)
        log_info("discovery: BPF cgroup lifecycle events attached; full walk every %llds",
                 (long long)(c->cfg.walk_interval_ns / 1000000000));
    else
        log_warn("discovery: BPF events unavailable (%s); walking the tree every tick",
                 c->bpf_error);
    open_runq(c);
    open_pod_skb(c);
    log_info("cgroup root %s (hierarchy path \"%s\"%s), node %s, interval %lldms", c->root_path,
             c->hierarchy_prefix,
             c->hierarchy_prefix_known ? "" : " in this cgroup namespace: the first event tells",
             c->node_name, (long long)(c->cfg.interval_ns / 1000000));
    c->walk_wanted = true; /* the first tick learns what exists already */
    return 0;
}

void collector_done(struct collector *c)
{
    cgroup_events_close(c->events);
    c->events = NULL;
    runq_latency_close(c->runq);
    c->runq = NULL;
    pod_skb_close(c->skb);
    c->skb = NULL;
    registry_done(&c->reg);
    node_reader_done(&c->node_reader);
    if (c->root_fd >= 0) close(c->root_fd);
    if (c->node_fd >= 0) close(c->node_fd);
    c->root_fd = c->node_fd = -1;
}
