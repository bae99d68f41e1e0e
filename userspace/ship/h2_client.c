/* A small HTTP/2 client: a non-blocking socket, OpenSSL for TLS, nghttp2 for the framing
 * (its memory interface: nghttp2 never touches the socket, so TLS and plain TCP share one
 * path). Everything the peer sends is bounded (header and body caps, reads per call, the
 * request deadline), and any protocol error fails the request and drops the connection.
 *
 * The calling thread must block SIGPIPE (OpenSSL writes with write(2)). */
#include "h2_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log.h"

#define HEADERS_MAX (16 * 1024)
#define MAX_REQUEST_HEADERS 16
#define OUT_HIGH (64 * 1024) /* unsent bytes before we stop pulling frames from nghttp2 */
#define READ_CHUNK (16 * 1024)
#define READS_PER_CALL 64 /* then let other connections run; we are called again at once */
#define KEEPALIVE_S 60

enum { IO_AGAIN = -1, IO_ERROR = -2 };

struct h2_tls {
    char *ca_file;
    bool insecure;
    SSL_CTX *ctx;
    struct stat ca_stat; /* of the file ctx's CAs came from */
};

enum conn_state { C_CLOSED, C_CONNECTING, C_HANDSHAKE, C_OPEN };

struct h2_conn {
    struct h2_tls *tls; /* NULL: cleartext */
    char *host, *connect_addr;
    unsigned port;
    bool host_is_ip;

    enum conn_state state;
    int fd;
    SSL *ssl;
    bool ssl_wants_write; /* OpenSSL needs the socket writable to go on */
    nghttp2_session *session;
    struct addrinfo *addrs, *next_addr;
    char peer[INET6_ADDRSTRLEN];
    int connect_errno;
    int64_t connect_deadline;
    bool more; /* work left without waiting for the socket */
    char io_err[160];

    struct outbuf out; /* frames not yet written, from out_off */
    size_t out_off;
    uint64_t produced, written; /* bytes on this connection */

    /* The request under way, or whose outcome waits to be reported. */
    const struct h2_request *req;
    bool busy, finished;
    int64_t req_deadline;
    int32_t stream_id;
    size_t body_off;
    int64_t req_offset; /* where its HEADERS start in the byte stream; -1 before */
    bool got_end, stream_closed, refused;
    bool fresh; /* a connection was opened since the last outcome was reported */
    uint32_t stream_error;
    size_t header_bytes;
    int status;
    struct h2_response resp;
};

static void close_conn(struct h2_conn *c);

/* ---- outcome ------------------------------------------------------------------------------ */

