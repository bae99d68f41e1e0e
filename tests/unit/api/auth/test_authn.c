/* Authentication without API calls, against certificates minted at test time (EC P-256, valid
 * from an hour ago to tomorrow, so nothing here expires): trust built from CA bundles, client
 * certificate verification, and requests as a front proxy, as a client certificate, with a
 * bearer token or with nothing. Requests are h2o_req_t values with only a pool and headers,
 * which is all authn_request reads; peers are struct tls_peer as tls_peer.c would record them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authn.h"
#include "auth/authn_config.h"

#define HOUR 3600L
#define DAY (24 * HOUR)

/* --- certificates ------------------------------------------------------------------------ */

enum usage { CA, CLIENT, SERVER, NO_EKU };

struct pki {
    EVP_PKEY *key;
    X509 *cert;
    char *pem;
};

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;

    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

/* A certificate for a new key, issued by issuer (NULL: self-signed), valid from now+from to
 * now+to seconds. cn NULL: none; orgs: up to two O values. */
static struct pki mint(const char *cn, const char *o1, const char *o2, const struct pki *issuer,
                       enum usage usage, long from, long to)
{
    static long serial = 1;
    const char *orgs[] = {o1, o2};
    struct pki p = {0};
    X509_NAME *name;
    BIO *bio;
    char *data;
    long n;

