#include "token_file.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_read.h"

char *token_file_read(const char *path, char *err, size_t errlen)
{
    size_t len, start = 0;
    char *buf, *token;
    /* Room for a trailing newline: the trimmed token is checked against the limit below. */
    int rc = file_read(AT_FDCWD, path, TOKEN_FILE_MAX + 1, 0, &buf, &len);

    if (rc) {
        snprintf(err, errlen, "%s: %s", path,
                 rc == -EFBIG ? "longer than 4096 bytes" : strerror(-rc));
        return NULL;
    }
    while (len > 0 && isspace((unsigned char)buf[len - 1]))
        len--;
    while (start < len && isspace((unsigned char)buf[start]))
        start++;
    if (len - start > TOKEN_FILE_MAX || start == len) {
        snprintf(err, errlen, "%s: %s", path, start == len ? "empty" : "longer than 4096 bytes");
        free(buf);
        return NULL;
    }
    for (size_t i = start; i < len; i++) {
        if (buf[i] < 0x21 || buf[i] > 0x7e) {
            snprintf(err, errlen, "%s: not a token (only visible ASCII is allowed)", path);
            free(buf);
            return NULL;
        }
    }
    token = strndup(buf + start, len - start);
    free(buf);
    if (!token) snprintf(err, errlen, "%s: out of memory", path);
    return token;
}
