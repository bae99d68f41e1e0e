/* libFuzzer harness for label_selector_parse() and field_selector_parse(): the selector is
 * query-string input. Besides running under ASan/UBSan (and LeakSanitizer, so every failure
 * path must free what it built) it checks on every input:
 *   - a rejected selector is empty and has a clean, terminated message;
 *   - an accepted one is within the limits, with keys and values valid per Kubernetes rules
 *     and label sets sorted and unique;
 *   - parsing the same text again gives the same requirements;
 *   - the selector rendered back to text parses to the same requirements;
 *   - matching against a fixed label set agrees with a plain reference evaluation.
 * libFuzzer hands over an exact-size heap copy, so a read past size is caught. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/selector.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ERRLEN 256

static const char *const FIELD_KEYS[] = {"metadata.name", "metadata.namespace", "spec.nodeName",
                                         NULL};

/* Sorted by key, as selector_matches_labels requires. */
static const struct label_view LABELS[] = {
    {"app", "web"}, {"env", ""}, {"example.com/x", "y"}, {"in", "notin"}, {"tier", "db"},
};
#define NLABELS (sizeof(LABELS) / sizeof(LABELS[0]))

struct obj {
    const char *name, *ns;
};

static const char *obj_field(const void *o, const char *key)
{
    const struct obj *p = o;

    if (strcmp(key, "metadata.name") == 0) return p->name;
    if (strcmp(key, "metadata.namespace") == 0) return p->ns;
    return NULL;
}

static bool alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 63 || !alnum(s[0]) || !alnum(s[n - 1])) return false;
    for (size_t i = 0; i < n; i++)
        if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.') return false;
    return true;
}

static bool key_ok(const char *k)
{
    const char *slash = strchr(k, '/');

    if (!slash) return name_ok(k, strlen(k));
    return oracle_dns_subdomain(k, (size_t)(slash - k)) && name_ok(slash + 1, strlen(slash + 1));
}

static void check_rejected(int rc, const struct selector *s, const char *err)
{
    CHECK(rc == -EINVAL);
    CHECK(s->reqs == NULL && s->nreqs == 0);
    CHECK(memchr(err, '\0', ERRLEN) != NULL);
    CHECK(err[0] != '\0');
    for (const char *p = err; *p; p++)
        CHECK(*p >= 0x20 && *p <= 0x7e);
}

static void check_label_selector(const struct selector *s)
{
    CHECK(s->nreqs <= SELECTOR_MAX_REQUIREMENTS);
    CHECK((s->nreqs == 0) == (s->reqs == NULL));
    for (size_t i = 0; i < s->nreqs; i++) {
        const struct selector_requirement *r = &s->reqs[i];

        CHECK(r->key && key_ok(r->key));
        switch (r->op) {
        case SEL_EXISTS:
        case SEL_DOES_NOT_EXIST:
            CHECK(r->nvalues == 0 && r->values == NULL);
            break;
        case SEL_EQUALS:
        case SEL_NOT_EQUALS:
            CHECK(r->nvalues == 1);
            break;
        case SEL_IN:
        case SEL_NOT_IN:
            CHECK(r->nvalues >= 1 && r->nvalues <= SELECTOR_MAX_VALUES);
            break;
        default:
            CHECK(!"op out of range");
        }
        for (size_t j = 0; j < r->nvalues; j++) {
            size_t n = strlen(r->values[j]);

            CHECK(n == 0 || name_ok(r->values[j], n));
            if (j) CHECK(strcmp(r->values[j - 1], r->values[j]) < 0);
        }
    }
}

static bool same(const struct selector *a, const struct selector *b)
{
    if (a->nreqs != b->nreqs) return false;
    for (size_t i = 0; i < a->nreqs; i++) {
        const struct selector_requirement *x = &a->reqs[i], *y = &b->reqs[i];

        if (x->op != y->op || strcmp(x->key, y->key) || x->nvalues != y->nvalues) return false;
        for (size_t j = 0; j < x->nvalues; j++)
            if (strcmp(x->values[j], y->values[j])) return false;
    }
    return true;
}

/* Appends s (escaping field-value specials when esc) to buf; false when it does not fit. */
static bool put(char *buf, size_t cap, size_t *o, const char *s, bool esc)
{
    for (; *s; s++) {
        if (esc && (*s == '\\' || *s == ',' || *s == '=')) {
            if (*o + 1 >= cap) return false;
            buf[(*o)++] = '\\';
        }
        if (*o + 1 >= cap) return false;
        buf[(*o)++] = *s;
    }
    return true;
}

