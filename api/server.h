/* The aggregator's HTTP/2 (and HTTP/1.1) TLS server on h2o's event loop: listens, routes each
 * request to its handler, enforces limits, expires silent nodes, and stops on SIGTERM/SIGINT. */
#ifndef KMETRICS_SERVER_H
#define KMETRICS_SERVER_H

#include <openssl/ssl.h>

#include "aggregator.h"

/* Runs until a stop signal. Returns 0 on a clean stop, -1 when it could not start. */
int server_run(struct aggregator *agg, SSL_CTX *ssl_ctx);

#endif
