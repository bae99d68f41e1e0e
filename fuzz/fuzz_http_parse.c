/* Fuzzes request-metadata parsing: Accept negotiation and query parameter decoding never read
 * past the input, and a decoded value never holds a NUL or overflows its buffer. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = {"labelSelector", "fieldSelector", "verbose", "a", ""};
    char *buf = malloc(size ? size : 1), out[64];

    if (!buf) return 0;
    memcpy(buf, data, size);
    enum media m = negotiate_accept(buf, size, size & 1);
    if (m < MEDIA_NONE || m > MEDIA_LAST) abort();
    if (!(size & 1) && (m == MEDIA_TABLE_V1 || m == MEDIA_TABLE_V1BETA1))
        abort(); /* Table only where allowed */
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        int n = query_param(buf, size, keys[k], out, sizeof(out));
        if (n >= 0 && ((size_t)n >= sizeof(out) || strlen(out) != (size_t)n)) abort();
        if (n < 0 && n != -ENOENT && n != -EINVAL && n != -E2BIG) abort();
    }
    free(buf);
    return 0;
}
