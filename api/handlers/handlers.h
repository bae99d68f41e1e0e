/* Request handlers, one file each: metrics.k8s.io resources, discovery and OpenAPI, health
 * and self-metrics, collector shipments. Each sends exactly one response. */
#ifndef KMETRICS_HANDLERS_H
#define KMETRICS_HANDLERS_H

#include <h2o.h>

#include "aggregator.h"
#include "http/request.h"
#include "http/router.h"

/* Returns the verb for self-metrics. */
enum request_verb handle_metrics(struct aggregator *agg, h2o_req_t *req, const struct route *r,
                                 struct query q);
void handle_discovery(struct aggregator *agg, h2o_req_t *req, const struct route *r);
/* custom.metrics.k8s.io: the body of its group's or a version's discovery document (for
 * handle_discovery), and the metric reads. */
void custom_discovery(struct outbuf *b, const struct route *r);
enum request_verb handle_custom_metrics(struct aggregator *agg, h2o_req_t *req,
                                        const struct route *r, struct query q);
/* The custom.metrics.k8s.io group's fields as a JSON object, for /apis. */
extern const char custom_group_json[];
/* Standalone mode: nodes and pods as kubectl top reads them; 404 in Kubernetes mode. */
enum request_verb handle_core(struct aggregator *agg, h2o_req_t *req, const struct route *r);
void handle_openapi(struct aggregator *agg, h2o_req_t *req, const struct route *r);
void handle_health(struct aggregator *agg, h2o_req_t *req, const struct route *r, struct query q);
void handle_self_metrics(struct aggregator *agg, h2o_req_t *req);
/* node: the node the caller may ship for (Kubernetes mode, checked by auth_gate.c), or NULL
 * to check the shared ship token. */
void handle_ship(struct aggregator *agg, h2o_req_t *req, const char *node);
/* Refuses a shipment: counts why, logs the peer and message (rate-limited), answers code. */
void ship_reject(struct aggregator *agg, h2o_req_t *req, enum ship_reject why, int code,
                 const char *message);

#endif
