/* TokenReview, SubjectAccessReview and Pod documents: what the aggregator asks the
 * kube-apiserver (parsed back and checked field by field) and how it reads the answers,
 * including answers that are malformed, oversized or ambiguous. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/kube_review.h"

static char why[256];

static bool all_zero(const struct user_info *u)
{
    static const struct user_info zero;
    return memcmp(u, &zero, sizeof(zero)) == 0;
}

static json_t *load_ok(const char *s)
{
    json_error_t e;
    json_t *j;

    assert_non_null(s);
    j = json_loads(s, JSON_REJECT_DUPLICATES, &e);
    assert_non_null(j);
    return j;
}

static const char *str_at(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    assert_true(json_is_string(v));
    return json_string_value(v);
}

/* --- TokenReview ------------------------------------------------------------------------- */

/* A kube-apiserver 1.20 answer for a pod-bound ServiceAccount token. */
static const char token_ok[] =
    "{\"kind\":\"TokenReview\",\"apiVersion\":\"authentication.k8s.io/v1\",\"metadata\":"
    "{\"creationTimestamp\":null},\"spec\":{\"token\":\"eyJhbGciOiJSUzI1NiJ9.e30.c2ln\","
    "\"audiences\":[\"kmetrics-collector\"]},\"status\":{\"authenticated\":true,\"user\":"
    "{\"username\":\"system:serviceaccount:kmetrics:collector\",\"uid\":\"5b1f4c2e-8d3a-4e6b-"
    "9f7c-1a2b3c4d5e6f\",\"groups\":[\"system:serviceaccounts\",\"system:serviceaccounts:"
    "kmetrics\",\"system:authenticated\"],\"extra\":{\"authentication.kubernetes.io/pod-name\":"
    "[\"kmetrics-collector-x7k2p\"],\"authentication.kubernetes.io/pod-uid\":[\"0e9d8c7b-6a5f-"
    "4e3d-2c1b-0a9f8e7d6c5b\"]}},\"audiences\":[\"kmetrics-collector\"]}}";

static int tr_parse(const char *json, size_t len, const char *const *aud, struct user_info *u)
{
    memset(u, 0x5a, sizeof(*u)); /* garbage in: never read or freed */
    memset(why, 'x', sizeof(why));
    return token_review_parse(json, len, aud, u, why, sizeof(why));
}

static void test_token_review_request(void **state)
{
    const char *const aud[] = {"kmetrics-collector", "https://kubernetes.default.svc", NULL};
    const char *const none[] = {NULL};
    json_t *j, *spec, *a;
    char *s;

    (void)state;
    s = token_review_request("tok\"en\\xyz", 9, aud); /* len bounds the token */
    j = load_ok(s);
    assert_string_equal(str_at(j, "apiVersion"), "authentication.k8s.io/v1");
    assert_string_equal(str_at(j, "kind"), "TokenReview");
    spec = json_object_get(j, "spec");
    assert_int_equal(json_object_size(spec), 2);
    assert_string_equal(str_at(spec, "token"), "tok\"en\\xy");
    a = json_object_get(spec, "audiences");
    assert_int_equal(json_array_size(a), 2);
    assert_string_equal(json_string_value(json_array_get(a, 0)), "kmetrics-collector");
    assert_string_equal(json_string_value(json_array_get(a, 1)), "https://kubernetes.default.svc");
    json_decref(j);
    free(s);

    /* no audiences (NULL or empty list): the API server's own, and no audiences member */
    for (int i = 0; i < 2; i++) {
        s = token_review_request("abc", 3, i ? none : NULL);
        j = load_ok(s);
        spec = json_object_get(j, "spec");
        assert_int_equal(json_object_size(spec), 1);
        assert_string_equal(str_at(spec, "token"), "abc");
        json_decref(j);
        free(s);
    }
    /* a token that is not UTF-8 cannot be put in JSON: no request, rather than one without
     * the token */
    assert_null(token_review_request("ab\xff", 3, NULL));
    assert_null(token_review_request("abc", 3, (const char *const[]){"aud\xc3", NULL}));
}

