/* Kubernetes client configuration: kubeconfigs as kind and kubeadm write them, file
 * references, token users, in-cluster service accounts, and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kube/kube_config.h"
#include "lib/test_util.h"

#define CA_PEM "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n"
#define CA_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNBCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K"
#define CERT_PEM "-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n"
#define CERT_B64                                                                                   \
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNMSUVOVAotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg=="
#define KEY_PEM "-----BEGIN RSA PRIVATE KEY-----\nKEY\n-----END RSA PRIVATE KEY-----\n"
#define KEY_B64                                                                                    \
    "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpLRVkKLS0tLS1FTkQgUlNBIFBSSVZBVEUgS0VZLS0tLS0K"

/* The minimal valid document hostile cases start from, in flow style to keep them short. */
#define CTX "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n"
#define CLUSTER "clusters: [{name: k, cluster: {server: 'https://h:6443'}}]\n"
#define USER "users: [{name: u, user: {token: abc}}]\n"

static char dir[256];
static char errbuf[512];

static int setup(void **state)
{
    (void)state;
    return tu_tmpdir(dir, sizeof(dir), "kubeconfig");
}

static int teardown(void **state)
{
    (void)state;
    tu_rm_rf(dir);
    return 0;
}

static bool all_zero(const struct kube_config *c)
{
    static const struct kube_config zero;
    return memcmp(c, &zero, sizeof(zero)) == 0;
}

static int parse(const char *yaml, const char *context, struct kube_config *c)
{
    memset(c, 0x5a, sizeof(*c)); /* garbage in: the parser must not read or free it */
    return kube_config_parse(yaml, strlen(yaml), context, dir, c, errbuf, sizeof(errbuf));
}

/* Parse must fail with rc and exactly msg (or, with a trailing '*', a message starting so),
 * leaving the output zeroed. */
static void expect_fail(const char *yaml, int rc, const char *msg)
{
    struct kube_config c;
    size_t n = strlen(msg);

    assert_int_equal(parse(yaml, NULL, &c), rc);
    assert_true(all_zero(&c));
    if (n && msg[n - 1] == '*')
        assert_memory_equal(errbuf, msg, n - 1);
    else
        assert_string_equal(errbuf, msg);
}

static void test_kind_inline(void **state)
{
    static const char yaml[] = "apiVersion: v1\n"
                               "clusters:\n"
                               "- cluster:\n"
                               "    certificate-authority-data: " CA_B64 "\n"
                               "    server: https://127.0.0.1:36421\n"
                               "  name: kind-kind\n"
                               "contexts:\n"
                               "- context:\n"
                               "    cluster: kind-kind\n"
                               "    user: kind-kind\n"
                               "  name: kind-kind\n"
                               "current-context: kind-kind\n"
                               "kind: Config\n"
                               "preferences: {}\n"
                               "users:\n"
                               "- name: kind-kind\n"
                               "  user:\n"
                               "    client-certificate-data: " CERT_B64 "\n"
                               "    client-key-data: " KEY_B64 "\n";
    struct kube_config c;

    (void)state;
    assert_int_equal(parse(yaml, NULL, &c), 0);
    assert_string_equal(c.server, "https://127.0.0.1:36421");
    assert_int_equal(c.ca_pem_len, strlen(CA_PEM));
    assert_string_equal(c.ca_pem, CA_PEM);
    assert_int_equal(c.client_cert_pem_len, strlen(CERT_PEM));
    assert_string_equal(c.client_cert_pem, CERT_PEM);
    assert_int_equal(c.client_key_pem_len, strlen(KEY_PEM));
    assert_string_equal(c.client_key_pem, KEY_PEM);
    assert_null(c.token);
    assert_null(c.token_file);
    assert_null(c.namespace_);
    assert_null(c.tls_server_name);
    assert_false(c.insecure_skip_tls_verify);
    kube_config_done(&c);
    assert_true(all_zero(&c));
    kube_config_done(&c); /* twice is harmless */
}

