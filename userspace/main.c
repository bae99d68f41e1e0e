/* kmetrics-collector: command line, and the daemon's event loop (a tick timer, signals and
 * BPF lifecycle events on one epoll). Measurement lives in collector.c, shipping to the
 * aggregator in shipper.c (its own thread). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "duration.h"
#include "log.h"
#include "token_file.h"

#include "collector.h"
#include "footprint.h"
#include "ship/ship_snapshot.h"
#include "ship/shipper.h"
#include "snapshot_json.h"

#define KMETRICS_VERSION "0.1.0"
#define MAX_RUNTIME_DIRS 16
/* What the start needed (BPF load, first walk, first shipment) is given back once it is over,
 * this long in and a few ticks on; then, every minute, what the last one did not need (a
 * reconnection's TLS handshake faults in ~3 MiB of code). Each time costs the next tick a few
 * dozen page faults, the code it runs coming back from the page cache. */
#define STARTUP_NS (5 * NS_PER_SEC)
#define STARTUP_TICKS 3
#define RELEASE_EVERY_NS (60 * NS_PER_SEC)

enum output_format { OUTPUT_NONE, OUTPUT_JSON, OUTPUT_TEXT };

struct options {
    struct collector_config cfg;
    const char *runtime_dirs[MAX_RUNTIME_DIRS];
    char *runtime_dirs_buf;
    int64_t window_ns;
    enum output_format format;
    int pretty;
    int once;

    /* Shipping to the aggregator (off without --aggregator). */
    const char *aggregators[SHIPPER_MAX_URLS];
    size_t naggregators;
    char *aggregators_buf[SHIPPER_MAX_URLS]; /* one strdup per --aggregator flag */
    size_t naggregators_bufs;
    int64_t ship_interval_ns;
    int64_t ship_coalesce_ns; /* shortest gap between changes-only shipments; 0: none */
    bool ship_coalesce_set;
    const char *token_file;
    const char *ca_file;
    int insecure;
    char *token;
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: kmetrics-collector [options]\n"
            "Measures every pod and container on this node from cgroup v2 and eBPF.\n\n"
            "  --once                 sample twice, one --interval apart, print and exit\n"
            "  --format=json|text     print snapshots (daemon: one per tick) to stdout\n"
            "  --pretty               indent JSON\n"
            "  --node-name=NAME       node name (default: $NODE_NAME, else the host name)\n"
            "  --cgroup-root=DIR      cgroup v2 directory holding kubepods (default: the\n"
            "                         cgroup2 mount, /sys/fs/cgroup or /sys/fs/cgroup/unified)\n"
            "  --runtime-dirs=D[,D]   OCI bundle directories (default: containerd k8s.io task\n"
            "                         dir and CRI-O overlay-containers)\n"
            "  --interval=DUR         sampling period, 100ms..60s (default 1s)\n"
            "  --window=DUR           CPU rate window in output (default 15s; --once: the\n"
            "                         interval)\n"
            "  --walk-interval=DUR    safety-net full walk period with BPF events (default 60s)\n"
            "  --no-bpf               do not load BPF; walk the cgroup tree every tick\n"
            "  --no-signals           read no pressure (PSI) or memory.events files, and\n"
            "                         measure no run-queue latency or socket traffic\n"
            "  --no-runq              measure no run-queue latency (eBPF on the scheduler)\n"
            "  --no-socket-traffic    count no hostNetwork pod's traffic at its sockets\n"
            "                         (eBPF cgroup_skb)\n"
            "  --aggregator=URL[,URL] ship to these aggregators (https://host[:port]); a name\n"
            "                         with several addresses ships to each (HA replicas)\n"
            "  --ship-interval=DUR    shipping period, 1s..5m (default 15s)\n"
            "  --ship-coalesce=DUR    a container's first rate or its removal is shipped at\n"
            "                         once, at most one such shipment per DUR (default 1s;\n"
            "                         0: only every --ship-interval)\n"
            "  --ship-token-file=F    bearer token for the aggregator (required to ship)\n"
            "  --aggregator-ca-file=F CA bundle for the aggregator (default: the system's)\n"
            "  --insecure-skip-tls-verify  do not verify the aggregator (tests only)\n"
            "  -v, --verbose          more log (repeat for debug); -q, --quiet: warnings only\n"
            "  -h, --help             this text;  --version\n\n"
            "A running collector prints its state (one JSON line, as --format=json) on stdout\n"
            "on SIGUSR1.\n");
}

