#include "auth_gate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "clock.h"
#include "hex.h"
#include "log.h"
#include "outbuf.h"
#include "strmap.h"

#include "authn.h"
#include "http/respond.h"
#include "tls_peer.h"

#define API_TIMEOUT_MS 10000
#define ERROR_TTL_NS 1000000000LL /* a failed API call is retried after this */
#define SWEEP_EVERY 4096
#define POD_NAME_EXTRA "authentication.kubernetes.io/pod-name"
#define POD_UID_EXTRA "authentication.kubernetes.io/pod-uid"

enum entry_kind { KIND_TOKEN, KIND_COLLECTOR, KIND_ACCESS };

/* One answer, cached or on its way. Waiters are requests that need it. */
struct entry {
    char *key;
    struct auth_gate *g;
    enum entry_kind kind;
    bool pending, cached;
    int64_t expires_ns;
    int verdict; /* 1 yes, 0 no, -1 the API call failed */
    char why[256];
    struct user_info user; /* TokenReview's user */
    char *pod_name, *pod_uid, *node;
    h2o_linklist_t waiters;
};

struct cache {
    struct strmap map;
    size_t inserts;
};

struct auth_gate {
    struct auth_gate_config cfg;
    struct api_caller api;
    SSL_CTX *ssl_ctx;
    struct authn_config *authn;
    struct cache tokens, access;
    uint64_t stats[AUTH_STATS];
};

enum waiter_stage { W_READ_TOKEN, W_READ_ACCESS, W_SHIP };

/* Per request, in its memory pool: disposed with the request, even mid-wait. */
struct waiter {
    h2o_linklist_t link;
    h2o_req_t *req;
    struct auth_gate *g;
    enum waiter_stage stage;
    struct access_attributes attrs;
    struct user_info user;
    auth_proceed_cb proceed;
    auth_ship_cb ship;
    auth_ship_reject_cb reject;
    void *arg;
};

static int api_call(struct auth_gate *g, const char *method, const char *path, const char *body,
                    kube_async_cb cb, void *arg)
{
    return g->api.call(g->api.ctx, method, path, body, API_TIMEOUT_MS, cb, arg);
}

static void entry_free(struct entry *e)
{
    free(e->key);
    user_info_done(&e->user);
    free(e->pod_name);
    free(e->pod_uid);
    free(e->node);
    free(e);
}

static void cache_init(struct cache *c)
{
    strmap_init(&c->map);
    c->inserts = 0;
}

/* Drops answers past their time. Pending entries stay: requests wait on them. */
static void cache_sweep(struct cache *c, int64_t now)
{
    const char *k;
    void *v;

    for (size_t it = 0; strmap_next(&c->map, &it, &k, &v);) {
        struct entry *e = v;
        if (!e->pending && e->expires_ns <= now) {
            strmap_del(&c->map, e->key);
            entry_free(e);
        }
    }
}

static void cache_free(struct cache *c)
{
    const char *k;
    void *v;

    for (size_t it = 0; strmap_next(&c->map, &it, &k, &v);) {
        struct entry *e = v;
        while (!h2o_linklist_is_empty(&e->waiters))
            h2o_linklist_unlink(e->waiters.next);
        entry_free(e);
    }
    strmap_done(&c->map);
}

/* The live entry for key, or NULL (an expired one is dropped). */
static struct entry *cache_get(struct cache *c, const char *key, int64_t now)
{
    struct entry *e = strmap_get(&c->map, key);

    if (e && !e->pending && e->expires_ns <= now) {
        strmap_del(&c->map, key);
        entry_free(e);
        e = NULL;
    }
    return e;
}

/* A new pending entry; kept in the cache when there is room, else used once and freed. */
static struct entry *entry_new(struct auth_gate *g, struct cache *c, enum entry_kind kind,
                               char *key)
{
    struct entry *e = calloc(1, sizeof(*e));

    if (!e) {
        free(key);
        return NULL;
    }
    e->key = key;
    e->g = g;
    e->kind = kind;
    e->pending = true;
    h2o_linklist_init_anchor(&e->waiters);
    if (++c->inserts % SWEEP_EVERY == 0 || c->map.len >= g->cfg.max_entries)
        cache_sweep(c, clock_mono_ns());
    if (c->map.len < g->cfg.max_entries && strmap_put(&c->map, e->key, e) == 0) e->cached = true;
    return e;
}

static void waiter_dispose(void *p)
{
    struct waiter *w = p;

    if (h2o_linklist_is_linked(&w->link)) h2o_linklist_unlink(&w->link);
    user_info_done(&w->user);
}