static void set_error(struct h2_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_error(struct h2_conn *c, const char *fmt, ...)
{
    va_list ap;

    if (!c->busy || c->finished || c->resp.error[0]) return; /* the first cause wins */
    va_start(ap, fmt);
    vsnprintf(c->resp.error, sizeof(c->resp.error), fmt, ap);
    va_end(ap);
}

static void finish(struct h2_conn *c, bool answered)
{
    if (!c->busy || c->finished) return;
    c->finished = true;
    c->resp.status = answered ? c->status : 0;
    if (!answered && !c->resp.error[0]) snprintf(c->resp.error, sizeof(c->resp.error), "failed");
    if (answered) c->resp.error[0] = '\0';
    c->resp.request_written =
        c->req_offset >= 0 && c->written > (uint64_t)c->req_offset && !c->refused;
    c->resp.new_connection = c->fresh;
    c->fresh = false;
    /* Detach the stream: nothing may read the caller's body after this. */
    if (c->session && c->stream_id && !c->stream_closed) {
        nghttp2_submit_rst_stream(c->session, NGHTTP2_FLAG_NONE, c->stream_id, NGHTTP2_CANCEL);
        c->more = true;
    }
    c->stream_id = 0;
    c->req = NULL;
}

/* Fails the request (if any) and drops the connection. */
static void fail_close(struct h2_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fail_close(struct h2_conn *c, const char *fmt, ...)
{
    char msg[sizeof(c->resp.error)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c->busy && !c->finished) {
        set_error(c, "%s", msg);
        finish(c, false);
    } else if (c->state != C_CLOSED) {
        log_debug("h2: %s:%u: idle connection dropped: %s", c->host, c->port, msg);
    }
    close_conn(c);
}

/* ---- TLS ---------------------------------------------------------------------------------- */

struct h2_tls *h2_tls_new(const char *ca_file, bool insecure)
{
    struct h2_tls *tls = calloc(1, sizeof(*tls));

    if (!tls) return NULL;
    tls->insecure = insecure;
    if (ca_file && !(tls->ca_file = strdup(ca_file))) {
        free(tls);
        return NULL;
    }
    return tls;
}

void h2_tls_free(struct h2_tls *tls)
{
    if (!tls) return;
    SSL_CTX_free(tls->ctx); /* connections hold their own references */
    free(tls->ca_file);
    free(tls);
}

static void ssl_error_string(char *out, size_t n)
{
    unsigned long e = ERR_peek_last_error();

    if (e)
        ERR_error_string_n(e, out, n);
    else
        snprintf(out, n, "unknown TLS error");
    ERR_clear_error();
}

/* The context for a new connection: built at the first one, and again when the CA file
 * changed (a rotated bundle is picked up at the next reconnect). */
static SSL_CTX *tls_context(struct h2_tls *tls, char *err, size_t errlen)
{
    struct stat st = {0};
    SSL_CTX *ctx;
    char why[160];

    if (tls->ca_file && !tls->insecure) {
        if (stat(tls->ca_file, &st) != 0) {
            snprintf(err, errlen, "CA file %s: %s", tls->ca_file, strerror(errno));
            return NULL;
        }
        if (tls->ctx && st.st_ino == tls->ca_stat.st_ino && st.st_dev == tls->ca_stat.st_dev &&
            st.st_size == tls->ca_stat.st_size &&
            st.st_mtim.tv_sec == tls->ca_stat.st_mtim.tv_sec &&
            st.st_mtim.tv_nsec == tls->ca_stat.st_mtim.tv_nsec)
            return tls->ctx;
    } else if (tls->ctx) {
        return tls->ctx;
    }
    ERR_clear_error();
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        ssl_error_string(why, sizeof(why));
        snprintf(err, errlen, "TLS setup: %s", why);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* Partial writes from a buffer that may move between retries; idle connections give
     * their buffers back (RSS counts). */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    /* HTTP/2 frames delimit themselves: a missing close_notify is just a closed connection. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_verify(ctx, tls->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    if (!tls->insecure && (tls->ca_file ? SSL_CTX_load_verify_locations(ctx, tls->ca_file, NULL)
                                        : SSL_CTX_set_default_verify_paths(ctx)) != 1) {
        ssl_error_string(why, sizeof(why));
        snprintf(err, errlen, "loading CA certificates from %s: %s",
                 tls->ca_file ? tls->ca_file : "the system's default paths", why);
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_free(tls->ctx);
    tls->ctx = ctx;
    tls->ca_stat = st;
    return ctx;
}

/* ---- socket I/O, plain or TLS ------------------------------------------------------------- */

static int ssl_io_result(struct h2_conn *c, int rc, const char *what)
{
    int e = SSL_get_error(c->ssl, rc);
    char why[128];

    switch (e) {
    case SSL_ERROR_WANT_READ:
        c->ssl_wants_write = false;
        return IO_AGAIN;
    case SSL_ERROR_WANT_WRITE:
        c->ssl_wants_write = true;
        return IO_AGAIN;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        if (errno == 0 || errno == EPIPE || errno == ECONNRESET)
            snprintf(c->io_err, sizeof(c->io_err), "%s: connection closed by the server%s", what,
                     errno == ECONNRESET ? " (reset)" : "");
        else
            snprintf(c->io_err, sizeof(c->io_err), "%s: %s", what, strerror(errno));
        ERR_clear_error();
        return IO_ERROR;
    default:
        ssl_error_string(why, sizeof(why));
        snprintf(c->io_err, sizeof(c->io_err), "%s: %s", what, why);
        return IO_ERROR;
    }
}

/* > 0 bytes, 0 at the end of the stream, IO_AGAIN or IO_ERROR (c->io_err says why). */
static ssize_t conn_read(struct h2_conn *c, void *buf, size_t n)
{
    ssize_t r;

    if (c->ssl) {
        ERR_clear_error();
        errno = 0;
        r = SSL_read(c->ssl, buf, (int)n);
        return r > 0 ? r : ssl_io_result(c, (int)r, "receiving");
    }
    do
        r = recv(c->fd, buf, n, 0);
    while (r < 0 && errno == EINTR);
    if (r >= 0) return r;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return IO_AGAIN;
    snprintf(c->io_err, sizeof(c->io_err), "receiving: %s", strerror(errno));
    return IO_ERROR;
}

static ssize_t conn_write(struct h2_conn *c, const void *buf, size_t n)
{
    ssize_t r;

    if (c->ssl) {
        ERR_clear_error();
        errno = 0;
        r = SSL_write(c->ssl, buf, (int)(n > INT32_MAX ? INT32_MAX : n));
        if (r > 0) {
            c->ssl_wants_write = false;
            return r;
        }
        r = ssl_io_result(c, (int)r, "sending");
        if (r == 0) {
            snprintf(c->io_err, sizeof(c->io_err), "sending: connection closed by the server");
            r = IO_ERROR;
        }
        return r;
    }
    do
        r = send(c->fd, buf, n, MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    if (r >= 0) return r;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return IO_AGAIN;
    snprintf(c->io_err, sizeof(c->io_err), "sending: %s",
             errno == EPIPE || errno == ECONNRESET ? "connection closed by the server"
                                                   : strerror(errno));
    return IO_ERROR;
}

/* ---- nghttp2 callbacks -------------------------------------------------------------------- */

static ssize_t read_body(nghttp2_session *s, int32_t stream_id, uint8_t *buf, size_t len,
                         uint32_t *flags, nghttp2_data_source *src, void *arg)
{
    struct h2_conn *c = arg;
    size_t n;

    (void)s;
    (void)src;
    if (!c->req || stream_id != c->stream_id) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    n = c->req->body_len - c->body_off;
    if (n > len) n = len;
    if (n) memcpy(buf, (const char *)c->req->body + c->body_off, n);
    c->body_off += n;
    if (c->body_off == c->req->body_len) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static int before_frame_send(nghttp2_session *s, const nghttp2_frame *f, void *arg)
{
    struct h2_conn *c = arg;

    (void)s;
    /* nghttp2_session_mem_send() hands out one frame per call, so the bytes produced so far
     * are exactly what precedes our HEADERS. */
    if (f->hd.type == NGHTTP2_HEADERS && c->stream_id && f->hd.stream_id == c->stream_id &&
        c->req_offset < 0)
        c->req_offset = (int64_t)c->produced;
    return 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *arg)
{
    struct h2_conn *c = arg;

    (void)s;
    (void)flags;
    if (!c->stream_id || f->hd.stream_id != c->stream_id) return 0;
    c->header_bytes += namelen + valuelen + 32; /* RFC 9113's accounting */
    if (c->header_bytes > HEADERS_MAX) {
        set_error(c, "answer headers larger than %d KiB", HEADERS_MAX / 1024);
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    /* nghttp2 has checked that :status is three digits. */
    if (namelen == 7 && memcmp(name, ":status", 7) == 0 && valuelen == 3)
        c->status = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
    return 0;
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t stream_id, const uint8_t *data,
                         size_t len, void *arg)
{
    struct h2_conn *c = arg;

    (void)s;
    (void)flags;
    if (!c->stream_id || stream_id != c->stream_id) return 0;
    if (c->resp.body.len + len > H2_RESPONSE_MAX) {
        set_error(c, "answer body larger than %d KiB", H2_RESPONSE_MAX / 1024);
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    outbuf_append(&c->resp.body, data, len);
    if (c->resp.body.failed) {
        set_error(c, "out of memory for the answer");
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *arg)
{
    struct h2_conn *c = arg;

    (void)s;
    if (!c->stream_id) return 0;
    if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
        f->hd.stream_id == c->stream_id && (f->hd.flags & NGHTTP2_FLAG_END_STREAM))
        c->got_end = true;
    /* Streams above last_stream_id were never processed: the request can be sent again. */
    if (f->hd.type == NGHTTP2_GOAWAY && f->goaway.last_stream_id < c->stream_id) {
        c->refused = true;
        set_error(c, "the server is going away (GOAWAY %s) and did not take the request",
                  nghttp2_http2_strerror(f->goaway.error_code));
    }
    return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t stream_id, uint32_t error_code, void *arg)
{
    struct h2_conn *c = arg;

    (void)s;
    if (!c->stream_id || stream_id != c->stream_id) return 0;
    c->stream_closed = true;
    c->stream_error = error_code;
    if (error_code == NGHTTP2_REFUSED_STREAM) c->refused = true;
    return 0;
}

static int on_error(nghttp2_session *s, int code, const char *msg, size_t len, void *arg)
{
    struct h2_conn *c = arg;

    (void)s;
    (void)code;
    set_error(c, "HTTP/2 protocol error: %.*s", (int)(len > 160 ? 160 : len), msg);
    return 0;
}

/* ---- the connection ----------------------------------------------------------------------- */

static void close_conn(struct h2_conn *c)
{
    nghttp2_session_del(c->session);
    c->session = NULL;
    SSL_free(c->ssl);
    c->ssl = NULL;
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    if (c->addrs) freeaddrinfo(c->addrs);
    c->addrs = c->next_addr = NULL;
    outbuf_reset(&c->out);
    c->out_off = 0;
    c->state = C_CLOSED;
    c->ssl_wants_write = false;
    c->more = false;
    c->stream_id = 0;
}

static void submit(struct h2_conn *c)
{
    const struct h2_request *r = c->req;
    nghttp2_nv nv[4 + MAX_REQUEST_HEADERS + 1];
    nghttp2_data_provider body = {.source.ptr = c, .read_callback = read_body};
    char clen[24];
    size_t n = 0;
    int32_t id;

#define NV(n_, v_, f_) (nghttp2_nv){(uint8_t *)(n_), (uint8_t *)(v_), strlen(n_), strlen(v_), (f_)}
    nv[n++] = NV(":method", "POST", NGHTTP2_NV_FLAG_NONE);
    nv[n++] = NV(":scheme", c->tls ? "https" : "http", NGHTTP2_NV_FLAG_NONE);
    nv[n++] = NV(":authority", r->authority, NGHTTP2_NV_FLAG_NONE);
    nv[n++] = NV(":path", r->path, NGHTTP2_NV_FLAG_NONE);
    for (size_t i = 0; i < r->nheaders; i++)
        nv[n++] = NV(r->headers[i].name, r->headers[i].value,
                     r->headers[i].sensitive ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE);
    snprintf(clen, sizeof(clen), "%zu", r->body_len);
    nv[n++] = NV("content-length", clen, NGHTTP2_NV_FLAG_NONE);
#undef NV
    id = nghttp2_submit_request(c->session, NULL, nv, n, &body, c);
    if (id < 0) {
        fail_close(c, "starting the request: %s", nghttp2_strerror(id));
        return;
    }
    c->stream_id = id;
    c->more = true; /* frames to write */
}

static void start_session(struct h2_conn *c)
{
    nghttp2_session_callbacks *cb;
    nghttp2_option *opt;
    nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, HEADERS_MAX},
    };
    int rc;

    if (nghttp2_session_callbacks_new(&cb) != 0) {
        fail_close(c, "out of memory");
        return;
    }
    if (nghttp2_option_new(&opt) != 0) {
        nghttp2_session_callbacks_del(cb);
        fail_close(c, "out of memory");
        return;
    }
    nghttp2_session_callbacks_set_before_frame_send_callback(cb, before_frame_send);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    nghttp2_session_callbacks_set_error_callback2(cb, on_error);
    nghttp2_option_set_max_reserved_remote_streams(opt, 0);
    rc = nghttp2_session_client_new2(&c->session, cb, c, opt);
    nghttp2_session_callbacks_del(cb);
    nghttp2_option_del(opt);
    if (rc != 0) {
        c->session = NULL;
        fail_close(c, "starting HTTP/2: %s", nghttp2_strerror(rc));
        return;
    }
    rc = nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, settings,
                                 sizeof(settings) / sizeof(settings[0]));
    if (rc != 0) {
        fail_close(c, "starting HTTP/2: %s", nghttp2_strerror(rc));
        return;
    }
    c->state = C_OPEN;
    c->produced = c->written = 0;
    c->more = true;
    if (c->busy && !c->finished) submit(c);
}

static void start_tls(struct h2_conn *c);

static void connect_next(struct h2_conn *c)
{
    while (c->next_addr) {
        struct addrinfo *ai = c->next_addr;
        int one = 1, idle = KEEPALIVE_S;

        c->next_addr = ai->ai_next;
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, c->peer, sizeof(c->peer), NULL, 0,
                        NI_NUMERICHOST) != 0)
            snprintf(c->peer, sizeof(c->peer), "?");
        c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->fd < 0) {
            c->connect_errno = errno;
            continue;
        }
        /* Small frames go out at once; a dead peer is noticed on idle connections too. */
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
        setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
        setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof(idle));
        if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
            c->state = C_CONNECTING; /* poll() says when it is done either way */
            return;
        }
        c->connect_errno = errno;
        close(c->fd);
        c->fd = -1;
    }
    fail_close(c, "connecting to %s port %u: %s", c->peer[0] ? c->peer : c->host, c->port,
               strerror(c->connect_errno ? c->connect_errno : ECONNREFUSED));
}

