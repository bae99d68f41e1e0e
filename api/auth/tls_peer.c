#include "tls_peer.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "strmap.h"
#include "strv.h"

static struct strmap peers; /* "%p" of the h2o socket -> struct tls_peer */
static int ex_index = -1;

static void peer_key(const void *sock, char *key, size_t len)
{
    snprintf(key, len, "%p", sock);
}

static void peer_free(struct tls_peer *p)
{
    X509_free(p->leaf);
    sk_X509_pop_free(p->chain, X509_free);
    free(p->user);
    strv_free(p->groups);
    free(p);
}

/* OpenSSL frees the SSL object when h2o closes the connection: drop its entry. */
static void on_ssl_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    struct tls_peer *p = ptr;

    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    if (!p) return;
    if (strmap_get(&peers, p->key) == p) strmap_del(&peers, p->key);
    peer_free(p);
}

/* Accept any certificate (or none) at the TLS layer; OpenSSL still checks that the client
 * holds the certificate's key. Which CA must have signed it depends on what the request
 * claims, so authn.c verifies the chain per request. */
static int accept_any(int ok, X509_STORE_CTX *ctx)
{
    (void)ok, (void)ctx;
    return 1;
}

static void on_info(const SSL *ssl, int where, int ret)
{
    struct tls_peer *p, *old;
    STACK_OF(X509) * chain;
    void *sock;

    (void)ret;
    if (!(where & SSL_CB_HANDSHAKE_DONE)) return;
    if (SSL_get_ex_data(ssl, ex_index)) return; /* TLS 1.3 reports "done" again per ticket */
    X509 *leaf = SSL_get1_peer_certificate(ssl);
    if (!leaf) return;
    sock = BIO_get_data(SSL_get_rbio(ssl));
    p = calloc(1, sizeof(*p));
    if (!p || !sock) {
        X509_free(leaf);
        free(p);
        return;
    }
    p->leaf = leaf;
    chain = SSL_get_peer_cert_chain(ssl);
    if (chain) p->chain = X509_chain_up_ref(chain);
    peer_key(sock, p->key, sizeof(p->key));
    /* A socket's memory can be reused by a later connection before OpenSSL frees an old SSL;
     * the newest handshake owns the key. */
    old = strmap_get(&peers, p->key);
    if (old) strmap_del(&peers, p->key);
    if (strmap_put(&peers, p->key, p) != 0 || !SSL_set_ex_data((SSL *)ssl, ex_index, p)) {
        strmap_del(&peers, p->key);
        peer_free(p);
        log_warn("out of memory recording a client certificate");
    }
}

int tls_peer_install(SSL_CTX *ctx)
{
    if (ex_index < 0) {
        ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, on_ssl_free);
        if (ex_index < 0) return -1;
        strmap_init(&peers);
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
    SSL_CTX_set_info_callback(ctx, on_info);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx, 0);
    return 0;
}

struct tls_peer *tls_peer_of(h2o_conn_t *conn)
{
    char key[2 * sizeof(void *) + 3];
    h2o_socket_t *sock;

    if (ex_index < 0 || !conn->callbacks->get_socket) return NULL;
    sock = conn->callbacks->get_socket(conn);
    if (!sock) return NULL;
    peer_key(sock, key, sizeof(key));
    return strmap_get(&peers, key);
}

size_t tls_peer_count(void)
{
    return ex_index < 0 ? 0 : peers.len;
}
