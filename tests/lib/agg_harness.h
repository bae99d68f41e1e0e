/* Runs a real kmetrics-aggregator for a test and talks to it: HTTPS GETs and shipments over
 * libcurl (HTTP/2), and external clients (curl, nghttp, kubectl, protoc) through the shell.
 * */
#ifndef KMETRICS_TEST_AGG_HARNESS_H
#define KMETRICS_TEST_AGG_HARNESS_H

#include <curl/curl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include "outbuf.h"
#include "test_util.h"
#include "wire/wire_encode.h"

#define AH_SHIP_TOKEN "ship-token-for-tests"
#define AH_READ_TOKEN "read-token-for-tests"

struct agg_harness {
    char dir[PATH_MAX]; /* scratch: certs, tokens, kubeconfig, log */
    char bin_dir[PATH_MAX];
    int port;
    pid_t pid;
    char base_url[64];
};

struct http_result {
    long status;
    long http_version; /* CURL_HTTP_VERSION_* */
    struct outbuf body;
    char content_type[128];
};

/* libcurl write callback appending to the struct outbuf in ud. */
size_t ah_write_cb(char *p, size_t sz, size_t n, void *ud);

/* A free TCP port on loopback (bind to 0, read it back, release). */
int ah_free_port(void);

/* Starts the aggregator with exactly these flags (besides address, port and cert dir);
 * waits until /livez answers. */
int ah_start_flags(struct agg_harness *h, const char *flags);

/* Starts the aggregator in standalone mode with the harness's tokens (extra: more flags, may
 * be ""). */
int ah_start(struct agg_harness *h, const char *extra);

/* Stops it with SIGTERM; returns its exit status (0 for a clean stop). */
int ah_stop(struct agg_harness *h);

/* A request to path on the harness's aggregator (its CA trusted, HTTP/2, 10 s timeout) whose
 * body goes to r; headers to send are appended to *hdrs, then ah_finish performs it. */
CURL *ah_curl(struct agg_harness *h, const char *path, struct http_result *r,
              struct curl_slist **hdrs);

/* Performs c with hdrs, fills r's status, HTTP version and content type, frees both; 0 or -1
 * on a transport error. */
int ah_finish(CURL *c, struct curl_slist *hdrs, struct http_result *r);

/* GET path with an optional Accept and bearer token (NULL: the read token). */
int ah_get(struct agg_harness *h, const char *path, const char *accept, const char *token,
           struct http_result *r);

/* POSTs raw bytes to /ship with a content type and token (NULL: the ship token). */
int ah_post_ship_raw(struct agg_harness *h, const void *body, size_t len, const char *ctype,
                     const char *token, struct http_result *r);

/* Encodes and ships a shipment; returns the HTTP status (or -1). */
long ah_ship(struct agg_harness *h, const struct wire_shipment *s);

/* Runs a shell command, capturing stdout+stderr; returns the exit status. */
int ah_sh(struct outbuf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
