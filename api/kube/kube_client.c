#include "kube_client.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>

#include "clock.h"
#include "token_file.h"

#define POOL_MAX 8               /* idle handles kept: enough for the reflectors and a few */
#define CONNECT_TIMEOUT_MS 10000 /* unless the request's own limit is shorter */
#define ERR_BODY_SHOWN 300       /* bytes of a failed stream's body quoted in err */
#define STREAM_POLL_MS 200       /* stop flag and idle limit checked this often */

/* An easy handle and the multi handle it always runs in: the multi owns the connection cache,
 * so keeping the pair keeps connections and TLS sessions between requests, and the multi loop
 * lets every transfer watch a stop flag. */
struct conn {
    CURL *e;
    CURLM *m;
};

struct kube_client {
    char *base_url; /* server without a trailing '/', host replaced by tls_server_name */
    struct curl_slist *connect_to; /* "name:port:host:port" when tls_server_name is set */
    struct curl_blob ca, cert, key;
    bool insecure;

    pthread_mutex_t mu; /* guards everything below */
    char *token;
    char *token_file;
    struct stat token_st; /* of the file when token was read */
    struct conn *pool[POOL_MAX];
    size_t npool;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || !errlen) return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int blob_dup(struct curl_blob *b, const char *pem, size_t len)
{
    if (!pem) return 0;
    b->data = malloc(len ? len : 1);
    if (!b->data) return -ENOMEM;
    memcpy(b->data, pem, len);
    b->len = len;
    b->flags = CURL_BLOB_NOCOPY; /* ours, kept for the client's life */
    return 0;
}

/* base_url and connect_to from the server URL and an optional TLS name override: the URL names
 * the certificate's host (curl verifies and sends SNI for it) and CONNECT_TO goes to the real
 * address. */
static int set_server(struct kube_client *kc, const char *server, const char *tls_name, char *err,
                      size_t errlen)
{
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL, *url = NULL;
    int rc = -EINVAL;

    if (!u) return -ENOMEM;
    if (curl_url_set(u, CURLUPART_URL, server, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        set_err(err, errlen, "server %s: not a URL", server);
        goto out;
    }
    if (tls_name) {
        size_t n = strlen(tls_name) + strlen(host) + 2 * strlen(port) + 4;
        if (curl_url_set(u, CURLUPART_HOST, tls_name, 0) != CURLUE_OK) {
            set_err(err, errlen, "tls-server-name %s: not a host name", tls_name);
            goto out;
        }
        char *entry = malloc(n);
        if (entry) snprintf(entry, n, "%s:%s:%s:%s", tls_name, port, host, port);
        /* Read-only from here on: every transfer points at the same list. */
        kc->connect_to = entry ? curl_slist_append(NULL, entry) : NULL;
        free(entry);
        if (!kc->connect_to) {
            rc = -ENOMEM;
            goto out;
        }
    }
    if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK || !(kc->base_url = strdup(url))) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t n = strlen(kc->base_url); n > 0 && kc->base_url[n - 1] == '/'; n--)
        kc->base_url[n - 1] = '\0';
    rc = 0;
out:
    curl_free(host);
    curl_free(port);
    curl_free(url);
    curl_url_cleanup(u);
    return rc;
}

struct kube_client *kube_client_new(const struct kube_config *cfg, char *err, size_t errlen)
{
    struct kube_client *kc;

    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK) {
        set_err(err, errlen, "libcurl: %s", curl_easy_strerror(curl_init_rc));
        return NULL;
    }
    if (!cfg || !cfg->server) {
        set_err(err, errlen, "no API server configured");
        return NULL;
    }
    kc = calloc(1, sizeof(*kc));
    if (!kc) goto nomem;
    pthread_mutex_init(&kc->mu, NULL);
    kc->insecure = cfg->insecure_skip_tls_verify;
    if (set_server(kc, cfg->server, cfg->tls_server_name, err, errlen)) {
        kube_client_free(kc);
        return NULL;
    }
    if (blob_dup(&kc->ca, cfg->ca_pem, cfg->ca_pem_len) ||
        blob_dup(&kc->cert, cfg->client_cert_pem, cfg->client_cert_pem_len) ||
        blob_dup(&kc->key, cfg->client_key_pem, cfg->client_key_pem_len) ||
        (cfg->token && !(kc->token = strdup(cfg->token))) ||
        (cfg->token_file && !(kc->token_file = strdup(cfg->token_file))))
        goto nomem;
    /* The token in cfg was read from the file just now: remember which file that was. */
    if (kc->token_file && stat(kc->token_file, &kc->token_st) != 0)
        memset(&kc->token_st, 0, sizeof(kc->token_st));
    return kc;
