/* What the aggregator trusts when it authenticates API callers, as the kube-apiserver
 * publishes it in ConfigMap kube-system/extension-apiserver-authentication (or as flags give
 * it): the front proxy's CA, the client certificate names it may use and the headers that
 * carry the user; and the CA of ordinary client certificates.
 *
 * A configuration is immutable once built; a reload builds a new one (with a new generation)
 * and the old one is freed when no request holds it. A ConfigMap that does not parse, or
 * whose CA does not, leaves the current configuration in place. */
#ifndef KMETRICS_AUTHN_CONFIG_H
#define KMETRICS_AUTHN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#define AUTHN_CONFIG_MAX_NAMES 64
#define AUTHN_CONFIG_MAX_PEM (1u << 20)

/* Text form: PEM bundles and lists, from the ConfigMap or flags. NULL/0: not given. */
struct authn_source {
    char *client_ca_pem;
    char *requestheader_ca_pem;
    char **allowed_names; /* NULL-terminated; empty list: any name the CA signed */
    char **username_headers;
    char **group_headers;
    char **extra_prefixes;
};

struct authn_config {
    uint64_t generation;
    X509_STORE *client_ca;        /* NULL: client certificates are not accepted */
    X509_STORE *requestheader_ca; /* NULL: no front proxy is trusted */
    char **allowed_names;         /* NULL-terminated */
    char **username_headers;      /* lower case, NULL-terminated */
    char **group_headers;
    char **extra_prefixes;
    STACK_OF(X509_NAME) * ca_names; /* both CAs' subjects, for the TLS CertificateRequest */
};

void authn_source_done(struct authn_source *s);

/* Parses the ConfigMap object (JSON, as the API server returns it). The lists in it are JSON
 * arrays encoded as strings ("[\"front-proxy-client\"]"). Returns 0, or -EINVAL/-E2BIG with a
 * message in err. */
int authn_source_from_configmap(const char *json, size_t len, struct authn_source *out, char *err,
                                size_t errlen);

/* Fills what over leaves unset from base (flags win over the ConfigMap). Takes ownership of
 * both: base's fields not used are freed; the result is in over. */
void authn_source_merge(struct authn_source *over, struct authn_source *base);

/* Builds the configuration: parses the CA bundles (at least one certificate each when given),
 * lower-cases header names. Applies the kube-apiserver defaults for header names only when
 * a requestheader CA is given and the lists are empty ("X-Remote-User", "X-Remote-Group",
 * "X-Remote-Extra-"). Returns a new configuration, or NULL with err set. */
struct authn_config *authn_config_new(const struct authn_source *src, char *err, size_t errlen);
void authn_config_free(struct authn_config *c);

/* Parses a PEM bundle of certificates into a store. NULL with err set when it holds none or
 * anything that is not a certificate. */
X509_STORE *authn_pem_store(const char *pem, size_t len, STACK_OF(X509_NAME) * names, char *err,
                            size_t errlen);

#endif
