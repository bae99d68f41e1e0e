/* Real-node network load for the HPA test on network receive rate: a sender follows rates and
 * destinations the test sets from outside, receivers drain what arrives.
 *   netload send FILE PORT
 *     Once a second reads "BYTES_PER_S IP... [BYTES_PER_S IP...]..." from FILE (a hostPath
 *     the host writes through the 9p share; each rate applies to the IPv4 addresses after it,
 *     at most 16) and sends each IP its rate in bytes a second, in UDP datagrams to PORT,
 *     counted as the receiving interface counts them: each datagram is DATAGRAM_WIRE bytes
 *     there (payload, UDP, IPv4 and Ethernet headers). Each destination is paced on the
 *     sender's clock against the total due since it got its rate, so a late tick is made up
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

struct dest {
    struct in_addr addr;
    long rate;
    int64_t start, sent; /* since when it has this rate; datagrams sent it since */
};

struct demand {
    int n;
    struct dest dest[MAX_DESTS];
};

/* 1 when FILE held a valid demand (into *d, pacing not set), else 0 (*d unchanged). */
static int read_demand(const char *path, struct demand *d)
{
    char line[1024], *save = NULL, *tok, *end;
    struct demand got = {0};
    long rate = -1;
    FILE *f = fopen(path, "r");
    int ok = 0;

    if (!f) return 0;
    if (fgets(line, sizeof(line), f)) {
        ok = 1;
        for (tok = strtok_r(line, " \t\n", &save); ok && tok; tok = strtok_r(NULL, " \t\n", &save))
            if (strchr(tok, '.')) {
                ok = rate >= 0 && got.n < MAX_DESTS &&
                     inet_pton(AF_INET, tok, &got.dest[got.n].addr) == 1;
                got.dest[got.n++].rate = rate;
            } else {
                errno = 0;
                rate = strtol(tok, &end, 10);
                ok = !errno && *end == '\0' && rate >= 0 && rate <= MAX_RATE;
            }
        ok = ok && rate >= 0;
    }
    fclose(f);
    if (ok) *d = got;
    return ok;
}

static int same_demand(const struct demand *a, const struct demand *b)
{
    if (a->n != b->n) return 0;
    for (int i = 0; i < a->n; i++)
        if (a->dest[i].addr.s_addr != b->dest[i].addr.s_addr || a->dest[i].rate != b->dest[i].rate)
            return 0;
    return 1;
}

static void print_demand(const struct demand *d)
{
    char ip[INET_ADDRSTRLEN];

    printf("netload: sending");
    for (int i = 0; i < d->n; i++)
        printf(" %s %ld bytes/s;", inet_ntop(AF_INET, &d->dest[i].addr, ip, sizeof(ip)),
               d->dest[i].rate);
    printf("%s\n", d->n ? "" : " nothing");
    fflush(stdout);
}

/* A destination that keeps its rate keeps its pace; a new one, or a new rate, starts at t. */
static void take_demand(struct demand *d, struct demand *next, int64_t t)
{
    for (int i = 0; i < next->n; i++) {
        struct dest *x = &next->dest[i];
        x->start = t, x->sent = 0;
        for (int j = 0; j < d->n; j++)
            if (d->dest[j].addr.s_addr == x->addr.s_addr && d->dest[j].rate == x->rate)
                x->start = d->dest[j].start, x->sent = d->dest[j].sent;
    }
    *d = *next;
}

static void send_due(int sock, int port, struct dest *x, int64_t t)
{
    static char payload[DATAGRAM_WIRE - HEADERS];
    struct sockaddr_in to = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = x->addr};
    int64_t due = (int64_t)((double)x->rate * (double)(t - x->start) / 1e9 / DATAGRAM_WIRE);
    int64_t most = (int64_t)x->rate * CATCH_UP_S / DATAGRAM_WIRE;

    if (due - x->sent > most) x->sent = due - most;
    /* Losses (a full queue, an address not resolved yet) are the receiver's: the test
     * measures what arrives. */
    for (; x->sent < due && !stop; x->sent++)
        (void)sendto(sock, payload, sizeof(payload), MSG_DONTWAIT, (struct sockaddr *)&to,
                     sizeof(to));
}

static int send_load(const char *path, int port)
{
    struct demand d = {0}, next;
    int64_t next_read = 0;
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (sock < 0) {
        perror("netload: socket");
        return 1;
    }
    print_demand(&d);
    while (!stop) {
        int64_t t = now_ns();
        if (t >= next_read) {
            if (read_demand(path, &next) && !same_demand(&next, &d)) {
                take_demand(&d, &next, t);
                print_demand(&d);
            }
            next_read = t + 1000000000LL;
        }
        for (int i = 0; i < d.n; i++)
            send_due(sock, port, &d.dest[i], t);
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
    fprintf(stderr, "usage: netload send FILE PORT   (FILE holds \"BYTES_PER_S IP... ...\")\n"
                    "       netload sink PORT\n");
    return 2;
}
