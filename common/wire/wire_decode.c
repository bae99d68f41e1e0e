/* The shipment decoder: every byte is hostile (docs/wire-format.md). */
#include "wire_decode.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "wire_check.h"

/* The smallest possible encodings, so a count is checked against the bytes left before
 * anything is allocated for it: a pod is a 32-hex uid, two empty names and a removed flag; a
 * container a 64-hex id, an empty name and a flag; a sample two one-byte varints. */
#define MIN_POD_BYTES (1 + 32 + 1 + 1 + 1)
#define MIN_CONTAINER_BYTES (1 + WIRE_ID_LEN + 1 + 1)
#define MIN_SAMPLE_BYTES 2

void wire_arena_init(struct wire_arena *a)
{
    memset(a, 0, sizeof(*a));
}

void wire_arena_done(struct wire_arena *a)
{
    for (size_t i = 0; i < a->nblocks; i++)
        free(a->blocks[i]);
    free(a->blocks);
    wire_arena_init(a);
}

static bool arena_push(struct wire_arena *a, void *p)
{
    if (a->nblocks == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        void **v = realloc(a->blocks, cap * sizeof(*v));

        if (!v) return false;
        a->blocks = v;
        a->cap = cap;
    }
    a->blocks[a->nblocks++] = p;
    return true;
}

/* ---- decoder --------------------------------------------------------------------------- */

#define NONE SIZE_MAX
#define CHUNK_MIN 4096u
#define CHUNK_MAX (1u << 20)
#define BIG_ALLOC 4096u /* gets its own block, so chunks are not left half empty */

struct dec {
    const uint8_t *p, *end;
    struct wire_arena *a;
    /* This decode's bump chunk; chunks from earlier decodes are never touched, so an error
     * can drop exactly the blocks it added. */
    unsigned char *chunk;
    size_t used, cap, next_chunk;
    size_t pod, cont; /* where we are, for messages */
    size_t total_samples;
    char *err;
    size_t errlen;
};

