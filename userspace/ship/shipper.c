/* The shipping thread: one poll() loop drives an HTTP/2 connection per target (h2_client.c)
 * concurrently, so one slow replica does not hold back the others, and each target keeps its
 * connection between shipments. Only this thread touches targets and connections; the
 * collector thread hands over snapshots through a one-slot mailbox and wakes the loop through
 * an eventfd. */
#include "shipper.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "backoff.h"
#include "clock.h"
#include "json_load.h"
#include "log.h"
#include "random.h"
#include "token_file.h"

#include "h2_client.h"

#define DEFAULT_INTERVAL_NS (15 * NS_PER_SEC)
#define RESOLVE_EVERY_NS (30 * NS_PER_SEC)
#define BACKOFF_MIN_NS NS_PER_SEC
#define BACKOFF_MAX_NS (30 * NS_PER_SEC)
#define IDLE_WAIT_MS 5000
/* One per wire version (docs/wire-format.md); an aggregator that refuses the newer one with
 * 415 gets the older one until a new connection to it (it may have been upgraded). */
#define CONTENT_TYPE_V1 "application/vnd.kmetrics.shipment.v1"
#define CONTENT_TYPE_V2 "application/vnd.kmetrics.shipment.v2"

struct upstream {
    char *url;       /* as given, without a trailing '/' */
    char *path;      /* the URL's path + "/ship" */
    char *authority; /* host[:port] as the URL has it */
    char *host;      /* without IPv6 brackets */
    unsigned port;
    bool tls;     /* https (else h2c: HTTP/2 without TLS, for tests) */
    bool is_name; /* a DNS name (else an address literal: one target, never resolved) */
    int64_t next_resolve_ns;
};

enum reach { REACH_UNKNOWN, REACH_UP, REACH_DOWN };

struct target {
    struct upstream *up;
    char addr[INET6_ADDRSTRLEN]; /* "" when the connection resolves the name itself */
    struct h2_conn *conn;
    struct h2_request req;       /* points into up, headers and body */
    struct h2_header headers[3]; /* the shipper's, with this target's content type */
    uint8_t wire_version;        /* the newest it takes, as far as we know */
    struct outbuf body;
    bool in_flight;

    struct ship_snapshot *acked; /* what the aggregator holds as acked_seq */
    uint64_t acked_seq;
    struct ship_snapshot *sending; /* the shipment in flight was made from it */
    uint64_t sending_seq, sending_gen;
    bool sending_full;

    bool need_full;
    uint64_t done_gen; /* newest snapshot generation it acknowledged */
    int64_t next_attempt_ns;
    struct backoff backoff; /* when to retry after a failure */
    enum reach reach;
    long last_status; /* last HTTP status, to log a rejection when it changes */

    struct shipper_target_stats st; /* under the shipper's stats_lock */
};

struct shipper {
    char *node_name, *token;
    int64_t interval_ns;
    struct upstream ups[SHIPPER_MAX_URLS];
    size_t nups;
    struct target *targets[SHIPPER_MAX_TARGETS];
    size_t ntargets;
    struct h2_tls *tls;
    char *auth; /* "Bearer <token>" */
    /* The previous one: a request queued before a rotation may still point at it. */
    char *auth_retired;
    char *token_file;
    struct stat token_stat;
    int64_t token_checked_ns;
    size_t auth_header;
    struct h2_header headers[3];
    size_t nheaders;
    int wake_fd; /* eventfd: the mailbox has news, or stop */
    uint64_t instance;
    uint64_t seq; /* shared by all targets, so two targets reaching one replica never collide */
    struct ship_snapshot *cur; /* newest snapshot taken from the mailbox (thread only) */
    uint64_t cur_gen;
    bool cur_changes_only; /* offered by shipper_offer_changes: ship what appeared or went */

    pthread_t thread;
    bool started;
    atomic_bool stop;
    pthread_mutex_t lock; /* the mailbox */
    struct ship_snapshot *pending;
    uint64_t pending_gen;
    bool pending_changes_only;

    pthread_mutex_t stats_lock; /* stats, every target's st, and the target list */
    struct shipper_stats stats;
};

/* ---- small helpers ----------------------------------------------------------------------- */

static void target_name(const struct target *t, char *out, size_t n)
{
    if (t->addr[0])
        snprintf(out, n, "%s (%s)", t->up->url, t->addr);
    else
        snprintf(out, n, "%s", t->up->url);
}

/* Printable, one line, short: aggregator answers end up in our log. */
static void sanitize(char *dst, size_t cap, const char *src, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[n++] = c >= 0x20 && c < 0x7f ? (char)c : ' ';
    }
    while (n > 0 && dst[n - 1] == ' ')
        n--;
    dst[n] = '\0';
}

