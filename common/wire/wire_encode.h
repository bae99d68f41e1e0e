/* The collector's half of the shipment format: encoding (docs/wire-format.md). */
#ifndef KMETRICS_WIRE_ENCODE_H
#define KMETRICS_WIRE_ENCODE_H

#include "outbuf.h"
#include "wire.h"

/* Appends the compressed encoding of s to out. Returns 0, or -EINVAL for a shipment that
 * breaks the limits of wire.h (the encoder enforces what the decoder checks), -ENOMEM. */
int wire_encode(const struct wire_shipment *s, struct outbuf *out);

#endif
