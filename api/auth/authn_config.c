#include "authn_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "json_load.h"
#include "strv.h"

#define CONFIGMAP_MAX (4u << 20)

/* The ConfigMap and the JSON lists its values hold (a list is within the ConfigMap). */
static const struct json_bounds configmap_bounds = {
    .max_bytes = CONFIGMAP_MAX, .flags = JSON_REJECT_DUPLICATES, .object = true};
static const struct json_bounds list_bounds = {.max_bytes = CONFIGMAP_MAX,
                                               .flags = JSON_REJECT_DUPLICATES};
#define HEADER_NAME_MAX 256

static uint64_t next_generation = 1;

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (errlen) vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void authn_source_done(struct authn_source *s)
{
    free(s->client_ca_pem);
    free(s->requestheader_ca_pem);
    strv_free(s->allowed_names);
    strv_free(s->username_headers);
    strv_free(s->group_headers);
    strv_free(s->extra_prefixes);
    memset(s, 0, sizeof(*s));
}

/* A ConfigMap string that holds a JSON array of strings. */
static int parse_list(json_t *data, const char *key, char ***out, char *err, size_t errlen)
{
    json_t *v = json_object_get(data, key), *arr, *item;
    char why[160];
    size_t i, n;

    *out = NULL;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v)) {
        set_err(err, errlen, "%s: expected a string holding a JSON list", key);
        return -EINVAL;
    }
    json_load_bounded(json_string_value(v), json_string_length(v), &list_bounds, &arr, why,
                      sizeof(why));
    if (!json_is_array(arr)) {
        set_err(err, errlen, "%s: not a JSON list of strings", key);
        json_decref(arr);
        return -EINVAL;
    }
    n = json_array_size(arr);
    if (n > AUTHN_CONFIG_MAX_NAMES) {
        set_err(err, errlen, "%s: more than %d entries", key, AUTHN_CONFIG_MAX_NAMES);
        json_decref(arr);
        return -E2BIG;
    }
    *out = calloc(n + 1, sizeof(char *));
    if (!*out) {
        json_decref(arr);
        return -ENOMEM;
    }
    json_array_foreach(arr, i, item)
    {
        if (!json_is_string(item) || json_string_length(item) == 0 ||
            json_string_length(item) > HEADER_NAME_MAX ||
            strlen(json_string_value(item)) != json_string_length(item)) {
            set_err(err, errlen, "%s[%zu]: expected a non-empty string", key, i);
            json_decref(arr);
            strv_free(*out);
            *out = NULL;
            return -EINVAL;
        }
        (*out)[i] = strdup(json_string_value(item));
        if (!(*out)[i]) {
            json_decref(arr);
            strv_free(*out);
            *out = NULL;
            return -ENOMEM;
        }
    }
    json_decref(arr);
    return 0;
}

static int parse_pem(json_t *data, const char *key, char **out, char *err, size_t errlen)
{
    json_t *v = json_object_get(data, key);

    *out = NULL;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v) || json_string_length(v) > AUTHN_CONFIG_MAX_PEM ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        set_err(err, errlen, "%s: expected a PEM string of at most %u bytes", key,
                AUTHN_CONFIG_MAX_PEM);
        return -EINVAL;
    }
    *out = strdup(json_string_value(v));
    return *out ? 0 : -ENOMEM;
}

int authn_source_from_configmap(const char *json, size_t len, struct authn_source *out, char *err,
                                size_t errlen)
{
    char why[160];
    json_t *root, *data;
    int rc;

    memset(out, 0, sizeof(*out));
    if (len > CONFIGMAP_MAX) {
        set_err(err, errlen, "ConfigMap larger than %u bytes", CONFIGMAP_MAX);
        return -E2BIG;
    }
    if (json_load_bounded(json, len, &configmap_bounds, &root, why, sizeof(why))) {
        set_err(err, errlen, "ConfigMap is not a JSON object: %s", why);
        return -EINVAL;
    }
    data = json_object_get(root, "data");
    if (!json_is_object(data)) {
        set_err(err, errlen, "ConfigMap has no data");
        json_decref(root);
        return -EINVAL;
    }
    if ((rc = parse_pem(data, "client-ca-file", &out->client_ca_pem, err, errlen)) ||
        (rc = parse_pem(data, "requestheader-client-ca-file", &out->requestheader_ca_pem, err,
                        errlen)) ||
        (rc = parse_list(data, "requestheader-allowed-names", &out->allowed_names, err, errlen)) ||
        (rc = parse_list(data, "requestheader-username-headers", &out->username_headers, err,
                         errlen)) ||
        (rc = parse_list(data, "requestheader-group-headers", &out->group_headers, err, errlen)) ||
        (rc = parse_list(data, "requestheader-extra-headers-prefix", &out->extra_prefixes, err,
                         errlen))) {
        authn_source_done(out);
    }
    json_decref(root);
    return rc;
}