static int parse_duration_opt(const char *name, const char *value, int64_t min_ns, int64_t max_ns,
                              int64_t *out)
{
    if (duration_parse(value, out) != 0 || *out < min_ns || *out > max_ns) {
        fprintf(stderr, "kmetrics-collector: --%s=%s: want a duration from %lldms to %llds\n", name,
                value, (long long)(min_ns / 1000000), (long long)(max_ns / NS_PER_SEC));
        return -1;
    }
    return 0;
}

static int parse_runtime_dirs(struct options *o, const char *arg)
{
    char *save = NULL;
    size_t n = 0;

    free(o->runtime_dirs_buf);
    o->runtime_dirs_buf = strdup(arg);
    if (!o->runtime_dirs_buf) return -1;
    for (char *d = strtok_r(o->runtime_dirs_buf, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
        if (n == MAX_RUNTIME_DIRS) {
            fprintf(stderr, "kmetrics-collector: at most %d --runtime-dirs\n", MAX_RUNTIME_DIRS);
            return -1;
        }
        o->runtime_dirs[n++] = d;
    }
    o->cfg.runtime_dirs = o->runtime_dirs;
    o->cfg.runtime_dirs_count = n;
    return 0;
}

/* Appends a comma-separated --aggregator list (the flag may repeat). */
static int parse_aggregators(struct options *o, const char *arg)
{
    char *buf, *save = NULL;

    if (o->naggregators_bufs == SHIPPER_MAX_URLS || !(buf = strdup(arg))) return -1;
    o->aggregators_buf[o->naggregators_bufs++] = buf;
    for (char *u = strtok_r(buf, ",", &save); u; u = strtok_r(NULL, ",", &save)) {
        if (o->naggregators == SHIPPER_MAX_URLS) {
            fprintf(stderr, "kmetrics-collector: at most %d --aggregator URLs\n", SHIPPER_MAX_URLS);
            return -1;
        }
        o->aggregators[o->naggregators++] = u;
    }
    return 0;
}

static int check_shipping_args(struct options *o)
{
    if (o->naggregators == 0) {
        if (o->token_file || o->ca_file || o->insecure || o->ship_interval_ns ||
            o->ship_coalesce_set)
            fprintf(stderr, "kmetrics-collector: shipping flags without --aggregator do "
                            "nothing\n");
        return 0;
    }
    if (o->once) return 0; /* --once does not ship */
    if (!o->ship_interval_ns) o->ship_interval_ns = 15 * NS_PER_SEC;
    if (!o->ship_coalesce_set) o->ship_coalesce_ns = NS_PER_SEC;
    if (!o->token_file) {
        fprintf(stderr, "kmetrics-collector: --aggregator needs --ship-token-file\n");
        return -1;
    }
    char err[512];
    o->token = token_file_read(o->token_file, err, sizeof(err));
    if (!o->token) fprintf(stderr, "kmetrics-collector: --ship-token-file=%s\n", err);
    return o->token ? 0 : -1;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    enum {
        OPT_ONCE = 256,
        OPT_FORMAT,
        OPT_PRETTY,
        OPT_NODE,
        OPT_ROOT,
        OPT_RUNTIME,
        OPT_INTERVAL,
        OPT_WINDOW,
        OPT_WALK,
        OPT_NO_BPF,
        OPT_NO_SIGNALS,
        OPT_NO_RUNQ,
        OPT_NO_SOCKET_TRAFFIC,
        OPT_AGGREGATOR,
        OPT_SHIP_INTERVAL,
        OPT_SHIP_COALESCE,
        OPT_TOKEN_FILE,
        OPT_CA_FILE,
        OPT_INSECURE,
        OPT_VERSION
    };
    static const struct option longopts[] = {
        {"once", no_argument, NULL, OPT_ONCE},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"pretty", no_argument, NULL, OPT_PRETTY},
        {"node-name", required_argument, NULL, OPT_NODE},
        {"cgroup-root", required_argument, NULL, OPT_ROOT},
        {"runtime-dirs", required_argument, NULL, OPT_RUNTIME},
        {"interval", required_argument, NULL, OPT_INTERVAL},
        {"window", required_argument, NULL, OPT_WINDOW},
        {"walk-interval", required_argument, NULL, OPT_WALK},
        {"no-bpf", no_argument, NULL, OPT_NO_BPF},
        {"no-signals", no_argument, NULL, OPT_NO_SIGNALS},
        {"no-runq", no_argument, NULL, OPT_NO_RUNQ},
        {"no-socket-traffic", no_argument, NULL, OPT_NO_SOCKET_TRAFFIC},
        {"aggregator", required_argument, NULL, OPT_AGGREGATOR},
        {"ship-interval", required_argument, NULL, OPT_SHIP_INTERVAL},
        {"ship-coalesce", required_argument, NULL, OPT_SHIP_COALESCE},
        {"ship-token-file", required_argument, NULL, OPT_TOKEN_FILE},
        {"aggregator-ca-file", required_argument, NULL, OPT_CA_FILE},
        {"insecure-skip-tls-verify", no_argument, NULL, OPT_INSECURE},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {0},
    };
    int level = LOG_INFO, opt;

    o->cfg.interval_ns = NS_PER_SEC;
    o->cfg.walk_interval_ns = 60 * NS_PER_SEC;
    o->cfg.node_name = getenv("NODE_NAME");
    while ((opt = getopt_long(argc, argv, "vqh", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_ONCE:
            o->once = 1;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "json") == 0)
                o->format = OUTPUT_JSON;
            else if (strcmp(optarg, "text") == 0)
                o->format = OUTPUT_TEXT;
            else {
                fprintf(stderr, "kmetrics-collector: --format must be json or text\n");
                return -1;
            }
            break;
        case OPT_PRETTY:
            o->pretty = 1;
            break;
        case OPT_NODE:
            o->cfg.node_name = optarg;
            break;
        case OPT_ROOT:
            o->cfg.cgroup_root = optarg;
            break;
        case OPT_RUNTIME:
            if (parse_runtime_dirs(o, optarg)) return -1;
            break;
        case OPT_INTERVAL:
            if (parse_duration_opt("interval", optarg, NS_PER_SEC / 10, 60 * NS_PER_SEC,
                                   &o->cfg.interval_ns))
                return -1;
            break;
        case OPT_WINDOW:
            if (parse_duration_opt("window", optarg, NS_PER_SEC / 10, 3600 * NS_PER_SEC,
                                   &o->window_ns))
                return -1;
            break;
        case OPT_WALK:
            if (parse_duration_opt("walk-interval", optarg, NS_PER_SEC / 10, 86400 * NS_PER_SEC,
                                   &o->cfg.walk_interval_ns))
                return -1;
            break;
        case OPT_NO_BPF:
            o->cfg.disable_bpf = true;
            break;
        case OPT_NO_SIGNALS:
            o->cfg.skip_signals = true;
            break;
        case OPT_NO_RUNQ:
            o->cfg.skip_runq = true;
            break;
        case OPT_NO_SOCKET_TRAFFIC:
            o->cfg.skip_socket_traffic = true;
            break;
        case OPT_AGGREGATOR:
            if (parse_aggregators(o, optarg)) return -1;
            break;
        case OPT_SHIP_INTERVAL:
            if (parse_duration_opt("ship-interval", optarg, NS_PER_SEC, 300 * NS_PER_SEC,
                                   &o->ship_interval_ns))
                return -1;
            break;
        case OPT_SHIP_COALESCE:
            if (parse_duration_opt("ship-coalesce", optarg, 0, 60 * NS_PER_SEC,
                                   &o->ship_coalesce_ns))
                return -1;
            o->ship_coalesce_set = true;
            break;
        case OPT_TOKEN_FILE:
            o->token_file = optarg;
            break;
        case OPT_CA_FILE:
            o->ca_file = optarg;
            break;
        case OPT_INSECURE:
            o->insecure = 1;
            break;
        case 'v':
            level++;
            break;
        case 'q':
            level = LOG_WARN;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case OPT_VERSION:
            printf("kmetrics-collector %s\n", KMETRICS_VERSION);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "kmetrics-collector: unexpected argument %s\n", argv[optind]);
        return -1;
    }
    log_set_level(level);
    if (check_shipping_args(o)) return -1;
    if (!o->window_ns) o->window_ns = o->once ? o->cfg.interval_ns : 15 * NS_PER_SEC;
    /* Serve any window up to a minute, and always the one asked for. */
    o->cfg.history_ns = o->window_ns > 60 * NS_PER_SEC ? o->window_ns : 60 * NS_PER_SEC;
    /* An exited container's figures stay for a window, and long enough to be shipped. */
    o->cfg.retain_exited_ns = o->window_ns;
    if (o->naggregators && 2 * o->ship_interval_ns > o->cfg.retain_exited_ns)
        o->cfg.retain_exited_ns = 2 * o->ship_interval_ns;
    /* A collector that only ships uses memory figures once per shipment: it reads the memory
     * files then, not every tick (two of a container's three reads a tick). */
    o->cfg.memory_on_request = o->naggregators && !o->once && o->format == OUTPUT_NONE;
    return 0;
}

