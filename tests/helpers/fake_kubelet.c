/* A scripted fake kubelet for the kubelet-scrape fallback's tests and benchmark: HTTPS
 * listeners answering GET /metrics/resource (HTTP/1.1, kept connections), each in one mode:
 *
 *   fake_kubelet --cert C --key K --listen PORT:MODE[:CERT:KEY] [--listen ...]
 *                [--bind ADDR [--bind-count N]] [--pods N] [--containers M]
 *
 *   good   a kubelet-1.20-like body (HELP/TYPE lines, exponents, timestamps = now in ms) whose
 *          CPU counters grow against the real clock at a stated rate: container c of every pod
 *          at (c + 1) * 100 millicores, the node at 1.5 cores; working sets fixed: container c
 *          of pod i (c + 1) * 16 MiB + i MiB, the node 1 GiB. Pods (default 3, containers 2)
 *          are namespace "default", named after the local address the connection arrived at:
 *          pod-A-B-C-D-I (so --bind 127.1.0.1 --bind-count 1000, every port listening on the
 *          1,000 loopback addresses 127.1.0.1 to 127.1.3.232, is a thousand distinct kubelets),
 *          containers c0, c1, ...; container_start_time_seconds = the fake's start
 *   junk   200 with 64 KiB of random bytes
 *   huge   200 with 20 MiB of valid-looking lines, no Content-Length, ended by closing
 *   drip   200 headers, then one byte every 500 ms, never finishing
 *   stall  TLS handshake done, request read, never an answer
 *   401, 403, 500   that status with a short text body
 * A listener given its own CERT:KEY serves with it (e.g. from another CA: the "tls" failure).
 *
 * Prints "listening ADDR:PORT MODE" per listener, then "ready"; then one line per answer:
 * "<unix ms> <local addr>:<port> <mode> <status>". SIGTERM/SIGINT end it. Thread per
 * connection; nothing a client sends can crash it (bounded request reads, SIGPIPE ignored). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define MAX_SPECS 32
#define MAX_LISTENERS 4096
#define MAX_CONNS 4096
#define REQ_MAX 16384
#define HUGE_BYTES (20u << 20)
#define JUNK_BYTES (64u << 10)

enum mode { GOOD, JUNK, HUGE, DRIP, STALL, S401, S403, S500 };
static const char *const mode_names[] = {"good",  "junk", "huge", "drip",
                                         "stall", "401",  "403",  "500"};

struct listener {
    int fd;
    int port;
    enum mode mode;
    SSL_CTX *ctx;
};

struct conn {
    int fd;
    const struct listener *l;
};

static struct listener listeners[MAX_LISTENERS];
static int nlisteners;
static int pods = 3, containers = 2;
static double start_s; /* the fake's start: counters count from it */
static volatile sig_atomic_t stop;
static int nconns;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char *huge_body; /* made once, on first use */
static pthread_once_t huge_once = PTHREAD_ONCE_INIT;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* --- bodies ------------------------------------------------------------------------------- */

struct buf {
    char *p;
    size_t len, cap;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 8192;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) abort(); /* a test tool: out of memory is fatal */
        b->p = q;
        b->cap = cap;
    }
}

