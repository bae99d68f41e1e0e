/* Reads a whole file that comes from outside (a kubeconfig and the files it names, a CA bundle,
 * a token, an OCI bundle, /proc/self/mountinfo) into memory, bounded: never more than cap
 * bytes, never blocking on a FIFO in the file's place, and never following a symlink when
 * told not to. A file that is larger than cap is an error, never silently cut short. */
#ifndef KMETRICS_FILE_READ_H
#define KMETRICS_FILE_READ_H

#include <stddef.h>

enum file_read_flags {
    FILE_READ_NOFOLLOW = 1u << 0, /* a symlink in the file's place is refused (-ELOOP) */
};

/* Reads path (relative to dir_fd, or AT_FDCWD) into a malloc'd buffer holding its *len bytes
 * and a NUL after them. Files whose size the kernel does not state (procfs) are read to their
 * end. Returns 0, or -errno: -EINVAL when it is not a regular file, -EFBIG when it holds more
 * than cap bytes, -ENOMEM, or what open(2) and read(2) said (-ENOENT, -EACCES...). *out is
 * NULL on error. */
int file_read(int dir_fd, const char *path, size_t cap, unsigned flags, char **out, size_t *len);

#endif
