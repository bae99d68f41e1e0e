/* /metrics: the aggregator's own figures in Prometheus text format, the auth gate's with
 * them in Kubernetes mode. */
#include "auth/auth_gate.h"
#include "auth/authn_reload.h"
#include "handlers.h"
#include "http/conn_trim.h"
#include "http/respond.h"
#include "kubelet/kubelet_fallback.h"
#include "store/custom_metrics.h"

/* Where served figures come from, and the kubelet-scrape fallback's scrapes by outcome. */
static void write_sources(struct aggregator *agg, struct outbuf *b)
{
    static const char *const source[STORE_SOURCES] = {"collector", "kubelet"};
    size_t nodes[STORE_SOURCES], pods[STORE_SOURCES];
    struct kubelet_fallback_stats st;

    store_count_by_source(&agg->store, nodes, pods);
    outbuf_puts(b, "# HELP kmetrics_nodes_by_source Nodes held, by where their figures come "
                   "from (their collector, or the kubelet-scrape fallback).\n"
                   "# TYPE kmetrics_nodes_by_source gauge\n");
    for (int i = 0; i < STORE_SOURCES; i++)
        outbuf_printf(b, "kmetrics_nodes_by_source{source=\"%s\"} %zu\n", source[i], nodes[i]);
    outbuf_puts(b, "# HELP kmetrics_pods_by_source Pods held, by where their node's figures "
                   "come from.\n# TYPE kmetrics_pods_by_source gauge\n");
    for (int i = 0; i < STORE_SOURCES; i++)
        outbuf_printf(b, "kmetrics_pods_by_source{source=\"%s\"} %zu\n", source[i], pods[i]);
    if (!agg->fallback) return;
    kubelet_fallback_get_stats(agg->fallback, &st);
    outbuf_puts(b, "# HELP kmetrics_kubelet_scrapes_total Kubelet scrapes finished, by "
                   "result (ok, or why there were no figures).\n"
                   "# TYPE kmetrics_kubelet_scrapes_total counter\n");
    for (int r = 0; r < SCRAPE_REASONS; r++)
        outbuf_printf(b, "kmetrics_kubelet_scrapes_total{result=\"%s\"} %llu\n",
                      kubelet_scrape_reason_name((enum kubelet_scrape_reason)r),
                      (unsigned long long)st.scrapes[r]);
    outbuf_printf(
        b,
        "# HELP kmetrics_kubelet_scrape_duration_seconds_sum Time spent in finished scrapes.\n"
        "# TYPE kmetrics_kubelet_scrape_duration_seconds_sum counter\n"
        "kmetrics_kubelet_scrape_duration_seconds_sum %.6f\n"
        "# HELP kmetrics_kubelet_scrapes_superseded_total Scrapes dropped because the node's "
        "collector shipped meanwhile.\n"
        "# TYPE kmetrics_kubelet_scrapes_superseded_total counter\n"
        "kmetrics_kubelet_scrapes_superseded_total %llu\n"
        "# HELP kmetrics_kubelet_containers_dropped_total Scraped containers left out for a "
        "missing CPU or working-set sample.\n"
        "# TYPE kmetrics_kubelet_containers_dropped_total counter\n"
        "kmetrics_kubelet_containers_dropped_total %llu\n"
        "# HELP kmetrics_node_source_changes_total Nodes whose figures changed source.\n"
        "# TYPE kmetrics_node_source_changes_total counter\n"
        "kmetrics_node_source_changes_total %llu\n"
        "# HELP kmetrics_kubelet_fallback_nodes Nodes without a fresh collector, by state of "
        "their kubelet scrape (last one ok, last one failed, no address to scrape).\n"
        "# TYPE kmetrics_kubelet_fallback_nodes gauge\n"
        "kmetrics_kubelet_fallback_nodes{state=\"scraped\"} %zu\n"
        "kmetrics_kubelet_fallback_nodes{state=\"failing\"} %zu\n"
        "kmetrics_kubelet_fallback_nodes{state=\"no_address\"} %zu\n",
        st.duration_sum_s, (unsigned long long)st.superseded,
        (unsigned long long)st.containers_dropped, (unsigned long long)st.source_changes,
        st.nodes_scraping - st.nodes_without_endpoint - st.nodes_failing, st.nodes_failing,
        st.nodes_without_endpoint);
}

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
    write_sources(agg, &b);
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
