/* Shared by the fuzz harnesses: an invariant check that aborts with its location, and
 * reference versions of Kubernetes' name rules written independently of common/k8s_names.c,
 * so a harness checks the parsers against a second reading of the rules. */
#ifndef KMETRICS_FUZZ_CHECK_H
#define KMETRICS_FUZZ_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static inline bool oracle_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* DNS label by definition: 1-63 of [a-z0-9-], alphanumeric at both ends. */
static inline bool oracle_dns_label(const char *s, size_t n)
{
    if (n == 0 || n > 63 || !oracle_lower_alnum(s[0]) || !oracle_lower_alnum(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!oracle_lower_alnum(s[i]) && s[i] != '-') return false;
    return true;
}

/* DNS subdomain by definition: at most 253 bytes of dot-separated labels (each checked
 * without the per-label 63 limit, which a subdomain does not have). */
static inline bool oracle_dns_subdomain(const char *s, size_t n)
{
    size_t start = 0;

    if (n == 0 || n > 253) return false;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.') {
            if (!oracle_lower_alnum(s[i]) && s[i] != '-') return false;
            continue;
        }
        if (i == start || !oracle_lower_alnum(s[start]) || !oracle_lower_alnum(s[i - 1]))
            return false;
        start = i + 1;
    }
    return true;
}

#endif
