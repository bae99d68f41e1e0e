/* The aggregator's shared state, handed to every request handler: the store, its
 * configuration, the self-metrics it exports, and the buffers responses reuse.
 * Single-threaded: one h2o event loop. */
#ifndef KMETRICS_AGGREGATOR_H
#define KMETRICS_AGGREGATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/authn_config.h"
#include "http/respond.h"
#include "kube/node_address.h"
#include "selfmetrics.h"
#include "store/metrics_query.h"
#include "store/store.h"

struct auth_gate;
struct authn_reload;
struct kube_labels;
struct kube_async;
struct kube_client;
struct kube_config;
struct kubelet_fallback;

struct aggregator_config {
    const char *bind_address;  /* default 0.0.0.0 */
    int secure_port;           /* default 4443 */
    const char *tls_cert_file; /* with tls_private_key_file; else self-signed in cert_dir */
    const char *tls_private_key_file;
    const char *cert_dir;         /* default ./certs (apiserver.local.config/certificates) */
    int64_t metric_resolution_ns; /* CPU window, default 15 s */
    int64_t node_expiry_ns;       /* default 3 x 15 s */
    const char *ship_token;       /* shared token collectors present; NULL: shipping refused */
    const char *read_token;       /* standalone: token API readers present; NULL: reads open */
    const char *kubeconfig_out;   /* write a kubeconfig for local kubectl access here */
    bool expose_pod_signals;      /* /metrics also carries every pod's custom metrics */

    /* Kubernetes mode (in a cluster, or --kubeconfig): callers are authenticated and
     * authorized through the API server, collectors by their ServiceAccount tokens, labels
     * come from watches. */
    bool kube_mode;
    const char *kubeconfig; /* NULL: in-cluster */
    struct authn_source authn_flags;
    const char *collector_namespace, *collector_name, *collector_audience;
    int64_t token_ttl_ns, allowed_ttl_ns, denied_ttl_ns, collector_ttl_ns;

    /* The kubelet-scrape fallback (Kubernetes mode): nodes without a fresh collector are
     * scraped at their kubelets, with metrics-server's flags (docs/kubelet-fallback.md). */
    bool kubelet_fallback; /* default on */
    struct node_address_rules kubelet_addresses;
    const char *kubelet_ca_file; /* NULL: the API server's CA */
    bool kubelet_insecure_tls;
    int64_t kubelet_timeout_ns;            /* default 10 s */
    int kubelet_concurrency;               /* scrapes at once, default 16 */
    int64_t collector_grace_ns;            /* 0: two of a node's collector ship intervals */
    const struct kube_config *kube_access; /* credentials and CA the scrapes reuse */
};

struct aggregator {
    struct aggregator_config cfg;
    struct store store;
    /* Kept between requests (one event loop: one request at a time). */
    struct metrics_query_scratch query_scratch;
    struct respond_pool responses;
    struct selfmetrics metrics;
    int64_t started_mono_ns;
    int64_t last_ship_mono_ns; /* any shipment stored: readiness */
    bool shipments_seen;
    /* Kubernetes mode only (else NULL). */
    struct kube_client *kube;
    struct kube_async *kube_async;
    struct auth_gate *gate;
    struct authn_reload *authn_reload;
    struct kube_labels *labels;
    struct kubelet_fallback *fallback; /* NULL when off */
};

#endif
