/* Parsing JSON that comes from outside (API server answers and watch events, ConfigMaps, OCI
 * bundles, aggregator replies) with jansson, bounded before jansson allocates anything: the
 * text's length, and optionally its number of values (jansson spends 50-80 bytes per value,
 * so a document of "[{},{},...]" would cost about 15 times its size). */
#ifndef KMETRICS_JSON_LOAD_H
#define KMETRICS_JSON_LOAD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct json_bounds {
    size_t max_bytes;
    size_t max_values; /* arrays, objects and members; 0: not counted */
    size_t flags;      /* jansson decoding flags, e.g. JSON_REJECT_DUPLICATES */
    bool object;       /* the top level must be an object */
};

/* Parses text[0..len) into *out (the caller's reference). Returns 0, or -E2BIG (over a bound)
 * or -EINVAL (not JSON, or not an object when one is required) with a one-line reason in err;
 * *out is NULL then. */
int json_load_bounded(const char *text, size_t len, const struct json_bounds *b, json_t **out,
                      char *err, size_t errlen);

#endif
