/* Kubelet scrapes on worker threads (kubelet_scraper.h). */
#include "kubelet_scraper.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "file_read.h"
#include "strmap.h"

#include "http/loop_workers.h"
#include "kube/kube_client.h"

#define MAX_THREADS 256
#define QUEUE_MAX 65536
#define CLIENT_IDLE_NS (10 * 60 * 1000000000ll) /* a kubelet not scraped for 10 min: closed */
#define PATH "/metrics/resource"

static const char *const reason_names[SCRAPE_REASONS] = {
    [SCRAPE_OK] = "ok",
    [SCRAPE_UNREACHABLE] = "unreachable",
    [SCRAPE_TLS] = "tls",
    [SCRAPE_TIMEOUT] = "timeout",
    [SCRAPE_UNAUTHORIZED] = "unauthorized",
    [SCRAPE_FORBIDDEN] = "forbidden",
    [SCRAPE_HTTP_STATUS] = "http_status",
    [SCRAPE_TOO_LARGE] = "too_large",
    [SCRAPE_MALFORMED] = "malformed",
    [SCRAPE_INTERNAL] = "internal",
};

const char *kubelet_scrape_reason_name(enum kubelet_scrape_reason r)
{
    return (unsigned)r < SCRAPE_REASONS ? reason_names[r] : "unknown";
}

struct job {
    struct loop_job base; /* first */
    struct kubelet_scraper *sc;
    struct kubelet_scrape_result r;
    struct node_endpoint ep;
    int64_t queued_mono_ns;
    bool keep;
};

/* A kubelet's client, by "host:port". Used by one worker at a time (a node is never scraped
 * twice at once; two nodes sharing an endpoint wait for each other). */
struct client {
    char key[NODE_ADDRESS_HOST_MAX + 16]; /* the table's key (strmap keeps the pointer) */
    struct kube_client *kc;
    bool busy;
    bool drop; /* forgotten while busy: freed when given back */
    int64_t last_used_ns;
};

struct kubelet_scraper {
    struct kubelet_scraper_config cfg;
    struct kube_config access; /* server replaced per endpoint; strings borrowed or owned: */
    char *ca_pem_owned;
    kubelet_scrape_cb cb;
    void *arg;
    struct loop_workers *workers;
    pthread_mutex_t lock; /* the clients, and stopping */
    pthread_cond_t client_free;
    volatile bool stopping;
    struct strmap clients;
    int64_t last_sweep_ns;
};

/* --- clients (under sc->lock) ------------------------------------------------------------- */

static void endpoint_key(const struct node_endpoint *ep, char *out, size_t cap)
{
    snprintf(out, cap, ep->ipv6 ? "[%s]:%u" : "%s:%u", ep->host, (unsigned)ep->port);
}

static void client_free(struct kubelet_scraper *sc, struct client *c)
{
    strmap_del(&sc->clients, c->key);
    kube_client_free(c->kc);
    free(c);
}

/* The fallback forgets a kept connection when its session ends, but a scrape queued with
 * keep before that and run after it makes one nobody will forget: closed once idle this long. */
static void sweep_idle_clients(struct kubelet_scraper *sc, int64_t now)
{
    const char *k;
    void *v;

    if (now - sc->last_sweep_ns < CLIENT_IDLE_NS / 10) return;
    sc->last_sweep_ns = now;
    for (size_t it = 0; strmap_next(&sc->clients, &it, &k, &v);) {
        struct client *c = v;
        (void)k;
        if (c->busy || now - c->last_used_ns < CLIENT_IDLE_NS) continue;
        client_free(sc, c); /* a tombstone: the iteration goes on */
    }
}

