#include "kube_review.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json_load.h"

#define FIELD_MAX 4096

static void set_why(char *why, size_t len, const char *msg, size_t msglen)
{
    if (!len) return;
    if (msglen >= len) msglen = len - 1;
    memcpy(why, msg, msglen);
    why[msglen] = '\0';
}

static char *dump(json_t *root)
{
    char *s = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    return s;
}

/* The json_object_set_new and json_array_append_new results of a builder, OR-ed: -1 when any
 * member was left out (jansson refuses strings that are not UTF-8, and NULL), in which case
 * the builder returns NULL rather than a document that asks something else. */
static char *dump_if(json_t *root, int failed)
{
    if (failed) {
        json_decref(root);
        return NULL;
    }
    return dump(root);
}

char *token_review_request(const char *token, size_t len, const char *const *audiences)
{
    json_t *spec = json_object(), *aud;
    json_t *root = json_pack("{s:s,s:s,s:o}", "apiVersion", "authentication.k8s.io/v1", "kind",
                             "TokenReview", "spec", spec);
    int failed = 0;

    if (!root) return NULL;
    failed |= json_object_set_new(spec, "token", json_stringn(token, len));
    if (audiences && audiences[0]) {
        aud = json_array();
        for (const char *const *a = audiences; *a; a++)
            failed |= json_array_append_new(aud, json_string(*a));
        failed |= json_object_set_new(spec, "audiences", aud);
    }
    return dump_if(root, failed);
}

static json_t *load(const char *json, size_t len)
{
    static const struct json_bounds bounds = {.max_bytes = KUBE_REVIEW_MAX_BODY};
    char why[128];
    json_t *j;

    json_load_bounded(json, len, &bounds, &j, why, sizeof(why));
    return j; /* NULL: malformed, whatever the reason */
}

/* A string member of at most FIELD_MAX bytes with no NUL, or NULL. */
static const char *str_field(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v) || json_string_length(v) > FIELD_MAX ||
        strlen(json_string_value(v)) != json_string_length(v))
        return NULL;
    return json_string_value(v);
}

static int parse_user(json_t *u, struct user_info *user)
{
    const char *name = str_field(u, "username"), *uid = str_field(u, "uid");
    json_t *groups = json_object_get(u, "groups"), *extra = json_object_get(u, "extra"), *v;
    const char *key;
    size_t i;

    if (!name || !*name) return -EINVAL;
    if (!(user->name = strdup(name)) || (uid && *uid && !(user->uid = strdup(uid)))) return -ENOMEM;
    if (groups && !json_is_array(groups)) return -EINVAL;
    json_array_foreach(groups, i, v)
    {
        if (!json_is_string(v) || json_string_length(v) > FIELD_MAX) return -EINVAL;
        if (user_info_add_group(user, json_string_value(v), strlen(json_string_value(v))))
            return -E2BIG;
    }
    if (extra && !json_is_object(extra)) return -EINVAL;
    json_object_foreach(extra, key, v)
    {
        json_t *item;
        size_t j;
        if (!json_is_array(v) || strlen(key) > FIELD_MAX) return -EINVAL;
        json_array_foreach(v, j, item)
        {
            if (!json_is_string(item) || json_string_length(item) > FIELD_MAX) return -EINVAL;
            if (user_info_add_extra(user, key, strlen(key), json_string_value(item),
                                    strlen(json_string_value(item))))
                return -E2BIG;
        }
    }
    return 0;
}

int token_review_parse(const char *json, size_t len, const char *const *audiences,
                       struct user_info *user, char *why, size_t whylen)
{
    json_t *root = load(json, len), *status, *auth;
    int rc = -EINVAL;

    memset(user, 0, sizeof(*user));
    set_why(why, whylen, "", 0);
    status = json_object_get(root, "status");
    if (!json_is_object(status)) goto out;
    auth = json_object_get(status, "authenticated");
    if (auth && !json_is_boolean(auth)) goto out;
    if (!json_is_true(auth)) {
        const char *e = str_field(status, "error");
        set_why(why, whylen, e ? e : "token not authenticated",
                strlen(e ? e : "token not authenticated"));
        rc = 0;
        goto out;
    }
    if (audiences && audiences[0]) {
        json_t *got = json_object_get(status, "audiences"), *v;
        size_t i;
        bool match = false;
        json_array_foreach(got, i, v) for (const char *const *a = audiences; *a;
                                           a++) if (json_is_string(v) &&
                                                    strcmp(json_string_value(v), *a) == 0) match =
            true;
        if (!match) {
            set_why(why, whylen, "token not issued for this audience", 34);
            rc = 0;
            goto out;
        }
    }
    rc = parse_user(json_object_get(status, "user"), user);
    if (rc == 0) rc = 1;
out:
    if (rc <= 0) user_info_done(user);
    json_decref(root);
    return rc;
}