nomem:
    kube_client_free(kc);
    set_err(err, errlen, "out of memory");
    return NULL;
}

static void conn_free(struct conn *c)
{
    if (!c) return;
    if (c->m) curl_multi_cleanup(c->m);
    if (c->e) curl_easy_cleanup(c->e);
    free(c);
}

void kube_client_free(struct kube_client *kc)
{
    if (!kc) return;
    for (size_t i = 0; i < kc->npool; i++)
        conn_free(kc->pool[i]);
    free(kc->base_url);
    curl_slist_free_all(kc->connect_to);
    free(kc->ca.data);
    free(kc->cert.data);
    free(kc->key.data);
    free(kc->token);
    free(kc->token_file);
    pthread_mutex_destroy(&kc->mu);
    free(kc);
}

void kube_response_done(struct kube_response *r)
{
    if (!r) return;
    free(r->body);
    memset(r, 0, sizeof(*r));
}

/* --- per-request state --------------------------------------------------------------------- */

static bool same_file_version(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* "Authorization: Bearer <token>" into hdr (empty when there is no token). The file is re-read
 * when it changed since the last read (a rotated ServiceAccount token, or a symlink swapped by
 * the kubelet); a failed re-read keeps the previous token, as client-go does. */
static void auth_header(struct kube_client *kc, char *hdr, size_t n)
{
    struct stat st;

    pthread_mutex_lock(&kc->mu);
    if (kc->token_file && stat(kc->token_file, &st) == 0 &&
        !same_file_version(&st, &kc->token_st)) {
        char err[256];
        char *t = token_file_read(kc->token_file, err, sizeof(err));
        if (t) {
            free(kc->token);
            kc->token = t;
            kc->token_st = st;
        }
    }
    if (kc->token)
        snprintf(hdr, n, "Authorization: Bearer %s", kc->token);
    else
        hdr[0] = '\0';
    pthread_mutex_unlock(&kc->mu);
}

static struct conn *conn_get(struct kube_client *kc)
{
    struct conn *c = NULL;

    pthread_mutex_lock(&kc->mu);
    if (kc->npool) c = kc->pool[--kc->npool];
    pthread_mutex_unlock(&kc->mu);
    if (c) {
        curl_easy_reset(c->e);
        return c;
    }
    c = calloc(1, sizeof(*c));
    if (c && (!(c->e = curl_easy_init()) || !(c->m = curl_multi_init()))) {
        conn_free(c);
        c = NULL;
    }
    return c;
}

static void conn_put(struct kube_client *kc, struct conn *c)
{
    /* The handle points at the finished call's header list and buffers: forget them. */
    curl_easy_setopt(c->e, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c->e, CURLOPT_ERRORBUFFER, NULL);
    pthread_mutex_lock(&kc->mu);
    if (kc->npool < POOL_MAX) {
        kc->pool[kc->npool++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&kc->mu);
    conn_free(c);
}

/* What the callbacks of one transfer share. */
struct xfer {
    /* whole body (requests) */
    char *body;
    size_t len, cap, max_body;
    /* lines (streams) */
    int (*on_line)(void *arg, const char *line, size_t len);
    void (*on_open)(void *arg, long status);
    void *arg;
    size_t max_line;
    long status;
    bool opened;
    int64_t last_byte_ns;
    /* why a callback ended the transfer */
    bool too_big;
    bool nomem;
    int cb_rc;
};

/* Appends to the body buffer, keeping a NUL after it. Returns false past max (0: none). */
static bool body_append(struct xfer *x, const char *p, size_t n, size_t max)
{
    if (max && (n > max || x->len > max - n)) {
        x->too_big = true;
        return false;
    }
    if (x->len + n + 1 > x->cap) {
        size_t cap = x->cap ? x->cap : 4096;
        while (cap < x->len + n + 1)
            cap *= 2;
        char *b = realloc(x->body, cap);
        if (!b) {
            x->nomem = true;
            return false;
        }
        x->body = b;
        x->cap = cap;
    }
    memcpy(x->body + x->len, p, n);
    x->len += n;
    x->body[x->len] = '\0';
    return true;
}

static size_t body_cb(char *p, size_t sz, size_t n, void *ud)
{
    (void)sz; /* always 1 */
    return body_append(ud, p, n, ((struct xfer *)ud)->max_body) ? n : 0;
}

/* Status line of each header block ("HTTP/1.1 200 OK", "HTTP/2 410"); the last one counts
 * (a 100 Continue comes first). The blank line ending a final block opens the stream. */
static size_t header_cb(char *p, size_t sz, size_t n, void *ud)
{
    struct xfer *x = ud;

    (void)sz;
    x->last_byte_ns = clock_mono_ns();
    if (n > 9 && memcmp(p, "HTTP/", 5) == 0) {
        const char *sp = memchr(p, ' ', n);
        long st = 0;
        for (const char *q = sp ? sp + 1 : p + n; q < p + n && *q >= '0' && *q <= '9'; q++)
            st = st * 10 + (*q - '0');
        x->status = st;
    } else if ((n == 2 && p[0] == '\r' && p[1] == '\n') || (n == 1 && p[0] == '\n')) {
        if (x->status >= 200 && !x->opened) {
            x->opened = true;
            if (x->on_open) x->on_open(x->arg, x->status);
        }
    }
    return n;
}

static bool status_ok(long st)
{
    return st >= 200 && st < 300;
}

/* Stream data: complete lines go to on_line; the partial tail waits in the body buffer. A
 * non-2xx body is kept (a little of it) for the error message instead. */
static size_t line_cb(char *p, size_t sz, size_t n, void *ud)
{
    struct xfer *x = ud;
    size_t total = n, start = 0;

    (void)sz;
    x->last_byte_ns = clock_mono_ns();
    if (!status_ok(x->status)) {
        if (x->len < ERR_BODY_SHOWN) body_append(x, p, n < ERR_BODY_SHOWN ? n : ERR_BODY_SHOWN, 0);
        return total;
    }
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\n') continue;
        /* The line is what waits in the buffer plus this piece; on_line gets it NUL-terminated
         * from the buffer. */
        if (!body_append(x, p + start, i - start, x->max_line)) return 0;
        size_t len = x->len;
        x->len = 0;
        int rc = x->on_line(x->arg, x->body ? x->body : "", len);
        if (rc) {
            x->cb_rc = rc;
            return 0;
        }
        start = i + 1;
    }
    if (start < n && !body_append(x, p + start, n - start, x->max_line)) return 0;
    return total;
}

/* Options every request shares. Returns false when curl refused one (out of memory). */
static bool setup(struct kube_client *kc, CURL *h, const char *path, struct curl_slist **hdrs,
                  const char *accept, const char *auth, char *errbuf, long timeout_ms)
{
    char url_stack[1024], *url = url_stack, accept_hdr[512];
    size_t ulen = strlen(kc->base_url) + strlen(path) + 1;
    bool ok = true;
    long connect_ms =
        timeout_ms > 0 && timeout_ms < CONNECT_TIMEOUT_MS ? timeout_ms : CONNECT_TIMEOUT_MS;

    if (ulen > sizeof(url_stack) && !(url = malloc(ulen))) return false;
    snprintf(url, ulen, "%s%s", kc->base_url, path);
    snprintf(accept_hdr, sizeof(accept_hdr), "Accept: %s", accept ? accept : "application/json");
    *hdrs = curl_slist_append(*hdrs, accept_hdr);
    if (*hdrs && auth[0]) *hdrs = curl_slist_append(*hdrs, auth);
    if (*hdrs) *hdrs = curl_slist_append(*hdrs, "Expect:");
    ok = *hdrs != NULL;
    errbuf[0] = '\0';
    ok = ok && curl_easy_setopt(h, CURLOPT_URL, url) == CURLE_OK;
    if (url != url_stack) free(url);
    ok = ok && curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs) == CURLE_OK;
    ok = ok && curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK;
    ok = ok && curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http") == CURLE_OK;
    ok = ok && curl_easy_setopt(h, CURLOPT_USERAGENT, "kmetrics") == CURLE_OK;
    /* One connection per handle (each has its own multi, hence its own connection cache), so
     * HTTP/2 would multiplex nothing; against the kube-apiserver's Go server a request on a kept
     * HTTP/2 connection costs about 0.15 ms more than on HTTP/1.1 keep-alive
     * (bench/bench_first_read.c). */
    ok = ok && curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) == CURLE_OK;
    ok = ok && curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 30L) == CURLE_OK;
    ok = ok && curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 10L) == CURLE_OK;
    ok = ok && curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) == CURLE_OK;
    if (timeout_ms > 0) ok = ok && curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms) == CURLE_OK;
    if (kc->connect_to)
        ok = ok && curl_easy_setopt(h, CURLOPT_CONNECT_TO, kc->connect_to) == CURLE_OK;
    if (kc->ca.data) {
        ok = ok && curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &kc->ca) == CURLE_OK;
        /* Only this CA: no system bundle or directory beside it (as client-go). */
        ok = ok && curl_easy_setopt(h, CURLOPT_CAPATH, NULL) == CURLE_OK;
    }
    if (kc->insecure) {
        ok = ok && curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L) == CURLE_OK;
        ok = ok && curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L) == CURLE_OK;
    }
    if (kc->cert.data) {
        ok = ok && curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &kc->cert) == CURLE_OK;
        ok = ok && curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM") == CURLE_OK;
        ok = ok && curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &kc->key) == CURLE_OK;
        ok = ok && curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM") == CURLE_OK;
    }
    return ok;
}