/* Takes the endpoint's client (made on first use), waiting while another worker has it. */
static struct client *client_take(struct kubelet_scraper *sc, const char *key, char *err,
                                  size_t errlen)
{
    struct client *c;

    while ((c = strmap_get(&sc->clients, key)) && c->busy && !sc->stopping)
        pthread_cond_wait(&sc->client_free, &sc->lock);
    if (sc->stopping) {
        snprintf(err, errlen, "stopping");
        return NULL;
    }
    if (!c) {
        char server[NODE_ADDRESS_HOST_MAX + 16];
        struct kube_config cfg = sc->access;
        snprintf(server, sizeof(server), "https://%s", key);
        cfg.server = server;
        if (!(c = calloc(1, sizeof(*c)))) {
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
        snprintf(c->key, sizeof(c->key), "%s", key);
        err[0] = '\0';
        /* kube_client_new copies what it needs. */
        if (!(c->kc = kube_client_new(&cfg, err, errlen)) || strmap_put(&sc->clients, c->key, c)) {
            kube_client_free(c->kc);
            free(c);
            if (!err[0]) snprintf(err, errlen, "out of memory");
            return NULL;
        }
    }
    c->busy = true;
    return c;
}

/* keep: its connection stays for the next scrape; else it is closed now. */
static void client_give_back(struct kubelet_scraper *sc, struct client *c, bool keep)
{
    c->busy = false;
    c->last_used_ns = clock_mono_ns();
    if (!keep || c->drop) client_free(sc, c);
    pthread_cond_broadcast(&sc->client_free);
}

/* --- one scrape (worker thread) ----------------------------------------------------------- */

static enum kubelet_scrape_reason reason_of_errno(int rc)
{
    switch (rc) {
    case -ETIMEDOUT:
        return SCRAPE_TIMEOUT;
    case -EPROTO:
        return SCRAPE_TLS;
    case -EFBIG:
        return SCRAPE_TOO_LARGE;
    case -ENOMEM:
    case -EINVAL:
        return SCRAPE_INTERNAL;
    default:
        return SCRAPE_UNREACHABLE;
    }
}

/* The start of a refused answer, printable, for the log line. */
static void excerpt(char *out, size_t cap, long status, const char *body, size_t len)
{
    int n = snprintf(out, cap, "HTTP %ld: ", status);
    size_t k = n > 0 ? (size_t)n : 0;

    for (size_t i = 0; i < len && k + 1 < cap && i < 160; i++)
        out[k++] = body[i] >= 0x20 && body[i] < 0x7f ? body[i] : ' ';
    if (k < cap) out[k] = '\0';
}

static void scrape(struct loop_job *job)
{
    struct job *j = (struct job *)job;
    struct kubelet_scraper *sc = j->sc;
    struct kubelet_scrape_result *r = &j->r;
    struct kube_response resp = {0};
    char key[NODE_ADDRESS_HOST_MAX + 16];
    struct client *c;
    int64_t start = clock_mono_ns();
    int rc;

    r->queued_ns = start - j->queued_mono_ns;
    r->real_ns = clock_real_ns();
    endpoint_key(&j->ep, key, sizeof(key));
    pthread_mutex_lock(&sc->lock);
    sweep_idle_clients(sc, start);
    c = client_take(sc, key, r->err, sizeof(r->err));
    pthread_mutex_unlock(&sc->lock);
    if (!c) {
        r->reason = SCRAPE_INTERNAL;
        return;
    }
    rc = kube_client_request_stop(c->kc, "GET", PATH, "text/plain", NULL, sc->cfg.timeout_ms,
                                  KUBELET_METRICS_MAX_BYTES, &sc->stopping, &resp, r->err,
                                  sizeof(r->err));
    pthread_mutex_lock(&sc->lock);
    client_give_back(sc, c, j->keep);
    pthread_mutex_unlock(&sc->lock);
    if (rc) {
        r->reason = reason_of_errno(rc);
    } else if (resp.status != 200) {
        r->status = resp.status;
        r->reason = resp.status == 401   ? SCRAPE_UNAUTHORIZED
                    : resp.status == 403 ? SCRAPE_FORBIDDEN
                                         : SCRAPE_HTTP_STATUS;
        excerpt(r->err, sizeof(r->err), resp.status, resp.body, resp.len);
    } else {
        r->status = 200;
        r->bytes = resp.len;
        rc = kubelet_metrics_parse(resp.body, resp.len, &r->metrics, r->err, sizeof(r->err));
        if (rc == -EMSGSIZE)
            r->reason = SCRAPE_TOO_LARGE;
        else if (rc)
            r->reason = SCRAPE_INTERNAL;
        else if (r->metrics.n == 0) {
            r->reason = SCRAPE_MALFORMED;
            snprintf(r->err, sizeof(r->err),
                     "no usable sample in %zu bytes (%zu broken, %zu lines of other series)",
                     resp.len, r->metrics.dropped, r->metrics.skipped);
        }
    }
    if (r->reason != SCRAPE_OK) kubelet_metrics_done(&r->metrics);
    kube_response_done(&resp);
    r->duration_ns = clock_mono_ns() - start;
}

/* --- loop side ---------------------------------------------------------------------------- */

static void job_free(struct job *j)
{
    kubelet_metrics_done(&j->r.metrics);
    free(j);
}

static void job_done(struct loop_job *job)
{
    struct job *j = (struct job *)job;

    j->sc->cb(j->sc->arg, &j->r);
    job_free(j);
}

static void job_drop(struct loop_job *job)
{
    job_free((struct job *)job);
}

void kubelet_scraper_forget(struct kubelet_scraper *sc, const struct node_endpoint *ep)
{
    char key[NODE_ADDRESS_HOST_MAX + 16];
    struct client *c;

    endpoint_key(ep, key, sizeof(key));
    pthread_mutex_lock(&sc->lock);
    if ((c = strmap_get(&sc->clients, key))) {
        if (c->busy)
            c->drop = true;
        else
            client_free(sc, c);
    }
    pthread_mutex_unlock(&sc->lock);
}

int kubelet_scraper_submit(struct kubelet_scraper *sc, const char *node,
                           const struct node_endpoint *ep, uint64_t ticket, bool keep)
{
    struct job *j = calloc(1, sizeof(*j));
    int rc;

    if (!j) return -ENOMEM;
    j->base = (struct loop_job){.run = scrape, .done = job_done, .drop = job_drop};
    j->sc = sc;
    snprintf(j->r.node, sizeof(j->r.node), "%s", node);
    j->r.ticket = ticket;
    kubelet_metrics_init(&j->r.metrics);
    j->ep = *ep;
    j->keep = keep;
    j->queued_mono_ns = clock_mono_ns();
    if ((rc = loop_workers_submit(sc->workers, &j->base))) job_free(j);
    return rc;
}

struct kubelet_scraper *kubelet_scraper_start(h2o_loop_t *loop,
                                              const struct kubelet_scraper_config *cfg,
                                              kubelet_scrape_cb cb, void *arg, char *err,
                                              size_t errlen)
{
    struct kubelet_scraper *sc = calloc(1, sizeof(*sc));

    if (!sc) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    sc->cfg = *cfg;
    sc->cb = cb;
    sc->arg = arg;
    sc->access = *cfg->access;
    sc->access.tls_server_name = NULL; /* the API server's name is not the kubelet's */
    sc->access.namespace_ = NULL;
    if (cfg->ca_file) {
        size_t len;
        int rc =
            file_read(AT_FDCWD, cfg->ca_file, KUBE_CONFIG_MAX_FILE, 0, &sc->ca_pem_owned, &len);
        if (rc) {
            snprintf(err, errlen, "--kubelet-certificate-authority %s: %s", cfg->ca_file,
                     strerror(-rc));
            free(sc);
            return NULL;
        }
        sc->access.ca_pem = sc->ca_pem_owned;
        sc->access.ca_pem_len = len;
    }
    /* Not verifying is asked for explicitly, and then no CA is handed to the client. */
    sc->access.insecure_skip_tls_verify = cfg->insecure;
    if (cfg->insecure) {
        sc->access.ca_pem = NULL;
        sc->access.ca_pem_len = 0;
    }
    strmap_init(&sc->clients);
    pthread_mutex_init(&sc->lock, NULL);
    pthread_cond_init(&sc->client_free, NULL);
    int n = cfg->threads > MAX_THREADS ? MAX_THREADS : cfg->threads;
    if (!(sc->workers = loop_workers_start(loop, n, QUEUE_MAX))) {
        snprintf(err, errlen, "cannot start scrape workers");
        kubelet_scraper_stop(sc);
        return NULL;
    }
    return sc;
}

void kubelet_scraper_stop(struct kubelet_scraper *sc)
{
    const char *k;
    void *v;

    if (!sc) return;
    /* Scrapes in flight are cut short (the client watches stopping), a worker waiting for a
     * kubelet's client gives up; then the pool joins them and drops what is left. */
    pthread_mutex_lock(&sc->lock);
    sc->stopping = true;
    pthread_cond_broadcast(&sc->client_free);
    pthread_mutex_unlock(&sc->lock);
    loop_workers_stop(sc->workers);
    for (size_t it = 0; strmap_next(&sc->clients, &it, &k, &v);) {
        struct client *c = v;
        kube_client_free(c->kc);
        free(c);
    }
    strmap_done(&sc->clients);
    pthread_cond_destroy(&sc->client_free);
    pthread_mutex_destroy(&sc->lock);
    free(sc->ca_pem_owned);
    free(sc);
}
