#include "file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIRST_ALLOC 4096 /* for files that report no size */

static int open_file(int dir_fd, const char *path, unsigned flags)
{
    /* O_NONBLOCK: opening a FIFO must not hang (fstat refuses it after); it changes nothing
     * for a regular file. */
    int oflags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
                 (flags & FILE_READ_NOFOLLOW ? O_NOFOLLOW : 0);
    int fd;

    do
        fd = openat(dir_fd, path, oflags);
    while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

/* Reads fd to its end into *buf (capacity *alloc, grown up to cap + 1: one byte past cap
 * shows the file is too large). */
static int read_all(int fd, size_t cap, char **buf, size_t *alloc, size_t *len)
{
    for (;;) {
        ssize_t n;

        if (*len == *alloc) {
            size_t grown = *alloc * 2 > cap + 1 ? cap + 1 : *alloc * 2;
            char *nb;

            if (*alloc > cap) return -EFBIG;
            nb = realloc(*buf, grown + 1);
            if (!nb) return -ENOMEM;
            *buf = nb;
            *alloc = grown;
        }
        n = read(fd, *buf + *len, *alloc - *len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -errno;
        if (n == 0) return 0;
        *len += (size_t)n;
        if (*len > cap) return -EFBIG;
    }
}

int file_read(int dir_fd, const char *path, size_t cap, unsigned flags, char **out, size_t *len)
{
    struct stat st;
    size_t alloc, got = 0;
    char *buf = NULL;
    int fd, rc;

    *out = NULL;
    *len = 0;
    fd = open_file(dir_fd, path, flags);
    if (fd < 0) return fd;
    if (fstat(fd, &st) != 0) {
        rc = -errno;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = -EINVAL;
        goto out;
    }
    if (st.st_size < 0 || (uintmax_t)st.st_size > cap) {
        rc = -EFBIG;
        goto out;
    }
    /* One spare byte, so a file that grew since fstat is noticed without another read. */
    alloc = st.st_size > 0 ? (size_t)st.st_size + 1 : (cap < FIRST_ALLOC ? cap + 1 : FIRST_ALLOC);
    buf = malloc(alloc + 1);
    if (!buf) {
        rc = -ENOMEM;
        goto out;
    }
    rc = read_all(fd, cap, &buf, &alloc, &got);
    if (rc == 0) {
        buf[got] = '\0';
        *out = buf;
        *len = got;
        buf = NULL;
    }
out:
    free(buf);
    close(fd);
    return rc;
}