/* kubeadm's admin.conf plus a second context; the non-current one is selected. */
static void test_kubeadm_select_context(void **state)
{
    static const char yaml[] = "apiVersion: v1\n"
                               "clusters:\n"
                               "- cluster:\n"
                               "    certificate-authority-data: " CA_B64 "\n"
                               "    server: https://10.0.0.10:6443\n"
                               "  name: kubernetes\n"
                               "- cluster:\n"
                               "    server: https://staging.example.com\n"
                               "    insecure-skip-tls-verify: true\n"
                               "    tls-server-name: api.staging.internal\n"
                               "  name: staging\n"
                               "contexts:\n"
                               "- context:\n"
                               "    cluster: kubernetes\n"
                               "    user: kubernetes-admin\n"
                               "  name: kubernetes-admin@kubernetes\n"
                               "- context:\n"
                               "    cluster: staging\n"
                               "    user: ci\n"
                               "    namespace: monitoring\n"
                               "  name: staging-ci\n"
                               "current-context: kubernetes-admin@kubernetes\n"
                               "kind: Config\n"
                               "preferences: {}\n"
                               "users:\n"
                               "- name: kubernetes-admin\n"
                               "  user:\n"
                               "    client-certificate-data: " CERT_B64 "\n"
                               "    client-key-data: " KEY_B64 "\n"
                               "- name: ci\n"
                               "  user:\n"
                               "    token: eyJhbGciOiJSUzI1NiJ9.payload.sig\n";
    struct kube_config c;

    (void)state;
    assert_int_equal(parse(yaml, NULL, &c), 0);
    assert_string_equal(c.server, "https://10.0.0.10:6443");
    assert_non_null(c.client_key_pem);
    assert_null(c.token);
    kube_config_done(&c);

    assert_int_equal(parse(yaml, "staging-ci", &c), 0);
    assert_string_equal(c.server, "https://staging.example.com");
    assert_true(c.insecure_skip_tls_verify);
    assert_null(c.ca_pem);
    assert_string_equal(c.tls_server_name, "api.staging.internal");
    assert_null(c.client_cert_pem);
    assert_null(c.client_key_pem);
    assert_string_equal(c.token, "eyJhbGciOiJSUzI1NiJ9.payload.sig");
    assert_null(c.token_file);
    assert_string_equal(c.namespace_, "monitoring");
    kube_config_done(&c);

    assert_int_equal(parse(yaml, "nope", &c), -EINVAL);
    assert_string_equal(errbuf, "context \"nope\" not found");
    assert_true(all_zero(&c));
}

static void test_file_references(void **state)
{
    char path[512], yaml[2048];
    struct kube_config c;

    (void)state;
    snprintf(path, sizeof(path), "%s/pki/ca.crt", dir);
    assert_int_equal(tu_write_file(path, CA_PEM, (size_t)-1), 0);
    snprintf(path, sizeof(path), "%s/abs/client.crt", dir);
    assert_int_equal(tu_write_file(path, CERT_PEM, (size_t)-1), 0);
    snprintf(path, sizeof(path), "%s/abs/client.key", dir);
    assert_int_equal(tu_write_file(path, KEY_PEM, (size_t)-1), 0);
    snprintf(yaml, sizeof(yaml),
             "clusters:\n- name: k\n  cluster:\n    server: https://h:6443\n"
             "    certificate-authority: pki/ca.crt\n"
             "users:\n- name: u\n  user:\n    client-certificate: %s/abs/client.crt\n"
             "    client-key: %s/abs/client.key\n" CTX,
             dir, dir);
    assert_int_equal(parse(yaml, NULL, &c), 0);
    assert_string_equal(c.ca_pem, CA_PEM);
    assert_int_equal(c.ca_pem_len, strlen(CA_PEM));
    assert_string_equal(c.client_cert_pem, CERT_PEM);
    assert_string_equal(c.client_key_pem, KEY_PEM);
    kube_config_done(&c);
}

