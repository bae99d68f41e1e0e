/* The shipment encoder; the byte layout is docs/wire-format.md. */
#include "wire_encode.h"

#include <errno.h>
#include <string.h>

#include <zlib.h>

#include "wire_check.h"

#define ZLIB_LEVEL 1 /* shipments are small and frequent: speed over the last few percent */
/* Deflate takes (1 << (window bits + 2)) + (1 << (mem level + 9)) bytes: 256 KiB at zlib's
 * defaults (15, 8), for each shipment. A shipment repeats itself within a pod or two (ids,
 * names, varints), so a 2 KiB window does as well in 40 KiB (17.0 KB for 330 containers
 * against 18.2 KB), at about the same speed. A smaller mem level also means smaller blocks,
 * each with its own Huffman trees: 4 is half again slower. Any inflater reads the stream:
 * its window size is in its header. */
#define ZLIB_WINDOW_BITS 11
#define ZLIB_MEM_LEVEL 6

static void put_uvarint(struct outbuf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;

    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    outbuf_append(b, tmp, n);
}

static void put_svarint(struct outbuf *b, int64_t v)
{
    put_uvarint(b, ((uint64_t)v << 1) ^ (0 - (uint64_t)(v < 0)));
}

/* NULL is taken as "", which the required fields then refuse. */
static int put_string(struct outbuf *b, const struct wire_field *f, const char *s)
{
    size_t n = s ? strnlen(s, f->max + 1) : 0;

    if (n > f->max || !f->ok(s, n)) return -EINVAL;
    put_uvarint(b, n);
    outbuf_append(b, s, n);
    return 0;
}

static int put_samples(struct outbuf *b, const struct wire_sample *s, size_t n)
{
    if (n > WIRE_MAX_SAMPLES || (n && !s)) return -EINVAL;
    put_uvarint(b, n);
    if (n == 0) return 0;
    put_svarint(b, s[0].real_ns);
    put_uvarint(b, s[0].usage_usec);
    for (size_t i = 1; i < n; i++) {
        uint64_t cur = s[i].usage_usec, prev = s[i - 1].usage_usec;

        if (s[i].real_ns <= s[i - 1].real_ns) return -EINVAL;
        /* Δusage must fit an svarint both ways: up to INT64_MAX, down to INT64_MIN. */
        if (cur >= prev ? cur - prev > INT64_MAX : prev - cur > (uint64_t)INT64_MAX + 1)
            return -EINVAL;
        put_uvarint(b, (uint64_t)s[i].real_ns - (uint64_t)s[i - 1].real_ns);
        put_svarint(b, (int64_t)(cur - prev));
    }
    return 0;
}

static int put_usage(struct outbuf *b, const struct wire_usage *u)
{
    if (u->have & ~(uint32_t)(WIRE_HAVE_WORKING_SET | WIRE_HAVE_RSS | WIRE_HAVE_SWAP))
        return -EINVAL;
    put_uvarint(b, u->have);
    if (u->have & WIRE_HAVE_WORKING_SET) put_uvarint(b, u->working_set);
    if (u->have & WIRE_HAVE_RSS) put_uvarint(b, u->rss);
    if (u->have & WIRE_HAVE_SWAP) put_uvarint(b, u->swap);
    return 0;
}

static int put_signals(struct outbuf *b, const struct wire_signals *s)
{
    if (wire_signals_problem(s)) return -EINVAL;
    put_uvarint(b, s->have);
    if (s->have == 0) return 0;
    put_svarint(b, s->end_real_ns);
    put_uvarint(b, s->window_ms);
    for (int k = 0; k < WIRE_PRESSURES; k++) {
        if (!(s->have & (WIRE_SIG_CPU_PRESSURE << k))) continue;
        put_uvarint(b, s->stall_some_usec[k]);
        put_uvarint(b, s->stall_full_usec[k]);
    }
    if (s->have & WIRE_SIG_THROTTLING) {
        put_uvarint(b, s->periods);
        put_uvarint(b, s->throttled_periods);
        put_uvarint(b, s->throttled_usec);
    }
    if (s->have & WIRE_SIG_OOM) {
        put_uvarint(b, s->oom_kills);
        put_uvarint(b, s->oom_kills_total);
    }
    if (s->have & WIRE_SIG_RUNQ) {
        put_uvarint(b, s->runq_waits);
        put_uvarint(b, s->runq_p50_us);
        put_uvarint(b, s->runq_p99_us);
    }
    return 0;
}

static int put_network(struct outbuf *b, const struct wire_network *n)
{
    if (wire_network_problem(n)) return -EINVAL;
    put_uvarint(b, n->source);
    if (!wire_network_has_figures(n->source)) return 0;
    put_svarint(b, n->end_real_ns);
    put_uvarint(b, n->window_ms);
    put_uvarint(b, n->rx_bytes);
    put_uvarint(b, n->rx_packets);
    put_uvarint(b, n->rx_drops);
    put_uvarint(b, n->tx_bytes);
    put_uvarint(b, n->tx_packets);
    put_uvarint(b, n->tx_drops);
    return 0;
}

/* Version 1 has no room for signals or traffic: they are left out, not refused (an older
 * aggregator gets what it understands). */
