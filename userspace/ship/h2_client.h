/* One HTTP/2 client connection that POSTs, over TLS (ALPN "h2") or cleartext h2c with prior
 * knowledge. Non-blocking and driven by the caller's poll() loop, so one thread can keep many
 * connections going at once: ask h2_conn_pollfd() what to wait for, call h2_conn_on_io() with
 * what poll() saw (or 0 when the deadline passed). One request at a time; the connection stays
 * open for the next one and is reopened when the peer closed it. */
#ifndef KMETRICS_H2_CLIENT_H
#define KMETRICS_H2_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outbuf.h"

#define H2_CONNECT_TIMEOUT_NS ((int64_t)5000000000)  /* connect + TLS handshake */
#define H2_REQUEST_TIMEOUT_NS ((int64_t)10000000000) /* the whole request */
#define H2_RESPONSE_MAX (64 * 1024)                  /* body; headers are capped at 16 KiB */

/* TLS settings shared by connections: the CA bundle is read at the first connection and
 * again when the file changes. ca_file NULL: the system's CAs. */
struct h2_tls *h2_tls_new(const char *ca_file, bool insecure);
void h2_tls_free(struct h2_tls *tls);

struct h2_header {
    const char *name; /* lower case */
    const char *value;
    bool sensitive; /* never put into the HPACK table (credentials) */
};

/* What a request is and where it goes. It and everything it points to must stay valid while
 * the request is under way. */
struct h2_request {
    const char *authority; /* host[:port] as in the URL */
    const char *path;
    const struct h2_header *headers;
    size_t nheaders;
    const void *body;
    size_t body_len;
};

struct h2_response {
    int status; /* HTTP status, 0 when there was no complete answer (see error) */
    struct outbuf body;
    /* Some of the request reached the socket (the peer may have acted on it). False when it
     * never left, or when the peer said it did not process it (GOAWAY, REFUSED_STREAM). */
    bool request_written;
    /* It went on a connection opened for it: the peer may have restarted since the last one. */
    bool new_connection;
    char error[256]; /* why there is no answer, "" otherwise */
};

/* tls NULL: cleartext h2c. host: the URL's host (name or address, no brackets), used for SNI,
 * certificate checks and, unless connect_addr is given, the address lookup. connect_addr:
 * connect to this address literal instead (the URL's host is still what TLS checks). */
struct h2_conn *h2_conn_new(struct h2_tls *tls, const char *host, unsigned port,
                            const char *connect_addr);
void h2_conn_free(struct h2_conn *c); /* abandons a request under way; NULL is fine */

/* Starts a POST, connecting first when needed. Never completes at once: the outcome (an
 * answer or an error) is reported by a later h2_conn_on_io(). False when one is under way. */
bool h2_conn_post(struct h2_conn *c, const struct h2_request *req, int64_t now_ns);

/* The descriptor to poll (-1: none) and its events. */
int h2_conn_pollfd(const struct h2_conn *c, short *events);

/* When h2_conn_on_io() must be called even without events (a deadline, work already
 * buffered): a CLOCK_MONOTONIC time in ns, or INT64_MAX. */
int64_t h2_conn_deadline(const struct h2_conn *c);

/* Makes progress. True when the request just finished: its outcome is h2_conn_response()'s,
 * valid until the next h2_conn_post(). */
bool h2_conn_on_io(struct h2_conn *c, short revents, int64_t now_ns);

const struct h2_response *h2_conn_response(const struct h2_conn *c);

#endif
