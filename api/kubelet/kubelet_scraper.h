/* Kubelet scrapes off the event loop: a fixed pool of worker threads GETs
 * https://<node address>:<port>/metrics/resource directly (never through the API server's
 * node proxy: nodes/proxy would let us exec in any pod; nodes/metrics is all the kubelet asks
 * for), with the aggregator's own credentials (its ServiceAccount token, rotated, or the
 * kubeconfig's), the kubelet CA or --kubelet-insecure-tls, a whole-request timeout and a body
 * limit; parses the answer on the worker (kubelet_metrics_parse.h) and hands the result to the
 * loop (http/loop_workers.h). A kubelet scraped again and again (a node served from
 * it) keeps its client and connection; any other scrape's is closed after it, so the scrape of
 * every node at the aggregator's start (before collectors are heard from) costs no memory
 * beyond the scrapes in flight.
 *
 * A slow or dead kubelet holds one worker for at most the timeout; the pool's size bounds
 * how many scrapes run at once (docs/kubelet-fallback.md says how to size it). */
#ifndef KMETRICS_KUBELET_SCRAPER_H
#define KMETRICS_KUBELET_SCRAPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <h2o.h>

#include "kube/kube_config.h"
#include "kube/node_address.h"

#include "kubelet_metrics_parse.h"

/* Why a scrape gave no figures; each is counted (kmetrics_kubelet_scrape_failures_total). */
enum kubelet_scrape_reason {
    SCRAPE_OK = 0,
    SCRAPE_UNREACHABLE,  /* connect refused, host unknown, connection reset */
    SCRAPE_TLS,          /* handshake or certificate verification failed */
    SCRAPE_TIMEOUT,      /* the whole request took longer than --kubelet-request-timeout */
    SCRAPE_UNAUTHORIZED, /* 401: the kubelet did not accept our token */
    SCRAPE_FORBIDDEN,    /* 403: we may not get nodes/metrics */
    SCRAPE_HTTP_STATUS,  /* any other non-200 status */
    SCRAPE_TOO_LARGE,    /* the body exceeded KUBELET_METRICS_MAX_BYTES or its sample limit */
    SCRAPE_MALFORMED,    /* no usable sample in the body */
    SCRAPE_INTERNAL,     /* out of memory, or the queue was full */
    SCRAPE_REASONS,
};

const char *kubelet_scrape_reason_name(enum kubelet_scrape_reason r); /* "tls", ... */

struct kubelet_scraper_config {
    int threads;                      /* --kubelet-scrape-concurrency */
    long timeout_ms;                  /* --kubelet-request-timeout */
    const struct kube_config *access; /* the API server access: credentials and CA to reuse */
    const char *ca_file;              /* --kubelet-certificate-authority (NULL: access's CA) */
    bool insecure;                    /* --kubelet-insecure-tls */
};

struct kubelet_scrape_result {
    char node[NODE_ADDRESS_HOST_MAX + 1];
    uint64_t ticket; /* the caller's, from kubelet_scraper_submit */
    enum kubelet_scrape_reason reason;
    long status;                    /* HTTP status, 0 when none came */
    char err[256];                  /* one line when reason != SCRAPE_OK */
    int64_t real_ns;                /* when the scrape started (CLOCK_REALTIME) */
    int64_t duration_ns;            /* request and parse */
    int64_t queued_ns;              /* waited for a worker */
    size_t bytes;                   /* body size */
    struct kubelet_metrics metrics; /* SCRAPE_OK: what the kubelet said */
};

/* Runs on the loop thread; r is freed when it returns (keep r->metrics by moving it out:
 * kubelet_metrics_init(&r->metrics) afterwards). */
typedef void (*kubelet_scrape_cb)(void *arg, struct kubelet_scrape_result *r);

struct kubelet_scraper;

/* NULL with err (e.g. an unreadable CA file). */
struct kubelet_scraper *kubelet_scraper_start(h2o_loop_t *loop,
                                              const struct kubelet_scraper_config *cfg,
                                              kubelet_scrape_cb cb, void *arg, char *err,
                                              size_t errlen);
/* Queues a scrape of node at ep; keep: its connection is kept for the next (the node is being
 * served from its kubelet). 0, or -ENOMEM / -EAGAIN (queue full). */
int kubelet_scraper_submit(struct kubelet_scraper *sc, const char *node,
                           const struct node_endpoint *ep, uint64_t ticket, bool keep);
/* Closes ep's kept connection (at once, or when its scrape in flight ends): its node's
 * collector is back, or the node is gone. */
void kubelet_scraper_forget(struct kubelet_scraper *sc, const struct node_endpoint *ep);
/* Stops the workers (scrapes in flight are cut short), frees everything; results not yet
 * delivered are dropped without their callbacks. NULL is fine. */
void kubelet_scraper_stop(struct kubelet_scraper *sc);

#endif
