#include "kube_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "file_read.h"
#include "k8s_names.h"
#include "token_file.h"

/* A kubeconfig has a few dozen nodes per context; this only bounds memory for hostile input
 * (4 MiB of "[a,a,a,..." would otherwise be two million nodes). */
#define MAX_NODES 100000
/* Names of contexts, clusters and users echoed into messages are cut to this many bytes. */
#define NAME_SHOWN 100

enum ntype { N_SCALAR, N_MAP, N_SEQ };

/* The document as a tree, built from libyaml's events so the interpreting code can look keys
 * up in any order and name the path of whatever is wrong. Maps hold key, value, key, ... */
struct node {
    enum ntype type;
    bool plain; /* plain, untagged scalar: the only kind that can mean null or a boolean */
    size_t line;
    char *str; /* scalars: NUL-terminated copy (may contain NULs before len) */
    size_t len;
    struct node **kids;
    size_t n, cap;
};

struct kctx {
    char *err;
    size_t errlen;
    const char *base_dir;
};

static int fail(struct kctx *k, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct kctx *k, int code, const char *fmt, ...)
{
    va_list ap;

    if (k->err && k->errlen) {
        va_start(ap, fmt);
        vsnprintf(k->err, k->errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

void kube_config_done(struct kube_config *cfg)
{
    if (!cfg) return;
    free(cfg->server);
    free(cfg->ca_pem);
    free(cfg->client_cert_pem);
    /* the key and token are secrets: do not leave them in freed heap memory */
    if (cfg->client_key_pem) explicit_bzero(cfg->client_key_pem, cfg->client_key_pem_len);
    free(cfg->client_key_pem);
    if (cfg->token) explicit_bzero(cfg->token, strlen(cfg->token));
    free(cfg->token);
    free(cfg->token_file);
    free(cfg->tls_server_name);
    free(cfg->namespace_);
    memset(cfg, 0, sizeof(*cfg));
}

/* --- tree ------------------------------------------------------------------------------- */

static void node_free(struct node *n)
{
    if (!n) return;
    for (size_t i = 0; i < n->n; i++)
        node_free(n->kids[i]); /* depth is bounded by KUBE_CONFIG_MAX_DEPTH */
    free(n->kids);
    if (n->str) explicit_bzero(n->str, n->len); /* scalars include tokens and keys */
    free(n->str);
    free(n);
}

static int node_add(struct node *parent, struct node *kid)
{
    if (parent->n == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 8;
        struct node **kids = realloc(parent->kids, cap * sizeof(*kids));

        if (!kids) return -ENOMEM;
        parent->kids = kids;
        parent->cap = cap;
    }
    parent->kids[parent->n++] = kid;
    return 0;
}

/* Builds the tree from libyaml events; *root stays NULL for a stream with no document. */
static int build_tree(struct kctx *k, const char *yaml, size_t len, struct node **root)
{
    struct node *stack[KUBE_CONFIG_MAX_DEPTH];
    size_t depth = 0, nodes = 0;
    int docs = 0, rc = 0;
    bool done = false;
    yaml_parser_t p;
    yaml_event_t ev;

    *root = NULL;
    if (!yaml_parser_initialize(&p)) return fail(k, -ENOMEM, "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)yaml, len);
    while (!done && rc == 0) {
        struct node *n = NULL;

        if (!yaml_parser_parse(&p, &ev)) {
            if (p.error == YAML_MEMORY_ERROR) {
                rc = fail(k, -ENOMEM, "out of memory");
            } else {
                rc = fail(k, -EINVAL, "line %zu column %zu: %s", p.problem_mark.line + 1,
                          p.problem_mark.column + 1, p.problem ? p.problem : "YAML syntax error");
            }
            break;
        }
        size_t line = ev.start_mark.line + 1;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1) rc = fail(k, -EINVAL, "line %zu: more than one YAML document", line);
            break;
        case YAML_ALIAS_EVENT:
            /* refused outright: expanding them is how "billion laughs" blows up memory */
            rc = fail(k, -EINVAL, "line %zu: YAML aliases are not supported", line);
            break;
        case YAML_SCALAR_EVENT:
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (++nodes > MAX_NODES) {
                rc = fail(k, -E2BIG, "line %zu: more than %d YAML nodes", line, MAX_NODES);
                break;
            }
            n = calloc(1, sizeof(*n));
            if (!n) {
                rc = fail(k, -ENOMEM, "out of memory");
                break;
            }
            n->line = line;
            if (ev.type == YAML_SCALAR_EVENT) {
                n->type = N_SCALAR;
                n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                           ev.data.scalar.plain_implicit;
                n->len = ev.data.scalar.length;
                n->str = malloc(n->len + 1);
                if (!n->str) {
                    free(n);
                    rc = fail(k, -ENOMEM, "out of memory");
                    break;
                }
                memcpy(n->str, ev.data.scalar.value, n->len);
                n->str[n->len] = '\0';
            } else {
                n->type = ev.type == YAML_MAPPING_START_EVENT ? N_MAP : N_SEQ;
            }
            if (depth == 0) {
                *root = n; /* one document, so at most one root */
            } else if (stack[depth - 1]->type == N_MAP && stack[depth - 1]->n % 2 == 0 &&
                       n->type != N_SCALAR) {
                node_free(n);
                rc = fail(k, -EINVAL, "line %zu: mapping keys must be scalars", line);
                break;
            } else if (node_add(stack[depth - 1], n)) {
                node_free(n);
                rc = fail(k, -ENOMEM, "out of memory");
                break;
            }
            if (n->type != N_SCALAR) {
                if (depth == KUBE_CONFIG_MAX_DEPTH) {
                    rc = fail(k, -EINVAL, "line %zu: nested deeper than %d levels", line,
                              KUBE_CONFIG_MAX_DEPTH);
                    break;
                }
                stack[depth++] = n;
            }
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0) depth--;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    if (rc) {
        node_free(*root);
        *root = NULL;
    }
    return rc;
}

/* --- typed lookups ------------------------------------------------------------------------ */

static bool is_null(const struct node *n)
{
    return n->type == N_SCALAR && n->plain &&
           (n->len == 0 || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
            !strcmp(n->str, "Null") || !strcmp(n->str, "NULL"));
}

static void join(char *buf, size_t size, const char *path, const char *key)
{
    snprintf(buf, size, "%s%s%s", path, path[0] ? "." : "", key);
}

/* Value of key in map, NULL when absent or null. A duplicated key is an error: with two
 * values for a security setting, guessing which one the user meant is worse than stopping. */
static int map_get(struct kctx *k, const struct node *map, const char *path, const char *key,
                   const struct node **out)
{
    size_t klen = strlen(key);
    const struct node *found = NULL;

    *out = NULL;
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        const struct node *kn = map->kids[i];

        if (kn->len != klen || memcmp(kn->str, key, klen)) continue;
        if (found) {
            char p[160];

            join(p, sizeof(p), path, key);
            return fail(k, -EINVAL, "%s: duplicate key (line %zu)", p, kn->line);
        }
        found = map->kids[i + 1];
    }
    if (found && !is_null(found)) *out = found;
    return 0;
}

/* String value or NULL when absent; an empty string counts as absent (as in client-go). */
static int get_str(struct kctx *k, const struct node *map, const char *path, const char *key,
                   const char **out)
{
    const struct node *v;
    char p[160];
    int rc = map_get(k, map, path, key, &v);

    *out = NULL;
    if (rc || !v) return rc;
    join(p, sizeof(p), path, key);
    if (v->type != N_SCALAR) return fail(k, -EINVAL, "%s: expected a string", p);
    if (strlen(v->str) != v->len) return fail(k, -EINVAL, "%s: contains a NUL byte", p);
    if (v->len) *out = v->str;
    return 0;
}

static int get_bool(struct kctx *k, const struct node *map, const char *path, const char *key,
                    bool *out)
{
    static const char *const yes[] = {"true", "True", "TRUE"}, *const no[] = {"false", "False",
                                                                              "FALSE"};
    const struct node *v;
    char p[160];
    int rc = map_get(k, map, path, key, &v);

    *out = false;
    if (rc || !v) return rc;
    for (size_t i = 0; v->type == N_SCALAR && v->plain && i < 3; i++) {
        if (!strcmp(v->str, yes[i])) return *out = true, 0;
        if (!strcmp(v->str, no[i])) return 0;
    }
    join(p, sizeof(p), path, key);
    return fail(k, -EINVAL, "%s: expected true or false", p);
}

static int get_map(struct kctx *k, const struct node *map, const char *path, const char *key,
                   bool required, const struct node **out)
{
    char p[160];
    int rc = map_get(k, map, path, key, out);

    if (rc) return rc;
    join(p, sizeof(p), path, key);
    if (!*out) return required ? fail(k, -EINVAL, "%s: missing", p) : 0;
    if ((*out)->type != N_MAP) return fail(k, -EINVAL, "%s: expected a mapping", p);
    return 0;
}

/* Finds the entry of list (clusters, users, contexts) called name. Every entry is checked
 * to be a mapping with a name, and names must be unique. */
static int find_named(struct kctx *k, const struct node *root, const char *list, const char *name,
                      const struct node **entry, size_t *index)
{
    const struct node *seq;
    int rc = map_get(k, root, "", list, &seq);

    *entry = NULL;
    if (rc || !seq) return rc;
    if (seq->type != N_SEQ) return fail(k, -EINVAL, "%s: expected a sequence", list);
    for (size_t i = 0; i < seq->n; i++) {
        const struct node *e = seq->kids[i];
        const char *ename;
        char p[64];

        snprintf(p, sizeof(p), "%s[%zu]", list, i);
        if (e->type != N_MAP) return fail(k, -EINVAL, "%s: expected a mapping", p);
        if ((rc = get_str(k, e, p, "name", &ename))) return rc;
        if (!ename) return fail(k, -EINVAL, "%s.name: missing", p);
        if (strcmp(ename, name)) continue;
        if (*entry) return fail(k, -EINVAL, "%s: duplicate name \"%.*s\"", p, NAME_SHOWN, name);
        *entry = e;
        *index = i;
    }
    return 0;
}

/* --- values ------------------------------------------------------------------------------- */

static int b64_value(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Standard base64 with padding; white space is skipped (a plain YAML scalar folded over
 * lines turns newlines into spaces). Anything else, or misplaced padding, is an error. */
static int b64_decode(const char *s, size_t len, char **out, size_t *outlen)
{
    char *clean = malloc(len + 1), *buf;
    size_t n = 0, pad = 0, o = 0;

    *out = NULL;
    if (!clean) return -ENOMEM;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') continue;
        clean[n++] = s[i];
    }
    while (pad < 2 && pad < n && clean[n - 1 - pad] == '=')
        pad++;
    if (n == 0 || n % 4) goto bad;
    for (size_t i = 0; i < n - pad; i++)
        if (b64_value((unsigned char)clean[i]) < 0) goto bad;
    buf = malloc(n / 4 * 3 + 1);
    if (!buf) {
        free(clean);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i += 4) {
        uint32_t v = 0;
        size_t data = i + 4 == n ? 4 - pad : 4;

        for (size_t j = 0; j < 4; j++)
            v = v << 6 | (uint32_t)(j < data ? b64_value((unsigned char)clean[i + j]) : 0);
        buf[o++] = (char)(v >> 16);
        if (data > 2) buf[o++] = (char)(v >> 8 & 0xff);
        if (data > 3) buf[o++] = (char)(v & 0xff);
    }
    buf[o] = '\0';
    free(clean);
    *out = buf;
    *outlen = o;
    return 0;
bad:
    free(clean);
    return -EINVAL;
}

/* Joins a relative path onto base_dir. */
static char *resolve_path(const char *base_dir, const char *path)
{
    char *r;

    if (path[0] == '/' || !base_dir || !base_dir[0]) return strdup(path);
    return asprintf(&r, "%s/%s", base_dir, path) < 0 ? NULL : r;
}

/* A whole file of at most cap bytes, NUL-terminated (common/file_read.c: a FIFO named by
 * hostile input cannot hang the open; it is refused as not regular). */
static int read_capped(struct kctx *k, const char *what, const char *path, size_t cap, char **out,
                       size_t *outlen)
{
    int rc = file_read(AT_FDCWD, path, cap, 0, out, outlen);

    if (rc == -EINVAL) return fail(k, rc, "%s: %s: not a regular file", what, path);
    if (rc == -EFBIG) return fail(k, rc, "%s: %s: larger than %zu bytes", what, path, cap);
    if (rc) return fail(k, rc, "%s: %s: %s", what, path, strerror(-rc));
    if (*outlen == 0) {
        free(*out);
        *out = NULL;
        return fail(k, -EINVAL, "%s: %s: empty", what, path);
    }
    return 0;
}

/* Inline base64 data or a file: the pair kubeconfig uses for CA, client cert and key. */
static int load_blob(struct kctx *k, const struct node *map, const char *path, const char *file_key,
                     const char *data_key, char **out, size_t *outlen)
{
    const char *file, *data;
    char p[160];
    int rc;

    if ((rc = get_str(k, map, path, file_key, &file))) return rc;
    if ((rc = get_str(k, map, path, data_key, &data))) return rc;
    if (file && data)
        return fail(k, -EINVAL, "%s: %s and %s are both set", path, file_key, data_key);
    if (data) {
        join(p, sizeof(p), path, data_key);
        rc = b64_decode(data, strlen(data), out, outlen);
        if (rc == -EINVAL) return fail(k, rc, "%s: not valid base64", p);
        if (rc) return fail(k, rc, "out of memory");
        return 0;
    }
    if (file) {
        char *full = resolve_path(k->base_dir, file);

        if (!full) return fail(k, -ENOMEM, "out of memory");
        join(p, sizeof(p), path, file_key);
        rc = read_capped(k, p, full, KUBE_CONFIG_MAX_FILE, out, outlen);
        free(full);
        return rc;
    }
    return 0;
}

static bool visible_ascii(const char *s)
{
    for (; *s; s++)
        if (*s < 0x21 || *s > 0x7e) return false;
    return true;
}

static int dup_into(struct kctx *k, char **dst, const char *src)
{
    *dst = strdup(src);
    return *dst ? 0 : fail(k, -ENOMEM, "out of memory");
}

/* --- kubeconfig sections ------------------------------------------------------------------ */

static int interpret_cluster(struct kctx *k, const struct node *c, const char *path,
                             struct kube_config *cfg)
{
    const char *server, *sni, *proxy;
    char p[160];
    int rc;

    if ((rc = get_str(k, c, path, "server", &server))) return rc;
    join(p, sizeof(p), path, "server");
    if (!server) return fail(k, -EINVAL, "%s: missing", p);
    size_t scheme = !strncmp(server, "https://", 8) ? 8 : !strncmp(server, "http://", 7) ? 7 : 0;
    if (!scheme) return fail(k, -EINVAL, "%s: must start with https:// or http://", p);
    if (!server[scheme] || server[scheme] == '/' || !visible_ascii(server))
        return fail(k, -EINVAL, "%s: not a valid URL", p);
    if ((rc = get_str(k, c, path, "proxy-url", &proxy))) return rc;
    if (proxy) return fail(k, -ENOTSUP, "%s.proxy-url: proxies are not supported", path);
    if ((rc = get_str(k, c, path, "tls-server-name", &sni))) return rc;
    if (sni && !visible_ascii(sni))
        return fail(k, -EINVAL, "%s.tls-server-name: not a valid host name", path);
    if ((rc = get_bool(k, c, path, "insecure-skip-tls-verify", &cfg->insecure_skip_tls_verify)))
        return rc;
    if ((rc = load_blob(k, c, path, "certificate-authority", "certificate-authority-data",
                        &cfg->ca_pem, &cfg->ca_pem_len)))
        return rc;
    /* as in client-go: a CA and "don't verify" together means the file is confused */
    if (cfg->ca_pem && cfg->insecure_skip_tls_verify)
        return fail(k, -EINVAL,
                    "%s: insecure-skip-tls-verify cannot be combined with a certificate authority",
                    path);
    if ((rc = dup_into(k, &cfg->server, server))) return rc;
    if (sni && (rc = dup_into(k, &cfg->tls_server_name, sni))) return rc;
    return 0;
}

static int interpret_user(struct kctx *k, const struct node *u, const char *path,
                          struct kube_config *cfg)
{
    static const struct {
        const char *key, *what;
    } unsupported[] = {
        {"exec", "exec credential plugins"},
        {"auth-provider", "auth-provider plugins"},
        {"username", "basic authentication"},
        {"password", "basic authentication"},
        {"as", "impersonation"},
        {"as-uid", "impersonation"},
        {"as-groups", "impersonation"},
        {"as-user-extra", "impersonation"},
    };
    const struct node *v;
    const char *token, *token_file;
    int rc;

    for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
        if ((rc = map_get(k, u, path, unsupported[i].key, &v))) return rc;
        if (v)
            return fail(k, -ENOTSUP, "%s.%s: %s are not supported", path, unsupported[i].key,
                        unsupported[i].what);
    }
    if ((rc = load_blob(k, u, path, "client-certificate", "client-certificate-data",
                        &cfg->client_cert_pem, &cfg->client_cert_pem_len)))
        return rc;
    if ((rc = load_blob(k, u, path, "client-key", "client-key-data", &cfg->client_key_pem,
                        &cfg->client_key_pem_len)))
        return rc;
    if (!cfg->client_cert_pem != !cfg->client_key_pem)
        return fail(k, -EINVAL, "%s: %s without %s", path,
                    cfg->client_cert_pem ? "client-certificate" : "client-key",
                    cfg->client_cert_pem ? "client-key" : "client-certificate");
    if ((rc = get_str(k, u, path, "token", &token))) return rc;
    if ((rc = get_str(k, u, path, "tokenFile", &token_file))) return rc;
    if (token_file) {
        /* the file wins over an inline token, as in client-go: it is the one that rotates */
        char terr[512];
        struct stat st;

        cfg->token_file = resolve_path(k->base_dir, token_file);
        if (!cfg->token_file) return fail(k, -ENOMEM, "out of memory");
        /* token_file_read opens blocking: refuse FIFOs and devices before it gets there */
        if (stat(cfg->token_file, &st))
            return rc = -errno,
                   fail(k, rc, "%s.tokenFile: %s: %s", path, cfg->token_file, strerror(-rc));
        if (!S_ISREG(st.st_mode))
            return fail(k, -EINVAL, "%s.tokenFile: %s: not a regular file", path, cfg->token_file);
        cfg->token = token_file_read(cfg->token_file, terr, sizeof(terr));
        if (!cfg->token) return fail(k, -EINVAL, "%s.tokenFile: %s", path, terr);
    } else if (token) {
        if (!visible_ascii(token))
            return fail(k, -EINVAL, "%s.token: not a token (only visible ASCII is allowed)", path);
        if ((rc = dup_into(k, &cfg->token, token))) return rc;
    }
    return 0;
}

static int interpret(struct kctx *k, const struct node *root, const char *context,
                     struct kube_config *cfg)
{
    const struct node *ctx, *ctx_body, *cl, *cl_body, *us, *us_body;
    const char *cluster, *user, *ns;
    size_t ci = 0, li = 0, ui = 0;
    char p[64];
    int rc;

    if (root->type != N_MAP) return fail(k, -EINVAL, "top level: expected a mapping");
    if (!context) {
        if ((rc = get_str(k, root, "", "current-context", &context))) return rc;
        if (!context)
            return fail(k, -EINVAL, "current-context is not set and no context was given");
    }
    if ((rc = find_named(k, root, "contexts", context, &ctx, &ci))) return rc;
    if (!ctx) return fail(k, -EINVAL, "context \"%.*s\" not found", NAME_SHOWN, context);
    snprintf(p, sizeof(p), "contexts[%zu]", ci);
    if ((rc = get_map(k, ctx, p, "context", true, &ctx_body))) return rc;
    snprintf(p, sizeof(p), "contexts[%zu].context", ci);
    if ((rc = get_str(k, ctx_body, p, "cluster", &cluster))) return rc;
    if (!cluster) return fail(k, -EINVAL, "%s.cluster: missing", p);
    if ((rc = get_str(k, ctx_body, p, "user", &user))) return rc;
    if ((rc = get_str(k, ctx_body, p, "namespace", &ns))) return rc;
    if (ns && !k8s_dns_label(ns, strlen(ns)))
        return fail(k, -EINVAL, "%s.namespace: not a valid namespace name", p);

    if ((rc = find_named(k, root, "clusters", cluster, &cl, &li))) return rc;
    if (!cl)
        return fail(k, -EINVAL, "context \"%.*s\": cluster \"%.*s\" not found", NAME_SHOWN, context,
                    NAME_SHOWN, cluster);
    snprintf(p, sizeof(p), "clusters[%zu]", li);
    if ((rc = get_map(k, cl, p, "cluster", true, &cl_body))) return rc;
    snprintf(p, sizeof(p), "clusters[%zu].cluster", li);
    if ((rc = interpret_cluster(k, cl_body, p, cfg))) return rc;

    if (user) { /* a context without a user is anonymous access, which client-go allows */
        if ((rc = find_named(k, root, "users", user, &us, &ui))) return rc;
        if (!us)
            return fail(k, -EINVAL, "context \"%.*s\": user \"%.*s\" not found", NAME_SHOWN,
                        context, NAME_SHOWN, user);
        snprintf(p, sizeof(p), "users[%zu]", ui);
        if ((rc = get_map(k, us, p, "user", true, &us_body))) return rc;
        snprintf(p, sizeof(p), "users[%zu].user", ui);
        if ((rc = interpret_user(k, us_body, p, cfg))) return rc;
    }
    if (ns && (rc = dup_into(k, &cfg->namespace_, ns))) return rc;
    return 0;
}

int kube_config_parse(const char *yaml, size_t len, const char *context, const char *base_dir,
                      struct kube_config *out, char *err, size_t errlen)
{
    struct kctx k = {.err = err, .errlen = errlen, .base_dir = base_dir};
    struct kube_config cfg = {0};
    struct node *root = NULL;
    int rc;

    if (err && errlen) err[0] = '\0';
    memset(out, 0, sizeof(*out));
    if (!yaml && len) return fail(&k, -EINVAL, "no input");
    if (len > KUBE_CONFIG_MAX_YAML)
        return fail(&k, -E2BIG, "kubeconfig is %zu bytes, more than the %u allowed", len,
                    KUBE_CONFIG_MAX_YAML);
    if (context && !context[0]) return fail(&k, -EINVAL, "empty context name");
    if ((rc = build_tree(&k, yaml ? yaml : "", len, &root))) return rc;
    if (!root) return fail(&k, -EINVAL, "empty kubeconfig");
    rc = interpret(&k, root, context, &cfg);
    node_free(root);
    if (rc) {
        kube_config_done(&cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

/* --- in-cluster --------------------------------------------------------------------------- */

static int in_cluster_server(struct kctx *k, char **server)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    size_t hlen, plen;
    bool ipv6;
    unsigned long pn;

    if (!host || !host[0] || !port || !port[0])
        return fail(k, -ENOENT,
                    "not running in a cluster: KUBERNETES_SERVICE_HOST and "
                    "KUBERNETES_SERVICE_PORT must be set");
    hlen = strlen(host);
    if (hlen > 2 && host[0] == '[' && host[hlen - 1] == ']') { /* already bracketed */
        host++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen > 253 ||
        strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789.-:") != hlen)
        return fail(k, -EINVAL, "KUBERNETES_SERVICE_HOST: \"%.*s\" is not a host name or address",
                    NAME_SHOWN, host);
    plen = strlen(port);
    pn = strtoul(port, NULL, 10);
    if (plen > 5 || strspn(port, "0123456789") != plen || pn == 0 || pn > 65535)
        return fail(k, -EINVAL, "KUBERNETES_SERVICE_PORT: \"%.*s\" is not a port number",
                    NAME_SHOWN, port);
    ipv6 = memchr(host, ':', hlen) != NULL; /* an IPv6 literal needs brackets in a URL */
    if (asprintf(server, "https://%s%.*s%s:%lu", ipv6 ? "[" : "", (int)hlen, host, ipv6 ? "]" : "",
                 pn) < 0) {
        *server = NULL;
        return fail(k, -ENOMEM, "out of memory");
    }
    return 0;
}

static int in_cluster(struct kctx *k, const char *sa_dir, struct kube_config *cfg)
{
    char *path = NULL, *ns = NULL, terr[512];
    size_t nslen = 0;
    struct stat st;
    int rc;

    if ((rc = in_cluster_server(k, &cfg->server))) return rc;
    if (asprintf(&path, "%s/ca.crt", sa_dir) < 0) return fail(k, -ENOMEM, "out of memory");
    rc = read_capped(k, "service account CA", path, KUBE_CONFIG_MAX_FILE, &cfg->ca_pem,
                     &cfg->ca_pem_len);
    free(path);
    if (rc) return rc;

    if (asprintf(&cfg->token_file, "%s/token", sa_dir) < 0) {
        cfg->token_file = NULL;
        return fail(k, -ENOMEM, "out of memory");
    }
    if (stat(cfg->token_file, &st))
        return rc = -errno,
               fail(k, rc, "service account token: %s: %s", cfg->token_file, strerror(-rc));
    cfg->token = token_file_read(cfg->token_file, terr, sizeof(terr));
    if (!cfg->token) return fail(k, -EINVAL, "service account token: %s", terr);

    /* the namespace file is optional (older or hand-made mounts lack it) */
    if (asprintf(&path, "%s/namespace", sa_dir) < 0) return fail(k, -ENOMEM, "out of memory");
    rc = read_capped(k, "service account namespace", path, 4096, &ns, &nslen);
    free(path);
    if (rc == -ENOENT) return k->err && k->errlen ? (k->err[0] = '\0', 0) : 0;
    if (rc) return rc;
    while (nslen > 0 && (ns[nslen - 1] == '\n' || ns[nslen - 1] == ' ' || ns[nslen - 1] == '\r'))
        ns[--nslen] = '\0';
    if (!k8s_dns_label(ns, nslen) || strlen(ns) != nslen) {
        free(ns);
        return fail(k, -EINVAL, "service account namespace: not a valid namespace name");
    }
    cfg->namespace_ = ns;
    return 0;
}

int kube_config_in_cluster(const char *sa_dir, struct kube_config *out, char *err, size_t errlen)
{
    struct kctx k = {.err = err, .errlen = errlen};
    struct kube_config cfg = {0};
    int rc;

    if (err && errlen) err[0] = '\0';
    memset(out, 0, sizeof(*out));
    rc = in_cluster(&k, sa_dir ? sa_dir : KUBE_CONFIG_SA_DIR, &cfg);
    if (rc) {
        kube_config_done(&cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

int kube_config_load(const char *kubeconfig_path, const char *context, struct kube_config *out,
                     char *err, size_t errlen)
{
    struct kctx k = {.err = err, .errlen = errlen};
    char *data = NULL, *dir;
    const char *slash;
    size_t len = 0;
    int rc;

    if (!kubeconfig_path) return kube_config_in_cluster(NULL, out, err, errlen);
    memset(out, 0, sizeof(*out));
    rc = read_capped(&k, "kubeconfig", kubeconfig_path, KUBE_CONFIG_MAX_YAML, &data, &len);
    if (rc) return rc == -EFBIG ? -E2BIG : rc;
    /* relative paths inside a kubeconfig are relative to the file, not the working dir */
    slash = strrchr(kubeconfig_path, '/');
    if (!slash)
        dir = strdup(".");
    else
        dir = strndup(kubeconfig_path,
                      slash == kubeconfig_path ? 1 : (size_t)(slash - kubeconfig_path));
    if (!dir) {
        free(data);
        return fail(&k, -ENOMEM, "out of memory");
    }
    rc = kube_config_parse(data, len, context, dir, out, err, errlen);
    explicit_bzero(data, len); /* it may hold a token or a private key */
    free(data);
    free(dir);
    return rc;
}