/* --- outcomes ------------------------------------------------------------------------------ */

static int errno_of(CURL *h, CURLcode rc, const struct xfer *x)
{
    long os = 0;

    if (x->cb_rc) return x->cb_rc;
    if (x->too_big) return -EFBIG;
    if (x->nomem) return -ENOMEM;
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return -ETIMEDOUT;
    case CURLE_COULDNT_CONNECT:
        curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os);
        return os > 0 ? -(int)os : -ECONNREFUSED;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return -EHOSTUNREACH;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
        return -EPROTO;
    case CURLE_FILESIZE_EXCEEDED:
        return -EFBIG;
    case CURLE_OUT_OF_MEMORY:
        return -ENOMEM;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return -ECONNRESET;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return -EINVAL;
    default:
        return -EIO;
    }
}

/* One line: "GET /path: what curl said". The path is cut (continue tokens are long). */
static void transfer_err(char *err, size_t errlen, const char *method, const char *path, int rc,
                         CURLcode crc, const char *curl_msg)
{
    const char *why = curl_msg && curl_msg[0] ? curl_msg : curl_easy_strerror(crc);

    if (rc == -EFBIG)
        why = "response (or a line of it) larger than allowed";
    else if (rc == -ECANCELED)
        why = "stopped";
    else if (rc == -ENOMEM)
        why = "out of memory";
    set_err(err, errlen, "%s %.200s: %s", method, path, why);
}

