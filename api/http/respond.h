/* Sending responses through h2o: a body we rendered (ownership passes to the request's
 * memory pool, freed when h2o is done with it), plain text, and metav1.Status errors in the
 * negotiated format. */
#ifndef KMETRICS_RESPOND_H
#define KMETRICS_RESPOND_H

#include <h2o.h>

#include "outbuf.h"

#include "http_parse.h"

/* A buffer to render a response into: recycled from earlier responses when one is free, so
 * a LIST of every pod does not fault in tens of MB of fresh pages each time. */
void respond_buffer_acquire(struct outbuf *b);

/* Sends body (taking its memory; body is left empty) with the given status and type. Its
 * memory goes back to the recycling pool once h2o has sent it. */
void respond_body(h2o_req_t *req, int status, const char *content_type, struct outbuf *body);
void respond_text(h2o_req_t *req, int status, const char *content_type, const char *text);
/* A metav1.Status error (JSON unless the client negotiated protobuf). */
void respond_status(h2o_req_t *req, enum media m, int code, const char *reason, const char *message,
                    const char *details_name, const char *details_kind);

const char *http_reason(int status);

#endif