static void test_token_users(void **state)
{
    char path[512];
    struct kube_config c;

    (void)state;
    snprintf(path, sizeof(path), "%s/tokens/sa", dir);
    assert_int_equal(tu_write_file(path, "  rotated-token\n", (size_t)-1), 0);

    assert_int_equal(
        parse(CTX CLUSTER "users: [{name: u, user: {tokenFile: tokens/sa}}]\n", NULL, &c), 0);
    assert_string_equal(c.token, "rotated-token");
    assert_string_equal(c.token_file, path);
    kube_config_done(&c);

    /* both: the file wins, it is the one that rotates */
    assert_int_equal(parse(CTX CLUSTER
                           "users: [{name: u, user: {token: old, tokenFile: tokens/sa}}]\n",
                           NULL, &c),
                     0);
    assert_string_equal(c.token, "rotated-token");
    kube_config_done(&c);

    assert_int_equal(parse(CTX CLUSTER USER, NULL, &c), 0);
    assert_string_equal(c.token, "abc");
    assert_null(c.token_file);
    assert_string_equal(c.server, "https://h:6443");
    kube_config_done(&c);

    /* no user in the context: anonymous */
    assert_int_equal(
        parse("current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n" CLUSTER, NULL,
              &c),
        0);
    assert_null(c.token);
    kube_config_done(&c);

    expect_fail(CTX CLUSTER "users: [{name: u, user: {tokenFile: tokens/missing}}]\n", -ENOENT,
                "users[0].user.tokenFile: /tmp/*");
    expect_fail(CTX CLUSTER "users: [{name: u, user: {token: \"a b\"}}]\n", -EINVAL,
                "users[0].user.token: not a token (only visible ASCII is allowed)");
    expect_fail(CTX CLUSTER "users: [{name: u, user: {token: \"a\\0b\"}}]\n", -EINVAL,
                "users[0].user.token: contains a NUL byte");
}

static void test_load_from_file(void **state)
{
    char path[512];
    struct kube_config c;

    (void)state;
    snprintf(path, sizeof(path), "%s/home/.kube/ca.pem", dir);
    assert_int_equal(tu_write_file(path, CA_PEM, (size_t)-1), 0);
    snprintf(path, sizeof(path), "%s/home/.kube/config", dir);
    assert_int_equal(tu_write_file(path,
                                   CTX USER "clusters: [{name: k, cluster: {server: "
                                            "'https://h:6443', certificate-authority: ca.pem}}]\n",
                                   (size_t)-1),
                     0);
    assert_int_equal(kube_config_load(path, NULL, &c, errbuf, sizeof(errbuf)), 0);
    assert_string_equal(c.ca_pem, CA_PEM); /* relative to the kubeconfig, not the cwd */
    kube_config_done(&c);

    snprintf(path, sizeof(path), "%s/home/.kube/nope", dir);
    assert_int_equal(kube_config_load(path, NULL, &c, errbuf, sizeof(errbuf)), -ENOENT);
    assert_true(all_zero(&c));
}

static void write_sa(const char *sa, bool with_namespace)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/ca.crt", sa);
    assert_int_equal(tu_write_file(path, CA_PEM, (size_t)-1), 0);
    snprintf(path, sizeof(path), "%s/token", sa);
    assert_int_equal(tu_write_file(path, "sa-token\n", (size_t)-1), 0);
    if (with_namespace) {
        snprintf(path, sizeof(path), "%s/namespace", sa);
        assert_int_equal(tu_write_file(path, "kmetrics", (size_t)-1), 0);
    }
}