static void test_token_review_parse(void **state)
{
    const char *const aud[] = {"other", "kmetrics-collector", NULL};
    struct user_info u;

    (void)state;
    assert_int_equal(tr_parse(token_ok, strlen(token_ok), aud, &u), 1);
    assert_string_equal(why, "");
    assert_string_equal(u.name, "system:serviceaccount:kmetrics:collector");
    assert_string_equal(u.uid, "5b1f4c2e-8d3a-4e6b-9f7c-1a2b3c4d5e6f");
    assert_int_equal(u.ngroups, 3);
    assert_string_equal(u.groups[0], "system:serviceaccounts");
    assert_string_equal(u.groups[2], "system:authenticated");
    assert_int_equal(u.nextra, 2);
    assert_string_equal(user_info_extra(&u, "authentication.kubernetes.io/pod-name"),
                        "kmetrics-collector-x7k2p");
    assert_string_equal(user_info_extra(&u, "authentication.kubernetes.io/pod-uid"),
                        "0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b");
    user_info_done(&u);

    /* no audiences asked: whatever the answer says about them */
    assert_int_equal(tr_parse(token_ok, strlen(token_ok), NULL, &u), 1);
    user_info_done(&u);

    /* a minimal answer: username only; an empty uid is none */
    static const char minimal[] =
        "{\"status\":{\"authenticated\":true,\"user\":{\"username\":\"alice\",\"uid\":\"\"}}}";
    assert_int_equal(tr_parse(minimal, strlen(minimal), NULL, &u), 1);
    assert_string_equal(u.name, "alice");
    assert_null(u.uid);
    assert_int_equal(u.ngroups, 0);
    assert_int_equal(u.nextra, 0);
    user_info_done(&u);
}

/* The request as the API server sees it, answered with the audiences it asked for. */
static void test_token_review_round_trip(void **state)
{
    const char *const aud[] = {"kmetrics-collector", NULL};
    char *req = token_review_request("abc", 3, aud), *answer;
    json_t *j = load_ok(req), *spec = json_object_get(j, "spec");
    struct user_info u;

    (void)state;
    json_object_set_new(j, "status",
                        json_pack("{s:b,s:{s:s,s:[s]},s:O}", "authenticated", 1, "user", "username",
                                  "bob", "groups", "system:authenticated", "audiences",
                                  json_object_get(spec, "audiences")));
    answer = json_dumps(j, JSON_COMPACT);
    assert_int_equal(tr_parse(answer, strlen(answer), aud, &u), 1);
    assert_string_equal(u.name, "bob");
    assert_int_equal(u.ngroups, 1);
    user_info_done(&u);
    free(answer);
    json_decref(j);
    free(req);
}

static void expect_token_denied(const char *json, const char *const *aud, const char *msg)
{
    struct user_info u;

    assert_int_equal(tr_parse(json, strlen(json), aud, &u), 0);
    assert_true(all_zero(&u));
    assert_string_equal(why, msg);
}

static void expect_token_malformed(const char *json, int rc)
{
    struct user_info u;

    assert_int_equal(tr_parse(json, strlen(json), NULL, &u), rc);
    assert_true(all_zero(&u));
    assert_non_null(memchr(why, '\0', sizeof(why)));
}

static void test_token_review_denied(void **state)
{
    const char *const aud[] = {"kmetrics-collector", NULL};
    struct user_info u;
    char small[5];

    (void)state;
    expect_token_denied("{\"status\":{\"authenticated\":false,\"error\":\"[invalid bearer token, "
                        "square/go-jose: error in cryptographic primitive]\"}}",
                        NULL,
                        "[invalid bearer token, square/go-jose: error in cryptographic primitive]");
    expect_token_denied("{\"status\":{\"authenticated\":false}}", NULL, "token not authenticated");
    /* authenticated omitted: false is omitempty in the API */
    expect_token_denied("{\"kind\":\"TokenReview\",\"status\":{\"user\":{}}}", NULL,
                        "token not authenticated");
    /* a user in a negative answer is not a user */
    expect_token_denied(
        "{\"status\":{\"authenticated\":false,\"user\":{\"username\":\"system:admin\"}}}", NULL,
        "token not authenticated");
    /* audiences asked for, and the answer does not state one of them */
    expect_token_denied("{\"status\":{\"authenticated\":true,\"user\":{\"username\":\"a\"}}}", aud,
                        "token not issued for this audience");
    expect_token_denied("{\"status\":{\"authenticated\":true,\"user\":{\"username\":\"a\"},"
                        "\"audiences\":[]}}",
                        aud, "token not issued for this audience");
    expect_token_denied("{\"status\":{\"authenticated\":true,\"user\":{\"username\":\"a\"},"
                        "\"audiences\":[\"https://kubernetes.default.svc\",\"kmetrics\"]}}",
                        aud, "token not issued for this audience");
    expect_token_denied("{\"status\":{\"authenticated\":true,\"user\":{\"username\":\"a\"},"
                        "\"audiences\":\"kmetrics-collector\"}}",
                        aud, "token not issued for this audience");
    expect_token_denied("{\"status\":{\"authenticated\":true,\"user\":{\"username\":\"a\"},"
                        "\"audiences\":[[\"kmetrics-collector\"],{\"a\":\"kmetrics-collector\"}]}}",
                        aud, "token not issued for this audience");
    /* why is cut to its buffer */
    assert_int_equal(token_review_parse("{\"status\":{}}", 13, NULL, &u, small, sizeof(small)), 0);
    assert_string_equal(small, "toke");
    assert_int_equal(token_review_parse("{\"status\":{}}", 13, NULL, &u, NULL, 0), 0);
}