static int print_snapshot(const struct options *o, const struct collector *c)
{
    if (o->format == OUTPUT_TEXT) return snapshot_write_text(stdout, c, o->window_ns);
    return snapshot_write(stdout, c, o->window_ns, o->pretty);
}

static int run_once(struct options *o, struct collector *c)
{
    struct timespec ts = {.tv_sec = o->window_ns / NS_PER_SEC,
                          .tv_nsec = o->window_ns % NS_PER_SEC};

    collector_tick(c);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    collector_tick(c);
    if (o->format == OUTPUT_NONE) o->format = OUTPUT_JSON;
    return print_snapshot(o, c) ? 1 : 0;
}

static int epoll_add(int ep, int fd)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* CPU history a shipment carries: the window served, and at least two ship intervals so a
 * rate survives one lost shipment; capped at the minute the collector keeps. */
static int64_t ship_history_ns(const struct options *o)
{
    int64_t h = o->window_ns > 2 * o->ship_interval_ns ? o->window_ns : 2 * o->ship_interval_ns;

    return h < 60 * NS_PER_SEC ? h : 60 * NS_PER_SEC;
}

static struct shipper *start_shipping(const struct options *o, const struct collector *c)
{
    struct shipper_config cfg = {
        .node_name = c->node_name,
        .urls = o->aggregators,
        .nurls = o->naggregators,
        .token = o->token,
        .token_file = o->token_file,
        .ca_file = o->ca_file,
        .insecure = o->insecure,
        .interval_ns = o->ship_interval_ns,
        .history_ns = ship_history_ns(o),
    };
    struct shipper *sh;
    char err[512];

