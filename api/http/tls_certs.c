#include "tls_certs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <h2o.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "file_read.h"

/* A CA bundle for the kubeconfig: a few certificates, far below this. */
#define CA_FILE_MAX (1u << 20)

static EVP_PKEY *new_key(void)
{
    return EVP_EC_gen("P-256");
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;

    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext) return -1;
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return 0;
}

static X509 *new_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                      long serial, int is_ca, const char *san)
{
    X509 *cert = X509_new();
    X509_NAME *name;

    if (!cert) return NULL;
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 365L * 24 * 3600);
    X509_set_pubkey(cert, key);
    name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
    if (add_ext(cert, issuer ? issuer : cert, NID_basic_constraints,
                is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE") ||
        add_ext(cert, issuer ? issuer : cert, NID_key_usage,
                is_ca ? "critical,keyCertSign,cRLSign"
                      : "critical,digitalSignature,keyEncipherment") ||
        (!is_ca && add_ext(cert, issuer, NID_ext_key_usage, "serverAuth")) ||
        (san && add_ext(cert, issuer ? issuer : cert, NID_subject_alt_name, san)) ||
        !X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256())) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

static int write_pem(const char *path, X509 *cert, EVP_PKEY *key)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, key ? 0600 : 0644);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int ok;

    if (!f) {
        if (fd >= 0) close(fd);
        return -1;
    }
    ok = cert ? PEM_write_X509(f, cert) : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    return fclose(f) == 0 && ok ? 0 : -1;
}

int tls_ensure_self_signed(const char *cert_dir, char *err, size_t errlen)
{
    char ca_path[4096], crt_path[4096], key_path[4096], host[256], san[512];
    EVP_PKEY *ca_key = NULL, *key = NULL;
    X509 *ca = NULL, *crt = NULL;
    int rc = -1;

    snprintf(ca_path, sizeof(ca_path), "%s/ca.crt", cert_dir);
    snprintf(crt_path, sizeof(crt_path), "%s/apiserver.crt", cert_dir);
    snprintf(key_path, sizeof(key_path), "%s/apiserver.key", cert_dir);
    if (access(crt_path, R_OK) == 0 && access(key_path, R_OK) == 0 && access(ca_path, R_OK) == 0)
        return 0;
    if (mkdir(cert_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "creating %s: %s", cert_dir, strerror(errno));
        return -1;
    }
    if (gethostname(host, sizeof(host)) != 0) snprintf(host, sizeof(host), "localhost");
    snprintf(san, sizeof(san), "DNS:localhost,DNS:%s,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1", host);
    ca_key = new_key();
    key = new_key();
    if (ca_key && key) ca = new_cert(ca_key, "kmetrics-ca", NULL, NULL, 1, 1, NULL);
    if (ca) crt = new_cert(key, "kmetrics-aggregator", ca, ca_key, 2, 0, san);
    if (!crt) {
        snprintf(err, errlen, "generating certificates failed");
        goto out;
    }
    if (write_pem(ca_path, ca, NULL) || write_pem(crt_path, crt, NULL) ||
        write_pem(key_path, NULL, key)) {
        snprintf(err, errlen, "writing certificates into %s failed: %s", cert_dir, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    X509_free(ca);
    X509_free(crt);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(key);
    return rc;
}

SSL_CTX *tls_server_context(const char *cert_file, const char *key_file, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    if (!ctx) {
        snprintf(err, errlen, "SSL_CTX_new failed");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    /* Each collector holds a connection open between shipments: an idle one keeps no TLS
     * record buffers (about 34 KiB each; 5,000 collectors would pin 170 MiB). */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(err, errlen, "loading %s / %s failed: %s", cert_file, key_file,
                 ERR_reason_error_string(ERR_get_error()));
        SSL_CTX_free(ctx);
        return NULL;
    }
    h2o_ssl_register_alpn_protocols(ctx, h2o_http2_alpn_protocols);
    return ctx;
}

int tls_write_kubeconfig(const char *path, const char *host, int port, const char *ca_file,
                         const char *token)
{
    char *pem = NULL, *b64 = NULL;
    size_t len;
    FILE *out = NULL;
    int fd, rc = -1;

    if (strspn(token, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
        strlen(token))
        return -1; /* written into YAML unquoted */
    /* The whole bundle, however many certificates it holds (base64 makes 4 of every 3). */
    if (file_read(AT_FDCWD, ca_file, CA_FILE_MAX, 0, &pem, &len) != 0 ||
        !(b64 = malloc(4 * ((len + 2) / 3) + 1)))
        goto out;
    EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)pem, (int)len);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600); /* holds a token */
    out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!out) goto out;
    fprintf(out,
            "apiVersion: v1\nkind: Config\nclusters:\n- name: kmetrics\n  cluster:\n"
            "    server: https://%s:%d\n    certificate-authority-data: %s\n"
            "users:\n- name: kmetrics-reader\n  user:\n    token: %s\n"
            "contexts:\n- name: kmetrics\n  context:\n    cluster: kmetrics\n"
            "    user: kmetrics-reader\ncurrent-context: kmetrics\n",
            host, port, b64, token);
    rc = fclose(out) == 0 ? 0 : -1;
out:
    free(pem);
    free(b64);
    return rc;
}
