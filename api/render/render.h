/* Renders the Metrics API's objects exactly as Kubernetes clients decode them:
 * JSON (field order as metrics-server emits it), protobuf in the Kubernetes envelope, and
 * meta.k8s.io Tables for `kubectl get nodemetrics|podmetrics`, plus metav1.Status errors.
 * See ../shared/REFERENCE.md §1 for the wire facts. All functions append to an outbuf. */
#ifndef KMETRICS_RENDER_H
#define KMETRICS_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outbuf.h"

#include "metrics_model.h"

/* "metrics.k8s.io/v1beta1" or "metrics.k8s.io/v1" */
typedef const char *api_version_t;

/* --- value formats ------------------------------------------------------------------------ */
/* Kubernetes canonical quantity for CPU in nanocores (DecimalSI): 0 -> "0", 250000000 -> "250m",
 * 2000000000 -> "2", 7338891 -> "7338891n", 12000 -> "12u". */
void format_cpu_quantity(struct outbuf *b, uint64_t nanocores);
/* Canonical BinarySI quantity for bytes: 14868480 -> "14520Ki", 52428800 -> "50Mi",
 * 1000 -> "1000", 0 -> "0". */
void format_memory_quantity(struct outbuf *b, uint64_t bytes);
/* Go's time.Duration.String(): 15003000000 -> "15.003s", 60000000000 -> "1m0s",
 * 500000000 -> "500ms", 0 -> "0s". */
void format_go_duration(struct outbuf *b, int64_t ns);
/* RFC 3339 UTC, whole seconds: "2026-08-04T09:59:52Z". */
void format_rfc3339(struct outbuf *b, int64_t real_ns);

/* --- JSON --------------------------------------------------------------------------------- */
void render_node_json(struct outbuf *b, api_version_t v, const struct node_metrics_view *n);
void render_node_list_json(struct outbuf *b, api_version_t v, const struct node_metrics_view *items,
                           size_t n);
void render_pod_json(struct outbuf *b, api_version_t v, const struct pod_metrics_view *p);
void render_pod_list_json(struct outbuf *b, api_version_t v, const struct pod_metrics_view *items,
                          size_t n);

/* --- YAML (application/yaml) ------------------------------------------------------------- */
/* Appends the YAML of a JSON document (one of the renderings above), converted as the API
 * server converts: keys sorted, block style. 0, or -1 when json does not parse or memory
 * runs out. */
int render_yaml_from_json(struct outbuf *b, const char *json, size_t len);

/* --- metadata only (as=PartialObjectMetadata[List]) ---------------------------------------- */
/* Appends the PartialObjectMetadata (list false) or PartialObjectMetadataList (list true) of a
 * JSON object or list rendered above, apiVersion api_version ("meta.k8s.io/v1"). -1 when json
 * does not parse, is not of that form, or memory runs out. */
int render_partial_from_json(struct outbuf *b, const char *json, size_t len, bool list,
                             const char *api_version);
/* The same in protobuf: "k8s\0" + runtime.Unknown around the PartialObjectMetadata[List]
 * message, ObjectMeta's name, namespace, uid, resourceVersion, creationTimestamp and labels
 * (what our renderings carry), labels sorted by key as Go's marshaller writes a map. */
int render_partial_pb_from_json(struct outbuf *b, const char *json, size_t len, bool list,
                                const char *api_version);

/* --- protobuf (application/vnd.kubernetes.protobuf): "k8s\0" + runtime.Unknown ------------ */
void render_node_pb(struct outbuf *b, api_version_t v, const struct node_metrics_view *n);
void render_node_list_pb(struct outbuf *b, api_version_t v, const struct node_metrics_view *items,
                         size_t n);
void render_pod_pb(struct outbuf *b, api_version_t v, const struct pod_metrics_view *p);
void render_pod_list_pb(struct outbuf *b, api_version_t v, const struct pod_metrics_view *items,
                        size_t n);
/* The same built one item at a time, the LAST item first (the stream is written backwards),
 * so a LIST renders straight from the store without an array of views. estimate: the
 * expected size (an overshoot costs untouched address space, an undershoot a regrow). begin
 * returns NULL and marks b failed when memory runs out; end takes NULL and frees l. */
struct pod_list_pb;
struct pod_list_pb *render_pod_list_pb_begin(struct outbuf *b, size_t estimate);
void render_pod_list_pb_prepend(struct pod_list_pb *l, const struct pod_metrics_view *p);
void render_pod_list_pb_end(struct pod_list_pb *l, api_version_t v);

/* --- custom.metrics.k8s.io MetricValueList (render_custom.c) -------------------------------- */
/* api_version "custom.metrics.k8s.io/v1beta2" or ".../v1beta1" (whose items name the metric
 * in metricName and call the window "window"); items as given, metric their metric's name. */
void render_metric_value_list_json(struct outbuf *b, const char *api_version, const char *metric,
                                   const struct metric_value_view *items, size_t n);
void render_metric_value_list_pb(struct outbuf *b, const char *api_version, const char *metric,
                                 const struct metric_value_view *items, size_t n);

/* --- Table (application/json;as=Table;v=v1;g=meta.k8s.io) ------------------------------- */
/* Columns Name, CPU, Memory, Window; a pod row sums its containers. table_version is
 * "meta.k8s.io/v1" or "meta.k8s.io/v1beta1" (whichever the client asked for). */
void render_node_table(struct outbuf *b, const char *table_version,
                       const struct node_metrics_view *items, size_t n);
void render_pod_table(struct outbuf *b, const char *table_version,
                      const struct pod_metrics_view *items, size_t n);

/* --- metav1.Status ------------------------------------------------------------------------ */
/* {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":...,
 *  "reason":...,"details":{"name":...,"group":"metrics.k8s.io","kind":...},"code":...}
 * details is omitted when details_kind is NULL. Strings are JSON-escaped. */
void render_status_json(struct outbuf *b, int code, const char *reason, const char *message,
                        const char *details_name, const char *details_kind);
/* The same Status in the protobuf envelope (apiVersion v1, kind Status). */
void render_status_pb(struct outbuf *b, int code, const char *reason, const char *message,
                      const char *details_name, const char *details_kind);

/* JSON string literal with escaping (quotes included). */
void json_put_string(struct outbuf *b, const char *s);

#endif
