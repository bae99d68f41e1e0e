/* kmetrics-aggregator: command line; the server is in server.c. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "duration.h"
#include "file_read.h"
#include "log.h"
#include "strv.h"
#include "token_file.h"

#include "aggregator.h"
#include "http/tls_certs.h"
#include "kube/kube_client.h"
#include "kube/kube_config.h"
#include "server.h"

/* A boolean flag as metrics-server's (Go's) are given: bare, or =true/false (also 1/0). */
static int parse_bool_opt(const struct option *opts, int opt, const char *arg, bool *out)
{
    if (!arg || !strcmp(arg, "true") || !strcmp(arg, "1")) {
        *out = true;
        return 0;
    }
    if (!strcmp(arg, "false") || !strcmp(arg, "0")) {
        *out = false;
        return 0;
    }
    for (; opts->name; opts++)
        if (opts->val == opt) break;
    fprintf(stderr, "kmetrics-aggregator: --%s=%s: expected true or false\n",
            opts->name ? opts->name : "?", arg);
    return -1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: kmetrics-aggregator [options]\n"
            "Serves metrics.k8s.io from what kmetrics collectors ship.\n\n"
            "  --secure-port=N             HTTPS port (default 4443)\n"
            "  --bind-address=ADDR         listen address (default 0.0.0.0)\n"
            "  --tls-cert-file=F           serving certificate (PEM, with chain)\n"
            "  --tls-private-key-file=F    its key; without both, a self-signed pair is made\n"
            "  --cert-dir=DIR              where self-signed certificates go (default "
            "./certs)\n"
            "  --metric-resolution=DUR     CPU rate window (default 15s)\n"
            "  --node-expiry=DUR           drop a node silent this long, when its collector does\n"
            "                              not state its ship interval (else 3 of those;\n"
            "                              default 45s)\n"
            "  --node-selector=SEL         serve only nodes whose labels match SEL (a label\n"
            "                              selector, e.g. node-role=worker), and their pods\n"
            "  --expose-pod-signals        /metrics also exposes every pod's signals (those of\n"
            "                              custom.metrics.k8s.io), for an existing Prometheus\n"
            "  --ship-token-file=F         shared token collectors must present\n"
            "  --read-token-file=F         standalone: token API readers must present\n"
            "  --write-kubeconfig=F        write a kubeconfig for kubectl against this server\n"
            "                              (needs --read-token-file)\n"
            "\nKubernetes mode (in a cluster, or with --kubeconfig): callers are authenticated\n"
            "and authorized through the API server, collectors by ServiceAccount tokens.\n"
            "  --kubeconfig=F              API server access (default: in-cluster config)\n"
            "  --standalone                ignore the in-cluster config (shared tokens only)\n"
            "  --client-ca-file=F          CA of client certificates (default: ConfigMap\n"
            "                              kube-system/extension-apiserver-authentication)\n"
            "  --requestheader-client-ca-file=F      front proxy CA (default: the ConfigMap)\n"
            "  --requestheader-allowed-names=N[,N]   front proxy certificate names\n"
            "  --requestheader-username-headers=H[,H], --requestheader-group-headers=H[,H],\n"
            "  --requestheader-extra-headers-prefix=P[,P]   (default: the ConfigMap)\n"
            "  --collector-service-account=NS/NAME  collectors' ServiceAccount\n"
            "                              (default kube-system/kmetrics-collector)\n"
            "  --collector-token-audience=A         their tokens' audience (default kmetrics)\n"
            "  --collector-token-cache-ttl=DUR      trust a collector's token this long once\n"
            "                              reviewed and its pod found (default 5m)\n"
            "  --authentication-token-webhook-cache-ttl=DUR        (default 10s)\n"
            "  --authorization-webhook-cache-authorized-ttl=DUR    (default 10s)\n"
            "  --authorization-webhook-cache-unauthorized-ttl=DUR  (default 10s)\n"
            "\nKubelet-scrape fallback (Kubernetes mode; metrics-server's flags): nodes without a\n"
            "fresh collector are scraped at https://<node>:<port>/metrics/resource.\n"
            "  --kubelet-fallback[=BOOL]   scrape nodes without a collector (default true)\n"
            "  --collector-grace=DUR       a node's collector is silent after this long\n"
            "                              (default: two of its ship intervals)\n"
            "  --kubelet-preferred-address-types=T[,T]  (default " NODE_ADDRESS_DEFAULT_TYPES ")\n"
            "  --kubelet-port=N            (default 10250)\n"
            "  --kubelet-use-node-status-port[=BOOL]  the port the kubelet put in its Node\n"
            "  --kubelet-certificate-authority=F      kubelets' CA (default: the API server's)\n"
            "  --kubelet-insecure-tls[=BOOL]          do not verify kubelets' certificates\n"
            "  --kubelet-request-timeout=DUR          per scrape (default 10s)\n"
            "  --kubelet-scrape-concurrency=N         scrapes at once (default 16)\n"
            "  -v, --verbose  -q, --quiet  -h, --help\n");
}

