/* The collector's view as one JSON document (docs/collector-output.md describes it): the node,
 * every pod with its containers, CPU rates over a window and memory. For `--once` and the
 * daemon's `--format=json` output; the aggregator's wire format is separate. */
#ifndef KMETRICS_SNAPSHOT_JSON_H
#define KMETRICS_SNAPSHOT_JSON_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "collector.h"

/* New reference; NULL on allocation failure. */
json_t *snapshot_to_json(const struct collector *c, int64_t window_ns);
/* Writes it on one line (compact) or indented; returns 0 or -EIO. */
int snapshot_write(FILE *out, const struct collector *c, int64_t window_ns, int pretty);
/* A human-readable table (pods, containers, CPU in millicores, memory in MiB). */
int snapshot_write_text(FILE *out, const struct collector *c, int64_t window_ns);

/* RFC 3339 UTC with nanoseconds, e.g. 2026-08-04T09:59:52.123456789Z. */
void format_rfc3339_ns(int64_t real_ns, char *out, size_t outlen);

#endif