static void open_conn(struct h2_conn *c, int64_t now)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    char port[8];
    int rc;

    c->connect_deadline = now + H2_CONNECT_TIMEOUT_NS;
    c->connect_errno = 0;
    c->peer[0] = '\0';
    snprintf(port, sizeof(port), "%u", c->port);
    hints.ai_flags = AI_NUMERICSERV | (c->connect_addr || c->host_is_ip ? AI_NUMERICHOST : 0);
    /* A name is looked up here, blocking this thread (not the caller's ticks). */
    rc = getaddrinfo(c->connect_addr ? c->connect_addr : c->host, port, &hints, &c->addrs);
    if (rc != 0) {
        c->addrs = NULL;
        fail_close(c, "resolving %s: %s", c->connect_addr ? c->connect_addr : c->host,
                   gai_strerror(rc));
        return;
    }
    c->next_addr = c->addrs;
    connect_next(c);
}

/* The TCP connection is up (or failed: then the next address). */
static void connected(struct h2_conn *c)
{
    int err = 0;
    socklen_t len = sizeof(err);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err) {
        c->connect_errno = err;
        close(c->fd);
        c->fd = -1;
        connect_next(c);
        return;
    }
    freeaddrinfo(c->addrs);
    c->addrs = c->next_addr = NULL;
    c->fresh = true;
    if (c->tls)
        start_tls(c);
    else
        start_session(c);
}

