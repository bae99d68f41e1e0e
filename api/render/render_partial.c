/* meta.k8s.io PartialObjectMetadata[List]: what the API server answers a client that asks
 * for metadata only (Accept: application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,
 * as client-go's metadata client and kubectl's metadata paths do). Made from our own JSON
 * rendering: each object's metadata, kept in the order rendered. */
#include <ctype.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pb_writer.h"
#include "render.h"

static json_t *partial(json_t *obj, const char *api_version)
{
    json_t *p = json_object();
    json_t *meta = json_object_get(obj, "metadata");

    if (!p || json_object_set_new(p, "kind", json_string("PartialObjectMetadata")) ||
        json_object_set_new(p, "apiVersion", json_string(api_version)) ||
        json_object_set_new(p, "metadata", meta ? json_incref(meta) : json_object())) {
        json_decref(p);
        return NULL;
    }
    return p;
}

int render_partial_from_json(struct outbuf *b, const char *json, size_t len, bool list,
                             const char *api_version)
{
    json_t *doc = json_loadb(json, len, 0, NULL), *items, *out = NULL, *arr;
    size_t i;
    json_t *it;
    char *text;
    int rc = -1;

    if (!doc) return -1;
    items = json_object_get(doc, "items");
    if (list != json_is_array(items)) goto done; /* the caller checked: a bug otherwise */
    if (!list) {
        out = partial(doc, api_version);
    } else {
        out = json_object();
        arr = json_array();
        if (!out || !arr ||
            json_object_set_new(out, "kind", json_string("PartialObjectMetadataList")) ||
            json_object_set_new(out, "apiVersion", json_string(api_version)) ||
            json_object_set(out, "metadata", json_object_get(doc, "metadata")) ||
            json_object_set_new(out, "items", arr)) {
            json_decref(arr);
            goto done;
        }
        json_array_foreach(items, i, it)
        {
            if (json_array_append_new(arr, partial(it, api_version))) goto done;
        }
    }
    if (!out) goto done;
    text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text) goto done;
    outbuf_append(b, text, strlen(text));
    free(text);
    rc = b->failed ? -1 : 0;
done:
    json_decref(out);
    json_decref(doc);
    return rc;
}

/* --- protobuf ----------------------------------------------------------------------------- */
/* Metadata-only answers are rare (a metadata informer's LIST): written forwards, each nested
 * message into a buffer of its own, then framed. */

static void pb_tag_len(struct outbuf *b, uint8_t tag, size_t n)
{
    uint8_t tmp[11], *p = tmp;

    *p++ = tag;
    p = fw_varint(p, n);
    outbuf_append(b, tmp, (size_t)(p - tmp));
}

static void pb_str(struct outbuf *b, uint8_t tag, const char *s, size_t n)
{
    pb_tag_len(b, tag, n);
    if (n) outbuf_append(b, s, n);
}

static void pb_msg(struct outbuf *b, uint8_t tag, struct outbuf *m)
{
    pb_tag_len(b, tag, m->len);
    if (m->len) outbuf_append(b, m->data, m->len);
    if (m->failed) b->failed = true;
    outbuf_done(m);
}

/* RFC 3339 in UTC ("2006-01-02T15:04:05Z", fraction allowed), as our renderings write it. */
static bool rfc3339_seconds(const char *s, int64_t *out)
{
    struct tm tm = {0};
    int n = 0;
    const char *r;

    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &n) != 6 ||
        n != 19)
        return false;
    r = s + n;
    if (*r == '.')
        for (r++; isdigit((unsigned char)*r); r++)
            ;
    if (strcmp(r, "Z") != 0) return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = (int64_t)timegm(&tm);
    return true;
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* map<string, string> entries, sorted by key as Go's marshaller writes them. */
static void pb_string_map(struct outbuf *b, uint8_t tag, json_t *map)
{
    size_t n = json_is_object(map) ? json_object_size(map) : 0, i = 0;
    const char **keys;
    const char *k;
    json_t *v;

    if (!n) return;
    if (!(keys = malloc(n * sizeof(*keys)))) {
        b->failed = true;
        return;
    }
    json_object_foreach(map, k, v) keys[i++] = k;
    qsort(keys, n, sizeof(*keys), key_cmp);
    for (i = 0; i < n; i++) {
        const char *val = json_string_value(json_object_get(map, keys[i]));
        struct outbuf e;

        outbuf_init(&e);
        pb_str(&e, 0x0a, keys[i], strlen(keys[i]));
        pb_str(&e, 0x12, val ? val : "", val ? strlen(val) : 0);
        pb_msg(b, tag, &e);
    }
    free(keys);
}

