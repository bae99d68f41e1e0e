#include "token_file.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

char *token_file_read(const char *path, char *err, size_t errlen)
{
    char buf[TOKEN_FILE_MAX + 2]; /* room for a newline, and one byte to see it is too long */
    size_t len = 0, start = 0;
    bool too_long;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    while (len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            close(fd);
            return NULL;
        }
        len += (size_t)n;
    }
    close(fd);
    too_long = len == sizeof(buf);
    while (len > 0 && isspace((unsigned char)buf[len - 1]))
        len--;
    while (start < len && isspace((unsigned char)buf[start]))
        start++;
    if (too_long || len - start > TOKEN_FILE_MAX || start == len) {
        snprintf(err, errlen, "%s: %s", path, start == len ? "empty" : "longer than 4096 bytes");
        return NULL;
    }
    for (size_t i = start; i < len; i++) {
        if (buf[i] < 0x21 || buf[i] > 0x7e) {
            snprintf(err, errlen, "%s: not a token (only visible ASCII is allowed)", path);
            return NULL;
        }
    }
    return strndup(buf + start, len - start);
}
