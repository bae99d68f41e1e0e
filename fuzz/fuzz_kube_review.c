/* libFuzzer harness for the kube-apiserver answers kube_review.c reads. The first byte picks
 * the parser, the rest is the answer:
 *   0 token_review_parse, no audiences    1 token_review_parse, audiences asked
 *   2 access_review_parse                 3 pod_node_parse
 *
 * Invariants checked on every input:
 * - token_review_parse returns 1, 0 or a negative errno; why is NUL-terminated; on anything
 *   but 1 the user is all-zero; 0 only when jansson reads a status whose authenticated is not
 *   true, or that lists none of the audiences asked; on 1 the user has a non-empty name, is
 *   within the USER_INFO limits, and (audiences asked) the answer lists one of them. The user then
 * goes into a SubjectAccessReview, which must build, parse back to the same user, and equal the
 * cache key; a deep copy builds the same document;
 * - access_review_parse returns only 1, 0 or -EINVAL/-ENOMEM; 1 only when jansson reads
 *   status.allowed true and status.denied not true; 0 only when it reads a boolean allowed;
 * - pod_node_parse returns 0 with both strings set (the uid non-empty, both as jansson reads
 *   them), or an error with both NULL. */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "auth/kube_review.h"

static bool all_zero(const struct user_info *u)
{
    static const struct user_info zero;
    return memcmp(u, &zero, sizeof(zero)) == 0;
}

static json_t *oracle_load(const char *s, size_t n)
{
    json_error_t e;
    return n > KUBE_REVIEW_MAX_BODY ? NULL : json_loadb(s, n, 0, &e);
}

static bool lists_audience(json_t *status, const char *const *aud)
{
    json_t *v;
    size_t i;

    json_array_foreach(json_object_get(status, "audiences"), i, v)
    {
        for (const char *const *a = aud; *a; a++)
            if (json_is_string(v) && strcmp(json_string_value(v), *a) == 0) return true;
    }
    return false;
}

/* The review document holds exactly this user. */
static void check_review_user(const char *doc, const struct user_info *u)
{
    json_error_t e;
    json_t *root = json_loads(doc, 0, &e), *spec = json_object_get(root, "spec"), *v;

    CHECK(root != NULL);
    CHECK(strcmp(json_string_value(json_object_get(spec, "user")), u->name) == 0);
    v = json_object_get(spec, "uid");
    CHECK(u->uid ? v && strcmp(json_string_value(v), u->uid) == 0 : v == NULL);
    v = json_object_get(spec, "groups");
    CHECK(json_array_size(v) == u->ngroups);
    for (size_t i = 0; i < u->ngroups; i++)
        CHECK(strcmp(json_string_value(json_array_get(v, i)), u->groups[i]) == 0);
    v = json_object_get(spec, "extra");
    CHECK(json_object_size(v) == u->nextra);
    for (size_t i = 0; i < u->nextra; i++) {
        json_t *vals = json_object_get(v, u->extra[i].key);
        CHECK(json_array_size(vals) == u->extra[i].nvalues);
        for (size_t j = 0; j < u->extra[i].nvalues; j++)
            CHECK(strcmp(json_string_value(json_array_get(vals, j)), u->extra[i].values[j]) == 0);
    }
    json_decref(root);
}

