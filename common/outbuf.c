#include "outbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void outbuf_init(struct outbuf *b)
{
    memset(b, 0, sizeof(*b));
}

void outbuf_done(struct outbuf *b)
{
    free(b->data);
    outbuf_init(b);
}

void outbuf_reset(struct outbuf *b)
{
    b->len = 0;
    b->failed = false;
}

bool outbuf_reserve(struct outbuf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (b->failed) return false;
    if (extra > SIZE_MAX - b->len - 1) {
        b->failed = true;
        return false;
    }
    need = b->len + extra + 1; /* room for a terminating NUL, handy for debugging */
    if (need <= b->cap) return true;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void outbuf_append(struct outbuf *b, const void *data, size_t len)
{
    if (len == 0 || !outbuf_reserve(b, len)) return;
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void outbuf_puts(struct outbuf *b, const char *s)
{
    outbuf_append(b, s, strlen(s));
}

void outbuf_putc(struct outbuf *b, char c)
{
    outbuf_append(b, &c, 1);
}

void outbuf_printf(struct outbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !outbuf_reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void outbuf_u64(struct outbuf *b, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof(tmp);

    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    outbuf_append(b, tmp + i, sizeof(tmp) - i);
}