static void test_in_cluster(void **state)
{
    char sa[512], sa2[512], path[600];
    struct kube_config c;

    (void)state;
    snprintf(sa, sizeof(sa), "%s/sa", dir);
    write_sa(sa, true);
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    assert_int_equal(kube_config_in_cluster(sa, &c, errbuf, sizeof(errbuf)), 0);
    assert_string_equal(c.server, "https://10.96.0.1:443");
    assert_string_equal(c.ca_pem, CA_PEM);
    assert_string_equal(c.token, "sa-token");
    snprintf(path, sizeof(path), "%s/token", sa);
    assert_string_equal(c.token_file, path);
    assert_string_equal(c.namespace_, "kmetrics");
    kube_config_done(&c);

    setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
    assert_int_equal(kube_config_in_cluster(sa, &c, errbuf, sizeof(errbuf)), 0);
    assert_string_equal(c.server, "https://[fd00:10:96::1]:6443");
    kube_config_done(&c);
    setenv("KUBERNETES_SERVICE_HOST", "[fd00::1]", 1);
    assert_int_equal(kube_config_in_cluster(sa, &c, errbuf, sizeof(errbuf)), 0);
    assert_string_equal(c.server, "https://[fd00::1]:6443");
    kube_config_done(&c);

    /* no namespace file: fine, left unset */
    snprintf(sa2, sizeof(sa2), "%s/sa2", dir);
    write_sa(sa2, false);
    assert_int_equal(kube_config_in_cluster(sa2, &c, errbuf, sizeof(errbuf)), 0);
    assert_null(c.namespace_);
    assert_string_equal(errbuf, "");
    kube_config_done(&c);

    setenv("KUBERNETES_SERVICE_PORT", "99999", 1);
    assert_int_equal(kube_config_in_cluster(sa, &c, errbuf, sizeof(errbuf)), -EINVAL);
    assert_string_equal(errbuf, "KUBERNETES_SERVICE_PORT: \"99999\" is not a port number");
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    setenv("KUBERNETES_SERVICE_HOST", "evil/path", 1);
    assert_int_equal(kube_config_in_cluster(sa, &c, errbuf, sizeof(errbuf)), -EINVAL);
    assert_true(all_zero(&c));

    /* the token is required */
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    snprintf(path, sizeof(path), "%s/token", sa2);
    unlink(path);
    assert_int_equal(kube_config_in_cluster(sa2, &c, errbuf, sizeof(errbuf)), -ENOENT);
    assert_true(all_zero(&c));

    unsetenv("KUBERNETES_SERVICE_HOST");
    assert_int_equal(kube_config_in_cluster(sa, &c, errbuf, sizeof(errbuf)), -ENOENT);
    assert_string_equal(errbuf, "not running in a cluster: KUBERNETES_SERVICE_HOST and "
                                "KUBERNETES_SERVICE_PORT must be set");
    assert_int_equal(kube_config_load(NULL, NULL, &c, errbuf, sizeof(errbuf)), -ENOENT);
    assert_true(all_zero(&c));
    unsetenv("KUBERNETES_SERVICE_PORT");
}

static void test_hostile_structure(void **state)
{
    static char deep[8192];
    size_t n = 0;

    (void)state;
    expect_fail("", -EINVAL, "empty kubeconfig");
    expect_fail("# only a comment\n", -EINVAL, "empty kubeconfig");
    expect_fail("{{{ ]", -EINVAL, "line 1: mapping keys must be scalars");
    expect_fail("key: 'unterminated", -EINVAL, "line 1 column *");
    expect_fail("]]]", -EINVAL, "line 1 column 1: did not find expected node content");
    expect_fail("\tkey: [unclosed", -EINVAL, "line 1 column *");
    expect_fail("just a scalar\n", -EINVAL, "top level: expected a mapping");
    expect_fail("- a\n- b\n", -EINVAL, "top level: expected a mapping");
    expect_fail("a: 1\n---\nb: 2\n", -EINVAL, "line 2: more than one YAML document");
    expect_fail("? [a]\n: b\n", -EINVAL, "line 1: mapping keys must be scalars");
    /* billion laughs, small: refused at the first alias, before any expansion */
    expect_fail("a: &a [x, x, x, x, x, x, x, x, x]\n"
                "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n",
                -EINVAL, "line 2: YAML aliases are not supported");

    for (int i = 0; i < 100; i++)
        deep[n++] = '[';
    for (int i = 0; i < 100; i++)
        deep[n++] = ']';
    deep[n] = '\0';
    expect_fail(deep, -EINVAL, "line 1: nested deeper than 64 levels");
    n = 0;
    for (int i = 0; i < 100; i++)
        n += (size_t)sprintf(deep + n, "{a: ");
    deep[n] = '\0';
    expect_fail(deep, -EINVAL, "line 1: nested deeper than 64 levels");
    /* block style, as an indentation bomb would be written */
    n = 0;
    for (int i = 0; i < 100; i++)
        n += (size_t)sprintf(deep + n, "%*sk:\n", i, "");
    expect_fail(deep, -EINVAL, "line 65: nested deeper than 64 levels");
}

