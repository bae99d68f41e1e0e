/* Keeps the aggregator's trust configuration current: reads ConfigMap
 * kube-system/extension-apiserver-authentication (where the kube-apiserver publishes its
 * front-proxy and client CAs), watches it, and hands each new valid configuration, merged
 * under the operator's flags, to the event loop. A ConfigMap that does not parse or holds a
 * bad CA is logged and counted, and the configuration in force stays. When the flags give
 * both CAs, the ConfigMap is not read at all. */
#ifndef KMETRICS_AUTHN_RELOAD_H
#define KMETRICS_AUTHN_RELOAD_H

#include <h2o.h>

#include "authn_config.h"
#include "kube/kube_client.h"

struct authn_reload;

/* Runs on the loop thread with a new configuration (owned by the callee). */
typedef void (*authn_apply_cb)(void *arg, struct authn_config *c);

/* flags is copied. kc may be NULL when flags give both CAs. Applies a configuration built
 * from flags alone at once when they suffice. */
struct authn_reload *authn_reload_start(h2o_loop_t *loop, struct kube_client *kc,
                                        const struct authn_source *flags, authn_apply_cb apply,
                                        void *arg, char *err, size_t errlen);
void authn_reload_stop(struct authn_reload *r);

/* ConfigMaps refused (bad JSON, bad CA) since start. */
uint64_t authn_reload_errors(const struct authn_reload *r);

#endif
