/* Unit tests for api/selector.c: label selectors as labels.Parse reads them (every operator,
 * whitespace, empty values, prefixed keys, the Kubernetes documentation's examples), matching
 * against present and absent keys, field selectors with escapes, and hostile text. Every text
 * is handed to the parser in an exact-size heap buffer without a terminating NUL, so
 * AddressSanitizer catches any read past len. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/selector.h"

#define ERRLEN 512

static const char *const FIELD_KEYS[] = {"metadata.name", "metadata.namespace", "spec.nodeName",
                                         NULL};

/* ---- helpers ---------------------------------------------------------------------------- */

/* The message must be clean text: it goes into a JSON Status. */
static void assert_clean_message(const char *err)
{
    assert_non_null(memchr(err, '\0', ERRLEN));
    for (const char *p = err; *p; p++)
        if (*p < 0x20 || *p > 0x7e) fail_msg("unprintable byte 0x%02x in \"%s\"", *p, err);
}

static int parse_n(bool labels, const char *text, size_t len, struct selector *sel, char *err)
{
    char *buf = malloc(len ? len : 1);
    int rc;

    assert_non_null(buf);
    memcpy(buf, text, len);
    memset(sel, 0xa5, sizeof(*sel)); /* garbage the parser must overwrite */
    memset(err, 'x', ERRLEN);
    if (labels)
        rc = label_selector_parse(buf, len, sel, err, ERRLEN);
    else
        rc = field_selector_parse(buf, len, FIELD_KEYS, sel, err, ERRLEN);
    free(buf);
    assert_clean_message(err);
    if (rc == 0) {
        assert_string_equal(err, "");
    } else {
        assert_int_equal(rc, -EINVAL);
        assert_null(sel->reqs);
        assert_int_equal(sel->nreqs, 0);
        assert_true(err[0] != '\0');
    }
    return rc;
}

/* Parses text that must be accepted. */
static void ok_labels(const char *text, struct selector *sel)
{
    char err[ERRLEN];

    if (parse_n(true, text, strlen(text), sel, err))
        fail_msg("label selector \"%s\" rejected: %s", text, err);
}

static void ok_fields(const char *text, struct selector *sel)
{
    char err[ERRLEN];

    if (parse_n(false, text, strlen(text), sel, err))
        fail_msg("field selector \"%s\" rejected: %s", text, err);
}

/* Text that must be rejected with a message containing want. */
static void bad_n(bool labels, const char *text, size_t len, const char *want)
{
    struct selector sel;
    char err[ERRLEN];

    if (parse_n(labels, text, len, &sel, err) == 0) {
        selector_done(&sel);
        fail_msg("selector \"%.*s\" accepted", (int)len, text);
    }
    if (want && !strstr(err, want))
        fail_msg("\"%.*s\": message \"%s\" lacks \"%s\"", (int)len, text, err, want);
}

static void bad_labels(const char *text, const char *want)
{
    bad_n(true, text, strlen(text), want);
}

static void bad_fields(const char *text, const char *want)
{
    bad_n(false, text, strlen(text), want);
}

/* Requirement i: op, key and the values (NULL-terminated list, in stored order). */
static void expect_req(const struct selector *s, size_t i, enum selector_op op, const char *key,
                       ...)
{
    const struct selector_requirement *r;
    va_list ap;
    size_t n = 0;

    assert_true(i < s->nreqs);
    r = &s->reqs[i];
    assert_int_equal(r->op, op);
    assert_string_equal(r->key, key);
    va_start(ap, key);
    for (const char *v; (v = va_arg(ap, const char *)) != NULL; n++) {
        assert_true(n < r->nvalues);
        assert_string_equal(r->values[n], v);
    }
    va_end(ap);
    assert_int_equal(r->nvalues, n);
    if (n == 0) assert_null(r->values);
}

/* One requirement parsed from text. */
static void one(const char *text, enum selector_op op, const char *key, const char *v0,
                const char *v1)
{
    struct selector s;

    ok_labels(text, &s);
    assert_int_equal(s.nreqs, 1);
    expect_req(&s, 0, op, key, v0, v1, NULL);
    selector_done(&s);
}

static char *repeat(const char *unit, size_t times, const char *head, const char *tail)
{
    size_t u = strlen(unit), h = strlen(head), t = strlen(tail);
    char *s = malloc(h + u * times + t + 1);

    assert_non_null(s);
    memcpy(s, head, h);
    for (size_t i = 0; i < times; i++)
        memcpy(s + h + i * u, unit, u);
    memcpy(s + h + u * times, tail, t + 1);
    return s;
}

/* ---- label selector syntax -------------------------------------------------------------- */

