/* Ships snapshots to the aggregators (docs/wire-format.md) from a thread of its own, so a slow
 * or dead aggregator never delays the collector's ticks. Every aggregator replica gets every
 * shipment: a URL whose host name resolves to several addresses is one target per address.
 * Each target gets a full shipment first, then deltas against what it acknowledged; a 409
 * or a lost shipment makes the next one full again. */
#ifndef KMETRICS_SHIPPER_H
#define KMETRICS_SHIPPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ship_snapshot.h"

#define SHIPPER_MAX_URLS 16
#define SHIPPER_MAX_TARGETS 64 /* addresses over all URLs */

struct shipper_config {
    const char *node_name;
    const char *const *urls; /* https://host[:port][/prefix]; shipments go to <url>/ship */
    size_t nurls;
    const char *token;      /* bearer token */
    const char *token_file; /* where it came from: re-read when it changes (rotation) */
    const char *ca_file;    /* NULL: the system's CAs */
    bool insecure;          /* skip TLS verification (tests only) */
    int64_t interval_ns;    /* ship period: 0 means 15 s; at least 1 s */
    int64_t history_ns; /* CPU history the snapshots carry (logged; ship_snapshot_build cuts it) */
};

/* Checks the configuration and starts the thread. NULL with a message in err on a bad URL,
 * a node name the wire format refuses, or when the thread cannot start. */
struct shipper *shipper_start(const struct shipper_config *cfg, char *err, size_t errlen);

/* Hands over the newest snapshot (the shipper takes its own reference; an older snapshot not
 * yet shipped is dropped). Never blocks on the network. */
void shipper_offer(struct shipper *sh, struct ship_snapshot *snap);

/* The same for a snapshot taken because containers appeared or went away: each target that
 * holds an acknowledged base gets only those changes (ship_snapshot_changes_only), at once;
 * the next shipper_offer carries every sample as usual. */
void shipper_offer_changes(struct shipper *sh, struct ship_snapshot *snap);

/* Stops the thread (abandoning transfers under way) and frees everything. NULL is fine. */
void shipper_stop(struct shipper *sh);

struct shipper_target_stats {
    char name[320];        /* the URL, with the address when the name has several */
    bool reachable;        /* the last attempt got an HTTP answer */
    long last_status;      /* HTTP status of the last answer, 0 before any */
    unsigned wire_version; /* of the last shipment sent, 0 before any */
    uint64_t acked;
    uint64_t failures;
    char last_error[256]; /* "" once the last attempt succeeded */
};

struct shipper_stats {
    uint64_t sent; /* shipments posted (each target counts) */
    uint64_t sent_full;
    uint64_t sent_changes; /* changes-only deltas (shipper_offer_changes) */
    uint64_t acked;        /* answered 200 with the right ack */
    uint64_t resyncs;      /* 409 answers */
    uint64_t failures;     /* transport errors and other answers */
    uint64_t dropped;      /* offered, then replaced before the thread took them */
    size_t ntargets;
    struct shipper_target_stats targets[SHIPPER_MAX_TARGETS];
};

/* A consistent copy of the counters; callable from any thread. */
void shipper_stats(const struct shipper *sh, struct shipper_stats *out);

#endif