/* An aggregator's answer as a JSON object, or NULL (then it is read as text). */
static json_t *reply_json(const struct outbuf *reply)
{
    static const struct json_bounds bounds = {.max_bytes = 64 * 1024, .object = true};
    char why[64];
    json_t *root;

    json_load_bounded(reply->data ? reply->data : "", reply->len, &bounds, &root, why, sizeof(why));
    return root;
}

/* The "message" of a JSON Status answer, else the body as text. */
static void reply_message(const struct outbuf *reply, char *out, size_t cap)
{
    json_t *root = reply_json(reply);
    const char *msg = json_string_value(json_object_get(root, "message"));

    if (msg)
        sanitize(out, cap, msg, strlen(msg));
    else
        sanitize(out, cap, reply->data ? reply->data : "", reply->len);
    if (!out[0]) snprintf(out, cap, "(no message)");
    json_decref(root);
}

/* {"ack":N} -> N, or 0. */
static uint64_t reply_ack(const struct outbuf *reply)
{
    json_t *root = reply_json(reply);
    json_t *ack = json_object_get(root, "ack");
    uint64_t v =
        json_is_integer(ack) && json_integer_value(ack) > 0 ? (uint64_t)json_integer_value(ack) : 0;

    json_decref(root);
    return v;
}

/* ---- targets ----------------------------------------------------------------------------- */

static void target_free(struct target *t)
{
    if (!t) return;
    h2_conn_free(t->conn);
    outbuf_done(&t->body);
    ship_snapshot_unref(t->acked);
    ship_snapshot_unref(t->sending);
    free(t);
}

static struct target *target_new(struct shipper *sh, struct upstream *up, const char *addr)
{
    struct target *t = calloc(1, sizeof(*t));

    if (!t) return NULL;
    t->up = up;
    snprintf(t->addr, sizeof(t->addr), "%s", addr ? addr : "");
    t->need_full = true;
    t->wire_version = WIRE_VERSION;
    /* An unreachable aggregator is retried at least every ship interval, so when it comes
     * back its data is whole again within one interval; ±20 % so collectors that lost it
     * together do not return in step. */
    backoff_init(&t->backoff, BACKOFF_MIN_NS,
                 sh->interval_ns < BACKOFF_MAX_NS ? sh->interval_ns : BACKOFF_MAX_NS, 80, 120);
    outbuf_init(&t->body);
    target_name(t, t->st.name, sizeof(t->st.name));
    /* With an address: connect to this replica while TLS still checks the URL's name. */
    t->conn = h2_conn_new(up->tls ? sh->tls : NULL, up->host, up->port, addr);
    if (!t->conn) {
        target_free(t);
        return NULL;
    }
    return t;
}

static bool target_add(struct shipper *sh, struct upstream *up, const char *addr)
{
    struct target *t;

    if (sh->ntargets == SHIPPER_MAX_TARGETS) {
        LOG_RATELIMITED(LOG_WARN, "aggregator %s: more than %d targets in all; ignoring %s",
                        up->url, SHIPPER_MAX_TARGETS, addr ? addr : up->host);
        return false;
    }
    t = target_new(sh, up, addr);
    if (!t) {
        LOG_RATELIMITED(LOG_ERROR, "aggregator %s: cannot set up a transfer", up->url);
        return false;
    }
    pthread_mutex_lock(&sh->stats_lock);
    sh->targets[sh->ntargets++] = t;
    pthread_mutex_unlock(&sh->stats_lock);
    return true;
}

static void target_remove(struct shipper *sh, size_t i)
{
    struct target *t = sh->targets[i];

    pthread_mutex_lock(&sh->stats_lock);
    memmove(&sh->targets[i], &sh->targets[i + 1], (sh->ntargets - i - 1) * sizeof(*sh->targets));
    sh->ntargets--;
    pthread_mutex_unlock(&sh->stats_lock);
    target_free(t);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The upstream's replicas: its name's addresses of the first family the resolver prefers
 * (a dual-stack replica must not count twice), sorted. Returns the count, or -1. */
static int resolve(const struct upstream *up, char (*out)[INET6_ADDRSTRLEN], int max)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
    int n = 0, family, rc = getaddrinfo(up->host, NULL, &hints, &res);

    if (rc != 0) {
        LOG_RATELIMITED(LOG_WARN, "aggregator %s: resolving %s: %s", up->url, up->host,
                        gai_strerror(rc));
        return -1;
    }
    family = res->ai_family;
    for (ai = res; ai && n < max; ai = ai->ai_next) {
        const void *a = ai->ai_family == AF_INET
                            ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
                            : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
        bool dup = false;

        if (ai->ai_family != family || !inet_ntop(family, a, out[n], INET6_ADDRSTRLEN)) continue;
        for (int i = 0; i < n && !dup; i++)
            dup = strcmp(out[i], out[n]) == 0;
        n += !dup;
    }
    freeaddrinfo(res);
    qsort(out, (size_t)n, sizeof(*out), cmp_str);
    return n;
}

