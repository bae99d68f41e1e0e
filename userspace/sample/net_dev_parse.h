/* Parser for /proc/<pid>/net/dev: the interface counters of the network namespace the process
 * is in. A pod with its own namespace is measured by summing every interface but the loopback
 * (what the kubelet reports for a pod, exact at the interface; pod-internal loopback traffic is
 * not network traffic).
 *
 *   Inter-|   Receive                                      |  Transmit
 *    face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop ...
 *     eth0: 1234 10 0 0 0 0 0 0 5678 12 0 0 0 0 0 0
 *
 * Takes a buffer and its length, never reads past it, never allocates. */
#ifndef KMETRICS_NET_DEV_PARSE_H
#define KMETRICS_NET_DEV_PARSE_H

#include <stddef.h>
#include <stdint.h>

struct net_dev_totals {
    uint64_t rx_bytes, rx_packets, rx_drops;
    uint64_t tx_bytes, tx_packets, tx_drops;
    unsigned interfaces; /* summed (lo excluded) */
};

/* Sums the counters of every well-formed interface line except "lo" (sums saturate). A line is
 * well formed when a name without spaces ends at ':' and at least 12 decimal fields follow;
 * other lines (the two headers, garbage) are skipped, and with truncated set (the buffer
 * filled) the final unterminated line too. Returns 0 when the header was seen (a namespace with
 * only a loopback sums to zero), -EINVAL with everything zero for anything else. */
int parse_net_dev(const char *buf, size_t len, int truncated, struct net_dev_totals *out);

#endif