/* The good body for a kubelet at local address addr ("127.0.3.7"), as of now. */
static void good_body(struct buf *b, const char *addr)
{
    /* The counters as of the millisecond stamped: rates between two scrapes are exact. */
    long long ms = (long long)(now_s() * 1000);
    double up = (double)ms / 1000.0 - start_s;
    char prefix[64];

    snprintf(prefix, sizeof(prefix), "pod-%s", addr);
    for (char *p = prefix; *p; p++)
        if (*p == '.' || *p == ':') *p = '-';
    put(b, "# HELP container_cpu_usage_seconds_total [ALPHA] Cumulative cpu time consumed by the "
           "container in core-seconds\n# TYPE container_cpu_usage_seconds_total counter\n");
    for (int i = 0; i < pods; i++)
        for (int c = 0; c < containers; c++)
            put(b,
                "container_cpu_usage_seconds_total{container=\"c%d\",namespace=\"default\","
                "pod=\"%s-%d\"} %.9f %lld\n",
                c, prefix, i, 1000.0 + 0.1 * (c + 1) * up, ms);
    put(b, "# HELP container_memory_working_set_bytes [ALPHA] Current working set of the "
           "container in bytes\n# TYPE container_memory_working_set_bytes gauge\n");
    for (int i = 0; i < pods; i++)
        for (int c = 0; c < containers; c++)
            put(b,
                "container_memory_working_set_bytes{container=\"c%d\",namespace=\"default\","
                "pod=\"%s-%d\"} %.10e %lld\n",
                c, prefix, i, (double)((c + 1) * 16 + i) * 1048576.0, ms);
    put(b, "# HELP container_start_time_seconds [ALPHA] Start time of the container since unix "
           "epoch in seconds\n# TYPE container_start_time_seconds gauge\n");
    for (int i = 0; i < pods; i++)
        for (int c = 0; c < containers; c++)
            put(b,
                "container_start_time_seconds{container=\"c%d\",namespace=\"default\","
                "pod=\"%s-%d\"} %.9e %lld\n",
                c, prefix, i, start_s, ms);
    put(b,
        "# HELP node_cpu_usage_seconds_total [ALPHA] Cumulative cpu time consumed by the node in "
        "core-seconds\n# TYPE node_cpu_usage_seconds_total counter\n"
        "node_cpu_usage_seconds_total %.9f %lld\n"
        "# HELP node_memory_working_set_bytes [ALPHA] Current working set of the node in bytes\n"
        "# TYPE node_memory_working_set_bytes gauge\n"
        "node_memory_working_set_bytes 1.073741824e+09 %lld\n"
        "# HELP scrape_error [ALPHA] 1 if there was an error while getting container metrics, 0 "
        "otherwise\n# TYPE scrape_error gauge\nscrape_error 0\n",
        50000.0 + 1.5 * up, ms, ms);
}

static void make_huge(void)
{
    struct buf b = {0};
    long long ms = (long long)(now_s() * 1000);

    for (int i = 0; b.len < HUGE_BYTES; i++)
        put(&b,
            "container_cpu_usage_seconds_total{container=\"c\",namespace=\"default\","
            "pod=\"huge-%d\"} 1.5 %lld\n",
            i, ms);
    huge_body = b.p;
}

/* --- one connection ----------------------------------------------------------------------- */

static bool send_all(SSL *ssl, const void *p, size_t n)
{
    while (n > 0) {
        int k = SSL_write(ssl, p, n > (1u << 20) ? 1 << 20 : (int)n);
        if (k <= 0) return false;
        p = (const char *)p + k;
        n -= (size_t)k;
    }
    return true;
}

/* Reads one request's head (up to the blank line). 1: a request; 0: closed or broken. */
static int read_request(SSL *ssl, char *req, size_t cap)
{
    size_t len = 0;

    while (len + 1 < cap) {
        int k = SSL_read(ssl, req + len, (int)(cap - 1 - len));
        if (k <= 0) return 0;
        len += (size_t)k;
        req[len] = '\0';
        if (strstr(req, "\r\n\r\n")) return 1;
    }
    return 0; /* a head longer than REQ_MAX: not served */
}

/* Blocks until the peer closes (or the fake stops): a stalled answer. */
static void wait_close(int fd, SSL *ssl)
{
    char sink[4096];

    while (!stop) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 500) < 0 && errno != EINTR) return;
        if (p.revents && SSL_read(ssl, sink, sizeof(sink)) <= 0) return;
    }
}

static void logline(const char *addr, const struct listener *l, int status)
{
    printf("%lld %s:%d %s %d\n", (long long)(now_s() * 1000), addr, l->port, mode_names[l->mode],
           status);
}

