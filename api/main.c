/* kmetrics-aggregator: command line; the server is in server.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aggregator.h"
#include "duration.h"
#include "log.h"
#include "server.h"
#include "tls_certs.h"
#include "token_file.h"

#define SEC_NS ((int64_t)1000000000)

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
            "  --ship-token-file=F         shared token collectors must present\n"
            "  --read-token-file=F         standalone: token API readers must present\n"
            "  --write-kubeconfig=F        write a kubeconfig for kubectl against this server\n"
            "                              (needs --read-token-file)\n"
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
        O_READ_TOKEN
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
    char *token = NULL, *read_token = NULL;
    SSL_CTX *ssl;

    cfg->bind_address = "0.0.0.0";
    cfg->secure_port = 4443;
    cfg->cert_dir = "certs";
    cfg->metric_resolution_ns = 15 * SEC_NS;
    cfg->node_expiry_ns = 45 * SEC_NS;
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
            if (duration_parse(optarg, &ns) || ns < SEC_NS / 10) {
                fprintf(stderr, "kmetrics-aggregator: bad duration %s\n", optarg);
                return 2;
            }
            *(opt == O_RES ? &cfg->metric_resolution_ns : &cfg->node_expiry_ns) = ns;
            break;
        }
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
    if (token_file) {
        token = token_file_read(token_file, err, sizeof(err));
        if (!token) {
            log_error("--ship-token-file=%s", err);
            return 1;
        }
        cfg->ship_token = token;
    } else {
        log_warn("no --ship-token-file: every shipment will be refused");
    }
    if (read_token_file) {
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
    rc = server_run(&agg, ssl);
    store_free(&agg.store);
    SSL_CTX_free(ssl);
    free(token);
    free(read_token);
    return rc ? 1 : 0;
}
