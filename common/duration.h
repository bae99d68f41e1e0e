/* Durations on the command line, in Go's syntax ("100ms", "1.5s", "1m30s"). */
#ifndef KMETRICS_DURATION_H
#define KMETRICS_DURATION_H

#include <stdint.h>

/* Parses s into nanoseconds. Units ns, us, ms, s, m, h; decimal fractions allowed; a bare
 * number is seconds. Returns 0, or -EINVAL (syntax, negative) / -ERANGE (over ~292 years). */
int duration_parse(const char *s, int64_t *out_ns);

#endif