__attribute__((format(printf, 3, 4))) static int fail(struct dec *d, int rc, const char *fmt, ...)
{
    va_list ap;
    int n = 0;

    if (!d->err || d->errlen == 0) return rc;
    if (d->pod != NONE && d->cont != NONE)
        n = snprintf(d->err, d->errlen, "pod %zu container %zu: ", d->pod, d->cont);
    else if (d->pod != NONE)
        n = snprintf(d->err, d->errlen, "pod %zu: ", d->pod);
    if (n < 0) n = 0;
    if ((size_t)n < d->errlen) {
        va_start(ap, fmt);
        vsnprintf(d->err + n, d->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static void *arena_alloc(struct dec *d, size_t size, size_t align)
{
    size_t at = (d->used + align - 1) & ~(align - 1);
    void *p;

    if (d->chunk && at <= d->cap && size <= d->cap - at) {
        d->used = at + size;
        return d->chunk + at;
    }
    if (size >= BIG_ALLOC) {
        p = malloc(size);
        if (p && !arena_push(d->a, p)) {
            free(p);
            p = NULL;
        }
        return p;
    }
    p = malloc(d->next_chunk);
    if (!p || !arena_push(d->a, p)) {
        free(p);
        return NULL;
    }
    d->chunk = p;
    d->cap = d->next_chunk;
    d->used = size;
    if (d->next_chunk < CHUNK_MAX) d->next_chunk *= 2;
    return p;
}

static void *arena_zalloc(struct dec *d, size_t size)
{
    void *p = arena_alloc(d, size, _Alignof(max_align_t));

    if (p) memset(p, 0, size);
    return p;
}

static size_t left(const struct dec *d)
{
    return (size_t)(d->end - d->p);
}

static int rd_uvarint(struct dec *d, uint64_t *v, const char *what)
{
    uint64_t r = 0;

    for (unsigned i = 0;; i++) {
        uint8_t b;

        if (d->p == d->end) return fail(d, -EINVAL, "truncated in %s", what);
        b = *d->p++;
        if (i == 9 && b > 1) /* the tenth byte holds bit 63 only */
            return fail(d, -EINVAL, "%s: varint %s", what,
                        b & 0x80 ? "longer than 10 bytes" : "overflows 64 bits");
        r |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
    }
}

static int rd_svarint(struct dec *d, int64_t *v, const char *what)
{
    uint64_t u;
    int rc = rd_uvarint(d, &u, what);

    if (rc == 0) *v = (int64_t)((u >> 1) ^ (0 - (u & 1)));
    return rc;
}

static int rd_flag(struct dec *d, bool *v, const char *what)
{
    uint64_t u;
    int rc = rd_uvarint(d, &u, what);

    if (rc) return rc;
    if (u > 1) return fail(d, -EINVAL, "%s is %" PRIu64 ", not 0 or 1", what, u);
    *v = u;
    return 0;
}

/* Length against the field's limit and the bytes left, content against its rule, and only
 * then a NUL-terminated copy in the arena. */
static int rd_string(struct dec *d, const struct wire_field *f, const char **out)
{
    uint64_t n;
    char *s;
    int rc = rd_uvarint(d, &n, f->name);

    if (rc) return rc;
    if (n > f->max)
        return fail(d, -EINVAL, "%s is %" PRIu64 " bytes, over %zu", f->name, n, f->max);
    if (n > left(d)) return fail(d, -EINVAL, "truncated in %s", f->name);
    if (!f->ok((const char *)d->p, n)) return fail(d, -EINVAL, "%s %s", f->name, f->rule);
    s = arena_alloc(d, n + 1, 1);
    if (!s) return fail(d, -ENOMEM, "out of memory");
    memcpy(s, d->p, n);
    s[n] = '\0';
    d->p += n;
    *out = s;
    return 0;
}

static int rd_samples(struct dec *d, const struct wire_sample **out, size_t *nout, const char *what)
{
    struct wire_sample *s;
    uint64_t n, dt;
    int64_t du;
    int rc;

    if ((rc = rd_uvarint(d, &n, what))) return rc;
    if (n > WIRE_MAX_SAMPLES)
        return fail(d, -EINVAL, "%" PRIu64 " %s, over the limit of %d", n, what, WIRE_MAX_SAMPLES);
    if (n > left(d) / MIN_SAMPLE_BYTES)
        return fail(d, -EINVAL, "truncated in %s: %" PRIu64 " in %zu bytes", what, n, left(d));
    /* Samples take 16 bytes decoded but can be 2 on the wire: bound the total, so a hostile
     * shipment cannot make the arena 8 times its inflated size. */
    d->total_samples += n;
    if (d->total_samples > WIRE_MAX_TOTAL_SAMPLES)
        return fail(d, -EINVAL, "more than %d samples in one shipment", WIRE_MAX_TOTAL_SAMPLES);
    if (n == 0) return 0;
    s = arena_alloc(d, n * sizeof(*s), _Alignof(struct wire_sample));
    if (!s) return fail(d, -ENOMEM, "out of memory");
    if ((rc = rd_svarint(d, &s[0].real_ns, what)) || (rc = rd_uvarint(d, &s[0].usage_usec, what)))
        return rc;
    for (size_t i = 1; i < n; i++) {
        uint64_t prev = s[i - 1].usage_usec;

        if ((rc = rd_uvarint(d, &dt, what)) || (rc = rd_svarint(d, &du, what))) return rc;
        if (dt == 0) return fail(d, -EINVAL, "%s not in increasing time order", what);
        /* Headroom to INT64_MAX, exact in unsigned arithmetic even for negative times. */
        if (dt > (uint64_t)INT64_MAX - (uint64_t)s[i - 1].real_ns)
            return fail(d, -EINVAL, "%s: time overflows", what);
        if (du >= 0 ? (uint64_t)du > UINT64_MAX - prev : 0 - (uint64_t)du > prev)
            return fail(d, -EINVAL, "%s: cpu usage out of range", what);
        s[i].real_ns = (int64_t)((uint64_t)s[i - 1].real_ns + dt);
        s[i].usage_usec = prev + (uint64_t)du;
    }
    *out = s;
    *nout = n;
    return 0;
}

static int rd_usage(struct dec *d, struct wire_usage *u)
{
    uint64_t have;
    int rc;

    if ((rc = rd_uvarint(d, &have, "memory"))) return rc;
    if (have & ~(uint64_t)(WIRE_HAVE_WORKING_SET | WIRE_HAVE_RSS | WIRE_HAVE_SWAP))
        return fail(d, -EINVAL, "memory has unknown bits %#" PRIx64, have);
    u->have = (uint32_t)have;
    if ((have & WIRE_HAVE_WORKING_SET) && (rc = rd_uvarint(d, &u->working_set, "memory")))
        return rc;
    if ((have & WIRE_HAVE_RSS) && (rc = rd_uvarint(d, &u->rss, "memory"))) return rc;
    if ((have & WIRE_HAVE_SWAP) && (rc = rd_uvarint(d, &u->swap, "memory"))) return rc;
    return 0;
}

static int rd_u32(struct dec *d, uint32_t *v, const char *what)
{
    uint64_t u;
    int rc = rd_uvarint(d, &u, what);

    if (rc) return rc;
    if (u > UINT32_MAX) return fail(d, -EINVAL, "%s %" PRIu64 " out of range", what, u);
    *v = (uint32_t)u;
    return 0;
}

static int rd_signals(struct dec *d, struct wire_signals *s)
{
    static const char *const stall[WIRE_PRESSURES] = {"cpu pressure", "memory pressure",
                                                      "io pressure"};
    const char *problem;
    int rc;

    if ((rc = rd_u32(d, &s->have, "signals"))) return rc;
    if (s->have & ~(uint32_t)WIRE_SIG_ALL)
        return fail(d, -EINVAL, "signals have unknown bits %#x", s->have);
    if (s->have == 0) return 0;
    if ((rc = rd_svarint(d, &s->end_real_ns, "signals")) ||
        (rc = rd_u32(d, &s->window_ms, "signal window")))
        return rc;
    for (int k = 0; k < WIRE_PRESSURES; k++)
        if ((s->have & (WIRE_SIG_CPU_PRESSURE << k)) &&
            ((rc = rd_u32(d, &s->stall_some_usec[k], stall[k])) ||
             (rc = rd_u32(d, &s->stall_full_usec[k], stall[k]))))
            return rc;
    if ((s->have & WIRE_SIG_THROTTLING) && ((rc = rd_u32(d, &s->periods, "throttling")) ||
                                            (rc = rd_u32(d, &s->throttled_periods, "throttling")) ||
                                            (rc = rd_u32(d, &s->throttled_usec, "throttling"))))
        return rc;
    if ((s->have & WIRE_SIG_OOM) && ((rc = rd_u32(d, &s->oom_kills, "oom kills")) ||
                                     (rc = rd_u32(d, &s->oom_kills_total, "oom kills"))))
        return rc;
    if ((s->have & WIRE_SIG_RUNQ) && ((rc = rd_u32(d, &s->runq_waits, "run-queue latency")) ||
                                      (rc = rd_u32(d, &s->runq_p50_us, "run-queue latency")) ||
                                      (rc = rd_u32(d, &s->runq_p99_us, "run-queue latency"))))
        return rc;
    if ((problem = wire_signals_problem(s))) return fail(d, -EINVAL, "%s", problem);
    return 0;
}

static int rd_network(struct dec *d, struct wire_network *n)
{
    uint64_t *figures[] = {&n->rx_bytes, &n->rx_packets, &n->rx_drops,
                           &n->tx_bytes, &n->tx_packets, &n->tx_drops};
    const char *problem;
    int rc;

    if ((rc = rd_u32(d, &n->source, "network source"))) return rc;
    if (n->source >= WIRE_NET_SOURCES)
        return fail(d, -EINVAL, "unknown network source %u", n->source);
    if (!wire_network_has_figures(n->source)) return 0;
    if ((rc = rd_svarint(d, &n->end_real_ns, "network")) ||
        (rc = rd_u32(d, &n->window_ms, "network window")))
        return rc;
    for (size_t i = 0; i < sizeof(figures) / sizeof(figures[0]); i++)
        if ((rc = rd_uvarint(d, figures[i], "network"))) return rc;
    if ((problem = wire_network_problem(n))) return fail(d, -EINVAL, "%s", problem);
    return 0;
}

static int rd_container(struct dec *d, struct wire_container *c, unsigned version)
{
    int rc;

    if ((rc = rd_string(d, &wire_field_id, &c->id)) ||
        (rc = rd_string(d, &wire_field_container_name, &c->name)) ||
        (rc = rd_flag(d, &c->removed, "container removed flag")))
        return rc;
    if (c->removed) return 0;
    if ((rc = rd_samples(d, &c->samples, &c->nsamples, "samples")) ||
        (rc = rd_usage(d, &c->memory)))
        return rc;
    return version >= WIRE_VERSION ? rd_signals(d, &c->signals) : 0;
}

static int rd_pod(struct dec *d, struct wire_pod *p, unsigned version)
{
    struct wire_container *c;
    uint64_t n;
    size_t dup;
    int rc;

    if ((rc = rd_string(d, &wire_field_uid, &p->uid)) ||
        (rc = rd_string(d, &wire_field_namespace, &p->namespace_)) ||
        (rc = rd_string(d, &wire_field_pod_name, &p->name)) ||
        (rc = rd_flag(d, &p->removed, "pod removed flag")))
        return rc;
    if (p->removed) return 0;
    if ((rc = rd_uvarint(d, &n, "container count"))) return rc;
    if (n > WIRE_MAX_CONTAINERS)
        return fail(d, -EINVAL, "%" PRIu64 " containers, over the limit of %d", n,
                    WIRE_MAX_CONTAINERS);
    if (n > left(d) / MIN_CONTAINER_BYTES)
        return fail(d, -EINVAL, "truncated in containers: %" PRIu64 " in %zu bytes", n, left(d));
    if (n == 0) goto network;
    c = arena_zalloc(d, n * sizeof(*c));
    if (!c) return fail(d, -ENOMEM, "out of memory");
    for (d->cont = 0; d->cont < n; d->cont++)
        if ((rc = rd_container(d, &c[d->cont], version))) return rc;
    d->cont = NONE;
    p->containers = c;
    p->ncontainers = n;
    dup = wire_find_dup_container(c, n);
    if (dup != n) return fail(d, -EINVAL, "container %zu repeats an earlier container id", dup);
network:
    return version >= WIRE_VERSION ? rd_network(d, &p->network) : 0;
}

static int rd_shipment(struct dec *d, struct wire_shipment *s)
{
    struct wire_pod *pods;
    uint64_t v;
    size_t dup;
    int rc;

    if (left(d) < WIRE_HEADER_LEN) return fail(d, -EINVAL, "truncated in header");
    if (memcmp(d->p, WIRE_MAGIC, 3) != 0) return fail(d, -EPROTO, "bad magic");
    if (d->p[3] != WIRE_VERSION_1 && d->p[3] != WIRE_VERSION)
        return fail(d, -EPROTO, "unsupported version %u", d->p[3]);
    s->version = d->p[3];
    d->p += WIRE_HEADER_LEN;

    if ((rc = rd_uvarint(d, &v, "flags"))) return rc;
    if (v & ~(uint64_t)WIRE_FULL) return fail(d, -EINVAL, "unknown flags %#" PRIx64, v);
    s->flags = (uint32_t)v;
    if ((rc = rd_string(d, &wire_field_node, &s->node_name))) return rc;
    if (left(d) < 8) return fail(d, -EINVAL, "truncated in instance");
    for (int i = 0; i < 8; i++)
        s->instance |= (uint64_t)d->p[i] << (8 * i);
    d->p += 8;
    if ((rc = rd_uvarint(d, &s->seq, "seq")) || (rc = rd_uvarint(d, &s->base_seq, "base_seq")) ||
        (rc = rd_svarint(d, &s->sent_ns, "sent_ns")) ||
        (rc = rd_uvarint(d, &v, "ship_interval_ms")))
        return rc;
    if (v > WIRE_MAX_SHIP_INTERVAL_MS)
        return fail(d, -EINVAL, "ship interval %" PRIu64 " ms out of range", v);
    s->ship_interval_ms = (uint32_t)v;
    if (s->seq == 0) return fail(d, -EINVAL, "seq is 0");
    if ((s->flags & WIRE_FULL) && s->base_seq != 0)
        return fail(d, -EINVAL, "full shipment with base_seq %" PRIu64, s->base_seq);
    if (!(s->flags & WIRE_FULL) && s->base_seq == 0)
        return fail(d, -EINVAL, "delta shipment with base_seq 0");

    if ((rc = rd_uvarint(d, &v, "node cpu_cores"))) return rc;
    if (v > UINT32_MAX) return fail(d, -EINVAL, "node cpu_cores %" PRIu64 " out of range", v);
    s->node.cpu_cores = (uint32_t)v;
    if ((rc = rd_uvarint(d, &s->node.memory_capacity, "node memory_capacity")) ||
        (rc = rd_samples(d, &s->node.samples, &s->node.nsamples, "node samples")) ||
        (rc = rd_usage(d, &s->node.memory)))
        return rc;

    if ((rc = rd_uvarint(d, &v, "pod count"))) return rc;
    if (v > WIRE_MAX_PODS)
        return fail(d, -EINVAL, "%" PRIu64 " pods, over the limit of %d", v, WIRE_MAX_PODS);
    if (v > left(d) / MIN_POD_BYTES)
        return fail(d, -EINVAL, "truncated in pods: %" PRIu64 " in %zu bytes", v, left(d));
    if (v == 0) goto end;
    pods = arena_zalloc(d, v * sizeof(*pods));
    if (!pods) return fail(d, -ENOMEM, "out of memory");
    for (d->pod = 0; d->pod < v; d->pod++)
        if ((rc = rd_pod(d, &pods[d->pod], s->version))) return rc;
    d->pod = NONE;
    s->pods = pods;
    s->npods = v;
    if ((rc = wire_find_dup_pod(pods, v, &dup))) return fail(d, rc, "out of memory");
    if (dup != v) return fail(d, -EINVAL, "pod %zu repeats an earlier pod uid", dup);
end:
    if (left(d)) return fail(d, -EINVAL, "%zu trailing bytes after the last pod", left(d));
    return 0;
}

/* Inflates into a buffer that grows to at most WIRE_MAX_DECOMPRESSED; once full, one probe
 * byte tells a stream that ends exactly there from a bomb. */
static int inflate_body(struct dec *d, const void *data, size_t len, uint8_t **bodyp, size_t *blenp)
{
    z_stream zs;
    uint8_t *buf, probe;
    size_t n = 0, cap;
    int rc = 0, zr;

    cap = len > WIRE_MAX_DECOMPRESSED / 4 ? WIRE_MAX_DECOMPRESSED : len * 4;
    if (cap < 4096) cap = 4096;
    buf = malloc(cap);
    memset(&zs, 0, sizeof(zs));
    if (!buf || inflateInit(&zs) != Z_OK) {
        free(buf);
        return fail(d, -ENOMEM, "out of memory");
    }
    zs.next_in = (Bytef *)(uintptr_t)data; /* zlib's next_in is not const */
    zs.avail_in = (uInt)len;               /* len <= WIRE_MAX_COMPRESSED */
    for (;;) {
        bool probing;

        if (n == cap && cap < WIRE_MAX_DECOMPRESSED) {
            size_t ncap = cap > WIRE_MAX_DECOMPRESSED / 2 ? WIRE_MAX_DECOMPRESSED : cap * 2;
            uint8_t *nb = realloc(buf, ncap);

            if (!nb) {
                rc = fail(d, -ENOMEM, "out of memory");
                break;
            }
            buf = nb;
            cap = ncap;
        }
        probing = n == cap;
        zs.next_out = probing ? &probe : buf + n;
        zs.avail_out = probing ? 1 : (uInt)(cap - n);
        zr = inflate(&zs, Z_NO_FLUSH);
        if (probing && zs.avail_out == 0) {
            rc = fail(d, -EFBIG, "inflates past %u bytes", WIRE_MAX_DECOMPRESSED);
            break;
        }
        if (!probing) n = cap - zs.avail_out;
        if (zr == Z_STREAM_END) {
            if (zs.avail_in)
                rc = fail(d, -EINVAL, "%u bytes after the end of the zlib stream", zs.avail_in);
            break;
        }
        if (zr == Z_OK) continue;
        if (zr == Z_BUF_ERROR && zs.avail_in == 0) {
            rc = fail(d, -EINVAL, "zlib stream does not end");
            break;
        }
        if (zr == Z_BUF_ERROR) continue; /* output full: grow or probe */
        if (zr == Z_MEM_ERROR)
            rc = fail(d, -ENOMEM, "out of memory");
        else
            rc = fail(d, -EINVAL, "bad zlib stream (%s)", zs.msg ? zs.msg : "needs a dictionary");
        break;
    }
    inflateEnd(&zs);
    if (rc) {
        free(buf);
        return rc;
    }
    *bodyp = buf;
    *blenp = n;
    return 0;
}

int wire_decode(const void *data, size_t len, struct wire_shipment *out, struct wire_arena *arena,
                char *err, size_t errlen)
{
    struct dec d = {.a = arena, .pod = NONE, .cont = NONE, .err = err, .errlen = errlen};
    struct wire_shipment s;
    size_t nblocks0 = arena->nblocks, blen;
    uint8_t *body;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&s, 0, sizeof(s));
    if (err && errlen) err[0] = '\0';
    if (len > WIRE_MAX_COMPRESSED)
        return fail(&d, -EMSGSIZE, "%zu bytes, over the limit of %u", len, WIRE_MAX_COMPRESSED);
    if ((rc = inflate_body(&d, data, len, &body, &blen))) return rc;

    d.p = body;
    d.end = body + blen;
    d.next_chunk = blen < CHUNK_MIN ? CHUNK_MIN : blen > CHUNK_MAX ? CHUNK_MAX : blen;
    rc = rd_shipment(&d, &s);
    free(body);
    if (rc) {
        /* Drop what this decode added; earlier decodes in the same arena stay valid. */
        for (size_t i = nblocks0; i < arena->nblocks; i++)
            free(arena->blocks[i]);
        arena->nblocks = nblocks0;
        return rc;
    }
    *out = s;
    return 0;
}