static void test_label_operators(void **state)
{
    (void)state;
    one("a=b", SEL_EQUALS, "a", "b", NULL);
    one("a==b", SEL_EQUALS, "a", "b", NULL);
    one("a!=b", SEL_NOT_EQUALS, "a", "b", NULL);
    one("a in (x,y)", SEL_IN, "a", "x", "y");
    one("a notin (x,y)", SEL_NOT_IN, "a", "x", "y");
    one("a", SEL_EXISTS, "a", NULL, NULL);
    one("!a", SEL_DOES_NOT_EXIST, "a", NULL, NULL);
}

static void test_label_whitespace(void **state)
{
    (void)state;
    one("  a  =  b  ", SEL_EQUALS, "a", "b", NULL);
    one("a\t==\nb", SEL_EQUALS, "a", "b", NULL);
    one("\r\na != b\r\n", SEL_NOT_EQUALS, "a", "b", NULL);
    one("a in(x)", SEL_IN, "a", "x", NULL);
    one("a in ( x , y )", SEL_IN, "a", "x", "y");
    one("a\tnotin\t(\tx\t)", SEL_NOT_IN, "a", "x", NULL);
    one("a notin(x,y)", SEL_NOT_IN, "a", "x", "y");
    one("!  a  ", SEL_DOES_NOT_EXIST, "a", NULL, NULL);
    one("   a   ", SEL_EXISTS, "a", NULL, NULL);

    struct selector s;

    ok_labels(" a , !b ,c=d,e  in  (f) ", &s);
    assert_int_equal(s.nreqs, 4);
    expect_req(&s, 0, SEL_EXISTS, "a", NULL);
    expect_req(&s, 1, SEL_DOES_NOT_EXIST, "b", NULL);
    expect_req(&s, 2, SEL_EQUALS, "c", "d", NULL);
    expect_req(&s, 3, SEL_IN, "e", "f", NULL);
    selector_done(&s);
    /* \v and \f are not whitespace to the Kubernetes lexer: they join the identifier. */
    bad_labels("a=\vb", "invalid label value");
}

static void test_label_empty_values(void **state)
{
    (void)state;
    one("a=", SEL_EQUALS, "a", "", NULL);
    one("a==", SEL_EQUALS, "a", "", NULL);
    one("a!=", SEL_NOT_EQUALS, "a", "", NULL);
    one("a = ", SEL_EQUALS, "a", "", NULL);
    one("a in ()", SEL_IN, "a", "", NULL);
    one("a in (,)", SEL_IN, "a", "", NULL);
    one("a in (x,)", SEL_IN, "a", "", "x");
    one("a in (,x)", SEL_IN, "a", "", "x");

    struct selector s;

    ok_labels("a notin (x,,y)", &s);
    expect_req(&s, 0, SEL_NOT_IN, "a", "", "x", "y", NULL);
    selector_done(&s);
    ok_labels("a=,b!=,c", &s);
    assert_int_equal(s.nreqs, 3);
    expect_req(&s, 0, SEL_EQUALS, "a", "", NULL);
    expect_req(&s, 1, SEL_NOT_EQUALS, "b", "", NULL);
    expect_req(&s, 2, SEL_EXISTS, "c", NULL);
    selector_done(&s);
}

static void test_label_sets_sorted_unique(void **state)
{
    struct selector s;

    (void)state;
    ok_labels("a in (z, y, z, x, y)", &s);
    expect_req(&s, 0, SEL_IN, "a", "x", "y", "z", NULL);
    selector_done(&s);
    ok_labels("a in (ab, a, b, A, aa)", &s); /* bytewise: uppercase first, prefix first */
    expect_req(&s, 0, SEL_IN, "a", "A", "a", "aa", "ab", "b", NULL);
    selector_done(&s);
}

static void test_label_k8s_examples(void **state)
{
    struct selector s;

    (void)state;
    one("environment in (production, qa)", SEL_IN, "environment", "production", "qa");
    one("tier notin (frontend, backend)", SEL_NOT_IN, "tier", "backend", "frontend");
    one("partition", SEL_EXISTS, "partition", NULL, NULL);
    one("!partition", SEL_DOES_NOT_EXIST, "partition", NULL, NULL);
    one("environment = production", SEL_EQUALS, "environment", "production", NULL);
    one("tier != frontend", SEL_NOT_EQUALS, "tier", "frontend", NULL);
    ok_labels("app=web,tier!=db", &s);
    assert_int_equal(s.nreqs, 2);
    expect_req(&s, 0, SEL_EQUALS, "app", "web", NULL);
    expect_req(&s, 1, SEL_NOT_EQUALS, "tier", "db", NULL);
    selector_done(&s);
    ok_labels("environment=production,tier!=frontend", &s);
    assert_int_equal(s.nreqs, 2);
    selector_done(&s);
    ok_labels("partition in (customerA, customerB),environment!=qa", &s);
    expect_req(&s, 0, SEL_IN, "partition", "customerA", "customerB", NULL);
    expect_req(&s, 1, SEL_NOT_EQUALS, "environment", "qa", NULL);
    selector_done(&s);
}

