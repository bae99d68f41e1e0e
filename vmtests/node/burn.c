/* VM test load: burns CPU at a fraction of one core and logs its own CPU time.
 *   burn FRACTION LOG_FILE [SECONDS]
 * Busy for FRACTION of every 10 ms period (>= 1: all the time), until SECONDS have passed or
 * a signal ends it. Every 100 ms it appends a line "REALTIME_S CPU_S" (CLOCK_REALTIME and its
 * own CLOCK_PROCESS_CPUTIME_ID, seconds with 9 decimals) to LOG_FILE, so a test knows what it
 * burned over any interval. Static: runs in the VM's busybox initramfs. */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int64_t now_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void log_line(int fd)
{
    char line[96];
    int64_t r = now_ns(CLOCK_REALTIME), c = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    int n = snprintf(line, sizeof(line), "%lld.%09lld %lld.%09lld\n", (long long)(r / 1000000000),
                     (long long)(r % 1000000000), (long long)(c / 1000000000),
                     (long long)(c % 1000000000));
    if (write(fd, line, (size_t)n) != n) _exit(1);
}

int main(int argc, char **argv)
{
    const int64_t period = 10000000, log_every = 100000000;
    int64_t busy, end = INT64_MAX, next_log;
    double fraction;
    int fd;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: burn FRACTION LOG_FILE [SECONDS]\n");
        return 2;
    }
    fraction = atof(argv[1]);
    busy = fraction >= 1 ? period : (int64_t)(fraction * (double)period);
    fd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        perror("burn: log file");
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    if (argc == 4) end = now_ns(CLOCK_MONOTONIC) + (int64_t)(atof(argv[3]) * 1e9);
    log_line(fd);
    next_log = now_ns(CLOCK_MONOTONIC) + log_every;
    while (!stop) {
        int64_t start = now_ns(CLOCK_MONOTONIC), t;
        if (start >= end) break;
        while ((t = now_ns(CLOCK_MONOTONIC)) - start < busy && !stop)
            ;
        if (t >= next_log) {
            log_line(fd);
            next_log += log_every;
        }
        if (busy < period) {
            struct timespec rest = {0, (long)(period - (now_ns(CLOCK_MONOTONIC) - start))};
            if (rest.tv_nsec > 0) nanosleep(&rest, NULL);
        }
    }
    log_line(fd);
    close(fd);
    return 0;
}
