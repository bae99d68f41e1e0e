/* VM test load: holds anonymous memory, optionally under page-cache pressure.
 *   hold MIB READY_FILE [STREAM_FILE OFFSET_MIB LENGTH_MIB]
 * Maps MIB MiB of private anonymous memory, writes every page (so each is a real page, not
 * the shared zero page), creates READY_FILE, then waits for a signal. With STREAM_FILE it
 * instead reads LENGTH_MIB from OFFSET_MIB of that file (e.g. a block device) over and over,
 * at about 5 MiB/s (a pause after each MiB, so it does not take a whole CPU), and the cgroup
 * keeps filling with page cache that the kernel must reclaim (memory pressure under
 * memory.max). A process the OOM killer ends while it touches its pages never creates
 * READY_FILE. Static. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    static char buf[1 << 20];
    size_t len;
    char *mem;
    int fd;

    if (argc != 3 && argc != 6) {
        fprintf(stderr, "usage: hold MIB READY_FILE [STREAM_FILE OFFSET_MIB LENGTH_MIB]\n");
        return 2;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    len = (size_t)atol(argv[1]) << 20;
    mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        perror("hold: mmap");
        return 1;
    }
    for (size_t off = 0; off < len; off += 4096)
        mem[off] = (char)(off >> 12 | 1);
    fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        perror("hold: ready file");
        return 1;
    }
    close(fd);
    if (argc == 3) {
        while (!stop)
            pause();
        return 0;
    }
    int in = open(argv[3], O_RDONLY | O_CLOEXEC);
    off_t first = (off_t)atol(argv[4]) << 20, last = first + ((off_t)atol(argv[5]) << 20);
    if (in < 0) {
        perror("hold: stream file");
        return 1;
    }
    while (!stop) {
        for (off_t off = first; !stop && off < last; off += (off_t)sizeof(buf)) {
            struct timespec pause_200ms = {0, 200000000};
            if (pread(in, buf, sizeof(buf), off) <= 0) break;
            nanosleep(&pause_200ms, NULL);
        }
    }
    close(in);
    return 0;
}