static void test_label_keywords_as_identifiers(void **state)
{
    struct selector s;

    (void)state;
    /* Where a key or value stands, "in" and "notin" are plain identifiers. */
    one("in", SEL_EXISTS, "in", NULL, NULL);
    one("!notin", SEL_DOES_NOT_EXIST, "notin", NULL, NULL);
    one("in=notin", SEL_EQUALS, "in", "notin", NULL);
    one("in in (in, notin)", SEL_IN, "in", "in", "notin");
    one("notin notin (in)", SEL_NOT_IN, "notin", "in", NULL);
    ok_labels("in,notin", &s);
    expect_req(&s, 0, SEL_EXISTS, "in", NULL);
    expect_req(&s, 1, SEL_EXISTS, "notin", NULL);
    selector_done(&s);
    one("a in (b)", SEL_IN, "a", "b", NULL);
    one("ain=b", SEL_EQUALS, "ain", "b", NULL);
    bad_labels("a inn (b)", "found 'inn', expected: in, notin, =, ==, !=");
}

static void test_label_prefixed_keys(void **state)
{
    (void)state;
    one("example.com/app=web", SEL_EQUALS, "example.com/app", "web", NULL);
    one("app.kubernetes.io/name in (x)", SEL_IN, "app.kubernetes.io/name", "x", NULL);
    one("!k8s.io/x", SEL_DOES_NOT_EXIST, "k8s.io/x", NULL, NULL);
    one("a-b.c-d.e/My_Name.v-1", SEL_EXISTS, "a-b.c-d.e/My_Name.v-1", NULL, NULL);
    one("1.2.3/9", SEL_EXISTS, "1.2.3/9", NULL, NULL);
    one("a..b=c", SEL_EQUALS, "a..b", "c", NULL); /* the name part allows runs of '.' */

    bad_labels("Example.com/a", "invalid label key \"Example.com/a\": prefix part a lowercase "
                                "RFC 1123 subdomain");
    bad_labels("/a", "prefix part must be non-empty");
    bad_labels("a/", "name part must be non-empty");
    bad_labels("a/b/c", "a qualified name must consist of");
    bad_labels("a..b/c", "prefix part a lowercase RFC 1123 subdomain");
    bad_labels("-a.com/b", "prefix part");
    bad_labels("a_b.com/c", "prefix part");
    bad_labels("a.com/-b", "name part must consist of");
    bad_labels("-a", "invalid label key \"-a\": name part must consist of");
    bad_labels("a-", "name part");
    bad_labels(".a", "name part");
    bad_labels("a:b", "name part");
    bad_labels("caf\xc3\xa9", "invalid label key \"caf\\xc3\\xa9\"");
}

static void test_label_key_and_value_lengths(void **state)
{
    char buf[600];
    char *name63 = repeat("k", 63, "", "");
    char *name64 = repeat("k", 64, "", "");
    char *prefix253 = repeat("abcdefghij.", 22, "", "abcdefghijk"); /* 253 bytes */
    char *prefix254 = repeat("abcdefghij.", 22, "", "abcdefghijkl");
    struct selector s;

    (void)state;
    assert_int_equal(strlen(prefix253), 253);
    ok_labels(name63, &s);
    selector_done(&s);
    bad_labels(name64, "name part must be no more than 63 characters");
    snprintf(buf, sizeof(buf), "%s/%s", prefix253, name63);
    ok_labels(buf, &s);
    expect_req(&s, 0, SEL_EXISTS, buf, NULL);
    selector_done(&s);
    snprintf(buf, sizeof(buf), "%s/a", prefix254);
    bad_labels(buf, "prefix part must be no more than 253 characters");

    snprintf(buf, sizeof(buf), "a=%s", name63);
    one(buf, SEL_EQUALS, "a", name63, NULL);
    snprintf(buf, sizeof(buf), "a=%s", name64);
    bad_labels(buf, "invalid label value: \"kkkk");
    bad_labels(buf, "must be no more than 63 characters");
    snprintf(buf, sizeof(buf), "a in (b, %s)", name64);
    bad_labels(buf, "must be no more than 63 characters");
    free(name63);
    free(name64);
    free(prefix253);
    free(prefix254);
}

