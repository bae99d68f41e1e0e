#include "hex.h"

const char hex_lower[16] = "0123456789abcdef";
const char hex_upper[16] = "0123456789ABCDEF";

int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool hex_is_lower(char c)
{
    return (unsigned)(c - '0') < 10 || (unsigned)(c - 'a') < 6;
}

bool hex_all_lower(const char *s, size_t n)
{
    bool ok = true;

    for (size_t i = 0; i < n; i++)
        ok &= hex_is_lower(s[i]);
    return ok;
}

bool hex_decode(const char *hex, size_t nbytes, uint8_t *out)
{
    for (size_t i = 0; i < nbytes; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);

        if (hi < 0 || lo < 0) return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

void hex_encode(const uint8_t *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex_lower[in[i] >> 4];
        out[2 * i + 1] = hex_lower[in[i] & 15];
    }
    out[2 * n] = '\0';
}