static void test_token_review_malformed(void **state)
{
    (void)state;
    expect_token_malformed("", -EINVAL);
    expect_token_malformed("not json", -EINVAL);
    expect_token_malformed("{\"status\":{\"authenticated\":true}", -EINVAL);
    expect_token_malformed("[]", -EINVAL);
    expect_token_malformed("{}", -EINVAL);
    expect_token_malformed("{\"status\":null}", -EINVAL);
    expect_token_malformed("{\"status\":[true]}", -EINVAL);
    expect_token_malformed("{\"status\":{\"authenticated\":\"true\"}}", -EINVAL);
    expect_token_malformed("{\"status\":{\"authenticated\":1}}", -EINVAL);
    /* authenticated, but who? */
    expect_token_malformed("{\"status\":{\"authenticated\":true}}", -EINVAL);
    expect_token_malformed("{\"status\":{\"authenticated\":true,\"user\":null}}", -EINVAL);
    expect_token_malformed("{\"status\":{\"authenticated\":true,\"user\":{}}}", -EINVAL);
    expect_token_malformed("{\"status\":{\"authenticated\":true,\"user\":{\"username\":\"\"}}}",
                           -EINVAL);
    expect_token_malformed("{\"status\":{\"authenticated\":true,\"user\":{\"username\":7}}}",
                           -EINVAL);
    expect_token_malformed("{\"status\":{\"authenticated\":true,\"user\":\"alice\"}}", -EINVAL);
    /* wrong types inside the user */
    expect_token_malformed("{\"status\":{\"authenticated\":true,\"user\":{\"username\":\"a\","
                           "\"groups\":\"system:masters\"}}}",
                           -EINVAL);
    expect_token_malformed("{\"status\":{\"authenticated\":true,\"user\":{\"username\":\"a\","
                           "\"groups\":[\"g\",1]}}}",
                           -EINVAL);
    expect_token_malformed("{\"status\":{\"authenticated\":true,\"user\":{\"username\":\"a\","
                           "\"extra\":[\"k\"]}}}",
                           -EINVAL);
    expect_token_malformed("{\"status\":{\"authenticated\":true,\"user\":{\"username\":\"a\","
                           "\"extra\":{\"k\":\"v\"}}}}",
                           -EINVAL);
    expect_token_malformed("{\"status\":{\"authenticated\":true,\"user\":{\"username\":\"a\","
                           "\"extra\":{\"k\":[\"v\",null]}}}}",
                           -EINVAL);
    /* a NUL in a string: jansson refuses the document */
    expect_token_malformed("{\"status\":{\"authenticated\":true,\"user\":{\"username\":"
                           "\"system:admin\\u0000x\"}}}",
                           -EINVAL);
    expect_token_malformed("{\"status\":{\"authenticated\":true,\"user\":{\"username\":\"a\","
                           "\"groups\":[\"system:masters\\u0000x\"]}}}",
                           -EINVAL);
}