static void test_label_value_rules(void **state)
{
    (void)state;
    one("a=UPPER.lower-1_2", SEL_EQUALS, "a", "UPPER.lower-1_2", NULL);
    one("a=1", SEL_EQUALS, "a", "1", NULL);
    bad_labels("a=-x", "invalid label value: \"-x\": at key: \"a\": a valid label must be an "
                       "empty string or consist of");
    bad_labels("a=x_", "invalid label value");
    bad_labels("a!=x/y", "invalid label value");
    bad_labels("a in (ok, no!)", "found '!', expected: ',' or ')'");
    bad_labels("a notin (ok, _no)", "invalid label value: \"_no\"");
    bad_labels("a=\"x\"", "invalid label value: \"\\\"x\\\"\"");
}

static void test_label_syntax_errors(void **state)
{
    (void)state;
    bad_labels("a=(b)", "unable to parse requirement: found '(', expected: identifier");
    bad_labels(",", "found ',', expected: !, identifier, or 'end of string'");
    bad_labels(",,,", "found ','");
    bad_labels("a,", "found '', expected: identifier after ','");
    bad_labels("a=b,", "expected: identifier after ','");
    bad_labels("a=b,,c", "found ',', expected: identifier after ','");
    bad_labels(",a", "found ','");
    bad_labels("a in b", "unable to parse requirement: found 'b' expected: '('");
    bad_labels("a in", "found '' expected: '('");
    bad_labels("a notin", "found '' expected: '('");
    bad_labels("a in (x", "found '', expected: ',' or ')'");
    bad_labels("a in x)", "found 'x' expected: '('");
    bad_labels("a in ((x))", "found '(', expected: ',', ')' or identifier");
    bad_labels("a in (x))", "found ')', expected: ',' or 'end of string'");
    bad_labels("a in (x y)", "found 'y', expected: ',' or ')'");
    bad_labels("a in (=)", "found '=', expected: ',', ')' or identifier");
    bad_labels("a in (x,=)", "found '=', expected: ',', or identifier");
    bad_labels("(", "found '(', expected: !, identifier, or 'end of string'");
    bad_labels(")", "found ')'");
    bad_labels("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=");
    bad_labels("a=b c", "found 'c', expected: ',' or 'end of string'");
    bad_labels("a===b", "found '=', expected: identifier");
    bad_labels("a=!b", "found '!', expected: identifier");
    bad_labels("=b", "found '=', expected: !, identifier, or 'end of string'");
    bad_labels("!", "unable to parse requirement: found '', expected: identifier");
    bad_labels("!!a", "found '!', expected: identifier");
    bad_labels("!a=b", "found '=', expected: ',' or 'end of string'");
    bad_labels("!a in (b)", "found 'in', expected: ',' or 'end of string'");
    bad_labels("a>1", "operator '>' is not supported");
    bad_labels("a < 1", "operator '<' is not supported");
    bad_labels("a=b;c=d", "invalid label value");
}

static void test_label_empty_and_blank(void **state)
{
    struct selector s;
    char err[ERRLEN];
    struct label_view l = {"a", "b"};

    (void)state;
    ok_labels("", &s);
    assert_int_equal(s.nreqs, 0);
    assert_true(selector_matches_labels(&s, NULL, 0));
    assert_true(selector_matches_labels(&s, &l, 1));
    selector_done(&s);
    ok_labels(" \t\r\n ", &s);
    assert_int_equal(s.nreqs, 0);
    selector_done(&s);
    /* NULL text is only acceptable with len 0. */
    assert_int_equal(label_selector_parse(NULL, 0, &s, err, sizeof(err)), 0);
    assert_int_equal(s.nreqs, 0);
    assert_int_equal(label_selector_parse(NULL, 3, &s, err, sizeof(err)), -EINVAL);
    assert_int_equal(s.nreqs, 0);
    assert_int_equal(field_selector_parse(NULL, 0, FIELD_KEYS, &s, err, sizeof(err)), 0);
    assert_int_equal(field_selector_parse(NULL, 1, FIELD_KEYS, &s, err, sizeof(err)), -EINVAL);
    assert_int_equal(s.nreqs, 0);
    assert_true(selector_matches_labels(NULL, &l, 1));
}

/* ---- limits and hostile text ------------------------------------------------------------ */