static bool has_addr(char (*addrs)[INET6_ADDRSTRLEN], int n, const char *a)
{
    for (int i = 0; i < n; i++)
        if (strcmp(addrs[i], a) == 0) return true;
    return false;
}

/* Re-resolves a name: one target per address when it has several (every HA replica gets every
 * shipment), else one target whose connection resolves it. A failed lookup keeps what we had. */
static void resolve_upstream(struct shipper *sh, struct upstream *up)
{
    char addrs[SHIPPER_MAX_TARGETS][INET6_ADDRSTRLEN];
    int n = resolve(up, addrs, SHIPPER_MAX_TARGETS);
    size_t kept = 0, had = 0;

    if (n < 0) {
        for (size_t i = 0; i < sh->ntargets; i++)
            had += sh->targets[i]->up == up;
        if (had == 0) target_add(sh, up, NULL);
        return;
    }
    if (n == 1) n = 0; /* a single address: the connection resolves the name itself */
    for (size_t i = sh->ntargets; i-- > 0;) {
        struct target *t = sh->targets[i];

        if (t->up != up) continue;
        had++;
        if (n == 0 ? t->addr[0] == '\0' : has_addr(addrs, n, t->addr))
            kept++;
        else
            target_remove(sh, i);
    }
    if (n == 0) {
        if (kept == 0) target_add(sh, up, NULL);
    } else {
        for (int i = 0; i < n; i++) {
            bool present = false;
            for (size_t j = 0; j < sh->ntargets && !present; j++)
                present = sh->targets[j]->up == up && strcmp(sh->targets[j]->addr, addrs[i]) == 0;
            if (!present) target_add(sh, up, addrs[i]);
        }
    }
    if (had != kept || (n > 0 && kept != (size_t)n))
        log_info("aggregator %s: %d replica address%s", up->url, n ? n : 1, n > 1 ? "es" : "");
}

/* ---- one shipment ------------------------------------------------------------------------ */

static void backoff(struct target *t, int64_t now, bool to_cap)
{
    /* Refusals that retrying cannot fix (a bad token) wait the longest. */
    if (to_cap) {
        t->next_attempt_ns = now + backoff_jitter(&t->backoff, BACKOFF_MAX_NS, BACKOFF_MAX_NS);
        t->backoff.failures++;
        return;
    }
    t->next_attempt_ns = now + backoff_next(&t->backoff);
}

static void count_failure(struct shipper *sh, struct target *t, const char *why)
{
    pthread_mutex_lock(&sh->stats_lock);
    sh->stats.failures++;
    t->st.failures++;
    snprintf(t->st.last_error, sizeof(t->st.last_error), "%s", why);
    pthread_mutex_unlock(&sh->stats_lock);
}

static bool refresh_token(struct shipper *sh, int64_t now);

static void start_shipment(struct shipper *sh, struct target *t, int64_t now)
{
    const struct ship_snapshot *base = t->need_full ? NULL : t->acked;
    /* What this target gets: cur, or only what changed in it since base (the target's new
     * base once acknowledged; without memory for it, cur's whole delta does as well). */
    struct ship_snapshot *changes =
        base && sh->cur_changes_only ? ship_snapshot_changes_only(base, sh->cur) : NULL;
    const struct ship_snapshot *snap = changes ? changes : sh->cur;
    struct ship_meta m = {
        .node_name = sh->node_name,
        .instance = sh->instance,
        .seq = ++sh->seq,
        .base_seq = t->acked_seq,
        .sent_ns = clock_real_ns(),
        .ship_interval_ms = (uint32_t)(sh->interval_ns / 1000000),
        .version = t->wire_version,
    };
    int rc;

    outbuf_reset(&t->body);
    rc = ship_snapshot_encode(base, snap, &m, &t->body);
    if (rc == 0 && t->body.failed) rc = -ENOMEM;
    if (rc) {
        ship_snapshot_unref(changes);
        LOG_RATELIMITED(LOG_ERROR, "encoding a %s shipment for %s failed: %s",
                        base ? "delta" : "full", t->st.name, strerror(-rc));
        count_failure(sh, t, "encoding the shipment failed");
        if (base) {
            t->need_full = true; /* a full one may still fit the limits */
        } else {
            backoff(t, now, false);
        }
        return;
    }
    memcpy(t->headers, sh->headers, sh->nheaders * sizeof(*t->headers));
    t->headers[0].value = t->wire_version == WIRE_VERSION_1 ? CONTENT_TYPE_V1 : CONTENT_TYPE_V2;
    t->req = (struct h2_request){
        .authority = t->up->authority,
        .path = t->up->path,
        .headers = t->headers,
        .nheaders = sh->nheaders,
        .body = t->body.data,
        .body_len = t->body.len,
    };
    if (!h2_conn_post(t->conn, &t->req, now)) {
        ship_snapshot_unref(changes);
        LOG_RATELIMITED(LOG_ERROR, "starting a shipment to %s failed", t->st.name);
        count_failure(sh, t, "starting the transfer failed");
        backoff(t, now, false);
        return;
    }
    t->in_flight = true;
    t->sending = changes ? changes : ship_snapshot_ref(sh->cur); /* changes: the reference moves */
    t->sending_seq = m.seq;
    t->sending_gen = sh->cur_gen;
    t->sending_full = base == NULL;
    log_debug("shipping %s seq %llu (base %llu, %zu bytes) to %s",
              !base     ? "full"
              : changes ? "changes"
                        : "delta",
              (unsigned long long)m.seq, (unsigned long long)(base ? m.base_seq : 0), t->body.len,
              t->st.name);
    pthread_mutex_lock(&sh->stats_lock);
    sh->stats.sent++;
    sh->stats.sent_full += base == NULL;
    sh->stats.sent_changes += changes != NULL;
    t->st.wire_version = t->wire_version;
    pthread_mutex_unlock(&sh->stats_lock);
}

