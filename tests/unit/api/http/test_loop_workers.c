/* Unit tests for http/loop_workers.c on a real h2o event loop and real threads: jobs run on
 * the workers, as many at once as there are workers, and come back to the loop thread; a
 * full queue refuses and leaves the job with its caller; stopping lets a running job finish,
 * and drops what is queued and what ran but never reached the loop, with nothing leaked
 * (ASan) and no done after the stop. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "clock.h"
#include "http/loop_workers.h"

static h2o_loop_t *loop; /* h2o 2.2 cannot free a loop: kept reachable for the leak checker */
static pthread_t loop_thread;

static atomic_int running, peak, ran;
static int done_count, dropped;
static bool done_off_loop, run_on_loop;

/* A gate a job can wait at: open or not. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open;
/* run() waits at a closed gate (5 s at most); the job that makes want_together run at once
 * (0: none does) opens it. */
static int want_together;

struct test_job {
    struct loop_job job;
    int id;
};

static void set_gate(bool open)
{
    pthread_mutex_lock(&gate_lock);
    gate_open = open;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
}

static void job_run(struct loop_job *job)
{
    int now = atomic_fetch_add(&running, 1) + 1, p = atomic_load(&peak);
    struct timespec until;

    (void)job;
    while (now > p && !atomic_compare_exchange_weak(&peak, &p, now)) {
    }
    if (pthread_equal(pthread_self(), loop_thread)) run_on_loop = true;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&gate_lock);
    if (want_together && atomic_load(&running) >= want_together) {
        gate_open = true; /* the last to arrive opens it for all */
        pthread_cond_broadcast(&gate_cond);
    }
    while (!gate_open && pthread_cond_timedwait(&gate_cond, &gate_lock, &until) == 0) {
    }
    pthread_mutex_unlock(&gate_lock);
    atomic_fetch_sub(&running, 1);
    atomic_fetch_add(&ran, 1);
}

static void job_done(struct loop_job *job)
{
    if (!pthread_equal(pthread_self(), loop_thread)) done_off_loop = true;
    done_count++;
    free(job);
}

static void job_drop(struct loop_job *job)
{
    dropped++;
    free(job);
}

static struct loop_job *new_job(int id)
{
    struct test_job *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    t->job = (struct loop_job){.run = job_run, .done = job_done, .drop = job_drop};
    t->id = id;
    return &t->job;
}

static void reset(void)
{
    atomic_store(&running, 0);
    atomic_store(&peak, 0);
    atomic_store(&ran, 0);
    done_count = dropped = 0;
    done_off_loop = run_on_loop = false;
    want_together = 0;
    set_gate(true);
}

/* Runs the loop until done_count reaches n, or 5 s pass. */
static void loop_until_done(int n)
{
    int64_t until = clock_mono_ns() + 5000000000ll;
    while (done_count < n && clock_mono_ns() < until)
        h2o_evloop_run(loop, 20);
}

static int setup(void **state)
{
    (void)state;
    if (!loop) loop = h2o_evloop_create();
    loop_thread = pthread_self();
    return 0;
}

/* 200 jobs on 4 workers: every one runs off the loop and comes back on it, and the pool runs
 * 4 at once (each of the first jobs waits until 4 run together). */
static void test_jobs_run_on_workers_and_return_to_loop(void **state)
{
    struct loop_workers *w;

    (void)state;
    reset();
    set_gate(false);
    want_together = 4;
    assert_non_null(w = loop_workers_start(loop, 4, 1000));
    assert_int_equal(loop_workers_threads(w), 4);
    for (int i = 0; i < 200; i++)
        assert_int_equal(loop_workers_submit(w, new_job(i)), 0);
    loop_until_done(200);
    assert_int_equal(done_count, 200);
    assert_int_equal(atomic_load(&peak), 4);
    assert_false(run_on_loop);
    assert_false(done_off_loop);
    loop_workers_stop(w);
    assert_int_equal(dropped, 0);
}

/* One worker held by a job: queue_max jobs wait, the next is refused (-EAGAIN) and stays the
 * caller's; once the worker is free all the queued ones run. */
static void test_full_queue_refuses(void **state)
{
    struct loop_workers *w;
    struct loop_job *extra;

    (void)state;
    reset();
    set_gate(false);
    assert_non_null(w = loop_workers_start(loop, 1, 3));
    assert_int_equal(loop_workers_submit(w, new_job(0)), 0);
    while (atomic_load(&running) == 0) /* taken off the queue */
        h2o_evloop_run(loop, 1);
    for (int i = 1; i <= 3; i++)
        assert_int_equal(loop_workers_submit(w, new_job(i)), 0);
    extra = new_job(4);
    assert_int_equal(loop_workers_submit(w, extra), -EAGAIN);
    free(extra); /* still ours */
    set_gate(true);
    loop_until_done(4);
    assert_int_equal(done_count, 4);
    loop_workers_stop(w);
}

static void *open_later(void *arg)
{
    struct timespec t = {0, 100000000};
    (void)arg;
    nanosleep(&t, NULL);
    set_gate(true);
    return NULL;
}

/* Stopping while a job runs and three wait: the running one finishes, is never handed to the
 * loop (dropped), the waiting ones are dropped unrun; nothing after the stop. */
static void test_stop_drops_what_is_left(void **state)
{
    struct loop_workers *w;

    (void)state;
    pthread_t opener;

    reset();
    set_gate(false);
    assert_non_null(w = loop_workers_start(loop, 1, 10));
    for (int i = 0; i < 4; i++)
        assert_int_equal(loop_workers_submit(w, new_job(i)), 0);
    while (atomic_load(&running) == 0)
        ;
    /* The gate opens 100 ms into the stop: the job finishes while stop waits for it. */
    assert_int_equal(pthread_create(&opener, NULL, open_later, NULL), 0);
    loop_workers_stop(w);
    pthread_join(opener, NULL);
    assert_int_equal(atomic_load(&ran), 1);
    assert_int_equal(dropped, 4);
    assert_int_equal(done_count, 0);
    h2o_evloop_run(loop, 10);
    assert_int_equal(done_count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_jobs_run_on_workers_and_return_to_loop, setup),
        cmocka_unit_test_setup(test_full_queue_refuses, setup),
        cmocka_unit_test_setup(test_stop_drops_what_is_left, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