static void init_xfer(struct xfer *x)
{
    memset(x, 0, sizeof(*x));
    x->last_byte_ns = clock_mono_ns();
}

/* Runs the prepared transfer in its multi handle until it completes (0, its result in *crc),
 * *stop is raised (-ECANCELED) or, with idle_ms > 0, nothing arrived for that long
 * (-ETIMEDOUT). */
static int run(struct conn *c, struct xfer *x, const volatile bool *stop, long idle_ms,
               CURLcode *crc, const char *method, const char *path, char *err, size_t errlen)
{
    int running = 1, rc = 0;

    *crc = CURLE_OK;
    if (curl_multi_add_handle(c->m, c->e) != CURLM_OK) {
        set_err(err, errlen, "%s %.200s: out of memory", method, path);
        return -ENOMEM;
    }
    for (;;) {
        CURLMcode mc = curl_multi_perform(c->m, &running);
        if (mc != CURLM_OK) {
            rc = -EIO;
            set_err(err, errlen, "%s %.200s: %s", method, path, curl_multi_strerror(mc));
            break;
        }
        if (!running) {
            int left;
            CURLMsg *msg;
            while ((msg = curl_multi_info_read(c->m, &left)))
                if (msg->msg == CURLMSG_DONE) *crc = msg->data.result;
            break;
        }
        if (stop && *stop) {
            rc = -ECANCELED;
            transfer_err(err, errlen, method, path, rc, CURLE_OK, NULL);
            break;
        }
        if (idle_ms > 0 && clock_mono_ns() - x->last_byte_ns > idle_ms * 1000000LL) {
            rc = -ETIMEDOUT;
            set_err(err, errlen, "%s %.200s: nothing received for %ld ms", method, path, idle_ms);
            break;
        }
        mc = curl_multi_poll(c->m, NULL, 0, STREAM_POLL_MS, NULL);
        if (mc != CURLM_OK) {
            rc = -EIO;
            set_err(err, errlen, "%s %.200s: %s", method, path, curl_multi_strerror(mc));
            break;
        }
    }
    curl_multi_remove_handle(c->m, c->e); /* ends an unfinished transfer */
    return rc;
}

