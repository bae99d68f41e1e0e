#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <h2o.h>
#include <h2o/http2.h>

#include "clock.h"
#include "log.h"

#include "auth/auth_gate.h"
#include "auth/authn_reload.h"
#include "auth/kube_async.h"
#include "auth/tls_peer.h"
#include "handlers/handlers.h"
#include "http/conn_trim.h"
#include "http/respond.h"
#include "kube/kube_labels.h"
#include "kubelet/kubelet_fallback.h"

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

static void route_request(h2o_req_t *req, struct route *r)
{
    h2o_iovec_t path = request_path(req);

    route_path(path.base, path.len, r);
}

/* Answers a request that is allowed to be served. */
static void serve(struct aggregator *agg, h2o_req_t *req, const struct route *r, int64_t start)
{
    struct query q = request_query(req);
    enum request_verb verb = VERB_OTHER;

    switch (r->kind) {
    case ROUTE_NODES:
    case ROUTE_NODE:
    case ROUTE_PODS_ALL:
    case ROUTE_PODS_NAMESPACE:
    case ROUTE_POD:
        verb = handle_metrics(agg, req, r, q);
        break;
    case ROUTE_API:
    case ROUTE_API_V1:
    case ROUTE_APIS:
    case ROUTE_GROUP:
    case ROUTE_GROUP_VERSION:
    case ROUTE_CUSTOM_GROUP:
    case ROUTE_CUSTOM_GROUP_VERSION:
        handle_discovery(agg, req, r);
        verb = VERB_GET;
        break;
    case ROUTE_CUSTOM_POD_METRIC:
    case ROUTE_CUSTOM_NAMESPACE_METRIC:
        verb = handle_custom_metrics(agg, req, r, q);
        break;
    case ROUTE_OPENAPI_V2:
    case ROUTE_OPENAPI_V3:
    case ROUTE_OPENAPI_V3_GROUP:
        handle_openapi(agg, req, r);
        verb = VERB_GET;
        break;
    case ROUTE_LIVEZ:
    case ROUTE_READYZ:
    case ROUTE_HEALTHZ:
        handle_health(agg, req, r, q);
        break;
    case ROUTE_METRICS:
        handle_self_metrics(agg, req);
        break;
    case ROUTE_SHIP:
        handle_ship(agg, req, NULL);
        return; /* shipments are counted by their own metrics */
    case ROUTE_CORE_NODES:
    case ROUTE_CORE_NODE:
    case ROUTE_CORE_PODS_ALL:
    case ROUTE_CORE_PODS_NAMESPACE:
        verb = handle_core(agg, req, r);
        break;
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
    selfmetrics_request(&agg->metrics, verb, req->res.status,
                        (double)(clock_mono_ns() - start) / 1e9);
}

/* The authorization question a request asks, as the kube-apiserver would ask it. */
static void access_attributes_of(h2o_req_t *req, const struct route *r, struct access_attributes *a)
{
    static const char *const resources[] = {[ROUTE_NODES] = "nodes",
                                            [ROUTE_NODE] = "nodes",
                                            [ROUTE_PODS_ALL] = "pods",
                                            [ROUTE_PODS_NAMESPACE] = "pods",
                                            [ROUTE_POD] = "pods"};
    h2o_iovec_t path;

    memset(a, 0, sizeof(*a));
    a->verb = "get";
    if (r->kind >= ROUTE_NODES && r->kind <= ROUTE_POD) {
        a->verb = r->kind == ROUTE_NODE || r->kind == ROUTE_POD ? "get" : "list";
        a->group = "metrics.k8s.io";
        a->version = api_version_short(r->version);
        a->resource = resources[r->kind];
        if (r->ns_len) a->namespace_ = h2o_strdup(&req->pool, r->ns, r->ns_len).base;
        if (r->name_len) a->name = h2o_strdup(&req->pool, r->name, r->name_len).base;
        return;
    }
    if (r->kind == ROUTE_CUSTOM_POD_METRIC || r->kind == ROUTE_CUSTOM_NAMESPACE_METRIC) {
        /* As the API server's RequestInfo reads these paths: pods/{name}/{metric} is the pods
         * resource's {metric} subresource; metrics/{metric} the metrics resource. */
        bool pods = r->kind == ROUTE_CUSTOM_POD_METRIC;
        a->group = "custom.metrics.k8s.io";
        a->version = api_version_short(r->version);
        a->resource = pods ? "pods" : "metrics";
        a->namespace_ = h2o_strdup(&req->pool, r->ns, r->ns_len).base;
        a->name = pods && r->all ? "*"
                  : pods         ? h2o_strdup(&req->pool, r->name, r->name_len).base
                                 : h2o_strdup(&req->pool, r->metric, r->metric_len).base;
        if (pods) a->subresource = h2o_strdup(&req->pool, r->metric, r->metric_len).base;
        return;
    }
    path = request_path(req);
    a->path = h2o_strdup(&req->pool, path.base, path.len).base;
}

static void on_authorized(void *arg, h2o_req_t *req)
{
    struct route r;

    route_request(req, &r);
    serve(arg, req, &r, clock_mono_ns());
}

static void on_collector(void *arg, h2o_req_t *req, const char *node)
{
    handle_ship(arg, req, node);
}

static void on_collector_refused(void *arg, h2o_req_t *req, int code, const char *why)
{
    ship_reject(arg, req,
                code == 503   ? REJECT_AUTH_UNAVAILABLE
                : code == 403 ? REJECT_NOT_COLLECTOR
                              : REJECT_UNAUTHENTICATED,
                code, why);
}

static bool is_health(const struct route *r)
{
    return r->kind == ROUTE_LIVEZ || r->kind == ROUTE_READYZ || r->kind == ROUTE_HEALTHZ;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct aggregator *agg = ((struct server_handler *)self)->agg;
    int64_t start = clock_mono_ns();
    struct access_attributes attrs;
    struct route r;

    route_request(req, &r);
    if (agg->gate) {
        /* Kubernetes mode: health checks are open (probes carry no credentials); everything
         * else is authenticated and authorized through the API server first. */
        if (r.kind == ROUTE_SHIP)
            auth_gate_check_collector(agg->gate, req, on_collector, on_collector_refused, agg);
        else if (is_health(&r))
            serve(agg, req, &r, start);
        else {
            access_attributes_of(req, &r, &attrs);
            auth_gate_check(agg->gate, req, &attrs, on_authorized, agg);
        }
        return 0;
    }
    /* Standalone mode: API reads need the read token; health checks and shipments (which
     * carry their own credentials) do not. */
    if (agg->cfg.read_token && r.kind != ROUTE_SHIP && !is_health(&r) &&
        !request_bearer_matches(req, agg->cfg.read_token)) {
        respond_status(req, MEDIA_JSON, 401, "Unauthorized", "Unauthorized", NULL, NULL);
        selfmetrics_request(&agg->metrics, VERB_OTHER, 401,
                            (double)(clock_mono_ns() - start) / 1e9);
        return 0;
    }
    serve(agg, req, &r, start);
    return 0;
}

static void apply_authn(void *arg, struct authn_config *c)
{
    auth_gate_set_authn(((struct aggregator *)arg)->gate, c);
}

/* Kubernetes mode: client certificates at the TLS layer, the auth gate and its API workers,
 * the trust configuration from the ConfigMap. */
static int start_kube_mode(struct aggregator *agg, h2o_loop_t *loop, SSL_CTX *ssl_ctx)
{
    const struct aggregator_config *c = &agg->cfg;
    struct auth_gate_config gc = {
        .collector_namespace = c->collector_namespace,
        .collector_name = c->collector_name,
        .collector_audience = c->collector_audience,
        .token_ttl_ns = c->token_ttl_ns,
        .collector_ttl_ns = c->collector_ttl_ns,
        .allowed_ttl_ns = c->allowed_ttl_ns,
        .denied_ttl_ns = c->denied_ttl_ns,
    };
    struct api_caller api;
    char err[256];

    if (tls_peer_install(ssl_ctx) != 0 ||
        !(agg->kube_async = kube_async_start(loop, agg->kube, 2))) {
        log_error("cannot set up authentication: out of memory");
        return -1;
    }
    api = kube_async_caller(agg->kube_async);
    if (!(agg->gate = auth_gate_new(&gc, &api, ssl_ctx))) {
        log_error("cannot set up authentication: out of memory");
        return -1;
    }
    agg->authn_reload =
        authn_reload_start(loop, agg->kube, &c->authn_flags, apply_authn, agg, err, sizeof(err));
    if (!agg->authn_reload) {
        log_error("trust configuration: %s", err);
        return -1;
    }
    /* Nodes without a fresh collector are scraped at their kubelets: the node watch then
     * reads whole Node objects for their addresses. */
    struct kube_labels_options lo = {0};
    if (c->kubelet_fallback) {
        struct kubelet_fallback_config fc = {
            .resolution_ns = c->metric_resolution_ns,
            .grace_ns = c->collector_grace_ns,
            .scraper = {.threads = c->kubelet_concurrency,
                        .timeout_ms = (long)(c->kubelet_timeout_ns / 1000000),
                        .access = c->kube_access,
                        .ca_file = c->kubelet_ca_file,
                        .insecure = c->kubelet_insecure_tls},
        };
        agg->fallback = kubelet_fallback_start(&agg->store, loop, &fc, err, sizeof(err));
        if (!agg->fallback) {
            log_error("kubelet fallback: %s", err);
            return -1;
        }
        lo.node_rules = &c->kubelet_addresses;
        lo.node_listener = kubelet_fallback_on_node;
        lo.node_arg = agg->fallback;
    }
    /* Pod and node labels from metadata-only watches, for labelSelector and metadata. */
    agg->labels = kube_labels_start_opts(&agg->store, loop, agg->kube, &lo, err, sizeof(err));
    if (!agg->labels) {
        log_error("label watches: %s", err);
        return -1;
    }
    return 0;
}

static void stop_kube_mode(struct aggregator *agg)
{
    kube_labels_stop(agg->labels); /* no node listener call after this */
    agg->labels = NULL;
    kubelet_fallback_stop(agg->fallback);
    agg->fallback = NULL;
    authn_reload_stop(agg->authn_reload);
    kube_async_stop(agg->kube_async);
    auth_gate_free(agg->gate);
    agg->authn_reload = NULL;
    agg->kube_async = NULL;
    agg->gate = NULL;
}

static h2o_accept_ctx_t accept_ctx;

static void on_accept(h2o_socket_t *listener, const char *err)
{
    h2o_socket_t *sock;

    if (err) return;
    if ((sock = h2o_evloop_socket_accept(listener)) == NULL) return;
    conn_trim_track(sock); /* untracked (out of memory) only means never trimmed */
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
    int64_t last_expire = clock_mono_ns();
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
    if (agg->kube && start_kube_mode(agg, ctx.loop, ssl_ctx) != 0) return -1;
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
        /* Wake at least every 100 ms so a silent node leaves within 3 of its collector's
         * intervals plus 0.1 s (a scan of the node map: microseconds even at 5,000 nodes). */
        h2o_evloop_run(ctx.loop, 100);
        int64_t now = clock_mono_ns();
        if (now - last_expire >= 100000000) {
            size_t dropped = store_expire(&agg->store, now);
            if (dropped) log_info("dropped %zu node(s) not heard from", dropped);
            if (agg->fallback) kubelet_fallback_tick(agg->fallback, now);
            last_expire = now;
            conn_trim_idle();
        }
    }
    log_info("stop signal: shutting down");
    h2o_socket_read_stop(listener);
    h2o_socket_close(listener);
    if (agg->kube) stop_kube_mode(agg);
    return 0;
}