    if (o->insecure)
        log_warn("--insecure-skip-tls-verify: the aggregator's certificate is not checked; "
                 "for tests only");
    sh = shipper_start(&cfg, err, sizeof(err));
    if (!sh) log_error("shipping: %s", err);
    return sh;
}

/* When the collector last handed the shipper a snapshot, and what had changed by then. */
struct ship_clock {
    int64_t last_ship_ns;    /* periodic */
    int64_t last_changes_ns; /* changes-only */
    uint64_t changes;        /* collector_changes() at the last of either */
};

/* Containers that got their first rate or were dropped, and pods deleted: what a client sees
 * appear or go. */
static uint64_t collector_changes(const struct collector *c)
{
    return c->stats.containers_rated + c->stats.containers_dropped + c->stats.pods_gone;
}

/* Before a tick: whether the tick about to run ships periodically. The first shipment waits
 * for a second sample so it already gives rates; then half a tick of slack keeps timer jitter
 * from pushing each shipment a whole tick late. */
static bool periodic_due(const struct options *o, const struct collector *c,
                         const struct ship_clock *clk)
{
    if (c->stats.ticks == 0) return false; /* the first tick: one sample, no rate yet */
    return !clk->last_ship_ns ||
           clock_mono_ns() - clk->last_ship_ns >= o->ship_interval_ns - c->cfg.interval_ns / 2;
}

