/* Authentication of API callers, the part that needs no API call (as the kube-apiserver's
 * delegated authenticator does it, in this order):
 * 1. a client certificate that the requestheader CA signed, with a CN in the allowed names
 *    (any, when the list is empty): the front proxy. The user is in its username headers;
 *    groups and extras in the others. Without a username header it authenticates no one.
 * 2. a client certificate the client CA signed: user = CN, groups = O.
 * 3. "Authorization: Bearer <token>": the caller must ask a TokenReview (auth_gate.c).
 * Anything else is unauthenticated (401): there are no anonymous requests. User headers from
 * anyone but a verified front proxy are never read. */
#ifndef KMETRICS_AUTHN_H
#define KMETRICS_AUTHN_H

#include <h2o.h>

#include "authn_config.h"
#include "tls_peer.h"
#include "user_info.h"

enum authn_result {
    AUTHN_USER,  /* out holds the user */
    AUTHN_TOKEN, /* *token is the bearer token (points into the request) */
    AUTHN_NONE,  /* no credentials we accept */
    AUTHN_ERROR  /* headers over the limits, or out of memory: 401 with why */
};

/* how: "front-proxy" or "client-certificate" when AUTHN_USER; why: a reason otherwise. */
enum authn_result authn_request(const struct authn_config *cfg, h2o_req_t *req,
                                struct tls_peer *peer, struct user_info *out, h2o_iovec_t *token,
                                const char **how_or_why);

/* Verifies a certificate (and the chain its client sent) against store for client
 * authentication, at the current time. */
bool authn_cert_verified(X509_STORE *store, X509 *leaf, STACK_OF(X509) * chain);

/* The bearer token of the request, if any. */
bool authn_bearer(h2o_req_t *req, h2o_iovec_t *token);

#endif
