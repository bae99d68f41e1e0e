#include "cgroup_root.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file_read.h"

#define MOUNTINFO_MAX (8u << 20)

/* Copies a mountinfo field, undoing the kernel's octal escapes (\040 for space etc.).
 * Returns false when it does not fit. */
static bool copy_unescaped(const char *s, size_t n, char *out, size_t outlen)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
            s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
            c = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        }
        if (c == '\0' || o + 1 >= outlen) return false;
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

/* Splits one line into space-separated fields; returns the count (at most max). */
static size_t split_fields(const char *line, size_t len, const char *f[], size_t fl[], size_t max)
{
    size_t n = 0, i = 0;

    while (i < len && n < max) {
        while (i < len && line[i] == ' ')
            i++;
        if (i >= len) break;
        f[n] = line + i;
        while (i < len && line[i] != ' ')
            i++;
        fl[n] = (size_t)(line + i - f[n]);
        n++;
    }
    return n;
}

/* Calls visit for every cgroup2 mount line; stops when it returns true. */
static int for_each_cgroup2(const char *text, size_t len,
                            bool (*visit)(void *ctx, const struct cgroup2_mount *m), void *ctx)
{
    size_t pos = 0;
    bool any_line = false;

    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - line) : len - pos;
        const char *f[32];
        size_t fl[32];
        size_t n = split_fields(line, line_len, f, fl, 32);
        struct cgroup2_mount m;

        pos += line_len + 1;
        if (n < 10) continue;
        any_line = true;
        /* Optional fields run from field 6 up to a lone "-"; fstype follows it. */
        size_t sep = 6;
        while (sep < n && !(fl[sep] == 1 && f[sep][0] == '-'))
            sep++;
        if (sep + 1 >= n || fl[sep + 1] != 7 || memcmp(f[sep + 1], "cgroup2", 7) != 0) continue;
        if (!copy_unescaped(f[3], fl[3], m.root, sizeof(m.root)) ||
            !copy_unescaped(f[4], fl[4], m.mount_point, sizeof(m.mount_point)))
            continue;
        if (visit(ctx, &m)) return 0;
    }
    return any_line ? -ENOENT : -EINVAL;
}

struct find_ctx {
    struct cgroup2_mount best;
    bool found;
    const char *dir;
    size_t best_len;
};

static bool visit_find(void *ctx, const struct cgroup2_mount *m)
{
    struct find_ctx *fc = ctx;

    if (strcmp(m->mount_point, "/sys/fs/cgroup") == 0) {
        fc->best = *m;
        fc->found = true;
        return true;
    }
    /* Otherwise the first one, preferring the conventional hybrid location. */
    if (!fc->found || strcmp(m->mount_point, "/sys/fs/cgroup/unified") == 0) {
        fc->best = *m;
        fc->found = true;
    }
    return false;
}

int cgroup2_find_mount(const char *mountinfo, size_t len, struct cgroup2_mount *out)
{
    struct find_ctx fc = {0};
    int rc = for_each_cgroup2(mountinfo, len, visit_find, &fc);

    if (rc == -EINVAL) return rc;
    if (!fc.found) return -ENOENT;
    *out = fc.best;
    return 0;
}

static bool path_has_prefix(const char *path, const char *prefix, size_t plen)
{
    if (plen == 1 && prefix[0] == '/') return path[0] == '/';
    return strncmp(path, prefix, plen) == 0 && (path[plen] == '\0' || path[plen] == '/');
}

static bool visit_mount_of(void *ctx, const struct cgroup2_mount *m)
{
    struct find_ctx *fc = ctx;
    size_t l = strlen(m->mount_point);

    /* Later lines shadow earlier ones at the same mount point, so >= keeps the last. */
    if (path_has_prefix(fc->dir, m->mount_point, l) && (!fc->found || l >= fc->best_len)) {
        fc->best = *m;
        fc->best_len = l;
        fc->found = true;
    }
    return false;
}

int cgroup2_mount_of(const char *mountinfo, size_t len, const char *dir, struct cgroup2_mount *out)
{
    struct find_ctx fc = {.dir = dir};
    int rc = for_each_cgroup2(mountinfo, len, visit_mount_of, &fc);

    if (rc == -EINVAL) return rc;
    if (!fc.found) return -ENOENT;
    *out = fc.best;
    return 0;
}

int cgroup2_hierarchy_path(const struct cgroup2_mount *m, const char *dir, char *out, size_t outlen)
{
    size_t ml = strlen(m->mount_point);
    const char *rest = dir + (strcmp(m->mount_point, "/") == 0 ? 0 : ml);
    const char *root = strcmp(m->root, "/") == 0 ? "" : m->root;
    int n = snprintf(out, outlen, "%s%s", root, rest);

    if (n < 0 || (size_t)n >= outlen) return -ENAMETOOLONG;
    /* Trailing slashes would break prefix matching of event paths. */
    while (n > 0 && out[n - 1] == '/')
        out[--n] = '\0';
    return 0;
}

char *read_mountinfo(const char *path, size_t *len)
{
    char *buf;

    return file_read(AT_FDCWD, path ? path : "/proc/self/mountinfo", MOUNTINFO_MAX, 0, &buf, len) ==
                   0
               ? buf
               : NULL;
}
