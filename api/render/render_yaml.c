/* application/yaml, as the Kubernetes API server makes it: the JSON rendering, converted the
 * way sigs.k8s.io/yaml's JSONToYAML does (mapping keys sorted, block style, strings quoted
 * where YAML 1.1 would read them as something else). The JSON is our own, from render_*_json. */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "render.h"

static int out_write(void *data, unsigned char *buf, size_t size)
{
    outbuf_append(data, buf, size);
    return 1;
}

/* Whether a plain scalar s would be read back as anything but this string: YAML 1.1's
 * booleans, null, numbers and timestamps (what go-yaml v2 quotes). */
static bool needs_quotes(const char *s)
{
    static const char *const words[] = {"y",     "Y",     "yes",  "Yes",  "YES",  "n",    "N",
                                        "no",    "No",    "NO",   "true", "True", "TRUE", "false",
                                        "False", "FALSE", "on",   "On",   "ON",   "off",  "Off",
                                        "OFF",   "null",  "Null", "NULL", "~",    ".inf", ".Inf",
                                        ".INF",  "-.inf", ".nan", ".NaN", ".NAN", "+.inf"};
    char *end;

    if (!*s) return true;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcmp(s, words[i]) == 0) return true;
    (void)strtod(s, &end);
    if (*end == '\0') return true; /* a number (also 0x1f, 1e3) */
    /* A timestamp: YYYY-M-D... */
    if (strlen(s) >= 8 && s[4] == '-' && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' &&
        s[2] >= '0' && s[2] <= '9' && s[3] >= '0' && s[3] <= '9')
        return true;
    return false;
}

static int scalar(yaml_emitter_t *e, const char *s, yaml_scalar_style_t style)
{
    yaml_event_t ev;

    yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1, style);
    return yaml_emitter_emit(e, &ev) ? 0 : -1;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int emit(yaml_emitter_t *e, json_t *v, int depth)
{
    yaml_event_t ev;
    char num[64];

    if (depth > 64) return -1;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        const char **keys = calloc(n ? n : 1, sizeof(*keys));
        const char *k;
        json_t *x;
        int rc = 0;

        if (!keys) return -1;
        json_object_foreach(v, k, x) keys[i++] = k;
        qsort(keys, n, sizeof(*keys), cmp_key);
        yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
        if (!yaml_emitter_emit(e, &ev)) rc = -1;
        for (i = 0; rc == 0 && i < n; i++) {
            rc = scalar(e, keys[i], YAML_ANY_SCALAR_STYLE);
            if (rc == 0) rc = emit(e, json_object_get(v, keys[i]), depth + 1);
        }
        free(keys);
        if (rc) return rc;
        yaml_mapping_end_event_initialize(&ev);
        return yaml_emitter_emit(e, &ev) ? 0 : -1;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;

        /* Empty ones stay inline, as go-yaml writes them: "items: []". */
        yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                             json_array_size(v) ? YAML_BLOCK_SEQUENCE_STYLE
                                                                : YAML_FLOW_SEQUENCE_STYLE);
        if (!yaml_emitter_emit(e, &ev)) return -1;
        json_array_foreach(v, i, x) if (emit(e, x, depth + 1)) return -1;
        yaml_sequence_end_event_initialize(&ev);
        return yaml_emitter_emit(e, &ev) ? 0 : -1;
    }
    case JSON_STRING: {
        const char *s = json_string_value(v);
        return scalar(e, s,
                      needs_quotes(s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
    }
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return scalar(e, num, YAML_PLAIN_SCALAR_STYLE);
    case JSON_REAL:
        snprintf(num, sizeof(num), "%.17g", json_real_value(v));
        return scalar(e, num, YAML_PLAIN_SCALAR_STYLE);
    case JSON_TRUE:
        return scalar(e, "true", YAML_PLAIN_SCALAR_STYLE);
    case JSON_FALSE:
        return scalar(e, "false", YAML_PLAIN_SCALAR_STYLE);
    case JSON_NULL:
    default:
        return scalar(e, "null", YAML_PLAIN_SCALAR_STYLE);
    }
}

int render_yaml_from_json(struct outbuf *b, const char *json, size_t len)
{
    json_t *doc = json_loadb(json, len, 0, NULL);
    yaml_emitter_t e;
    yaml_event_t ev;
    int rc = -1;

    if (!doc) return -1;
    if (!yaml_emitter_initialize(&e)) {
        json_decref(doc);
        return -1;
    }
    yaml_emitter_set_output(&e, out_write, b);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, -1); /* never fold long strings */
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    if (!yaml_emitter_emit(&e, &ev)) goto out;
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    if (!yaml_emitter_emit(&e, &ev) || emit(&e, doc, 0)) goto out;
    yaml_document_end_event_initialize(&ev, 1);
    if (!yaml_emitter_emit(&e, &ev)) goto out;
    yaml_stream_end_event_initialize(&ev);
    if (!yaml_emitter_emit(&e, &ev) || !yaml_emitter_flush(&e)) goto out;
    rc = b->failed ? -1 : 0;
out:
    yaml_emitter_delete(&e);
    json_decref(doc);
    return rc;
}
