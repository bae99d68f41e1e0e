/* The rules of the shipment format that both halves check, so the encoder never produces what
 * the decoder refuses: names and ids (exported: the collector drops a bad name before it
 * reaches a shipment), each field's limit and wording for errors, and keys that repeat. */
#ifndef KMETRICS_WIRE_CHECK_H
#define KMETRICS_WIRE_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "wire.h"

/* Canonical lower-case UUID, or the 32 hex the kubelet uses for static pods. */
bool wire_valid_uid(const char *s, size_t n);
/* 64 lower-case hex. */
bool wire_valid_id(const char *s, size_t n);
/* DNS-1123 label (namespaces, container names), at most WIRE_LABEL_MAX. */
bool wire_valid_label(const char *s, size_t n);
/* DNS-1123 subdomain (node and pod names), at most 253 in all. */
bool wire_valid_subdomain(const char *s, size_t n);

/* One string field: its length limit, its rule, and how errors name it. */
struct wire_field {
    size_t max;
    bool (*ok)(const char *s, size_t n);
    const char *name;
    const char *rule;
};

extern const struct wire_field wire_field_node, wire_field_uid, wire_field_namespace,
    wire_field_pod_name, wire_field_id, wire_field_container_name;

/* Why a container's signals or a pod's traffic break the format's rules (docs/wire-format.md),
 * or NULL when they keep them. */
const char *wire_signals_problem(const struct wire_signals *s);
const char *wire_network_problem(const struct wire_network *n);

/* Index of a pod whose uid repeats an earlier one's, or n in *dup. 0 or -ENOMEM. */
int wire_find_dup_pod(const struct wire_pod *pods, size_t n, size_t *dup);
/* Index of a container whose id repeats an earlier one's, or n (n <= WIRE_MAX_CONTAINERS). */
size_t wire_find_dup_container(const struct wire_container *c, size_t n);

#endif