static void test_hostile_types(void **state)
{
    (void)state;
    expect_fail("current-context: [c]\n", -EINVAL, "current-context: expected a string");
    expect_fail("current-context: c\ncontexts: {c: 1}\n", -EINVAL, "contexts: expected a sequence");
    expect_fail("current-context: c\ncontexts: [c]\n", -EINVAL, "contexts[0]: expected a mapping");
    expect_fail("current-context: c\ncontexts: [{name: [c]}]\n", -EINVAL,
                "contexts[0].name: expected a string");
    expect_fail("current-context: c\ncontexts: [{context: {}}]\n", -EINVAL,
                "contexts[0].name: missing");
    expect_fail("current-context: c\ncontexts: [{name: c, context: str}]\n", -EINVAL,
                "contexts[0].context: expected a mapping");
    expect_fail("current-context: c\ncontexts: [{name: c}]\n", -EINVAL,
                "contexts[0].context: missing");
    expect_fail("current-context: c\ncontexts: [{name: c, context: {cluster: {k: 1}}}]\n", -EINVAL,
                "contexts[0].context.cluster: expected a string");
    expect_fail("current-context: c\ncontexts: [{name: c, context: {user: u}}]\n", -EINVAL,
                "contexts[0].context.cluster: missing");
    expect_fail("current-context: c\ncontexts: [{name: c, context: {cluster: k, namespace: "
                "Bad_NS}}]\n" CLUSTER,
                -EINVAL, "contexts[0].context.namespace: not a valid namespace name");
    expect_fail(CTX USER "clusters: {k: 1}\n", -EINVAL, "clusters: expected a sequence");
    expect_fail(CTX USER "clusters: [{name: k, cluster: [a]}]\n", -EINVAL,
                "clusters[0].cluster: expected a mapping");
    expect_fail(CTX USER "clusters: [{name: k, cluster: {server: [a]}}]\n", -EINVAL,
                "clusters[0].cluster.server: expected a string");
    expect_fail(CTX USER "clusters: [{name: k, cluster: {insecure-skip-tls-verify: true}}]\n",
                -EINVAL, "clusters[0].cluster.server: missing");
    expect_fail(CTX USER "clusters: [{name: k, cluster: {server: 'h:6443'}}]\n", -EINVAL,
                "clusters[0].cluster.server: must start with https:// or http://");
    expect_fail(CTX USER "clusters: [{name: k, cluster: {server: 'https://'}}]\n", -EINVAL,
                "clusters[0].cluster.server: not a valid URL");
    expect_fail(CTX USER "clusters: [{name: k, cluster: {server: 'https://h', "
                         "insecure-skip-tls-verify: 'true'}}]\n",
                -EINVAL, "clusters[0].cluster.insecure-skip-tls-verify: expected true or false");
    expect_fail(CTX CLUSTER "users: [{name: u, user: [token]}]\n", -EINVAL,
                "users[0].user: expected a mapping");
    expect_fail(CTX CLUSTER "users: [{name: u, user: {token: [a]}}]\n", -EINVAL,
                "users[0].user.token: expected a string");
    expect_fail(CTX CLUSTER "users: [{name: u, user: {token: {a: b}}}]\n", -EINVAL,
                "users[0].user.token: expected a string");
    expect_fail(CTX CLUSTER "users: [{name: x, user: {}}, {name: u, user: {tokenFile: [f]}}]\n",
                -EINVAL, "users[1].user.tokenFile: expected a string");
}

