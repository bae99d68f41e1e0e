/* PSI files: "some|full avg10=… avg60=… avg300=… total=N" lines, totals kept. */
#include "pressure_parse.h"

#include <errno.h>
#include <string.h>

#include "stat_parse.h"

/* The total of one line, or -EINVAL: the line starts with its kind and a space, and its last
 * field is "total=" and digits. */
static int line_total(const char *line, size_t n, uint64_t *out)
{
    static const char key[] = " total=";
    const char *p = NULL;

    /* The last " total=" in the line: the averages before it cannot contain one. */
    for (size_t i = n; i-- > 0;) {
        if (line[i] == ' ') {
            p = line + i;
            break;
        }
    }
    if (!p || (size_t)(line + n - p) <= sizeof(key) - 1 || memcmp(p, key, sizeof(key) - 1) != 0)
        return -EINVAL;
    p += sizeof(key) - 1;
    return parse_u64(p, (size_t)(line + n - p), out);
}

int parse_pressure(const char *buf, size_t len, int truncated, struct pressure *out)
{
    size_t pos = 0;

    memset(out, 0, sizeof(*out));
    while (pos < len) {
        const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        uint64_t v;

        pos += n + 1;
        if (!nl && truncated) break; /* the last number may be cut short */
        if (n < 5 || line[4] != ' ' || line_total(line, n, &v) != 0) continue;
        if (memcmp(line, "some", 4) == 0 && !out->has_some) {
            out->some_usec = v;
            out->has_some = true;
        } else if (memcmp(line, "full", 4) == 0 && !out->has_full) {
            out->full_usec = v;
            out->has_full = true;
        }
    }
    return out->has_some ? 0 : -EINVAL;
}
