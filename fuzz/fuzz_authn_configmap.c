/* libFuzzer harness for authn_source_from_configmap, then authn_config_new on what it
 * accepts.
 *
 * Invariants checked on every input:
 * - the return value is 0, -EINVAL, -E2BIG or -ENOMEM;
 * - on an error the source is all-zero and err a NUL-terminated message (empty only for
 *   -ENOMEM);
 * - on success every list is NULL or NULL-terminated within AUTHN_CONFIG_MAX_NAMES entries of
 *   1-256 bytes, and every PEM is at most AUTHN_CONFIG_MAX_PEM bytes;
 * - a built configuration has a new generation, a store for each CA given and none for a CA
 *   not given, NULL-terminated lists with lower-case header names (the defaults when a
 *   requestheader CA is given and a list is empty), and a CA name per store at least;
 *   a build that fails says why, and only fails when a CA bundle was given;
 * - authn_source_done leaves the struct all-zero. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "auth/authn_config.h"
#include "fuzz_check.h"

static uint64_t last_generation;

static bool all_zero(const struct authn_source *s)
{
    static const struct authn_source zero;
    return memcmp(s, &zero, sizeof(zero)) == 0;
}

static size_t check_source_list(char **v)
{
    size_t n = 0;

    if (!v) return 0;
    for (; v[n]; n++) {
        size_t len = strlen(v[n]);
        CHECK(n < AUTHN_CONFIG_MAX_NAMES);
        CHECK(len >= 1 && len <= 256);
    }
    return n;
}

/* NULL-terminated; lower case when header; the default alone when the source list is empty
 * and a requestheader CA was given, else a copy of the source list. */
static void check_config_list(char **got, char **src, const char *dflt, bool header)
{
    size_t n = 0, nsrc = 0;

    CHECK(got != NULL);
    while (src && src[nsrc])
        nsrc++;
    for (; got[n]; n++) {
        CHECK(n <= AUTHN_CONFIG_MAX_NAMES);
        if (header)
            for (const char *c = got[n]; *c; c++)
                CHECK(!isupper((unsigned char)*c));
    }
    if (nsrc == 0 && dflt) {
        CHECK(n == 1);
        CHECK(strcasecmp(got[0], dflt) == 0);
        return;
    }
    CHECK(n == nsrc);
    for (size_t i = 0; i < n; i++)
        CHECK(header ? strcasecmp(got[i], src[i]) == 0 : strcmp(got[i], src[i]) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct authn_source s;
    struct authn_config *c;
    char err[256];
    bool proxy;
    int rc;

    memset(&s, 0xa5, sizeof(s)); /* must be overwritten, never read */
    memset(err, 'x', sizeof(err));
    rc = authn_source_from_configmap((const char *)data, size, &s, err, sizeof(err));
    CHECK(rc == 0 || rc == -EINVAL || rc == -E2BIG || rc == -ENOMEM);
    if (rc) {
        CHECK(memchr(err, '\0', sizeof(err)) != NULL);
        CHECK(all_zero(&s));
        CHECK(rc == -ENOMEM || err[0] != '\0');
        return 0;
    }
    CHECK(!s.client_ca_pem || strlen(s.client_ca_pem) <= AUTHN_CONFIG_MAX_PEM);
    CHECK(!s.requestheader_ca_pem || strlen(s.requestheader_ca_pem) <= AUTHN_CONFIG_MAX_PEM);
    check_source_list(s.allowed_names);
    check_source_list(s.username_headers);
    check_source_list(s.group_headers);
    check_source_list(s.extra_prefixes);

    memset(err, 0, sizeof(err));
    c = authn_config_new(&s, err, sizeof(err));
    if (!c) {
        CHECK(err[0] != '\0');
        CHECK(s.client_ca_pem || s.requestheader_ca_pem);
    } else {
        proxy = s.requestheader_ca_pem != NULL;
        CHECK(c->generation > last_generation);
        last_generation = c->generation;
        CHECK(!c->client_ca == !s.client_ca_pem);
        CHECK(!c->requestheader_ca == !proxy);
        CHECK(sk_X509_NAME_num(c->ca_names) >= (c->client_ca != NULL) + proxy);
        check_config_list(c->allowed_names, s.allowed_names, NULL, false);
        check_config_list(c->username_headers, s.username_headers, proxy ? "X-Remote-User" : NULL,
                          true);
        check_config_list(c->group_headers, s.group_headers, proxy ? "X-Remote-Group" : NULL, true);
        check_config_list(c->extra_prefixes, s.extra_prefixes, proxy ? "X-Remote-Extra-" : NULL,
                          true);
        authn_config_free(c);
    }
    authn_source_done(&s);
    CHECK(all_zero(&s));
    return 0;
}
