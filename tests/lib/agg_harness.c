#include "agg_harness.h"

size_t ah_write_cb(char *p, size_t sz, size_t n, void *ud)
{
    outbuf_append(ud, p, sz * n);
    return sz * n;
}

int ah_free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    socklen_t l = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &l) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

/* The scratch directory, tokens and port, made once per harness. */
static int ah_init_dir(struct agg_harness *h)
{
    char path[PATH_MAX + 32];

    if (h->dir[0]) return 0;
    if (tu_tmpdir(h->dir, sizeof(h->dir), "agg")) return -1;
    if (tu_build_dir(h->bin_dir, sizeof(h->bin_dir))) return -1;
    snprintf(path, sizeof(path), "%s/ship-token", h->dir);
    tu_write_file(path, AH_SHIP_TOKEN "\n", (size_t)-1);
    snprintf(path, sizeof(path), "%s/read-token", h->dir);
    tu_write_file(path, AH_READ_TOKEN "\n", (size_t)-1);
    h->port = ah_free_port();
    return 0;
}

int ah_start_flags(struct agg_harness *h, const char *flags)
{
    char cmd[PATH_MAX * 4];

    if (ah_init_dir(h)) return -1;
    snprintf(h->base_url, sizeof(h->base_url), "https://127.0.0.1:%d", h->port);
    snprintf(cmd, sizeof(cmd),
             "exec %s/kmetrics-aggregator --bind-address=127.0.0.1 --secure-port=%d "
             "--cert-dir=%s/certs %s >>%s/aggregator.log 2>&1",
             h->bin_dir, h->port, h->dir, flags, h->dir);
    h->pid = fork();
    if (h->pid < 0) return -1;
    if (h->pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100; i++) {
        struct http_result r;
        if (ah_get(h, "/livez", NULL, NULL, &r) == 0 && r.status == 200) {
            outbuf_done(&r.body);
            return 0;
        }
        outbuf_done(&r.body);
        usleep(50000);
    }
    return -1;
}

int ah_start(struct agg_harness *h, const char *extra)
{
    char flags[PATH_MAX * 4];

    if (ah_init_dir(h)) return -1;
    snprintf(flags, sizeof(flags),
             "--ship-token-file=%s/ship-token --read-token-file=%s/read-token "
             "--write-kubeconfig=%s/kubeconfig %s",
             h->dir, h->dir, h->dir, extra);
    return ah_start_flags(h, flags);
}

int ah_stop(struct agg_harness *h)
{
    int status = -1;

    if (h->pid <= 0) return -1;
    kill(h->pid, SIGTERM);
    waitpid(h->pid, &status, 0);
    h->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

CURL *ah_curl(struct agg_harness *h, const char *path, struct http_result *r,
              struct curl_slist **hdrs)
{
    char url[512], ca[PATH_MAX + 16];
    CURL *c = curl_easy_init();

    memset(r, 0, sizeof(*r));
    outbuf_init(&r->body);
    snprintf(url, sizeof(url), "%s%s", h->base_url, path);
    snprintf(ca, sizeof(ca), "%s/certs/ca.crt", h->dir);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ah_write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    *hdrs = NULL;
    return c;
}

int ah_finish(CURL *c, struct curl_slist *hdrs, struct http_result *r)
{
    char *ct = NULL;
    CURLcode rc;

    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(c, CURLINFO_HTTP_VERSION, &r->http_version);
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(r->content_type, sizeof(r->content_type), "%s", ct ? ct : "");
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return rc == CURLE_OK ? 0 : -1;
}

int ah_get(struct agg_harness *h, const char *path, const char *accept, const char *token,
           struct http_result *r)
{
    struct curl_slist *hdrs;
    CURL *c = ah_curl(h, path, r, &hdrs);
    char line[8192]; /* room for ServiceAccount tokens */

    if (accept) {
        snprintf(line, sizeof(line), "Accept: %s", accept);
        hdrs = curl_slist_append(hdrs, line);
    }
    snprintf(line, sizeof(line), "Authorization: Bearer %s", token ? token : AH_READ_TOKEN);
    hdrs = curl_slist_append(hdrs, line);
    return ah_finish(c, hdrs, r);
}

int ah_post_ship_raw(struct agg_harness *h, const void *body, size_t len, const char *ctype,
                     const char *token, struct http_result *r)
{
    struct curl_slist *hdrs;
    CURL *c = ah_curl(h, "/ship", r, &hdrs);
    char line[8192]; /* room for ServiceAccount tokens */

    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    snprintf(line, sizeof(line), "Content-Type: %s", ctype);
    hdrs = curl_slist_append(hdrs, line);
    if (token && token[0]) {
        snprintf(line, sizeof(line), "Authorization: Bearer %s", token);
        hdrs = curl_slist_append(hdrs, line);
    }
    return ah_finish(c, hdrs, r);
}

long ah_ship(struct agg_harness *h, const struct wire_shipment *s)
{
    struct outbuf b;
    struct http_result r;
    long status = -1;

    outbuf_init(&b);
    /* The content type names the body's version, as the collector sends it. */
    if (wire_encode(s, &b) == 0 &&
        ah_post_ship_raw(h, b.data, b.len,
                         s->version == WIRE_VERSION_1 ? "application/vnd.kmetrics.shipment.v1"
                                                      : "application/vnd.kmetrics.shipment.v2",
                         AH_SHIP_TOKEN, &r) == 0)
        status = r.status;
    outbuf_done(&b);
    outbuf_done(&r.body);
    return status;
}

int ah_sh(struct outbuf *out, const char *fmt, ...)
{
    char cmd[8192], buf[4096];
    va_list ap;
    FILE *p;
    size_t n;
    int status;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    p = popen(cmd, "r");
    if (!p) return -1;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
        outbuf_append(out, buf, n);
    status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
