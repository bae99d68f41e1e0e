#include "duration.h"

#include <errno.h>
#include <string.h>

static const struct {
    const char *name;
    int64_t ns;
} units[] = {
    {"ns", 1},         {"us", 1000},       {"ms", 1000000},
    {"s", 1000000000}, {"m", 60000000000}, {"h", 3600000000000},
};

int duration_parse(const char *s, int64_t *out_ns)
{
    int64_t total = 0;

    if (!s || !*s) return -EINVAL;
    while (*s) {
        uint64_t whole = 0, frac = 0, frac_scale = 1;
        int digits = 0;
        size_t ulen = 0;
        int64_t unit = 1000000000;
        __int128 part;

        while (*s >= '0' && *s <= '9') {
            if (whole > UINT64_MAX / 10 / 4) return -ERANGE;
            whole = whole * 10 + (uint64_t)(*s++ - '0');
            digits++;
        }
        if (*s == '.') {
            s++;
            while (*s >= '0' && *s <= '9') {
                if (frac_scale < 1000000000000000000ull) {
                    frac = frac * 10 + (uint64_t)(*s - '0');
                    frac_scale *= 10;
                }
                s++;
                digits++;
            }
        }
        if (digits == 0) return -EINVAL;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            size_t l = strlen(units[i].name);
            /* Longest match: "ms" before "m". */
            if (strncmp(s, units[i].name, l) == 0 && l > ulen) {
                ulen = l;
                unit = units[i].ns;
            }
        }
        /* A bare number (seconds) is only valid as the whole string. */
        if (ulen == 0 && (*s || total != 0 || s[-1] == '.')) return -EINVAL;
        s += ulen;
        part = (__int128)whole * unit + (__int128)frac * unit / (__int128)frac_scale;
        if (part > INT64_MAX || total + part > INT64_MAX) return -ERANGE;
        total += (int64_t)part;
        if (ulen == 0) break; /* a bare number ends the string */
    }
    *out_ns = total;
    return 0;
}