static int put_container(struct outbuf *b, const struct wire_container *c, unsigned version)
{
    int rc;

    if ((rc = put_string(b, &wire_field_id, c->id)) ||
        (rc = put_string(b, &wire_field_container_name, c->name)))
        return rc;
    put_uvarint(b, c->removed);
    if (c->removed) {
        /* The format has no room for them: refuse rather than drop them silently. */
        if (c->nsamples || c->memory.have || c->signals.have) return -EINVAL;
        return 0;
    }
    if ((rc = put_samples(b, c->samples, c->nsamples)) || (rc = put_usage(b, &c->memory)))
        return rc;
    return version >= WIRE_VERSION ? put_signals(b, &c->signals) : 0;
}

static int put_pod(struct outbuf *b, const struct wire_pod *p, unsigned version)
{
    int rc;

    if ((rc = put_string(b, &wire_field_uid, p->uid)) ||
        (rc = put_string(b, &wire_field_namespace, p->namespace_)) ||
        (rc = put_string(b, &wire_field_pod_name, p->name)))
        return rc;
    put_uvarint(b, p->removed);
    if (p->removed) return p->ncontainers || p->network.source ? -EINVAL : 0;
    if (p->ncontainers > WIRE_MAX_CONTAINERS || (p->ncontainers && !p->containers)) return -EINVAL;
    put_uvarint(b, p->ncontainers);
    for (size_t i = 0; i < p->ncontainers; i++)
        if ((rc = put_container(b, &p->containers[i], version))) return rc;
    if (wire_find_dup_container(p->containers, p->ncontainers) != p->ncontainers) return -EINVAL;
    return version >= WIRE_VERSION ? put_network(b, &p->network) : 0;
}

static int encode_body(const struct wire_shipment *s, struct outbuf *b)
{
    bool full = s->flags & WIRE_FULL;
    unsigned version = s->version ? s->version : WIRE_VERSION;
    uint8_t inst[8];
    size_t dup;
    int rc;

    if (s->flags & ~(uint32_t)WIRE_FULL) return -EINVAL;
    if (version != WIRE_VERSION_1 && version != WIRE_VERSION) return -EINVAL;
    if (s->seq == 0 || full != (s->base_seq == 0)) return -EINVAL;
    if (s->npods > WIRE_MAX_PODS || (s->npods && !s->pods)) return -EINVAL;

    outbuf_append(b, WIRE_MAGIC, 3);
    outbuf_putc(b, (char)version);
    put_uvarint(b, s->flags);
    if ((rc = put_string(b, &wire_field_node, s->node_name))) return rc;
    for (int i = 0; i < 8; i++)
        inst[i] = (uint8_t)(s->instance >> (8 * i));
    outbuf_append(b, inst, sizeof(inst));
    put_uvarint(b, s->seq);
    put_uvarint(b, s->base_seq);
    put_svarint(b, s->sent_ns);
    put_uvarint(b, s->ship_interval_ms);
    put_uvarint(b, s->node.cpu_cores);
    put_uvarint(b, s->node.memory_capacity);
    if ((rc = put_samples(b, s->node.samples, s->node.nsamples)) ||
        (rc = put_usage(b, &s->node.memory)))
        return rc;
    put_uvarint(b, s->npods);
    for (size_t i = 0; i < s->npods; i++)
        if ((rc = put_pod(b, &s->pods[i], version))) return rc;
    if ((rc = wire_find_dup_pod(s->pods, s->npods, &dup))) return rc;
    return dup != s->npods ? -EINVAL : 0;
}

/* Counts are checked before any array is walked: an over-limit count is refused as a whole,
 * never read past. */
static size_t total_samples(const struct wire_shipment *s)
{
    size_t n = s->node.nsamples;

    if (s->npods > WIRE_MAX_PODS) return SIZE_MAX;
    for (size_t p = 0; p < s->npods && s->pods; p++) {
        if (s->pods[p].ncontainers > WIRE_MAX_CONTAINERS) return SIZE_MAX;
        for (size_t c = 0; c < s->pods[p].ncontainers && s->pods[p].containers; c++)
            n += s->pods[p].containers[c].nsamples;
    }
    return n;
}

int wire_encode(const struct wire_shipment *s, struct outbuf *out)
{
    struct outbuf body;
    z_stream zs;
    size_t zlen;
    int rc, zr;

    if (total_samples(s) > WIRE_MAX_TOTAL_SAMPLES) return -EINVAL;
    outbuf_init(&body);
    rc = encode_body(s, &body);
    if (rc == 0 && body.failed) rc = -ENOMEM;
    if (rc == 0 && body.len > WIRE_MAX_DECOMPRESSED) rc = -EINVAL;
    if (rc) goto out;

    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, ZLIB_LEVEL, Z_DEFLATED, ZLIB_WINDOW_BITS, ZLIB_MEM_LEVEL,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        rc = -ENOMEM;
        goto out;
    }
    zlen = deflateBound(&zs, body.len);
    if (!outbuf_reserve(out, zlen)) {
        deflateEnd(&zs);
        rc = -ENOMEM;
        goto out;
    }
    /* body.len <= WIRE_MAX_DECOMPRESSED and its bound fit zlib's uInt. */
    zs.next_in = (Bytef *)body.data;
    zs.avail_in = (uInt)body.len;
    zs.next_out = (Bytef *)out->data + out->len;
    zs.avail_out = (uInt)zlen;
    zr = deflate(&zs, Z_FINISH);
    zlen = zs.total_out;
    deflateEnd(&zs);
    if (zr != Z_STREAM_END)
        rc = -ENOMEM; /* deflateBound leaves no other failure */
    else if (zlen > WIRE_MAX_COMPRESSED)
        rc = -EINVAL;
    else
        out->len += zlen;
    out->data[out->len] = '\0'; /* keep outbuf's NUL after the content */
out:
    outbuf_done(&body);
    return rc;
}
