/* Client certificates on the aggregator's TLS connections. h2o 2.2 does not expose a
 * connection's peer certificate, so this module asks for one at the handshake (without
 * requiring it: authentication decides what a certificate is worth, per request) and keeps
 * each connection's chain in a table keyed by its h2o socket. h2o gives its BIO the socket as
 * data, which is how the handshake callback finds the key; the entry goes when OpenSSL frees
 * the connection's SSL object. Everything runs on the event loop thread. */
#ifndef KMETRICS_TLS_PEER_H
#define KMETRICS_TLS_PEER_H

#include <stdint.h>

#include <h2o.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

struct tls_peer {
    X509 *leaf;             /* the client's certificate (owned) */
    STACK_OF(X509) * chain; /* what else it sent, possibly NULL (owned) */
    /* Verdict cache for authn.c, valid while generation matches its configuration. */
    uint64_t generation;
    int verdict;
    char *user;    /* CN of a verified certificate */
    char **groups; /* its O values, NULL-terminated */
    char key[2 * sizeof(void *) + 3];
};

/* Requests (never requires) client certificates on ctx and records them per connection.
 * Turns session resumption off: a resumed session would not carry the client's chain.
 * Returns 0 or -1. */
int tls_peer_install(SSL_CTX *ctx);

/* The certificate the client of this connection presented, or NULL. Borrowed: valid while
 * the connection is open (at least as long as any request on it). */
struct tls_peer *tls_peer_of(h2o_conn_t *conn);

/* Connections currently holding a certificate (for tests and self-metrics). */
size_t tls_peer_count(void);

#endif
