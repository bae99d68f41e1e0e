#include "json_load.h"

#include <errno.h>
#include <stdio.h>

/* An upper bound on the values text holds: each '[', '{' or ',' outside strings starts at most
 * one more. Stops counting past max. */
static size_t count_values(const char *text, size_t len, size_t max)
{
    size_t values = 1;
    bool in_string = false;

    for (size_t i = 0; i < len && values <= max; i++) {
        char c = text[i];

        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{' || c == ',') {
            values++;
        }
    }
    return values;
}

int json_load_bounded(const char *text, size_t len, const struct json_bounds *b, json_t **out,
                      char *err, size_t errlen)
{
    json_error_t je;
    json_t *j;

    *out = NULL;
    if (len > b->max_bytes) {
        snprintf(err, errlen, "longer than %zu bytes", b->max_bytes);
        return -E2BIG;
    }
    if (b->max_values && count_values(text, len, b->max_values) > b->max_values) {
        snprintf(err, errlen, "more than %zu values", b->max_values);
        return -E2BIG;
    }
    j = json_loadb(text, len, b->flags, &je);
    if (!j) {
        snprintf(err, errlen, "bad JSON at %d: %s", je.position, je.text);
        return -EINVAL;
    }
    if (b->object && !json_is_object(j)) {
        json_decref(j);
        snprintf(err, errlen, "expected a JSON object");
        return -EINVAL;
    }
    *out = j;
    return 0;
}
