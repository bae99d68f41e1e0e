/* kmetrics-collector: command line, and the daemon's event loop (a tick timer, signals and
 * BPF lifecycle events on one epoll). Measurement lives in collector.c. */
#include <errno.h>
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

#include "collector.h"
#include "duration.h"
#include "log.h"
#include "snapshot_json.h"

#define KMETRICS_VERSION "0.1.0"
#define MAX_RUNTIME_DIRS 16
#define SEC_NS ((int64_t)1000000000)

enum output_format { OUTPUT_NONE, OUTPUT_JSON, OUTPUT_TEXT };

struct options {
    struct collector_config cfg;
    const char *runtime_dirs[MAX_RUNTIME_DIRS];
    char *runtime_dirs_buf;
    int64_t window_ns;
    enum output_format format;
    int pretty;
    int once;
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
            "  -v, --verbose          more log (repeat for debug); -q, --quiet: warnings only\n"
            "  -h, --help             this text;  --version\n");
}

static int parse_duration_opt(const char *name, const char *value, int64_t min_ns, int64_t max_ns,
                              int64_t *out)
{
    if (duration_parse(value, out) != 0 || *out < min_ns || *out > max_ns) {
        fprintf(stderr, "kmetrics-collector: --%s=%s: want a duration from %lldms to %llds\n", name,
                value, (long long)(min_ns / 1000000), (long long)(max_ns / SEC_NS));
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
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {0},
    };
    int level = LOG_INFO, opt;

    o->cfg.interval_ns = SEC_NS;
    o->cfg.walk_interval_ns = 60 * SEC_NS;
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
            if (parse_duration_opt("interval", optarg, SEC_NS / 10, 60 * SEC_NS,
                                   &o->cfg.interval_ns))
                return -1;
            break;
        case OPT_WINDOW:
            if (parse_duration_opt("window", optarg, SEC_NS / 10, 3600 * SEC_NS, &o->window_ns))
                return -1;
            break;
        case OPT_WALK:
            if (parse_duration_opt("walk-interval", optarg, SEC_NS / 10, 86400 * SEC_NS,
                                   &o->cfg.walk_interval_ns))
                return -1;
            break;
        case OPT_NO_BPF:
            o->cfg.disable_bpf = true;
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
    if (!o->window_ns) o->window_ns = o->once ? o->cfg.interval_ns : 15 * SEC_NS;
    /* Serve any window up to a minute, and always the one asked for. */
    o->cfg.history_ns = o->window_ns > 60 * SEC_NS ? o->window_ns : 60 * SEC_NS;
    return 0;
}

static int print_snapshot(const struct options *o, const struct collector *c)
{
    if (o->format == OUTPUT_TEXT) return snapshot_write_text(stdout, c, o->window_ns);
    return snapshot_write(stdout, c, o->window_ns, o->pretty);
}

static int run_once(struct options *o, struct collector *c)
{
    struct timespec ts = {.tv_sec = o->window_ns / SEC_NS, .tv_nsec = o->window_ns % SEC_NS};

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

static int run_daemon(struct options *o, struct collector *c)
{
    struct itimerspec its = {
        .it_interval = {.tv_sec = c->cfg.interval_ns / SEC_NS,
                        .tv_nsec = c->cfg.interval_ns % SEC_NS},
        .it_value = {.tv_nsec = 1},
    };
    int64_t last_summary = 0;
    int ep = -1, tfd = -1, sfd = -1, efd, rc = 1;
    sigset_t mask;

    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
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
    log_info("collector running (pid %d); SIGTERM or SIGINT stops it", (int)getpid());
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
                if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                    log_info("signal %d: shutting down", (int)si.ssi_signo);
                    rc = 0;
                    goto out;
                }
            } else if (fd == tfd) {
                uint64_t expirations;
                if (read(tfd, &expirations, sizeof(expirations)) < 0) continue;
                collector_tick(c);
                if (o->format != OUTPUT_NONE && print_snapshot(o, c)) {
                    log_error("writing output failed; stopping");
                    goto out;
                }
                if (c->node.mono_ns - last_summary >= 60 * SEC_NS) {
                    last_summary = c->node.mono_ns;
                    log_info("tracking %zu pods, %zu containers; last tick %lldus; %llu walks, "
                             "%llu events",
                             registry_pod_count(&c->reg), registry_container_count(&c->reg),
                             (long long)(c->stats.last_tick_ns / 1000),
                             (unsigned long long)c->stats.full_walks,
                             (unsigned long long)(c->stats.events_mkdir + c->stats.events_rmdir));
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

int main(int argc, char **argv)
{
    struct options o = {0};
    struct collector c;
    char err[512];
    int rc;

    if (parse_args(argc, argv, &o)) {
        free(o.runtime_dirs_buf);
        return 2;
    }
    if (collector_init(&c, &o.cfg, err, sizeof(err)) != 0) {
        log_error("%s", err);
        collector_destroy(&c);
        free(o.runtime_dirs_buf);
        return 1;
    }
    rc = o.once ? run_once(&o, &c) : run_daemon(&o, &c);
    collector_destroy(&c);
    free(o.runtime_dirs_buf);
    return rc;
}