static void test_limits_requirements(void **state)
{
    char *t;
    struct selector s;

    (void)state;
    t = repeat("k,", SELECTOR_MAX_REQUIREMENTS - 1, "", "k");
    ok_labels(t, &s);
    assert_int_equal(s.nreqs, SELECTOR_MAX_REQUIREMENTS);
    selector_done(&s);
    free(t);
    t = repeat("k,", SELECTOR_MAX_REQUIREMENTS, "", "k");
    bad_labels(t, "more than 64 requirements");
    free(t);
    t = repeat("a=b,", 99, "", "a=b"); /* 100 */
    bad_labels(t, "more than 64 requirements");
    free(t);
    t = repeat("metadata.name=x,", 99, "", "metadata.name=x");
    bad_fields(t, "more than 64 requirements");
    free(t);
    t = repeat("metadata.name=x,", 63, "", "spec.nodeName=y");
    ok_fields(t, &s);
    assert_int_equal(s.nreqs, 64);
    selector_done(&s);
    free(t);
}

static void test_limits_values(void **state)
{
    char buf[2048];
    size_t o;
    struct selector s;

    (void)state;
    o = (size_t)snprintf(buf, sizeof(buf), "a in (");
    for (int i = 0; i < SELECTOR_MAX_VALUES; i++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "v%d,", i);
    buf[o - 1] = ')';
    buf[o] = '\0';
    ok_labels(buf, &s);
    assert_int_equal(s.reqs[0].nvalues, SELECTOR_MAX_VALUES);
    selector_done(&s);

    o = (size_t)snprintf(buf, sizeof(buf), "a notin (");
    for (int i = 0; i < 100; i++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "v%d,", i);
    buf[o - 1] = ')';
    buf[o] = '\0';
    bad_labels(buf, "more than 64 values in a set");

    /* The limit is on the set: repeats of one value are one value. */
    char *t = repeat("x,", 500, "a in (", "x)");

    ok_labels(t, &s);
    expect_req(&s, 0, SEL_IN, "a", "x", NULL);
    selector_done(&s);
    free(t);
    /* 64 distinct plus the empty value from ",," is one too many. */
    o = (size_t)snprintf(buf, sizeof(buf), "a in (");
    for (int i = 0; i < SELECTOR_MAX_VALUES; i++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "v%d,", i);
    snprintf(buf + o, sizeof(buf) - o, ",)");
    bad_labels(buf, "more than 64 values");
}

static void test_limits_length(void **state)
{
    char *t = malloc(SELECTOR_MAX_LEN + 1);
    struct selector s;
    char err[ERRLEN];

    (void)state;
    assert_non_null(t);
    memset(t, ' ', SELECTOR_MAX_LEN + 1);
    t[0] = 'a';
    assert_int_equal(parse_n(true, t, SELECTOR_MAX_LEN, &s, err), 0);
    expect_req(&s, 0, SEL_EXISTS, "a", NULL);
    selector_done(&s);
    bad_n(true, t, SELECTOR_MAX_LEN + 1, "more than the limit of 8192");
    memcpy(t, "metadata.name=", 14);
    memset(t + 14, 'x', SELECTOR_MAX_LEN + 1 - 14);
    assert_int_equal(parse_n(false, t, SELECTOR_MAX_LEN, &s, err), 0);
    assert_int_equal(strlen(s.reqs[0].values[0]), SELECTOR_MAX_LEN - 14);
    selector_done(&s);
    bad_n(false, t, SELECTOR_MAX_LEN + 1, "more than the limit of 8192");
    free(t);
}

static void test_hostile_nul(void **state)
{
    (void)state;
    bad_n(true, "a=b\0c", 5, "NUL");
    bad_n(true, "\0", 1, "NUL");
    bad_n(true, "a\0", 2, "NUL");
    bad_n(false, "metadata.name=a\0b", 17, "NUL");
    bad_n(false, "\0", 1, "NUL");
}

