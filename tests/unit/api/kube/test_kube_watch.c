/* The reflector against a scripted API server on loopback (plain HTTP), for what a real
 * kube-apiserver will not do on demand: refuse partial metadata v1 (406), expire a continue
 * token mid-list, send a line that is not JSON, a bookmark, an ERROR 410 inside a watch, a
 * 500 on every list (backoff), and hang (prompt stop during a backoff sleep). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kube/kube_watch.h"
#include "log.h"
#include "lib/test_util.h"

/* --- a scripted server ---------------------------------------------------------------------- */

#define MAX_REQ 64

struct fake {
    int lfd, port;
    pthread_t thread;
    volatile bool stop;
    /* what was asked, in order */
    pthread_mutex_t mu;
    char paths[MAX_REQ][512];
    char accepts[MAX_REQ][128];
    double times[MAX_REQ];
    int n;
    /* the script: writes the whole answer to fd for request number nth */
    void (*answer)(int fd, const char *path, const char *accept, int nth);
};

static struct fake fk;

static void put(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

static void reply(int fd, int status, const char *body)
{
    char head[256];
    snprintf(head, sizeof(head),
             "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
             "Connection: close\r\n\r\n",
             status, strlen(body));
    put(fd, head);
    put(fd, body);
}

/* Starts a streamed 200 (no length: the body ends when the connection does). */
static void stream_head(int fd)
{
    put(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n");
}

/* Keeps the connection open until the client goes or the server stops. */
static void hold(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char b[256];
    while (!fk.stop) {
        if (poll(&p, 1, 50) > 0 && recv(fd, b, sizeof(b), 0) <= 0) return;
    }
}

static void *serve(void *arg)
{
    (void)arg;
    while (!fk.stop) {
        struct pollfd p = {.fd = fk.lfd, .events = POLLIN};
        char req[4096], path[512] = "", acc[128] = "";
        size_t len = 0;
        int fd, nth;

        if (poll(&p, 1, 50) <= 0) continue;
        if ((fd = accept(fk.lfd, NULL, NULL)) < 0) continue;
        while (len + 1 < sizeof(req) && !memmem(req, len, "\r\n\r\n", 4)) {
            ssize_t r = recv(fd, req + len, sizeof(req) - 1 - len, 0);
            if (r <= 0) break;
            len += (size_t)r;
        }
        req[len] = '\0';
        sscanf(req, "GET %511s", path);
        const char *a = strcasestr(req, "\r\nAccept: ");
        if (a) sscanf(a + 10, "%127[^\r]", acc);
        pthread_mutex_lock(&fk.mu);
        nth = fk.n;
        if (fk.n < MAX_REQ) {
            snprintf(fk.paths[fk.n], sizeof(fk.paths[0]), "%s", path);
            snprintf(fk.accepts[fk.n], sizeof(fk.accepts[0]), "%s", acc);
            fk.times[fk.n] = tu_mono_s();
            fk.n++;
        }
        pthread_mutex_unlock(&fk.mu);
        fk.answer(fd, path, acc, nth);
        close(fd);
    }
    return NULL;
}

static struct kube_client *fake_start(void (*answer)(int, const char *, const char *, int))
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    struct kube_config cfg = {0};
    char url[64], err[256];

    memset(&fk, 0, sizeof(fk));
    pthread_mutex_init(&fk.mu, NULL);
    fk.answer = answer;
    fk.lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(bind(fk.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fk.lfd, 8), 0);
    getsockname(fk.lfd, (struct sockaddr *)&a, &al);
    fk.port = ntohs(a.sin_port);
    pthread_create(&fk.thread, NULL, serve, NULL);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", fk.port);
    cfg.server = url;
    struct kube_client *kc = kube_client_new(&cfg, err, sizeof(err));
    assert_non_null(kc);
    return kc;
}

static void fake_stop(struct kube_client *kc)
{
    fk.stop = true;
    pthread_join(fk.thread, NULL);
    close(fk.lfd);
    pthread_mutex_destroy(&fk.mu);
    kube_client_free(kc);
}

static int requests(void)
{
    pthread_mutex_lock(&fk.mu);
    int n = fk.n;
    pthread_mutex_unlock(&fk.mu);
    return n;
}

static bool wait_requests(int n, double secs)
{
    double end = tu_mono_s() + secs;
    while (requests() < n && tu_mono_s() < end)
        usleep(10000);
    return requests() >= n;
}

/* --- what the reflector reports ------------------------------------------------------------- */

static struct {
    pthread_mutex_t mu;
    int begins, ends, objects, deleted;
    char last_name[64];
    bool connected;
    char why[512];
} seen = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void s_begin(void *a)
{
    (void)a;
    pthread_mutex_lock(&seen.mu);
    seen.begins++;
    pthread_mutex_unlock(&seen.mu);
}

static void s_object(void *a, enum kube_watch_event ev, const struct kube_object_meta *m)
{
    (void)a;
    pthread_mutex_lock(&seen.mu);
    seen.objects++;
    seen.deleted += ev == KUBE_WATCH_DELETED;
    snprintf(seen.last_name, sizeof(seen.last_name), "%s", m->name);
    pthread_mutex_unlock(&seen.mu);
}

static void s_end(void *a)
{
    (void)a;
    pthread_mutex_lock(&seen.mu);
    seen.ends++;
    pthread_mutex_unlock(&seen.mu);
}

static void s_state(void *a, bool c, const char *why)
{
    (void)a;
    pthread_mutex_lock(&seen.mu);
    seen.connected = c;
    snprintf(seen.why, sizeof(seen.why), "%s", why);
    pthread_mutex_unlock(&seen.mu);
}

static const struct kube_watch_callbacks cbs = {s_begin, s_object, s_end, s_state};

static struct kube_watch *start(struct kube_client *kc, long backoff_initial, long backoff_max)
{
    struct kube_watch_options o = {
        .page_size = 2, .backoff_initial_ms = backoff_initial, .backoff_max_ms = backoff_max};
    char err[256];

    pthread_mutex_lock(&seen.mu);
    seen.begins = seen.ends = seen.objects = seen.deleted = 0;
    seen.connected = false;
    seen.why[0] = seen.last_name[0] = '\0';
    pthread_mutex_unlock(&seen.mu);
    struct kube_watch *w =
        kube_watch_start_opts(kc, "/api/v1/pods", &cbs, NULL, &o, err, sizeof(err));
    assert_non_null(w);
    return w;
}

#define ITEM(name) "{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"ns\"}}"
#define EVENT(type, name, rv)                                                                      \
    "{\"type\":\"" type "\",\"object\":{\"metadata\":{\"name\":\"" name                            \
    "\",\"namespace\":\"ns\",\"resourceVersion\":\"" rv "\"}}}\n"

/* --- 406: meta.k8s.io/v1 refused, v1beta1 used ----------------------------------------------- */

static void answer_406(int fd, const char *path, const char *accept, int nth)
{
    (void)nth;
    if (strstr(accept, "v=v1;")) {
        reply(fd, 406, "{\"kind\":\"Status\",\"code\":406}");
    } else if (!strstr(path, "watch=1")) {
        reply(fd, 200, "{\"metadata\":{\"resourceVersion\":\"10\"},\"items\":[" ITEM("a") "]}");
    } else {
        stream_head(fd);
        hold(fd);
    }
}

static void test_406_falls_back_to_v1beta1(void **state)
{
    struct kube_client *kc = fake_start(answer_406);
    struct kube_watch *w;

    (void)state;
    w = start(kc, 50, 100);
    assert_true(wait_requests(3, 5));
    kube_watch_stop(w);
    assert_non_null(strstr(fk.accepts[0], "as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"));
    assert_non_null(strstr(fk.accepts[1], "as=PartialObjectMetadataList;v=v1beta1;"));
    assert_non_null(strstr(fk.accepts[2], "as=PartialObjectMetadata;v=v1beta1;"));
    assert_non_null(strstr(fk.paths[2], "resourceVersion=10"));
    assert_int_equal(seen.ends, 1);
    assert_string_equal(seen.last_name, "a");
    assert_true(seen.connected);
    fake_stop(kc);
}

/* --- pages, an expired continue token, bad lines, bookmarks, ERROR 410 ----------------------- */

static void answer_story(int fd, const char *path, const char *accept, int nth)
{
    (void)accept;
    switch (nth) {
    case 0: /* page 1 */
        assert_non_null(strstr(path, "limit=2"));
        reply(fd, 200,
              "{\"metadata\":{\"resourceVersion\":\"20\",\"continue\":\"c+1/=\"},"
              "\"items\":[" ITEM("a") "," ITEM("b") "]}");
        break;
    case 1: /* page 2: the token expired */
        reply(fd, 410, "{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}");
        break;
    case 2: /* the list again */
        reply(fd, 200,
              "{\"metadata\":{\"resourceVersion\":\"21\",\"continue\":\"c2\"},"
              "\"items\":[" ITEM("a") "," ITEM("b") "]}");
        break;
    case 3:
        reply(fd, 200, "{\"metadata\":{\"resourceVersion\":\"21\"},\"items\":[" ITEM("c") ",7]}");
        break;
    case 4: /* a watch: an event, junk, a bookmark, then the server hangs up */
        stream_head(fd);
        put(fd, EVENT("ADDED", "d", "22"));
        put(fd, "this is not json\n");
        put(fd, "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"50\"}}}\n");
        usleep(1100 * 1000); /* long enough not to count as a failure */
        break;
    case 5: /* resumed from the bookmark; then the RV is too old */
        stream_head(fd);
        put(fd, "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":"
                "\"Expired\",\"message\":\"too old resource version\"}}\n");
        hold(fd);
        break;
    case 6: /* a fresh list */
        reply(fd, 200, "{\"metadata\":{\"resourceVersion\":\"60\"},\"items\":[" ITEM("e") "]}");
        break;
    default:
        stream_head(fd);
        put(fd, EVENT("DELETED", "e", "61"));
        hold(fd);
        break;
    }
}

static void test_list_watch_story(void **state)
{
    struct kube_client *kc = fake_start(answer_story);
    struct kube_watch_stats st;
    struct kube_watch *w;

    (void)state;
    w = start(kc, 50, 100);
    assert_true(wait_requests(8, 10));
    for (int i = 0; i < 100 && seen.deleted == 0; i++)
        usleep(10000);
    kube_watch_get_stats(w, &st);
    kube_watch_stop(w);

    assert_non_null(strstr(fk.paths[1], "continue=c%2B1%2F%3D")); /* encoded */
    assert_null(strstr(fk.paths[2], "continue="));                /* started over */
    assert_non_null(strstr(fk.paths[3], "continue=c2"));
    assert_non_null(strstr(fk.paths[4], "watch=1"));
    assert_non_null(strstr(fk.paths[4], "allowWatchBookmarks=true"));
    assert_non_null(strstr(fk.paths[4], "resourceVersion=21"));
    assert_non_null(strstr(fk.paths[4], "timeoutSeconds="));
    assert_non_null(strstr(fk.paths[5], "resourceVersion=50")); /* the bookmark's */
    assert_null(strstr(fk.paths[6], "watch=1"));                /* relisted after 410 */
    assert_non_null(strstr(fk.paths[7], "resourceVersion=60"));
    /* a, b (first page, reported twice), c; d; e; e deleted. The 7 item and the junk line
     * are skipped. */
    assert_int_equal(seen.objects, 2 + 2 + 1 + 1 + 1 + 1);
    assert_int_equal(seen.deleted, 1);
    assert_int_equal(seen.begins, 2);
    assert_int_equal(seen.ends, 2);
    assert_int_equal(st.lists, 2);
    assert_int_equal(st.bad_events, 2);
    assert_int_equal(st.expired, 2); /* the continue token, the watch */
    assert_int_equal(st.failures, 0);
    fake_stop(kc);
}

/* --- failures back off; stop is prompt even in a long sleep ----------------------------------- */

static void answer_500(int fd, const char *path, const char *accept, int nth)
{
    (void)path;
    (void)accept;
    (void)nth;
    reply(fd, 500, "{\"kind\":\"Status\",\"code\":500,\"message\":\"etcd is sad\"}");
}

static void test_backoff_and_prompt_stop(void **state)
{
    struct kube_client *kc = fake_start(answer_500);
    struct kube_watch *w;
    double gaps[4];

    (void)state;
    w = start(kc, 100, 800);
    assert_true(wait_requests(5, 10));
    for (int i = 0; i < 4; i++)
        gaps[i] = fk.times[i + 1] - fk.times[i];
    /* 100, 200, 400, 800 ms, each with half of it random: [b/2, b]. */
    for (int i = 0; i < 4; i++) {
        double b = 0.1 * (1 << i);
        if (gaps[i] < b / 2 - 0.02 || gaps[i] > b + 0.4) /* slack for a busy machine */
            fail_msg("gap %d: %.3f s, backoff %.1f s", i, gaps[i], b);
    }
    pthread_mutex_lock(&seen.mu);
    assert_false(seen.connected);
    assert_non_null(strstr(seen.why, "HTTP 500: etcd is sad"));
    pthread_mutex_unlock(&seen.mu);
    kube_watch_stop(w);

    /* A 30 s backoff sleep ends at once when stopped. */
    w = start(kc, 30000, 30000);
    int before = requests();
    assert_true(wait_requests(before + 1, 5));
    usleep(100000);
    double t0 = tu_mono_s();
    kube_watch_stop(w);
    assert_true(tu_mono_s() - t0 < 0.3);
    fake_stop(kc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_406_falls_back_to_v1beta1),
        cmocka_unit_test(test_list_watch_story),
        cmocka_unit_test(test_backoff_and_prompt_stop),
    };
    log_set_level(LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
