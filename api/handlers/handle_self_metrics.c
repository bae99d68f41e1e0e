/* /metrics: the aggregator's own figures in Prometheus text format, the auth gate's with
 * them in Kubernetes mode. */
#include "auth/auth_gate.h"
#include "auth/authn_reload.h"
#include "handlers.h"
#include "http/respond.h"

void handle_self_metrics(struct aggregator *agg, h2o_req_t *req)
{
    struct outbuf b;

    outbuf_init(&b);
    selfmetrics_write(&agg->metrics, agg->store.nodes.len, agg->store.npods, agg->store.ncontainers,
                      agg->store.stats.nodes_dropped_stale, &b);
    if (agg->gate) {
        auth_gate_write_metrics(agg->gate, &b);
        outbuf_printf(&b,
                      "# HELP kmetrics_authn_config_errors_total Trust configurations refused "
                      "(bad ConfigMap or CA); the previous one stayed in force.\n"
                      "# TYPE kmetrics_authn_config_errors_total counter\n"
                      "kmetrics_authn_config_errors_total %llu\n",
                      (unsigned long long)authn_reload_errors(agg->authn_reload));
    }
    respond_body(req, 200, "text/plain; version=0.0.4; charset=utf-8", &b);
}