static void handshake(struct h2_conn *c)
{
    const unsigned char *alpn = NULL;
    unsigned alpn_len = 0;
    long verify;
    int rc;

    ERR_clear_error();
    errno = 0;
    rc = SSL_do_handshake(c->ssl);
    if (rc != 1) {
        unsigned long e = ERR_peek_last_error();

        rc = ssl_io_result(c, rc, "TLS handshake");
        if (rc == IO_AGAIN) return;
        verify = SSL_get_verify_result(c->ssl);
        if (ERR_GET_REASON(e) == SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL)
            fail_close(c, "the server at %s does not speak HTTP/2 over TLS (it refused ALPN h2)",
                       c->peer);
        else if (verify != X509_V_OK)
            fail_close(c, "TLS handshake with %s: certificate verify failed: %s", c->peer,
                       X509_verify_cert_error_string(verify));
        else if (rc == 0)
            fail_close(c, "TLS handshake with %s: connection closed by the server", c->peer);
        else
            fail_close(c, "%s (%s)", c->io_err, c->peer);
        return;
    }
    SSL_get0_alpn_selected(c->ssl, &alpn, &alpn_len);
    if (alpn_len != 2 || memcmp(alpn, "h2", 2) != 0) {
        fail_close(c, "the server at %s does not speak HTTP/2 over TLS (ALPN: %.*s)", c->peer,
                   alpn_len ? (int)alpn_len : 4, alpn_len ? (const char *)alpn : "none");
        return;
    }
    start_session(c);
}