static void test_hostile_parens_and_long_keys(void **state)
{
    char *t;

    (void)state;
    t = repeat("(", 4000, "", "");
    bad_labels(t, "found '(', expected: !, identifier");
    free(t);
    t = repeat("((((", 1000, "a in ", "");
    bad_labels(t, "found '(', expected: ',', ')' or identifier");
    free(t);
    t = repeat(")", 4000, "a in (b", "");
    bad_labels(t, "found ')', expected: ',' or 'end of string'");
    free(t);
    t = repeat("k", 300, "", "=v");
    bad_labels(t, "name part must be no more than 63 characters");
    free(t);
    t = repeat("k", 300, "", "/v"); /* 300-byte prefix */
    bad_labels(t, "prefix part must be no more than 253 characters");
    free(t);
    t = repeat("!", 5000, "", "a");
    bad_labels(t, "found '!', expected: identifier");
    free(t);
    t = repeat(",", 5000, "a", "");
    bad_labels(t, "identifier after ','");
    free(t);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

/* Random bytes, and random strings over the selector alphabet: either accepted or rejected
 * cleanly (parse_n checks the rejected state), never a crash or a read past len. */
static void test_hostile_random(void **state)
{
    static const char alpha[] = "ab=!(), \tinotin.-_/\\";
    char buf[400];
    struct selector s;
    char err[ERRLEN];
    int accepted = 0;

    (void)state;
    for (int round = 0; round < 20000; round++) {
        size_t len = rnd() % sizeof(buf);
        bool binary = round % 2;

        for (size_t i = 0; i < len; i++)
            buf[i] = binary ? (char)rnd() : alpha[rnd() % (sizeof(alpha) - 1)];
        for (int kind = 0; kind < 2; kind++) {
            if (parse_n(kind == 0, buf, len, &s, err) == 0) {
                accepted++;
                assert_true(s.nreqs <= SELECTOR_MAX_REQUIREMENTS);
                selector_matches_labels(&s, NULL, 0);
                selector_done(&s);
                assert_null(s.reqs);
            }
        }
    }
    assert_true(accepted > 0);
}

static void test_error_buffer_handling(void **state)
{
    struct selector s;
    char small[8];

    (void)state;
    /* No message buffer at all. */
    assert_int_equal(label_selector_parse("a in (", 6, &s, NULL, 0), -EINVAL);
    assert_int_equal(s.nreqs, 0);
    assert_int_equal(field_selector_parse("x=y", 3, FIELD_KEYS, &s, NULL, 0), -EINVAL);
    /* A short one is truncated and terminated. */
    memset(small, 'x', sizeof(small));
    assert_int_equal(label_selector_parse("a=(b)", 5, &s, small, sizeof(small)), -EINVAL);
    assert_string_equal(small, "unable ");
    memset(small, 'x', sizeof(small));
    assert_int_equal(label_selector_parse(",", 1, &s, small, 1), -EINVAL);
    assert_int_equal(small[0], '\0');
    assert_int_equal(small[1], 'x');
    /* No output selector. */
    assert_int_equal(label_selector_parse("a", 1, NULL, NULL, 0), -EINVAL);
    assert_int_equal(field_selector_parse("a", 1, FIELD_KEYS, NULL, NULL, 0), -EINVAL);
    /* Long hostile input is echoed short. */
    char *t = repeat("\x01", 5000, "a=", "");
    char err[ERRLEN];

    assert_int_equal(parse_n(true, t, strlen(t), &s, err), -EINVAL);
    assert_true(strlen(err) < 600);
    assert_non_null(strstr(err, "\\x01\\x01"));
    free(t);
}

static void test_free_is_idempotent(void **state)
{
    struct selector s;

    (void)state;
    ok_labels("a in (b,c),d", &s);
    selector_done(&s);
    assert_null(s.reqs);
    assert_int_equal(s.nreqs, 0);
    selector_done(&s);
    selector_done(NULL);
}

/* ---- label matching --------------------------------------------------------------------- */

struct match_case {
    const char *sel;
    bool full;  /* against FULL below */
    bool empty; /* against no labels */
};

static const struct label_view FULL[] = {
    {"app", "web"},       {"blank", ""}, {"env", "prod"}, {"example.com/team", "core"},
    {"tier", "frontend"},
};

static void test_label_matching_table(void **state)
{
    static const struct match_case cases[] = {
        {"", true, true},
        {"app", true, false},
        {"!app", false, true},
        {"missing", false, false},
        {"!missing", true, true},
        {"app=web", true, false},
        {"app==web", true, false},
        {"app=db", false, false},
        {"missing=web", false, false},
        {"app!=web", false, true},
        {"app!=db", true, true},
        {"missing!=x", true, true},
        {"app in (web, db)", true, false},
        {"app in (db)", false, false},
        {"missing in (web)", false, false},
        {"app notin (web, db)", false, true},
        {"app notin (db)", true, true},
        {"missing notin (x)", true, true},
        {"blank", true, false},
        {"blank=", true, false},
        {"blank!=", false, true},
        {"missing=", false, false},
        {"missing!=", true, true},
        {"blank in (,x)", true, false},
        {"blank in (x)", false, false},
        {"blank notin ()", false, true},
        {"example.com/team=core", true, false},
        {"example.com/team in (core)", true, false},
        {"app=web,env=prod", true, false},
        {"app=web,env=dev", false, false},
        {"app=web,!tier", false, false},
        {"!a,!b,!c", true, true},
        {"tier notin (frontend, backend),app", false, false},
        {"environment in (production, qa)", false, false},
        {"a", false, false},   /* before the first key */
        {"zzz", false, false}, /* after the last key */
        {"!zzz", true, true},
    };
    struct selector s;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool full, empty;

        ok_labels(cases[i].sel, &s);
        full = selector_matches_labels(&s, FULL, sizeof(FULL) / sizeof(FULL[0]));
        empty = selector_matches_labels(&s, NULL, 0);
        if (full != cases[i].full || empty != cases[i].empty)
            fail_msg("\"%s\": full %d empty %d, want %d %d", cases[i].sel, full, empty,
                     cases[i].full, cases[i].empty);
        selector_done(&s);
    }
}