/* {"status":{"authenticated":true,"user":{"username":"u","groups":[...n...]}}} etc. */
static char *user_with(size_t ngroups, size_t nkeys, size_t nvalues, size_t namelen)
{
    json_t *groups = json_array(), *extra = json_object(), *root;
    char *name = malloc(namelen + 1), k[32], *s;

    assert_non_null(name);
    memset(name, 'n', namelen);
    name[namelen] = '\0';
    for (size_t i = 0; i < ngroups; i++) {
        snprintf(k, sizeof(k), "g%zu", i);
        json_array_append_new(groups, json_string(k));
    }
    for (size_t i = 0; i < nkeys; i++) {
        json_t *vals = json_array();
        for (size_t j = 0; j < nvalues; j++)
            json_array_append_new(vals, json_string("v"));
        snprintf(k, sizeof(k), "k%zu", i);
        json_object_set_new(extra, k, vals);
    }
    root = json_pack("{s:{s:b,s:{s:s,s:o,s:o}}}", "status", "authenticated", 1, "user", "username",
                     name, "groups", groups, "extra", extra);
    s = json_dumps(root, JSON_COMPACT);
    assert_non_null(s);
    json_decref(root);
    free(name);
    return s;
}

static void expect_user_rc(char *json, int rc)
{
    struct user_info u;

    assert_int_equal(tr_parse(json, strlen(json), NULL, &u), rc);
    if (rc == 1)
        user_info_done(&u);
    else
        assert_true(all_zero(&u));
    free(json);
}

static void test_token_review_limits(void **state)
{
    size_t len;
    char *big;

    (void)state;
    expect_user_rc(user_with(USER_INFO_MAX_GROUPS, USER_INFO_MAX_EXTRA, USER_INFO_MAX_VALUES, 4096),
                   1);
    expect_user_rc(user_with(USER_INFO_MAX_GROUPS + 1, 0, 0, 1), -E2BIG);
    expect_user_rc(user_with(100000, 0, 0, 1), -E2BIG);
    expect_user_rc(user_with(0, USER_INFO_MAX_EXTRA + 1, 1, 1), -E2BIG);
    expect_user_rc(user_with(0, 1, USER_INFO_MAX_VALUES + 1, 1), -E2BIG);
    expect_user_rc(user_with(0, 0, 0, 4097), -EINVAL);

    /* the body: 1 MiB parses, a byte more does not, whatever it holds */
    big = user_with(3, 0, 0, 5);
    len = strlen(big);
    big = realloc(big, KUBE_REVIEW_MAX_BODY + 2);
    assert_non_null(big);
    memset(big + len, ' ', KUBE_REVIEW_MAX_BODY + 1 - len);
    big[KUBE_REVIEW_MAX_BODY + 1] = '\0';
    {
        struct user_info u;
        assert_int_equal(tr_parse(big, KUBE_REVIEW_MAX_BODY, NULL, &u), 1);
        assert_int_equal(u.ngroups, 3);
        user_info_done(&u);
        assert_int_equal(tr_parse(big, KUBE_REVIEW_MAX_BODY + 1, NULL, &u), -EINVAL);
        assert_true(all_zero(&u));
    }
    free(big);
}

/* --- SubjectAccessReview ------------------------------------------------------------------ */

static struct user_info sample_user(void)
{
    struct user_info u = {0};

    u.name = strdup("system:serviceaccount:monitoring:prometheus-adapter");
    u.uid = strdup("7d1c9a0e-1111-2222-3333-444455556666");
    assert_int_equal(user_info_add_group(&u, "system:serviceaccounts", 22), 0);
    assert_int_equal(user_info_add_group(&u, "system:authenticated", 20), 0);
    assert_int_equal(
        user_info_add_extra(&u, "authentication.kubernetes.io/pod-name", 37, "adapter-0", 9), 0);
    assert_int_equal(user_info_add_extra(&u, "scopes", 6, "a", 1), 0);
    assert_int_equal(user_info_add_extra(&u, "scopes", 6, "b", 1), 0);
    return u;
}

static const struct access_attributes pods_get = {
    .verb = "get",
    .group = "metrics.k8s.io",
    .version = "v1beta1",
    .resource = "pods",
    .namespace_ = "default",
    .name = "web-0",
    .path = "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web-0",
};

