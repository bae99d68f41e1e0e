/* Sending responses through h2o: a body we rendered (ownership passes to the request's
 * memory pool, freed when h2o is done with it), plain text, and metav1.Status errors in the
 * negotiated format. */
#ifndef KMETRICS_RESPOND_H
#define KMETRICS_RESPOND_H

#include <h2o.h>

#include "outbuf.h"

#include "http_parse.h"

/* Response buffers kept by their owner (the aggregator) between responses, so a LIST of every
 * pod does not fault in tens of MB of fresh pages each time. Buffers under 1 MiB are not worth
 * keeping; at most RESPOND_POOL_SIZE are kept. */
#define RESPOND_POOL_SIZE 4
struct respond_pool {
    struct outbuf bufs[RESPOND_POOL_SIZE];
    size_t len;
};

void respond_pool_init(struct respond_pool *p);
void respond_pool_done(struct respond_pool *p);
/* A buffer to render a response into: a recycled one when the pool has one. */
void respond_buffer_acquire(struct respond_pool *p, struct outbuf *b);

/* Sends body (taking its memory; body is left empty) with the given status and type; the
 * memory is freed once h2o has sent it. */
void respond_body(h2o_req_t *req, int status, const char *content_type, struct outbuf *body);
/* The same, the memory going back to pool instead (which must outlive the request). */
void respond_body_pooled(h2o_req_t *req, struct respond_pool *pool, int status,
                         const char *content_type, struct outbuf *body);
void respond_text(h2o_req_t *req, int status, const char *content_type, const char *text);
/* A metav1.Status error (JSON unless the client negotiated protobuf). */
void respond_status(h2o_req_t *req, enum media m, int code, const char *reason, const char *message,
                    const char *details_name, const char *details_kind);

const char *http_reason(int status);

#endif
