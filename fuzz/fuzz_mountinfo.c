/* Fuzzes the mountinfo parser: no crash or overread on any text, and whatever mount it picks
 * is one whose mount point maps back to itself. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "discover/cgroup_root.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy so ASan sees any read past the end. */
    char *buf = malloc(size ? size : 1);
    struct cgroup2_mount m, m2;
    char hp[4096];

    if (!buf) return 0;
    memcpy(buf, data, size);
    if (cgroup2_find_mount(buf, size, &m) == 0) {
        if (strlen(m.mount_point) >= sizeof(m.mount_point)) abort();
        if (m.mount_point[0] == '/' && cgroup2_mount_of(buf, size, m.mount_point, &m2) != 0)
            abort();
        cgroup2_hierarchy_path(&m, m.mount_point, hp, sizeof(hp));
    }
    cgroup2_mount_of(buf, size, "/sys/fs/cgroup/unified/kubepods.slice", &m);
    free(buf);
    return 0;
}