static void test_label_matching_each_position(void **state)
{
    char buf[64];
    struct selector s;
    size_t n = sizeof(FULL) / sizeof(FULL[0]);

    (void)state;
    /* Binary search finds every key of sets of each size. */
    for (size_t size = 1; size <= n; size++) {
        for (size_t i = 0; i < size; i++) {
            snprintf(buf, sizeof(buf), "%s=%s", FULL[i].key, FULL[i].value);
            ok_labels(buf, &s);
            assert_true(selector_matches_labels(&s, FULL, size));
            assert_false(selector_matches_labels(&s, FULL + i + 1, size - i - 1));
            selector_done(&s);
        }
    }
}

/* ---- field selectors -------------------------------------------------------------------- */

static void test_field_basic(void **state)
{
    struct selector s;

    (void)state;
    ok_fields("metadata.name=x", &s);
    assert_int_equal(s.nreqs, 1);
    expect_req(&s, 0, SEL_EQUALS, "metadata.name", "x", NULL);
    selector_done(&s);
    ok_fields("metadata.namespace!=y", &s);
    expect_req(&s, 0, SEL_NOT_EQUALS, "metadata.namespace", "y", NULL);
    selector_done(&s);
    ok_fields("spec.nodeName==n", &s);
    expect_req(&s, 0, SEL_EQUALS, "spec.nodeName", "n", NULL);
    selector_done(&s);
    ok_fields("metadata.name=a,metadata.namespace!=b,spec.nodeName==c", &s);
    assert_int_equal(s.nreqs, 3);
    expect_req(&s, 0, SEL_EQUALS, "metadata.name", "a", NULL);
    expect_req(&s, 1, SEL_NOT_EQUALS, "metadata.namespace", "b", NULL);
    expect_req(&s, 2, SEL_EQUALS, "spec.nodeName", "c", NULL);
    selector_done(&s);
    /* Values are not label values: anything but bare ',' and '='. */
    ok_fields("metadata.name=Has Spaces/and!stuff()", &s);
    expect_req(&s, 0, SEL_EQUALS, "metadata.name", "Has Spaces/and!stuff()", NULL);
    selector_done(&s);
    ok_fields("metadata.name=", &s);
    expect_req(&s, 0, SEL_EQUALS, "metadata.name", "", NULL);
    selector_done(&s);
    ok_fields("metadata.name!=", &s);
    expect_req(&s, 0, SEL_NOT_EQUALS, "metadata.name", "", NULL);
    selector_done(&s);
    /* The first operator splits: "=!x" is "=" then "!x". */
    ok_fields("metadata.name=!x", &s);
    expect_req(&s, 0, SEL_EQUALS, "metadata.name", "!x", NULL);
    selector_done(&s);
}

static void test_field_empty_terms(void **state)
{
    struct selector s;

    (void)state;
    ok_fields("", &s);
    assert_int_equal(s.nreqs, 0);
    selector_done(&s);
    ok_fields(",,,", &s);
    assert_int_equal(s.nreqs, 0);
    selector_done(&s);
    ok_fields(",metadata.name=x,,", &s);
    assert_int_equal(s.nreqs, 1);
    selector_done(&s);
}

static void test_field_escapes(void **state)
{
    struct selector s;

    (void)state;
    ok_fields("metadata.name=a\\,b\\=c\\\\d", &s);
    expect_req(&s, 0, SEL_EQUALS, "metadata.name", "a,b=c\\d", NULL);
    selector_done(&s);
    ok_fields("metadata.name=\\,,spec.nodeName=\\\\", &s);
    assert_int_equal(s.nreqs, 2);
    expect_req(&s, 0, SEL_EQUALS, "metadata.name", ",", NULL);
    expect_req(&s, 1, SEL_EQUALS, "spec.nodeName", "\\", NULL);
    selector_done(&s);
    /* An escaped comma does not split, so the '=' after it is bare. */
    bad_fields("metadata.name=a\\,spec.nodeName=b",
               "invalid field selector: unescaped character in value: =");
    bad_fields("metadata.name=a\\q", "invalid field selector: invalid escape sequence: \\q");
    bad_fields("metadata.name=a\\", "invalid escape sequence: \\");
    bad_fields("metadata.name===x", "unescaped character in value: =");
    bad_fields("metadata.name=a=b", "unescaped character in value: =");
}

