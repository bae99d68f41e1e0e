/* TLS material: a self-signed CA and serving certificate generated into a directory (and
 * reused), and the kubeconfig written for kubectl, whose CA data must hold the whole bundle
 * however long it is (a CA chain once came out cut at 16 KiB). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "file_read.h"
#include "http/tls_certs.h"
#include "lib/test_util.h"

static char dir[PATH_MAX];

static int setup(void **state)
{
    (void)state;
    return tu_tmpdir(dir, sizeof(dir), "tls-certs");
}

static int teardown(void **state)
{
    (void)state;
    tu_rm_rf(dir);
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    char *buf;

    assert_int_equal(file_read(AT_FDCWD, path, 16u << 20, 0, &buf, len), 0);
    return buf;
}

static void test_self_signed_generated_once(void **state)
{
    char certs[PATH_MAX + 16], path[PATH_MAX + 64], err[256], *first, *again;
    size_t n1, n2;

    (void)state;
    snprintf(certs, sizeof(certs), "%s/certs", dir);
    assert_int_equal(tls_ensure_self_signed(certs, err, sizeof(err)), 0);
    snprintf(path, sizeof(path), "%s/apiserver.crt", certs);
    first = slurp(path, &n1);
    assert_non_null(strstr(first, "-----BEGIN CERTIFICATE-----"));
    /* A second start reuses what is there. */
    assert_int_equal(tls_ensure_self_signed(certs, err, sizeof(err)), 0);
    again = slurp(path, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(first, again, n1);
    free(first);
    free(again);
    snprintf(path, sizeof(path), "%s/apiserver.crt", certs);
    char key[PATH_MAX + 64];
    snprintf(key, sizeof(key), "%s/apiserver.key", certs);
    SSL_CTX *ctx = tls_server_context(path, key, err, sizeof(err));
    assert_non_null(ctx);
    SSL_CTX_free(ctx);
}

static void test_kubeconfig_holds_whole_ca_bundle(void **state)
{
    char certs[PATH_MAX + 16], ca[PATH_MAX + 64], bundle[PATH_MAX + 32], kc[PATH_MAX + 32];
    char err[256], *one, *text, *data, *end;
    size_t len, total = 0, n;
    struct stat st;
    FILE *f;

    (void)state;
    snprintf(certs, sizeof(certs), "%s/certs", dir);
    assert_int_equal(tls_ensure_self_signed(certs, err, sizeof(err)), 0);
    snprintf(ca, sizeof(ca), "%s/ca.crt", certs);
    one = slurp(ca, &len);
    /* A chain of many certificates: about 40 KiB, well past 16 KiB. */
    snprintf(bundle, sizeof(bundle), "%s/bundle.crt", dir);
    f = fopen(bundle, "w");
    assert_non_null(f);
    while (total < 40 * 1024) {
        assert_int_equal(fwrite(one, 1, len, f), len);
        total += len;
    }
    fclose(f);
    free(one);

    snprintf(kc, sizeof(kc), "%s/kubeconfig", dir);
    assert_int_equal(tls_write_kubeconfig(kc, "127.0.0.1", 4443, bundle, "tok-en_1.2"), 0);
    assert_int_equal(stat(kc, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600); /* it holds a token */
    text = slurp(kc, &n);
    assert_non_null(strstr(text, "server: https://127.0.0.1:4443\n"));
    assert_non_null(strstr(text, "token: tok-en_1.2\n"));
    data = strstr(text, "certificate-authority-data: ");
    assert_non_null(data);
    data += strlen("certificate-authority-data: ");
    end = strchr(data, '\n');
    assert_non_null(end);
    unsigned char *decoded = malloc((size_t)(end - data));
    int dn = EVP_DecodeBlock(decoded, (const unsigned char *)data, (int)(end - data));
    assert_true(dn >= (int)total); /* EVP_DecodeBlock counts base64 padding as zero bytes */
    assert_true(dn - (int)total < 3);
    char *want = slurp(bundle, &n);
    assert_int_equal(n, total);
    assert_memory_equal(decoded, want, total);
    free(want);
    free(decoded);
    free(text);

    /* A token that would need quoting in YAML is refused rather than written. */
    assert_int_equal(tls_write_kubeconfig(kc, "127.0.0.1", 4443, bundle, "a b"), -1);
    /* An unreadable CA file too. */
    assert_int_equal(tls_write_kubeconfig(kc, "127.0.0.1", 4443, "/nonexistent", "t"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_self_signed_generated_once),
        cmocka_unit_test(test_kubeconfig_holds_whole_ca_bundle),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