static void start_tls(struct h2_conn *c)
{
    static const unsigned char alpn[] = "\x02h2";
    char err[256];
    SSL_CTX *ctx = tls_context(c->tls, err, sizeof(err));
    bool ok;

    if (!ctx) {
        fail_close(c, "%s", err);
        return;
    }
    ERR_clear_error();
    c->ssl = SSL_new(ctx);
    ok = c->ssl && SSL_set_fd(c->ssl, c->fd) == 1 &&
         SSL_set_alpn_protos(c->ssl, alpn, sizeof(alpn) - 1) == 0;
    /* SNI carries names only (RFC 6066); the certificate must match the URL's host, whatever
     * address we connected to. */
    if (ok && !c->host_is_ip) ok = SSL_set_tlsext_host_name(c->ssl, c->host) == 1;
    if (ok && !c->tls->insecure) {
        if (c->host_is_ip) {
            ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), c->host) == 1;
        } else {
            SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            ok = SSL_set1_host(c->ssl, c->host) == 1;
        }
    }
    if (!ok) {
        ssl_error_string(err, sizeof(err));
        fail_close(c, "TLS setup: %s", err);
        return;
    }
    SSL_set_connect_state(c->ssl);
    c->state = C_HANDSHAKE;
    handshake(c);
}

/* Pulls frames from nghttp2 and writes them out. False when the connection failed. */
static bool flush(struct h2_conn *c)
{
    for (;;) {
        ssize_t n;

        if (c->out_off > 0) { /* keep the unsent part at the front */
            memmove(c->out.data, c->out.data + c->out_off, c->out.len - c->out_off);
            c->out.len -= c->out_off;
            c->out_off = 0;
        }
        while (c->out.len < OUT_HIGH) {
            const uint8_t *p;

            n = nghttp2_session_mem_send(c->session, &p);
            if (n < 0) {
                fail_close(c, "HTTP/2: %s", nghttp2_strerror((int)n));
                return false;
            }
            if (n == 0) break;
            outbuf_append(&c->out, p, (size_t)n);
            if (c->out.failed) {
                fail_close(c, "out of memory");
                return false;
            }
            c->produced += (uint64_t)n;
        }
        if (c->out.len == 0) return true;
        n = conn_write(c, c->out.data, c->out.len);
        if (n == IO_AGAIN) return true;
        if (n < 0) {
            fail_close(c, "%s", c->io_err);
            return false;
        }
        c->out_off = (size_t)n;
        c->written += (uint64_t)n;
    }
}

