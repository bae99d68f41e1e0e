/* Test load: joins a cgroup, burns CPU at a duty cycle for a while, and logs its own CPU time
 * against wall-clock time so a test knows exactly what it burned in any interval.
 *   burner CGROUP_DIR DUTY_PERCENT SECONDS LOG_FILE
 * The log is binary: pairs of int64 (CLOCK_REALTIME ns, CLOCK_PROCESS_CPUTIME_ID ns), one
 * every ~5 ms. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    char procs[4096];
    int64_t end, period = 10000000; /* 10 ms duty-cycle period */
    int logfd, duty;
    FILE *f;

    if (argc != 5) {
        fprintf(stderr, "usage: burner CGROUP_DIR DUTY_PERCENT SECONDS LOG_FILE\n");
        return 2;
    }
    snprintf(procs, sizeof(procs), "%s/cgroup.procs", argv[1]);
    f = fopen(procs, "w");
    if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0) {
        fprintf(stderr, "burner: joining %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    duty = atoi(argv[2]);
    end = now_ns(CLOCK_MONOTONIC) + (int64_t)(atof(argv[3]) * 1e9);
    logfd = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (logfd < 0) return 1;
    while (now_ns(CLOCK_MONOTONIC) < end) {
        int64_t start = now_ns(CLOCK_MONOTONIC);
        int64_t rec[2];
        struct timespec rest;

        while (now_ns(CLOCK_MONOTONIC) - start < period * duty / 100)
            ;
        rec[0] = now_ns(CLOCK_REALTIME);
        rec[1] = now_ns(CLOCK_PROCESS_CPUTIME_ID);
        if (write(logfd, rec, sizeof(rec)) != sizeof(rec)) return 1;
        if (duty < 100) {
            rest.tv_sec = 0;
            rest.tv_nsec = period - (now_ns(CLOCK_MONOTONIC) - start);
            if (rest.tv_nsec > 0) nanosleep(&rest, NULL);
        }
    }
    close(logfd);
    return 0;
}
