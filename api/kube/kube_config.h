/* Kubernetes API client configuration: where the API server is and how to authenticate to
 * it. Loaded from a kubeconfig file (the subset client-go supports without plugins) or from
 * the in-cluster service account mount. Nothing here opens connections.
 *
 * Kubeconfig rules (close to client-go's, stricter where client-go is ambiguous):
 * - Input is one YAML document of at most KUBE_CONFIG_MAX_YAML bytes, nested at most
 *   KUBE_CONFIG_MAX_DEPTH deep; aliases are refused (no billion laughs), anchors are ignored.
 * - A key read by this parser that appears twice in the same mapping is an error, as is a
 *   name used by two entries of clusters, users or contexts. Unknown keys are ignored.
 * - A null value (empty, "~", "null") is the same as the key being absent.
 * - Only the selected context, its cluster and its user are interpreted: other entries just
 *   need a "name" string.
 * - certificate-authority and certificate-authority-data together, the same for the client
 *   certificate and key, or a CA together with insecure-skip-tls-verify: error (client-go's
 *   validation refuses these too).
 * - tokenFile wins over token (as in client-go, the file is re-read when it rotates).
 * - exec, auth-provider, username/password, impersonation (as, as-groups, ...) and proxy-url
 *   are refused with -ENOTSUP rather than ignored: ignoring them would connect as someone else
 *   or by another route than the user configured.
 * - Referenced files are resolved against base_dir when relative, must be regular files and
 *   are capped at KUBE_CONFIG_MAX_FILE bytes.
 *
 * Errors are negative errno values with a one-line message in err naming the offending field
 * ("users[0].user.token: expected a string"): -EINVAL bad input, -ENOTSUP unsupported
 * feature, -E2BIG input too large or too many nodes, -EFBIG a referenced file over the cap,
 * -ENOENT and other errno values from reading files, -ENOMEM. */
#ifndef KMETRICS_KUBE_CONFIG_H
#define KMETRICS_KUBE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define KUBE_CONFIG_MAX_YAML (4u << 20)
#define KUBE_CONFIG_MAX_FILE (1u << 20)
#define KUBE_CONFIG_MAX_DEPTH 64
#define KUBE_CONFIG_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* Every pointer is malloc'd or NULL; byte buffers carry a length and also a terminating NUL
 * (not counted) so PEM can be handed to string APIs. */
struct kube_config {
    char *server; /* "https://host:port" (or http://); never NULL on success */
    char *ca_pem; /* CA bundle; NULL: use the system CAs */
    size_t ca_pem_len;
    bool insecure_skip_tls_verify; /* only ever set without ca_pem */
    char *client_cert_pem;         /* client certificate and key: both or neither */
    size_t client_cert_pem_len;
    char *client_key_pem;
    size_t client_key_pem_len;
    char *token;           /* bearer token (visible ASCII), NULL: none */
    char *token_file;      /* set when token came from a file: re-read it on rotation */
    char *tls_server_name; /* SNI / verification name override, NULL: host of server */
    char *namespace_;      /* default namespace, NULL: not set (callers use "default") */
};

/* Frees every field and zeroes the struct; safe on a zeroed or already freed struct. */
void kube_config_done(struct kube_config *cfg);

/* Parses kubeconfig bytes (need not be NUL-terminated) and resolves context (NULL: the file's
 * current-context). base_dir (NULL: the working directory) anchors relative file paths,
 * normally the kubeconfig's own directory. On error out is all-zero. */
int kube_config_parse(const char *yaml, size_t len, const char *context, const char *base_dir,
                      struct kube_config *out, char *err, size_t errlen);

/* In-cluster configuration: server from KUBERNETES_SERVICE_HOST/PORT, CA from sa_dir/ca.crt
 * (required), token read now from sa_dir/token (kept in token_file for rotation), namespace
 * from sa_dir/namespace (optional). sa_dir NULL: KUBE_CONFIG_SA_DIR. -ENOENT with "not running
 * in a cluster" when the environment variables are missing. */
int kube_config_in_cluster(const char *sa_dir, struct kube_config *out, char *err, size_t errlen);

/* kubeconfig_path NULL: in-cluster (context ignored); otherwise reads the file (at most
 * KUBE_CONFIG_MAX_YAML) and parses it with base_dir its directory. */
int kube_config_load(const char *kubeconfig_path, const char *context, struct kube_config *out,
                     char *err, size_t errlen);

#endif
