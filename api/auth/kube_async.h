/* Kubernetes API calls for the event loop. The loop must never block, and the API calls
 * behind authentication and authorization (TokenReview, SubjectAccessReview, a pod lookup)
 * do: a few worker threads (http/loop_workers.h) make them with kube_client.c, and each
 * answer travels back to the loop, where the caller's callback runs. */
#ifndef KMETRICS_KUBE_ASYNC_H
#define KMETRICS_KUBE_ASYNC_H

#include <h2o.h>

#include "kube/kube_client.h"

struct kube_async;

/* Runs on the loop thread. rc 0: resp holds the answer (any HTTP status); else a negative
 * errno with err. resp is freed after the callback returns. */
typedef void (*kube_async_cb)(void *arg, int rc, const struct kube_response *resp, const char *err);

/* Whoever makes API calls for the event loop: these workers in the aggregator, a fake in the
 * auth gate's unit test. call has kube_async_call's contract; cb runs later, on the loop. */
struct api_caller {
    int (*call)(void *ctx, const char *method, const char *path, const char *body, long timeout_ms,
                kube_async_cb cb, void *arg);
    void *ctx;
};

/* Starts nthreads workers (kc is borrowed and must outlive them); NULL when out of memory. */
struct kube_async *kube_async_start(h2o_loop_t *loop, struct kube_client *kc, int nthreads);
/* Stops and joins the workers (calls in flight finish; their callbacks do not run), frees
 * the pool; NULL is fine. */
void kube_async_stop(struct kube_async *ka);

/* Queues a call. path and body (may be NULL) are copied. 0, or -ENOMEM / -EAGAIN when the
 * queue is full (the caller answers 503/denies: nothing is allowed for lack of an answer). */
int kube_async_call(struct kube_async *ka, const char *method, const char *path, const char *body,
                    long timeout_ms, kube_async_cb cb, void *arg);

/* The workers as an api_caller. */
struct api_caller kube_async_caller(struct kube_async *ka);

/* Calls made so far (sent to the API server). */
uint64_t kube_async_calls(const struct kube_async *ka);

#endif