static void test_hostile_semantics(void **state)
{
    (void)state;
    expect_fail(CLUSTER USER "contexts: [{name: c, context: {cluster: k, user: u}}]\n", -EINVAL,
                "current-context is not set and no context was given");
    expect_fail("current-context: ''\n" CLUSTER USER, -EINVAL,
                "current-context is not set and no context was given");
    expect_fail("current-context: c\n" CLUSTER USER, -EINVAL, "context \"c\" not found");
    expect_fail(
        "current-context: c\ncontexts: [{name: c, context: {cluster: x, user: u}}]\n" CLUSTER USER,
        -EINVAL, "context \"c\": cluster \"x\" not found");
    expect_fail(
        "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: x}}]\n" CLUSTER USER,
        -EINVAL, "context \"c\": user \"x\" not found");
    expect_fail(CTX USER "clusters: [{name: k, cluster: {server: 'https://a'}},\n"
                         "  {name: k, cluster: {server: 'https://b'}}]\n",
                -EINVAL, "clusters[1]: duplicate name \"k\"");
    expect_fail(CTX USER "clusters:\n- name: k\n  cluster:\n    server: https://a\n"
                         "    server: https://b\n",
                -EINVAL, "clusters[0].cluster.server: duplicate key (line 8)");
    expect_fail(CTX USER "clusters: [{name: k, cluster: {server: 'https://h', "
                         "certificate-authority-data: 'not base64!'}}]\n",
                -EINVAL, "clusters[0].cluster.certificate-authority-data: not valid base64");
    expect_fail(CTX USER "clusters: [{name: k, cluster: {server: 'https://h', "
                         "certificate-authority-data: 'QUJD='}}]\n",
                -EINVAL, "clusters[0].cluster.certificate-authority-data: not valid base64");
    expect_fail(CTX USER "clusters: [{name: k, cluster: {server: 'https://h', "
                         "certificate-authority-data: 'Q=JD'}}]\n",
                -EINVAL, "clusters[0].cluster.certificate-authority-data: not valid base64");
    expect_fail(CTX USER "clusters: [{name: k, cluster: {server: 'https://h', "
                         "certificate-authority-data: " CA_B64 ", certificate-authority: ca}}]\n",
                -EINVAL,
                "clusters[0].cluster: certificate-authority and certificate-authority-data are "
                "both set");
    expect_fail(CTX USER "clusters: [{name: k, cluster: {server: 'https://h', "
                         "certificate-authority-data: " CA_B64 ", insecure-skip-tls-verify: "
                         "true}}]\n",
                -EINVAL,
                "clusters[0].cluster: insecure-skip-tls-verify cannot be combined with a "
                "certificate authority");
    expect_fail(CTX USER "clusters: [{name: k, cluster: {server: 'https://h', proxy-url: "
                         "'http://p:3128'}}]\n",
                -ENOTSUP, "clusters[0].cluster.proxy-url: proxies are not supported");
    expect_fail(CTX CLUSTER "users: [{name: u, user: {client-certificate-data: " CERT_B64 "}}]\n",
                -EINVAL, "users[0].user: client-certificate without client-key");
    expect_fail(CTX CLUSTER "users: [{name: u, user: {client-key-data: " KEY_B64 "}}]\n", -EINVAL,
                "users[0].user: client-key without client-certificate");
}

static void test_unsupported_auth(void **state)
{
    (void)state;
    expect_fail(CTX CLUSTER "users:\n- name: u\n  user:\n    exec:\n"
                            "      apiVersion: client.authentication.k8s.io/v1beta1\n"
                            "      command: aws\n      args: [eks, get-token]\n",
                -ENOTSUP, "users[0].user.exec: exec credential plugins are not supported");
    expect_fail(CTX CLUSTER "users: [{name: u, user: {auth-provider: {name: gcp}}}]\n", -ENOTSUP,
                "users[0].user.auth-provider: auth-provider plugins are not supported");
    expect_fail(CTX CLUSTER "users: [{name: u, user: {username: admin, password: x}}]\n", -ENOTSUP,
                "users[0].user.username: basic authentication are not supported");
    expect_fail(CTX CLUSTER "users: [{name: u, user: {token: t, as: admin}}]\n", -ENOTSUP,
                "users[0].user.as: impersonation are not supported");
    /* a null exec is just absent; an unsupported user that is not selected is not looked at */
    {
        struct kube_config c;

        assert_int_equal(parse(CTX CLUSTER "users: [{name: x, user: {exec: {command: a}}},"
                                           " {name: u, user: {token: t, exec: null}}]\n",
                               NULL, &c),
                         0);
        assert_string_equal(c.token, "t");
        kube_config_done(&c);
    }
}

