/* Increases of cumulative counters between two reads (signal_window.h). */
#include "signal_window.h"

#include <string.h>

/* cur - prev into *out, when it fits 32 bits and did not go backwards. */
static bool grew32(uint64_t prev, uint64_t cur, uint32_t *out)
{
    if (cur < prev || cur - prev > UINT32_MAX) return false;
    *out = (uint32_t)(cur - prev);
    return true;
}

static uint32_t window_ms(int64_t window_ns)
{
    int64_t ms = (window_ns + 500000) / 1000000;

    return ms <= 0 || ms > WIRE_MAX_WINDOW_MS ? 0 : (uint32_t)ms;
}

static void pressure_window(const struct cgroup_sample *prev, const struct cgroup_sample *cur,
                            struct wire_signals *out)
{
    static const unsigned bit[WIRE_PRESSURES] = {SAMPLE_CPU_PRESSURE, SAMPLE_MEMORY_PRESSURE,
                                                 SAMPLE_IO_PRESSURE};
    static const int kind[WIRE_PRESSURES] = {PRESSURE_CPU, PRESSURE_MEMORY, PRESSURE_IO};

    for (int k = 0; k < WIRE_PRESSURES; k++) {
        const struct pressure *a = &prev->pressure[kind[k]], *b = &cur->pressure[kind[k]];

        if (!(prev->have & cur->have & bit[k])) continue;
        if (grew32(a->some_usec, b->some_usec, &out->stall_some_usec[k]) &&
            grew32(a->full_usec, b->full_usec, &out->stall_full_usec[k]))
            out->have |= WIRE_SIG_CPU_PRESSURE << k;
    }
}

static void throttling_window(const struct cgroup_sample *prev, const struct cgroup_sample *cur,
                              struct wire_signals *out)
{
    const uint64_t need =
        1ull << CPU_NR_PERIODS | 1ull << CPU_NR_THROTTLED | 1ull << CPU_THROTTLED_USEC;
    const uint64_t *a = prev->cpu.v, *b = cur->cpu.v;

    if ((prev->cpu.present & cur->cpu.present & need) != need) return;
    if (grew32(a[CPU_NR_PERIODS], b[CPU_NR_PERIODS], &out->periods) &&
        grew32(a[CPU_NR_THROTTLED], b[CPU_NR_THROTTLED], &out->throttled_periods) &&
        grew32(a[CPU_THROTTLED_USEC], b[CPU_THROTTLED_USEC], &out->throttled_usec) &&
        out->throttled_periods <= out->periods)
        out->have |= WIRE_SIG_THROTTLING;
}

void signal_window_container(const struct cgroup_sample *prev, const struct cgroup_sample *cur,
                             int64_t window_ns, struct wire_signals *out)
{
    memset(out, 0, sizeof(*out));
    out->window_ms = window_ms(window_ns);
    if (out->window_ms == 0) return;
    out->end_real_ns = cur->real_ns;
    pressure_window(prev, cur, out);
    throttling_window(prev, cur, out);
    if ((prev->have & cur->have & SAMPLE_OOM_KILLS) && cur->oom_kills <= UINT32_MAX &&
        grew32(prev->oom_kills, cur->oom_kills, &out->oom_kills)) {
        out->oom_kills_total = (uint32_t)cur->oom_kills;
        out->have |= WIRE_SIG_OOM;
    }
    if (out->have == 0) memset(out, 0, sizeof(*out));
}

void signal_window_add_runq(struct wire_signals *w, const struct runq_window *r,
                            int64_t end_real_ns)
{
    if (!r->valid) return;
    if (w->have == 0) {
        w->window_ms = window_ms(r->window_ns);
        if (w->window_ms == 0) return;
        w->end_real_ns = end_real_ns;
    }
    w->have |= WIRE_SIG_RUNQ;
    w->runq_waits = r->waits > UINT32_MAX ? UINT32_MAX : (uint32_t)r->waits;
    w->runq_p50_us = r->p50_us;
    w->runq_p99_us = r->p99_us < r->p50_us ? r->p50_us : r->p99_us;
}

void signal_window_network(const struct pod_net_sample *prev, const struct pod_net_sample *cur,
                           int64_t window_ns, struct wire_network *out)
{
    const struct net_dev_totals *a = &prev->totals, *b = &cur->totals;

    memset(out, 0, sizeof(*out));
    if (cur->state == POD_NET_HOST ||
        (cur->state == POD_NET_HOST_SOCKETS && prev->state != POD_NET_HOST_SOCKETS)) {
        out->source = WIRE_NET_HOST;
        return;
    }
    if (cur->state != prev->state ||
        (cur->state != POD_NET_OWN && cur->state != POD_NET_HOST_SOCKETS))
        return;
    out->window_ms = window_ms(window_ns);
    /* Interface counters only grow while the namespace lives; smaller means another
     * namespace (the sandbox was recreated): no window this time. Socket counts only grow
     * too (a container's last counts stay in its pod's when it goes). */
    if (out->window_ms == 0 || b->rx_bytes < a->rx_bytes || b->rx_packets < a->rx_packets ||
        b->rx_drops < a->rx_drops || b->tx_bytes < a->tx_bytes || b->tx_packets < a->tx_packets ||
        b->tx_drops < a->tx_drops) {
        out->window_ms = 0;
        return;
    }
    out->source = cur->state == POD_NET_OWN ? WIRE_NET_INTERFACES : WIRE_NET_SOCKETS;
    out->end_real_ns = cur->real_ns;
    out->rx_bytes = b->rx_bytes - a->rx_bytes;
    out->rx_packets = b->rx_packets - a->rx_packets;
    out->rx_drops = b->rx_drops - a->rx_drops;
    out->tx_bytes = b->tx_bytes - a->tx_bytes;
    out->tx_packets = b->tx_packets - a->tx_packets;
    out->tx_drops = b->tx_drops - a->tx_drops;
}
