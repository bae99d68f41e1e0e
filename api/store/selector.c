/* Label and field selectors, parsed as k8s.io/apimachinery does (labels.Parse and
 * fields.ParseSelector), so a query the API server would accept means the same here and one
 * it would reject gets a similar message. The text is outside input: it is read only within
 * len, a NUL byte or anything past the limits in selector.h is an error, a requirement is
 * copied into the selector only once fully checked, and any failure frees the whole selector.
 * The out selector is treated as uninitialised on entry (it is not freed first). */
#include "selector.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "k8s_names.h"
#include "span.h"

#define LABEL_NAME_MAX 63     /* name part of a key, and a whole value */
#define DNS_SUBDOMAIN_MAX 253 /* prefix part of a key */
#define ECHO_MAX 96           /* bytes of hostile input echoed into a message */

/* ---- error messages ------------------------------------------------------------------- */

/* Input echoed into a message goes into a 400 Status: escape anything not printable ASCII
 * (and quotes and backslashes) and cut it short, so a message is always clean text. */
static const char *esc(struct span s, char *buf, size_t cap)
{
    size_t o = 0;
    size_t n = s.n > ECHO_MAX ? ECHO_MAX : s.n;

    for (size_t i = 0; i < n && o + 8 < cap; i++) {
        unsigned char c = (unsigned char)s.p[i];

        if (c == '"' || c == '\'' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c >= 0x20 && c < 0x7f) {
            buf[o++] = (char)c;
        } else {
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex_lower[c >> 4];
            buf[o++] = hex_lower[c & 15];
        }
    }
    if (n < s.n && o + 4 <= cap) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

#define ESC_BUF (ECHO_MAX * 4 + 8)

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

/* Not the client's fault: -ENOMEM so the caller answers 500 rather than 400. */
static int oom(char *err, size_t errlen)
{
    fail(err, errlen, "out of memory");
    return -ENOMEM;
}

/* "a; b; c" as the validation package joins its messages. */
struct msgs {
    char buf[640];
    size_t n;
};

static void msgs_add(struct msgs *m, const char *part, const char *what)
{
    int w = snprintf(m->buf + m->n, sizeof(m->buf) - m->n, "%s%s%s", m->n ? "; " : "", part, what);

    if (w > 0) m->n += (size_t)w < sizeof(m->buf) - m->n ? (size_t)w : sizeof(m->buf) - m->n - 1;
}

/* ---- names and values (k8s.io/apimachinery/pkg/util/validation) ---------------------- */

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool qualified_name_ok(struct span s)
{
    if (s.n == 0 || !is_alnum(s.p[0]) || !is_alnum(s.p[s.n - 1])) return false;
    for (size_t i = 1; i + 1 < s.n; i++)
        if (!is_alnum(s.p[i]) && s.p[i] != '-' && s.p[i] != '_' && s.p[i] != '.') return false;
    return true;
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)* : every dot-separated
 * part starts and ends with an alphanumeric, so a dot needs one on each side. */
static bool dns_subdomain_ok(struct span s)
{
    return k8s_dns_subdomain(s.p, s.n);
}

#define NAME_RULE                                                                                  \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "    \
    "alphanumeric character"

/* validation.IsQualifiedName; fills m with every problem, as Kubernetes lists them all. */
static bool label_key_ok(struct span key, struct msgs *m)
{
    const char *slash = key.n ? memchr(key.p, '/', key.n) : NULL;
    struct span name = key;

    m->n = 0;
    m->buf[0] = '\0';
    if (slash) {
        struct span prefix = {key.p, (size_t)(slash - key.p)};

        name = (struct span){slash + 1, key.n - prefix.n - 1};
        if (memchr(name.p, '/', name.n)) {
            msgs_add(m, "a qualified name ",
                     NAME_RULE " with an optional DNS subdomain prefix and '/' (e.g. "
                               "'example.com/MyName')");
            return false;
        }
        if (prefix.n == 0) {
            msgs_add(m, "prefix part ", "must be non-empty");
        } else {
            if (prefix.n > DNS_SUBDOMAIN_MAX)
                msgs_add(m, "prefix part ", "must be no more than 253 characters");
            if (!dns_subdomain_ok(prefix))
                msgs_add(m, "prefix part ",
                         "a lowercase RFC 1123 subdomain must consist of lower case "
                         "alphanumeric characters, '-' or '.', and must start and end with an "
                         "alphanumeric character");
        }
    }
    if (name.n == 0)
        msgs_add(m, "name part ", "must be non-empty");
    else if (name.n > LABEL_NAME_MAX)
        msgs_add(m, "name part ", "must be no more than 63 characters");
    if (!qualified_name_ok(name)) msgs_add(m, "name part ", NAME_RULE);
    return m->n == 0;
}

/* validation.IsValidLabelValue: empty, or a qualified name of at most 63 characters. */
static bool label_value_ok(struct span v, struct msgs *m)
{
    m->n = 0;
    m->buf[0] = '\0';
    if (v.n > LABEL_NAME_MAX) msgs_add(m, "", "must be no more than 63 characters");
    if (v.n && !qualified_name_ok(v))
        msgs_add(m, "",
                 "a valid label must be an empty string or consist of alphanumeric "
                 "characters, '-', '_' or '.', and must start and end with an "
                 "alphanumeric character");
    return m->n == 0;
}

/* ---- selector storage ----------------------------------------------------------------- */

static void req_free(struct selector_requirement *r)
{
    free(r->key);
    for (size_t i = 0; i < r->nvalues; i++)
        free(r->values[i]);
    free(r->values);
    memset(r, 0, sizeof(*r));
}

void selector_done(struct selector *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nreqs; i++)
        req_free(&s->reqs[i]);
    free(s->reqs);
    s->reqs = NULL;
    s->nreqs = 0;
}

