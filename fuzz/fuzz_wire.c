/* Feeds the input to wire_decode twice: as the zlib stream itself, and as the uncompressed
 * body, compressed here first so the fuzzer reaches the parser without having to produce valid
 * zlib. Whatever decodes must meet the format's rules, re-encode, and decode to the same
 * fields; whatever fails must leave nothing behind. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "wire/wire_decode.h"
#include "wire/wire_encode.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_samples(const struct wire_sample *s, size_t n)
{
    CHECK(n <= WIRE_MAX_SAMPLES);
    CHECK(n == 0 || s != NULL);
    for (size_t i = 1; i < n; i++)
        CHECK(s[i].real_ns > s[i - 1].real_ns);
}

static void check_usage(const struct wire_usage *u)
{
    CHECK(u->have <= (WIRE_HAVE_WORKING_SET | WIRE_HAVE_RSS | WIRE_HAVE_SWAP));
    /* figures that were not sent read as 0 */
    CHECK((u->have & WIRE_HAVE_WORKING_SET) || u->working_set == 0);
    CHECK((u->have & WIRE_HAVE_RSS) || u->rss == 0);
    CHECK((u->have & WIRE_HAVE_SWAP) || u->swap == 0);
}

#include "wire/wire_check.h"

/* Version 2's signals and traffic meet the format's rules; version 1 has none. */
static void check_signals(const struct wire_shipment *s, const struct wire_signals *g,
                          const struct wire_network *n)
{
    if (s->version == WIRE_VERSION_1) {
        CHECK(g->have == 0 && n->source == WIRE_NET_NONE);
        return;
    }
    CHECK(wire_signals_problem(g) == NULL && wire_network_problem(n) == NULL);
    CHECK(g->have || (g->window_ms == 0 && g->end_real_ns == 0));
}

/* The rules a decoded shipment must meet; the names' own syntax is checked by re-encoding. */
static void check_valid(const struct wire_shipment *s)
{
    CHECK(s->version == WIRE_VERSION_1 || s->version == WIRE_VERSION);
    CHECK((s->flags & ~(uint32_t)WIRE_FULL) == 0);
    CHECK(s->seq > 0);
    CHECK(((s->flags & WIRE_FULL) != 0) == (s->base_seq == 0));
    CHECK(s->node_name && strlen(s->node_name) >= 1 && strlen(s->node_name) <= 253);
    check_samples(s->node.samples, s->node.nsamples);
    check_usage(&s->node.memory);
    CHECK(s->npods <= WIRE_MAX_PODS);
    CHECK(s->npods == 0 || s->pods != NULL);
    for (size_t i = 0; i < s->npods; i++) {
        const struct wire_pod *p = &s->pods[i];
        size_t ul = strlen(p->uid);

        CHECK(ul == 32 || ul == 36);
        CHECK(strlen(p->namespace_) <= WIRE_LABEL_MAX && strlen(p->name) <= WIRE_POD_NAME_MAX);
        CHECK(p->ncontainers <= WIRE_MAX_CONTAINERS);
        CHECK(!p->removed || (p->ncontainers == 0 && p->network.source == WIRE_NET_NONE));
        check_signals(s, &(struct wire_signals){0}, &p->network);
        for (size_t k = 0; k < i; k++)
            CHECK(strcmp(s->pods[k].uid, p->uid) != 0);
        for (size_t j = 0; j < p->ncontainers; j++) {
            const struct wire_container *c = &p->containers[j];

            CHECK(strlen(c->id) == WIRE_ID_LEN && strlen(c->name) <= WIRE_LABEL_MAX);
            CHECK(!c->removed || (c->nsamples == 0 && c->memory.have == 0));
            check_samples(c->samples, c->nsamples);
            check_usage(&c->memory);
            check_signals(s, &c->signals, &(struct wire_network){0});
            CHECK(!c->removed || c->signals.have == 0);
            for (size_t k = 0; k < j; k++)
                CHECK(strcmp(p->containers[k].id, c->id) != 0);
        }
    }
}

