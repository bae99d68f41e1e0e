#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <h2o.h>
#include <h2o/http2.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "handlers.h"
#include "log.h"
#include "respond.h"

/* Limits on what one client can make the server hold. */
#define MAX_STREAMS_PER_CONNECTION 100
#define IDLE_TIMEOUT_MS 60000
#define REQUEST_TIMEOUT_MS 10000

struct server_handler {
    h2o_handler_t super;
    struct aggregator *agg;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

h2o_iovec_t request_header(h2o_req_t *req, const h2o_token_t *token)
{
    ssize_t i = h2o_find_header(&req->headers, token, -1);
    return i < 0 ? h2o_iovec_init(NULL, 0) : req->headers.entries[i].value;
}

bool method_is(h2o_req_t *req, const char *m)
{
    return h2o_memis(req->method.base, req->method.len, m, strlen(m));
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct aggregator *agg = ((struct server_handler *)self)->agg;
    size_t path_len = req->query_at == SIZE_MAX ? req->path.len : req->query_at;
    struct query q = {"", 0};
    enum request_verb verb = VERB_OTHER;
    int64_t start = mono_ns();
    struct route r;

    if (req->query_at != SIZE_MAX) {
        q.s = req->path.base + req->query_at + 1;
        q.len = req->path.len - req->query_at - 1;
    }
    route_path(req->path.base, path_len, &r);
    /* Standalone mode: API reads need the read token; health checks and shipments (which
     * carry their own credentials) do not. */
    if (agg->cfg.read_token && r.kind != ROUTE_SHIP && r.kind != ROUTE_LIVEZ &&
        r.kind != ROUTE_READYZ && r.kind != ROUTE_HEALTHZ &&
        !bearer_matches(req, agg->cfg.read_token)) {
        respond_status(req, MEDIA_JSON, 401, "Unauthorized", "Unauthorized", NULL, NULL);
        selfmetrics_request(&agg->metrics, VERB_OTHER, 401, (double)(mono_ns() - start) / 1e9);
        return 0;
    }
    switch (r.kind) {
    case ROUTE_NODES:
    case ROUTE_NODE:
    case ROUTE_PODS_ALL:
    case ROUTE_PODS_NAMESPACE:
    case ROUTE_POD:
        verb = handle_metrics(agg, req, &r, q);
        break;
    case ROUTE_API:
    case ROUTE_API_V1:
    case ROUTE_APIS:
    case ROUTE_GROUP:
    case ROUTE_GROUP_VERSION:
        handle_discovery(agg, req, &r);
        verb = VERB_GET;
        break;
    case ROUTE_OPENAPI_V2:
    case ROUTE_OPENAPI_V3:
    case ROUTE_OPENAPI_V3_GROUP:
        handle_openapi(agg, req, &r);
        verb = VERB_GET;
        break;
    case ROUTE_LIVEZ:
    case ROUTE_READYZ:
    case ROUTE_HEALTHZ:
        handle_health(agg, req, &r, q);
        break;
    case ROUTE_METRICS:
        handle_self_metrics(agg, req);
        break;
    case ROUTE_SHIP:
        handle_ship(agg, req);
        return 0; /* shipments are counted by their own metrics */
    case ROUTE_BAD_REQUEST:
        respond_status(req, MEDIA_JSON, 400, "BadRequest", "the request path is not valid", NULL,
                       NULL);
        break;
    case ROUTE_NOT_FOUND:
        respond_status(req, MEDIA_JSON, 404, "NotFound",
                       "the server could not find the requested "
                       "resource",
                       NULL, NULL);
        break;
    }
    selfmetrics_request(&agg->metrics, verb, req->res.status, (double)(mono_ns() - start) / 1e9);
    return 0;
}

static h2o_accept_ctx_t accept_ctx;

static void on_accept(h2o_socket_t *listener, const char *err)
{
    h2o_socket_t *sock;

    if (err) return;
    if ((sock = h2o_evloop_socket_accept(listener)) == NULL) return;
    h2o_accept(&accept_ctx, sock);
}

static int listen_on(const char *address, int port)
{
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    char portstr[16];
    int fd = -1, one = 1;

    snprintf(portstr, sizeof(portstr), "%d", port);
    if (getaddrinfo(address, portstr, &hints, &ai) != 0) return -1;
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        freeaddrinfo(ai);
        errno = e;
        return -1;
    }
    freeaddrinfo(ai);
    return fd;
}

int server_run(struct aggregator *agg, SSL_CTX *ssl_ctx)
{
    static h2o_globalconf_t config;
    static h2o_context_t ctx;
    struct server_handler *handler;
    h2o_hostconf_t *hostconf;
    h2o_pathconf_t *pathconf;
    h2o_socket_t *listener;
    struct sigaction sa = {.sa_handler = on_signal};
    int64_t last_expire = mono_ns();
    int fd;

    signal(SIGPIPE, SIG_IGN);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    h2o_config_init(&config);
    config.server_name = h2o_iovec_init(H2O_STRLIT("kmetrics"));
    config.max_request_entity_size = WIRE_MAX_COMPRESSED;
    config.http1.req_timeout = REQUEST_TIMEOUT_MS;
    config.http2.idle_timeout = IDLE_TIMEOUT_MS;
    config.http2.max_concurrent_requests_per_connection = MAX_STREAMS_PER_CONNECTION;
    hostconf = h2o_config_register_host(&config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    pathconf = h2o_config_register_path(hostconf, "/", 0);
    handler = (struct server_handler *)h2o_create_handler(pathconf, sizeof(*handler));
    handler->super.on_req = on_req;
    handler->agg = agg;

    h2o_context_init(&ctx, h2o_evloop_create(), &config);
    accept_ctx.ctx = &ctx;
    accept_ctx.hosts = config.hosts;
    accept_ctx.ssl_ctx = ssl_ctx;

    fd = listen_on(agg->cfg.bind_address, agg->cfg.secure_port);
    if (fd < 0) {
        log_error("listening on %s:%d: %s", agg->cfg.bind_address, agg->cfg.secure_port,
                  strerror(errno));
        return -1;
    }
    listener = h2o_evloop_socket_create(ctx.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    h2o_socket_read_start(listener, on_accept);
    log_info("aggregator serving metrics.k8s.io on https://%s:%d (HTTP/2, HTTP/1.1)",
             agg->cfg.bind_address, agg->cfg.secure_port);

    while (!stop_requested) {
        h2o_evloop_run(ctx.loop, 200);
        int64_t now = mono_ns();
        if (now - last_expire >= 1000000000) {
            size_t dropped = store_expire(&agg->store, now);
            if (dropped) log_info("dropped %zu node(s) whose collector went silent", dropped);
            last_expire = now;
        }
    }
    log_info("stop signal: shutting down");
    h2o_socket_read_stop(listener);
    h2o_socket_close(listener);
    return 0;
}
