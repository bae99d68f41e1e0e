/* The collector's core: knows every pod and container cgroup on the node (from BPF lifecycle
 * events, with a full walk as safety net and fallback), samples them each tick, and keeps
 * their CPU history. Output modules read its state; it does no output itself. */
#ifndef KMETRICS_COLLECTOR_H
#define KMETRICS_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "discover/cgroup_walk.h"
#include "registry.h"
#include "sample/node_stats.h"

struct cgroup_events;
struct runq_latency;
struct pod_skb;

struct collector_config {
    const char *cgroup_root;         /* NULL: find the cgroup v2 mount */
    const char *const *runtime_dirs; /* NULL: oci_default_runtime_dirs */
    size_t runtime_dirs_count;
    int64_t interval_ns;      /* sampling period */
    int64_t history_ns;       /* longest rate window served */
    int64_t walk_interval_ns; /* safety-net full walk period while events work */
    int64_t retain_exited_ns; /* keep an exited container's figures this long (a window) */
    bool disable_bpf;
    /* Read no signal files (cpu/memory/io.pressure, memory.events): --no-signals. */
    bool skip_signals;
    /* Measure no run-queue latency (--no-runq; also off with skip_signals or disable_bpf). */
    bool skip_runq;
    /* Count no hostNetwork pod's traffic at its sockets (--no-socket-traffic; also off with
     * skip_signals or disable_bpf). */
    bool skip_socket_traffic;
    /* Read memory.current and memory.stat only on ticks after collector_want_memory (and a
     * container's first): for a collector that only ships them, every ship interval. */
    bool memory_on_request;
    const char *node_name;      /* NULL: the host name */
    const char *meminfo_path;   /* NULL: /proc/meminfo */
    const char *mountinfo_path; /* NULL: /proc/self/mountinfo */
    const char *proc_root;      /* NULL: /proc (the host's PID namespace) */
};

enum discovery_mode { DISCOVERY_BPF_EVENTS, DISCOVERY_WALK };

struct collector_stats {
    uint64_t ticks;
    uint64_t full_walks;
    uint64_t events_mkdir;
    uint64_t events_rmdir;
    uint64_t events_lost; /* as reported by the kernel side */
    uint64_t containers_added;
    uint64_t containers_removed;
    uint64_t containers_rated;   /* reported containers that got their first CPU rate */
    uint64_t containers_dropped; /* reported containers dropped from the state */
    uint64_t pods_gone;          /* pods with reported containers whose directory went */
    uint64_t counter_resets;
    uint64_t exit_usage_recorded; /* containers given their CPU usage at removal (BPF) */
    uint64_t read_errors;
    int64_t last_tick_ns; /* wall time the last tick took */
    struct cgroup_walk_stats walk;
};

struct collector {
    struct collector_config cfg;
    char node_name[256];
    char root_path[4096];
    int root_fd;
    int node_fd;                 /* the hierarchy root, for node figures */
    char hierarchy_prefix[4096]; /* root_path inside the hierarchy: maps BPF event paths */
    bool hierarchy_prefix_known; /* false in a cgroup namespace until an event teaches it */
    bool root_is_cgroup2;

    struct registry reg;
    struct node_reader node_reader;
    struct node_sample node;
    struct cpu_series_params cpu_params; /* shared by every CPU history */
    struct cpu_history node_cpu;
    bool has_node;

    enum discovery_mode mode;
    struct cgroup_events *events;
    char bpf_error[256]; /* why events are off, when they are */
    struct runq_latency *runq;
    char runq_error[256]; /* why run-queue latency is off, when it is */
    struct pod_skb *skb;  /* hostNetwork pods' traffic at their sockets */
    char skb_error[512];  /* why it is off, when it is */
    uint64_t walk_gen;
    int64_t last_walk_mono_ns;
    bool walk_wanted;
    uint64_t lost_seen;
    uint64_t slow_every_ticks;
    bool read_slow_files;
    bool memory_wanted; /* by the next tick (collector_want_memory) */
    ino_t host_netns;   /* the node's network namespace (pods in it are hostNetwork) */

    struct collector_stats stats;
};

/* Returns 0, or -errno with a message in err (no cgroup v2 found, root unreadable). */
int collector_init(struct collector *c, const struct collector_config *cfg, char *err,
                   size_t errlen);
/* Handles waiting discovery events, walks when due, then samples the node and every container. */
void collector_tick(struct collector *c);
/* The next tick reads every container's memory and signal files (see memory_on_request). */
void collector_want_memory(struct collector *c);
/* Readable when lifecycle events wait (for the daemon's epoll); -1 in walk mode. */
int collector_events_fd(const struct collector *c);
/* Applies waiting lifecycle events now (new containers are known before the next tick). */
void collector_handle_events(struct collector *c);
void collector_done(struct collector *c);

/* For tests and benchmarks: force a full walk on the next tick. */
void collector_request_walk(struct collector *c);

const char *discovery_mode_name(enum discovery_mode m);

#endif
