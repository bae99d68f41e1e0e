/* The aggregator's half of the shipment format: decoding, treating every byte as hostile.
 * Sizes, counts, names and the decompressed size are all bounded, and nothing is stored from
 * a shipment that fails to decode (docs/wire-format.md). */
#ifndef KMETRICS_WIRE_DECODE_H
#define KMETRICS_WIRE_DECODE_H

#include <stddef.h>

#include "wire.h"

/* Everything a decoded shipment points to lives in the arena; it goes with the arena. */
struct wire_arena {
    void **blocks;
    size_t nblocks;
    size_t cap;
};
void wire_arena_init(struct wire_arena *a);
void wire_arena_done(struct wire_arena *a);

/* Decodes a compressed shipment. Returns 0, or a negative errno with a one-line reason in
 * err: -EMSGSIZE (over WIRE_MAX_COMPRESSED), -EFBIG (inflates past WIRE_MAX_DECOMPRESSED),
 * -EPROTO (unknown magic or version), -EINVAL (malformed: truncated, bad counts, bad
 * names or ids, samples out of order, trailing bytes). */
int wire_decode(const void *data, size_t len, struct wire_shipment *out, struct wire_arena *arena,
                char *err, size_t errlen);

#endif
