/* Keeps the collector's resident memory small: malloc set up for a mostly idle process of two
 * threads, and what the daemon does not use every tick given back: freed heap, and the pages of
 * code and read-only data only the start ran (as the kernel frees its init sections after
 * boot), or since then a reconnection. */
#ifndef KMETRICS_FOOTPRINT_H
#define KMETRICS_FOOTPRINT_H

/* First thing in main, before any allocation. */
void footprint_init(void);

/* Returns free heap pages to the kernel, and unmaps this executable's code and read-only data
 * pages: those the daemon goes on using fault back in from the page cache, once (about ten
 * 64 KiB runs: its code is linked together, see scripts/hot-objects.sh). */
void footprint_release(void);

#endif