static char *dup_span(struct span s)
{
    char *p = malloc(s.n + 1);

    if (!p) return NULL;
    if (s.n) memcpy(p, s.p, s.n);
    p[s.n] = '\0';
    return p;
}

/* A requirement checked but not yet copied: spans point into the text. */
struct pending {
    enum selector_op op;
    struct span key;
    struct span vals[SELECTOR_MAX_VALUES];
    size_t nvals;
};

/* Copies p into s. The array grows in powers of two from 4, so its capacity follows from
 * nreqs and struct selector needs no extra field. Returns 0 or -ENOMEM (s unchanged). */
static int commit(struct selector *s, const struct pending *p)
{
    struct selector_requirement r = {.op = p->op};

    if (s->nreqs == 0 || (s->nreqs >= 4 && (s->nreqs & (s->nreqs - 1)) == 0)) {
        size_t cap = s->nreqs ? s->nreqs * 2 : 4;
        struct selector_requirement *n = realloc(s->reqs, cap * sizeof(*n));

        if (!n) return -ENOMEM;
        s->reqs = n;
    }
    r.key = dup_span(p->key);
    if (!r.key) return -ENOMEM;
    if (p->nvals) {
        r.values = calloc(p->nvals, sizeof(*r.values));
        if (!r.values) goto oom;
        for (; r.nvalues < p->nvals; r.nvalues++) {
            r.values[r.nvalues] = dup_span(p->vals[r.nvalues]);
            if (!r.values[r.nvalues]) goto oom;
        }
    }
    s->reqs[s->nreqs++] = r;
    return 0;
oom:
    req_free(&r);
    return -ENOMEM;
}

/* Adds v to the set unless present (sets.String semantics). */
static bool add_value(struct pending *p, struct span v)
{
    for (size_t i = 0; i < p->nvals; i++)
        if (span_eq(p->vals[i], v)) return true;
    if (p->nvals == SELECTOR_MAX_VALUES) return false;
    p->vals[p->nvals++] = v;
    return true;
}

/* Insertion sort: at most SELECTOR_MAX_VALUES short strings. */
static void sort_values(struct pending *p)
{
    for (size_t i = 1; i < p->nvals; i++) {
        struct span v = p->vals[i];
        size_t j = i;

        for (; j > 0 && span_cmp(p->vals[j - 1], v) > 0; j--)
            p->vals[j] = p->vals[j - 1];
        p->vals[j] = v;
    }
}

