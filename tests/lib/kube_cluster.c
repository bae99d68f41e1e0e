#include "kube_cluster.h"

/* The repository root: the nearest directory above the test binary holding
 * tests/e2e/cluster.sh. */
static int kcl_find_repo(char *out, size_t n)
{
    char exe[PATH_MAX], probe[PATH_MAX + 32];
    ssize_t l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash;

    if (l <= 0) return -1;
    exe[l] = '\0';
    while ((slash = strrchr(exe, '/')) && slash != exe) {
        *slash = '\0';
        snprintf(probe, sizeof(probe), "%s/tests/e2e/cluster.sh", exe);
        if (access(probe, X_OK) == 0) {
            snprintf(out, n, "%s", exe);
            return 0;
        }
    }
    return -1;
}

int kcl_script(const struct kube_cluster *c, const char *cmd)
{
    char line[PATH_MAX * 3];

    snprintf(line, sizeof(line),
             "ETCD_PORT=${ETCD_PORT:-23890} APISERVER_PORT=${APISERVER_PORT:-16543} "
             "%s/tests/e2e/cluster.sh %s %s >>%s.log 2>&1",
             c->repo, cmd, c->dir, c->dir);
    return system(line);
}

static int kcl_env_value(const char *envfile, const char *key, char *out, size_t n)
{
    char line[PATH_MAX + 64];
    size_t kl = strlen(key);
    FILE *f = fopen(envfile, "r");
    int rc = -1;

    if (!f) return -1;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "export ", 7) == 0 && strncmp(line + 7, key, kl) == 0 &&
            line[7 + kl] == '=') {
            line[strcspn(line, "\n")] = '\0';
            snprintf(out, n, "%s", line + 8 + kl);
            rc = 0;
        }
    }
    fclose(f);
    return rc;
}

/* A client for kubeconfig (NULL: the cluster-admin one). */
static struct kube_client *kcl_client_from(const char *kubeconfig)
{
    struct kube_config cfg = {0};
    struct kube_client *kc;
    char err[512];

    if (kube_config_load(kubeconfig, NULL, &cfg, err, sizeof(err))) {
        fprintf(stderr, "kubeconfig %s: %s\n", kubeconfig, err);
        return NULL;
    }
    kc = kube_client_new(&cfg, err, sizeof(err));
    if (!kc) fprintf(stderr, "client: %s\n", err);
    kube_config_done(&cfg);
    return kc;
}

int kcl_up(struct kube_cluster *c)
{
    char envfile[PATH_MAX + 8];
    const char *d = getenv("KMETRICS_E2E_KUBE_DIR");

    memset(c, 0, sizeof(*c));
    if (kcl_find_repo(c->repo, sizeof(c->repo))) return -1;
    if (d && d[0])
        snprintf(c->dir, sizeof(c->dir), "%s", d);
    else
        snprintf(c->dir, sizeof(c->dir), "%s/build/e2e-kube-client", c->repo);
    if (kcl_script(c, "up") != 0) {
        fprintf(stderr, "cluster.sh up %s failed: see %s.log\n", c->dir, c->dir);
        return -1;
    }
    snprintf(envfile, sizeof(envfile), "%s/env", c->dir);
    if (kcl_env_value(envfile, "KUBECONFIG", c->kubeconfig, sizeof(c->kubeconfig)) ||
        kcl_env_value(envfile, "APISERVER", c->apiserver, sizeof(c->apiserver)) ||
        kcl_env_value(envfile, "E2E_PKI", c->pki, sizeof(c->pki)))
        return -1;
    c->admin = kcl_client_from(c->kubeconfig);
    return c->admin ? 0 : -1;
}

void kcl_down(struct kube_cluster *c)
{
    kube_client_free(c->admin);
    c->admin = NULL;
    if (!getenv("KMETRICS_E2E_KEEP") && c->dir[0]) kcl_script(c, "down");
}

