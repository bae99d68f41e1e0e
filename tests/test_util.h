/* Small helpers shared by the cmocka tests: temporary trees and files. Header-only so each
 * test binary stays one source file. */
#ifndef KMETRICS_TEST_UTIL_H
#define KMETRICS_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p of a printf-formatted path; returns 0 or -errno. */
static inline int tu_mkdirs(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static inline int tu_mkdirs(const char *fmt, ...)
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

/* Writes len bytes (or strlen(data) when len is (size_t)-1) to a file, creating parents. */
static inline int tu_write_file(const char *path, const char *data, size_t len)
    __attribute__((unused));
static inline int tu_write_file(const char *path, const char *data, size_t len)
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

static inline int tu_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* rm -rf; only ever called on directories the test made itself. */
static inline void tu_rm_rf(const char *path) __attribute__((unused));
static inline void tu_rm_rf(const char *path)
{
    nftw(path, tu_rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

/* Fresh temporary directory "/tmp/kmetrics-<tag>-XXXXXX" written into out. */
static inline int tu_tmpdir(char *out, size_t outlen, const char *tag) __attribute__((unused));
static inline int tu_tmpdir(char *out, size_t outlen, const char *tag)
{
    snprintf(out, outlen, "/tmp/kmetrics-%s-XXXXXX", tag);
    return mkdtemp(out) ? 0 : -errno;
}

#endif