/* Common entry checks: out emptied, text bounded and free of NUL bytes. */
static int check_text(const char *text, size_t len, struct selector *out, char *err, size_t errlen)
{
    if (err && errlen) err[0] = '\0';
    if (!out) return fail(err, errlen, "no selector to parse into");
    out->reqs = NULL;
    out->nreqs = 0;
    if (len > SELECTOR_MAX_LEN)
        return fail(err, errlen, "selector is %zu bytes long, more than the limit of %d", len,
                    SELECTOR_MAX_LEN);
    if (len && !text) return fail(err, errlen, "no selector text");
    if (len && memchr(text, '\0', len)) return fail(err, errlen, "selector contains a NUL byte");
    return 0;
}

/* ---- label selector lexer (labels/selector.go Lexer) ---------------------------------- */

enum tok {
    T_END,
    T_ID,
    T_IN,
    T_NOTIN,
    T_NOT, /* "!" */
    T_EQ,
    T_DEQ,
    T_NE,
    T_GT,
    T_LT,
    T_OPEN,
    T_CLOSE,
    T_COMMA,
};

struct token {
    enum tok t;
    struct span lit;
};

struct parser {
    const char *s;
    size_t len, pos;
    struct token la; /* next token, already lexed */
    char *err;
    size_t errlen;
};

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_special(char c)
{
    return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

/* The Go lexer takes the longest run of special symbols that is a token; only "==" and "!="
 * are longer than one byte, so that is one byte of lookahead. */
static struct token lex(struct parser *p)
{
    size_t i = p->pos, start;
    struct token t;

    while (i < p->len && is_ws(p->s[i]))
        i++;
    start = i;
    if (i == p->len) {
        t = (struct token){T_END, {p->s + i, 0}};
    } else if (is_special(p->s[i])) {
        bool eq_next = i + 1 < p->len && p->s[i + 1] == '=';
        size_t n = 1;

        switch (p->s[i]) {
        case '=':
            t.t = eq_next ? T_DEQ : T_EQ;
            n += eq_next;
            break;
        case '!':
            t.t = eq_next ? T_NE : T_NOT;
            n += eq_next;
            break;
        case '(':
            t.t = T_OPEN;
            break;
        case ')':
            t.t = T_CLOSE;
            break;
        case ',':
            t.t = T_COMMA;
            break;
        case '>':
            t.t = T_GT;
            break;
        default:
            t.t = T_LT;
            break;
        }
        i += n;
        t.lit = (struct span){p->s + start, n};
    } else {
        while (i < p->len && !is_ws(p->s[i]) && !is_special(p->s[i]))
            i++;
        t.lit = (struct span){p->s + start, i - start};
        t.t = span_is(t.lit, "in") ? T_IN : span_is(t.lit, "notin") ? T_NOTIN : T_ID;
    }
    p->pos = i;
    return t;
}

/* Where a value or key may stand ("Values" context), "in" and "notin" are identifiers. */
static struct token peek(const struct parser *p, bool values)
{
    struct token t = p->la;

    if (values && (t.t == T_IN || t.t == T_NOTIN)) t.t = T_ID;
    return t;
}

static struct token consume(struct parser *p, bool values)
{
    struct token t = peek(p, values);

    p->la = lex(p);
    return t;
}

/* Errors inside one requirement carry the prefix labels.Parse puts on them. */
static int req_fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int req_fail(struct parser *p, const char *fmt, ...)
{
    static const char prefix[] = "unable to parse requirement: ";
    va_list ap;

    if (p->err && p->errlen) {
        snprintf(p->err, p->errlen, "%s", prefix);
        if (p->errlen > sizeof(prefix) - 1) {
            va_start(ap, fmt);
            vsnprintf(p->err + sizeof(prefix) - 1, p->errlen - (sizeof(prefix) - 1), fmt, ap);
            va_end(ap);
        }
    }
    return -EINVAL;
}

static int found(struct parser *p, struct token t, const char *expected)
{
    char b[ESC_BUF];

    return req_fail(p, "found '%s', expected: %s", esc(t.lit, b, sizeof(b)), expected);
}

static int too_many_values(struct parser *p)
{
    return req_fail(p, "more than %d values in a set", SELECTOR_MAX_VALUES);
}

/* After "(" with an identifier or "," next (parseIdentifiersList): empty entries such as
 * "(,a)", "(a,,b)" and "(a,)" stand for the empty value. */
static int parse_identifiers(struct parser *p, struct pending *r)
{
    for (;;) {
        struct token t = consume(p, true), la;

        if (t.t == T_ID) {
            if (!add_value(r, t.lit)) return too_many_values(p);
            la = peek(p, true);
            if (la.t == T_COMMA) continue;
            if (la.t == T_CLOSE) return 0;
            return found(p, la, "',' or ')'");
        }
        if (t.t != T_COMMA) return found(p, t, "',', or identifier");
        if (r->nvals == 0 && !add_value(r, (struct span){t.lit.p, 0})) return too_many_values(p);
        la = peek(p, true);
        if (la.t == T_CLOSE || la.t == T_COMMA) {
            if (!add_value(r, (struct span){t.lit.p, 0})) return too_many_values(p);
            if (la.t == T_CLOSE) return 0;
            consume(p, true);
        }
    }
}

/* "(" values ")" for in and notin; "()" is the set holding the empty value. */
static int parse_values(struct parser *p, struct pending *r)
{
    struct token t = consume(p, true);
    char b[ESC_BUF];
    int rc;

    if (t.t != T_OPEN) return req_fail(p, "found '%s' expected: '('", esc(t.lit, b, sizeof(b)));
    t = peek(p, true);
    switch (t.t) {
    case T_ID:
    case T_COMMA:
        rc = parse_identifiers(p, r);
        if (rc) return rc;
        consume(p, true); /* the ')' parse_identifiers stopped at */
        return 0;
    case T_CLOSE:
        consume(p, true);
        add_value(r, (struct span){t.lit.p, 0});
        return 0;
    default:
        return found(p, t, "',', ')' or identifier");
    }
}

/* The one value after =, == or !=; nothing before ',' or the end is the empty value. */
static int parse_exact_value(struct parser *p, struct pending *r)
{
    struct token t = peek(p, true);

    if (t.t == T_END || t.t == T_COMMA) {
        add_value(r, (struct span){t.lit.p, 0});
        return 0;
    }
    t = consume(p, true);
    if (t.t != T_ID) return found(p, t, "identifier");
    add_value(r, t.lit);
    return 0;
}

static int parse_requirement(struct parser *p, struct pending *r)
{
    struct token t = consume(p, true), la;
    bool negated = false;
    struct msgs m;
    char b[ESC_BUF], b2[ESC_BUF];
    int rc;

    r->nvals = 0;
    if (t.t == T_NOT) {
        negated = true;
        t = consume(p, true);
    }
    if (t.t != T_ID) return found(p, t, "identifier");
    r->key = t.lit;
    if (!label_key_ok(r->key, &m))
        return req_fail(p, "invalid label key \"%s\": %s", esc(r->key, b, sizeof(b)), m.buf);
    la = peek(p, true);
    if (negated || la.t == T_END || la.t == T_COMMA) {
        /* "!key" ends the requirement whatever follows; the caller reports a stray token. */
        r->op = negated ? SEL_DOES_NOT_EXIST : SEL_EXISTS;
        return 0;
    }

    t = consume(p, false);
    switch (t.t) {
    case T_IN:
    case T_NOTIN:
        r->op = t.t == T_IN ? SEL_IN : SEL_NOT_IN;
        rc = parse_values(p, r);
        break;
    case T_EQ:
    case T_DEQ:
    case T_NE:
        r->op = t.t == T_NE ? SEL_NOT_EQUALS : SEL_EQUALS;
        rc = parse_exact_value(p, r);
        break;
    case T_GT:
    case T_LT:
        /* Kubernetes has gt/lt for integer values; struct selector has no way to hold them. */
        return req_fail(p, "operator '%s' is not supported", t.t == T_GT ? ">" : "<");
    default:
        return found(p, t, "in, notin, =, ==, !=");
    }
    if (rc) return rc;

    for (size_t i = 0; i < r->nvals; i++)
        if (!label_value_ok(r->vals[i], &m))
            return req_fail(p, "invalid label value: \"%s\": at key: \"%s\": %s",
                            esc(r->vals[i], b, sizeof(b)), esc(r->key, b2, sizeof(b2)), m.buf);
    sort_values(r);
    return 0;
}

/* labels/selector.go Parser.parse: requirements separated by single commas, nothing else. */
static int parse_labels(struct parser *p, struct selector *out)
{
    struct pending r;
    char b[ESC_BUF];

    p->la = lex(p);
    for (;;) {
        struct token t = peek(p, true);
        int rc;

        if (t.t == T_END) return 0;
        if (t.t != T_ID && t.t != T_NOT)
            return fail(p->err, p->errlen,
                        "found '%s', expected: !, identifier, or 'end of string'",
                        esc(t.lit, b, sizeof(b)));
        rc = parse_requirement(p, &r);
        if (rc) return rc;
        if (out->nreqs == SELECTOR_MAX_REQUIREMENTS)
            return fail(p->err, p->errlen, "more than %d requirements in a selector",
                        SELECTOR_MAX_REQUIREMENTS);
        if (commit(out, &r)) return oom(p->err, p->errlen);

        t = consume(p, true);
        if (t.t == T_END) return 0;
        if (t.t != T_COMMA)
            return fail(p->err, p->errlen, "found '%s', expected: ',' or 'end of string'",
                        esc(t.lit, b, sizeof(b)));
        t = peek(p, true);
        if (t.t != T_ID && t.t != T_NOT)
            return fail(p->err, p->errlen, "found '%s', expected: identifier after ','",
                        esc(t.lit, b, sizeof(b)));
    }
}

int label_selector_parse(const char *text, size_t len, struct selector *out, char *err,
                         size_t errlen)
{
    struct parser p = {.s = text, .len = len, .err = err, .errlen = errlen};
    int rc = check_text(text, len, out, err, errlen);

    if (rc) return rc;
    if (!text) p.s = "";
    rc = parse_labels(&p, out);
    if (rc) selector_done(out);
    return rc;
}

/* ---- field selector (fields/selector.go) ------------------------------------------------ */

/* splitTerm: the first position where "!=", "==" or "=" starts (in that order) splits it. */
static bool split_term(struct span t, struct span *lhs, enum selector_op *op, struct span *rhs)
{
    for (size_t i = 0; i < t.n; i++) {
        size_t oplen;

        if (i + 1 < t.n && t.p[i] == '!' && t.p[i + 1] == '=') {
            *op = SEL_NOT_EQUALS;
            oplen = 2;
        } else if (i + 1 < t.n && t.p[i] == '=' && t.p[i + 1] == '=') {
            *op = SEL_EQUALS;
            oplen = 2;
        } else if (t.p[i] == '=') {
            *op = SEL_EQUALS;
            oplen = 1;
        } else {
            continue;
        }
        *lhs = (struct span){t.p, i};
        *rhs = (struct span){t.p + i + oplen, t.n - i - oplen};
        return true;
    }
    return false;
}

static bool key_allowed(struct span key, const char *const allowed[])
{
    for (size_t i = 0; allowed && allowed[i]; i++)
        if (span_is(key, allowed[i])) return true;
    return false;
}

/* UnescapeValue: "\\", "\," and "\=" stand for the character; any other escape, a lone
 * trailing backslash, or a bare ',' or '=' is an error. Writes at most v.n bytes to dst. */
static int unescape(struct span v, char *dst, size_t *dlen, char *err, size_t errlen)
{
    size_t o = 0;
    char b[ESC_BUF];

    for (size_t i = 0; i < v.n; i++) {
        char c = v.p[i];

        if (c == '\\') {
            if (i + 1 == v.n)
                return fail(err, errlen, "invalid field selector: invalid escape sequence: \\");
            c = v.p[++i];
            if (c != '\\' && c != ',' && c != '=')
                return fail(err, errlen, "invalid field selector: invalid escape sequence: \\%s",
                            esc((struct span){v.p + i, 1}, b, sizeof(b)));
        } else if (c == ',' || c == '=') {
            return fail(err, errlen, "invalid field selector: unescaped character in value: %c", c);
        }
        dst[o++] = c;
    }
    *dlen = o;
    return 0;
}

/* One "key op value" term, checked and appended to out. */
static int field_term(struct span sel, struct span term, const char *const allowed[],
                      struct selector *out, char *err, size_t errlen)
{
    struct pending r;
    struct span lhs, rhs;
    char b[ESC_BUF], b2[ESC_BUF];
    char *val;
    size_t vlen = 0;
    int rc;

    if (!split_term(term, &lhs, &r.op, &rhs))
        return fail(err, errlen, "invalid selector: '%s'; can't understand '%s'",
                    esc(sel, b, sizeof(b)), esc(term, b2, sizeof(b2)));
    if (!key_allowed(lhs, allowed))
        return fail(err, errlen, "field label not supported: %s", esc(lhs, b, sizeof(b)));
    if (out->nreqs == SELECTOR_MAX_REQUIREMENTS)
        return fail(err, errlen, "more than %d requirements in a selector",
                    SELECTOR_MAX_REQUIREMENTS);

    /* The unescaped value is never longer than the escaped one. */
    val = malloc(rhs.n + 1);
    if (!val) return oom(err, errlen);
    rc = unescape(rhs, val, &vlen, err, errlen);
    if (rc == 0) {
        r.key = lhs;
        r.vals[0] = (struct span){val, vlen};
        r.nvals = 1;
        if (commit(out, &r)) rc = oom(err, errlen);
    }
    free(val);
    return rc;
}

int field_selector_parse(const char *text, size_t len, const char *const allowed_keys[],
                         struct selector *out, char *err, size_t errlen)
{
    struct span sel = {text, len};
    size_t start = 0;
    bool in_slash = false;
    int rc = check_text(text, len, out, err, errlen);

    if (rc) return rc;
    /* splitTerms: a comma ends a term unless backslash-escaped; empty terms are skipped. */
    for (size_t i = 0; i <= len; i++) {
        if (i < len) {
            if (in_slash) {
                in_slash = false;
                continue;
            }
            if (text[i] == '\\') in_slash = true;
            if (text[i] != ',') continue;
        }
        if (i > start) {
            rc = field_term(sel, (struct span){text + start, i - start}, allowed_keys, out, err,
                            errlen);
            if (rc) {
                selector_done(out);
                return rc;
            }
        }
        start = i + 1;
    }
    return 0;
}

/* ---- matching --------------------------------------------------------------------------- */

static bool has_value(const struct selector_requirement *r, const char *v)
{
    for (size_t i = 0; i < r->nvalues; i++)
        if (strcmp(r->values[i], v) == 0) return true;
    return false;
}

/* Labels.Get over a set sorted by key; NULL when absent. */
static const char *label_get(const struct label_view *labels, size_t n, const char *key)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(labels[mid].key, key);

        if (c == 0) return labels[mid].value ? labels[mid].value : "";
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Requirement.Matches with v the object's value, NULL when it has none: = and in need the
 * key present, != and notin hold when it is absent. */
static bool req_matches(const struct selector_requirement *r, const char *v)
{
    switch (r->op) {
    case SEL_EQUALS:
    case SEL_IN:
        return v && has_value(r, v);
    case SEL_NOT_EQUALS:
    case SEL_NOT_IN:
        return !v || !has_value(r, v);
    case SEL_EXISTS:
        return v != NULL;
    case SEL_DOES_NOT_EXIST:
        return v == NULL;
    }
    return false;
}

bool selector_matches_labels(const struct selector *s, const struct label_view *labels,
                             size_t nlabels)
{
    if (!s) return true;
    for (size_t i = 0; i < s->nreqs; i++)
        if (!req_matches(&s->reqs[i], label_get(labels, labels ? nlabels : 0, s->reqs[i].key)))
            return false;
    return true;
}

/* A fields.Set answers "" for a field it lacks, so key=value and key!=value compare against
 * "" there; the other operators (never produced by field_selector_parse) keep label
 * semantics with NULL as absent. */
bool selector_matches_fields(const struct selector *s,
                             const char *(*value_of)(const void *obj, const char *key),
                             const void *obj)
{
    if (!s) return true;
    for (size_t i = 0; i < s->nreqs; i++) {
        const struct selector_requirement *r = &s->reqs[i];
        const char *v = value_of ? value_of(obj, r->key) : NULL;

        if (!v && (r->op == SEL_EQUALS || r->op == SEL_NOT_EQUALS)) v = "";
        if (!req_matches(r, v)) return false;
    }
    return true;
}
