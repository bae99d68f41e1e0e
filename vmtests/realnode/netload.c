/* Real-node network load for the HPA test on network receive rate: a sender follows a rate and
 * a list of destinations the test sets from outside, receivers drain what arrives.
 *   netload send FILE PORT
 *     Once a second reads "BYTES_PER_S IP..." from FILE (a hostPath the host writes through
 *     the 9p share; at most 16 IPv4 addresses) and sends each IP BYTES_PER_S bytes a second
 *     in UDP datagrams to PORT, counted as the receiving interface counts them: each datagram
 *     is DATAGRAM_WIRE bytes there (payload, UDP, IPv4 and Ethernet headers). Paced on its own
 *     clock against the total due since the demand last changed, so a late tick is made up
 *     (at most CATCH_UP_S of it: a guest stalled longer does not burst). A missing or
 *     unreadable FILE keeps the last demand; a rate of 0 sends nothing.
 *   netload sink PORT
 *     Binds UDP PORT and reads and drops every datagram, so no port-unreachable answers go
 *     back. Either exits 0 on SIGTERM or SIGINT. Static. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_DESTS 16
#define MAX_RATE 10000000L    /* bytes a second per destination */
#define DATAGRAM_WIRE 1000    /* bytes per datagram at the receiving interface */
#define HEADERS (8 + 20 + 14) /* UDP, IPv4, Ethernet */
#define TICK_NS 10000000LL
#define CATCH_UP_S 2

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* Without SA_RESTART, so that a blocking recv returns at the signal. */
static void handle_signals(void)
{
    struct sigaction sa = {.sa_handler = on_signal};

    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct demand {
    long rate;
    int n;
    struct in_addr dest[MAX_DESTS];
};

/* 1 when FILE held a valid demand (into *d), else 0 (*d unchanged). */
static int read_demand(const char *path, struct demand *d)
{
    char line[1024], *save = NULL, *tok, *end;
    struct demand got = {0};
    FILE *f = fopen(path, "r");
    int ok = 0;

    if (!f) return 0;
    if (fgets(line, sizeof(line), f) && (tok = strtok_r(line, " \t\n", &save))) {
        errno = 0;
        got.rate = strtol(tok, &end, 10);
        ok = !errno && *end == '\0' && got.rate >= 0 && got.rate <= MAX_RATE;
        while (ok && (tok = strtok_r(NULL, " \t\n", &save)))
            ok = got.n < MAX_DESTS && inet_pton(AF_INET, tok, &got.dest[got.n++]) == 1;
    }
    fclose(f);
    if (ok) *d = got;
    return ok;
}

static void print_demand(const struct demand *d)
{
    char ip[INET_ADDRSTRLEN];

    printf("netload: %ld bytes/s to each of", d->rate);
    for (int i = 0; i < d->n; i++)
        printf(" %s", inet_ntop(AF_INET, &d->dest[i], ip, sizeof(ip)));
    printf("%s\n", d->n ? "" : " none");
    fflush(stdout);
}

static int send_load(const char *path, int port)
{
    static char payload[DATAGRAM_WIRE - HEADERS];
    struct demand d = {0}, next;
    int64_t start = now_ns(), next_read = 0, sent = 0; /* datagrams to each since start */
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (sock < 0) {
        perror("netload: socket");
        return 1;
    }
    memset(payload, 'k', sizeof(payload));
    print_demand(&d);
    while (!stop) {
        int64_t t = now_ns();
        if (t >= next_read) {
            next = d;
            if (read_demand(path, &next) &&
                (next.rate != d.rate || next.n != d.n ||
                 memcmp(next.dest, d.dest, sizeof(d.dest[0]) * (size_t)d.n) != 0)) {
                /* A new rate starts its own count; new destinations join the current one. */
                if (next.rate != d.rate) start = t, sent = 0;
                d = next;
                print_demand(&d);
            }
            next_read = t + 1000000000LL;
        }
        int64_t due = (int64_t)((double)d.rate * (double)(t - start) / 1e9 / DATAGRAM_WIRE);
        if (due - sent > (int64_t)d.rate * CATCH_UP_S / DATAGRAM_WIRE)
            sent = due - (int64_t)d.rate * CATCH_UP_S / DATAGRAM_WIRE;
        for (; sent < due && !stop; sent++)
            for (int i = 0; i < d.n; i++) {
                struct sockaddr_in to = {.sin_family = AF_INET,
                                         .sin_port = htons((uint16_t)port),
                                         .sin_addr = d.dest[i]};
                /* Losses (a full queue, an address not resolved yet) are the receiver's: the
                 * test measures what arrives. */
                (void)sendto(sock, payload, sizeof(payload), MSG_DONTWAIT, (struct sockaddr *)&to,
                             sizeof(to));
            }
        struct timespec ts = {0, (long)TICK_NS};
        nanosleep(&ts, NULL);
    }
    close(sock);
    return 0;
}

static int sink(int port)
{
    static char buf[65536];
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (sock < 0 || bind(sock, (struct sockaddr *)&at, sizeof(at)) != 0) {
        perror("netload: sink socket");
        return 1;
    }
    printf("netload: draining UDP port %d\n", port);
    fflush(stdout);
    while (!stop)
        if (recv(sock, buf, sizeof(buf), 0) < 0 && errno != EINTR) {
            perror("netload: recv");
            return 1;
        }
    close(sock);
    return 0;
}

int main(int argc, char **argv)
{
    handle_signals();
    if (argc == 4 && strcmp(argv[1], "send") == 0) return send_load(argv[2], atoi(argv[3]));
    if (argc == 3 && strcmp(argv[1], "sink") == 0) return sink(atoi(argv[2]));
    fprintf(stderr, "usage: netload send FILE PORT   (FILE holds \"BYTES_PER_S IP...\")\n"
                    "       netload sink PORT\n");
    return 2;
}