/* On the collector thread, after a tick: hands the shipper a snapshot every ship interval
 * (periodic, decided before the tick so that it read the memory files), and one for changes
 * only as soon as a container has its first rate or is gone (at most one per --ship-coalesce,
 * so churn cannot flood the aggregator). A changes-only shipment carries new containers' first
 * figures and what was shipped before of the others (ship_snapshot_changes_only), so it needs
 * no memory read of its own. */
static void maybe_ship(const struct options *o, const struct collector *c, struct shipper *sh,
                       struct ship_clock *clk, bool periodic)
{
    int64_t now = clock_mono_ns();
    uint64_t changes = collector_changes(c);
    struct ship_snapshot *snap;
    bool changed;

    if (c->stats.ticks < 2) return;
    changed = o->ship_coalesce_ns > 0 && changes != clk->changes &&
              now - clk->last_changes_ns >= o->ship_coalesce_ns - c->cfg.interval_ns / 2;
    if (!periodic && !changed) return;
    snap = ship_snapshot_build(c, ship_history_ns(o));
    if (!snap) {
        LOG_RATELIMITED(LOG_ERROR, "out of memory taking a snapshot to ship");
        return;
    }
    if (periodic) {
        clk->last_ship_ns = now;
        shipper_offer(sh, snap);
    } else {
        clk->last_changes_ns = now;
        shipper_offer_changes(sh, snap);
    }
    clk->changes = changes;
    ship_snapshot_unref(snap);
}

static void log_shipping_summary(const struct shipper *sh)
{
    struct shipper_stats *st = malloc(sizeof(*st)); /* large: one slot per target */

    if (!st) return;
    shipper_stats(sh, st);
    log_info("shipped %llu (%llu full, %llu changes only), %llu acknowledged, %llu resyncs, "
             "%llu failures",
             (unsigned long long)st->sent, (unsigned long long)st->sent_full,
             (unsigned long long)st->sent_changes, (unsigned long long)st->acked,
             (unsigned long long)st->resyncs, (unsigned long long)st->failures);
    free(st);
}

static void log_tracking_summary(const struct collector *c)
{
    log_info("tracking %zu pods, %zu containers; last tick %lldus; %llu walks, %llu events",
             registry_pod_count(&c->reg), registry_container_count(&c->reg),
             (long long)(c->stats.last_tick_ns / 1000), (unsigned long long)c->stats.full_walks,
             (unsigned long long)(c->stats.events_mkdir + c->stats.events_rmdir));
}

/* SIGUSR1: what the collector holds, for whoever reads its log (kubectl logs): the summary
 * lines, then the snapshot as one JSON line on stdout (the --format=json document, whose
 * "collector" object has the pod and container counts). Written after the next tick, which
 * reads every file, so its figures are of one moment. */
static void dump_state(const struct options *o, const struct collector *c, const struct shipper *sh)
{
    log_tracking_summary(c);
    if (sh) log_shipping_summary(sh);
    if (snapshot_write(stdout, c, o->window_ns, 0))
        LOG_RATELIMITED(LOG_WARN, "SIGUSR1: writing the state to stdout failed");
}