static void transport_failed(struct shipper *sh, struct target *t, const struct h2_response *r,
                             int64_t now)
{
    const char *why = r->error[0] ? r->error : "transfer failed";
    /* A connection that worked until now most often failed because the aggregator restarted
     * (its old connection was closed under us): try once more at once, on a new connection,
     * rather than lose a backoff step of the one interval a restart may cost. */
    bool retry_now = t->reach == REACH_UP && t->backoff.failures == 0;

    /* Once request bytes left, the aggregator may have stored a shipment we never saw
     * acknowledged: a delta against our older base could then miss a removal. Start over.
     * Before that (no connection, TLS refused, GOAWAY before our stream) the acked base is
     * still good. */
    if (r->request_written) t->need_full = true;
    t->wire_version = WIRE_VERSION; /* the next connection may reach a newer aggregator */
    if (t->reach != REACH_DOWN) log_warn("aggregator %s unreachable: %s", t->st.name, why);
    t->reach = REACH_DOWN;
    t->last_status = 0;
    count_failure(sh, t, why);
    pthread_mutex_lock(&sh->stats_lock);
    t->st.reachable = false;
    pthread_mutex_unlock(&sh->stats_lock);
    if (retry_now) {
        t->next_attempt_ns = now;
        t->backoff.failures = 1; /* a second failure backs off as usual */
        return;
    }
    backoff(t, now, false);
}

static void rejected(struct shipper *sh, struct target *t, const struct outbuf *reply, long status,
                     int64_t now)
{
    char msg[200], why[256];
    bool changed = status != t->last_status;

    reply_message(reply, msg, sizeof(msg));
    snprintf(why, sizeof(why), "HTTP %ld: %s", status, msg);
    if (status == 401) {
        /* Retrying cannot help until the token is fixed, but it may be rotated under us. */
        if (changed)
            log_error("aggregator %s refuses our credentials (401): %s; check --ship-token-file",
                      t->st.name, msg);
        else
            LOG_RATELIMITED(LOG_ERROR, "aggregator %s still refuses our credentials (401): %s",
                            t->st.name, msg);
    } else if (changed) {
        log_warn("aggregator %s rejected a shipment (%ld): %s", t->st.name, status, msg);
    } else {
        LOG_RATELIMITED(LOG_WARN, "aggregator %s rejected a shipment (%ld): %s", t->st.name, status,
                        msg);
    }
    t->need_full = true;
    count_failure(sh, t, why);
    backoff(t, now, status == 401);
}

