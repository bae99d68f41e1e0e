#include "wire_check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "k8s_names.h"

/* The id and uid checks accumulate without early exits (hex_all_lower) so clang can
 * vectorise them: ids and uids are most of a shipment's bytes. */
bool wire_valid_uid(const char *s, size_t n)
{
    if (n == 32) return hex_all_lower(s, n);
    if (n != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return false;
    return hex_all_lower(s, 8) && hex_all_lower(s + 9, 4) && hex_all_lower(s + 14, 4) &&
           hex_all_lower(s + 19, 4) && hex_all_lower(s + 24, 12);
}

bool wire_valid_id(const char *s, size_t n)
{
    return n == WIRE_ID_LEN && hex_all_lower(s, n);
}

bool wire_valid_label(const char *s, size_t n)
{
    return n <= WIRE_LABEL_MAX && k8s_dns_label(s, n);
}

/* Like Kubernetes' IsDNS1123Subdomain, only the total length is limited, not each label's. */
bool wire_valid_subdomain(const char *s, size_t n)
{
    return k8s_dns_subdomain(s, n);
}

/* Names the runtime could not tell travel as "". */
static bool valid_opt_label(const char *s, size_t n)
{
    return n == 0 || wire_valid_label(s, n);
}

static bool valid_opt_subdomain(const char *s, size_t n)
{
    return n == 0 || wire_valid_subdomain(s, n);
}

const struct wire_field wire_field_node = {WIRE_NODE_NAME_MAX, wire_valid_subdomain, "node name",
                                           "is not a DNS-1123 subdomain"};
const struct wire_field wire_field_uid = {WIRE_UID_MAX, wire_valid_uid, "pod uid",
                                          "is not a lower-case UUID or 32 hex"};
const struct wire_field wire_field_namespace = {WIRE_LABEL_MAX, valid_opt_label, "namespace",
                                                "is not a DNS-1123 label"};
const struct wire_field wire_field_pod_name = {WIRE_POD_NAME_MAX, valid_opt_subdomain, "pod name",
                                               "is not a DNS-1123 subdomain"};
const struct wire_field wire_field_id = {WIRE_ID_LEN, wire_valid_id, "container id",
                                         "is not 64 hex"};
const struct wire_field wire_field_container_name = {WIRE_LABEL_MAX, valid_opt_label,
                                                     "container name", "is not a DNS-1123 label"};

/* Both struct wire_pod and struct wire_container start with their key (uid, id), so a pointer
 * to either converts to a pointer to that key. */
static int cmp_key(const void *a, const void *b)
{
    const char *const *ka = *(const char *const *const *)a;
    const char *const *kb = *(const char *const *const *)b;

    return strcmp(*ka, *kb);
}

/* Index of an element whose key repeats another's, or n. scratch holds n pointers. */
static size_t find_dup(const void *base, size_t n, size_t stride, const void **scratch)
{
    for (size_t i = 0; i < n; i++)
        scratch[i] = (const char *)base + i * stride;
    qsort(scratch, n, sizeof(*scratch), cmp_key);
    for (size_t i = 1; i < n; i++) {
        if (cmp_key(&scratch[i - 1], &scratch[i]) == 0) {
            /* qsort is not stable: name the later of the two */
            size_t a = (size_t)((const char *)scratch[i - 1] - (const char *)base) / stride;
            size_t b = (size_t)((const char *)scratch[i] - (const char *)base) / stride;

            return a > b ? a : b;
        }
    }
    return n;
}

int wire_find_dup_pod(const struct wire_pod *pods, size_t n, size_t *dup)
{
    const void **scratch;

    if (n < 2) {
        *dup = n;
        return 0;
    }
    scratch = malloc(n * sizeof(*scratch));
    if (!scratch) return -ENOMEM;
    *dup = find_dup(pods, n, sizeof(*pods), scratch);
    free(scratch);
    return 0;
}

size_t wire_find_dup_container(const struct wire_container *c, size_t n)
{
    const void *scratch[WIRE_MAX_CONTAINERS];

    return n < 2 || n > WIRE_MAX_CONTAINERS ? n : find_dup(c, n, sizeof(*c), scratch);
}

const char *wire_signals_problem(const struct wire_signals *s)
{
    if (s->have & ~(uint32_t)WIRE_SIG_ALL) return "signals have unknown bits";
    if (s->have == 0) return NULL;
    if (s->window_ms == 0 || s->window_ms > WIRE_MAX_WINDOW_MS) return "signal window out of range";
    if ((s->have & WIRE_SIG_THROTTLING) && s->throttled_periods > s->periods)
        return "more throttled periods than periods";
    if ((s->have & WIRE_SIG_OOM) && s->oom_kills > s->oom_kills_total)
        return "more OOM kills in the window than in all";
    if ((s->have & WIRE_SIG_RUNQ) && s->runq_p50_us > s->runq_p99_us)
        return "run-queue p50 above p99";
    return NULL;
}

const char *wire_network_problem(const struct wire_network *n)
{
    if (n->source >= WIRE_NET_SOURCES) return "unknown network source";
    if (!wire_network_has_figures(n->source)) return NULL;
    if (n->window_ms == 0 || n->window_ms > WIRE_MAX_WINDOW_MS)
        return "network window out of range";
    return NULL;
}
