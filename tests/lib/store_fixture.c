#include "store_fixture.h"

#include <errno.h>

int sf_ship(struct store *s, const char *node, const char *ns, const char *const *names,
            const char *const *uids, size_t n, uint64_t seq, int64_t t_ns)
{
    struct wire_sample samples[3];
    char(*ids)[65] = calloc(n ? n : 1, sizeof(*ids));
    struct wire_container *c = calloc(n ? n : 1, sizeof(*c));
    struct wire_pod *pods = calloc(n ? n : 1, sizeof(*pods));
    enum store_apply_result r = STORE_NEED_FULL;
    int rc = -1;

    if (!ids || !c || !pods) goto out;
    for (int i = 0; i < 3; i++)
        samples[i] =
            (struct wire_sample){t_ns - (2 - i) * SF_SEC, (seq * 10 + (uint64_t)i) * 100000};
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < 64; k++)
            ids[i][k] = "0123456789abcdef"[(i >> (k % 8 * 4)) & 15];
        c[i] = (struct wire_container){
            .id = ids[i],
            .name = "app",
            .samples = samples,
            .nsamples = 3,
            .memory = {.have = WIRE_HAVE_WORKING_SET, .working_set = 1 << 20}};
        pods[i] = (struct wire_pod){.uid = uids[i],
                                    .namespace_ = ns,
                                    .name = names[i],
                                    .containers = &c[i],
                                    .ncontainers = 1};
    }
    struct wire_shipment ship = {.flags = WIRE_FULL,
                                 .node_name = node,
                                 .instance = 1,
                                 .seq = seq,
                                 .sent_ns = t_ns,
                                 .node = {.samples = samples, .nsamples = 3},
                                 .pods = pods,
                                 .npods = n};
    rc = store_apply(s, &ship, 0, &r) == 0 && r == STORE_APPLIED ? 0 : -1;
out:
    free(ids);
    free(c);
    free(pods);
    return rc;
}

bool sf_pb_has_label(const char *data, size_t len, const char *k, const char *v)
{
    char e[300];
    size_t kl = strlen(k), vl = strlen(v), n = 0;

    if (kl > 120 || vl > 120) return false;
    e[n++] = 0x5a;
    e[n++] = (char)(4 + kl + vl);
    e[n++] = 0x0a;
    e[n++] = (char)kl;
    memcpy(e + n, k, kl);
    n += kl;
    e[n++] = 0x12;
    e[n++] = (char)vl;
    memcpy(e + n, v, vl);
    n += vl;
    return memmem(data, len, e, n) != NULL;
}

int sf_render(struct store *s, const struct metrics_query *q, struct outbuf *out)
{
    struct metrics_query_scratch x;
    int rc;

    metrics_query_scratch_init(&x);
    rc = metrics_query_render(s, &x, q, out);
    metrics_query_scratch_done(&x);
    return rc;
}

int sf_render_selected(struct store *s, enum query_target target, enum query_format format,
                       const char *ns, const char *name, const char *label_selector,
                       struct outbuf *out)
{
    struct selector sel;
    char err[256];
    struct metrics_query q = {.target = target,
                              .api_version = "metrics.k8s.io/v1beta1",
                              .ns = ns,
                              .name = name,
                              .format = format,
                              .labels = label_selector ? &sel : NULL};
    int rc;

    if (label_selector &&
        label_selector_parse(label_selector, strlen(label_selector), &sel, err, sizeof(err)) != 0)
        return -EINVAL;
    rc = sf_render(s, &q, out);
    if (label_selector) selector_done(&sel);
    return rc;
}
