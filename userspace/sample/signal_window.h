/* A container's or pod's signals over a window: what each cumulative counter (stalled time,
 * throttled periods, OOM kills, traffic) grew by between two reads. The collector ships these
 * increases, not the counters, so the aggregator keeps one small record per series instead of
 * two points of every counter (docs/signals.md). */
#ifndef KMETRICS_SIGNAL_WINDOW_H
#define KMETRICS_SIGNAL_WINDOW_H

#include <stdint.h>

#include "wire/wire.h"

#include "cgroup_reader.h"
#include "pod_network.h"
#include "runq_window.h"

/* prev and cur: two samples of one container whose signal files were read window_ns apart
 * (cur the later, read at cur->real_ns). A counter that went backwards (the cgroup was
 * recreated) or grew by more than 32 bits in one window is left out of *out, as is one either
 * sample lacks. out->have is 0 when nothing is left, or window_ns is out of range. */
void signal_window_container(const struct cgroup_sample *prev, const struct cgroup_sample *cur,
                             int64_t window_ns, struct wire_signals *out);

/* Folds a container's run-queue latency window (read on the same tick, at end_real_ns) into
 * its signals; it gives the window's length and end when no other signal did. */
void signal_window_add_runq(struct wire_signals *w, const struct runq_window *r,
                            int64_t end_real_ns);

/* The same for a pod's traffic; out->source says where it was measured: WIRE_NET_INTERFACES
 * between two reads of its namespace, WIRE_NET_SOCKETS between two counts of its sockets (a
 * hostNetwork pod; drops 0: not known there), WIRE_NET_HOST for a hostNetwork pod without two
 * such counts, WIRE_NET_NONE for a pod not measured. */
void signal_window_network(const struct pod_net_sample *prev, const struct pod_net_sample *cur,
                           int64_t window_ns, struct wire_network *out);

#endif
