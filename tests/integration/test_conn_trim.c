/* Idle connections give back their empty input buffers (api/http/conn_trim.c), against a real
 * aggregator and read from its /metrics.
 *
 * h2o frees a socket's input buffer itself once everything read was consumed, so a connection
 * idle between whole requests holds none anyway (checked here too). What it keeps is the
 * buffer it reserved for a read that found only part of a TLS record: the record's bytes wait
 * in the TLS layer, and the reserved, empty input buffer (8 KiB) stays until the rest arrives,
 * which for a slow or stalled client can be the connection's whole life. CONNS clients here
 * stop in the middle of a record; conn_trim must give every one of those buffers back. Without
 * it, each of them holds its buffer and the test fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <sys/resource.h>

#include "lib/agg_harness.h"

#define CONNS 200

static struct agg_harness h;
static struct client {
    int fd;
    SSL *ssl;
} clients[CONNS];
static SSL_CTX *ctx;

/* The value of an unlabelled sample in /metrics, or -1. */
static long long metric(const char *name)
{
    struct http_result r;
    char key[128];
    long long v = -1;

    if (ah_get(&h, "/metrics", NULL, NULL, &r) == 0 && r.status == 200 && r.body.data) {
        snprintf(key, sizeof(key), "\n%s ", name);
        const char *at = strstr(r.body.data, key);
        if (at) v = strtoll(at + strlen(key), NULL, 10);
    }
    outbuf_done(&r.body);
    return v;
}

/* A TLS connection (ALPN h2, as collectors connect) that sends the first half of one record
 * (the HTTP/2 preface) and then nothing more. */
static void connect_half_record(int port, struct client *c)
{
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    BIO *mem;
    char *data;
    long n;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(c->fd >= 0);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_non_null(c->ssl = SSL_new(ctx));
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_alpn_protos(c->ssl, (const unsigned char *)"\x02h2", 3);
    assert_int_equal(SSL_connect(c->ssl), 1);
    /* From now on records are written to memory, and only half of one reaches the socket. */
    assert_non_null(mem = BIO_new(BIO_s_mem()));
    SSL_set0_wbio(c->ssl, mem);
    assert_int_equal(SSL_write(c->ssl, preface, (int)strlen(preface)), (int)strlen(preface));
    n = BIO_get_mem_data(mem, &data);
    assert_true(n > 10);
    assert_int_equal(write(c->fd, data, (size_t)n / 2), n / 2);
}

static void test_idle_connections_keep_no_empty_input_buffer(void **state)
{
    (void)state;

    /* Connections idle between whole requests: h2o already freed what they read. */
    long long released0 = metric("kmetrics_connection_input_buffers_released_total");
    assert_true(released0 >= 0);

    for (int i = 0; i < CONNS; i++)
        connect_half_record(h.port, &clients[i]);
    /* conn_trim runs every 100 ms of the event loop; give it a few rounds. */
    usleep(500000);
    long long open = metric("kmetrics_connections_open");
    long long holding = metric("kmetrics_connection_input_buffers");
    long long held = metric("kmetrics_connection_input_buffer_bytes");
    long long released = metric("kmetrics_connection_input_buffers_released_total");
    fprintf(stderr,
            "%d connections idle mid-record: %lld open, %lld holding an input buffer (%lld "
            "bytes), %lld empty buffers given back\n",
            CONNS, open, holding, held, released - released0);
    assert_true(open >= CONNS);
    /* The connection reading /metrics is the one allowed to hold a buffer (its request's). */
    assert_true(holding >= 0 && holding <= 1);
    assert_true(held >= 0 && held <= 64 * 1024);
    assert_true(released - released0 >= CONNS);
}

static int setup(void **state)
{
    (void)state;
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return -1;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    return ah_start(&h, "-q");
}

/* Also after a failed check: the aggregator is stopped, the clients closed. */
static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < CONNS; i++) {
        SSL_free(clients[i].ssl);
        if (clients[i].fd > 0) close(clients[i].fd);
    }
    SSL_CTX_free(ctx);
    ah_stop(&h);
    tu_rm_rf(h.dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_connections_keep_no_empty_input_buffer),
    };
    struct rlimit rl;

    /* CONNS sockets here and as many in the aggregator (which inherits this limit). */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4 * CONNS) {
        rl.rlim_cur = rl.rlim_max < 4 * CONNS ? rl.rlim_max : 4 * CONNS;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
