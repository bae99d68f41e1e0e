/* The JSON pieces both JSON objects and Tables are made of: escaped strings (as Go's
 * encoding/json writes them, so strict parsers never reject a document) and ObjectMeta. */
#ifndef KMETRICS_RENDER_JSON_TEXT_H
#define KMETRICS_RENDER_JSON_TEXT_H

#include <stdbool.h>

#include "outbuf.h"

#include "metrics_model.h"
#include "quantity.h"

/* A JSON string literal, quotes included; NULL as "". */
void jstr(struct outbuf *b, const char *s);
/* A quoted RFC 3339 time (TIME_LEN bytes at t). */
void json_time(struct outbuf *b, const char *t);
/* ObjectMeta: name, namespace, creationTimestamp, labels (Go's order; empty name and
 * namespace omitted as omitempty does). */
void json_meta(struct outbuf *b, struct rctx *c, const struct object_meta_view *m,
               bool with_labels);

#endif
