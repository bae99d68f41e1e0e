#include "stop_flag.h"

#include <errno.h>
#include <time.h>

#include "clock.h"

void stop_flag_init(struct stop_flag *f)
{
    pthread_condattr_t ca;

    f->raised = false;
    pthread_mutex_init(&f->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&f->cv, &ca);
    pthread_condattr_destroy(&ca);
}

void stop_flag_done(struct stop_flag *f)
{
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
}

void stop_flag_raise(struct stop_flag *f)
{
    pthread_mutex_lock(&f->mu);
    __atomic_store_n(&f->raised, true, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

bool stop_flag_raised(const struct stop_flag *f)
{
    return __atomic_load_n(&f->raised, __ATOMIC_ACQUIRE);
}

bool stop_flag_sleep(struct stop_flag *f, int64_t ns)
{
    int64_t end = clock_mono_ns() + (ns > 0 ? ns : 0);
    struct timespec dl = {.tv_sec = end / NS_PER_SEC, .tv_nsec = end % NS_PER_SEC};

    pthread_mutex_lock(&f->mu);
    while (!stop_flag_raised(f) && pthread_cond_timedwait(&f->cv, &f->mu, &dl) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&f->mu);
    return !stop_flag_raised(f);
}