static void test_file_limits(void **state)
{
    char path[512], yaml[1024];
    int fd;

    (void)state;
    snprintf(yaml, sizeof(yaml),
             CTX USER "clusters: [{name: k, cluster: {server: 'https://h', "
                      "certificate-authority: missing.crt}}]\n");
    snprintf(path, sizeof(path),
             "clusters[0].cluster.certificate-authority: %s/missing.crt: No such file or "
             "directory",
             dir);
    expect_fail(yaml, -ENOENT, path);

    /* sparse: a 1 MiB + 1 file without writing a megabyte */
    snprintf(path, sizeof(path), "%s/big.crt", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, KUBE_CONFIG_MAX_FILE + 1), 0);
    close(fd);
    snprintf(yaml, sizeof(yaml),
             CTX CLUSTER
             "users: [{name: u, user: {client-certificate: %s, client-key-data: " KEY_B64 "}}]\n",
             path);
    expect_fail(yaml, -EFBIG, "users[0].user.client-certificate: /tmp/*");
    assert_non_null(strstr(errbuf, "big.crt: larger than 1048576 bytes"));

    /* exactly 1 MiB is allowed */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, KUBE_CONFIG_MAX_FILE), 0);
    close(fd);
    {
        struct kube_config c;

        assert_int_equal(parse(yaml, NULL, &c), 0);
        assert_int_equal(c.client_cert_pem_len, KUBE_CONFIG_MAX_FILE);
        kube_config_done(&c);
    }

    /* a FIFO must neither hang nor be read */
    snprintf(path, sizeof(path), "%s/fifo", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    snprintf(yaml, sizeof(yaml),
             CTX USER "clusters: [{name: k, cluster: {server: 'https://h', "
                      "certificate-authority: fifo}}]\n");
    expect_fail(yaml, -EINVAL, "clusters[0].cluster.certificate-authority: /tmp/*");
    assert_non_null(strstr(errbuf, "fifo: not a regular file"));
    snprintf(yaml, sizeof(yaml), CTX CLUSTER "users: [{name: u, user: {tokenFile: fifo}}]\n");
    expect_fail(yaml, -EINVAL, "users[0].user.tokenFile: /tmp/*");
    /* a directory */
    snprintf(yaml, sizeof(yaml), CTX CLUSTER "users: [{name: u, user: {tokenFile: '.'}}]\n");
    expect_fail(yaml, -EINVAL, "users[0].user.tokenFile: /tmp/*");
}

static void test_size_limit(void **state)
{
    size_t len = KUBE_CONFIG_MAX_YAML + 1;
    char *big = malloc(len);
    struct kube_config c;

    (void)state;
    assert_non_null(big);
    memset(big, ' ', len);
    memcpy(big, CTX, strlen(CTX));
    assert_int_equal(kube_config_parse(big, len, NULL, dir, &c, errbuf, sizeof(errbuf)), -E2BIG);
    assert_string_equal(errbuf, "kubeconfig is 4194305 bytes, more than the 4194304 allowed");
    assert_true(all_zero(&c));

    /* just under the cap, but two million nodes: bounded by the node limit */
    len = KUBE_CONFIG_MAX_YAML;
    big[0] = '[';
    for (size_t i = 1; i + 2 < len; i += 2) {
        big[i] = 'a';
        big[i + 1] = ',';
    }
    big[len - 1] = ']';
    assert_int_equal(kube_config_parse(big, len, NULL, dir, &c, errbuf, sizeof(errbuf)), -E2BIG);
    assert_string_equal(errbuf, "line 1: more than 100000 YAML nodes");
    assert_true(all_zero(&c));
    free(big);

    /* a NULL err buffer is allowed */
    assert_int_equal(kube_config_parse("", 0, NULL, NULL, &c, NULL, 0), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kind_inline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kubeadm_select_context, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_references, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_from_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_cluster, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_structure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_semantics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size_limit, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
