/* The API calls authentication and authorization delegate to the kube-apiserver, as JSON:
 * TokenReview (authentication.k8s.io/v1), SubjectAccessReview (authorization.k8s.io/v1) and
 * the Pod a collector's token is bound to. Builders return malloc'd JSON; parsers read the
 * API server's answers, which are outside input: bounded, type-checked, never trusted to
 * allow anything they do not state explicitly. */
#ifndef KMETRICS_KUBE_REVIEW_H
#define KMETRICS_KUBE_REVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "user_info.h"

#define KUBE_REVIEW_MAX_BODY (1u << 20)

/* What is asked of authorization. resource NULL: a non-resource request (path). */
struct access_attributes {
    const char *verb;        /* get, list */
    const char *group;       /* metrics.k8s.io */
    const char *version;     /* v1beta1 */
    const char *resource;    /* nodes, pods; NULL for non-resource */
    const char *subresource; /* custom metrics: pods/{name}/{metric}; NULL for none */
    const char *namespace_;
    const char *name;
    const char *path; /* non-resource path, e.g. /metrics */
};

/* audiences NULL-terminated or NULL (the API server's own). */
char *token_review_request(const char *token, size_t len, const char *const *audiences);
/* 1 authenticated (user filled), 0 not (why says so), negative errno on a malformed answer.
 * When audiences were asked, the answer must state one of them. */
int token_review_parse(const char *json, size_t len, const char *const *audiences,
                       struct user_info *user, char *why, size_t whylen);

char *access_review_request(const struct user_info *user, const struct access_attributes *a);
/* 1 allowed, 0 denied (why holds the reason if any), negative errno when malformed. */
int access_review_parse(const char *json, size_t len, char *why, size_t whylen);

/* A Pod's spec.nodeName and metadata.uid (malloc'd). 0, or negative errno. */
int pod_node_parse(const char *json, size_t len, char **node, char **uid);

/* A stable string naming the user and the attributes, for the authorization cache. */
char *access_cache_key(const struct user_info *user, const struct access_attributes *a);

#endif