/* 0, or -1 when something was left out (see dump_if). */
static int user_json(const struct user_info *user, json_t *spec)
{
    json_t *groups = json_array(), *extra = json_object();
    int failed = 0;

    failed |= json_object_set_new(spec, "user", json_string(user->name));
    if (user->uid) failed |= json_object_set_new(spec, "uid", json_string(user->uid));
    for (size_t i = 0; i < user->ngroups; i++)
        failed |= json_array_append_new(groups, json_string(user->groups[i]));
    failed |= json_object_set_new(spec, "groups", groups);
    for (size_t i = 0; i < user->nextra; i++) {
        json_t *vals = json_array();
        for (size_t j = 0; j < user->extra[i].nvalues; j++)
            failed |= json_array_append_new(vals, json_string(user->extra[i].values[j]));
        failed |= json_object_set_new(extra, user->extra[i].key, vals);
    }
    failed |= json_object_set_new(spec, "extra", extra);
    return failed;
}

char *access_review_request(const struct user_info *user, const struct access_attributes *a)
{
    json_t *spec = json_object(), *attrs = json_object();
    json_t *root = json_pack("{s:s,s:s,s:o}", "apiVersion", "authorization.k8s.io/v1", "kind",
                             "SubjectAccessReview", "spec", spec);
    int failed;

    if (!root) {
        json_decref(attrs);
        return NULL;
    }
    failed = user_json(user, spec);
    failed |= json_object_set_new(attrs, "verb", json_string(a->verb));
    if (a->resource) {
        failed |= json_object_set_new(attrs, "group", json_string(a->group ? a->group : ""));
        if (a->version) failed |= json_object_set_new(attrs, "version", json_string(a->version));
        failed |= json_object_set_new(attrs, "resource", json_string(a->resource));
        if (a->subresource)
            failed |= json_object_set_new(attrs, "subresource", json_string(a->subresource));
        if (a->namespace_)
            failed |= json_object_set_new(attrs, "namespace", json_string(a->namespace_));
        if (a->name) failed |= json_object_set_new(attrs, "name", json_string(a->name));
        failed |= json_object_set_new(spec, "resourceAttributes", attrs);
    } else {
        failed |= json_object_set_new(attrs, "path", json_string(a->path ? a->path : "/"));
        failed |= json_object_set_new(spec, "nonResourceAttributes", attrs);
    }
    return dump_if(root, failed);
}

int access_review_parse(const char *json, size_t len, char *why, size_t whylen)
{
    json_t *root = load(json, len), *status, *allowed;
    const char *reason;
    int rc = -EINVAL;

    set_why(why, whylen, "", 0);
    status = json_object_get(root, "status");
    if (!json_is_object(status)) goto out;
    allowed = json_object_get(status, "allowed");
    if (!json_is_boolean(allowed)) goto out;
    /* "denied" wins over "allowed" if a server ever says both. */
    rc = json_is_true(allowed) && !json_is_true(json_object_get(status, "denied")) ? 1 : 0;
    reason = str_field(status, "reason");
    if (!reason || !*reason) reason = str_field(status, "evaluationError");
    if (reason) set_why(why, whylen, reason, strlen(reason));
out:
    json_decref(root);
    return rc;
}

int pod_node_parse(const char *json, size_t len, char **node, char **uid)
{
    json_t *root = load(json, len);
    json_t *spec = json_object_get(root, "spec");
    const char *n = str_field(spec, "nodeName");
    const char *u = str_field(json_object_get(root, "metadata"), "uid");
    int rc = -EINVAL;

    /* The API server leaves nodeName out while a pod is unscheduled: that is "no node". */
    if (!n && json_is_object(spec) && !json_object_get(spec, "nodeName")) n = "";
    *node = *uid = NULL;
    if (n && u && *u) {
        *node = strdup(n);
        *uid = strdup(u);
        rc = *node && *uid ? 0 : -ENOMEM;
        if (rc) {
            free(*node);
            free(*uid);
            *node = *uid = NULL;
        }
    }
    json_decref(root);
    return rc;
}

char *access_cache_key(const struct user_info *user, const struct access_attributes *a)
{
    /* The request document itself is a canonical key: same user and attributes, same JSON. */
    return access_review_request(user, a);
}
