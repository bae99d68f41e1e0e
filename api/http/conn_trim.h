/* Releases what idle connections do not need. 5,000 collectors each hold a connection open
 * between shipments; a shipment of tens of KiB grows the socket's input buffer to match, and
 * h2o keeps that capacity for the connection's life. Between events an empty buffer can go
 * back to its prototype (no allocation): the next read allocates again. Event-loop side:
 * conn_trim_idle runs between h2o_evloop_run() calls, never from a callback. */
#ifndef KMETRICS_CONN_TRIM_H
#define KMETRICS_CONN_TRIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <h2o.h>

/* Tracks an accepted socket until it closes (takes sock->on_close, which h2o's server-side
 * protocols leave to the application). False when out of memory: it is then not tracked. */
bool conn_trim_track(h2o_socket_t *sock);

/* Frees the empty input buffers of tracked sockets; returns how many. */
size_t conn_trim_idle(void);

struct conn_trim_stats {
    size_t open;             /* tracked (accepted, not yet closed) sockets */
    size_t holding;          /* of them, those holding an input buffer */
    size_t held_bytes;       /* that buffers' capacity */
    uint64_t released_total; /* input buffers given back since the start */
};

/* Walks the tracked sockets now (for /metrics: what an idle connection keeps is visible). */
void conn_trim_get_stats(struct conn_trim_stats *out);

#endif