/* ObjectMeta: name=1, generateName=2, namespace=3, selfLink=4, uid=5, resourceVersion=6,
 * creationTimestamp=8 (Time{seconds=1}), labels=11, annotations=12. */
static void pb_object_meta(struct outbuf *m, json_t *meta)
{
    static const struct {
        const char *key;
        uint8_t tag;
    } strs[] = {{"name", 0x0a},     {"generateName", 0x12}, {"namespace", 0x1a},
                {"selfLink", 0x22}, {"uid", 0x2a},          {"resourceVersion", 0x32}};
    const char *created = json_string_value(json_object_get(meta, "creationTimestamp"));
    int64_t secs;

    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        json_t *v = json_object_get(meta, strs[i].key);
        if (json_is_string(v)) pb_str(m, strs[i].tag, json_string_value(v), json_string_length(v));
    }
    if (created && rfc3339_seconds(created, &secs)) {
        uint8_t t[12], *p = t;

        *p++ = 0x08;
        p = fw_varint(p, (uint64_t)secs);
        pb_str(m, 0x42, (const char *)t, (size_t)(p - t));
    }
    pb_string_map(m, 0x5a, json_object_get(meta, "labels"));
    pb_string_map(m, 0x62, json_object_get(meta, "annotations"));
}

/* PartialObjectMetadata{metadata=1} of one rendered object. */
static void pb_partial(struct outbuf *b, json_t *obj)
{
    struct outbuf meta;

    outbuf_init(&meta);
    pb_object_meta(&meta, json_object_get(obj, "metadata"));
    pb_msg(b, 0x0a, &meta);
}

int render_partial_pb_from_json(struct outbuf *b, const char *json, size_t len, bool list,
                                const char *api_version)
{
    json_t *doc = json_loadb(json, len, 0, NULL), *items, *it;
    struct outbuf raw, type_meta, lm, item;
    size_t i;
    int rc = -1;

    if (!doc) return -1;
    items = json_object_get(doc, "items");
    if (list != json_is_array(items)) goto done; /* the caller checked: a bug otherwise */
    outbuf_init(&raw);
    if (!list) {
        pb_partial(&raw, doc);
    } else {
        /* PartialObjectMetadataList{metadata=1 ListMeta{selfLink=1, resourceVersion=2,
         * continue=3}, items=2}. */
        json_t *m = json_object_get(doc, "metadata");
        static const char *const list_keys[] = {"selfLink", "resourceVersion", "continue"};

        outbuf_init(&lm);
        for (unsigned k = 0; k < 3; k++) {
            json_t *v = json_object_get(m, list_keys[k]);
            if (json_is_string(v))
                pb_str(&lm, (uint8_t)(((k + 1) << 3) | 2), json_string_value(v),
                       json_string_length(v));
        }
        pb_msg(&raw, 0x0a, &lm);
        json_array_foreach(items, i, it)
        {
            outbuf_init(&item);
            pb_partial(&item, it);
            pb_msg(&raw, 0x12, &item);
        }
    }
    /* "k8s\0" + runtime.Unknown{typeMeta=1{apiVersion=1, kind=2}, raw=2, contentEncoding=3,
     * contentType=4}, as pb_writer's envelope. */
    outbuf_init(&type_meta);
    pb_str(&type_meta, 0x0a, api_version, strlen(api_version));
    pb_str(&type_meta, 0x12, list ? "PartialObjectMetadataList" : "PartialObjectMetadata",
           list ? 25 : 21);
    outbuf_append(b, "k8s\0", 4);
    pb_msg(b, 0x0a, &type_meta);
    pb_msg(b, 0x12, &raw);
    outbuf_append(b, "\x1a\x00\x22\x00", 4);
    rc = b->failed ? -1 : 0;
done:
    json_decref(doc);
    return rc;
}
