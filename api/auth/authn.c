#include "authn.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509v3.h>

#include "hex.h"

#define VERDICT_PROXY 1
#define VERDICT_CLIENT 2

bool authn_cert_verified(X509_STORE *store, X509 *leaf, STACK_OF(X509) * chain)
{
    X509_STORE_CTX *ctx;
    bool ok;

    if (!store || !leaf || !(ctx = X509_STORE_CTX_new())) return false;
    ok = X509_STORE_CTX_init(ctx, store, leaf, chain) == 1 &&
         X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) == 1 &&
         X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
    return ok;
}

/* The certificate's CN (first) and O values. */
static int cert_identity(X509 *leaf, char **cn, char ***orgs)
{
    X509_NAME *subj = X509_get_subject_name(leaf);
    int n = X509_NAME_entry_count(subj), k = 0;

    *cn = NULL;
    *orgs = calloc((size_t)n + 1, sizeof(char *));
    if (!*orgs) return -1;
    for (int i = 0; i < n; i++) {
        X509_NAME_ENTRY *e = X509_NAME_get_entry(subj, i);
        int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
        unsigned char *utf8 = NULL;
        int len;

        if (nid != NID_commonName && nid != NID_organizationName) continue;
        if ((len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e))) < 0) continue;
        if (memchr(utf8, 0, (size_t)len)) { /* an embedded NUL would truncate the name */
            OPENSSL_free(utf8);
            continue;
        }
        if (nid == NID_commonName && !*cn)
            *cn = strndup((char *)utf8, (size_t)len);
        else if (nid == NID_organizationName)
            (*orgs)[k++] = strndup((char *)utf8, (size_t)len);
        OPENSSL_free(utf8);
    }
    return 0;
}

/* Verifies the connection's certificate once per configuration generation. */
static int peer_verdict(const struct authn_config *cfg, struct tls_peer *p)
{
    if (p->generation == cfg->generation) return p->verdict;
    p->verdict = 0;
    if (authn_cert_verified(cfg->requestheader_ca, p->leaf, p->chain)) p->verdict |= VERDICT_PROXY;
    if (authn_cert_verified(cfg->client_ca, p->leaf, p->chain)) p->verdict |= VERDICT_CLIENT;
    /* Once per connection: a certificate without a CN leaves user NULL but groups set. */
    if (!p->user && !p->groups && p->verdict) {
        char **orgs = NULL;
        if (cert_identity(p->leaf, &p->user, &orgs) == 0) p->groups = orgs;
    }
    p->generation = cfg->generation;
    return p->verdict;
}

static bool name_allowed(const struct authn_config *cfg, const char *cn)
{
    if (!cfg->allowed_names[0]) return true;
    for (char **n = cfg->allowed_names; *n; n++)
        if (cn && strcmp(*n, cn) == 0) return true;
    return false;
}

static bool header_is(const h2o_header_t *h, const char *lower)
{
    size_t n = strlen(lower);
    return h->name->len == n && strncasecmp(h->name->base, lower, n) == 0;
}

/* Extra keys travel %-escaped and case-folded in header names (k8s unescapes them). */
static size_t unescape_lower(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hex_value(s[i + 1])) >= 0 &&
            (lo = hex_value(s[i + 2])) >= 0) {
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            char c = s[i];
            out[o++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
    }
    return o;
}

/* A NUL would cut the C string short: "a%00b" and "a%00c" would both become extra "a". */
static bool has_nul(const char *s, size_t n)
{
    return memchr(s, '\0', n) != NULL;
}

/* User, groups and extras from the front proxy's headers. 1: a user; 0: no username header;
 * -1: over the limits, a NUL in a value or extra key, or out of memory. */
static int proxy_user(const struct authn_config *cfg, h2o_req_t *req, struct user_info *out)
{
    const h2o_headers_t *hs = &req->headers;

    memset(out, 0, sizeof(*out));
    for (char **u = cfg->username_headers; *u && !out->name; u++)
        for (size_t i = 0; i < hs->size && !out->name; i++)
            if (header_is(&hs->entries[i], *u) && hs->entries[i].value.len) {
                if (has_nul(hs->entries[i].value.base, hs->entries[i].value.len)) return -1;
                out->name = strndup(hs->entries[i].value.base, hs->entries[i].value.len);
                if (!out->name) return -1;
            }
    if (!out->name) return 0;
    for (size_t i = 0; i < hs->size; i++) {
        const h2o_header_t *h = &hs->entries[i];
        for (char **g = cfg->group_headers; *g; g++)
            if (header_is(h, *g) && h->value.len && /* k8s skips empty values */
                (has_nul(h->value.base, h->value.len) ||
                 user_info_add_group(out, h->value.base, h->value.len)))
                return -1;
        for (char **p = cfg->extra_prefixes; *p; p++) {
            size_t pl = strlen(*p);
            char key[256];
            size_t kl;
            if (h->name->len <= pl || h->name->len - pl >= sizeof(key) ||
                strncasecmp(h->name->base, *p, pl) != 0)
                continue;
            kl = unescape_lower(h->name->base + pl, h->name->len - pl, key);
            if (has_nul(key, kl) || has_nul(h->value.base, h->value.len) ||
                user_info_add_extra(out, key, kl, h->value.base, h->value.len))
                return -1;
        }
    }
    return 1;
}

bool authn_bearer(h2o_req_t *req, h2o_iovec_t *token)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    h2o_iovec_t v;

    if (i < 0) return false;
    v = req->headers.entries[i].value;
    if (v.len < 8 || strncasecmp(v.base, "Bearer ", 7) != 0) return false;
    *token = h2o_iovec_init(v.base + 7, v.len - 7);
    while (token->len && token->base[0] == ' ')
        token->base++, token->len--;
    return token->len > 0;
}

enum authn_result authn_request(const struct authn_config *cfg, h2o_req_t *req,
                                struct tls_peer *peer, struct user_info *out, h2o_iovec_t *token,
                                const char **how_or_why)
{
    int verdict = peer && cfg ? peer_verdict(cfg, peer) : 0;

    memset(out, 0, sizeof(*out));
    if ((verdict & VERDICT_PROXY) && name_allowed(cfg, peer->user)) {
        int rc = proxy_user(cfg, req, out);
        if (rc < 0) {
            user_info_done(out);
            *how_or_why = "front-proxy headers malformed or over the limits";
            return AUTHN_ERROR;
        }
        if (rc > 0) {
            *how_or_why = "front-proxy";
            return AUTHN_USER;
        }
        user_info_done(out);
    }
    if ((verdict & VERDICT_CLIENT) && peer->user) {
        out->name = strdup(peer->user);
        for (char **g = peer->groups; g && *g; g++)
            if (user_info_add_group(out, *g, strlen(*g))) break;
        if (!out->name) {
            *how_or_why = "out of memory";
            return AUTHN_ERROR;
        }
        *how_or_why = "client-certificate";
        return AUTHN_USER;
    }
    if (authn_bearer(req, token)) return AUTHN_TOKEN;
    *how_or_why = peer ? "client certificate not trusted, and no bearer token"
                       : "no client certificate or bearer token";
    return AUTHN_NONE;
}
