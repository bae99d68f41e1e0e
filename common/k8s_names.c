#include "k8s_names.h"

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
