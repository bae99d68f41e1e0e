/* A pointer and a length into text that is not NUL-terminated (a path segment, a selector
 * term, a cgroup name component): compared and trimmed without copying. Inline: the parsers
 * that use it run per request and per cgroup. */
#ifndef KMETRICS_SPAN_H
#define KMETRICS_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct span {
    const char *p;
    size_t n;
};

/* Equal to the string literal (or any NUL-terminated string) lit. */
static inline bool span_is(struct span s, const char *lit)
{
    size_t n = strlen(lit);

    return s.n == n && memcmp(s.p, lit, n) == 0;
}

static inline bool span_eq(struct span a, struct span b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/* Go's string order (bytewise, a prefix first). */
static inline int span_cmp(struct span a, struct span b)
{
    size_t n = a.n < b.n ? a.n : b.n;
    int c = n ? memcmp(a.p, b.p, n) : 0;

    return c ? c : (a.n > b.n) - (a.n < b.n);
}

static inline bool span_has_prefix(struct span s, const char *lit)
{
    size_t n = strlen(lit);

    return s.n >= n && memcmp(s.p, lit, n) == 0;
}

static inline bool span_has_suffix(struct span s, const char *lit)
{
    size_t n = strlen(lit);

    return s.n >= n && memcmp(s.p + s.n - n, lit, n) == 0;
}

/* Drops n (at most s.n) bytes from the front. */
static inline struct span span_skip(struct span s, size_t n)
{
    return (struct span){s.p + n, s.n - n};
}

/* Drops n (at most s.n) bytes from the back. */
static inline struct span span_chop(struct span s, size_t n)
{
    return (struct span){s.p, s.n - n};
}

#endif