/* The protocol spoken and whether the transfer opened its connection. */
static void response_connection(CURL *h, struct kube_response *out)
{
    long version = 0, connects = 0;

    curl_easy_getinfo(h, CURLINFO_HTTP_VERSION, &version);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
    out->http_version = version == CURL_HTTP_VERSION_1_0   ? 10
                        : version == CURL_HTTP_VERSION_1_1 ? 11
                        : version == CURL_HTTP_VERSION_2_0 ? 20
                                                           : 0;
    out->new_connection = connects > 0;
}

int kube_client_request_stop(struct kube_client *kc, const char *method, const char *path,
                             const char *accept, const char *body, long timeout_ms, size_t max_body,
                             const volatile bool *stop, struct kube_response *out, char *err,
                             size_t errlen)
{
    char auth[TOKEN_FILE_MAX + 32], curl_msg[CURL_ERROR_SIZE];
    struct curl_slist *hdrs = NULL;
    struct conn *c;
    struct xfer x;
    CURLcode crc;
    CURL *h;
    bool ok;
    int rc;

    if (out) memset(out, 0, sizeof(*out));
    if (!kc || !method || !path || path[0] != '/' || !out) {
        set_err(err, errlen, "bad request arguments");
        return -EINVAL;
    }
    if (!(c = conn_get(kc))) {
        set_err(err, errlen, "%s %.200s: out of memory", method, path);
        return -ENOMEM;
    }
    h = c->e;
    init_xfer(&x);
    x.max_body = max_body;
    auth_header(kc, auth, sizeof(auth));
    ok = setup(kc, h, path, &hdrs, accept, auth, curl_msg, timeout_ms);
    if (ok && body) {
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        ok = hdrs && curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body)) ==
                 CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_POSTFIELDS, body) == CURLE_OK;
    }
    if (ok && strcmp(method, "GET") != 0 && !(strcmp(method, "POST") == 0 && body))
        ok = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method) == CURLE_OK;
    if (ok && strcmp(method, "HEAD") == 0) ok = curl_easy_setopt(h, CURLOPT_NOBODY, 1L) == CURLE_OK;
    if (ok && max_body)
        ok = curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_body) == CURLE_OK;
    ok = ok && curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_cb) == CURLE_OK &&
         curl_easy_setopt(h, CURLOPT_WRITEDATA, &x) == CURLE_OK;
    if (!ok) {
        rc = -ENOMEM;
        set_err(err, errlen, "%s %.200s: out of memory", method, path);
        goto out;
    }
    if ((rc = run(c, &x, stop, 0, &crc, method, path, err, errlen))) goto out;
    if (crc != CURLE_OK) {
        rc = errno_of(h, crc, &x);
        transfer_err(err, errlen, method, path, rc, crc, curl_msg);
        goto out;
    }
    if (!x.body && !body_append(&x, "", 0, 0)) {
        rc = -ENOMEM;
        set_err(err, errlen, "%s %.200s: out of memory", method, path);
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    response_connection(h, out);
    out->body = x.body;
    out->len = x.len;
    x.body = NULL;
out:
    free(x.body);
    curl_slist_free_all(hdrs);
    conn_put(kc, c);
    return rc;
}

