/* Where a node's kubelet listens, chosen from its Node object as metrics-server chooses it:
 * the first of status.addresses whose type comes first in --kubelet-preferred-address-types,
 * and --kubelet-port, or with --kubelet-use-node-status-port the port the kubelet wrote in
 * status.daemonEndpoints.kubeletEndpoint.Port (0 there, as the API server shows a node whose
 * kubelet wrote none, means --kubelet-port, as in metrics-server). Pure: no I/O, no globals; the
 * object comes from the API server and is checked like any outside input (an address must be an IP
 * or a host name, a port 1-65535). */
#ifndef KMETRICS_NODE_ADDRESS_H
#define KMETRICS_NODE_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_t; /* jansson's */

enum node_address_type {
    NODE_ADDR_HOSTNAME,
    NODE_ADDR_INTERNAL_DNS,
    NODE_ADDR_INTERNAL_IP,
    NODE_ADDR_EXTERNAL_DNS,
    NODE_ADDR_EXTERNAL_IP,
    NODE_ADDR_TYPES,
};

/* metrics-server's defaults */
#define NODE_ADDRESS_DEFAULT_TYPES "Hostname,InternalDNS,InternalIP,ExternalDNS,ExternalIP"
#define NODE_ADDRESS_DEFAULT_PORT 10250
#define NODE_ADDRESS_HOST_MAX 253

struct node_address_rules {
    uint8_t order[NODE_ADDR_TYPES]; /* enum node_address_type, most preferred first */
    size_t ntypes;
    uint16_t port;             /* --kubelet-port */
    bool use_node_status_port; /* --kubelet-use-node-status-port */
};

/* "InternalIP,Hostname" (metrics-server's spelling; no repeats) into r->order. 0, or -EINVAL
 * with err. */
int node_address_types_parse(const char *csv, struct node_address_rules *r, char *err,
                             size_t errlen);

struct node_endpoint {
    char host[NODE_ADDRESS_HOST_MAX + 1]; /* an IPv4 or IPv6 address or a host name */
    uint16_t port;
    bool ipv6; /* a URL needs it in brackets */
};

/* The kubelet endpoint of a Node object. 0; -ENOENT when it has no address of a preferred
 * type; -EINVAL when a field is malformed (an address that is neither an IP nor a host name,
 * a status port out of range); err says which. */
int node_endpoint_of(const struct json_t *node, const struct node_address_rules *r,
                     struct node_endpoint *out, char *err, size_t errlen);

#endif