static int run_daemon(struct options *o, struct collector *c, struct shipper *sh)
{
    struct itimerspec its = {
        .it_interval = {.tv_sec = c->cfg.interval_ns / NS_PER_SEC,
                        .tv_nsec = c->cfg.interval_ns % NS_PER_SEC},
        .it_value = {.tv_nsec = 1},
    };
    struct ship_clock ship_clock = {0};
    int64_t last_summary = 0, next_release = clock_mono_ns() + STARTUP_NS;
    int ep = -1, tfd = -1, sfd = -1, efd, rc = 1;
    bool dump_wanted = false;
    sigset_t mask;

    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGUSR1);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    ep = epoll_create1(EPOLL_CLOEXEC);
    tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (ep < 0 || tfd < 0 || sfd < 0 || timerfd_settime(tfd, 0, &its, NULL) || epoll_add(ep, tfd) ||
        epoll_add(ep, sfd)) {
        log_error("event loop setup failed: %s", strerror(errno));
        goto out;
    }
    efd = collector_events_fd(c);
    if (efd >= 0 && epoll_add(ep, efd)) {
        log_error("watching BPF events failed: %s", strerror(errno));
        goto out;
    }
    log_info("collector running (pid %d); SIGUSR1 prints its state, SIGTERM or SIGINT stops it",
             (int)getpid());
    for (;;) {
        struct epoll_event evs[4];
        int n = epoll_wait(ep, evs, 4, -1);

        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            log_error("epoll_wait: %s", strerror(errno));
            goto out;
        }
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == sfd) {
                struct signalfd_siginfo si;
                if (read(sfd, &si, sizeof(si)) != sizeof(si)) continue;
                if (si.ssi_signo == SIGUSR1) {
                    dump_wanted = true;
                    collector_want_memory(c);
                    continue;
                }
                log_info("signal %d: shutting down", (int)si.ssi_signo);
                rc = 0;
                goto out;
            } else if (fd == tfd) {
                uint64_t expirations;
                if (read(tfd, &expirations, sizeof(expirations)) < 0) continue;
                bool periodic = sh && periodic_due(o, c, &ship_clock);
                if (periodic) collector_want_memory(c);
                collector_tick(c);
                if (sh) maybe_ship(o, c, sh, &ship_clock, periodic);
                if (dump_wanted) {
                    dump_wanted = false;
                    dump_state(o, c, sh);
                }
                if (c->stats.ticks >= STARTUP_TICKS && clock_mono_ns() >= next_release) {
                    footprint_release();
                    next_release = clock_mono_ns() + RELEASE_EVERY_NS;
                }
                if (o->format != OUTPUT_NONE && print_snapshot(o, c)) {
                    log_error("writing output failed; stopping");
                    goto out;
                }
                if (c->node.mono_ns - last_summary >= 60 * NS_PER_SEC) {
                    last_summary = c->node.mono_ns;
                    log_tracking_summary(c);
                    if (sh) log_shipping_summary(sh);
                }
            } else {
                collector_handle_events(c);
            }
        }
    }
out:
    if (ep >= 0) close(ep);
    if (tfd >= 0) close(tfd);
    if (sfd >= 0) close(sfd);
    return rc;
}

static void free_options(struct options *o)
{
    free(o->runtime_dirs_buf);
    for (size_t i = 0; i < o->naggregators_bufs; i++)
        free(o->aggregators_buf[i]);
    if (o->token) explicit_bzero(o->token, strlen(o->token));
    free(o->token);
}

int main(int argc, char **argv)
{
    struct options o = {0};
    struct collector c;
    struct shipper *sh = NULL;
    char err[512];
    int rc;

    footprint_init();
    if (parse_args(argc, argv, &o)) {
        free_options(&o);
        return 2;
    }
    if (collector_init(&c, &o.cfg, err, sizeof(err)) != 0) {
        log_error("%s", err);
        collector_done(&c);
        free_options(&o);
        return 1;
    }
    if (o.once) {
        if (o.naggregators) log_info("--once: not shipping to the aggregator");
        rc = run_once(&o, &c);
    } else if (o.naggregators && !(sh = start_shipping(&o, &c))) {
        rc = 1;
    } else {
        rc = run_daemon(&o, &c, sh);
    }
    shipper_stop(sh); /* joins the thread (abandoning a transfer under way) first */
    collector_done(&c);
    free_options(&o);
    return rc;
}