static void test_access_review_request_resource(void **state)
{
    struct user_info u = sample_user();
    json_t *j, *spec, *ra, *extra, *v;
    char *s;

    (void)state;
    s = access_review_request(&u, &pods_get);
    j = load_ok(s);
    assert_int_equal(json_object_size(j), 3);
    assert_string_equal(str_at(j, "apiVersion"), "authorization.k8s.io/v1");
    assert_string_equal(str_at(j, "kind"), "SubjectAccessReview");
    spec = json_object_get(j, "spec");
    assert_int_equal(json_object_size(spec), 5);
    assert_string_equal(str_at(spec, "user"), u.name);
    assert_string_equal(str_at(spec, "uid"), u.uid);
    v = json_object_get(spec, "groups");
    assert_int_equal(json_array_size(v), 2);
    assert_string_equal(json_string_value(json_array_get(v, 0)), "system:serviceaccounts");
    assert_string_equal(json_string_value(json_array_get(v, 1)), "system:authenticated");
    extra = json_object_get(spec, "extra");
    assert_int_equal(json_object_size(extra), 2);
    v = json_object_get(extra, "scopes");
    assert_int_equal(json_array_size(v), 2);
    assert_string_equal(json_string_value(json_array_get(v, 1)), "b");
    v = json_object_get(extra, "authentication.kubernetes.io/pod-name");
    assert_string_equal(json_string_value(json_array_get(v, 0)), "adapter-0");
    /* exactly the resource attributes, no path */
    assert_null(json_object_get(spec, "nonResourceAttributes"));
    ra = json_object_get(spec, "resourceAttributes");
    assert_int_equal(json_object_size(ra), 6);
    assert_string_equal(str_at(ra, "verb"), "get");
    assert_string_equal(str_at(ra, "group"), "metrics.k8s.io");
    assert_string_equal(str_at(ra, "version"), "v1beta1");
    assert_string_equal(str_at(ra, "resource"), "pods");
    assert_string_equal(str_at(ra, "namespace"), "default");
    assert_string_equal(str_at(ra, "name"), "web-0");
    json_decref(j);
    free(s);

    /* cluster-scoped list, core group: group "" is stated, namespace and name are not */
    struct access_attributes nodes = {.verb = "list", .resource = "nodes"};
    struct user_info bare = {.name = "bob"};
    s = access_review_request(&bare, &nodes);
    j = load_ok(s);
    spec = json_object_get(j, "spec");
    assert_int_equal(json_object_size(spec), 4); /* user, groups, extra, resourceAttributes */
    assert_null(json_object_get(spec, "uid"));
    assert_int_equal(json_array_size(json_object_get(spec, "groups")), 0);
    assert_int_equal(json_object_size(json_object_get(spec, "extra")), 0);
    ra = json_object_get(spec, "resourceAttributes");
    assert_int_equal(json_object_size(ra), 3);
    assert_string_equal(str_at(ra, "verb"), "list");
    assert_string_equal(str_at(ra, "group"), "");
    assert_string_equal(str_at(ra, "resource"), "nodes");
    json_decref(j);
    free(s);
    user_info_done(&u);
}

static void test_access_review_request_non_resource(void **state)
{
    struct user_info u = {.name = "system:serviceaccount:monitoring:prometheus"};
    struct access_attributes a = pods_get;
    json_t *j, *spec, *nra;
    char *s;

    (void)state;
    a.resource = NULL; /* the other resource fields are ignored */
    a.path = "/metrics";
    s = access_review_request(&u, &a);
    j = load_ok(s);
    spec = json_object_get(j, "spec");
    assert_null(json_object_get(spec, "resourceAttributes"));
    nra = json_object_get(spec, "nonResourceAttributes");
    assert_int_equal(json_object_size(nra), 2);
    assert_string_equal(str_at(nra, "verb"), "get");
    assert_string_equal(str_at(nra, "path"), "/metrics");
    json_decref(j);
    free(s);

    a.path = NULL;
    s = access_review_request(&u, &a);
    j = load_ok(s);
    assert_string_equal(
        str_at(json_object_get(json_object_get(j, "spec"), "nonResourceAttributes"), "path"), "/");
    json_decref(j);
    free(s);
}

/* A string jansson cannot encode must not be dropped from the question: a review without the
 * user (or a group, an extra, the namespace) asks something else, and is the cache key. */
