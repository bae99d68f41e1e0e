/* A stop request for a worker thread: raised once, from any thread. The worker checks it
 * between steps, hands &flag->raised to calls that poll it (kube_client.c), and sleeps on it:
 * a sleep ends at once when the flag is raised, so stopping never waits out a backoff. */
#ifndef KMETRICS_STOP_FLAG_H
#define KMETRICS_STOP_FLAG_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct stop_flag {
    volatile bool raised;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

void stop_flag_init(struct stop_flag *f);
void stop_flag_done(struct stop_flag *f);
void stop_flag_raise(struct stop_flag *f);
bool stop_flag_raised(const struct stop_flag *f);
/* Sleeps ns (monotonic) unless the flag is raised first. Returns false when raised. */
bool stop_flag_sleep(struct stop_flag *f, int64_t ns);

#endif
