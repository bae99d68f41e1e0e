/* NULL-terminated lists of malloc'd strings (names and header lists from flags and the trust
 * ConfigMap, a certificate's groups). */
#ifndef KMETRICS_STRV_H
#define KMETRICS_STRV_H

/* Frees every string and the list; NULL is fine. */
void strv_free(char **v);
/* A copy of v (NULL for NULL, or when out of memory: never a list with holes). */
char **strv_dup(char *const *v);
/* "a,b,,c" split at sep into {"a", "b", "c"} (empty items dropped); NULL when out of memory. */
char **strv_split(const char *s, char sep);

#endif
