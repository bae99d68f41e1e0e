/* One kubelet scrape as a full shipment for the store (store_apply_from with
 * STORE_SOURCE_KUBELET): pods and containers stored as if a collector had shipped them, so the
 * store's rate rules hold for both sources (a counter that goes back starts a new series; a
 * restarted container, known by its new start time, is a new container).
 *
 * As metrics-server reads a kubelet: a container needs both its CPU and working-set samples,
 * and one missing either is dropped alone (not its pod); a pod left without containers is left
 * out. The kubelet names pods, not their uids: the pod's uid comes from the API server's pod
 * watch (so its labels match, and a collector's later shipment replaces the same pod), else
 * one is derived from namespace/name. A container's 64-hex id is derived from the pod's uid,
 * the container's name and its start time. Pure: no I/O, no globals. */
#ifndef KMETRICS_KUBELET_SHIPMENT_H
#define KMETRICS_KUBELET_SHIPMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

#include "kubelet_metrics_parse.h"

/* The uid of pod namespace/name as the API server knows it; false: unknown. */
typedef bool (*kubelet_uid_lookup)(void *arg, const char *namespace_, const char *name,
                                   uint8_t uid[16]);

struct kubelet_shipment_params {
    const char *node;          /* the scraped node's name */
    uint64_t instance, seq;    /* the scrape session's: a new session replaces the node's pods */
    int64_t scrape_real_ns;    /* stamps samples that carry no timestamp */
    uint32_t interval_ms;      /* --metric-resolution: the node expires after 3 silent ones */
    kubelet_uid_lookup uid_of; /* NULL: every uid derived */
    void *uid_arg;
};

struct kubelet_shipment {
    struct wire_shipment ship; /* strings point into m (kept alive by the caller) and here */
    size_t containers;         /* stored */
    size_t dropped;            /* containers left out for a missing CPU or working-set sample */
    size_t uids_derived;       /* pods the pod watch did not know */
    /* owned */
    struct wire_pod *pods_;
    struct wire_container *containers_;
    struct wire_sample *samples_;
    char (*ids_)[WIRE_ID_LEN + 1];
    char (*uids_)[WIRE_UID_MAX + 1];
};

/* Whether every CPU series (each container's, the node's) in both scrapes has a newer sample
 * in later than in earlier: only then do the two give every container a rate. A kubelet's
 * samples are cached and an idle container's are refreshed less often (cAdvisor's dynamic
 * housekeeping), so two scrapes a resolution apart can carry the same one. Samples without a
 * timestamp count as newer. -ENOMEM when it cannot tell. */
int kubelet_metrics_all_newer(const struct kubelet_metrics *earlier,
                              const struct kubelet_metrics *later);

/* Builds out from m. 0 or -ENOMEM (out then empty). */
int kubelet_shipment_build(const struct kubelet_metrics *m, const struct kubelet_shipment_params *p,
                           struct kubelet_shipment *out);
void kubelet_shipment_done(struct kubelet_shipment *s);

#endif