static void *serve(void *arg)
{
    struct conn *cn = arg;
    const struct listener *l = cn->l;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char addr[INET6_ADDRSTRLEN] = "?", req[REQ_MAX], head[256];
    SSL *ssl = SSL_new(l->ctx);
    struct timeval idle = {.tv_sec = 120};

    if (getsockname(cn->fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof(addr));
        else
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr, sizeof(addr));
    }
    /* A client that neither handshakes nor asks for two minutes is let go. */
    setsockopt(cn->fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle));
    if (!ssl || !SSL_set_fd(ssl, cn->fd) || SSL_accept(ssl) != 1) goto out;
    while (!stop && read_request(ssl, req, sizeof(req))) {
        struct buf b = {0};
        bool keep = true;

        if (strncmp(req, "GET /metrics/resource ", 22) != 0) {
            static const char nf[] =
                "HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\nnot found\n";
            logline(addr, l, 404);
            if (!send_all(ssl, nf, sizeof(nf) - 1)) break;
            continue;
        }
        switch (l->mode) {
        case GOOD:
            good_body(&b, addr);
            snprintf(head, sizeof(head),
                     "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     b.len);
            keep = send_all(ssl, head, strlen(head)) && send_all(ssl, b.p, b.len);
            logline(addr, l, 200);
            break;
        case JUNK: {
            unsigned int seed = (unsigned int)time(NULL) ^ (unsigned int)cn->fd;
            if (!(b.p = malloc(JUNK_BYTES))) abort();
            for (size_t i = 0; i < JUNK_BYTES; i++)
                b.p[i] = (char)(rand_r(&seed) & 0xff);
            snprintf(head, sizeof(head),
                     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %u\r\n\r\n",
                     JUNK_BYTES);
            keep = send_all(ssl, head, strlen(head)) && send_all(ssl, b.p, JUNK_BYTES);
            logline(addr, l, 200);
            break;
        }
        case HUGE:
            pthread_once(&huge_once, make_huge);
            logline(addr, l, 200);
            snprintf(head, sizeof(head),
                     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n");
            if (send_all(ssl, head, strlen(head))) send_all(ssl, huge_body, strlen(huge_body));
            keep = false;
            break;
        case DRIP:
            logline(addr, l, 200);
            snprintf(
                head, sizeof(head),
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n");
            keep = send_all(ssl, head, strlen(head));
            for (int i = 0; keep && !stop && i < 100000; i++) {
                usleep(500000);
                keep = send_all(ssl, "#", 1);
            }
            keep = false;
            break;
        case STALL:
            logline(addr, l, 0);
            wait_close(cn->fd, ssl);
            keep = false;
            break;
        case S401:
        case S403:
        case S500: {
            static const char *const text[] = {"401 Unauthorized", "403 Forbidden",
                                               "500 Internal Server Error"};
            const char *t = text[l->mode - S401];
            snprintf(head, sizeof(head),
                     "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s\n",
                     t, strlen(t) + 1, t);
            keep = send_all(ssl, head, strlen(head));
            logline(addr, l, atoi(t));
            break;
        }
        }
        free(b.p);
        if (!keep) break;
    }
out:
    if (ssl) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
    }
    close(cn->fd);
    free(cn);
    pthread_mutex_lock(&mu);
    nconns--;
    pthread_mutex_unlock(&mu);
    ERR_clear_error();
    return NULL;
}

/* --- setup -------------------------------------------------------------------------------- */

static SSL_CTX *tls_ctx(const char *cert, const char *key)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        fprintf(stderr, "fake_kubelet: certificate %s / key %s: ", cert, key);
        ERR_print_errors_fp(stderr);
        exit(1);
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    return ctx;
}

/* A listener on addr (host order) and port (0: any); its port is read back. */
static void listen_on(struct listener *l, uint32_t addr, int port)
{
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(addr)};
    socklen_t al = sizeof(a);
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    char text[INET_ADDRSTRLEN];

    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
        bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 1024) ||
        getsockname(fd, (struct sockaddr *)&a, &al)) {
        inet_ntop(AF_INET, &a.sin_addr, text, sizeof(text));
        fprintf(stderr, "fake_kubelet: listening on %s:%d: %s\n", text, port, strerror(errno));
        exit(1);
    }
    l->fd = fd;
    l->port = ntohs(a.sin_port);
}