static void check_same_samples(const struct wire_sample *a, size_t na, const struct wire_sample *b,
                               size_t nb)
{
    CHECK(na == nb);
    for (size_t i = 0; i < na; i++)
        CHECK(a[i].real_ns == b[i].real_ns && a[i].usage_usec == b[i].usage_usec);
}

static void check_same_usage(const struct wire_usage *a, const struct wire_usage *b)
{
    CHECK(a->have == b->have && a->working_set == b->working_set && a->rss == b->rss &&
          a->swap == b->swap);
}

static void check_same(const struct wire_shipment *a, const struct wire_shipment *b)
{
    CHECK(a->version == b->version);
    CHECK(a->flags == b->flags && a->instance == b->instance && a->seq == b->seq &&
          a->base_seq == b->base_seq && a->sent_ns == b->sent_ns);
    CHECK(strcmp(a->node_name, b->node_name) == 0);
    CHECK(a->node.cpu_cores == b->node.cpu_cores &&
          a->node.memory_capacity == b->node.memory_capacity);
    check_same_samples(a->node.samples, a->node.nsamples, b->node.samples, b->node.nsamples);
    check_same_usage(&a->node.memory, &b->node.memory);
    CHECK(a->npods == b->npods);
    for (size_t i = 0; i < a->npods; i++) {
        const struct wire_pod *p = &a->pods[i], *q = &b->pods[i];

        CHECK(strcmp(p->uid, q->uid) == 0 && strcmp(p->namespace_, q->namespace_) == 0 &&
              strcmp(p->name, q->name) == 0);
        CHECK(p->removed == q->removed && p->ncontainers == q->ncontainers);
        CHECK(memcmp(&p->network, &q->network, sizeof(p->network)) == 0);
        for (size_t j = 0; j < p->ncontainers; j++) {
            const struct wire_container *c = &p->containers[j], *d = &q->containers[j];

            CHECK(strcmp(c->id, d->id) == 0 && strcmp(c->name, d->name) == 0);
            CHECK(c->removed == d->removed);
            check_same_samples(c->samples, c->nsamples, d->samples, d->nsamples);
            check_same_usage(&c->memory, &d->memory);
            CHECK(memcmp(&c->signals, &d->signals, sizeof(c->signals)) == 0);
        }
    }
}

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++)
        if (b[i]) return false;
    return true;
}

static void decode_one(const uint8_t *data, size_t size)
{
    struct wire_shipment s, again;
    struct wire_arena a, a2;
    struct outbuf z;
    char err[256];
    int rc;

    wire_arena_init(&a);
    rc = wire_decode(data, size, &s, &a, err, sizeof(err));
    if (rc) {
        CHECK(rc == -EINVAL || rc == -EPROTO || rc == -EFBIG || rc == -EMSGSIZE);
        CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
        CHECK(a.nblocks == 0 && all_zero(&s, sizeof(s)));
        wire_arena_done(&a);
        return;
    }
    check_valid(&s);
    /* round trip: the encoder takes everything the decoder accepts */
    outbuf_init(&z);
    CHECK(wire_encode(&s, &z) == 0);
    wire_arena_init(&a2);
    rc = wire_decode(z.data, z.len, &again, &a2, err, sizeof(err));
    if (rc) fprintf(stderr, "fuzz_wire: re-encoded shipment refused: %s\n", err);
    CHECK(rc == 0);
    check_same(&s, &again);
    wire_arena_done(&a2);
    outbuf_done(&z);
    wire_arena_done(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct outbuf z;
    uLongf zlen = compressBound(size);

    decode_one(data, size);

    outbuf_init(&z);
    CHECK(outbuf_reserve(&z, zlen));
    CHECK(compress2((Bytef *)z.data, &zlen, size ? data : (const Bytef *)"", size, 1) == Z_OK);
    decode_one((const uint8_t *)z.data, zlen);
    outbuf_done(&z);
    return 0;
}