static void finished(struct shipper *sh, struct target *t, const struct h2_response *r, int64_t now)
{
    struct ship_snapshot *snap = t->sending;
    long status = r->status;

    t->in_flight = false;
    t->sending = NULL;
    if (status == 0) {
        transport_failed(sh, t, r, now);
        ship_snapshot_unref(snap);
        return;
    }
    if (t->reach == REACH_DOWN)
        log_info("aggregator %s reachable again", t->st.name);
    else if (t->reach == REACH_UNKNOWN)
        log_info("aggregator %s reachable", t->st.name);
    t->reach = REACH_UP;
    pthread_mutex_lock(&sh->stats_lock);
    t->st.reachable = true;
    t->st.last_status = status;
    pthread_mutex_unlock(&sh->stats_lock);

    if (status == 200 && reply_ack(&r->body) == t->sending_seq) {
        if (t->last_status != 200 && t->last_status != 409 && t->last_status != 0)
            log_info("aggregator %s accepts shipments again", t->st.name);
        ship_snapshot_unref(t->acked);
        t->acked = snap; /* the reference moves */
        snap = NULL;
        t->acked_seq = t->sending_seq;
        t->need_full = false;
        t->done_gen = t->sending_gen;
        backoff_reset(&t->backoff);
        t->next_attempt_ns = 0;
        pthread_mutex_lock(&sh->stats_lock);
        sh->stats.acked++;
        t->st.acked++;
        t->st.last_error[0] = '\0';
        pthread_mutex_unlock(&sh->stats_lock);
    } else if (status == 409 && !t->sending_full) {
        /* The aggregator lost our sequence (it or we restarted, or a gap): full, right away. */
        log_info("aggregator %s asks for a full snapshot", t->st.name);
        t->need_full = true;
        t->next_attempt_ns = now;
        pthread_mutex_lock(&sh->stats_lock);
        sh->stats.resyncs++;
        pthread_mutex_unlock(&sh->stats_lock);
    } else if (status == 415 && t->wire_version > WIRE_VERSION_1) {
        /* An older aggregator: it gets what it understands (no signals), right away. */
        log_info("aggregator %s does not take wire version %u (415): shipping version %u to it",
                 t->st.name, t->wire_version, WIRE_VERSION_1);
        t->wire_version = WIRE_VERSION_1;
        t->need_full = true;
        t->next_attempt_ns = now;
    } else if (status == 200) {
        LOG_RATELIMITED(LOG_WARN, "aggregator %s: answer does not acknowledge seq %llu", t->st.name,
                        (unsigned long long)t->sending_seq);
        t->need_full = true;
        count_failure(sh, t, "answer without the expected ack");
        backoff(t, now, false);
    } else {
        rejected(sh, t, &r->body, status, now);
    }
    /* A new connection may reach a restarted, newer aggregator: after a version-1 fallback,
     * the next shipment offers the newest version again (a 415 sends it back to 1), as a full
     * one, since what version 1 left out never reached it. */
    if (r->new_connection && status != 415 && t->wire_version != WIRE_VERSION) {
        t->wire_version = WIRE_VERSION;
        t->need_full = true;
    }
    t->last_status = status;
    ship_snapshot_unref(snap);
}

/* ---- the thread -------------------------------------------------------------------------- */

static void take_pending(struct shipper *sh)
{
    struct ship_snapshot *snap;

    pthread_mutex_lock(&sh->lock);
    snap = sh->pending;
    sh->pending = NULL;
    if (snap) {
        sh->cur_gen = sh->pending_gen;
        sh->cur_changes_only = sh->pending_changes_only;
    }
    pthread_mutex_unlock(&sh->lock);
    if (!snap) return;
    ship_snapshot_unref(sh->cur);
    sh->cur = snap;
}

static bool wants_to_ship(const struct shipper *sh, const struct target *t)
{
    return !t->in_flight && sh->cur && sh->cur_gen > t->done_gen;
}

static int wait_ms(const struct shipper *sh, int64_t now)
{
    int64_t wake = now + IDLE_WAIT_MS * NS_PER_MS;

    for (size_t i = 0; i < sh->ntargets; i++) {
        int64_t d = h2_conn_deadline(sh->targets[i]->conn);

        if (wants_to_ship(sh, sh->targets[i]) && sh->targets[i]->next_attempt_ns < wake)
            wake = sh->targets[i]->next_attempt_ns;
        if (d < wake) wake = d;
    }
    for (size_t i = 0; i < sh->nups; i++)
        if (sh->ups[i].is_name && sh->ups[i].next_resolve_ns < wake)
            wake = sh->ups[i].next_resolve_ns;
    return wake <= now ? 0 : (int)((wake - now + NS_PER_MS - 1) / NS_PER_MS);
}

/* Waits for the sockets, the wakeup or the next deadline, then lets every connection that has
 * something to do make progress. */
