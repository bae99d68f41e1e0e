#include "http_parse.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "hex.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Trims spaces around [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
    while (*n && is_space(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && is_space((*s)[*n - 1]))
        (*n)--;
}

static bool token_eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* One media range "type/subtype;p=v;...": what it asks for. */
static enum media classify_range(const char *s, size_t n, bool allow_table)
{
    const char *semi = memchr(s, ';', n);
    size_t tn = semi ? (size_t)(semi - s) : n;
    const char *type = s;
    const char *as = NULL, *v = NULL, *g = NULL;
    size_t as_n = 0, v_n = 0, g_n = 0;

    trim(&type, &tn);
    /* Parameters: as=, v=, g= decide Table; others (charset, q) are ignored. */
    while (semi) {
        const char *p = semi + 1;
        size_t rest = n - (size_t)(p - s);
        const char *next = memchr(p, ';', rest);
        size_t pn = next ? (size_t)(next - p) : rest;
        const char *eq = memchr(p, '=', pn);
        if (eq) {
            const char *k = p, *val = eq + 1;
            size_t kn = (size_t)(eq - p), vn = pn - kn - 1;
            trim(&k, &kn);
            trim(&val, &vn);
            if (token_eq(k, kn, "as")) {
                as = val;
                as_n = vn;
            } else if (token_eq(k, kn, "v")) {
                v = val;
                v_n = vn;
            } else if (token_eq(k, kn, "g")) {
                g = val;
                g_n = vn;
            }
        }
        semi = next;
    }
    if (as) {
        bool v1, v1beta1, json = token_eq(type, tn, "application/json"),
                          pb = token_eq(type, tn, "application/vnd.kubernetes.protobuf");
        if (!g || !token_eq(g, g_n, "meta.k8s.io") || !v || (!json && !pb)) return MEDIA_NONE;
        v1 = token_eq(v, v_n, "v1");
        v1beta1 = token_eq(v, v_n, "v1beta1");
        if (!v1 && !v1beta1) return MEDIA_NONE;
        /* A Table is JSON only, as the API server serves it. */
        if (token_eq(as, as_n, "Table"))
            return !allow_table || !json ? MEDIA_NONE : v1 ? MEDIA_TABLE_V1 : MEDIA_TABLE_V1BETA1;
        if (token_eq(as, as_n, "PartialObjectMetadata"))
            return pb ? (v1 ? MEDIA_PARTIAL_PB_V1 : MEDIA_PARTIAL_PB_V1BETA1)
                      : (v1 ? MEDIA_PARTIAL_V1 : MEDIA_PARTIAL_V1BETA1);
        if (token_eq(as, as_n, "PartialObjectMetadataList"))
            return pb ? (v1 ? MEDIA_PARTIAL_LIST_PB_V1 : MEDIA_PARTIAL_LIST_PB_V1BETA1)
                      : (v1 ? MEDIA_PARTIAL_LIST_V1 : MEDIA_PARTIAL_LIST_V1BETA1);
        return MEDIA_NONE;
    }
    if (token_eq(type, tn, "application/json") || token_eq(type, tn, "application/*") ||
        token_eq(type, tn, "*/*"))
        return MEDIA_JSON;
    if (token_eq(type, tn, "application/vnd.kubernetes.protobuf")) return MEDIA_PROTOBUF;
    if (token_eq(type, tn, "application/yaml")) return MEDIA_YAML;
    return MEDIA_NONE;
}

enum media negotiate_accept(const char *accept, size_t len, bool allow_table)
{
    size_t pos = 0;
    bool any = false;

    if (!accept) return MEDIA_JSON;
    while (pos < len) {
        const char *item = accept + pos;
        const char *comma = memchr(item, ',', len - pos);
        size_t n = comma ? (size_t)(comma - item) : len - pos;
        const char *t = item;
        size_t tn = n;

        pos += n + 1;
        trim(&t, &tn);
        if (tn == 0) continue;
        any = true;
        enum media m = classify_range(t, tn, allow_table);
        if (m != MEDIA_NONE) return m;
    }
    return any ? MEDIA_NONE : MEDIA_JSON;
}

int query_param(const char *q, size_t len, const char *key, char *out, size_t outlen)
{
    size_t klen = strlen(key), pos = 0;

    while (pos <= len) {
        const char *item = q + pos;
        const char *amp = pos < len ? memchr(item, '&', len - pos) : NULL;
        size_t n = amp ? (size_t)(amp - item) : len - pos;

        pos += n + 1;
        if (n < klen || memcmp(item, key, klen) != 0 || (n > klen && item[klen] != '=')) continue;
        /* Found: decode the value (absent '=' means an empty value). */
        const char *v = n > klen ? item + klen + 1 : item + n;
        size_t vn = n > klen ? n - klen - 1 : 0, o = 0;
        for (size_t i = 0; i < vn; i++) {
            char c = v[i];
            if (c == '%') {
                int hi, lo;
                if (i + 2 >= vn) return -EINVAL;
                hi = hex_value(v[i + 1]);
                lo = hex_value(v[i + 2]);
                if (hi < 0 || lo < 0) return -EINVAL;
                c = (char)(hi * 16 + lo);
                i += 2;
            } else if (c == '+') {
                c = ' ';
            }
            if (c == '\0') return -EINVAL;
            if (o + 1 >= outlen) return -E2BIG;
            out[o++] = c;
        }
        if (outlen == 0) return -E2BIG;
        out[o] = '\0';
        return (int)o;
    }
    return -ENOENT;
}