static void test_access_review_request_not_utf8(void **state)
{
    struct user_info u = sample_user(), other = {0};
    struct access_attributes a = pods_get;

    (void)state;
    free(u.name);
    u.name = strdup("bob\xff");
    assert_null(access_review_request(&u, &a));
    assert_null(access_cache_key(&u, &a));
    free(u.name);
    u.name = strdup("bob");
    a.namespace_ = "def\xc3";
    assert_null(access_review_request(&u, &a));
    a.namespace_ = "default";
    a.verb = NULL;
    assert_null(access_review_request(&u, &a));
    a.verb = "get";
    a.resource = NULL;
    a.path = "/metrics\xe2\x82";
    assert_null(access_review_request(&u, &a));
    a = pods_get;
    user_info_done(&u);

    other.name = strdup("bob");
    assert_int_equal(user_info_add_group(&other, "dev\xff", 4), 0);
    assert_null(access_review_request(&other, &a));
    user_info_done(&other);
    other.name = strdup("bob");
    assert_int_equal(user_info_add_extra(&other, "k\xff", 2, "v", 1), 0);
    assert_null(access_review_request(&other, &a));
    user_info_done(&other);
    other.name = strdup("bob");
    assert_int_equal(user_info_add_extra(&other, "k", 1, "v\xff", 2), 0);
    assert_null(access_review_request(&other, &a));
    /* and valid multi-byte UTF-8 is fine */
    user_info_done(&other);
    other.name = strdup("b\xc3\xb6rje");
    char *s = access_review_request(&other, &a);
    assert_non_null(s);
    free(s);
    user_info_done(&other);
}

static int ar_parse(const char *json)
{
    memset(why, 'x', sizeof(why));
    return access_review_parse(json, strlen(json), why, sizeof(why));
}

static void test_access_review_parse(void **state)
{
    size_t len;
    char *big;

    (void)state;
    assert_int_equal(
        ar_parse("{\"kind\":\"SubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1\","
                 "\"metadata\":{\"creationTimestamp\":null},\"spec\":{\"resourceAttributes\":"
                 "{\"verb\":\"get\",\"group\":\"metrics.k8s.io\",\"resource\":\"pods\"},\"user\":"
                 "\"bob\",\"groups\":[\"system:authenticated\"]},\"status\":{\"allowed\":true,"
                 "\"reason\":\"RBAC: allowed by ClusterRoleBinding \\\"metrics\\\" of ClusterRole "
                 "\\\"view\\\" to User \\\"bob\\\"\"}}"),
        1);
    assert_string_equal(
        why,
        "RBAC: allowed by ClusterRoleBinding \"metrics\" of ClusterRole \"view\" to User \"bob\"");
    assert_int_equal(ar_parse("{\"status\":{\"allowed\":true,\"denied\":false}}"), 1);
    assert_string_equal(why, "");

    /* denied */
    assert_int_equal(ar_parse("{\"status\":{\"allowed\":false}}"), 0);
    assert_string_equal(why, "");
    assert_int_equal(ar_parse("{\"status\":{\"allowed\":false,\"reason\":\"no RBAC policy "
                              "matched\"}}"),
                     0);
    assert_string_equal(why, "no RBAC policy matched");
    assert_int_equal(ar_parse("{\"status\":{\"allowed\":false,\"denied\":true,\"reason\":\"webhook "
                              "says no\"}}"),
                     0);
    /* both: denied wins */
    assert_int_equal(ar_parse("{\"status\":{\"allowed\":true,\"denied\":true}}"), 0);
    /* an evaluation error is the reason when there is no other */
    assert_int_equal(ar_parse("{\"status\":{\"allowed\":false,\"evaluationError\":\"clusterrole."
                              "rbac.authorization.k8s.io \\\"gone\\\" not found\"}}"),
                     0);
    assert_string_equal(why, "clusterrole.rbac.authorization.k8s.io \"gone\" not found");
    assert_int_equal(ar_parse("{\"status\":{\"allowed\":false,\"reason\":\"\",\"evaluationError\":"
                              "\"e\"}}"),
                     0);
    assert_string_equal(why, "e");
    assert_int_equal(ar_parse("{\"status\":{\"allowed\":false,\"reason\":\"r\",\"evaluationError\":"
                              "\"e\"}}"),
                     0);
    assert_string_equal(why, "r");

    /* malformed: nothing is allowed for want of a clear answer */
    static const char *const bad[] = {
        "",
        "{",
        "[]",
        "{}",
        "{\"status\":{}}",
        "{\"status\":\"allowed\"}",
        "{\"status\":{\"denied\":false}}",
        "{\"status\":{\"allowed\":null}}",
        "{\"status\":{\"allowed\":\"true\"}}",
        "{\"status\":{\"allowed\":1}}",
        "{\"spec\":{},\"allowed\":true}",
        "{\"status\":{\"allowed\":true}} {}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(ar_parse(bad[i]), -EINVAL);
        assert_string_equal(why, "");
    }

    /* oversized: refused before parsing */
    big = strdup("{\"status\":{\"allowed\":true}}");
    len = strlen(big);
    big = realloc(big, KUBE_REVIEW_MAX_BODY + 2);
    assert_non_null(big);
    memset(big + len, ' ', KUBE_REVIEW_MAX_BODY + 1 - len);
    big[KUBE_REVIEW_MAX_BODY + 1] = '\0';
    assert_int_equal(access_review_parse(big, KUBE_REVIEW_MAX_BODY, why, sizeof(why)), 1);
    assert_int_equal(access_review_parse(big, KUBE_REVIEW_MAX_BODY + 1, why, sizeof(why)), -EINVAL);
    free(big);
}