static void check_request(struct h2_conn *c)
{
    if (!c->busy || c->finished || !c->stream_id) return;
    /* A complete answer is the outcome even if we are still sending (an early 413). */
    if (c->got_end && c->status >= 200) {
        finish(c, true);
    } else if (c->stream_closed) {
        if (c->stream_error != NGHTTP2_NO_ERROR)
            set_error(c, "the server reset the request (%s)",
                      nghttp2_http2_strerror(c->stream_error));
        else
            set_error(c, "the server ended the request without a complete answer");
        finish(c, false);
    }
}

/* Reads what there is, feeds nghttp2, writes what it has to say. */
static void exchange(struct h2_conn *c)
{
    uint8_t buf[READ_CHUNK];
    int i;

    for (i = 0; i < READS_PER_CALL; i++) {
        ssize_t n = conn_read(c, buf, sizeof(buf)), rv;

        if (n == IO_AGAIN) break;
        if (n == IO_ERROR) {
            fail_close(c, "%s", c->io_err);
            return;
        }
        if (n == 0) {
            fail_close(c, c->status ? "the server closed the connection in mid-answer"
                                    : "the server closed the connection before answering");
            return;
        }
        rv = nghttp2_session_mem_recv(c->session, buf, (size_t)n);
        if (rv < 0) {
            fail_close(c, "HTTP/2: %s", nghttp2_strerror((int)rv));
            return;
        }
        check_request(c);
    }
    c->more = i == READS_PER_CALL;
    if (!flush(c)) return;
    check_request(c);
    /* GOAWAY (theirs or ours, after a protocol error) and nothing left to do: close. */
    if (!nghttp2_session_want_read(c->session) && !nghttp2_session_want_write(c->session) &&
        c->out.len == 0)
        fail_close(c, "the server ended the connection");
}

/* ---- public ------------------------------------------------------------------------------- */

