/* Who may read metrics and who may ship them, in Kubernetes mode. Runs on the event loop:
 * authentication (authn.c, then TokenReview for bearer tokens) and authorization
 * (SubjectAccessReview) answers are cached for seconds, and concurrent requests that need the
 * same answer wait for one API call instead of making one each. A request that waits is
 * resumed when the answer comes (or dropped quietly if its client went away). Nothing is
 * allowed for lack of an answer: an API call that fails denies the request.
 *
 * Collectors: the bearer token must pass a TokenReview for the collector audience as the
 * collector ServiceAccount, be bound to a pod (the review's extra pod-name/pod-uid), and that
 * pod must exist with that uid; the shipment may then only be for the pod's node. */
#ifndef KMETRICS_AUTH_GATE_H
#define KMETRICS_AUTH_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include <h2o.h>
#include <openssl/ssl.h>

#include "outbuf.h"

#include "authn_config.h"
#include "kube_async.h"
#include "kube_review.h"

struct auth_gate_config {
    const char *collector_namespace; /* ServiceAccount of collectors */
    const char *collector_name;
    const char *collector_audience; /* audience their tokens are issued for */
    int64_t token_ttl_ns;           /* TokenReview answers */
    int64_t collector_ttl_ns;       /* a collector's token that passed (review + pod lookup) */
    int64_t allowed_ttl_ns;         /* SubjectAccessReview: allowed */
    int64_t denied_ttl_ns;          /* and denied */
    size_t max_entries;             /* per cache */
};

enum auth_stat {
    AUTH_STAT_TOKEN_REVIEWS,  /* API calls */
    AUTH_STAT_ACCESS_REVIEWS, /* API calls */
    AUTH_STAT_POD_LOOKUPS,    /* API calls */
    AUTH_STAT_CACHE_HITS,
    AUTH_STAT_COALESCED, /* waited for an answer another request had asked for */
    AUTH_STAT_UNAUTHENTICATED,
    AUTH_STAT_FORBIDDEN,
    AUTH_STAT_API_ERRORS,
    AUTH_STATS
};

struct auth_gate;

/* Continuations, on the loop thread. node: the node a collector may ship for. */
typedef void (*auth_proceed_cb)(void *arg, h2o_req_t *req);
typedef void (*auth_ship_cb)(void *arg, h2o_req_t *req, const char *node);
/* A collector refused: code 401/403 and a reason (already counted, not yet logged). */
typedef void (*auth_ship_reject_cb)(void *arg, h2o_req_t *req, int code, const char *why);

/* api makes the gate's API calls (copied; kube_async_caller() in the aggregator). */
struct auth_gate *auth_gate_new(const struct auth_gate_config *cfg, const struct api_caller *api,
                                SSL_CTX *ssl_ctx);
void auth_gate_free(struct auth_gate *g);

/* Installs a new trust configuration (taking it); the old one is freed. Also sets the CA names
 * the TLS server asks client certificates for. */
void auth_gate_set_authn(struct auth_gate *g, struct authn_config *c);
bool auth_gate_has_authn(const struct auth_gate *g);

/* Authenticates and authorizes a read with attrs (strings are copied); proceed runs when both
 * pass, else the gate answers 401 or 403 (metav1.Status) itself. */
void auth_gate_check(struct auth_gate *g, h2o_req_t *req, const struct access_attributes *attrs,
                     auth_proceed_cb proceed, void *arg);

/* Authenticates a collector's shipment. */
void auth_gate_check_collector(struct auth_gate *g, h2o_req_t *req, auth_ship_cb proceed,
                               auth_ship_reject_cb reject, void *arg);

uint64_t auth_gate_stat(const struct auth_gate *g, enum auth_stat s);
/* Appends the gate's figures in Prometheus text format. */
void auth_gate_write_metrics(const struct auth_gate *g, struct outbuf *out);

#endif