static struct waiter *waiter_new(struct auth_gate *g, h2o_req_t *req, enum waiter_stage stage)
{
    struct waiter *w = h2o_mem_alloc_shared(&req->pool, sizeof(*w), waiter_dispose);

    memset(w, 0, sizeof(*w));
    w->req = req;
    w->g = g;
    w->stage = stage;
    return w;
}

static void deny(struct waiter *w, int code, const char *message)
{
    struct auth_gate *g = w->g;

    if (code == 401 || code == 403) /* a 503 is counted as an API error already */
        g->stats[code == 401 ? AUTH_STAT_UNAUTHENTICATED : AUTH_STAT_FORBIDDEN]++;
    if (w->stage == W_SHIP) {
        w->reject(w->arg, w->req, code, message);
        return;
    }
    respond_status(w->req, MEDIA_JSON, code,
                   code == 401   ? "Unauthorized"
                   : code == 403 ? "Forbidden"
                                 : "ServiceUnavailable",
                   message, NULL, NULL);
}

static void resume(struct waiter *w, struct entry *e);

/* Ends an entry: caches the answer (or forgets it if it was not cached) and resumes waiters. */
static void complete(struct entry *e)
{
    struct auth_gate *g = e->g;

    e->pending = false;
    /* A collector that passed is trusted longer: at 5,000 nodes a 10 s answer would cost a
     * TokenReview and a pod lookup per node every 10 s. */
    e->expires_ns =
        clock_mono_ns() + (e->verdict < 0                            ? ERROR_TTL_NS
                           : e->kind == KIND_COLLECTOR && e->verdict ? g->cfg.collector_ttl_ns
                           : e->kind != KIND_ACCESS                  ? g->cfg.token_ttl_ns
                           : e->verdict                              ? g->cfg.allowed_ttl_ns
                                                                     : g->cfg.denied_ttl_ns);
    if (e->verdict < 0) {
        g->stats[AUTH_STAT_API_ERRORS]++;
        LOG_RATELIMITED(LOG_WARN, "%s", e->why);
    }
    while (!h2o_linklist_is_empty(&e->waiters)) {
        struct waiter *w = H2O_STRUCT_FROM_MEMBER(struct waiter, link, e->waiters.next);
        h2o_linklist_unlink(&w->link);
        resume(w, e);
    }
    if (!e->cached) entry_free(e);
}

/* err: what went wrong (a transport error, an HTTP status), or NULL for an answer that said
 * nothing usable. */
static void fail(struct entry *e, const char *what, const char *err)
{
    e->verdict = -1;
    snprintf(e->why, sizeof(e->why), "%s failed: %s", what, err ? err : "unexpected answer");
    complete(e);
}

/* true when the API server answered 200/201; else the entry fails with why. */
static bool answered(struct entry *e, const char *what, int rc, const struct kube_response *resp,
                     const char *err)
{
    char msg[64];

    if (rc == 0 && (resp->status == 200 || resp->status == 201)) return true;
    snprintf(msg, sizeof(msg), "HTTP %ld", rc == 0 ? resp->status : 0L);
    fail(e, what, rc ? err : msg);
    return false;
}

static void pod_done(void *arg, int rc, const struct kube_response *resp, const char *err)
{
    struct entry *e = arg;
    char *node = NULL, *uid = NULL;

    if (rc == 0 && resp->status == 404) {
        e->verdict = 0;
        snprintf(e->why, sizeof(e->why), "the token's pod %s no longer exists", e->pod_name);
    } else if (!answered(e, "looking up the collector's pod", rc, resp, err)) {
        return;
    } else if (pod_node_parse(resp->body, resp->len, &node, &uid) != 0) {
        fail(e, "looking up the collector's pod", NULL);
        return;
    } else if (strcmp(uid, e->pod_uid) != 0) {
        e->verdict = 0;
        snprintf(e->why, sizeof(e->why), "the token's pod %s was replaced (uid differs)",
                 e->pod_name);
    } else if (!*node) {
        e->verdict = 0;
        snprintf(e->why, sizeof(e->why), "the token's pod %s is not on a node", e->pod_name);
    } else {
        e->verdict = 1;
        e->node = node;
        node = NULL;
    }
    free(node);
    free(uid);
    complete(e);
}

