/* Real-node workload for the HPA tests: follows a demand the test sets from outside.
 *   demand FILE
 * Once a second it reads "MILLICORES MIB" from FILE (a hostPath the host writes through the
 * 9p share) and then burns that much of one core (busy for MILLICORES/1000 of every 10 ms)
 * and holds that much anonymous memory, every page written (released pages go back to the
 * kernel at once, so the working set follows the demand down too). A missing or unreadable
 * FILE keeps the last demand. Exits 0 on SIGTERM or SIGINT. Static. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MAX_MIB 1024
#define PERIOD_NS 10000000LL

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void read_demand(const char *path, long *millicores, long *mib)
{
    FILE *f = fopen(path, "r");
    long m, n;

    if (!f) return;
    if (fscanf(f, "%ld %ld", &m, &n) == 2 && m >= 0 && m <= 1000 && n >= 0 && n <= MAX_MIB) {
        *millicores = m;
        *mib = n;
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    const size_t mib_bytes = (size_t)1 << 20;
    long millicores = 0, mib = 0, held = 0;
    int64_t next_read = 0;
    char *mem;

    if (argc != 2) {
        fprintf(stderr, "usage: demand FILE   (FILE holds \"MILLICORES MIB\")\n");
        return 2;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    mem = mmap(NULL, MAX_MIB * mib_bytes, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) {
        perror("demand: mmap");
        return 1;
    }
    while (!stop) {
        int64_t start = now_ns();
        if (start >= next_read) {
            long before_m = millicores, before_n = mib;
            read_demand(argv[1], &millicores, &mib);
            if (millicores != before_m || mib != before_n || next_read == 0)
                printf("demand: %ldm CPU, %ld MiB\n", millicores, mib), fflush(stdout);
            if (mib > held) {
                for (size_t off = (size_t)held * mib_bytes; off < (size_t)mib * mib_bytes;
                     off += 4096)
                    mem[off] = 1;
            } else if (mib < held) {
                madvise(mem + (size_t)mib * mib_bytes, (size_t)(held - mib) * mib_bytes,
                        MADV_DONTNEED);
            }
            held = mib;
            next_read = start + 1000000000LL;
        }
        int64_t busy = PERIOD_NS * millicores / 1000;
        while (now_ns() - start < busy && !stop)
            ;
        int64_t rest = PERIOD_NS - (now_ns() - start);
        if (rest > 0) {
            struct timespec ts = {0, (long)rest};
            nanosleep(&ts, NULL);
        }
    }
    return 0;
}
