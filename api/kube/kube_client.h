/* A blocking Kubernetes API client on libcurl, safe to use from any number of threads at once.
 * Built from a struct kube_config (kube_config.h): server URL, CA, client certificate and key
 * (PEM in memory), bearer token (re-read from its file when the file changes: ServiceAccount
 * tokens rotate), TLS server name override.
 *
 * Each request takes an idle curl handle from a small pool (so connections and TLS sessions
 * are reused) or makes one; nothing is shared between two requests in flight. Each handle
 * keeps its own connection, over HTTP/1.1: HTTP/2's multiplexing would never be used, and on
 * a kept connection the kube-apiserver answers a SubjectAccessReview sooner over HTTP/1.1
 * (docs/aggregator.md, "The first read by a new caller"). Transfers run
 * in libcurl's multi interface, so a stop flag is seen within STREAM_POLL_MS. Redirects are
 * not followed. TCP keepalive is on, so a dead peer on a quiet watch is noticed.
 *
 * Errors are negative errno values with a one-line message in err:
 *   -ETIMEDOUT     the request (or a stream's idle limit) ran out of time
 *   -ECONNREFUSED  nothing listens there (or another connect failure: the OS's errno is used
 *                  when libcurl reports one)
 *   -EHOSTUNREACH  the host name does not resolve
 *   -EPROTO        TLS failed: handshake, peer verification, bad certificate or key
 *   -EFBIG         the body exceeded max_body (or a streamed line exceeded max_line)
 *   -ECONNRESET    the connection broke mid-response
 *   -ECANCELED     a stream's stop flag was raised
 *   -ENOMEM, -EINVAL (bad arguments), -EIO (anything else libcurl reports) */
#ifndef KMETRICS_KUBE_CLIENT_H
#define KMETRICS_KUBE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "kube_config.h"

struct kube_client;

/* Copies what it needs from cfg; cfg may be freed afterwards. NULL with a message in err. */
struct kube_client *kube_client_new(const struct kube_config *cfg, char *err, size_t errlen);
/* No request may be in flight. NULL is ignored. */
void kube_client_free(struct kube_client *kc);

struct kube_response {
    long status; /* HTTP status */
    char *body;  /* malloc'd, NUL-terminated (not counted in len); never NULL after success */
    size_t len;
    int http_version;    /* the protocol the answer came in: 10, 11, 20 */
    bool new_connection; /* the request had to open its connection (none was kept) */
};
void kube_response_done(struct kube_response *r);

/* Blocking request from any thread. method "GET"/"POST"/...; path starts with '/' and
 * includes the query; body NULL or JSON (sent with Content-Type: application/json); accept
 * NULL = "application/json". timeout_ms > 0 bounds the whole request, 0 means no limit.
 * max_body > 0 bounds the response body (0: no limit). Returns 0 when an HTTP response
 * arrived (any status, in out), or a negative errno (above) with out zeroed. */
int kube_client_request(struct kube_client *kc, const char *method, const char *path,
                        const char *accept, const char *body, long timeout_ms, size_t max_body,
                        struct kube_response *out, char *err, size_t errlen);

/* kube_client_request that also ends early, -ECANCELED, when *stop becomes true (checked at
 * least every 500 ms): a reflector's LIST must not hold up its shutdown. */
int kube_client_request_stop(struct kube_client *kc, const char *method, const char *path,
                             const char *accept, const char *body, long timeout_ms, size_t max_body,
                             const volatile bool *stop, struct kube_response *out, char *err,
                             size_t errlen);

/* Streaming GET (watches): calls on_line for every complete newline-terminated line (without
 * the newline; also NUL-terminated for convenience, the NUL not counted) as it arrives; a
 * line longer than max_line is an error (-EFBIG). Returns when the server ends the stream (0,
 * with *status set), on transport error/timeout (negative errno; idle_timeout_ms without any
 * byte aborts, connecting included), as soon as on_line returns non-zero (that value is
 * returned), or when *stop becomes true (checked at least every 500 ms; -ECANCELED). stop may
 * be NULL.
 *
 * Only a 2xx response's lines go to on_line. Any other status ends the call with 0, *status
 * set, and the start of the body (a metav1.Status, normally) in err. */
int kube_client_stream(struct kube_client *kc, const char *path, const char *accept,
                       long idle_timeout_ms, size_t max_line,
                       int (*on_line)(void *arg, const char *line, size_t len), void *arg,
                       const volatile bool *stop, long *status, char *err, size_t errlen);

/* kube_client_stream, and on_open(arg, status) once the response headers have arrived (before
 * any line): a reflector knows its watch is open even while no event comes. on_open may be
 * NULL. */
int kube_client_stream_open(struct kube_client *kc, const char *path, const char *accept,
                            long idle_timeout_ms, size_t max_line,
                            void (*on_open)(void *arg, long status),
                            int (*on_line)(void *arg, const char *line, size_t len), void *arg,
                            const volatile bool *stop, long *status, char *err, size_t errlen);

#endif
