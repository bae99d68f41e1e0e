/* A real kube-apiserver + etcd for a test (tests/e2e/cluster.sh), and a cluster-admin
 * kube_client to create what the test needs.
 *
 * The cluster lives in build/e2e-kube-client (KMETRICS_E2E_KUBE_DIR overrides) on etcd port
 * 23890 and API server port 16543 unless ETCD_PORT / APISERVER_PORT are set: not the ports
 * cluster.sh defaults to, so these tests and other end-to-end tests can each keep a cluster
 * running. It is stopped when the test ends unless KMETRICS_E2E_KEEP is set (then the next
 * run reuses it: cluster.sh up is idempotent). cluster.sh finds the Kubernetes binaries
 * itself (KMETRICS_K8S_BIN_DIR, or the repository's cache). */
#ifndef KMETRICS_TEST_KUBE_CLUSTER_H
#define KMETRICS_TEST_KUBE_CLUSTER_H

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kube/kube_client.h"
#include "kube/kube_config.h"

struct kube_cluster {
    char repo[PATH_MAX];
    char dir[PATH_MAX];
    char kubeconfig[PATH_MAX];
    char pki[PATH_MAX];
    char apiserver[128]; /* https://127.0.0.1:PORT */
    struct kube_client *admin;
};

/* Runs "cluster.sh CMD DIR" with the test's ports; returns its exit status. */
int kcl_script(const struct kube_cluster *c, const char *cmd);

/* Starts (or reuses) the cluster; fills c. 0 or -1 (cluster.sh's log is DIR.log). */
int kcl_up(struct kube_cluster *c);

void kcl_down(struct kube_cluster *c);

/* Runs etcdctl (v3 API) against the cluster's etcd with args; its output (both streams, cut
 * to n - 1 bytes, trailing newline removed) goes to out when not NULL. Returns its exit
 * status. */
int kcl_etcdctl(const struct kube_cluster *c, const char *args, char *out, size_t n);

/* A request as cluster-admin; returns the HTTP status (or a negative errno), body in out when
 * out is not NULL. */
long kcl_call(struct kube_cluster *c, const char *method, const char *path, const char *body,
              struct kube_response *out);

/* Creates an object as cluster-admin: POST body to path, server errors retried for up to 20 s
 * (on a fresh cluster a pod is refused with 500 until the controller-manager has made its
 * ServiceAccount's token). The last HTTP status: 201, or 409 when an earlier run made it. */
long kcl_create(struct kube_cluster *c, const char *path, const char *body);

/* A token for ServiceAccount ns/sa from the TokenRequest API (spec: the request's JSON), in
 * out. 0 or -1. */
int kcl_token(struct kube_cluster *c, const char *ns, const char *sa, const char *spec, char *out,
              size_t n);

/* Creates namespace ns and its default ServiceAccount (pods need it; they mount no token
 * here), waiting out a namespace of that name still terminating. 0 or -1. */
int kcl_namespace(struct kube_cluster *c, const char *ns);

/* Creates pod ns/name (one pause container, never scheduled) with labels (a JSON object);
 * its uid goes to uid when not NULL. Returns the HTTP status. */
long kcl_create_pod(struct kube_cluster *c, const char *ns, const char *name,
                    const char *labels_json, char *uid, size_t uidlen);

/* Replaces the object's labels: GET, change, PUT (the client sends JSON, not patches).
 * Returns the PUT's HTTP status. */
long kcl_relabel(struct kube_cluster *c, const char *path, const char *labels_json);

#endif