    p.key = EVP_EC_gen("P-256");
    assert_non_null(p.key);
    p.cert = X509_new();
    assert_non_null(p.cert);
    assert_int_equal(X509_set_version(p.cert, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(p.cert), serial++), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(p.cert), from));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(p.cert), to));
    name = X509_get_subject_name(p.cert);
    for (size_t i = 0; i < 2; i++)
        if (orgs[i])
            assert_int_equal(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                                        (const unsigned char *)orgs[i], -1, -1, 0),
                             1);
    if (cn)
        assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                                    (const unsigned char *)cn, -1, -1, 0),
                         1);
    assert_int_equal(
        X509_set_issuer_name(p.cert, issuer ? X509_get_subject_name(issuer->cert) : name), 1);
    assert_int_equal(X509_set_pubkey(p.cert, p.key), 1);
    /* Key identifiers, as Go's crypto/x509 (kubeadm, kube-controller-manager) writes them:
     * with two CAs of one name in a bundle, as in a CA rotation, they pick the issuer. */
    X509 *icert = issuer ? issuer->cert : p.cert;
    add_ext(p.cert, icert, NID_subject_key_identifier, "hash");
    if (issuer) add_ext(p.cert, icert, NID_authority_key_identifier, "keyid:always");
    switch (usage) {
    case CA:
        add_ext(p.cert, icert, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(p.cert, icert, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
        break;
    case CLIENT:
        add_ext(p.cert, icert, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(p.cert, icert, NID_key_usage, "critical,digitalSignature");
        add_ext(p.cert, icert, NID_ext_key_usage, "clientAuth");
        break;
    case SERVER:
        add_ext(p.cert, icert, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(p.cert, icert, NID_key_usage, "critical,digitalSignature");
        add_ext(p.cert, icert, NID_ext_key_usage, "serverAuth");
        break;
    case NO_EKU:
        break;
    }
    assert_true(X509_sign(p.cert, issuer ? issuer->key : p.key, EVP_sha256()) > 0);

    bio = BIO_new(BIO_s_mem());
    assert_non_null(bio);
    assert_int_equal(PEM_write_bio_X509(bio, p.cert), 1);
    n = BIO_get_mem_data(bio, &data);
    p.pem = malloc((size_t)n + 1); /* the BIO's data is not NUL-terminated */
    assert_non_null(p.pem);
    memcpy(p.pem, data, (size_t)n);
    p.pem[n] = '\0';
    BIO_free(bio);
    return p;
}

static void pki_free(struct pki *p)
{
    EVP_PKEY_free(p->key);
    X509_free(p->cert);
    free(p->pem);
    memset(p, 0, sizeof(*p));
}

/* The fixture: two CAs as a kubeadm cluster has them (cluster CA for client certificates,
 * front-proxy CA), an unrelated CA, and certificates from each. */
static struct pki proxy_ca, client_ca, other_ca, inter_ca;
static struct pki front_proxy;     /* proxy CA, CN front-proxy-client */
static struct pki other_proxy;     /* proxy CA, CN aggregator (not an allowed name) */
static struct pki rogue_proxy;     /* other CA, CN front-proxy-client */
static struct pki alice;           /* client CA, CN alice, O dev, O ops */
static struct pki expired;         /* client CA, expired yesterday */
static struct pki not_yet;         /* client CA, valid from tomorrow */
static struct pki server_only;     /* client CA, EKU serverAuth only */
static struct pki no_eku;          /* client CA, no EKU at all */
static struct pki no_cn;           /* client CA, O only */
static struct pki via_inter;       /* inter CA (signed by client CA), CN carol */
static struct pki proxy_as_client; /* proxy CA, CN mallory, O system:masters */
static struct pki client_as_proxy; /* client CA, CN front-proxy-client */

static int group_setup(void **state)
{
    (void)state;
    proxy_ca = mint("front-proxy-ca", NULL, NULL, NULL, CA, -HOUR, DAY);
    client_ca = mint("kubernetes", NULL, NULL, NULL, CA, -HOUR, DAY);
    other_ca = mint("kubernetes", NULL, NULL, NULL, CA, -HOUR, DAY); /* same name, other key */
    inter_ca = mint("kubernetes-intermediate", NULL, NULL, &client_ca, CA, -HOUR, DAY);
    front_proxy = mint("front-proxy-client", NULL, NULL, &proxy_ca, CLIENT, -HOUR, DAY);
    other_proxy = mint("aggregator", NULL, NULL, &proxy_ca, CLIENT, -HOUR, DAY);
    rogue_proxy = mint("front-proxy-client", NULL, NULL, &other_ca, CLIENT, -HOUR, DAY);
    alice = mint("alice", "dev", "ops", &client_ca, CLIENT, -HOUR, DAY);
    expired = mint("old", NULL, NULL, &client_ca, CLIENT, -2 * DAY, -DAY);
    not_yet = mint("early", NULL, NULL, &client_ca, CLIENT, DAY, 2 * DAY);
    server_only = mint("server", NULL, NULL, &client_ca, SERVER, -HOUR, DAY);
    no_eku = mint("plain", NULL, NULL, &client_ca, NO_EKU, -HOUR, DAY);
    no_cn = mint(NULL, "nameless", NULL, &client_ca, CLIENT, -HOUR, DAY);
    via_inter = mint("carol", NULL, NULL, &inter_ca, CLIENT, -HOUR, DAY);
    proxy_as_client = mint("mallory", "system:masters", NULL, &proxy_ca, CLIENT, -HOUR, DAY);
    client_as_proxy = mint("front-proxy-client", NULL, NULL, &client_ca, CLIENT, -HOUR, DAY);
    return 0;
}

static int group_teardown(void **state)
{
    struct pki *all[] = {&proxy_ca,    &client_ca,   &other_ca,        &inter_ca,
                         &front_proxy, &other_proxy, &rogue_proxy,     &alice,
                         &expired,     &not_yet,     &server_only,     &no_eku,
                         &no_cn,       &via_inter,   &proxy_as_client, &client_as_proxy};
    (void)state;
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        pki_free(all[i]);
    return 0;
}

static char errbuf[256];

static char **list_of(const char *a, const char *b)
{
    char **v = calloc(3, sizeof(char *));
    assert_non_null(v);
    v[0] = a ? strdup(a) : NULL;
    v[1] = a && b ? strdup(b) : NULL;
    return v;
}

static size_t list_len(char **v)
{
    size_t n = 0;
    while (v[n])
        n++;
    return n;
}

/* A configuration from these PEMs and lists (taken; NULL: not given). */
static struct authn_config *config_of(const char *client, const char *proxy, char **allowed,
                                      char **users)
{
    struct authn_source s = {.allowed_names = allowed, .username_headers = users};
    struct authn_config *c;

    s.client_ca_pem = client ? strdup(client) : NULL;
    s.requestheader_ca_pem = proxy ? strdup(proxy) : NULL;
    c = authn_config_new(&s, errbuf, sizeof(errbuf));
    authn_source_done(&s);
    assert_non_null(c);
    return c;
}

/* kubeadm's trust: client CA, front-proxy CA, allowed name front-proxy-client, default
 * headers. */
static struct authn_config *kubeadm_config(void)
{
    return config_of(client_ca.pem, proxy_ca.pem, list_of("front-proxy-client", NULL), NULL);
}

/* --- authn_config_new ------------------------------------------------------------------ */

static void test_build(void **state)
{
    struct authn_source s = {0};
    struct authn_config *c, *c2;
    char *both;

    (void)state;
    assert_true(asprintf(&both, "%s%s", client_ca.pem, other_ca.pem) > 0);
    s.client_ca_pem = both; /* a bundle of two */
    s.requestheader_ca_pem = strdup(proxy_ca.pem);
    s.allowed_names = list_of("Front-Proxy-Client", "other");
    s.username_headers = list_of("X-Remote-User", "X-FORWARDED-USER");
    s.group_headers = list_of("X-Remote-Group", NULL);
    s.extra_prefixes = list_of("X-Remote-Extra-", NULL);
    c = authn_config_new(&s, errbuf, sizeof(errbuf));
    assert_non_null(c);
    assert_non_null(c->client_ca);
    assert_non_null(c->requestheader_ca);
    /* header names lower-cased, certificate names as they are */
    assert_int_equal(list_len(c->allowed_names), 2);
    assert_string_equal(c->allowed_names[0], "Front-Proxy-Client");
    assert_int_equal(list_len(c->username_headers), 2);
    assert_string_equal(c->username_headers[0], "x-remote-user");
    assert_string_equal(c->username_headers[1], "x-forwarded-user");
    assert_int_equal(list_len(c->group_headers), 1);
    assert_string_equal(c->group_headers[0], "x-remote-group");
    assert_string_equal(c->extra_prefixes[0], "x-remote-extra-");
    /* the source is copied, not taken */
    assert_string_equal(s.username_headers[0], "X-Remote-User");
    /* the CertificateRequest names every CA subject of both bundles */
    assert_int_equal(sk_X509_NAME_num(c->ca_names), 3);
    assert_int_equal(
        X509_NAME_cmp(sk_X509_NAME_value(c->ca_names, 0), X509_get_subject_name(client_ca.cert)),
        0);
    assert_int_equal(
        X509_NAME_cmp(sk_X509_NAME_value(c->ca_names, 2), X509_get_subject_name(proxy_ca.cert)), 0);
    /* both CAs of the bundle are trusted */
    assert_true(authn_cert_verified(c->client_ca, alice.cert, NULL));
    assert_true(authn_cert_verified(c->client_ca, rogue_proxy.cert, NULL));
    assert_false(authn_cert_verified(c->client_ca, front_proxy.cert, NULL));

    /* each build is a new generation */
    c2 = authn_config_new(&s, errbuf, sizeof(errbuf));
    assert_non_null(c2);
    assert_true(c->generation > 0);
    assert_int_equal(c2->generation, c->generation + 1);
    authn_config_free(c2);
    authn_config_free(c);
    authn_source_done(&s);
    authn_config_free(NULL);
}

static void test_build_defaults(void **state)
{
    struct authn_source s = {0};
    struct authn_config *c;

    (void)state;
    /* a requestheader CA and no header lists: the kube-apiserver defaults */
    s.requestheader_ca_pem = strdup(proxy_ca.pem);
    c = authn_config_new(&s, errbuf, sizeof(errbuf));
    assert_non_null(c);
    assert_null(c->client_ca);
    assert_null(c->allowed_names[0]); /* any name the CA signed */
    assert_int_equal(list_len(c->username_headers), 1);
    assert_string_equal(c->username_headers[0], "x-remote-user");
    assert_int_equal(list_len(c->group_headers), 1);
    assert_string_equal(c->group_headers[0], "x-remote-group");
    assert_int_equal(list_len(c->extra_prefixes), 1);
    assert_string_equal(c->extra_prefixes[0], "x-remote-extra-");
    assert_int_equal(sk_X509_NAME_num(c->ca_names), 1);
    authn_config_free(c);

    /* lists given but empty ("[]"): the defaults too */
    s.username_headers = list_of(NULL, NULL);
    s.group_headers = list_of(NULL, NULL);
    s.extra_prefixes = list_of(NULL, NULL);
    c = authn_config_new(&s, errbuf, sizeof(errbuf));
    assert_non_null(c);
    assert_string_equal(c->username_headers[0], "x-remote-user");
    assert_string_equal(c->group_headers[0], "x-remote-group");
    assert_string_equal(c->extra_prefixes[0], "x-remote-extra-");
    authn_config_free(c);

    /* no requestheader CA: no defaults, whatever the lists */
    free(s.requestheader_ca_pem);
    s.requestheader_ca_pem = NULL;
    s.client_ca_pem = strdup(client_ca.pem);
    c = authn_config_new(&s, errbuf, sizeof(errbuf));
    assert_non_null(c);
    assert_non_null(c->client_ca);
    assert_null(c->requestheader_ca);
    assert_null(c->username_headers[0]);
    assert_null(c->group_headers[0]);
    assert_null(c->extra_prefixes[0]);
    authn_config_free(c);
    authn_source_done(&s);

    /* nothing at all: a configuration that trusts no certificate */
    c = authn_config_new(&s, errbuf, sizeof(errbuf));
    assert_non_null(c);
    assert_null(c->client_ca);
    assert_null(c->requestheader_ca);
    assert_null(c->username_headers[0]);
    assert_int_equal(sk_X509_NAME_num(c->ca_names), 0);
    authn_config_free(c);
}

static void expect_build_fail(const char *client, const char *proxy, const char *msg)
{
    struct authn_source s = {0};

    s.client_ca_pem = client ? strdup(client) : NULL;
    s.requestheader_ca_pem = proxy ? strdup(proxy) : NULL;
    memset(errbuf, 0, sizeof(errbuf));
    assert_null(authn_config_new(&s, errbuf, sizeof(errbuf)));
    assert_string_equal(errbuf, msg);
    authn_source_done(&s);
}

static void test_build_bad_pem(void **state)
{
    size_t n = strlen(client_ca.pem);
    char *buf = malloc(2 * n + 64), *p;
    BIO *bio;

    (void)state;
    assert_non_null(buf);
    expect_build_fail("", NULL, "client-ca-file: no certificate in the CA bundle");
    expect_build_fail("garbage", NULL, "client-ca-file: no certificate in the CA bundle");
    expect_build_fail(client_ca.pem, "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n",
                      "requestheader-client-ca-file: no certificate in the CA bundle");

    /* a private key is not a CA */
    bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(bio, client_ca.key, NULL, NULL, 0, NULL, NULL), 1);
    assert_int_equal(BIO_write(bio, "", 1), 1);
    BIO_get_mem_data(bio, &p);
    expect_build_fail(p, NULL, "client-ca-file: no certificate in the CA bundle");
    BIO_free(bio);

    /* one good certificate then one cut in the middle: refused, not half-trusted */
    snprintf(buf, 2 * n + 64, "%s%.*s", client_ca.pem, (int)(n / 2), other_ca.pem);
    expect_build_fail(buf, NULL, "client-ca-file: corrupt certificate in the CA bundle");
    expect_build_fail(client_ca.pem, buf,
                      "requestheader-client-ca-file: corrupt certificate in the CA bundle");
    /* ... or with its END line but bytes missing inside */
    snprintf(buf, 2 * n + 64, "%s%.*s%s", client_ca.pem, 100, other_ca.pem,
             strstr(other_ca.pem, "-----END"));
    expect_build_fail(buf, NULL, "client-ca-file: corrupt certificate in the CA bundle");
    /* ... or altered base64 (the DER no longer parses) */
    snprintf(buf, 2 * n + 64, "%s%s", client_ca.pem, other_ca.pem);
    p = buf + n + strlen("-----BEGIN CERTIFICATE-----\n") + 10;
    *p = *p == '!' ? '?' : '!';
    expect_build_fail(buf, NULL, "client-ca-file: corrupt certificate in the CA bundle");

    /* prose around the certificates is allowed, as in ca-certificates bundles */
    snprintf(buf, 2 * n + 64, "# cluster CA\n%s\n# end\n", client_ca.pem);
    {
        struct authn_source s = {.client_ca_pem = strdup(buf)};
        struct authn_config *c = authn_config_new(&s, errbuf, sizeof(errbuf));
        assert_non_null(c);
        assert_true(authn_cert_verified(c->client_ca, alice.cert, NULL));
        authn_config_free(c);
        authn_source_done(&s);
    }
    free(buf);

    /* authn_pem_store on its own: over the size cap */
    assert_null(
        authn_pem_store(client_ca.pem, AUTHN_CONFIG_MAX_PEM + 1, NULL, errbuf, sizeof(errbuf)));
}

/* --- authn_cert_verified ------------------------------------------------------------------ */

static X509_STORE *store_of(const struct pki *ca)
{
    X509_STORE *s = authn_pem_store(ca->pem, strlen(ca->pem), NULL, errbuf, sizeof(errbuf));
    assert_non_null(s);
    return s;
}

static void test_cert_verified(void **state)
{
    X509_STORE *cs = store_of(&client_ca), *ps = store_of(&proxy_ca);
    STACK_OF(X509) *chain = sk_X509_new_null();

    (void)state;
    assert_true(authn_cert_verified(cs, alice.cert, NULL));
    assert_true(authn_cert_verified(ps, front_proxy.cert, NULL));
    /* another CA, even one with the same subject name */
    assert_false(authn_cert_verified(cs, front_proxy.cert, NULL));
    assert_false(authn_cert_verified(ps, alice.cert, NULL));
    assert_false(authn_cert_verified(ps, rogue_proxy.cert, NULL));
    assert_false(authn_cert_verified(cs, rogue_proxy.cert, NULL));
    /* outside its validity */
    assert_false(authn_cert_verified(cs, expired.cert, NULL));
    assert_false(authn_cert_verified(cs, not_yet.cert, NULL));
    /* usage: serverAuth only is not for clients; no EKU at all is (as in Go's crypto/x509) */
    assert_false(authn_cert_verified(cs, server_only.cert, NULL));
    assert_true(authn_cert_verified(cs, no_eku.cert, NULL));
    /* the CA's own certificate as the leaf: a trust anchor verifies as itself, in OpenSSL as
     * in Go (k8s.io/apiserver would accept it too). Presenting it in a handshake takes the
     * CA's private key, which can sign any client certificate anyway. */
    assert_true(authn_cert_verified(cs, client_ca.cert, NULL));
    assert_false(authn_cert_verified(ps, client_ca.cert, NULL));
    /* through an intermediate: only with the chain the client sent */
    assert_false(authn_cert_verified(cs, via_inter.cert, NULL));
    assert_false(authn_cert_verified(cs, via_inter.cert, chain));
    assert_true(sk_X509_push(chain, inter_ca.cert) > 0);
    assert_true(authn_cert_verified(cs, via_inter.cert, chain));
    assert_false(authn_cert_verified(ps, via_inter.cert, chain));
    /* a chain cannot make a certificate of another CA trusted */
    assert_true(sk_X509_push(chain, other_ca.cert) > 0);
    assert_false(authn_cert_verified(cs, rogue_proxy.cert, chain));
    /* nothing to verify against, or nothing to verify */
    assert_false(authn_cert_verified(NULL, alice.cert, NULL));
    assert_false(authn_cert_verified(cs, NULL, NULL));
    sk_X509_free(chain);
    X509_STORE_free(cs);
    X509_STORE_free(ps);
}

/* --- authn_request ------------------------------------------------------------------------ */

static h2o_req_t *req_new(void)
{
    h2o_req_t *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    h2o_mem_init_pool(&r->pool);
    return r;
}

/* As h2o's parsers leave them: names lower case unless a test says otherwise. */
static void hdr_n(h2o_req_t *r, const char *name, const char *value, size_t vlen)
{
    h2o_iovec_t n = h2o_strdup(&r->pool, name, SIZE_MAX), v = h2o_strdup(&r->pool, value, vlen);
    h2o_add_header_by_str(&r->pool, &r->headers, n.base, n.len, 1, NULL, v.base, v.len);
}

static void hdr(h2o_req_t *r, const char *name, const char *value)
{
    hdr_n(r, name, value, strlen(value));
}

/* A request with these headers: name, value, name, value, ..., NULL. */
static h2o_req_t *req_of(const char *const *nv)
{
    h2o_req_t *r = req_new();
    for (; nv[0]; nv += 2)
        hdr(r, nv[0], nv[1]);
    return r;
}

#define REQ(...) req_of((const char *const[]){__VA_ARGS__, NULL})

static void req_free(h2o_req_t *r)
{
    h2o_mem_clear_pool(&r->pool);
    free(r);
}

static struct tls_peer peer_new(const struct pki *p)
{
    return (struct tls_peer){.leaf = p->cert, .chain = NULL, .generation = 0};
}

/* What authn.c caches on the peer (the leaf belongs to the fixture). */
static void peer_clear(struct tls_peer *p)
{
    free(p->user);
    for (char **g = p->groups; g && *g; g++)
        free(*g);
    free(p->groups);
}

struct outcome {
    enum authn_result r;
    struct user_info u;
    h2o_iovec_t token;
    const char *why;
};

/* One request on a fresh connection with cert (NULL: none). */
static struct outcome run(const struct authn_config *c, h2o_req_t *req, const struct pki *cert)
{
    struct outcome o = {.why = "unset"};
    struct tls_peer peer = cert ? peer_new(cert) : (struct tls_peer){0};

    memset(&o.u, 0x5a, sizeof(o.u)); /* garbage in: never read or freed */
    o.r = authn_request(c, req, cert ? &peer : NULL, &o.u, &o.token, &o.why);
    if (cert) peer_clear(&peer);
    return o;
}

static bool all_zero(const struct user_info *u)
{
    static const struct user_info zero;
    return memcmp(u, &zero, sizeof(zero)) == 0;
}

/* The request must authenticate name (how: "front-proxy" or "client-certificate") with
 * ngroups groups; the user is returned for more checks, and freeing. */
static struct user_info expect_user(const struct authn_config *c, h2o_req_t *req,
                                    const struct pki *cert, const char *how, const char *name,
                                    size_t ngroups)
{
    struct outcome o = run(c, req, cert);

    assert_int_equal(o.r, AUTHN_USER);
    assert_string_equal(o.why, how);
    assert_string_equal(o.u.name, name);
    assert_int_equal(o.u.ngroups, ngroups);
    return o.u;
}

static void expect_user_free(const struct authn_config *c, h2o_req_t *req, const struct pki *cert,
                             const char *how, const char *name, size_t ngroups)
{
    struct user_info u = expect_user(c, req, cert, how, name, ngroups);
    user_info_done(&u);
}

/* The request must authenticate no one, with result r; returns why. */
static const char *expect_no_user(const struct authn_config *c, h2o_req_t *req,
                                  const struct pki *cert, enum authn_result r)
{
    struct outcome o = run(c, req, cert);

    assert_int_equal(o.r, r);
    assert_true(all_zero(&o.u));
    return o.why;
}

#define NOT_TRUSTED "client certificate not trusted, and no bearer token"
#define NO_CREDENTIALS "no client certificate or bearer token"
#define PROXY_ERROR "front-proxy headers malformed or over the limits"

static void test_front_proxy(void **state)
{
    struct authn_config *c = kubeadm_config();
    h2o_req_t *req;
    struct user_info u;
    struct outcome o;

    (void)state;
    req = REQ("x-remote-user", "bob", "x-remote-group", "system:authenticated",
              "x-remote-extra-foo%2fbar", "one", "x-remote-group", "dev",
              "X-Remote-Extra-Foo%2FBar", "two", "x-remote-extra-scopes", "read",
              "x-remote-extra-a%41b", "escaped upper case stays", "x-remote-extra-",
              "no key: ignored", "authorization", "Bearer ignored-for-a-proxied-user");
    u = expect_user(c, req, &front_proxy, "front-proxy", "bob", 2);
    assert_null(u.uid);
    assert_string_equal(u.groups[0], "system:authenticated");
    assert_string_equal(u.groups[1], "dev");
    assert_int_equal(u.nextra, 3);
    assert_string_equal(u.extra[0].key, "foo/bar");
    assert_int_equal(u.extra[0].nvalues, 2);
    assert_string_equal(u.extra[0].values[0], "one");
    assert_string_equal(u.extra[0].values[1], "two");
    assert_string_equal(user_info_extra(&u, "scopes"), "read");
    assert_string_equal(user_info_extra(&u, "aAb"), "escaped upper case stays");
    user_info_done(&u);
    req_free(req);

    /* mixed-case header names (HTTP/1 clients send them so) still count */
    req = REQ("X-Remote-User", "carol", "X-REMOTE-GROUP", "ops");
    u = expect_user(c, req, &front_proxy, "front-proxy", "carol", 1);
    assert_string_equal(u.groups[0], "ops");
    user_info_done(&u);
    req_free(req);

    /* an empty username is no username: the proxy authenticates no one, and its certificate
     * is not a client certificate */
    req = REQ("x-remote-user", "", "x-remote-group", "system:masters");
    assert_string_equal(expect_no_user(c, req, &front_proxy, AUTHN_NONE), NOT_TRUSTED);
    /* ... then a bearer token is what counts */
    hdr(req, "authorization", "Bearer tok");
    o = run(c, req, &front_proxy);
    assert_int_equal(o.r, AUTHN_TOKEN);
    assert_true(h2o_memis(o.token.base, o.token.len, H2O_STRLIT("tok")));
    req_free(req);
    authn_config_free(c);
}

static void test_front_proxy_username_order(void **state)
{
    struct authn_config *c =
        config_of(NULL, proxy_ca.pem, NULL, list_of("X-Remote-User", "X-Forwarded-User"));
    h2o_req_t *req;

    (void)state;
    /* the first header name of the list wins, wherever it is among the headers; with no
     * allowed names any CN the proxy CA signed is a proxy; the default group header applies */
    req = REQ("x-forwarded-user", "second", "x-remote-user", "first");
    expect_user_free(c, req, &other_proxy, "front-proxy", "first", 0);
    req_free(req);
    req = REQ("x-forwarded-user", "second", "x-remote-group", "g");
    expect_user_free(c, req, &other_proxy, "front-proxy", "second", 1);
    req_free(req);
    authn_config_free(c);
}

static void test_untrusted_proxies(void **state)
{
    struct authn_config *c = kubeadm_config();
    h2o_req_t *req = REQ("x-remote-user", "system:admin", "x-remote-group", "system:masters");
    struct outcome o;

    (void)state;
    /* the proxy CA signed it, but its CN is not an allowed name */
    assert_string_equal(expect_no_user(c, req, &other_proxy, AUTHN_NONE), NOT_TRUSTED);
    /* the allowed CN, from another CA */
    assert_string_equal(expect_no_user(c, req, &rogue_proxy, AUTHN_NONE), NOT_TRUSTED);
    /* client certificates that do not verify: expired, or only for servers */
    expect_no_user(c, req, &expired, AUTHN_NONE);
    expect_no_user(c, req, &server_only, AUTHN_NONE);
    /* no certificate at all, no configuration yet */
    assert_string_equal(expect_no_user(c, req, NULL, AUTHN_NONE), NO_CREDENTIALS);
    expect_no_user(NULL, req, &front_proxy, AUTHN_NONE);
    /* the forged headers are still ignored when a bearer token comes along */
    hdr(req, "authorization", "Bearer abc");
    o = run(c, req, &other_proxy);
    assert_int_equal(o.r, AUTHN_TOKEN);
    assert_true(all_zero(&o.u));
    assert_true(h2o_memis(o.token.base, o.token.len, H2O_STRLIT("abc")));
    req_free(req);
    authn_config_free(c);
}

static void test_client_certificate(void **state)
{
    struct authn_config *c = kubeadm_config(), *c2;
    /* headers forged by a client: its identity is its certificate's */
    h2o_req_t *req = REQ("x-remote-user", "system:admin", "x-remote-group", "system:masters",
                         "x-remote-extra-scopes", "all", "authorization", "Bearer also-ignored");
    struct tls_peer peer;
    struct outcome o;
    struct user_info u;

    (void)state;
    u = expect_user(c, req, &alice, "client-certificate", "alice", 2);
    assert_string_equal(u.groups[0], "dev");
    assert_string_equal(u.groups[1], "ops");
    assert_int_equal(u.nextra, 0);
    user_info_done(&u);

    /* the front proxy's name on a certificate of the client CA: a client, not a proxy */
    expect_user_free(c, req, &client_as_proxy, "client-certificate", "front-proxy-client", 0);
    /* a front-proxy certificate is not a client certificate: its O is not a group */
    expect_no_user(c, req, &proxy_as_client, AUTHN_TOKEN);

    /* with an intermediate the client sent */
    peer = peer_new(&via_inter);
    peer.chain = sk_X509_new_null();
    assert_true(sk_X509_push(peer.chain, inter_ca.cert) > 0);
    o.r = authn_request(c, req, &peer, &o.u, &o.token, &o.why);
    assert_int_equal(o.r, AUTHN_USER);
    assert_string_equal(o.u.name, "carol");
    assert_int_equal(o.u.ngroups, 0);
    user_info_done(&o.u);
    sk_X509_free(peer.chain);
    peer_clear(&peer);

    /* a certificate without a CN names no one; verdicts are recomputed per configuration
     * generation and its identity is read once (ASan: nothing leaks across reloads) */
    peer = peer_new(&no_cn);
    o.r = authn_request(c, req, &peer, &o.u, &o.token, &o.why);
    assert_int_equal(o.r, AUTHN_TOKEN);
    assert_null(peer.user);
    assert_string_equal(peer.groups[0], "nameless");
    c2 = kubeadm_config();
    o.r = authn_request(c2, req, &peer, &o.u, &o.token, &o.why);
    assert_int_equal(o.r, AUTHN_TOKEN);
    assert_int_equal(peer.generation, c2->generation);
    peer_clear(&peer);
    authn_config_free(c2);
    req_free(req);
    authn_config_free(c);
}

/* With no allowed names any certificate the proxy CA signed is a proxy; one of the client CA
 * still is not, whatever headers it sends. */
static void test_any_proxy_name(void **state)
{
    struct authn_config *c = config_of(client_ca.pem, proxy_ca.pem, NULL, NULL);
    h2o_req_t *req = REQ("x-remote-user", "system:admin", "x-remote-group", "system:masters");
    struct user_info u;

    (void)state;
    expect_user_free(c, req, &proxy_as_client, "front-proxy", "system:admin", 1);
    u = expect_user(c, req, &alice, "client-certificate", "alice", 2);
    assert_string_equal(u.groups[0], "dev");
    user_info_done(&u);
    expect_no_user(c, req, &rogue_proxy, AUTHN_NONE);
    req_free(req);
    authn_config_free(c);
}

static void test_verdict_follows_reload(void **state)
{
    struct authn_config *c = kubeadm_config(), *c2;
    h2o_req_t *req = REQ("x-remote-user", "bob");
    struct tls_peer peer = peer_new(&front_proxy);
    struct user_info u;
    h2o_iovec_t token;
    const char *why;

    (void)state;
    assert_int_equal(authn_request(c, req, &peer, &u, &token, &why), AUTHN_USER);
    assert_int_equal(peer.generation, c->generation);
    user_info_done(&u);
    /* the same connection after a reload that no longer trusts the front-proxy CA */
    c2 = config_of(client_ca.pem, NULL, NULL, NULL);
    assert_int_equal(authn_request(c2, req, &peer, &u, &token, &why), AUTHN_NONE);
    assert_true(all_zero(&u));
    assert_int_equal(peer.generation, c2->generation);
    /* and back */
    assert_int_equal(authn_request(c, req, &peer, &u, &token, &why), AUTHN_USER);
    user_info_done(&u);
    peer_clear(&peer);
    authn_config_free(c2);
    authn_config_free(c);
    req_free(req);
}

static void test_front_proxy_limits(void **state)
{
    struct authn_config *c = kubeadm_config();
    h2o_req_t *req = REQ("x-remote-user", "bob");
    char name[300], value[32];
    struct user_info u;

    (void)state;
    for (int i = 0; i < USER_INFO_MAX_GROUPS; i++) {
        snprintf(value, sizeof(value), "g%d", i);
        hdr(req, "x-remote-group", value);
    }
    expect_user_free(c, req, &front_proxy, "front-proxy", "bob", USER_INFO_MAX_GROUPS);
    hdr(req, "x-remote-group", "one-too-many");
    assert_string_equal(expect_no_user(c, req, &front_proxy, AUTHN_ERROR), PROXY_ERROR);
    req_free(req);

    /* extra keys */
    req = REQ("x-remote-user", "bob");
    for (int i = 0; i <= USER_INFO_MAX_EXTRA; i++) {
        snprintf(name, sizeof(name), "x-remote-extra-k%d", i);
        hdr(req, name, "v");
    }
    assert_string_equal(expect_no_user(c, req, &front_proxy, AUTHN_ERROR), PROXY_ERROR);
    req_free(req);

    /* an extra key longer than 255 bytes is ignored, not truncated */
    memset(name, 'k', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    memcpy(name, "x-remote-extra-", 15);
    req = REQ("x-remote-user", "bob", name, "v");
    u = expect_user(c, req, &front_proxy, "front-proxy", "bob", 0);
    assert_int_equal(u.nextra, 0);
    user_info_done(&u);
    req_free(req);
    authn_config_free(c);
}

static void test_front_proxy_nul(void **state)
{
    struct authn_config *c = kubeadm_config();
    h2o_req_t *req;

    (void)state;
    /* %00 in an extra key would cut it short: "a%00b" and "a%00c" are not both "a" */
    req = REQ("x-remote-user", "bob", "x-remote-extra-a%00b", "1", "x-remote-extra-a%00c", "2");
    assert_string_equal(expect_no_user(c, req, &front_proxy, AUTHN_ERROR), PROXY_ERROR);
    req_free(req);

    /* a NUL in a value (HTTP/2 carries any byte) would cut the name or group short */
    req = req_new();
    hdr_n(req, "x-remote-user", "admin\0-not", 10);
    expect_no_user(c, req, &front_proxy, AUTHN_ERROR);
    req_free(req);
    req = REQ("x-remote-user", "bob");
    hdr_n(req, "x-remote-group", "system:masters\0-not", 19);
    expect_no_user(c, req, &front_proxy, AUTHN_ERROR);
    req_free(req);
    req = REQ("x-remote-user", "bob");
    hdr_n(req, "x-remote-extra-k", "v\0w", 3);
    expect_no_user(c, req, &front_proxy, AUTHN_ERROR);
    req_free(req);
    authn_config_free(c);
}

static void test_bearer(void **state)
{
    static const struct {
        const char *value;
        const char *token; /* NULL: none */
    } cases[] = {
        {"Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"},
        {"bearer abc", "abc"},
        {"BEARER abc", "abc"},
        {"Bearer   padded", "padded"},
        {"Bearer x", "x"},
        {"Bearer ", NULL},
        {"Bearer    ", NULL},
        {"Bearer", NULL},
        {"Bearerabc", NULL},
        {"Basic YWxpY2U6cGFzc3dvcmQ=", NULL},
        {"", NULL},
    };
    struct authn_config *c = kubeadm_config();

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        h2o_req_t *req = REQ("authorization", cases[i].value);
        struct outcome o;

        if (!cases[i].token) {
            assert_string_equal(expect_no_user(c, req, NULL, AUTHN_NONE), NO_CREDENTIALS);
            req_free(req);
            continue;
        }
        o = run(c, req, NULL);
        assert_int_equal(o.r, AUTHN_TOKEN);
        assert_true(all_zero(&o.u));
        assert_int_equal(o.token.len, strlen(cases[i].token));
        assert_memory_equal(o.token.base, cases[i].token, o.token.len);
        /* it points into the request's header */
        assert_ptr_equal(o.token.base + o.token.len,
                         req->headers.entries[0].value.base + strlen(cases[i].value));
        req_free(req);
    }
    authn_config_free(c);
}

/* From the ConfigMap as published to a request, with real certificates in it. */
static void test_configmap_end_to_end(void **state)
{
    json_t *cm = json_pack(
        "{s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s,s:s}}", "kind", "ConfigMap", "apiVersion", "v1", "data",
        "client-ca-file", client_ca.pem, "requestheader-client-ca-file", proxy_ca.pem,
        "requestheader-allowed-names", "[\"front-proxy-client\"]", "requestheader-username-headers",
        "[\"X-Remote-User\"]", "requestheader-group-headers", "[\"X-Remote-Group\"]",
        "requestheader-extra-headers-prefix", "[\"X-Remote-Extra-\"]");
    char *json = json_dumps(cm, JSON_COMPACT);
    struct authn_source s;
    struct authn_config *c;
    h2o_req_t *req =
        REQ("x-remote-user", "system:kube-aggregator", "x-remote-group", "system:authenticated");

    (void)state;
    assert_non_null(json);
    assert_int_equal(authn_source_from_configmap(json, strlen(json), &s, errbuf, sizeof(errbuf)),
                     0);
    c = authn_config_new(&s, errbuf, sizeof(errbuf));
    assert_non_null(c);
    expect_user_free(c, req, &front_proxy, "front-proxy", "system:kube-aggregator", 1);
    expect_user_free(c, req, &alice, "client-certificate", "alice", 2);
    expect_no_user(c, req, &other_proxy, AUTHN_NONE);
    req_free(req);
    authn_config_free(c);
    authn_source_done(&s);
    free(json);
    json_decref(cm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_build_defaults),
        cmocka_unit_test(test_build_bad_pem),
        cmocka_unit_test(test_cert_verified),
        cmocka_unit_test(test_front_proxy),
        cmocka_unit_test(test_front_proxy_username_order),
        cmocka_unit_test(test_untrusted_proxies),
        cmocka_unit_test(test_client_certificate),
        cmocka_unit_test(test_any_proxy_name),
        cmocka_unit_test(test_verdict_follows_reload),
        cmocka_unit_test(test_front_proxy_limits),
        cmocka_unit_test(test_front_proxy_nul),
        cmocka_unit_test(test_bearer),
        cmocka_unit_test(test_configmap_end_to_end),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