/* --- Pod ---------------------------------------------------------------------------------- */

static void test_pod_node_parse(void **state)
{
    static const char pod[] =
        "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"kmetrics-collector-"
        "x7k2p\",\"generateName\":\"kmetrics-collector-\",\"namespace\":\"kmetrics\",\"uid\":"
        "\"0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b\",\"resourceVersion\":\"1234\",\"labels\":{\"app\":"
        "\"kmetrics-collector\"},\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":"
        "\"DaemonSet\",\"name\":\"kmetrics-collector\",\"uid\":\"1f2e3d4c-0000-1111-2222-"
        "333344445555\",\"controller\":true}]},\"spec\":{\"containers\":[{\"name\":\"collector\","
        "\"image\":\"kmetrics/collector:dev\"}],\"serviceAccountName\":\"collector\",\"nodeName\":"
        "\"kind-worker\"},\"status\":{\"phase\":\"Running\",\"hostIP\":\"172.18.0.3\"}}";
    char *node, *uid;

    (void)state;
    assert_int_equal(pod_node_parse(pod, strlen(pod), &node, &uid), 0);
    assert_string_equal(node, "kind-worker");
    assert_string_equal(uid, "0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b");
    free(node);
    free(uid);

    /* an empty nodeName is returned as it is (the caller decides) */
    static const char unscheduled[] = "{\"metadata\":{\"uid\":\"u\"},\"spec\":{\"nodeName\":\"\"}}";
    assert_int_equal(pod_node_parse(unscheduled, strlen(unscheduled), &node, &uid), 0);
    assert_string_equal(node, "");
    assert_string_equal(uid, "u");
    free(node);
    free(uid);

    /* the API server leaves nodeName out while the pod is unscheduled: no node, not an error */
    static const char pending[] = "{\"metadata\":{\"uid\":\"u\"},\"spec\":{\"containers\":[]}}";
    assert_int_equal(pod_node_parse(pending, strlen(pending), &node, &uid), 0);
    assert_string_equal(node, "");
    free(node);
    free(uid);

    static const char *const bad[] = {
        "",
        "null",
        "{\"metadata\":{\"uid\":\"u\"}}",
        "{\"metadata\":{\"uid\":\"u\"},\"spec\":{\"nodeName\":7}}",
        "{\"metadata\":{\"uid\":\"u\"},\"spec\":\"kind-worker\"}",
        "{\"metadata\":{},\"spec\":{\"nodeName\":\"n\"}}",
        "{\"metadata\":{\"uid\":\"\"},\"spec\":{\"nodeName\":\"n\"}}",
        "{\"metadata\":{\"uid\":[\"u\"]},\"spec\":{\"nodeName\":\"n\"}}",
        "{\"spec\":{\"nodeName\":\"n\"}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        node = uid = (char *)"garbage";
        assert_int_equal(pod_node_parse(bad[i], strlen(bad[i]), &node, &uid), -EINVAL);
        assert_null(node);
        assert_null(uid);
    }
}

/* --- cache keys --------------------------------------------------------------------------- */