static void poll_targets(struct shipper *sh, int64_t now)
{
    struct pollfd pfd[1 + SHIPPER_MAX_TARGETS];
    short revents[SHIPPER_MAX_TARGETS] = {0};
    size_t owner[1 + SHIPPER_MAX_TARGETS];
    nfds_t n = 1;
    uint64_t v;

    pfd[0] = (struct pollfd){.fd = sh->wake_fd, .events = POLLIN};
    for (size_t i = 0; i < sh->ntargets; i++) {
        short events;
        int fd = h2_conn_pollfd(sh->targets[i]->conn, &events);

        if (fd < 0) continue;
        pfd[n] = (struct pollfd){.fd = fd, .events = events};
        owner[n++] = i;
    }
    if (poll(pfd, n, wait_ms(sh, now)) < 0) return; /* EINTR: go round again */
    if (pfd[0].revents & POLLIN) {
        ssize_t r = read(sh->wake_fd, &v, sizeof(v)); /* resets it; EAGAIN is fine */
        (void)r;
    }
    for (nfds_t j = 1; j < n; j++)
        revents[owner[j]] = pfd[j].revents;
    now = clock_mono_ns();
    for (size_t i = 0; i < sh->ntargets; i++) {
        struct target *t = sh->targets[i];

        if ((revents[i] || now >= h2_conn_deadline(t->conn)) &&
            h2_conn_on_io(t->conn, revents[i], now))
            finished(sh, t, h2_conn_response(t->conn), now);
    }
}

static void *run(void *arg)
{
    struct shipper *sh = arg;

    while (!atomic_load(&sh->stop)) {
        int64_t now = clock_mono_ns();

        take_pending(sh);
        /* A new token ends the long backoff of aggregators that refused the old one. */
        if (refresh_token(sh, now))
            for (size_t i = 0; i < sh->ntargets; i++)
                if (sh->targets[i]->last_status == 401) {
                    sh->targets[i]->next_attempt_ns = now;
                    backoff_reset(&sh->targets[i]->backoff);
                }
        for (size_t i = 0; i < sh->nups; i++) {
            if (!sh->ups[i].is_name || now < sh->ups[i].next_resolve_ns) continue;
            resolve_upstream(sh, &sh->ups[i]);
            now = clock_mono_ns(); /* a lookup can take seconds */
            sh->ups[i].next_resolve_ns = now + RESOLVE_EVERY_NS;
        }
        for (size_t i = 0; i < sh->ntargets; i++)
            if (wants_to_ship(sh, sh->targets[i]) && now >= sh->targets[i]->next_attempt_ns)
                start_shipment(sh, sh->targets[i], now);
        poll_targets(sh, clock_mono_ns());
    }
    return NULL;
}

/* ---- configuration ----------------------------------------------------------------------- */

/* https://host[:port][/prefix], host a name, an IPv4 address or [an IPv6 address]. */
static int parse_url(struct upstream *up, const char *url, char *err, size_t errlen)
{
    const char *p, *auth_end, *host, *after;
    char hostbuf[256], portbuf[8];
    unsigned char buf[sizeof(struct in6_addr)];
    size_t n = strlen(url), hl;
    bool v6 = false;
    long port;

    if (strncasecmp(url, "https://", 8) == 0) {
        up->tls = true;
        p = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        p = url + 7;
    } else {
        snprintf(err, errlen, "--aggregator=%s: want an https:// URL", url);
        return -EINVAL;
    }
    for (const char *q = url; *q; q++)
        if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f) goto not_url;
    auth_end = p + strcspn(p, "/?#");
    if (memchr(p, '@', (size_t)(auth_end - p)) || strpbrk(auth_end, "?#")) {
        snprintf(err, errlen, "--aggregator=%s: no user, query or fragment allowed", url);
        return -EINVAL;
    }
    if (*p == '[') {
        const char *close = memchr(p, ']', (size_t)(auth_end - p));
        if (!close) goto not_url;
        host = p + 1;
        hl = (size_t)(close - host);
        after = close + 1;
        v6 = true;
    } else {
        const char *colon = memchr(p, ':', (size_t)(auth_end - p));
        host = p;
        hl = (size_t)((colon ? colon : auth_end) - p);
        after = host + hl;
    }
    if (hl == 0) {
        snprintf(err, errlen, "--aggregator=%s: no host", url);
        return -EINVAL;
    }
    if (hl >= sizeof(hostbuf)) goto not_url;
    for (size_t i = 0; i < hl; i++)
        hostbuf[i] = (char)(host[i] >= 'A' && host[i] <= 'Z' ? host[i] - 'A' + 'a' : host[i]);
    hostbuf[hl] = '\0';
    if (v6 ? inet_pton(AF_INET6, hostbuf, buf) != 1
           : strspn(hostbuf, "abcdefghijklmnopqrstuvwxyz0123456789.-_") != hl)
        goto not_url;
    port = up->tls ? 443 : 80;
    if (after < auth_end) {
        char *end;
        if (*after != ':' || after + 1 == auth_end || after[1] < '0' || after[1] > '9')
            goto not_url;
        port = strtol(after + 1, &end, 10);
        if (end != auth_end || port < 1 || port > 65535) goto not_url;
    }
    while (n > 0 && url[n - 1] == '/')
        n--;
    up->url = strndup(url, n);
    up->host = strdup(hostbuf);
    if (asprintf(&up->path, "%.*s/ship", (int)(url + n - auth_end), auth_end) < 0) up->path = NULL;
    /* :authority like a Host header: the port only when it is not the scheme's. */
    portbuf[0] = '\0';
    if (port != (up->tls ? 443 : 80)) snprintf(portbuf, sizeof(portbuf), ":%ld", port);
    if (asprintf(&up->authority, "%s%s%s%s", v6 ? "[" : "", hostbuf, v6 ? "]" : "", portbuf) < 0)
        up->authority = NULL;
    if (!up->url || !up->host || !up->path || !up->authority) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    up->port = (unsigned)port;
    up->is_name = inet_pton(AF_INET, up->host, buf) != 1 && inet_pton(AF_INET6, up->host, buf) != 1;
    if (!up->tls)
        log_warn("aggregator %s: plain http (h2c) sends the token and metrics in the clear",
                 up->url);
    return 0;
