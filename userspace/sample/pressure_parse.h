/* Parser for the kernel's pressure stall information (PSI) files: cpu.pressure,
 * memory.pressure and io.pressure in each cgroup v2 directory, and those in /proc/pressure.
 *
 *   some avg10=0.00 avg60=0.00 avg300=0.00 total=4624401263
 *   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
 *
 * Only the cumulative totals are kept (microseconds during which some, or all, of the group's
 * runnable tasks were stalled): a ratio over any window is the difference of two totals, and
 * the kernel's own averages cover fixed windows that are not ours. Like stat_parse.h, it takes
 * a buffer and its length, never reads past it and never allocates. */
#ifndef KMETRICS_PRESSURE_PARSE_H
#define KMETRICS_PRESSURE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pressure {
    uint64_t some_usec;
    uint64_t full_usec;
    bool has_some;
    bool has_full; /* cpu.pressure has no "full" line before Linux 5.13 */
};

/* Returns 0 when the "some" total was read, -EINVAL otherwise. A line whose total= is not the
 * last field or not a complete number is ignored; with truncated set (the buffer filled) the
 * final unterminated line is ignored too. */
int parse_pressure(const char *buf, size_t len, int truncated, struct pressure *out);

#endif
