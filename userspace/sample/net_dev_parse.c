/* /proc/<pid>/net/dev: interface lines summed, loopback left out. */
#include "net_dev_parse.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "stat_parse.h"

#define NET_DEV_MIN_FIELDS 12 /* through tx drop */

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Parses "name: f0 f1 ..." into the name's span and the first NET_DEV_MIN_FIELDS fields. */
static bool interface_line(const char *line, size_t n, const char **name, size_t *name_len,
                           uint64_t f[NET_DEV_MIN_FIELDS])
{
    size_t i = 0, nf = 0;

    while (i < n && line[i] == ' ')
        i++;
    *name = line + i;
    while (i < n && line[i] != ':' && line[i] != ' ' && line[i] != '|')
        i++;
    if (i >= n || line[i] != ':' || line + i == *name) return false;
    *name_len = (size_t)(line + i - *name);
    i++;
    while (nf < NET_DEV_MIN_FIELDS) {
        size_t start;
        while (i < n && line[i] == ' ')
            i++;
        start = i;
        while (i < n && line[i] != ' ')
            i++;
        if (i == start || parse_u64(line + start, i - start, &f[nf]) != 0) return false;
        nf++;
    }
    return true;
}

int parse_net_dev(const char *buf, size_t len, int truncated, struct net_dev_totals *out)
{
    size_t pos = 0;
    bool header = false;

    memset(out, 0, sizeof(*out));
    while (pos < len) {
        const char *line = buf + pos, *nl = memchr(line, '\n', len - pos), *name;
        size_t n = nl ? (size_t)(nl - line) : len - pos, name_len;
        uint64_t f[NET_DEV_MIN_FIELDS];

        pos += n + 1;
        if (!nl && truncated) break; /* the last counter may be cut short */
        if (memchr(line, '|', n)) {
            header = true;
            continue;
        }
        if (!interface_line(line, n, &name, &name_len, f)) continue;
        if (name_len == 2 && memcmp(name, "lo", 2) == 0) continue;
        out->rx_bytes = sat_add(out->rx_bytes, f[0]);
        out->rx_packets = sat_add(out->rx_packets, f[1]);
        out->rx_drops = sat_add(out->rx_drops, f[3]);
        out->tx_bytes = sat_add(out->tx_bytes, f[8]);
        out->tx_packets = sat_add(out->tx_packets, f[9]);
        out->tx_drops = sat_add(out->tx_drops, f[11]);
        out->interfaces++;
    }
    if (header) return 0;
    memset(out, 0, sizeof(*out)); /* not a net/dev file: nothing read */
    return -EINVAL;
}
