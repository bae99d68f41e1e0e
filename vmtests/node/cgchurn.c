/* VM test load: creates and removes container cgroups at a steady rate.
 *   cgchurn PARENT_DIR PER_MINUTE SECONDS
 * Under PARENT_DIR (e.g. kubepods/besteffort) makes pod<uid>/<64 hex> pairs: every
 * 60/PER_MINUTE seconds one cgroup is created (a pod, then its container, alternately) and
 * each pair is removed about one second after it was made. Prints "created N removed N
 * failed N" at the end; exits 1 if anything failed. Static. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LIVE 64 /* pairs in flight: about one second's worth at up to ~3,800/min */

struct pair {
    char pod[512], ctr[640];
    int64_t made_ns;
    int used;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void tally(int rc, unsigned long *done, unsigned long *failed)
{
    if (rc == 0)
        (*done)++;
    else
        (*failed)++;
}

static void sleep_until(int64_t t)
{
    int64_t d = t - now_ns();
    if (d > 0) {
        struct timespec ts = {(time_t)(d / 1000000000), (long)(d % 1000000000)};
        nanosleep(&ts, NULL);
    }
}

int main(int argc, char **argv)
{
    static struct pair live[LIVE];
    unsigned long created = 0, removed = 0, failed = 0, seq = 0;
    int64_t step, start, end, next;
    int slot = 0;

    if (argc != 4) {
        fprintf(stderr, "usage: cgchurn PARENT_DIR PER_MINUTE SECONDS\n");
        return 2;
    }
    step = (int64_t)(60e9 / atof(argv[2]));
    start = now_ns();
    end = start + (int64_t)(atof(argv[3]) * 1e9);
    next = start;
    while (now_ns() < end) {
        struct pair *p = &live[slot];
        /* Retire the pairs older than a second (and the one this slot held). */
        for (int i = 0; i < LIVE; i++) {
            struct pair *q = &live[i];
            if (q->used && (q == p || now_ns() - q->made_ns >= 1000000000)) {
                tally(rmdir(q->ctr), &removed, &failed);
                tally(rmdir(q->pod), &removed, &failed);
                q->used = 0;
            }
        }
        seq++;
        snprintf(p->pod, sizeof(p->pod), "%s/podc4a0c000-0000-4000-8000-%012lx", argv[1], seq);
        snprintf(p->ctr, sizeof(p->ctr), "%s/%016lx%048x", p->pod, seq, 0xc4a);
        sleep_until(next);
        next += step;
        tally(mkdir(p->pod, 0755), &created, &failed);
        sleep_until(next);
        next += step;
        tally(mkdir(p->ctr, 0755), &created, &failed);
        p->made_ns = now_ns();
        p->used = 1;
        slot = (slot + 1) % LIVE;
    }
    for (int i = 0; i < LIVE; i++) {
        if (!live[i].used) continue;
        tally(rmdir(live[i].ctr), &removed, &failed);
        tally(rmdir(live[i].pod), &removed, &failed);
    }
    printf("created %lu removed %lu failed %lu\n", created, removed, failed);
    return failed ? 1 : 0;
}
