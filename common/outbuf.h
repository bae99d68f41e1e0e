/* A growable byte buffer that renderers append to. Allocation failure is sticky: the buffer
 * records it and further appends do nothing, so callers check once at the end. */
#ifndef KMETRICS_OUTBUF_H
#define KMETRICS_OUTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct outbuf {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
};

void outbuf_init(struct outbuf *b);
void outbuf_done(struct outbuf *b);
void outbuf_reset(struct outbuf *b); /* len = 0, keeps the memory */
bool outbuf_reserve(struct outbuf *b, size_t extra);
void outbuf_append(struct outbuf *b, const void *data, size_t len);
void outbuf_puts(struct outbuf *b, const char *s);
void outbuf_putc(struct outbuf *b, char c);
void outbuf_printf(struct outbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void outbuf_u64(struct outbuf *b, uint64_t v); /* decimal, fast */

#endif
