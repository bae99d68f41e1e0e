/* The aggregator's own figures, exported on /metrics in Prometheus text format. */
#ifndef KMETRICS_SELFMETRICS_H
#define KMETRICS_SELFMETRICS_H

#include <stddef.h>
#include <stdint.h>

#include "outbuf.h"

enum ship_outcome { SHIP_STORED, SHIP_DUPLICATE, SHIP_RESYNC, SHIP_OUTCOMES };
enum ship_reject {
    REJECT_MALFORMED,
    REJECT_UNAUTHENTICATED,
    REJECT_TOO_LARGE,
    REJECT_CONTENT_TYPE,
    REJECT_METHOD,
    REJECT_INTERNAL,
    REJECT_NOT_COLLECTOR,    /* authenticated, but not a collector's pod-bound token */
    REJECT_WRONG_NODE,       /* a collector shipping for another node than its own */
    REJECT_AUTH_UNAVAILABLE, /* the API server could not vouch for the collector */
    SHIP_REJECTS
};
enum request_verb { VERB_GET, VERB_LIST, VERB_OTHER, VERBS };

#define HIST_BUCKETS 12

struct histogram {
    uint64_t buckets[HIST_BUCKETS]; /* cumulative counts are computed on export */
    uint64_t count;
    double sum;
};

struct code_count {
    int code;
    uint64_t count;
};

struct selfmetrics {
    uint64_t shipments[SHIP_OUTCOMES];
    uint64_t rejected[SHIP_REJECTS];
    struct histogram ship_latency; /* seconds from the collector's send time to stored */
    struct code_count requests[VERBS][16];
    struct histogram request_duration[VERBS];
};

void selfmetrics_ship(struct selfmetrics *m, enum ship_outcome o, double latency_seconds);
void selfmetrics_reject(struct selfmetrics *m, enum ship_reject r);
void selfmetrics_request(struct selfmetrics *m, enum request_verb v, int code, double seconds);
/* series: current gauges from the store. */
void selfmetrics_write(const struct selfmetrics *m, size_t nodes, size_t pods, size_t containers,
                       uint64_t nodes_dropped_stale, struct outbuf *out);

#endif
