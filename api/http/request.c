#include "request.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

h2o_iovec_t request_header(h2o_req_t *req, const h2o_token_t *token)
{
    ssize_t i = h2o_find_header(&req->headers, token, -1);

    return i < 0 ? h2o_iovec_init(NULL, 0) : req->headers.entries[i].value;
}

bool request_method_is(h2o_req_t *req, const char *m)
{
    return h2o_memis(req->method.base, req->method.len, m, strlen(m));
}

h2o_iovec_t request_path(h2o_req_t *req)
{
    return h2o_iovec_init(req->path.base,
                          req->query_at == SIZE_MAX ? req->path.len : req->query_at);
}

struct query request_query(h2o_req_t *req)
{
    struct query q = {"", 0};

    if (req->query_at != SIZE_MAX) {
        q.s = req->path.base + req->query_at + 1;
        q.len = req->path.len - req->query_at - 1;
    }
    return q;
}

bool request_bearer_matches(h2o_req_t *req, const char *token)
{
    h2o_iovec_t auth = request_header(req, H2O_TOKEN_AUTHORIZATION);
    size_t tl;

    if (!token || auth.len < 7 || strncasecmp(auth.base, "Bearer ", 7) != 0) return false;
    tl = strlen(token);
    return auth.len - 7 == tl && CRYPTO_memcmp(auth.base + 7, token, tl) == 0;
}

void request_peer(h2o_req_t *req, char *out, size_t outlen)
{
    struct sockaddr_storage ss;
    char host[NI_MAXHOST];
    socklen_t sl = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);

    if (sl > 0 && h2o_socket_getnumerichost((struct sockaddr *)&ss, sl, host) != SIZE_MAX)
        snprintf(out, outlen, "%s", host);
    else
        snprintf(out, outlen, "?");
}
