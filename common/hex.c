#include "hex.h"

const char hex_lower[16] = "0123456789abcdef";
const char hex_upper[16] = "0123456789ABCDEF";

void hex_encode(const uint8_t *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex_lower[in[i] >> 4];
        out[2 * i + 1] = hex_lower[in[i] & 15];
    }
    out[2 * n] = '\0';
}
