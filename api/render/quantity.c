#include "quantity.h"

#include <string.h>

#include "clock.h"

#include "append.h"
#include "render.h"

/* Writes v's decimal digits so that they end at end; returns the count. */
static inline size_t digits_rev(char *end, uint64_t v)
{
    /* Two digits per division: the per-item number formatting is on the hot path. */
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930"
                                "31323334353637383940414243444546474849505152535455565758596061"
                                "62636465666768697071727374757677787980818283848586878889909192"
                                "93949596979899";
    char *p = end;

    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, pairs + 2 * r, 2);
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, pairs + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    return (size_t)(end - p);
}

size_t put_u64_at(char *buf, uint64_t v)
{
    size_t n = 1;

    for (uint64_t t = v; t >= 10; t /= 10)
        n++;
    digits_rev(buf + n, v);
    return n;
}

/* Go's int64Amount.AsCanonicalBytes for value*10^exp10, then the DecimalSI suffix. */
static size_t decimal_si_str(char *buf, uint64_t v, int exp10)
{
    static const char *const suffix[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
    size_t n;
    int idx;

    if (v == 0) {
        buf[0] = '0';
        return 1;
    }
    while (v >= 10 && v % 10 == 0) {
        v /= 10;
        exp10++;
    }
    /* Go's % truncates like C's: align the exponent down to a multiple of 3. The multiply
     * cannot overflow, it only restores zeros just removed. */
    switch (exp10 % 3) {
    case 1:
    case -2:
        v *= 10;
        exp10 -= 1;
        break;
    case 2:
    case -1:
        v *= 100;
        exp10 -= 2;
        break;
    default:
        break;
    }
    n = put_u64_at(buf, v);
    idx = exp10 / 3 + 3;
    if (idx >= 0 && idx < (int)(sizeof(suffix) / sizeof(suffix[0]))) {
        size_t sl = strlen(suffix[idx]);
        memcpy(buf + n, suffix[idx], sl);
        n += sl;
    } else { /* unreachable for 64-bit inputs; Go would write an exponent */
        buf[n++] = 'e';
        if (exp10 < 0) {
            buf[n++] = '-';
            n += put_u64_at(buf + n, (uint64_t)-exp10);
        } else {
            n += put_u64_at(buf + n, (uint64_t)exp10);
        }
    }
    return n;
}

size_t cpu_str(char *buf, uint64_t nanocores)
{
    return decimal_si_str(buf, nanocores, -9);
}

/* BinarySI: below 1024 Go switches to DecimalSI (so 1000 -> "1k"); otherwise the largest
 * power of 1024 that divides exactly. */
size_t mem_str(char *buf, uint64_t bytes)
{
    static const char *const suffix[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    size_t n;
    int e = 0;

    if (bytes < 1024) return decimal_si_str(buf, bytes, 0);
    while (bytes >= 1024 && (bytes & 1023) == 0) {
        bytes >>= 10;
        e++;
    }
    n = put_u64_at(buf, bytes);
    if (e > 0) { /* e <= 6 for 64-bit values */
        buf[n++] = suffix[e][0];
        buf[n++] = 'i';
    }
    return n;
}

/* Go's fmtFrac: writes the fraction of v with prec digits ending at *w, trailing zeros and a
 * bare dot omitted; returns v / 10^prec. */
static uint64_t go_frac(char *buf, size_t *w, uint64_t v, int prec)
{
    bool print = false;

    for (int i = 0; i < prec; i++) {
        char digit = (char)(v % 10);
        print = print || digit != 0;
        if (print) buf[--*w] = (char)('0' + digit);
        v /= 10;
    }
    if (print) buf[--*w] = '.';
    return v;
}

static void go_int(char *buf, size_t *w, uint64_t v)
{
    *w -= digits_rev(buf + *w, v);
}

/* time.Duration.String(), written backwards into buf[DUR_MAX] as Go does. */
size_t duration_str(char *out, int64_t d)
{
    char buf[DUR_MAX];
    size_t w = sizeof(buf);
    uint64_t u = (uint64_t)d;
    bool neg = d < 0;

    if (neg) u = -u;
    if (u < (uint64_t)NS_PER_SEC) {
        int prec;

        buf[--w] = 's';
        if (u == 0) {
            out[0] = '0';
            out[1] = 's';
            return 2;
        } else if (u < 1000) {
            prec = 0;
            buf[--w] = 'n';
        } else if (u < 1000000) {
            prec = 3;
            buf[--w] = '\xb5'; /* U+00B5 micro sign, as Go writes it */
            buf[--w] = '\xc2';
        } else {
            prec = 6;
            buf[--w] = 'm';
        }
        u = go_frac(buf, &w, u, prec);
        go_int(buf, &w, u);
    } else {
        buf[--w] = 's';
        u = go_frac(buf, &w, u, 9);
        go_int(buf, &w, u % 60);
        u /= 60;
        if (u > 0) {
            buf[--w] = 'm';
            go_int(buf, &w, u % 60);
            u /= 60;
            if (u > 0) {
                buf[--w] = 'h';
                go_int(buf, &w, u);
            }
        }
    }
    if (neg) buf[--w] = '-';
    memcpy(out, buf + w, sizeof(buf) - w);
    return sizeof(buf) - w;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void two(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

/* "YYYY-MM-DDTHH:MM:SSZ" from Unix seconds (always 20 bytes: int64 ns spans 1677..2262). */
void rfc3339_from_sec(char *out, int64_t sec)
{
    int64_t days = floor_div(sec, 86400);
    int64_t sod = sec - days * 86400;
    /* Howard Hinnant's civil_from_days. */
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    unsigned d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    unsigned year;

    if (m <= 2) y++;
    year = (unsigned)(y < 0 ? 0 : y > 9999 ? 9999 : y);
    two(out, year / 100);
    two(out + 2, year % 100);
    out[4] = '-';
    two(out + 5, m);
    out[7] = '-';
    two(out + 8, d);
    out[10] = 'T';
    two(out + 11, (unsigned)(sod / 3600));
    out[13] = ':';
    two(out + 14, (unsigned)(sod / 60 % 60));
    out[16] = ':';
    two(out + 17, (unsigned)(sod % 60));
    out[19] = 'Z';
}

void rctx_init(struct rctx *c)
{
    memset(c, 0, sizeof(*c));
}

void format_cpu_quantity(struct outbuf *b, uint64_t nanocores)
{
    char buf[QTY_MAX];

    put(b, buf, cpu_str(buf, nanocores));
    terminate(b);
}

void format_memory_quantity(struct outbuf *b, uint64_t bytes)
{
    char buf[QTY_MAX];

    put(b, buf, mem_str(buf, bytes));
    terminate(b);
}

void format_go_duration(struct outbuf *b, int64_t ns)
{
    char buf[DUR_MAX];

    put(b, buf, duration_str(buf, ns));
    terminate(b);
}

void format_rfc3339(struct outbuf *b, int64_t real_ns)
{
    char buf[TIME_LEN];

    rfc3339_from_sec(buf, unix_sec(real_ns));
    put(b, buf, TIME_LEN);
    terminate(b);
}