/* A collector's token passed review: is it the collector ServiceAccount, bound to a pod? */
static void check_collector(struct entry *e)
{
    struct auth_gate *g = e->g;
    char want[512], path[600];
    const char *pod = user_info_extra(&e->user, POD_NAME_EXTRA);
    const char *uid = user_info_extra(&e->user, POD_UID_EXTRA);
    int rc;

    snprintf(want, sizeof(want), "system:serviceaccount:%s:%s", g->cfg.collector_namespace,
             g->cfg.collector_name);
    if (strcmp(e->user.name, want) != 0) {
        e->verdict = 0;
        snprintf(e->why, sizeof(e->why), "%s is not a kmetrics collector (want %s)", e->user.name,
                 want);
        complete(e);
        return;
    }
    if (!pod || !uid || !*pod || !*uid || strchr(pod, '/') || strchr(pod, '?')) {
        e->verdict = 0;
        snprintf(e->why, sizeof(e->why), "the collector's token is not bound to a pod");
        complete(e);
        return;
    }
    e->pod_name = strdup(pod);
    e->pod_uid = strdup(uid);
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", g->cfg.collector_namespace, pod);
    g->stats[AUTH_STAT_POD_LOOKUPS]++;
    if (!e->pod_name || !e->pod_uid || (rc = api_call(g, "GET", path, NULL, pod_done, e)) != 0)
        fail(e, "looking up the collector's pod", "cannot queue the call");
}

static void token_done(void *arg, int rc, const struct kube_response *resp, const char *err)
{
    struct entry *e = arg;
    const char *aud[] = {e->g->cfg.collector_audience, NULL};
    int v;

    if (!answered(e, "TokenReview", rc, resp, err)) return;
    v = token_review_parse(resp->body, resp->len, e->kind == KIND_COLLECTOR ? aud : NULL, &e->user,
                           e->why, sizeof(e->why));
    if (v < 0) {
        fail(e, "TokenReview", NULL);
        return;
    }
    e->verdict = v;
    if (v == 1 && e->kind == KIND_COLLECTOR) {
        check_collector(e);
        return;
    }
    complete(e);
}

static void access_done(void *arg, int rc, const struct kube_response *resp, const char *err)
{
    struct entry *e = arg;
    int v;

    if (!answered(e, "SubjectAccessReview", rc, resp, err)) return;
    v = access_review_parse(resp->body, resp->len, e->why, sizeof(e->why));
    if (v < 0) {
        fail(e, "SubjectAccessReview", NULL);
        return;
    }
    e->verdict = v;
    complete(e);
}

/* Waits on, reuses, or starts the answer for key. start makes the API call for a new entry. */
static void lookup(struct auth_gate *g, struct cache *c, enum entry_kind kind, char *key,
                   struct waiter *w, void (*start)(struct entry *e, void *arg), void *arg)
{
    struct entry *e;

    if (!key) {
        deny(w, w->stage == W_READ_ACCESS ? 403 : 401, "out of memory");
        return;
    }
    e = cache_get(c, key, clock_mono_ns());
    if (e) {
        free(key);
        if (e->pending) {
            g->stats[AUTH_STAT_COALESCED]++;
            h2o_linklist_insert(&e->waiters, &w->link);
        } else {
            g->stats[AUTH_STAT_CACHE_HITS]++;
            resume(w, e);
        }
        return;
    }
    if (!(e = entry_new(g, c, kind, key))) {
        deny(w, w->stage == W_READ_ACCESS ? 403 : 401, "out of memory");
        return;
    }
    h2o_linklist_insert(&e->waiters, &w->link);
    start(e, arg);
}

struct token_arg {
    h2o_iovec_t token;
};

static void start_token_review(struct entry *e, void *arg)
{
    struct token_arg *t = arg;
    const char *aud[] = {e->g->cfg.collector_audience, NULL};
    char *body =
        token_review_request(t->token.base, t->token.len, e->kind == KIND_COLLECTOR ? aud : NULL);

    e->g->stats[AUTH_STAT_TOKEN_REVIEWS]++;
    if (!body || api_call(e->g, "POST", "/apis/authentication.k8s.io/v1/tokenreviews", body,
                          token_done, e) != 0)
        fail(e, "TokenReview", "cannot queue the call");
    free(body);
}

static void start_access_review(struct entry *e, void *arg)
{
    (void)arg;
    e->g->stats[AUTH_STAT_ACCESS_REVIEWS]++;
    /* The cache key is the review document itself. */
    if (api_call(e->g, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", e->key,
                 access_done, e) != 0)
        fail(e, "SubjectAccessReview", "cannot queue the call");
}

