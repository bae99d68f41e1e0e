#include "kube_async.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <h2o/multithread.h>

#include "http/loop_queue.h"
#include "kube_review.h"

#define QUEUE_MAX 4096
#define MAX_THREADS 8

struct call {
    h2o_multithread_message_t super; /* first: the message hands the call back */
    struct call *next;               /* work queue */
    char *method, *path, *body;
    long timeout_ms;
    kube_async_cb cb;
    void *arg;
    int rc;
    struct kube_response resp;
    char err[256];
};

struct kube_async {
    struct kube_client *kc;
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t receiver;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct call *head, *tail;
    size_t queued;
    bool stopping;
    pthread_t threads[MAX_THREADS];
    int nthreads;
    uint64_t calls;
};

static void call_free(struct call *c)
{
    free(c->method);
    free(c->path);
    free(c->body);
    kube_response_done(&c->resp);
    free(c);
}

static void drop_call(h2o_multithread_message_t *m)
{
    call_free(H2O_STRUCT_FROM_MEMBER(struct call, super, m));
}

static void *worker(void *arg)
{
    struct kube_async *ka = arg;

    for (;;) {
        struct call *c;

        pthread_mutex_lock(&ka->lock);
        while (!ka->head && !ka->stopping)
            pthread_cond_wait(&ka->cond, &ka->lock);
        if (ka->stopping) {
            pthread_mutex_unlock(&ka->lock);
            return NULL;
        }
        c = ka->head;
        ka->head = c->next;
        if (!ka->head) ka->tail = NULL;
        ka->queued--;
        __atomic_fetch_add(&ka->calls, 1, __ATOMIC_RELAXED);
        pthread_mutex_unlock(&ka->lock);

        c->rc = kube_client_request(ka->kc, c->method, c->path, NULL, c->body, c->timeout_ms,
                                    KUBE_REVIEW_MAX_BODY, &c->resp, c->err, sizeof(c->err));
        h2o_multithread_send_message(&ka->receiver, &c->super);
    }
}

/* On the loop thread: run each finished call's callback. */
static void on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    (void)receiver;
    while (!h2o_linklist_is_empty(messages)) {
        struct call *c = H2O_STRUCT_FROM_MEMBER(struct call, super.link, messages->next);
        h2o_linklist_unlink(&c->super.link);
        c->cb(c->arg, c->rc, c->rc == 0 ? &c->resp : NULL, c->err);
        call_free(c);
    }
}

struct kube_async *kube_async_start(h2o_loop_t *loop, struct kube_client *kc, int nthreads)
{
    struct kube_async *ka = calloc(1, sizeof(*ka));

    if (!ka) return NULL;
    ka->kc = kc;
    pthread_mutex_init(&ka->lock, NULL);
    pthread_cond_init(&ka->cond, NULL);
    ka->queue = h2o_multithread_create_queue(loop);
    h2o_multithread_register_receiver(ka->queue, &ka->receiver, on_messages);
    if (nthreads < 1) nthreads = 1;
    if (nthreads > MAX_THREADS) nthreads = MAX_THREADS;
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&ka->threads[i], NULL, worker, ka) != 0) break;
        ka->nthreads++;
    }
    if (ka->nthreads == 0) {
        kube_async_stop(ka);
        return NULL;
    }
    return ka;
}

void kube_async_stop(struct kube_async *ka)
{
    if (!ka) return;
    pthread_mutex_lock(&ka->lock);
    ka->stopping = true;
    pthread_cond_broadcast(&ka->cond);
    pthread_mutex_unlock(&ka->lock);
    for (int i = 0; i < ka->nthreads; i++)
        pthread_join(ka->threads[i], NULL);
    while (ka->head) {
        struct call *c = ka->head;
        ka->head = c->next;
        call_free(c);
    }
    /* Answers that arrived but were never dispatched: freed without their callbacks. */
    loop_queue_close(ka->queue, &ka->receiver, drop_call);
    pthread_cond_destroy(&ka->cond);
    pthread_mutex_destroy(&ka->lock);
    free(ka);
}

int kube_async_call(struct kube_async *ka, const char *method, const char *path, const char *body,
                    long timeout_ms, kube_async_cb cb, void *arg)
{
    struct call *c = calloc(1, sizeof(*c));

    if (!c) return -ENOMEM;
    c->method = strdup(method);
    c->path = strdup(path);
    c->body = body ? strdup(body) : NULL;
    c->timeout_ms = timeout_ms;
    c->cb = cb;
    c->arg = arg;
    if (!c->method || !c->path || (body && !c->body)) {
        call_free(c);
        return -ENOMEM;
    }
    pthread_mutex_lock(&ka->lock);
    if (ka->queued >= QUEUE_MAX) {
        pthread_mutex_unlock(&ka->lock);
        call_free(c);
        return -EAGAIN;
    }
    if (ka->tail)
        ka->tail->next = c;
    else
        ka->head = c;
    ka->tail = c;
    ka->queued++;
    pthread_cond_signal(&ka->cond);
    pthread_mutex_unlock(&ka->lock);
    return 0;
}

uint64_t kube_async_calls(const struct kube_async *ka)
{
    return __atomic_load_n(&ka->calls, __ATOMIC_RELAXED);
}

static int caller_call(void *ctx, const char *method, const char *path, const char *body,
                       long timeout_ms, kube_async_cb cb, void *arg)
{
    return kube_async_call(ctx, method, path, body, timeout_ms, cb, arg);
}

struct api_caller kube_async_caller(struct kube_async *ka)
{
    return (struct api_caller){.call = caller_call, .ctx = ka};
}