static void fuzz_token(const char *s, size_t n, bool with_aud)
{
    static const char *const aud[] = {"kmetrics-collector", "https://kubernetes.default.svc", NULL};
    static const struct access_attributes attrs = {.verb = "get",
                                                   .group = "metrics.k8s.io",
                                                   .version = "v1beta1",
                                                   .resource = "pods",
                                                   .namespace_ = "default",
                                                   .name = "web-0"};
    struct user_info u, copy;
    char why[128], *doc, *key, *doc2;
    json_t *root, *status;
    int rc;

    memset(&u, 0xa5, sizeof(u));
    memset(why, 'x', sizeof(why));
    rc = token_review_parse(s, n, with_aud ? aud : NULL, &u, why, sizeof(why));
    CHECK(memchr(why, '\0', sizeof(why)) != NULL);
    CHECK(rc == 1 || rc == 0 || rc == -EINVAL || rc == -E2BIG || rc == -ENOMEM);
    if (rc != 1) {
        CHECK(all_zero(&u));
        if (rc == 0) { /* a denial the answer states, or an audience it does not list */
            root = oracle_load(s, n);
            status = json_object_get(root, "status");
            CHECK(json_is_object(status));
            CHECK(!json_is_true(json_object_get(status, "authenticated")) ||
                  (with_aud && !lists_audience(status, aud)));
            json_decref(root);
        }
        return;
    }
    CHECK(u.name && u.name[0] != '\0');
    CHECK(!u.uid || u.uid[0] != '\0');
    CHECK(u.ngroups <= USER_INFO_MAX_GROUPS && u.nextra <= USER_INFO_MAX_EXTRA);
    for (size_t i = 0; i < u.nextra; i++)
        CHECK(u.extra[i].nvalues >= 1 && u.extra[i].nvalues <= USER_INFO_MAX_VALUES);
    root = oracle_load(s, n);
    CHECK(json_is_true(json_object_get(json_object_get(root, "status"), "authenticated")));
    if (with_aud) CHECK(lists_audience(json_object_get(root, "status"), aud));
    json_decref(root);

    doc = access_review_request(&u, &attrs);
    key = access_cache_key(&u, &attrs);
    CHECK(doc && key && strcmp(doc, key) == 0);
    check_review_user(doc, &u);
    CHECK(user_info_copy(&copy, &u) == 0);
    doc2 = access_review_request(&copy, &attrs);
    CHECK(doc2 && strcmp(doc, doc2) == 0);
    free(doc);
    free(doc2);
    free(key);
    user_info_done(&copy);
    user_info_done(&u);
    CHECK(all_zero(&u));
}

static void fuzz_access(const char *s, size_t n)
{
    char why[128];
    json_t *root, *status, *allowed;
    int rc;

    memset(why, 'x', sizeof(why));
    rc = access_review_parse(s, n, why, sizeof(why));
    CHECK(memchr(why, '\0', sizeof(why)) != NULL);
    CHECK(rc == 1 || rc == 0 || rc == -EINVAL || rc == -ENOMEM);
    if (rc < 0) return;
    root = oracle_load(s, n);
    status = json_object_get(root, "status");
    allowed = json_object_get(status, "allowed");
    CHECK(json_is_boolean(allowed));
    if (rc == 1) CHECK(json_is_true(allowed) && !json_is_true(json_object_get(status, "denied")));
    json_decref(root);
}

static void fuzz_pod(const char *s, size_t n)
{
    char *node = (char *)"unset", *uid = (char *)"unset";
    json_t *root;
    int rc = pod_node_parse(s, n, &node, &uid);

    if (rc) {
        CHECK(rc < 0 && node == NULL && uid == NULL);
        return;
    }
    CHECK(node && uid && uid[0] != '\0');
    root = oracle_load(s, n);
    /* An omitted nodeName (an unscheduled pod) reads as "". */
    const char *want =
        json_string_value(json_object_get(json_object_get(root, "spec"), "nodeName"));
    CHECK(strcmp(want ? want : "", node) == 0);
    CHECK(strcmp(json_string_value(json_object_get(json_object_get(root, "metadata"), "uid")),
                 uid) == 0);
    json_decref(root);
    free(node);
    free(uid);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data + 1;

    if (size == 0) return 0;
    switch (data[0] % 4) {
    case 0:
    case 1:
        fuzz_token(s, size - 1, data[0] % 4 == 1);
        break;
    case 2:
        fuzz_access(s, size - 1);
        break;
    default:
        fuzz_pod(s, size - 1);
        break;
    }
    return 0;
}
