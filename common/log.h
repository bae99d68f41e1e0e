/* Leveled logging to stderr, with a per-call-site rate limit for messages caused by
 * outside input (a bad cgroup file must not flood the log once per tick). */
#ifndef KMETRICS_LOG_H
#define KMETRICS_LOG_H

#include <stdint.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void log_set_level(int level);
int log_get_level(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* One line per call site per LOG_RATELIMIT_SECONDS; the next line that gets through says
 * how many were suppressed in between. */
#define LOG_RATELIMIT_SECONDS 60
struct log_ratelimit {
    int64_t last_ns;
    uint64_t suppressed;
};
void log_ratelimited(struct log_ratelimit *rl, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define LOG_RATELIMITED(level, ...)                                                                \
    do {                                                                                           \
        static struct log_ratelimit log_rl_;                                                       \
        log_ratelimited(&log_rl_, level, __VA_ARGS__);                                             \
    } while (0)

/* Count of lines written at each level since start (tests and self-metrics read it). */
uint64_t log_lines_written(enum log_level level);

#endif
