/* Who made a request, as Kubernetes describes a user (authentication.k8s.io UserInfo). Every
 * string is malloc'd and owned by the struct. */
#ifndef KMETRICS_USER_INFO_H
#define KMETRICS_USER_INFO_H

#include <stddef.h>

#define USER_INFO_MAX_GROUPS 256
#define USER_INFO_MAX_EXTRA 64
#define USER_INFO_MAX_VALUES 64

struct user_extra {
    char *key;
    char **values;
    size_t nvalues;
};

struct user_info {
    char *name;
    char *uid; /* NULL: none */
    char **groups;
    size_t ngroups;
    struct user_extra *extra;
    size_t nextra;
};

void user_info_done(struct user_info *u);
/* Deep copy. Returns 0 or -ENOMEM (dst then empty). */
int user_info_copy(struct user_info *dst, const struct user_info *src);
/* Appends a group / an extra value (key joined with an existing entry). 0, -ENOMEM, or -E2BIG
 * past the limits above. */
int user_info_add_group(struct user_info *u, const char *group, size_t len);
int user_info_add_extra(struct user_info *u, const char *key, size_t klen, const char *value,
                        size_t vlen);
/* The value of an extra key's first value, or NULL. */
const char *user_info_extra(const struct user_info *u, const char *key);

#endif
