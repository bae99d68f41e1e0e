#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "clock.h"

static int current_level = LOG_INFO;
static uint64_t lines_written[LOG_DEBUG + 1];
static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void log_set_level(int level)
{
    current_level = level < LOG_ERROR ? LOG_ERROR : level > LOG_DEBUG ? LOG_DEBUG : level;
}

int log_get_level(void)
{
    return current_level;
}

uint64_t log_lines_written(enum log_level level)
{
    return level <= LOG_DEBUG ? __atomic_load_n(&lines_written[level], __ATOMIC_RELAXED) : 0;
}

static void log_vmsg(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
    struct timespec ts;
    struct tm tm;
    char stamp[32];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    /* One fprintf-family sequence under the stream lock so concurrent lines do not mix. */
    flockfile(stderr);
    fprintf(stderr, "%s.%03ldZ %-5s ", stamp, ts.tv_nsec / 1000000, level_names[level]);
    vfprintf(stderr, fmt, ap);
    if (suffix) fputs(suffix, stderr);
    fputc('\n', stderr);
    funlockfile(stderr);
    /* The collector logs from its tick and shipper threads. */
    __atomic_fetch_add(&lines_written[level], 1, __ATOMIC_RELAXED);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    va_list ap;

    if ((int)level > current_level) return;
    va_start(ap, fmt);
    log_vmsg(level, NULL, fmt, ap);
    va_end(ap);
}

void log_ratelimited(struct log_ratelimit *rl, enum log_level level, const char *fmt, ...)
{
    int64_t now = clock_mono_ns();
    char suffix[64];
    va_list ap;

    if ((int)level > current_level) return;
    if (rl->last_ns != 0 && now - rl->last_ns < (int64_t)LOG_RATELIMIT_SECONDS * 1000000000) {
        rl->suppressed++;
        return;
    }
    suffix[0] = '\0';
    if (rl->suppressed)
        snprintf(suffix, sizeof(suffix), " (%llu similar suppressed)",
                 (unsigned long long)rl->suppressed);
    rl->last_ns = now;
    rl->suppressed = 0;
    va_start(ap, fmt);
    log_vmsg(level, suffix[0] ? suffix : NULL, fmt, ap);
    va_end(ap);
}
