/* Small parsers for request metadata that comes from clients: the Accept header (content
 * negotiation between JSON, protobuf and Table) and query parameters (percent-decoded). */
#ifndef KMETRICS_HTTP_PARSE_H
#define KMETRICS_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

enum media {
    MEDIA_NONE = 0, /* nothing acceptable: 406 */
    MEDIA_JSON,
    MEDIA_PROTOBUF,
    MEDIA_TABLE_V1,      /* application/json;as=Table;v=v1;g=meta.k8s.io */
    MEDIA_TABLE_V1BETA1, /* application/json;as=Table;v=v1beta1;g=meta.k8s.io */
    MEDIA_YAML,          /* application/yaml: the JSON, as YAML */
    /* application/json;as=PartialObjectMetadata[List];v=v1|v1beta1;g=meta.k8s.io: metadata
     * only (the object form on a list, or the list form on an object, is a 406 later) */
    MEDIA_PARTIAL_V1,
    MEDIA_PARTIAL_V1BETA1,
    MEDIA_PARTIAL_LIST_V1,
    MEDIA_PARTIAL_LIST_V1BETA1,
    /* The same in application/vnd.kubernetes.protobuf (client-go's metadata client asks for
     * it first). */
    MEDIA_PARTIAL_PB_V1,
    MEDIA_PARTIAL_PB_V1BETA1,
    MEDIA_PARTIAL_LIST_PB_V1,
    MEDIA_PARTIAL_LIST_PB_V1BETA1,
};
/* The last media type, beside the enum so it moves with it (a sentinel would defeat -Wswitch). */
#define MEDIA_LAST MEDIA_PARTIAL_LIST_PB_V1BETA1

/* Whether m is answered in protobuf (errors included). */
static inline bool media_is_protobuf(enum media m)
{
    return m == MEDIA_PROTOBUF || m >= MEDIA_PARTIAL_PB_V1;
}

/* Picks the first media type in the Accept header that we can serve (clients list their
 * preference first; q-values are not used by Kubernetes clients). An empty or absent header
 * means JSON. allow_table: whether this resource can be shown as a Table. */
enum media negotiate_accept(const char *accept, size_t len, bool allow_table);

/* Finds query parameter key in q (the part after '?', without it) and percent-decodes its
 * value ('+' is a space) into out (NUL-terminated). Returns the decoded length, -ENOENT when
 * absent, -EINVAL for a bad escape or a decoded NUL, -E2BIG when it does not fit. */
int query_param(const char *q, size_t len, const char *key, char *out, size_t outlen);

#endif