not_url:
    snprintf(err, errlen, "--aggregator=%s: not a URL", url);
    return -EINVAL;
}

/* The encoder is the judge of a node name: try an empty shipment. */
static bool node_name_ok(const char *node_name)
{
    struct ship_snapshot *empty = ship_snapshot_new(0, 0, 0);
    struct ship_meta m = {.node_name = node_name, .seq = 1};
    struct outbuf out;
    int rc = -ENOMEM;

    outbuf_init(&out);
    if (empty) rc = ship_snapshot_encode(NULL, empty, &m, &out);
    outbuf_done(&out);
    ship_snapshot_unref(empty);
    return rc != -EINVAL;
}

static void shipper_free(struct shipper *sh)
{
    for (size_t i = 0; i < sh->ntargets; i++)
        target_free(sh->targets[i]);
    h2_tls_free(sh->tls);
    if (sh->wake_fd >= 0) close(sh->wake_fd);
    for (size_t i = 0; i < sh->nups; i++) {
        free(sh->ups[i].url);
        free(sh->ups[i].path);
        free(sh->ups[i].authority);
        free(sh->ups[i].host);
    }
    ship_snapshot_unref(sh->cur);
    ship_snapshot_unref(sh->pending);
    pthread_mutex_destroy(&sh->lock);
    pthread_mutex_destroy(&sh->stats_lock);
    free(sh->node_name);
    free(sh->token);
    free(sh->auth);
    free(sh->auth_retired);
    free(sh->token_file);
    free(sh);
}

