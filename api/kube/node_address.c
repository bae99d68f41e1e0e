#include "node_address.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

static const char *const type_names[NODE_ADDR_TYPES] = {
    [NODE_ADDR_HOSTNAME] = "Hostname",      [NODE_ADDR_INTERNAL_DNS] = "InternalDNS",
    [NODE_ADDR_INTERNAL_IP] = "InternalIP", [NODE_ADDR_EXTERNAL_DNS] = "ExternalDNS",
    [NODE_ADDR_EXTERNAL_IP] = "ExternalIP",
};

static int bad(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int type_of(const char *s, size_t n)
{
    for (int t = 0; t < NODE_ADDR_TYPES; t++)
        if (strlen(type_names[t]) == n && memcmp(type_names[t], s, n) == 0) return t;
    return -1;
}

int node_address_types_parse(const char *csv, struct node_address_rules *r, char *err,
                             size_t errlen)
{
    bool seen[NODE_ADDR_TYPES] = {false};
    const char *p = csv;

    r->ntypes = 0;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        int t = type_of(p, n);

        if (t < 0)
            return bad(err, errlen,
                       "unknown address type \"%.*s\" (expected Hostname, InternalDNS, "
                       "InternalIP, ExternalDNS or ExternalIP)",
                       (int)(n > 32 ? 32 : n), p);
        if (seen[t]) return bad(err, errlen, "address type %s listed twice", type_names[t]);
        seen[t] = true;
        r->order[r->ntypes++] = (uint8_t)t;
        if (!end) return 0;
        p = end + 1;
    }
}

/* A host name as a URL may carry it: letters, digits, '-' and '.', labels of 1-63. */
static bool host_name_ok(const char *s, size_t n)
{
    size_t label = 0;

    if (n == 0 || n > NODE_ADDRESS_HOST_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-') {
            if (++label > 63 || (label == 1 && c == '-')) return false;
        } else {
            return false;
        }
    }
    return label > 0;
}

static int endpoint_host(const char *s, size_t n, struct node_endpoint *out, char *err,
                         size_t errlen)
{
    unsigned char buf[16];

    if (n > NODE_ADDRESS_HOST_MAX || memchr(s, '\0', n))
        return bad(err, errlen, "status.addresses: an address is too long");
    memcpy(out->host, s, n);
    out->host[n] = '\0';
    out->ipv6 = inet_pton(AF_INET6, out->host, buf) == 1;
    if (out->ipv6 || inet_pton(AF_INET, out->host, buf) == 1 || host_name_ok(s, n)) return 0;
    out->host[0] = '\0';
    return bad(err, errlen, "status.addresses: \"%.*s\" is neither an IP address nor a host name",
               (int)(n > 64 ? 64 : n), s);
}

int node_endpoint_of(const struct json_t *node, const struct node_address_rules *r,
                     struct node_endpoint *out, char *err, size_t errlen)
{
    json_t *status = json_object_get(node, "status");
    json_t *addrs = json_object_get(status, "addresses");
    json_t *a;
    size_t i;

    memset(out, 0, sizeof(*out));
    if (addrs && !json_is_array(addrs))
        return bad(err, errlen, "status.addresses: expected an array");
    out->port = r->port;
    if (r->use_node_status_port) {
        json_t *port = json_object_get(
            json_object_get(json_object_get(status, "daemonEndpoints"), "kubeletEndpoint"), "Port");
        /* 0 is what the API server shows for a node whose kubelet wrote none: not set. */
        if (port && !(json_is_integer(port) && json_integer_value(port) == 0)) {
            if (!json_is_integer(port) || json_integer_value(port) < 1 ||
                json_integer_value(port) > 65535)
                return bad(err, errlen,
                           "status.daemonEndpoints.kubeletEndpoint.Port: expected 0-65535");
            out->port = (uint16_t)json_integer_value(port);
        }
    }
    /* By preference, then in the object's order: metrics-server's rule. */
    for (size_t k = 0; k < r->ntypes; k++) {
        json_array_foreach(addrs, i, a)
        {
            json_t *type = json_object_get(a, "type"), *addr = json_object_get(a, "address");
            if (!json_is_string(type) || !json_is_string(addr)) continue;
            if (type_of(json_string_value(type), json_string_length(type)) != r->order[k]) continue;
            return endpoint_host(json_string_value(addr), json_string_length(addr), out, err,
                                 errlen);
        }
    }
    snprintf(err, errlen, "no address of a preferred type in status.addresses");
    return -ENOENT;
}
