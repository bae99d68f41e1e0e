/* The collector -> aggregator shipment format (docs/wire-format.md): versioned, compact
 * (varints, delta-coded samples), zlib-compressed. This header is the format's vocabulary and
 * limits; the collector links the encoder (wire_encode.h), the aggregator the decoder
 * (wire_decode.h), and both the rules they check (wire_check.h). */
#ifndef KMETRICS_WIRE_H
#define KMETRICS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_MAGIC "KMW" /* then one byte: WIRE_VERSION */
#define WIRE_VERSION 1
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

struct wire_container {
    const char *id;                    /* 64 lower-case hex */
    const char *name;                  /* "" when the runtime bundle did not name it */
    bool removed;                      /* delta only: the container is gone (no samples follow) */
    const struct wire_sample *samples; /* ascending real_ns; CPU history since the base */
    size_t nsamples;
    struct wire_usage memory; /* newest memory figures */
};

struct wire_pod {
    const char *uid;        /* canonical UUID or 32 hex */
    const char *namespace_; /* "" when unknown */
    const char *name;       /* "" when unknown */
    bool removed;           /* delta only: the pod is gone */
    const struct wire_container *containers;
    size_t ncontainers;
};

struct wire_node {
    uint32_t cpu_cores;
    uint64_t memory_capacity;
    const struct wire_sample *samples;
    size_t nsamples;
    struct wire_usage memory;
};

struct wire_shipment {
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