struct h2_conn *h2_conn_new(struct h2_tls *tls, const char *host, unsigned port,
                            const char *connect_addr)
{
    struct h2_conn *c = calloc(1, sizeof(*c));
    unsigned char a[sizeof(struct in6_addr)];

    if (!c) return NULL;
    c->tls = tls;
    c->port = port;
    c->fd = -1;
    c->host = strdup(host);
    c->connect_addr = connect_addr && connect_addr[0] ? strdup(connect_addr) : NULL;
    outbuf_init(&c->out);
    outbuf_init(&c->resp.body);
    if (!c->host || (connect_addr && connect_addr[0] && !c->connect_addr)) {
        h2_conn_free(c);
        return NULL;
    }
    c->host_is_ip = inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
    return c;
}

void h2_conn_free(struct h2_conn *c)
{
    if (!c) return;
    close_conn(c);
    outbuf_done(&c->out);
    outbuf_done(&c->resp.body);
    free(c->host);
    free(c->connect_addr);
    free(c);
}

bool h2_conn_post(struct h2_conn *c, const struct h2_request *req, int64_t now_ns)
{
    if (c->busy || req->nheaders > MAX_REQUEST_HEADERS) return false;
    outbuf_reset(&c->resp.body);
    c->resp.status = 0;
    c->resp.request_written = false;
    c->resp.new_connection = false;
    c->resp.error[0] = '\0';
    c->req = req;
    c->busy = true;
    c->finished = false;
    c->req_deadline = now_ns + H2_REQUEST_TIMEOUT_NS;
    c->stream_id = 0;
    c->body_off = 0;
    c->req_offset = -1;
    c->got_end = c->stream_closed = c->refused = false;
    c->stream_error = 0;
    c->header_bytes = 0;
    c->status = 0;
    if (c->state == C_OPEN && !nghttp2_session_check_request_allowed(c->session))
        close_conn(c); /* it got a GOAWAY: a new connection */
    if (c->state == C_CLOSED)
        open_conn(c, now_ns);
    else if (c->state == C_OPEN)
        submit(c);
    return true;
}

int h2_conn_pollfd(const struct h2_conn *c, short *events)
{
    *events = 0;
    switch (c->state) {
    case C_CLOSED:
        return -1;
    case C_CONNECTING:
        *events = POLLOUT;
        break;
    case C_HANDSHAKE:
        *events = c->ssl_wants_write ? POLLOUT : POLLIN;
        break;
    case C_OPEN:
        /* Idle connections are read too: a GOAWAY or a close is noticed before reuse. */
        *events = POLLIN | (c->out.len > c->out_off || c->ssl_wants_write ? POLLOUT : 0);
        break;
    }
    return c->fd;
}

int64_t h2_conn_deadline(const struct h2_conn *c)
{
    int64_t d = INT64_MAX;

    if (c->more || (c->busy && c->finished)) return INT64_MIN;
    if (c->busy) d = c->req_deadline;
    if ((c->state == C_CONNECTING || c->state == C_HANDSHAKE) && c->connect_deadline < d)
        d = c->connect_deadline;
    return d;
}

bool h2_conn_on_io(struct h2_conn *c, short revents, int64_t now_ns)
{
    if (c->busy && !c->finished && now_ns >= c->req_deadline) {
        fail_close(c, "timed out after %lld s", (long long)(H2_REQUEST_TIMEOUT_NS / 1000000000));
    } else if ((c->state == C_CONNECTING || c->state == C_HANDSHAKE) &&
               now_ns >= c->connect_deadline) {
        fail_close(c, "timed out %s %s port %u",
                   c->state == C_CONNECTING ? "connecting to" : "in the TLS handshake with",
                   c->peer, c->port);
    } else {
        switch (c->state) {
        case C_CLOSED:
            break;
        case C_CONNECTING:
            if (revents & (POLLOUT | POLLERR | POLLHUP)) connected(c);
            break;
        case C_HANDSHAKE:
            if (revents) handshake(c);
            break;
        case C_OPEN:
            exchange(c);
            break;
        }
    }
    if (c->busy && c->finished) {
        c->busy = false;
        return true;
    }
    return false;
}

const struct h2_response *h2_conn_response(const struct h2_conn *c)
{
    return &c->resp;
}
