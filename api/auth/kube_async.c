#include "kube_async.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http/loop_workers.h"
#include "kube_review.h"

#define QUEUE_MAX 4096
#define MAX_THREADS 8

struct call {
    struct loop_job job; /* first */
    struct kube_async *ka;
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
    struct loop_workers *workers;
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

/* On a worker. */
static void call_run(struct loop_job *job)
{
    struct call *c = (struct call *)job;
    struct kube_async *ka = c->ka;

    __atomic_fetch_add(&ka->calls, 1, __ATOMIC_RELAXED);
    c->rc = kube_client_request(ka->kc, c->method, c->path, NULL, c->body, c->timeout_ms,
                                KUBE_REVIEW_MAX_BODY, &c->resp, c->err, sizeof(c->err));
}

/* On the loop. */
static void call_done(struct loop_job *job)
{
    struct call *c = (struct call *)job;

    c->cb(c->arg, c->rc, c->rc == 0 ? &c->resp : NULL, c->err);
    call_free(c);
}

static void call_drop(struct loop_job *job)
{
    call_free((struct call *)job);
}

struct kube_async *kube_async_start(h2o_loop_t *loop, struct kube_client *kc, int nthreads)
{
    struct kube_async *ka = calloc(1, sizeof(*ka));

    if (!ka) return NULL;
    ka->kc = kc;
    if (nthreads > MAX_THREADS) nthreads = MAX_THREADS;
    if (!(ka->workers = loop_workers_start(loop, nthreads, QUEUE_MAX))) {
        free(ka);
        return NULL;
    }
    return ka;
}

void kube_async_stop(struct kube_async *ka)
{
    if (!ka) return;
    loop_workers_stop(ka->workers); /* calls in flight finish; queued ones are dropped */
    free(ka);
}

int kube_async_call(struct kube_async *ka, const char *method, const char *path, const char *body,
                    long timeout_ms, kube_async_cb cb, void *arg)
{
    struct call *c = calloc(1, sizeof(*c));
    int rc;

    if (!c) return -ENOMEM;
    c->job = (struct loop_job){.run = call_run, .done = call_done, .drop = call_drop};
    c->ka = ka;
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
    if ((rc = loop_workers_submit(ka->workers, &c->job))) call_free(c);
    return rc;
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
