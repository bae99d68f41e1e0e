/* Kubernetes label and field selectors, as the API server parses them
 * (k8s.io/apimachinery/pkg/labels and fields). Query strings are outside input: the parser
 * bounds everything and reports a clear error for a 400 Status. */
#ifndef KMETRICS_SELECTOR_H
#define KMETRICS_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "metrics_model.h"

#define SELECTOR_MAX_REQUIREMENTS 64
#define SELECTOR_MAX_VALUES 64 /* per in/notin set */
#define SELECTOR_MAX_LEN 8192  /* bytes of selector text */

enum selector_op {
    SEL_EQUALS,        /* key=value, key==value */
    SEL_NOT_EQUALS,    /* key!=value */
    SEL_IN,            /* key in (a,b) */
    SEL_NOT_IN,        /* key notin (a,b) */
    SEL_EXISTS,        /* key */
    SEL_DOES_NOT_EXIST /* !key */
};

struct selector_requirement {
    enum selector_op op;
    char *key;
    char **values; /* nvalues strings; one for EQUALS/NOT_EQUALS, none for (DOES_NOT_)EXIST */
    size_t nvalues;
};

struct selector {
    struct selector_requirement *reqs; /* ANDed; empty selector matches everything */
    size_t nreqs;
};

/* Parses a labelSelector (full syntax: =, ==, !=, in, notin, exists, !key; keys with an
 * optional DNS-subdomain prefix "example.com/name"; values per label-value rules).
 * Returns 0, or -EINVAL with a human message in err (for the 400 Status). */
int label_selector_parse(const char *text, size_t len, struct selector *out, char *err,
                         size_t errlen);
/* Parses a fieldSelector: comma-separated key=value, key==value, key!=value. Only the keys
 * in allowed_keys (NULL-terminated) are accepted; others are -EINVAL with a message naming
 * the key (as the API server says "field label not supported: <key>"). */
int field_selector_parse(const char *text, size_t len, const char *const allowed_keys[],
                         struct selector *out, char *err, size_t errlen);
void selector_done(struct selector *s);

/* Label selectors against a sorted label set. */
bool selector_matches_labels(const struct selector *s, const struct label_view *labels,
                             size_t nlabels);
/* Field selectors against a (key, value) lookup: value_of returns NULL for an unknown key. */
bool selector_matches_fields(const struct selector *s,
                             const char *(*value_of)(const void *obj, const char *key),
                             const void *obj);

#endif
