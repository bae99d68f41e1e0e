/* The kubelet-scrape fallback: every node the node watch knows that has no fresh collector
 * (none heard from within the grace period, and every node at start until its collector is)
 * is scraped at its kubelet every --metric-resolution, and what the kubelet says is stored as
 * that node's figures (kubelet_shipment.h). When the node's collector ships again its full
 * shipment replaces them and scraping stops; when it goes silent scraping resumes. See
 * docs/kubelet-fallback.md.
 *
 * Switching without a gap: a scrape gives one point per container and a rate needs two, so
 * a session's first scrape is held back and stored together with the second: a silent
 * collector's last figures are served until then, and a node whose collector ships within a
 * resolution of the aggregator's start never changes source. A scrape that returns after the
 * collector shipped again is dropped: never both at once.
 *
 * Everything here runs on the loop thread; the scrapes themselves run on kubelet_scraper's
 * workers. */
#ifndef KMETRICS_KUBELET_FALLBACK_H
#define KMETRICS_KUBELET_FALLBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <h2o.h>

#include "kube/kube_labels.h"
#include "store/store.h"

#include "kubelet_scraper.h"

struct kubelet_fallback_config {
    int64_t resolution_ns; /* scrape period (--metric-resolution) */
    int64_t grace_ns;      /* --collector-grace; 0: two of the node's collector ship intervals */
    struct kubelet_scraper_config scraper;
};

struct kubelet_fallback_stats {
    uint64_t scrapes[SCRAPE_REASONS]; /* finished scrapes by outcome (SCRAPE_OK: stored or held) */
    uint64_t superseded;              /* came back after the collector shipped again: dropped */
    uint64_t stored;                  /* scrapes stored as a node's figures */
    uint64_t stored_rated;            /* of those, the second or later of their session: the
                                         node's figures have rates (readiness waits for one) */
    uint64_t containers_dropped;      /* a container without its CPU or working-set sample */
    uint64_t source_changes;          /* nodes that changed source (each logged) */
    double duration_sum_s;            /* over finished scrapes */
    size_t nodes_known;               /* from the node watch */
    size_t nodes_without_endpoint;    /* no usable address: cannot be scraped */
    size_t nodes_scraping;            /* without a fresh collector: scraped now (or no address) */
    size_t nodes_failing;             /* of those with an address, whose last scrape failed */
};

struct kubelet_fallback;

/* NULL with err. store must outlive it. */
struct kubelet_fallback *kubelet_fallback_start(struct store *store, h2o_loop_t *loop,
                                                const struct kubelet_fallback_config *cfg,
                                                char *err, size_t errlen);
/* The node watch's listener (kube_labels_options.node_listener; arg: the fallback). */
void kubelet_fallback_on_node(void *arg, enum kube_node_change change, const char *name,
                              const struct node_endpoint *ep, const char *why);
/* Decides, for every known node, whether it is scraped now (call often: every 100 ms). */
void kubelet_fallback_tick(struct kubelet_fallback *fb, int64_t now_mono_ns);
void kubelet_fallback_get_stats(const struct kubelet_fallback *fb,
                                struct kubelet_fallback_stats *out);
/* Stops the scrapes and frees everything; NULL is fine. */
void kubelet_fallback_stop(struct kubelet_fallback *fb);

#endif