int kcl_etcdctl(const struct kube_cluster *c, const char *args, char *out, size_t n)
{
    char line[1024];
    const char *port = getenv("ETCD_PORT");
    size_t len = 0, k;
    FILE *f;
    int st;

    (void)c;
    snprintf(line, sizeof(line), "ETCDCTL_API=3 etcdctl --endpoints=http://127.0.0.1:%s %s 2>&1",
             port && port[0] ? port : "23890", args);
    if (!(f = popen(line, "r"))) return -1;
    while ((k = fread(line, 1, sizeof(line), f)) > 0) {
        if (out && len + 1 < n) {
            size_t take = k < n - 1 - len ? k : n - 1 - len;
            memcpy(out + len, line, take);
            len += take;
        }
    }
    if (out && n) {
        while (len && out[len - 1] == '\n')
            len--;
        out[len] = '\0';
    }
    st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

long kcl_call(struct kube_cluster *c, const char *method, const char *path, const char *body,
              struct kube_response *out)
{
    struct kube_response r;
    char err[512];
    int rc = kube_client_request(c->admin, method, path, NULL, body, 10000, 64 << 20, &r, err,
                                 sizeof(err));
    if (rc) {
        fprintf(stderr, "%s %s: %s\n", method, path, err);
        return rc;
    }
    long status = r.status;
    if (out)
        *out = r;
    else
        kube_response_done(&r);
    return status;
}

long kcl_create(struct kube_cluster *c, const char *path, const char *body)
{
    long s = kcl_call(c, "POST", path, body, NULL);

    for (int i = 0; i < 100 && s >= 500; i++) {
        usleep(200000);
        s = kcl_call(c, "POST", path, body, NULL);
    }
    if (s != 201 && s != 409) fprintf(stderr, "POST %s -> %ld\n", path, s);
    return s;
}

int kcl_token(struct kube_cluster *c, const char *ns, const char *sa, const char *spec, char *out,
              size_t n)
{
    char path[512];
    struct kube_response r;
    const char *t;
    json_t *j;
    long st;

    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/serviceaccounts/%s/token", ns, sa);
    if ((st = kcl_call(c, "POST", path, spec, &r)) != 201) {
        fprintf(stderr, "TokenRequest for %s/%s -> %ld\n", ns, sa, st);
        if (st > 0) kube_response_done(&r);
        return -1;
    }
    j = json_loadb(r.body, r.len, 0, NULL);
    t = json_string_value(json_object_get(json_object_get(j, "status"), "token"));
    if (t) snprintf(out, n, "%s", t);
    json_decref(j);
    kube_response_done(&r);
    return t ? 0 : -1;
}

int kcl_namespace(struct kube_cluster *c, const char *ns)
{
    char path[160], body[160];
    long st = 0;

    snprintf(body, sizeof(body), "{\"metadata\":{\"name\":\"%s\"}}", ns);
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/serviceaccounts", ns);
    for (int i = 0; i < 120; i++, usleep(500000)) {
        st = kcl_call(c, "POST", "/api/v1/namespaces", body, NULL);
        if (st != 201 && st != 409) continue;
        st = kcl_call(c, "POST", path, "{\"metadata\":{\"name\":\"default\"}}", NULL);
        if (st == 201 || st == 409) return 0;
    }
    return -1;
}

long kcl_create_pod(struct kube_cluster *c, const char *ns, const char *name,
                    const char *labels_json, char *uid, size_t uidlen)
{
    char body[1024], path[160];
    struct kube_response r;
    long st;

    snprintf(body, sizeof(body),
             "{\"metadata\":{\"name\":\"%s\",\"labels\":%s},\"spec\":{"
             "\"automountServiceAccountToken\":false,\"containers\":[{\"name\":\"app\","
             "\"image\":\"registry.k8s.io/pause:3.9\"}]}}",
             name, labels_json);
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods", ns);
    st = kcl_call(c, "POST", path, body, &r);
    if (st != 201) return st;
    if (uid) {
        json_t *j = json_loadb(r.body, r.len, 0, NULL);
        const char *u = json_string_value(json_object_get(json_object_get(j, "metadata"), "uid"));
        snprintf(uid, uidlen, "%s", u ? u : "");
        json_decref(j);
    }
    kube_response_done(&r);
    return st;
}

long kcl_relabel(struct kube_cluster *c, const char *path, const char *labels_json)
{
    struct kube_response r;
    json_t *j;
    char *body;
    long st = kcl_call(c, "GET", path, NULL, &r);

    if (st != 200) return st;
    j = json_loadb(r.body, r.len, 0, NULL);
    kube_response_done(&r);
    if (!j) return -1;
    json_object_set_new(json_object_get(j, "metadata"), "labels", json_loads(labels_json, 0, NULL));
    body = json_dumps(j, JSON_COMPACT);
    st = body ? kcl_call(c, "PUT", path, body, NULL) : -1;
    free(body);
    json_decref(j);
    return st;
}