#define TAKE(field)                                                                                \
    do {                                                                                           \
        if (!over->field) {                                                                        \
            over->field = base->field;                                                             \
            base->field = NULL;                                                                    \
        }                                                                                          \
    } while (0)

void authn_source_merge(struct authn_source *over, struct authn_source *base)
{
    TAKE(client_ca_pem);
    TAKE(requestheader_ca_pem);
    TAKE(allowed_names);
    TAKE(username_headers);
    TAKE(group_headers);
    TAKE(extra_prefixes);
    authn_source_done(base);
}

X509_STORE *authn_pem_store(const char *pem, size_t len, STACK_OF(X509_NAME) * names, char *err,
                            size_t errlen)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509_STORE *store = X509_STORE_new();
    X509 *cert;
    int n = 0;

    if (!bio || !store || len > AUTHN_CONFIG_MAX_PEM) goto fail;
    while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (X509_STORE_add_cert(store, cert) != 1) {
            X509_free(cert);
            goto fail;
        }
        if (names) {
            X509_NAME *nm = X509_NAME_dup(X509_get_subject_name(cert));
            if (!nm || !sk_X509_NAME_push(names, nm)) X509_NAME_free(nm);
        }
        X509_free(cert);
        n++;
    }
    /* PEM_read_bio_X509 ends with "no start line" at the end of input; anything else (a
     * truncated or corrupt block) is an error, as is a bundle with no certificate. */
    unsigned long e = ERR_peek_last_error();
    if (n == 0 ||
        (e && !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)))
        goto fail;
    ERR_clear_error();
    BIO_free(bio);
    return store;
fail:
    ERR_clear_error();
    set_err(err, errlen,
            n == 0 ? "no certificate in the CA bundle" : "corrupt certificate in the CA bundle");
    BIO_free(bio);
    X509_STORE_free(store);
    return NULL;
}

static char **copy_list(char *const *src, const char *dflt, bool lower)
{
    size_t n = 0;
    char **out;

    if (src)
        while (src[n])
            n++;
    out = calloc((n ? n : 1) + 1, sizeof(char *));
    if (!out) return NULL;
    if (n == 0 && dflt) {
        out[0] = strdup(dflt);
        n = 1;
        if (!out[0]) goto fail;
    } else {
        for (size_t i = 0; i < n; i++)
            if (!(out[i] = strdup(src[i]))) goto fail;
    }
    if (lower)
        for (size_t i = 0; i < n; i++)
            for (char *c = out[i]; *c; c++)
                *c = (char)tolower((unsigned char)*c);
    return out;
fail:
    strv_free(out);
    return NULL;
}

struct authn_config *authn_config_new(const struct authn_source *src, char *err, size_t errlen)
{
    struct authn_config *c = calloc(1, sizeof(*c));
    char e[200];
    bool proxy = src->requestheader_ca_pem != NULL;

    if (!c || !(c->ca_names = sk_X509_NAME_new_null())) goto oom;
    if (src->client_ca_pem &&
        !(c->client_ca = authn_pem_store(src->client_ca_pem, strlen(src->client_ca_pem),
                                         c->ca_names, e, sizeof(e)))) {
        set_err(err, errlen, "client-ca-file: %s", e);
        goto fail;
    }
    if (proxy && !(c->requestheader_ca =
                       authn_pem_store(src->requestheader_ca_pem, strlen(src->requestheader_ca_pem),
                                       c->ca_names, e, sizeof(e)))) {
        set_err(err, errlen, "requestheader-client-ca-file: %s", e);
        goto fail;
    }
    if (!(c->allowed_names = copy_list(src->allowed_names, NULL, false)) ||
        !(c->username_headers =
              copy_list(src->username_headers, proxy ? "X-Remote-User" : NULL, true)) ||
        !(c->group_headers =
              copy_list(src->group_headers, proxy ? "X-Remote-Group" : NULL, true)) ||
        !(c->extra_prefixes =
              copy_list(src->extra_prefixes, proxy ? "X-Remote-Extra-" : NULL, true)))
        goto oom;
    /* Built on the loop thread at start and on the ConfigMap thread after. */
    c->generation = __atomic_fetch_add(&next_generation, 1, __ATOMIC_RELAXED);
    return c;
oom:
    set_err(err, errlen, "out of memory");
fail:
    authn_config_free(c);
    return NULL;
}

void authn_config_free(struct authn_config *c)
{
    if (!c) return;
    X509_STORE_free(c->client_ca);
    X509_STORE_free(c->requestheader_ca);
    strv_free(c->allowed_names);
    strv_free(c->username_headers);
    strv_free(c->group_headers);
    strv_free(c->extra_prefixes);
    sk_X509_NAME_pop_free(c->ca_names, X509_NAME_free);
    free(c);
}
