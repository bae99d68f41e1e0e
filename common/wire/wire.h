/* The collector -> aggregator shipment format (docs/wire-format.md): versioned, compact
 * (varints, delta-coded samples), zlib-compressed. This header is the format's vocabulary and
 * limits; the collector links the encoder (wire_encode.h), the aggregator the decoder
 * (wire_decode.h), and both the rules they check (wire_check.h). */
#ifndef KMETRICS_WIRE_H
#define KMETRICS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_MAGIC "KMW" /* then one byte: the version */
/* Version 2 adds each container's signals and each pod's traffic. Aggregators decode both; a
 * collector ships 2 and falls back to 1 for an aggregator that refuses 2 (HTTP 415). */
#define WIRE_VERSION_1 1
#define WIRE_VERSION 2 /* the newest */
#define WIRE_HEADER_LEN 4
#define WIRE_MAX_COMPRESSED (8u << 20)    /* bytes on the wire (the HTTP body limit too) */
#define WIRE_MAX_DECOMPRESSED (64u << 20) /* decompression-bomb guard */
#define WIRE_MAX_PODS 4096                /* per shipment (a node runs <= 110 by default) */
#define WIRE_MAX_CONTAINERS 256           /* per pod */
#define WIRE_MAX_SAMPLES 1024             /* per series */
#define WIRE_MAX_TOTAL_SAMPLES (1 << 20)  /* per shipment: 16 MiB decoded at most */
#define WIRE_NODE_NAME_MAX 253
#define WIRE_POD_NAME_MAX 253
#define WIRE_LABEL_MAX 63 /* namespace, container name */
#define WIRE_UID_MAX 36
#define WIRE_ID_LEN 64
#define WIRE_MAX_SHIP_INTERVAL_MS 3600000

enum wire_flags {
    WIRE_FULL = 1u << 0, /* a full snapshot: everything not in it is gone */
};

enum wire_have {
    WIRE_HAVE_WORKING_SET = 1u << 0,
    WIRE_HAVE_RSS = 1u << 1,
    WIRE_HAVE_SWAP = 1u << 2,
};

struct wire_sample {
    int64_t real_ns;     /* CLOCK_REALTIME of the sample */
    uint64_t usage_usec; /* cumulative cpu.stat usage_usec */
};

struct wire_usage {
    uint32_t have; /* enum wire_have */
    uint64_t working_set;
    uint64_t rss;
    uint64_t swap;
};

/* A container's signals over its collector's window (version 2): what each cumulative counter
 * grew by between two reads window_ms apart, the later one at end_real_ns. */
enum wire_signal_have {
    WIRE_SIG_CPU_PRESSURE = 1u << 0, /* stall_*_usec[WIRE_PRESSURE_CPU] */
    WIRE_SIG_MEMORY_PRESSURE = 1u << 1,
    WIRE_SIG_IO_PRESSURE = 1u << 2,
    WIRE_SIG_THROTTLING = 1u << 3, /* periods, throttled_periods, throttled_usec */
    WIRE_SIG_OOM = 1u << 4,        /* oom_kills, oom_kills_total */
    WIRE_SIG_RUNQ = 1u << 5,       /* runq_waits, runq_p50_us, runq_p99_us */
    WIRE_SIG_ALL = (1u << 6) - 1,
};

enum wire_pressure { WIRE_PRESSURE_CPU, WIRE_PRESSURE_MEMORY, WIRE_PRESSURE_IO, WIRE_PRESSURES };

#define WIRE_MAX_WINDOW_MS WIRE_MAX_SHIP_INTERVAL_MS

struct wire_signals {
    uint32_t have; /* enum wire_signal_have; 0: nothing (no window) */
    int64_t end_real_ns;
    uint32_t window_ms; /* 1..WIRE_MAX_WINDOW_MS when have != 0 */
    uint32_t stall_some_usec[WIRE_PRESSURES], stall_full_usec[WIRE_PRESSURES];
    uint32_t periods, throttled_periods, throttled_usec;
    uint32_t oom_kills;       /* in the window */
    uint32_t oom_kills_total; /* since the container's cgroup was made */
    uint32_t runq_waits, runq_p50_us, runq_p99_us;
};

/* A pod's traffic over its collector's window (version 2). */
enum wire_net_source {
    WIRE_NET_NONE = 0,       /* not measured */
    WIRE_NET_INTERFACES = 1, /* its own network namespace's interfaces, lo left out */
    WIRE_NET_HOST = 2,       /* hostNetwork: no figures of its own */
    WIRE_NET_SOCKETS = 3,    /* hostNetwork, counted at its sockets (cgroup_skb) */
    WIRE_NET_SOURCES,
};

struct wire_network {
    uint32_t source; /* enum wire_net_source; figures only for INTERFACES and SOCKETS */
    int64_t end_real_ns;
    uint32_t window_ms;
    uint64_t rx_bytes, rx_packets, rx_drops, tx_bytes, tx_packets, tx_drops;
};

static inline bool wire_network_has_figures(uint32_t source)
{
    return source == WIRE_NET_INTERFACES || source == WIRE_NET_SOCKETS;
}

struct wire_container {
    const char *id;                    /* 64 lower-case hex */
    const char *name;                  /* "" when the runtime bundle did not name it */
    bool removed;                      /* delta only: the container is gone (no samples follow) */
    const struct wire_sample *samples; /* ascending real_ns; CPU history since the base */
    size_t nsamples;
    struct wire_usage memory;    /* newest memory figures */
    struct wire_signals signals; /* version 2 */
};

struct wire_pod {
    const char *uid;        /* canonical UUID or 32 hex */
    const char *namespace_; /* "" when unknown */
    const char *name;       /* "" when unknown */
    bool removed;           /* delta only: the pod is gone */
    const struct wire_container *containers;
    size_t ncontainers;
    struct wire_network network; /* version 2 */
};

struct wire_node {
    uint32_t cpu_cores;
    uint64_t memory_capacity;
    const struct wire_sample *samples;
    size_t nsamples;
    struct wire_usage memory;
};

struct wire_shipment {
    uint8_t version;       /* WIRE_VERSION_1 or WIRE_VERSION (0 encodes as the newest) */
    uint32_t flags;        /* enum wire_flags */
    const char *node_name; /* DNS subdomain */
    uint64_t instance;     /* random per collector start: a new one means a new collector */
    uint64_t seq;          /* this shipment, > 0, increasing per instance */
    uint64_t base_seq;     /* delta: the acknowledged shipment it follows; 0 when full */
    int64_t sent_ns;
    uint32_t ship_interval_ms; /* the collector's period: 3 silent ones and the node is dropped;
                                  0 = not stated (the aggregator's --node-expiry applies) */
    struct wire_node node;
    const struct wire_pod *pods;
    size_t npods;
};

#endif
