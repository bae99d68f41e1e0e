/* Unit tests for kube/node_address.c: a kubelet's endpoint chosen from a Node object as
 * metrics-server chooses it, and Node objects that do not give a usable one. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "kube/node_address.h"

/* A kubelet 1.20's Node status (the fields read), as the API server serves it. */
static const char real_node[] =
    "{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"kmnode\"},"
    "\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"10.0.2.15\"},"
    "{\"type\":\"Hostname\",\"address\":\"kmnode\"}],"
    "\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":10250}}}}";

static json_t *load(const char *text)
{
    json_error_t e;
    json_t *j =
        json_loads(text, JSON_ALLOW_NUL, &e); /* the watch refuses NULs; this checks anyway */
    assert_non_null(j);
    return j;
}

static int endpoint(const char *node_json, const char *types, int port, bool status_port,
                    struct node_endpoint *ep, char *err)
{
    struct node_address_rules r = {.port = (uint16_t)port, .use_node_status_port = status_port};
    json_t *node = load(node_json);
    int rc;

    assert_int_equal(node_address_types_parse(types, &r, err, 256), 0);
    rc = node_endpoint_of(node, &r, ep, err, 256);
    json_decref(node);
    return rc;
}

static void test_metrics_server_choice(void **state)
{
    struct node_endpoint ep;
    char err[256];

    (void)state;
    /* Its default order puts Hostname first; its manifests put InternalIP first. */
    assert_int_equal(endpoint(real_node, NODE_ADDRESS_DEFAULT_TYPES, 10250, false, &ep, err), 0);
    assert_string_equal(ep.host, "kmnode");
    assert_int_equal(ep.port, 10250);
    assert_false(ep.ipv6);
    assert_int_equal(endpoint(real_node, "InternalIP,ExternalIP,Hostname", 10250, false, &ep, err),
                     0);
    assert_string_equal(ep.host, "10.0.2.15");
    /* --kubelet-port unless the node's own port is asked for. */
    assert_int_equal(endpoint(real_node, "InternalIP", 11250, false, &ep, err), 0);
    assert_int_equal(ep.port, 11250);
    assert_int_equal(endpoint(real_node, "InternalIP", 11250, true, &ep, err), 0);
    assert_int_equal(ep.port, 10250);
    /* Port 0 (the API server's default when the kubelet wrote none) is not set. */
    assert_int_equal(
        endpoint("{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":"
                 "\"10.0.0.1\"}],\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":0}}}}",
                 "InternalIP", 10250, true, &ep, err),
        0);
    assert_int_equal(ep.port, 10250);
    /* A node without daemonEndpoints keeps --kubelet-port. */
    assert_int_equal(endpoint("{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":"
                              "\"fd00::1\"}]}}",
                              "InternalIP", 10250, true, &ep, err),
                     0);
    assert_string_equal(ep.host, "fd00::1");
    assert_true(ep.ipv6);
    assert_int_equal(ep.port, 10250);
    /* The first address of the preferred type, whatever the order of the list. */
    assert_int_equal(endpoint("{\"status\":{\"addresses\":[{\"type\":\"ExternalIP\",\"address\":"
                              "\"192.0.2.1\"},{\"type\":\"InternalIP\",\"address\":\"10.1.1.1\"},"
                              "{\"type\":\"InternalIP\",\"address\":\"10.1.1.2\"}]}}",
                              "InternalIP,ExternalIP", 10250, false, &ep, err),
                     0);
    assert_string_equal(ep.host, "10.1.1.1");
}

static void test_types_flag(void **state)
{
    struct node_address_rules r;
    char err[256];

    (void)state;
    assert_int_equal(node_address_types_parse("ExternalDNS", &r, err, sizeof(err)), 0);
    assert_int_equal(r.ntypes, 1);
    assert_int_equal(r.order[0], NODE_ADDR_EXTERNAL_DNS);
    assert_int_equal(node_address_types_parse("InternalIP,Bogus", &r, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "Bogus"));
    assert_int_equal(node_address_types_parse("InternalIP,InternalIP", &r, err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(node_address_types_parse("", &r, err, sizeof(err)), -EINVAL);
    assert_int_equal(node_address_types_parse("InternalIP,", &r, err, sizeof(err)), -EINVAL);
    assert_int_equal(node_address_types_parse("internalip", &r, err, sizeof(err)), -EINVAL);
}

/* What a hostile or broken API server could send: refused with a reason, never a URL made of
 * it. */
static void test_hostile_nodes(void **state)
{
    static const struct {
        const char *json;
        int rc;
        const char *why;
    } cases[] = {
        {"{}", -ENOENT, "no address"},
        {"{\"status\":null}", -ENOENT, "no address"},
        {"{\"status\":{\"addresses\":{}}}", -EINVAL, "array"},
        {"{\"status\":{\"addresses\":[{\"type\":\"Hostname\",\"address\":\"x\"}]}}", -ENOENT,
         "preferred"},
        {"{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"10.0.0.1/metrics?"
         "x\"}]}}",
         -EINVAL, "neither"},
        {"{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"evil@host\"}]}}",
         -EINVAL, "neither"},
        {"{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"a\\u0000b\"}]}}",
         -EINVAL, "too long"},
        {"{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"\"}]}}", -EINVAL,
         "neither"},
        {"{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"-lead.example\"}]}}",
         -EINVAL, "neither"},
        {"{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"a..b\"}]}}", -EINVAL,
         "neither"},
        {"{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"10.0.0.1\"}],"
         "\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":-1}}}}",
         -EINVAL, "Port"},
        {"{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"10.0.0.1\"}],"
         "\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":65536}}}}",
         -EINVAL, "Port"},
        {"{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"10.0.0.1\"}],"
         "\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":\"10250\"}}}}",
         -EINVAL, "Port"},
    };
    struct node_endpoint ep;
    char err[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        assert_int_equal(endpoint(cases[i].json, "InternalIP", 10250, true, &ep, err), cases[i].rc);
        if (!strstr(err, cases[i].why)) fail_msg("case %zu: err \"%s\"", i, err);
        assert_string_equal(ep.host, "");
    }
    /* Entries of the wrong shape are passed over, not fatal. */
    assert_int_equal(endpoint("{\"status\":{\"addresses\":[1,{\"type\":7},{\"type\":\"InternalIP\","
                              "\"address\":\"10.0.0.9\"}]}}",
                              "InternalIP", 10250, false, &ep, err),
                     0);
    assert_string_equal(ep.host, "10.0.0.9");
    /* A 253-byte host name is the limit. */
    char big[400];
    char name[300];
    memset(name, 'a', 63);
    name[63] = '.';
    memcpy(name + 64, name, 64);
    memcpy(name + 128, name, 64);
    memset(name + 192, 'b', 61);
    name[253] = '\0';
    snprintf(big, sizeof(big),
             "{\"status\":{\"addresses\":[{\"type\":\"Hostname\",\"address\":\"%s\"}]}}", name);
    assert_int_equal(endpoint(big, "Hostname", 10250, false, &ep, err), 0);
    assert_int_equal(strlen(ep.host), 253);
    name[253] = 'c';
    name[254] = '\0';
    snprintf(big, sizeof(big),
             "{\"status\":{\"addresses\":[{\"type\":\"Hostname\",\"address\":\"%s\"}]}}", name);
    assert_int_equal(endpoint(big, "Hostname", 10250, false, &ep, err), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_server_choice),
        cmocka_unit_test(test_types_flag),
        cmocka_unit_test(test_hostile_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
