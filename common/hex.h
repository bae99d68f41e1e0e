/* Hexadecimal digits: checking ids and uids (lower case, as runtimes and the kubelet write
 * them), turning ids into bytes and digests into text, and the digits escapes are made of. */
#ifndef KMETRICS_HEX_H
#define KMETRICS_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern const char hex_lower[16]; /* "0123456789abcdef" */
extern const char hex_upper[16]; /* "0123456789ABCDEF" */

/* Inline: ids and uids are most of a shipment's bytes, checked and decoded per container. */

/* 0-15 for [0-9a-fA-F], else -1. */
static inline int hex_value(char c)
{
    unsigned d = (unsigned)(c - '0'), l = (unsigned)((c | 0x20) - 'a');

    return d < 10 ? (int)d : l < 6 ? (int)l + 10 : -1;
}

/* [0-9a-f]. */
static inline bool hex_is_lower(char c)
{
    return (unsigned)(c - '0') < 10 || (unsigned)(c - 'a') < 6;
}

/* Whether s[0..n) is all [0-9a-f]. No early exit, so the compiler can vectorise it. */
static inline bool hex_all_lower(const char *s, size_t n)
{
    bool ok = true;

    for (size_t i = 0; i < n; i++)
        ok &= hex_is_lower(s[i]);
    return ok;
}

/* 2 * nbytes digits ([0-9a-fA-F]) into nbytes bytes; false (out undefined) on another byte. */
static inline bool hex_decode(const char *hex, size_t nbytes, uint8_t *out)
{
    bool ok = true;

    for (size_t i = 0; i < nbytes; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);

        ok &= (hi | lo) >= 0;
        out[i] = (uint8_t)(hi << 4 | (lo & 15));
    }
    return ok;
}
/* 2 * n lower-case digits and a NUL into out. */
void hex_encode(const uint8_t *in, size_t n, char *out);

#endif
