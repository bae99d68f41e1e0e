/* libFuzzer harness for kube_config_parse.
 *
 * Invariants checked on every input:
 * - the return value is 0 or a negative errno value;
 * - on an error the output is all-zero and err holds a non-empty, NUL-terminated message;
 * - on success server is set and starts with https:// or http://, every string is
 *   NUL-terminated at its length, the client certificate and key come as a pair, a CA and
 *   insecure-skip-tls-verify never come together, and the token is visible ASCII;
 * - kube_config_done leaves the struct all-zero.
 *
 * base_dir is an empty scratch directory, so relative file references fail cleanly. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kube/kube_config.h"

static char scratch[128];

static void scratch_cleanup(void)
{
    if (scratch[0]) rmdir(scratch);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(scratch, sizeof(scratch), "/tmp/kmetrics-fuzz-kubeconfig-XXXXXX");
    if (!mkdtemp(scratch)) scratch[0] = '\0';
    atexit(scratch_cleanup);
    return 0;
}

static bool all_zero(const struct kube_config *c)
{
    static const struct kube_config zero;
    return memcmp(c, &zero, sizeof(zero)) == 0;
}

static void check_blob(const char *p, size_t len)
{
    if (!p) {
        if (len) abort();
        return;
    }
    if (len == 0 || p[len] != '\0') abort();
}

static void check_string(const char *s)
{
    if (s && strlen(s) == 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kube_config c;
    char err[256];
    int rc;

    memset(&c, 0xa5, sizeof(c)); /* must be overwritten, never read */
    memset(err, 'x', sizeof(err));
    rc = kube_config_parse((const char *)data, size, NULL, scratch[0] ? scratch : "/nonexistent",
                           &c, err, sizeof(err));
    if (memchr(err, '\0', sizeof(err)) == NULL) abort();
    if (rc) {
        if (rc > 0) abort(); /* any -errno: absolute file paths can fail in any way */
        if (!all_zero(&c) || err[0] == '\0') abort();
        return 0;
    }
    if (!c.server ||
        (strncmp(c.server, "https://", 8) != 0 && strncmp(c.server, "http://", 7) != 0))
        abort();
    check_blob(c.ca_pem, c.ca_pem_len);
    check_blob(c.client_cert_pem, c.client_cert_pem_len);
    check_blob(c.client_key_pem, c.client_key_pem_len);
    if (!c.client_cert_pem != !c.client_key_pem) abort();
    if (c.ca_pem && c.insecure_skip_tls_verify) abort();
    check_string(c.server);
    check_string(c.token);
    check_string(c.token_file);
    check_string(c.tls_server_name);
    check_string(c.namespace_);
    for (const char *t = c.token; t && *t; t++)
        if (*t < 0x21 || *t > 0x7e) abort();
    kube_config_done(&c);
    if (!all_zero(&c)) abort();
    return 0;
}
