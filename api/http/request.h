/* What a handler asks of an h2o request: a header, the method, the query string, a bearer
 * token compared in constant time, and the peer's address for logs. No handler state. */
#ifndef KMETRICS_REQUEST_H
#define KMETRICS_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <h2o.h>

/* Query string of the request ("" when none), as pointer and length. */
struct query {
    const char *s;
    size_t len;
};

/* The value of a request header, or an empty iovec. */
h2o_iovec_t request_header(h2o_req_t *req, const h2o_token_t *token);
bool request_method_is(h2o_req_t *req, const char *m);
/* The path without its query, and the query. */
h2o_iovec_t request_path(h2o_req_t *req);
struct query request_query(h2o_req_t *req);
/* Whether the request carries "Authorization: Bearer <token>" (compared in constant time,
 * so a token does not leak through response timing). */
bool request_bearer_matches(h2o_req_t *req, const char *token);
/* The peer's numeric address into out ("?" when unknown). */
void request_peer(h2o_req_t *req, char *out, size_t outlen);

#endif
