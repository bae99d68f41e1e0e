/* /metrics: the aggregator's own figures in Prometheus text format, the auth gate's with
 * them in Kubernetes mode. */
#include "auth/auth_gate.h"
#include "auth/authn_reload.h"
#include "handlers.h"
#include "http/conn_trim.h"
#include "http/respond.h"
#include "store/custom_metrics.h"

/* What open connections keep between requests (http/conn_trim.h). */
static void write_connections(struct outbuf *b)
{
    struct conn_trim_stats st;

    conn_trim_get_stats(&st);
    outbuf_printf(b,
                  "# HELP kmetrics_connections_open Accepted connections not yet closed.\n"
                  "# TYPE kmetrics_connections_open gauge\nkmetrics_connections_open %zu\n"
                  "# HELP kmetrics_connection_input_buffers Open connections holding an input "
                  "buffer (idle ones give theirs back).\n"
                  "# TYPE kmetrics_connection_input_buffers gauge\n"
                  "kmetrics_connection_input_buffers %zu\n"
                  "# HELP kmetrics_connection_input_buffer_bytes Capacity of those buffers.\n"
                  "# TYPE kmetrics_connection_input_buffer_bytes gauge\n"
                  "kmetrics_connection_input_buffer_bytes %zu\n"
                  "# HELP kmetrics_connection_input_buffers_released_total Empty input buffers "
                  "given back by idle connections.\n"
                  "# TYPE kmetrics_connection_input_buffers_released_total counter\n"
                  "kmetrics_connection_input_buffers_released_total %llu\n",
                  st.open, st.holding, st.held_bytes, (unsigned long long)st.released_total);
}

void handle_self_metrics(struct aggregator *agg, h2o_req_t *req)
{
    struct outbuf b;

    outbuf_init(&b);
    selfmetrics_write(&agg->metrics, agg->store.nodes.len, agg->store.npods, agg->store.ncontainers,
                      agg->store.stats.nodes_dropped_stale, &b);
    write_connections(&b);
    if (agg->gate) {
        auth_gate_write_metrics(agg->gate, &b);
        outbuf_printf(&b,
                      "# HELP kmetrics_authn_config_errors_total Trust configurations refused "
                      "(bad ConfigMap or CA); the previous one stayed in force.\n"
                      "# TYPE kmetrics_authn_config_errors_total counter\n"
                      "kmetrics_authn_config_errors_total %llu\n",
                      (unsigned long long)authn_reload_errors(agg->authn_reload));
    }
    if (agg->cfg.expose_pod_signals) custom_metrics_write_prometheus(&agg->store, &b);
    respond_body(req, 200, "text/plain; version=0.0.4; charset=utf-8", &b);
}
