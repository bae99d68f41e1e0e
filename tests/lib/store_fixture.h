/* Feeds a store the way a collector's shipment would, for tests of what the store serves.
 * */
#ifndef KMETRICS_TEST_STORE_FIXTURE_H
#define KMETRICS_TEST_STORE_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "outbuf.h"
#include "store/metrics_query.h"
#include "store/store.h"

#define SF_SEC ((int64_t)1000000000)

/* Applies a full shipment (sequence seq of instance 1) for node holding pods ns/names[i] with
 * uids[i], each one container "app" with three CPU samples 1 s apart ending at t_ns and 1 MiB
 * working set. Returns 0 when the store applied it. */
int sf_ship(struct store *s, const char *node, const char *ns, const char *const *names,
            const char *const *uids, size_t n, uint64_t seq, int64_t t_ns);

/* Whether protobuf output holds the ObjectMeta label entry k=v: labels=11 {key=1, value=2}
 * (short strings: one-byte lengths). */
bool sf_pb_has_label(const char *data, size_t len, const char *k, const char *v);

/* metrics_query_render with scratch arrays of its own: 200, 404 or -ENOMEM. */
int sf_render(struct store *s, const struct metrics_query *q, struct outbuf *out);
/* A metrics.k8s.io/v1beta1 query of target in namespace ns (name: the one object) in format,
 * with a label selector (NULL: none), appended to out. sf_render's result, or -EINVAL when the
 * selector does not parse. */
int sf_render_selected(struct store *s, enum query_target target, enum query_format format,
                       const char *ns, const char *name, const char *label_selector,
                       struct outbuf *out);

#endif