/* The selector as text: compact label syntax, or escaped field terms. */
static bool render(const struct selector *s, bool fields, char *buf, size_t cap, size_t *len)
{
    static const char *const ops[] = {"=", "!=", " in(", " notin(", "", ""};
    size_t o = 0;
    bool ok = true;

    for (size_t i = 0; ok && i < s->nreqs; i++) {
        const struct selector_requirement *r = &s->reqs[i];

        ok = (!i || put(buf, cap, &o, ",", false)) &&
             (r->op != SEL_DOES_NOT_EXIST || put(buf, cap, &o, "!", false)) &&
             put(buf, cap, &o, r->key, false) && put(buf, cap, &o, ops[r->op], false);
        for (size_t j = 0; ok && j < r->nvalues; j++)
            ok = (!j || put(buf, cap, &o, ",", false)) && put(buf, cap, &o, r->values[j], fields);
        if (ok && (r->op == SEL_IN || r->op == SEL_NOT_IN)) ok = put(buf, cap, &o, ")", false);
    }
    *len = o;
    return ok;
}

static const char *ref_label(const char *key)
{
    for (size_t i = 0; i < NLABELS; i++)
        if (strcmp(LABELS[i].key, key) == 0) return LABELS[i].value;
    return NULL;
}

/* Requirement semantics written out plainly, with a linear lookup. */
static bool ref_matches(const struct selector *s)
{
    for (size_t i = 0; i < s->nreqs; i++) {
        const struct selector_requirement *r = &s->reqs[i];
        const char *v = ref_label(r->key);
        bool listed = false;

        for (size_t j = 0; v && j < r->nvalues; j++)
            listed |= strcmp(r->values[j], v) == 0;
        if (r->op == SEL_EXISTS && !v) return false;
        if (r->op == SEL_DOES_NOT_EXIST && v) return false;
        if ((r->op == SEL_EQUALS || r->op == SEL_IN) && !listed) return false;
        if ((r->op == SEL_NOT_EQUALS || r->op == SEL_NOT_IN) && listed) return false;
    }
    return true;
}

static void fuzz_labels(const char *text, size_t size, char *buf, size_t cap)
{
    struct selector s, again, back;
    char err[ERRLEN];
    size_t n;
    int rc = label_selector_parse(text, size, &s, err, sizeof(err));

    if (rc) {
        check_rejected(rc, &s, err);
        CHECK(label_selector_parse(text, size, &again, err, sizeof(err)) == rc);
        return;
    }
    check_label_selector(&s);
    CHECK(label_selector_parse(text, size, &again, err, sizeof(err)) == 0);
    CHECK(again.nreqs == s.nreqs && same(&s, &again));
    selector_done(&again);

    if (render(&s, false, buf, cap, &n) && n <= SELECTOR_MAX_LEN) {
        if (label_selector_parse(buf, n, &back, err, sizeof(err)) != 0) {
            fprintf(stderr, "rendered \"%.*s\" rejected: %s\n", (int)n, buf, err);
            abort();
        }
        CHECK(same(&s, &back));
        selector_done(&back);
    }

    CHECK(selector_matches_labels(&s, LABELS, NLABELS) == ref_matches(&s));
    selector_matches_labels(&s, NULL, 0);
    selector_done(&s);
    CHECK(s.reqs == NULL && s.nreqs == 0);
}

static void fuzz_fields(const char *text, size_t size, char *buf, size_t cap)
{
    static const struct obj o = {"web", NULL};
    struct selector s, again, back;
    char err[ERRLEN];
    size_t n;
    int rc = field_selector_parse(text, size, FIELD_KEYS, &s, err, sizeof(err));

    if (rc) {
        check_rejected(rc, &s, err);
        return;
    }
    CHECK(s.nreqs <= SELECTOR_MAX_REQUIREMENTS);
    for (size_t i = 0; i < s.nreqs; i++) {
        const struct selector_requirement *r = &s.reqs[i];
        bool known = false;

        CHECK(r->op == SEL_EQUALS || r->op == SEL_NOT_EQUALS);
        CHECK(r->nvalues == 1 && strlen(r->values[0]) <= size);
        for (size_t k = 0; FIELD_KEYS[k]; k++)
            known |= strcmp(FIELD_KEYS[k], r->key) == 0;
        CHECK(known);
    }
    CHECK(field_selector_parse(text, size, FIELD_KEYS, &again, err, sizeof(err)) == 0);
    CHECK(again.nreqs == s.nreqs && same(&s, &again));
    selector_done(&again);

    if (render(&s, true, buf, cap, &n) && n <= SELECTOR_MAX_LEN) {
        CHECK(field_selector_parse(buf, n, FIELD_KEYS, &back, err, sizeof(err)) == 0);
        CHECK(same(&s, &back));
        selector_done(&back);
    }
    selector_matches_fields(&s, obj_field, &o);
    selector_done(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    size_t cap = 2 * size + 64;
    char *buf = malloc(cap);

    if (!buf) return 0;
    fuzz_labels(text, size, buf, cap);
    fuzz_fields(text, size, buf, cap);
    free(buf);
    return 0;
}
