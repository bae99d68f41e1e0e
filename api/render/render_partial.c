/* meta.k8s.io PartialObjectMetadata[List]: what the API server answers a client that asks
 * for metadata only (Accept: application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,
 * as client-go's metadata client and kubectl's metadata paths do). Made from our own JSON
 * rendering: each object's metadata, kept in the order rendered. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

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
