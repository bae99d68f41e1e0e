/* A worker pool for the event loop (loop_workers.h). */
#include "loop_workers.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "loop_queue.h"

struct loop_workers {
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t receiver;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct loop_job *head, *tail;
    size_t queued, queue_max;
    bool stopping;
    pthread_t *threads;
    int nthreads;
};

static void *worker(void *arg)
{
    struct loop_workers *w = arg;

    for (;;) {
        struct loop_job *job;

        pthread_mutex_lock(&w->lock);
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->cond, &w->lock);
        if (w->stopping) {
            pthread_mutex_unlock(&w->lock);
            return NULL;
        }
        job = w->head;
        w->head = job->next;
        if (!w->head) w->tail = NULL;
        w->queued--;
        pthread_mutex_unlock(&w->lock);

        job->run(job);
        h2o_multithread_send_message(&w->receiver, &job->super);
    }
}

/* On the loop thread: each finished job's done. */
static void on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    (void)receiver;
    while (!h2o_linklist_is_empty(messages)) {
        struct loop_job *job = H2O_STRUCT_FROM_MEMBER(struct loop_job, super.link, messages->next);
        h2o_linklist_unlink(&job->super.link);
        job->done(job);
    }
}

static void drop_message(h2o_multithread_message_t *m)
{
    struct loop_job *job = H2O_STRUCT_FROM_MEMBER(struct loop_job, super, m);
    job->drop(job);
}

struct loop_workers *loop_workers_start(h2o_loop_t *loop, int nthreads, size_t queue_max)
{
    struct loop_workers *w = calloc(1, sizeof(*w));

    if (nthreads < 1) nthreads = 1;
    if (!w || !(w->threads = calloc((size_t)nthreads, sizeof(*w->threads)))) {
        free(w);
        return NULL;
    }
    w->queue_max = queue_max;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->queue = h2o_multithread_create_queue(loop);
    h2o_multithread_register_receiver(w->queue, &w->receiver, on_messages);
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&w->threads[i], NULL, worker, w) != 0) break;
        w->nthreads++;
    }
    if (!w->nthreads) {
        loop_workers_stop(w);
        return NULL;
    }
    return w;
}

int loop_workers_submit(struct loop_workers *w, struct loop_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&w->lock);
    if (w->queued >= w->queue_max || w->stopping) {
        pthread_mutex_unlock(&w->lock);
        return -EAGAIN;
    }
    if (w->tail)
        w->tail->next = job;
    else
        w->head = job;
    w->tail = job;
    w->queued++;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

void loop_workers_stop(struct loop_workers *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    for (int i = 0; i < w->nthreads; i++)
        pthread_join(w->threads[i], NULL);
    while (w->head) {
        struct loop_job *job = w->head;
        w->head = job->next;
        job->drop(job);
    }
    /* Run, but never handed to the loop: dropped without their done. */
    loop_queue_close(w->queue, &w->receiver, drop_message);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w->threads);
    free(w);
}

int loop_workers_threads(const struct loop_workers *w)
{
    return w->nthreads;
}
