#include "respond.h"

#include <stdlib.h>
#include <string.h>

#include "render/render.h"

const char *http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "";
    }
}

struct owned_body {
    struct outbuf buf;
    struct respond_pool *pool; /* NULL: freed */
};

#define RECYCLE_MIN (1u << 20)

void respond_pool_init(struct respond_pool *p)
{
    memset(p, 0, sizeof(*p));
}

void respond_pool_done(struct respond_pool *p)
{
    while (p->len > 0)
        outbuf_done(&p->bufs[--p->len]);
}

void respond_buffer_acquire(struct respond_pool *p, struct outbuf *b)
{
    if (p->len > 0) {
        *b = p->bufs[--p->len];
        outbuf_reset(b);
    } else {
        outbuf_init(b);
    }
}

static void owned_body_dispose(void *arg)
{
    struct owned_body *o = arg;
    struct respond_pool *p = o->pool;

    if (p && p->len < RESPOND_POOL_SIZE && o->buf.cap >= RECYCLE_MIN)
        p->bufs[p->len++] = o->buf;
    else
        outbuf_done(&o->buf);
}

void respond_body_pooled(h2o_req_t *req, struct respond_pool *pool, int status,
                         const char *content_type, struct outbuf *body)
{
    static h2o_generator_t generator = {NULL, NULL}; /* no callbacks: the body is sent whole */
    struct owned_body *owned;
    h2o_iovec_t iov;

    if (body->failed) {
        outbuf_done(body);
        respond_text(req, 500, "text/plain", "out of memory\n");
        return;
    }
    owned = h2o_mem_alloc_shared(&req->pool, sizeof(*owned), owned_body_dispose);
    owned->buf = *body;
    owned->pool = pool;
    iov = h2o_iovec_init(body->data, body->len);
    outbuf_init(body);

    req->res.status = status;
    req->res.reason = http_reason(status);
    req->res.content_length = iov.len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
                   strlen(content_type));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-cache, private"));
    h2o_start_response(req, &generator);
    h2o_send(req, &iov, 1, H2O_SEND_STATE_FINAL);
}

void respond_body(h2o_req_t *req, int status, const char *content_type, struct outbuf *body)
{
    respond_body_pooled(req, NULL, status, content_type, body);
}

void respond_text(h2o_req_t *req, int status, const char *content_type, const char *text)
{
    req->res.status = status;
    req->res.reason = http_reason(status);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
                   strlen(content_type));
    h2o_send_inline(req, text, strlen(text));
}

void respond_status(h2o_req_t *req, enum media m, int code, const char *reason, const char *message,
                    const char *details_name, const char *details_kind)
{
    struct outbuf b;

    outbuf_init(&b);
    if (media_is_protobuf(m)) {
        render_status_pb(&b, code, reason, message, details_name, details_kind);
        respond_body(req, code, "application/vnd.kubernetes.protobuf", &b);
    } else if (m == MEDIA_YAML) {
        struct outbuf json;
        outbuf_init(&json);
        render_status_json(&json, code, reason, message, details_name, details_kind);
        if (json.failed || render_yaml_from_json(&b, json.data, json.len)) {
            outbuf_reset(&b);
            outbuf_append(&b, json.data, json.len); /* the JSON is still a valid YAML */
        }
        outbuf_done(&json);
        respond_body(req, code, "application/yaml", &b);
    } else {
        render_status_json(&b, code, reason, message, details_name, details_kind);
        respond_body(req, code, "application/json", &b);
    }
}
