/* Blocking work for the event loop: a fixed pool of worker threads takes jobs from a bounded
 * queue, runs each (blocking calls allowed there) and hands it back to the loop as an h2o
 * multithread message, where its done callback runs. The loop never blocks; a full queue is
 * the caller's to answer. Used by auth/kube_async.c (API calls behind authentication) and
 * kubelet/kubelet_scraper.c (kubelet scrapes).
 *
 * Ownership: a submitted job belongs to the pool until done (or, when the pool stops first,
 * drop) is called with it; either must free it. */
#ifndef KMETRICS_LOOP_WORKERS_H
#define KMETRICS_LOOP_WORKERS_H

#include <stddef.h>
#include <stdint.h>

#include <h2o.h>
#include <h2o/multithread.h>

struct loop_job {
    h2o_multithread_message_t super;    /* first (private): the message that hands it back */
    struct loop_job *next;              /* private: the queue */
    void (*run)(struct loop_job *job);  /* on a worker thread */
    void (*done)(struct loop_job *job); /* then on the loop thread; frees the job */
    void (*drop)(struct loop_job *job); /* instead of done when the pool stops first; frees */
};

struct loop_workers;

/* nthreads workers (at least one must start) and a queue of at most queue_max jobs waiting;
 * NULL when nothing could be started. */
struct loop_workers *loop_workers_start(h2o_loop_t *loop, int nthreads, size_t queue_max);
/* Queues job (run, done and drop set). 0, or -EAGAIN when the queue is full: the job is then
 * still the caller's. */
int loop_workers_submit(struct loop_workers *w, struct loop_job *job);
/* Stops the workers and joins them (a job running finishes first: one that may block long
 * must watch a stop flag of its own, set before this), then drops the jobs still queued and
 * those run but not yet handed to the loop. NULL is fine. */
void loop_workers_stop(struct loop_workers *w);
/* Threads running. */
int loop_workers_threads(const struct loop_workers *w);

#endif
