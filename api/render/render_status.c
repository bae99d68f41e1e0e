/* metav1.Status errors in JSON and in the protobuf envelope. */
#include <string.h>

#include "append.h"
#include "json_text.h"
#include "pb_writer.h"
#include "quantity.h"
#include "render.h"

#define METRICS_GROUP "metrics.k8s.io"

void render_status_json(struct outbuf *b, int code, const char *reason, const char *message,
                        const char *details_name, const char *details_kind)
{
    PUTLIT(b, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\"");
    /* Go's omitempty on message, reason, details.name/kind and code. */
    if (message && message[0]) {
        PUTLIT(b, ",\"message\":");
        jstr(b, message);
    }
    if (reason && reason[0]) {
        PUTLIT(b, ",\"reason\":");
        jstr(b, reason);
    }
    if (details_kind) {
        PUTLIT(b, ",\"details\":{");
        if (details_name && details_name[0]) {
            PUTLIT(b, "\"name\":");
            jstr(b, details_name);
            PUTLIT(b, ",");
        }
        PUTLIT(b, "\"group\":\"" METRICS_GROUP "\"");
        if (details_kind[0]) {
            PUTLIT(b, ",\"kind\":");
            jstr(b, details_kind);
        }
        PUTLIT(b, "}");
    }
    if (code != 0) {
        char num[24];
        size_t k = 0;

        PUTLIT(b, ",\"code\":");
        if (code < 0) num[k++] = '-';
        k += put_u64_at(num + k, code < 0 ? (uint64_t)(-(int64_t)code) : (uint64_t)code);
        put(b, num, k);
    }
    PUTLIT(b, "}");
    terminate(b);
}

/* Status: metadata=1 (empty ListMeta), status=2, message=3, reason=4, details=5
 * {name=1, group=2, kind=3, retryAfterSeconds=5, uid=6}, code=6. Strings are always present,
 * as gogo emits proto2 non-pointer fields. */
void render_status_pb(struct outbuf *b, int code, const char *reason, const char *message,
                      const char *details_name, const char *details_kind)
{
    struct rw w;
    size_t mark;

    rw_init(&w, b, 256 + (message ? strlen(message) : 0));
    pb_envelope_tail(&w);
    mark = rw_size(&w);
    rw_varint(&w, (uint64_t)(int64_t)code); /* int32: negative sign-extends to 10 bytes */
    rw_byte(&w, 0x30);
    if (details_kind) {
        size_t d = rw_size(&w);

        rw_bytes(&w, "\x28\x00\x32\x00", 4); /* retryAfterSeconds=0, uid="" */
        rw_field_str(&w, 0x1a, details_kind);
        rw_field_str(&w, 0x12, METRICS_GROUP);
        rw_field_str(&w, 0x0a, details_name);
        rw_close(&w, d, 0x2a);
    }
    rw_field_str(&w, 0x22, reason);
    rw_field_str(&w, 0x1a, message);
    rw_field_str(&w, 0x12, "Failure");
    rw_bytes(&w, "\x0a\x00", 2);
    pb_envelope_head(&w, mark, "v1", "Status");
    rw_finish(&w);
}