static bool same_file_version(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* ServiceAccount tokens rotate: the kubelet swaps the projected file (a new inode) well before
 * the old token expires. Checked at most once a second, before shipping. */
static bool refresh_token(struct shipper *sh, int64_t now)
{
    struct stat st;
    char err[256], *tok, *auth;

    if (!sh->token_file || now - sh->token_checked_ns < NS_PER_SEC) return false;
    sh->token_checked_ns = now;
    if (stat(sh->token_file, &st) != 0 || same_file_version(&st, &sh->token_stat)) return false;
    tok = token_file_read(sh->token_file, err, sizeof(err));
    if (!tok) {
        LOG_RATELIMITED(LOG_WARN, "re-reading %s: %s (keeping the current token)", sh->token_file,
                        err);
        return false;
    }
    if (asprintf(&auth, "Bearer %s", tok) < 0) {
        explicit_bzero(tok, strlen(tok));
        free(tok);
        return false;
    }
    sh->token_stat = st;
    free(sh->auth_retired);
    sh->auth_retired = sh->auth;
    sh->auth = auth;
    sh->headers[sh->auth_header].value = auth;
    explicit_bzero(sh->token, strlen(sh->token));
    free(sh->token);
    sh->token = tok;
    log_info("ship token re-read from %s", sh->token_file);
    return true;
}

/* The headers every shipment carries; the token is never put in the HPACK table. */
static bool make_headers(struct shipper *sh, const char *token)
{
    sh->headers[sh->nheaders++] = (struct h2_header){"content-type", CONTENT_TYPE_V2, false};
    sh->headers[sh->nheaders++] = (struct h2_header){"user-agent", "kmetrics-collector", false};
    if (token && token[0]) {
        if (asprintf(&sh->auth, "Bearer %s", token) < 0) {
            sh->auth = NULL;
            return false;
        }
        sh->auth_header = sh->nheaders;
        sh->headers[sh->nheaders++] = (struct h2_header){"authorization", sh->auth, true};
    }
    return true;
}

struct shipper *shipper_start(const struct shipper_config *cfg, char *err, size_t errlen)
{
    struct shipper *sh;
    sigset_t all, old;
    int rc;

    if (cfg->nurls == 0 || cfg->nurls > SHIPPER_MAX_URLS) {
        snprintf(err, errlen, "want 1 to %d aggregator URLs", SHIPPER_MAX_URLS);
        return NULL;
    }
    if (!cfg->node_name || !node_name_ok(cfg->node_name)) {
        snprintf(err, errlen,
                 "node name \"%s\" is not a DNS-1123 subdomain (lower case); set --node-name",
                 cfg->node_name ? cfg->node_name : "");
        return NULL;
    }
    sh = calloc(1, sizeof(*sh));
    if (!sh) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    sh->wake_fd = -1;
    pthread_mutex_init(&sh->lock, NULL);
    pthread_mutex_init(&sh->stats_lock, NULL);
    atomic_init(&sh->stop, false);
    sh->interval_ns = cfg->interval_ns > 0 ? cfg->interval_ns : DEFAULT_INTERVAL_NS;
    if (sh->interval_ns < NS_PER_SEC) sh->interval_ns = NS_PER_SEC;
    sh->node_name = strdup(cfg->node_name);
    sh->token = strdup(cfg->token ? cfg->token : "");
    if (cfg->token_file && cfg->token && cfg->token[0]) {
        sh->token_file = strdup(cfg->token_file);
        if (sh->token_file) stat(sh->token_file, &sh->token_stat);
    }
    sh->tls = h2_tls_new(cfg->ca_file, cfg->insecure);
    if (!sh->node_name || !sh->token || !make_headers(sh, cfg->token) || !sh->tls) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    sh->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (sh->wake_fd < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        goto fail;
    }
    for (size_t i = 0; i < cfg->nurls; i++) {
        if (parse_url(&sh->ups[i], cfg->urls[i], err, errlen)) goto fail;
        sh->nups++;
    }
    /* Address literals are targets now; names are resolved by the thread, not here. */
    for (size_t i = 0; i < sh->nups; i++)
        if (!sh->ups[i].is_name && !target_add(sh, &sh->ups[i], NULL)) {
            snprintf(err, errlen, "aggregator %s: cannot set up a transfer", sh->ups[i].url);
            goto fail;
        }
    sh->instance = random_seed();

    /* The thread must never take the daemon's signals (they are read from a signalfd). */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&sh->thread, NULL, run, sh);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        snprintf(err, errlen, "starting the shipping thread: %s", strerror(rc));
        goto fail;
    }
    sh->started = true;
    pthread_setname_np(sh->thread, "kmetrics-ship");
    log_info("shipping to %zu aggregator URL%s every %.3gs (CPU history %.3gs) as instance "
             "%016llx",
             sh->nups, sh->nups > 1 ? "s" : "", (double)sh->interval_ns / 1e9,
             (double)cfg->history_ns / 1e9, (unsigned long long)sh->instance);
    return sh;
fail:
    shipper_free(sh);
    return NULL;
}

static void wake(struct shipper *sh)
{
    uint64_t one = 1;

    /* Fails only when the counter would overflow: the thread is awake anyway. */
    ssize_t r = write(sh->wake_fd, &one, sizeof(one));
    (void)r;
}

static void offer(struct shipper *sh, struct ship_snapshot *snap, bool changes_only)
{
    struct ship_snapshot *old;

    if (!sh || !snap) return;
    ship_snapshot_ref(snap);
    pthread_mutex_lock(&sh->lock);
    old = sh->pending;
    sh->pending = snap;
    sh->pending_gen++;
    /* Replacing a whole shipment not yet taken: the newer snapshot goes whole instead. */
    sh->pending_changes_only = changes_only && (!old || sh->pending_changes_only);
    pthread_mutex_unlock(&sh->lock);
    if (old) {
        pthread_mutex_lock(&sh->stats_lock);
        sh->stats.dropped++;
        pthread_mutex_unlock(&sh->stats_lock);
    }
    ship_snapshot_unref(old);
    wake(sh);
}

void shipper_stop(struct shipper *sh)
{
    if (!sh) return;
    atomic_store(&sh->stop, true);
    if (sh->started) {
        wake(sh);
        pthread_join(sh->thread, NULL);
    }
    shipper_free(sh);
}

void shipper_stats(const struct shipper *sh, struct shipper_stats *out)
{
    /* The lock guards counters, not the handle: locking it does not change the shipper. */
    pthread_mutex_t *lock = (pthread_mutex_t *)&sh->stats_lock;

    pthread_mutex_lock(lock);
    *out = sh->stats;
    out->ntargets = sh->ntargets;
    for (size_t i = 0; i < sh->ntargets; i++)
        out->targets[i] = sh->targets[i]->st;
    pthread_mutex_unlock(lock);
}

void shipper_offer(struct shipper *sh, struct ship_snapshot *snap)
{
    offer(sh, snap, false);
}

void shipper_offer_changes(struct shipper *sh, struct ship_snapshot *snap)
{
    offer(sh, snap, true);
}
