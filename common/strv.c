#include "strv.h"

#include <stdlib.h>
#include <string.h>

void strv_free(char **v)
{
    if (!v) return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

char **strv_dup(char *const *v)
{
    size_t n = 0;
    char **out;

    if (!v) return NULL;
    while (v[n])
        n++;
    if (!(out = calloc(n + 1, sizeof(*out)))) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!(out[i] = strdup(v[i]))) {
            strv_free(out);
            return NULL;
        }
    }
    return out;
}

char **strv_split(const char *s, char sep)
{
    size_t n = 1, k = 0;
    char **out;

    for (const char *p = s; *p; p++)
        n += *p == sep;
    if (!(out = calloc(n + 1, sizeof(*out)))) return NULL;
    while (*s) {
        const char *end = strchr(s, sep);
        size_t len = end ? (size_t)(end - s) : strlen(s);

        if (len && !(out[k++] = strndup(s, len))) {
            strv_free(out);
            return NULL;
        }
        s += len + (end != NULL);
    }
    return out;
}