static void test_access_cache_key(void **state)
{
    struct user_info u1 = sample_user(), u2 = sample_user(), v;
    struct access_attributes a = pods_get, b;
    char *k1 = access_cache_key(&u1, &a), *k2, *seen[32];
    size_t nseen = 0;

    (void)state;
    /* equal inputs, built apart: equal keys */
    k2 = access_cache_key(&u2, &pods_get);
    assert_non_null(k1);
    assert_string_equal(k1, k2);
    free(k2);
    seen[nseen++] = k1;

    /* any attribute differs */
    const char **fields[] = {&b.verb, &b.group, &b.version, &b.resource, &b.namespace_, &b.name};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        b = a;
        *fields[i] = "other";
        seen[nseen++] = access_cache_key(&u1, &b);
        b = a;
        if (fields[i] == &b.verb || fields[i] == &b.resource) continue;
        *fields[i] = NULL; /* absent is not the same as given */
        seen[nseen++] = access_cache_key(&u1, &b);
    }
    /* non-resource: by path */
    b = a;
    b.resource = NULL;
    seen[nseen++] = access_cache_key(&u1, &b);
    b.path = "/metrics";
    seen[nseen++] = access_cache_key(&u1, &b);
    /* the user differs */
    assert_int_equal(user_info_copy(&v, &u1), 0);
    free(v.name);
    v.name = strdup("system:serviceaccount:monitoring:other");
    seen[nseen++] = access_cache_key(&v, &a);
    user_info_done(&v);
    assert_int_equal(user_info_copy(&v, &u1), 0);
    free(v.uid);
    v.uid = NULL;
    seen[nseen++] = access_cache_key(&v, &a);
    user_info_done(&v);
    /* a group more, a group different, a group fewer */
    assert_int_equal(user_info_copy(&v, &u1), 0);
    assert_int_equal(user_info_add_group(&v, "system:masters", 14), 0);
    seen[nseen++] = access_cache_key(&v, &a);
    free(v.groups[0]);
    v.groups[0] = strdup("system:serviceaccountz");
    seen[nseen++] = access_cache_key(&v, &a);
    v.ngroups = 1; /* the others stay allocated: put them back before freeing */
    seen[nseen++] = access_cache_key(&v, &a);
    v.ngroups = 3;
    user_info_done(&v);
    /* an extra value differs, or one more */
    assert_int_equal(user_info_copy(&v, &u1), 0);
    assert_int_equal(user_info_add_extra(&v, "scopes", 6, "c", 1), 0);
    seen[nseen++] = access_cache_key(&v, &a);
    free(v.extra[1].values[0]);
    v.extra[1].values[0] = strdup("z");
    v.extra[1].nvalues = 2;
    seen[nseen++] = access_cache_key(&v, &a);
    v.extra[1].nvalues = 3;
    user_info_done(&v);
    /* names that would run together if the key were a plain concatenation */
    struct user_info ab = {.name = "a"}, a_b = {.name = "a,b"};
    char *g1[] = {"b,c"}, *g2[] = {"b", "c"};
    ab.groups = g1;
    ab.ngroups = 1;
    a_b.groups = g2;
    a_b.ngroups = 2;
    seen[nseen++] = access_cache_key(&ab, &a);
    seen[nseen++] = access_cache_key(&a_b, &a);

    assert_true(nseen <= sizeof(seen) / sizeof(seen[0]));
    for (size_t i = 0; i < nseen; i++) {
        assert_non_null(seen[i]);
        for (size_t j = 0; j < i; j++)
            if (strcmp(seen[i], seen[j]) == 0)
                fail_msg("keys %zu and %zu are equal: %s", j, i, seen[i]);
    }
    for (size_t i = 0; i < nseen; i++)
        free(seen[i]);
    user_info_done(&u1);
    user_info_done(&u2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_review_request),
        cmocka_unit_test(test_token_review_parse),
        cmocka_unit_test(test_token_review_round_trip),
        cmocka_unit_test(test_token_review_denied),
        cmocka_unit_test(test_token_review_malformed),
        cmocka_unit_test(test_token_review_limits),
        cmocka_unit_test(test_access_review_request_resource),
        cmocka_unit_test(test_access_review_request_non_resource),
        cmocka_unit_test(test_access_review_request_not_utf8),
        cmocka_unit_test(test_access_review_parse),
        cmocka_unit_test(test_pod_node_parse),
        cmocka_unit_test(test_access_cache_key),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
