/* What the collector ships: an immutable, reference-counted copy of the node, its pods and
 * their containers (CPU history and newest memory), taken on the collector thread so the
 * shipper thread can read it while the collector goes on ticking. Pods are sorted by uid and
 * each pod's containers by id, so comparing two snapshots is a linear merge.
 *
 * ship_snapshot_encode turns a snapshot into a shipment (docs/wire-format.md): a full one, or
 * a delta against the snapshot the aggregator last acknowledged. */
#ifndef KMETRICS_SHIP_SNAPSHOT_H
#define KMETRICS_SHIP_SNAPSHOT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "outbuf.h"
#include "wire/wire_encode.h"

struct collector;

struct ship_container {
    char id[WIRE_ID_LEN + 1];
    char name[WIRE_LABEL_MAX + 1];     /* "" when unknown or not a valid label */
    const struct wire_sample *samples; /* ascending real_ns */
    size_t nsamples;
    struct wire_usage memory;
    struct wire_signals signals; /* set by the caller after adding it (zero: none) */
};

struct ship_pod {
    char uid[WIRE_UID_MAX + 1];
    char namespace_[WIRE_LABEL_MAX + 1];
    char name[WIRE_POD_NAME_MAX + 1];
    struct ship_container *containers; /* sorted by id once sealed */
    size_t ncontainers;
    struct wire_network network; /* set by the caller (zero: not measured) */
};

struct ship_snapshot {
    atomic_uint refs;
    int64_t taken_real_ns;
    uint32_t cpu_cores;
    uint64_t memory_capacity;
    const struct wire_sample *node_samples;
    size_t node_nsamples;
    struct wire_usage node_memory;
    struct ship_pod *pods; /* sorted by uid once sealed */
    size_t npods;

    /* Storage, filled in order by the add functions below. */
    size_t pods_cap, containers_used, containers_cap, samples_used, samples_cap;
    struct ship_container *container_pool;
    struct wire_sample *sample_pool;
};

/* Copies what c knows: the node, and every pod with at least one sampled non-sandbox
 * container whose directory is not gone (a deleted pod leaves shipments at once), with CPU points
 * from the last history_ns (wall clock). NULL on allocation failure. The caller holds the one
 * reference. */
struct ship_snapshot *ship_snapshot_build(const struct collector *c, int64_t history_ns);

struct ship_snapshot *ship_snapshot_ref(struct ship_snapshot *s);
void ship_snapshot_unref(struct ship_snapshot *s); /* NULL is fine */

/* Building one by hand (ship_snapshot_build uses these; tests do too). An empty snapshot with
 * room for npods pods, ncontainers containers and nsamples CPU samples in all. */
struct ship_snapshot *ship_snapshot_new(size_t npods, size_t ncontainers, size_t nsamples);
/* Node figures; samples are copied (ascending real_ns). Returns 0 or -ENOSPC. */
int ship_snapshot_set_node(struct ship_snapshot *s, uint32_t cpu_cores, uint64_t memory_capacity,
                           const struct wire_sample *samples, size_t n,
                           const struct wire_usage *memory);
/* A pod; its containers must be added before the next pod. Names that the wire format would
 * refuse become "" (a bad runtime annotation must not stop the node's shipments). NULL when
 * the uid is not valid or there is no room. */
struct ship_pod *ship_snapshot_add_pod(struct ship_snapshot *s, const char *uid,
                                       const char *namespace_, const char *name);
/* A container of the last pod added; samples are copied (ascending real_ns). NULL when the id
 * is not 64 lower-case hex, the pod is not the last one, or there is no room. */
struct ship_container *ship_snapshot_add_container(struct ship_snapshot *s, struct ship_pod *pod,
                                                   const char *id, const char *name,
                                                   const struct wire_sample *samples, size_t n,
                                                   const struct wire_usage *memory);
/* Sorts pods and containers; call once, after the last add. */
void ship_snapshot_seal(struct ship_snapshot *s);

/* A changes-only snapshot for a target that acknowledged base: cur's pods and containers,
 * with base's figures for every container base could be rated from (two samples) and cur's
 * for the others (new, or not rated yet), and base's node. Encoded as a delta against base it
 * carries only what appeared or went away since, so a new container reaches the aggregator at once
 * without a full round of every series; once acknowledged it is that target's new base, so the next
 * periodic delta still carries every sample. Both must be sealed. NULL on allocation failure. */
struct ship_snapshot *ship_snapshot_changes_only(const struct ship_snapshot *base,
                                                 const struct ship_snapshot *cur);

/* What identifies one shipment. */
struct ship_meta {
    const char *node_name;
    uint64_t instance;
    uint64_t seq;
    uint64_t base_seq; /* the acknowledged shipment base was; ignored for a full shipment */
    int64_t sent_ns;
    uint32_t ship_interval_ms;
    uint8_t version; /* the wire version the aggregator takes (0: the newest) */
};

/* Appends the encoded shipment of cur to out: FULL when base is NULL, else a delta against
 * base (the snapshot the aggregator acknowledged as m->base_seq): per container the CPU
 * samples newer than base's newest for it, the newest memory, containers and pods gone since
 * base as removed, new containers with all their history; a container or pod with nothing new
 * is left out. Returns wire_encode's result. */
int ship_snapshot_encode(const struct ship_snapshot *base, const struct ship_snapshot *cur,
                         const struct ship_meta *m, struct outbuf *out);

#endif
