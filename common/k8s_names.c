#include "k8s_names.h"

#include <string.h>

static bool lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool k8s_dns_label(const char *s, size_t n)
{
    if (n == 0 || n > K8S_DNS_LABEL_MAX || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
        return false;
    for (size_t i = 1; i + 1 < n; i++)
        if (!lower_alnum(s[i]) && s[i] != '-') return false;
    return true;
}

bool k8s_dns_subdomain(const char *s, size_t n)
{
    if (n == 0 || n > K8S_DNS_SUBDOMAIN_MAX || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
        return false;
    /* Every part starts and ends with an alphanumeric exactly when each dot has one on both
     * sides. */
    for (size_t i = 1; i + 1 < n; i++) {
        if (s[i] == '.') {
            if (!lower_alnum(s[i - 1]) || !lower_alnum(s[i + 1])) return false;
        } else if (!lower_alnum(s[i]) && s[i] != '-') {
            return false;
        }
    }
    return true;
}

static bool any_alnum(char c)
{
    return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], at most 63 */
static bool qualified_name_part(const char *s, size_t n)
{
    if (n == 0 || n > K8S_DNS_LABEL_MAX || !any_alnum(s[0]) || !any_alnum(s[n - 1])) return false;
    for (size_t i = 1; i + 1 < n; i++)
        if (!any_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.') return false;
    return true;
}

bool k8s_label_key(const char *s, size_t n)
{
    const char *slash = n ? memchr(s, '/', n) : NULL;

    if (!slash) return qualified_name_part(s, n);
    size_t pl = (size_t)(slash - s);
    return k8s_dns_subdomain(s, pl) && qualified_name_part(slash + 1, n - pl - 1);
}

bool k8s_label_value(const char *s, size_t n)
{
    return n == 0 || qualified_name_part(s, n);
}