/* Token cache keys: the kind and a digest, never the token itself. */
static char *token_key(enum entry_kind kind, h2o_iovec_t token)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    char *key = malloc(2 + 2 * sizeof(md) + 1);

    if (!key) return NULL;
    SHA256((const unsigned char *)token.base, token.len, md);
    key[0] = kind == KIND_COLLECTOR ? 'c' : 't';
    key[1] = ':';
    hex_encode(md, sizeof(md), key + 2);
    return key;
}

#define AUTHENTICATED_GROUP "system:authenticated"

/* Kubernetes adds this group to every authenticated user (RBAC's discovery and public-info
 * roles are bound to it); front proxies usually send it, but not always (the kube-apiserver's
 * own OpenAPI fetches do not). */
static int add_authenticated_group(struct user_info *u)
{
    for (size_t i = 0; i < u->ngroups; i++)
        if (strcmp(u->groups[i], AUTHENTICATED_GROUP) == 0) return 0;
    return user_info_add_group(u, AUTHENTICATED_GROUP, strlen(AUTHENTICATED_GROUP));
}

static void authorize(struct waiter *w)
{
    if (add_authenticated_group(&w->user) != 0) {
        deny(w, 401, "too many groups");
        return;
    }
    w->stage = W_READ_ACCESS;
    lookup(w->g, &w->g->access, KIND_ACCESS, access_cache_key(&w->user, &w->attrs), w,
           start_access_review, NULL);
}

static void forbidden(struct waiter *w, const char *why)
{
    const struct access_attributes *a = &w->attrs;
    char msg[1024];

    if (a->resource)
        snprintf(msg, sizeof(msg),
                 "%s.%s is forbidden: User \"%s\" cannot %s resource \"%s%s%s\" in API group "
                 "\"%s\" %s%s%s%s%s",
                 a->resource, a->group, w->user.name, a->verb, a->resource,
                 a->subresource ? "/" : "", a->subresource ? a->subresource : "", a->group,
                 a->namespace_ ? "in the namespace \"" : "at the cluster scope",
                 a->namespace_ ? a->namespace_ : "", a->namespace_ ? "\"" : "",
                 why && *why ? ": " : "", why ? why : "");
    else
        snprintf(msg, sizeof(msg), "forbidden: User \"%s\" cannot %s path \"%s\"%s%s", w->user.name,
                 a->verb, a->path, why && *why ? ": " : "", why ? why : "");
    deny(w, 403, msg);
}

static void resume(struct waiter *w, struct entry *e)
{
    switch (w->stage) {
    case W_READ_TOKEN:
        if (e->verdict == 1) {
            if (user_info_copy(&w->user, &e->user) != 0) {
                deny(w, 401, "out of memory");
                return;
            }
            authorize(w);
        } else {
            deny(w, 401, e->verdict < 0 ? e->why : "Unauthorized");
        }
        return;
    case W_READ_ACCESS:
        if (e->verdict == 1)
            w->proceed(w->arg, w->req);
        else
            forbidden(w, e->verdict < 0 ? e->why : e->why);
        return;
    case W_SHIP:
        if (e->verdict == 1)
            w->ship(w->arg, w->req, e->node);
        else if (e->verdict < 0)
            deny(w, 503, e->why);
        else
            deny(w, e->user.name ? 403 : 401, e->why[0] ? e->why : "not authenticated");
        return;
    }
}

static const char *pool_dup(h2o_req_t *req, const char *s)
{
    return s ? h2o_strdup(&req->pool, s, SIZE_MAX).base : NULL;
}

void auth_gate_check(struct auth_gate *g, h2o_req_t *req, const struct access_attributes *attrs,
                     auth_proceed_cb proceed, void *arg)
{
    struct waiter *w = waiter_new(g, req, W_READ_TOKEN);
    struct token_arg t;
    const char *how;

    w->proceed = proceed;
    w->arg = arg;
    w->attrs = (struct access_attributes){
        .verb = pool_dup(req, attrs->verb),
        .group = pool_dup(req, attrs->group),
        .version = pool_dup(req, attrs->version),
        .resource = pool_dup(req, attrs->resource),
        .subresource = pool_dup(req, attrs->subresource),
        .namespace_ = pool_dup(req, attrs->namespace_),
        .name = pool_dup(req, attrs->name),
        .path = pool_dup(req, attrs->path),
    };
    switch (authn_request(g->authn, req, tls_peer_of(req->conn), &w->user, &t.token, &how)) {
    case AUTHN_USER:
        authorize(w);
        return;
    case AUTHN_TOKEN:
        lookup(g, &g->tokens, KIND_TOKEN, token_key(KIND_TOKEN, t.token), w, start_token_review,
               &t);
        return;
    case AUTHN_NONE:
    case AUTHN_ERROR:
        deny(w, 401, how);
        return;
    }
}