static void usage(void)
{
    fprintf(stderr, "usage: fake_kubelet --cert C --key K --listen PORT:MODE[:CERT:KEY] "
                    "[--listen ...] [--bind ADDR [--bind-count N]] [--pods N] [--containers M]\n"
                    "modes: good junk huge drip stall 401 403 500\n"
                    "--bind-count N: each port on N addresses from ADDR up (127.1.0.1, "
                    "127.1.0.2, ...)\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *cert = NULL, *key = NULL, *bind_addr = "127.0.0.1", *specs[MAX_SPECS];
    int nspecs = 0, bind_count = 1;
    struct in_addr first;
    struct sigaction sa = {.sa_handler = on_signal};
    pthread_attr_t attr;

    for (int i = 1; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) usage();
        if (!strcmp(argv[i], "--cert"))
            cert = v;
        else if (!strcmp(argv[i], "--key"))
            key = v;
        else if (!strcmp(argv[i], "--bind"))
            bind_addr = v;
        else if (!strcmp(argv[i], "--pods"))
            pods = atoi(v);
        else if (!strcmp(argv[i], "--containers"))
            containers = atoi(v);
        else if (!strcmp(argv[i], "--bind-count"))
            bind_count = atoi(v);
        else if (!strcmp(argv[i], "--listen") && nspecs < MAX_SPECS)
            specs[nspecs++] = v;
        else
            usage();
    }
    if (!cert || !key || !nspecs || pods < 0 || pods > 10000 || containers < 0 ||
        containers > 100 || bind_count < 1 || nspecs * bind_count > MAX_LISTENERS ||
        inet_pton(AF_INET, bind_addr, &first) != 1)
        usage();
    start_s = now_s();
    signal(SIGPIPE, SIG_IGN);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0; i < nspecs; i++) {
        char spec[1024], *save = NULL, *port, *mode, *c, *k;
        enum mode m = (enum mode) - 1;
        SSL_CTX *ctx;
        snprintf(spec, sizeof(spec), "%s", specs[i]);
        port = strtok_r(spec, ":", &save);
        mode = strtok_r(NULL, ":", &save);
        c = strtok_r(NULL, ":", &save);
        k = strtok_r(NULL, ":", &save);
        if (!port || !mode || !c != !k) usage();
        for (size_t j = 0; j < sizeof(mode_names) / sizeof(mode_names[0]); j++)
            if (!strcmp(mode, mode_names[j])) m = (enum mode)j;
        if ((int)m < 0) usage();
        ctx = tls_ctx(c ? c : cert, k ? k : key);
        for (int a = 0; a < bind_count; a++) {
            struct listener *l = &listeners[nlisteners++];
            l->mode = m;
            l->ctx = ctx;
            /* every address on the first one's port */
            listen_on(l, ntohl(first.s_addr) + (uint32_t)a, a ? l[-a].port : atoi(port));
        }
        printf("listening %s:%d %s", bind_addr, listeners[nlisteners - 1].port, mode_names[m]);
        if (bind_count > 1) printf(" (and the %d addresses after it)", bind_count - 1);
        printf("\n");
    }
    printf("ready\n");
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 << 10);
    while (!stop) {
        static struct pollfd pfd[MAX_LISTENERS];
        for (int i = 0; i < nlisteners; i++)
            pfd[i] = (struct pollfd){.fd = listeners[i].fd, .events = POLLIN};
        if (poll(pfd, (nfds_t)nlisteners, 500) < 0) continue;
        for (int i = 0; i < nlisteners; i++) {
            if (!pfd[i].revents) continue;
            int fd = accept4(listeners[i].fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd < 0) continue;
            struct conn *cn = malloc(sizeof(*cn));
            pthread_t t;
            pthread_mutex_lock(&mu);
            bool room = nconns < MAX_CONNS;
            if (room) nconns++;
            pthread_mutex_unlock(&mu);
            if (!cn || !room) {
                free(cn);
                close(fd);
                continue;
            }
            *cn = (struct conn){.fd = fd, .l = &listeners[i]};
            if (pthread_create(&t, &attr, serve, cn) != 0) {
                close(fd);
                free(cn);
                pthread_mutex_lock(&mu);
                nconns--;
                pthread_mutex_unlock(&mu);
            }
        }
    }
    /* Threads still serving are cut off: no library teardown under their feet. */
    fflush(stdout);
    _exit(0);
}
