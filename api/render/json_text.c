#include "json_text.h"

#include "hex.h"

#include "append.h"
#include "render.h"

/* Strings as Go's encoding/json writes them (minus HTML escaping): \" \\ \n \r \t, other control
 * bytes as \u00XX, U+2028/U+2029 escaped, invalid UTF-8 bytes replaced by \ufffd so strict
 * parsers never reject the document. */

/* Length of a valid UTF-8 sequence at s (first byte >= 0x80), or 0 if invalid. */
static size_t utf8_valid_len(const unsigned char *s)
{
    unsigned char c = s[0];

    if (c >= 0xc2 && c <= 0xdf) return (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
    }
    return 0;
}

static void json_string_body(struct outbuf *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    const unsigned char *run = s;

    for (;;) {
        unsigned char c = *s;

        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            s++;
            continue;
        }
        if (s > run) put(b, (const char *)run, (size_t)(s - run));
        if (c == 0) return;
        if (c < 0x80) {
            char esc[6] = {'\\', 'u', '0', '0', hex_lower[c >> 4], hex_lower[c & 15]};
            switch (c) {
            case '"':
                PUTLIT(b, "\\\"");
                break;
            case '\\':
                PUTLIT(b, "\\\\");
                break;
            case '\n':
                PUTLIT(b, "\\n");
                break;
            case '\r':
                PUTLIT(b, "\\r");
                break;
            case '\t':
                PUTLIT(b, "\\t");
                break;
            default:
                put(b, esc, sizeof(esc));
            }
            s++;
        } else {
            size_t n = utf8_valid_len(s);

            if (n == 0) {
                PUTLIT(b, "\\ufffd");
                s++;
            } else if (n == 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9)) {
                put(b, s[2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
                s += 3;
            } else {
                put(b, (const char *)s, n);
                s += n;
            }
        }
        run = s;
    }
}

void jstr(struct outbuf *b, const char *s)
{
    put(b, "\"", 1);
    json_string_body(b, s ? s : "");
    put(b, "\"", 1);
}

void json_put_string(struct outbuf *b, const char *s)
{
    jstr(b, s);
    terminate(b);
}

void json_time(struct outbuf *b, const char *t)
{
    char buf[TIME_LEN + 2];

    buf[0] = '"';
    memcpy(buf + 1, t, TIME_LEN);
    buf[TIME_LEN + 1] = '"';
    put(b, buf, sizeof(buf));
}

static void json_labels(struct outbuf *b, const struct object_meta_view *m)
{
    if (m->nlabels == 0) return;
    PUTLIT(b, ",\"labels\":{");
    for (size_t i = 0; i < m->nlabels; i++) {
        if (i) PUTLIT(b, ",");
        jstr(b, m->labels[i].key);
        PUTLIT(b, ":");
        jstr(b, m->labels[i].value);
    }
    PUTLIT(b, "}");
}

/* ObjectMeta body without braces: name, namespace, creationTimestamp, labels (Go's order;
 * empty name/namespace omitted as omitempty does). */
void json_meta(struct outbuf *b, struct rctx *c, const struct object_meta_view *m, bool with_labels)
{
    bool any = false;

    PUTLIT(b, "{");
    if (m->name && m->name[0]) {
        PUTLIT(b, "\"name\":");
        jstr(b, m->name);
        any = true;
    }
    if (m->namespace_ && m->namespace_[0]) {
        if (any) PUTLIT(b, ",");
        PUTLIT(b, "\"namespace\":");
        jstr(b, m->namespace_);
        any = true;
    }
    if (any) PUTLIT(b, ",");
    PUTLIT(b, "\"creationTimestamp\":");
    json_time(b, cached_time(&c->cts, creation_ns(c, m)));
    if (with_labels) json_labels(b, m);
    PUTLIT(b, "}");
}