static void test_field_errors(void **state)
{
    struct selector s;
    char err[ERRLEN];

    (void)state;
    bad_fields("status.phase=Running", "field label not supported: status.phase");
    bad_fields("metadata.name=x,status.phase=Running", "field label not supported: status.phase");
    bad_fields("metadata.name", "invalid selector: 'metadata.name'; can't understand "
                                "'metadata.name'");
    bad_fields("metadata.name=x,spec", "can't understand 'spec'");
    bad_fields("=x", "field label not supported: ");
    bad_fields("metadata.name = x", "field label not supported: metadata.name ");
    bad_fields("Metadata.name=x", "field label not supported: Metadata.name");
    bad_fields("labels.x\x01=y", "field label not supported: labels.x\\x01");
    /* NULL allowed_keys allows nothing. */
    assert_int_equal(field_selector_parse("metadata.name=x", 15, NULL, &s, err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "field label not supported: metadata.name"));
    assert_int_equal(s.nreqs, 0);
    assert_int_equal(field_selector_parse("", 0, NULL, &s, err, sizeof(err)), 0);
}

struct pod {
    const char *name, *ns, *node;
};

static const char *pod_field(const void *obj, const char *key)
{
    const struct pod *p = obj;

    if (strcmp(key, "metadata.name") == 0) return p->name;
    if (strcmp(key, "metadata.namespace") == 0) return p->ns;
    if (strcmp(key, "spec.nodeName") == 0) return p->node;
    return NULL;
}

static void test_field_matching(void **state)
{
    static const struct {
        const char *sel;
        bool match;
    } cases[] = {
        {"", true},
        {"metadata.name=web-1", true},
        {"metadata.name==web-1", true},
        {"metadata.name=web-2", false},
        {"metadata.name!=web-2", true},
        {"metadata.name!=web-1", false},
        {"metadata.namespace=default,metadata.name=web-1", true},
        {"metadata.namespace=default,metadata.name=web-2", false},
        {"spec.nodeName=", true}, /* absent compares as "" */
        {"spec.nodeName!=", false},
        {"spec.nodeName!=n1", true},
        {"spec.nodeName=n1", false},
    };
    const struct pod p = {"web-1", "default", NULL};
    struct selector s;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ok_fields(cases[i].sel, &s);
        if (selector_matches_fields(&s, pod_field, &p) != cases[i].match)
            fail_msg("\"%s\": want %d", cases[i].sel, cases[i].match);
        selector_done(&s);
    }
    /* Escaped values compare unescaped. */
    const struct pod q = {"a,b", "x=y", "\\"};

    ok_fields("metadata.name=a\\,b,metadata.namespace=x\\=y,spec.nodeName=\\\\", &s);
    assert_true(selector_matches_fields(&s, pod_field, &q));
    assert_false(selector_matches_fields(&s, pod_field, &p));
    selector_done(&s);
    /* A label selector evaluated as fields: exists and in use NULL as absent. */
    ok_labels("spec.nodeName", &s);
    assert_false(selector_matches_fields(&s, pod_field, &p));
    assert_true(selector_matches_fields(&s, pod_field, &q));
    selector_done(&s);
    ok_labels("metadata.name in (web-1, web-2)", &s);
    assert_true(selector_matches_fields(&s, pod_field, &p));
    selector_done(&s);
    assert_true(selector_matches_fields(NULL, pod_field, &p));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_operators),
        cmocka_unit_test(test_label_whitespace),
        cmocka_unit_test(test_label_empty_values),
        cmocka_unit_test(test_label_sets_sorted_unique),
        cmocka_unit_test(test_label_k8s_examples),
        cmocka_unit_test(test_label_keywords_as_identifiers),
        cmocka_unit_test(test_label_prefixed_keys),
        cmocka_unit_test(test_label_key_and_value_lengths),
        cmocka_unit_test(test_label_value_rules),
        cmocka_unit_test(test_label_syntax_errors),
        cmocka_unit_test(test_label_empty_and_blank),
        cmocka_unit_test(test_limits_requirements),
        cmocka_unit_test(test_limits_values),
        cmocka_unit_test(test_limits_length),
        cmocka_unit_test(test_hostile_nul),
        cmocka_unit_test(test_hostile_parens_and_long_keys),
        cmocka_unit_test(test_hostile_random),
        cmocka_unit_test(test_error_buffer_handling),
        cmocka_unit_test(test_free_is_idempotent),
        cmocka_unit_test(test_label_matching_table),
        cmocka_unit_test(test_label_matching_each_position),
        cmocka_unit_test(test_field_basic),
        cmocka_unit_test(test_field_empty_terms),
        cmocka_unit_test(test_field_escapes),
        cmocka_unit_test(test_field_errors),
        cmocka_unit_test(test_field_matching),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