int main(int argc, char **argv)
{
    enum {
        O_PORT = 256,
        O_BIND,
        O_CERT,
        O_KEY,
        O_CERTDIR,
        O_RES,
        O_EXPIRY,
        O_TOKEN,
        O_KUBECONFIG,
        O_READ_TOKEN,
        O_KUBE,
        O_STANDALONE,
        O_NODE_SELECTOR,
        O_EXPOSE_SIGNALS,
        O_CLIENT_CA,
        O_RH_CA,
        O_RH_NAMES,
        O_RH_USER,
        O_RH_GROUP,
        O_RH_EXTRA,
        O_COLLECTOR_SA,
        O_COLLECTOR_AUD,
        O_TOKEN_TTL,
        O_ALLOWED_TTL,
        O_DENIED_TTL,
        O_COLLECTOR_TTL,
        O_KL_FALLBACK,
        O_KL_GRACE,
        O_KL_TYPES,
        O_KL_PORT,
        O_KL_STATUS_PORT,
        O_KL_CA,
        O_KL_INSECURE,
        O_KL_TIMEOUT,
        O_KL_CONCURRENCY
    };
    static const struct option opts[] = {
        {"secure-port", required_argument, NULL, O_PORT},
        {"bind-address", required_argument, NULL, O_BIND},
        {"tls-cert-file", required_argument, NULL, O_CERT},
        {"tls-private-key-file", required_argument, NULL, O_KEY},
        {"cert-dir", required_argument, NULL, O_CERTDIR},
        {"metric-resolution", required_argument, NULL, O_RES},
        {"node-expiry", required_argument, NULL, O_EXPIRY},
        {"ship-token-file", required_argument, NULL, O_TOKEN},
        {"write-kubeconfig", required_argument, NULL, O_KUBECONFIG},
        {"read-token-file", required_argument, NULL, O_READ_TOKEN},
        {"kubeconfig", required_argument, NULL, O_KUBE},
        {"standalone", no_argument, NULL, O_STANDALONE},
        {"node-selector", required_argument, NULL, O_NODE_SELECTOR},
        {"expose-pod-signals", no_argument, NULL, O_EXPOSE_SIGNALS},
        {"client-ca-file", required_argument, NULL, O_CLIENT_CA},
        {"requestheader-client-ca-file", required_argument, NULL, O_RH_CA},
        {"requestheader-allowed-names", required_argument, NULL, O_RH_NAMES},
        {"requestheader-username-headers", required_argument, NULL, O_RH_USER},
        {"requestheader-group-headers", required_argument, NULL, O_RH_GROUP},
        {"requestheader-extra-headers-prefix", required_argument, NULL, O_RH_EXTRA},
        {"collector-service-account", required_argument, NULL, O_COLLECTOR_SA},
        {"collector-token-audience", required_argument, NULL, O_COLLECTOR_AUD},
        {"authentication-token-webhook-cache-ttl", required_argument, NULL, O_TOKEN_TTL},
        {"authorization-webhook-cache-authorized-ttl", required_argument, NULL, O_ALLOWED_TTL},
        {"authorization-webhook-cache-unauthorized-ttl", required_argument, NULL, O_DENIED_TTL},
        {"collector-token-cache-ttl", required_argument, NULL, O_COLLECTOR_TTL},
        {"kubelet-fallback", optional_argument, NULL, O_KL_FALLBACK},
        {"collector-grace", required_argument, NULL, O_KL_GRACE},
        {"kubelet-preferred-address-types", required_argument, NULL, O_KL_TYPES},
        {"kubelet-port", required_argument, NULL, O_KL_PORT},
        {"kubelet-use-node-status-port", optional_argument, NULL, O_KL_STATUS_PORT},
        {"kubelet-certificate-authority", required_argument, NULL, O_KL_CA},
        {"kubelet-insecure-tls", optional_argument, NULL, O_KL_INSECURE},
        {"kubelet-request-timeout", required_argument, NULL, O_KL_TIMEOUT},
        {"kubelet-scrape-concurrency", required_argument, NULL, O_KL_CONCURRENCY},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    static struct aggregator agg;
    struct aggregator_config *cfg = &agg.cfg;
    char err[512], cert[4096], key[4096], ca[4096];
    const char *token_file = NULL, *read_token_file = NULL;
    int opt, level = LOG_INFO, rc;
    char *token = NULL, *read_token = NULL, *collector_sa = NULL;
    bool standalone = false, has_node_selector = false;
    struct selector node_selector = {0};
    struct kube_config kcfg = {0};
    struct authn_source *af = &cfg->authn_flags;
    SSL_CTX *ssl;

    cfg->bind_address = "0.0.0.0";
    cfg->secure_port = 4443;
    cfg->cert_dir = "certs";
    cfg->metric_resolution_ns = 15 * NS_PER_SEC;
    cfg->node_expiry_ns = 45 * NS_PER_SEC;
    cfg->collector_namespace = "kube-system";
    cfg->collector_name = "kmetrics-collector";
    cfg->collector_audience = "kmetrics";
    cfg->token_ttl_ns = cfg->allowed_ttl_ns = cfg->denied_ttl_ns = 10 * NS_PER_SEC;
    cfg->collector_ttl_ns = 300 * NS_PER_SEC;
    cfg->kubelet_fallback = true;
    cfg->kubelet_timeout_ns = 10 * NS_PER_SEC;
    cfg->kubelet_concurrency = 16;
    cfg->kubelet_addresses.port = NODE_ADDRESS_DEFAULT_PORT;
    node_address_types_parse(NODE_ADDRESS_DEFAULT_TYPES, &cfg->kubelet_addresses, err, sizeof(err));
    while ((opt = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
        switch (opt) {
        case O_PORT:
            cfg->secure_port = atoi(optarg);
            if (cfg->secure_port <= 0 || cfg->secure_port > 65535) {
                fprintf(stderr, "kmetrics-aggregator: bad --secure-port %s\n", optarg);
                return 2;
            }
            break;
        case O_BIND:
            cfg->bind_address = optarg;
            break;
        case O_CERT:
            cfg->tls_cert_file = optarg;
            break;
        case O_KEY:
            cfg->tls_private_key_file = optarg;
            break;
        case O_CERTDIR:
            cfg->cert_dir = optarg;
            break;
        case O_RES:
        case O_EXPIRY: {
            int64_t ns;
            if (duration_parse(optarg, &ns) || ns < NS_PER_SEC / 10) {
                fprintf(stderr, "kmetrics-aggregator: bad duration %s\n", optarg);
                return 2;
            }
            *(opt == O_RES ? &cfg->metric_resolution_ns : &cfg->node_expiry_ns) = ns;
            break;
        }
        case O_TOKEN_TTL:
        case O_ALLOWED_TTL:
        case O_DENIED_TTL:
        case O_COLLECTOR_TTL: {
            int64_t ns;
            if (duration_parse(optarg, &ns) || ns < 0) {
                fprintf(stderr, "kmetrics-aggregator: bad duration %s\n", optarg);
                return 2;
            }
            *(opt == O_TOKEN_TTL       ? &cfg->token_ttl_ns
              : opt == O_ALLOWED_TTL   ? &cfg->allowed_ttl_ns
              : opt == O_COLLECTOR_TTL ? &cfg->collector_ttl_ns
                                       : &cfg->denied_ttl_ns) = ns;
            break;
        }
        case O_KL_FALLBACK:
        case O_KL_STATUS_PORT:
        case O_KL_INSECURE: {
            bool on;
            if (parse_bool_opt(opts, opt, optarg, &on)) return 2;
            *(opt == O_KL_FALLBACK      ? &cfg->kubelet_fallback
              : opt == O_KL_STATUS_PORT ? &cfg->kubelet_addresses.use_node_status_port
                                        : &cfg->kubelet_insecure_tls) = on;
            break;
        }
        case O_KL_GRACE:
        case O_KL_TIMEOUT: {
            int64_t ns;
            if (duration_parse(optarg, &ns) || ns < NS_PER_SEC / 10 || ns > 3600 * NS_PER_SEC) {
                fprintf(stderr, "kmetrics-aggregator: bad duration %s (0.1s to 1h)\n", optarg);
                return 2;
            }
            *(opt == O_KL_GRACE ? &cfg->collector_grace_ns : &cfg->kubelet_timeout_ns) = ns;
            break;
        }
        case O_KL_TYPES:
            if (node_address_types_parse(optarg, &cfg->kubelet_addresses, err, sizeof(err))) {
                fprintf(stderr, "kmetrics-aggregator: --kubelet-preferred-address-types: %s\n",
                        err);
                return 2;
            }
            break;
        case O_KL_PORT:
        case O_KL_CONCURRENCY: {
            char *end;
            long v = strtol(optarg, &end, 10);
            long max = opt == O_KL_PORT ? 65535 : 256;
            if (*end || end == optarg || v < 1 || v > max) {
                fprintf(stderr, "kmetrics-aggregator: bad --%s %s (1 to %ld)\n",
                        opt == O_KL_PORT ? "kubelet-port" : "kubelet-scrape-concurrency", optarg,
                        max);
                return 2;
            }
            if (opt == O_KL_PORT)
                cfg->kubelet_addresses.port = (uint16_t)v;
            else
                cfg->kubelet_concurrency = (int)v;
            break;
        }
        case O_KL_CA:
            cfg->kubelet_ca_file = optarg;
            break;
        case O_KUBE:
            cfg->kubeconfig = optarg;
            cfg->kube_mode = true;
            break;
        case O_STANDALONE:
            standalone = true;
            break;
        case O_EXPOSE_SIGNALS:
            cfg->expose_pod_signals = true;
            break;
        case O_NODE_SELECTOR: {
            char why[256];
            selector_done(&node_selector);
            if (label_selector_parse(optarg, strlen(optarg), &node_selector, why, sizeof(why))) {
                fprintf(stderr, "kmetrics-aggregator: --node-selector=%s: %s\n", optarg, why);
                return 2;
            }
            has_node_selector = true;
            break;
        }
        case O_CLIENT_CA:
        case O_RH_CA: {
            char *pem;
            size_t pem_len;
            int read_rc = file_read(AT_FDCWD, optarg, AUTHN_CONFIG_MAX_PEM, 0, &pem, &pem_len);
            if (read_rc) {
                fprintf(stderr, "kmetrics-aggregator: %s: %s\n", optarg,
                        read_rc == -EFBIG ? "larger than 1 MiB" : strerror(-read_rc));
                return 2;
            }
            *(opt == O_CLIENT_CA ? &af->client_ca_pem : &af->requestheader_ca_pem) = pem;
            break;
        }
        case O_RH_NAMES:
            af->allowed_names = strv_split(optarg, ',');
            break;
        case O_RH_USER:
            af->username_headers = strv_split(optarg, ',');
            break;
        case O_RH_GROUP:
            af->group_headers = strv_split(optarg, ',');
            break;
        case O_RH_EXTRA:
            af->extra_prefixes = strv_split(optarg, ',');
            break;
        case O_COLLECTOR_SA: {
            char *slash;
            free(collector_sa);
            collector_sa = strdup(optarg);
            slash = collector_sa ? strchr(collector_sa, '/') : NULL;
            if (!slash || slash == collector_sa || !slash[1] || strchr(slash + 1, '/')) {
                fprintf(stderr, "kmetrics-aggregator: --collector-service-account wants "
                                "NAMESPACE/NAME\n");
                return 2;
            }
            *slash = '\0';
            cfg->collector_namespace = collector_sa;
            cfg->collector_name = slash + 1;
            break;
        }
        case O_COLLECTOR_AUD:
            cfg->collector_audience = optarg;
            break;
        case O_TOKEN:
            token_file = optarg;
            break;
        case O_KUBECONFIG:
            cfg->kubeconfig_out = optarg;
            break;
        case O_READ_TOKEN:
            read_token_file = optarg;
            break;
        case 'v':
            level++;
            break;
        case 'q':
            level = LOG_WARN;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    log_set_level(level);
    if (!cfg->tls_cert_file != !cfg->tls_private_key_file) {
        fprintf(stderr, "kmetrics-aggregator: give both --tls-cert-file and "
                        "--tls-private-key-file, or neither\n");
        return 2;
    }
    if (!cfg->kube_mode && !standalone && getenv("KUBERNETES_SERVICE_HOST")) cfg->kube_mode = true;
    if (cfg->kube_mode) {
        if (token_file || read_token_file) {
            log_error("--ship-token-file and --read-token-file are for standalone mode; in "
                      "Kubernetes mode collectors and readers are authenticated by the API "
                      "server");
            return 2;
        }
        rc = kube_config_load(cfg->kubeconfig, NULL, &kcfg, err, sizeof(err));
        if (rc == 0) agg.kube = kube_client_new(&kcfg, err, sizeof(err));
        cfg->kube_access = &kcfg; /* the kubelet scrapes reuse its credentials */
        if (!agg.kube) {
            log_error("Kubernetes API access (%s): %s",
                      cfg->kubeconfig ? cfg->kubeconfig : "in-cluster", err);
            return 1;
        }
        log_info("Kubernetes mode: collectors must be %s/%s (token audience %s)",
                 cfg->collector_namespace, cfg->collector_name, cfg->collector_audience);
    } else if (token_file) {
        token = token_file_read(token_file, err, sizeof(err));
        if (!token) {
            log_error("--ship-token-file=%s", err);
            return 1;
        }
        cfg->ship_token = token;
    } else {
        log_warn("no --ship-token-file: every shipment will be refused");
    }
    if (cfg->kube_mode) {
        /* readers are authenticated by the API server */
    } else if (read_token_file) {
        read_token = token_file_read(read_token_file, err, sizeof(err));
        if (!read_token) {
            log_error("--read-token-file=%s", err);
            return 1;
        }
        cfg->read_token = read_token;
    } else {
        log_warn("no --read-token-file: API reads are not authenticated");
    }
    if (cfg->kubeconfig_out && !read_token) {
        log_error("--write-kubeconfig needs --read-token-file");
        return 2;
    }
    snprintf(ca, sizeof(ca), "%s/ca.crt", cfg->cert_dir);
    if (cfg->tls_cert_file) {
        snprintf(cert, sizeof(cert), "%s", cfg->tls_cert_file);
        snprintf(key, sizeof(key), "%s", cfg->tls_private_key_file);
    } else {
        if (tls_ensure_self_signed(cfg->cert_dir, err, sizeof(err))) {
            log_error("%s", err);
            return 1;
        }
        snprintf(cert, sizeof(cert), "%s/apiserver.crt", cfg->cert_dir);
        snprintf(key, sizeof(key), "%s/apiserver.key", cfg->cert_dir);
    }
    ssl = tls_server_context(cert, key, err, sizeof(err));
    if (!ssl) {
        log_error("%s", err);
        return 1;
    }
    if (cfg->kubeconfig_out) {
        const char *host =
            strcmp(cfg->bind_address, "0.0.0.0") == 0 ? "127.0.0.1" : cfg->bind_address;
        if (tls_write_kubeconfig(cfg->kubeconfig_out, host, cfg->secure_port,
                                 cfg->tls_cert_file ? cert : ca, read_token)) {
            log_error("writing kubeconfig %s failed", cfg->kubeconfig_out);
            return 1;
        }
    }
    store_init(&agg.store, cfg->metric_resolution_ns, cfg->node_expiry_ns);
    if (has_node_selector) agg.store.node_selector = &node_selector;
    metrics_query_scratch_init(&agg.query_scratch);
    respond_pool_init(&agg.responses);
    rc = server_run(&agg, ssl);
    respond_pool_done(&agg.responses);
    metrics_query_scratch_done(&agg.query_scratch);
    store_done(&agg.store);
    selector_done(&node_selector);
    SSL_CTX_free(ssl);
    free(token);
    free(read_token);
    free(collector_sa);
    authn_source_done(af);
    kube_client_free(agg.kube);
    kube_config_done(&kcfg);
    return rc ? 1 : 0;
}
