/* TLS material for the aggregator: the operator's certificate and key, or a self-signed CA
 * and a serving certificate generated into --cert-dir at first start (reused after), plus a
 * kubeconfig that lets kubectl reach this server directly. */
#ifndef KMETRICS_TLS_CERTS_H
#define KMETRICS_TLS_CERTS_H

#include <openssl/ssl.h>

/* Makes sure cert_dir holds ca.crt, apiserver.crt and apiserver.key (generating them when
 * absent: EC P-256, SANs localhost, 127.0.0.1, ::1 and the host name). Returns 0 or -1 with
 * err set. */
int tls_ensure_self_signed(const char *cert_dir, char *err, size_t errlen);

/* A server SSL_CTX (TLS 1.2+, HTTP/2 via ALPN) from PEM files. NULL with err set. */
SSL_CTX *tls_server_context(const char *cert_file, const char *key_file, char *err, size_t errlen);

/* Writes a kubeconfig for https://host:port trusting ca_file, with token as the user's
 * bearer token. Returns 0, or -1 (a CA file over 1 MiB included). */
int tls_write_kubeconfig(const char *path, const char *host, int port, const char *ca_file,
                         const char *token);

#endif
