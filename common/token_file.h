/* Reads a bearer token from a file (a mounted Secret, a generated file): surrounding white
 * space trimmed, at most TOKEN_FILE_MAX bytes, visible ASCII only since it goes into an HTTP
 * header. */
#ifndef KMETRICS_TOKEN_FILE_H
#define KMETRICS_TOKEN_FILE_H

#include <stddef.h>

#define TOKEN_FILE_MAX 4096

/* Returns a malloc'd token, or NULL with a one-line reason in err. */
char *token_file_read(const char *path, char *err, size_t errlen);

#endif