void auth_gate_check_collector(struct auth_gate *g, h2o_req_t *req, auth_ship_cb proceed,
                               auth_ship_reject_cb reject, void *arg)
{
    struct waiter *w = waiter_new(g, req, W_SHIP);
    struct token_arg t;

    w->ship = proceed;
    w->reject = reject;
    w->arg = arg;
    if (!authn_bearer(req, &t.token)) {
        deny(w, 401, "shipment carries no bearer token");
        return;
    }
    lookup(g, &g->tokens, KIND_COLLECTOR, token_key(KIND_COLLECTOR, t.token), w, start_token_review,
           &t);
}

struct auth_gate *auth_gate_new(const struct auth_gate_config *cfg, const struct api_caller *api,
                                SSL_CTX *ssl_ctx)
{
    struct auth_gate *g = calloc(1, sizeof(*g));

    if (!g) return NULL;
    g->cfg = *cfg;
    if (!g->cfg.max_entries) g->cfg.max_entries = 10000;
    if (!g->cfg.collector_ttl_ns) g->cfg.collector_ttl_ns = g->cfg.token_ttl_ns;
    g->api = *api;
    g->ssl_ctx = ssl_ctx;
    cache_init(&g->tokens);
    cache_init(&g->access);
    return g;
}

void auth_gate_free(struct auth_gate *g)
{
    if (!g) return;
    cache_free(&g->tokens);
    cache_free(&g->access);
    authn_config_free(g->authn);
    free(g);
}

void auth_gate_set_authn(struct auth_gate *g, struct authn_config *c)
{
    authn_config_free(g->authn);
    g->authn = c;
    if (g->ssl_ctx && c) SSL_CTX_set_client_CA_list(g->ssl_ctx, SSL_dup_CA_list(c->ca_names));
}

bool auth_gate_has_authn(const struct auth_gate *g)
{
    return g->authn != NULL;
}

uint64_t auth_gate_stat(const struct auth_gate *g, enum auth_stat s)
{
    return g->stats[s];
}

void auth_gate_write_metrics(const struct auth_gate *g, struct outbuf *out)
{
    static const char *const calls[] = {"tokenreview", "subjectaccessreview", "pod"};
    static const char *const outcomes[] = {"cache_hit", "coalesced"};

    outbuf_puts(out, "# HELP kmetrics_auth_api_calls_total Calls to the API server made to "
                     "authenticate and authorize requests.\n"
                     "# TYPE kmetrics_auth_api_calls_total counter\n");
    for (int i = 0; i < 3; i++)
        outbuf_printf(out, "kmetrics_auth_api_calls_total{kind=\"%s\"} %llu\n", calls[i],
                      (unsigned long long)g->stats[AUTH_STAT_TOKEN_REVIEWS + i]);
    outbuf_puts(out, "# HELP kmetrics_auth_answers_reused_total Requests answered without an "
                     "API call of their own.\n# TYPE kmetrics_auth_answers_reused_total counter\n");
    for (int i = 0; i < 2; i++)
        outbuf_printf(out, "kmetrics_auth_answers_reused_total{how=\"%s\"} %llu\n", outcomes[i],
                      (unsigned long long)g->stats[AUTH_STAT_CACHE_HITS + i]);
    outbuf_printf(out,
                  "# HELP kmetrics_auth_denied_total Requests refused, by status code.\n"
                  "# TYPE kmetrics_auth_denied_total counter\n"
                  "kmetrics_auth_denied_total{code=\"401\"} %llu\n"
                  "kmetrics_auth_denied_total{code=\"403\"} %llu\n"
                  "# HELP kmetrics_auth_api_errors_total Authentication or authorization calls "
                  "that failed (the request was denied).\n"
                  "# TYPE kmetrics_auth_api_errors_total counter\n"
                  "kmetrics_auth_api_errors_total %llu\n",
                  (unsigned long long)g->stats[AUTH_STAT_UNAUTHENTICATED],
                  (unsigned long long)g->stats[AUTH_STAT_FORBIDDEN],
                  (unsigned long long)g->stats[AUTH_STAT_API_ERRORS]);
}
