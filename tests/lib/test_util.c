#include "test_util.h"

#include "clock.h"

int tu_mkdirs(const char *fmt, ...)
{
    char path[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(path, 0755) && errno != EEXIST) return -errno;
        *p = '/';
    }
    if (mkdir(path, 0755) && errno != EEXIST) return -errno;
    return 0;
}

int tu_write_file(const char *path, const char *data, size_t len)
{
    char dir[4096];
    char *slash;
    int fd;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (tu_mkdirs("%s", dir)) return -errno;
    }
    if (len == (size_t)-1) len = strlen(data);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -errno;
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n <= 0) {
            close(fd);
            return -EIO;
        }
        data += n;
        len -= (size_t)n;
    }
    close(fd);
    return 0;
}

static int tu_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tu_rm_rf(const char *path)
{
    nftw(path, tu_rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

int tu_tmpdir(char *out, size_t outlen, const char *tag)
{
    snprintf(out, outlen, "/tmp/kmetrics-%s-XXXXXX", tag);
    return mkdtemp(out) ? 0 : -errno;
}

int tu_build_dir(char *out, size_t n)
{
    char exe[4096], probe[4096 + 32];
    ssize_t l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash;

    if (l <= 0) return -1;
    exe[l] = '\0';
    while ((slash = strrchr(exe, '/')) && slash != exe) {
        *slash = '\0';
        snprintf(probe, sizeof(probe), "%s/kmetrics-collector", exe);
        if (access(probe, X_OK) == 0) {
            snprintf(out, n, "%s", exe);
            return 0;
        }
    }
    return -1;
}

double tu_mono_s(void)
{
    return (double)clock_mono_ns() / 1e9;
}
