/* Hexadecimal digits: checking ids and uids (lower case, as runtimes and the kubelet write
 * them), turning ids into bytes and digests into text, and the digits escapes are made of. */
#ifndef KMETRICS_HEX_H
#define KMETRICS_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern const char hex_lower[16]; /* "0123456789abcdef" */
extern const char hex_upper[16]; /* "0123456789ABCDEF" */

/* 0-15 for [0-9a-fA-F], else -1. */
int hex_value(char c);
/* [0-9a-f]. */
bool hex_is_lower(char c);
/* Whether s[0..n) is all [0-9a-f]. No early exit, so the compiler can vectorise it: ids and
 * uids are most of a shipment's bytes. */
bool hex_all_lower(const char *s, size_t n);
/* 2 * nbytes digits ([0-9a-fA-F]) into nbytes bytes; false (out undefined) on another byte. */
bool hex_decode(const char *hex, size_t nbytes, uint8_t *out);
/* 2 * n lower-case digits and a NUL into out. */
void hex_encode(const uint8_t *in, size_t n, char *out);

#endif