int kube_client_request(struct kube_client *kc, const char *method, const char *path,
                        const char *accept, const char *body, long timeout_ms, size_t max_body,
                        struct kube_response *out, char *err, size_t errlen)
{
    return kube_client_request_stop(kc, method, path, accept, body, timeout_ms, max_body, NULL, out,
                                    err, errlen);
}

/* A printable one-line excerpt of a failed stream's body. */
static void body_excerpt(char *err, size_t errlen, const char *path, long status, const char *b,
                         size_t n)
{
    char shown[ERR_BODY_SHOWN + 1];
    size_t k = 0;

    for (size_t i = 0; i < n && k < ERR_BODY_SHOWN; i++)
        shown[k++] = (b[i] >= 0x20 && b[i] < 0x7f) ? b[i] : ' ';
    shown[k] = '\0';
    set_err(err, errlen, "GET %.200s: HTTP %ld: %s", path, status, shown);
}

int kube_client_stream_open(struct kube_client *kc, const char *path, const char *accept,
                            long idle_timeout_ms, size_t max_line,
                            void (*on_open)(void *arg, long status),
                            int (*on_line)(void *arg, const char *line, size_t len), void *arg,
                            const volatile bool *stop, long *status, char *err, size_t errlen)
{
    char auth[TOKEN_FILE_MAX + 32], curl_msg[CURL_ERROR_SIZE];
    struct curl_slist *hdrs = NULL;
    CURLcode crc = CURLE_OK;
    struct conn *c;
    struct xfer x;
    int rc;

    if (status) *status = 0;
    if (!kc || !path || path[0] != '/' || !on_line || !max_line) {
        set_err(err, errlen, "bad stream arguments");
        return -EINVAL;
    }
    if (!(c = conn_get(kc))) {
        set_err(err, errlen, "GET %.200s: out of memory", path);
        return -ENOMEM;
    }
    init_xfer(&x);
    x.on_line = on_line;
    x.on_open = on_open;
    x.arg = arg;
    x.max_line = max_line;
    auth_header(kc, auth, sizeof(auth));
    if (!setup(kc, c->e, path, &hdrs, accept, auth, curl_msg, 0) ||
        curl_easy_setopt(c->e, CURLOPT_WRITEFUNCTION, line_cb) != CURLE_OK ||
        curl_easy_setopt(c->e, CURLOPT_WRITEDATA, &x) != CURLE_OK ||
        curl_easy_setopt(c->e, CURLOPT_HEADERFUNCTION, header_cb) != CURLE_OK ||
        curl_easy_setopt(c->e, CURLOPT_HEADERDATA, &x) != CURLE_OK) {
        rc = -ENOMEM;
        set_err(err, errlen, "GET %.200s: out of memory", path);
        goto out;
    }
    if ((rc = run(c, &x, stop, idle_timeout_ms, &crc, "GET", path, err, errlen))) goto out;
    if (crc != CURLE_OK) {
        rc = errno_of(c->e, crc, &x);
        if (x.cb_rc)
            set_err(err, errlen, "GET %.200s: ended by the line handler (%d)", path, x.cb_rc);
        else
            transfer_err(err, errlen, "GET", path, rc, crc, curl_msg);
    } else if (!status_ok(x.status)) {
        body_excerpt(err, errlen, path, x.status, x.body, x.len);
    }
out:
    if (status) *status = x.status;
    free(x.body);
    curl_slist_free_all(hdrs);
    conn_put(kc, c);
    return rc;
}

int kube_client_stream(struct kube_client *kc, const char *path, const char *accept,
                       long idle_timeout_ms, size_t max_line,
                       int (*on_line)(void *arg, const char *line, size_t len), void *arg,
                       const volatile bool *stop, long *status, char *err, size_t errlen)
{
    return kube_client_stream_open(kc, path, accept, idle_timeout_ms, max_line, NULL, on_line, arg,
                                   stop, status, err, errlen);
}
