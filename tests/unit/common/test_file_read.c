/* Bounded whole-file reads on real files: exact sizes, the cap (never a silent cut), empty
 * files, files the kernel reports no size for (procfs), and hostile things in a file's place:
 * a directory, a FIFO (must not block), a symlink when not to be followed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_read.h"
#include "lib/test_util.h"

static char dir[PATH_MAX];

static int setup(void **state)
{
    (void)state;
    return tu_tmpdir(dir, sizeof(dir), "file-read");
}

static int teardown(void **state)
{
    (void)state;
    tu_rm_rf(dir);
    return 0;
}

static void path_of(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

static void test_sizes_and_cap(void **state)
{
    char path[PATH_MAX + 32], data[20000], *buf;
    size_t len;

    (void)state;
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)('a' + i % 26);
    path_of(path, sizeof(path), "f");
    assert_int_equal(tu_write_file(path, data, sizeof(data)), 0);
    /* Past 16 KiB, exactly at the cap: whole, NUL-terminated. */
    assert_int_equal(file_read(AT_FDCWD, path, sizeof(data), 0, &buf, &len), 0);
    assert_int_equal(len, sizeof(data));
    assert_memory_equal(buf, data, sizeof(data));
    assert_int_equal(buf[len], '\0');
    free(buf);
    /* One byte over the cap is an error, never a truncated read. */
    assert_int_equal(file_read(AT_FDCWD, path, sizeof(data) - 1, 0, &buf, &len), -EFBIG);
    assert_null(buf);
    assert_int_equal(len, 0);
    /* Empty. */
    assert_int_equal(tu_write_file(path, "", 0), 0);
    assert_int_equal(file_read(AT_FDCWD, path, 10, 0, &buf, &len), 0);
    assert_int_equal(len, 0);
    assert_string_equal(buf, "");
    free(buf);
    /* Relative to a directory descriptor. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dfd >= 0);
    assert_int_equal(tu_write_file(path, "x\n", (size_t)-1), 0);
    assert_int_equal(file_read(dfd, "f", 10, 0, &buf, &len), 0);
    assert_string_equal(buf, "x\n");
    free(buf);
    assert_int_equal(file_read(dfd, "absent", 10, 0, &buf, &len), -ENOENT);
    close(dfd);
}

static void test_procfs_has_no_size(void **state)
{
    char *buf;
    size_t len;

    (void)state;
    /* st_size is 0 here: read to the end, past the first allocation. */
    assert_int_equal(file_read(AT_FDCWD, "/proc/self/maps", 8u << 20, 0, &buf, &len), 0);
    assert_true(len > 0);
    assert_int_equal(strlen(buf), len);
    assert_non_null(strstr(buf, "\n"));
    free(buf);
    assert_int_equal(file_read(AT_FDCWD, "/proc/self/maps", 16, 0, &buf, &len), -EFBIG);
}

static void test_not_regular(void **state)
{
    char path[PATH_MAX + 32], link[PATH_MAX + 32], *buf;
    size_t len;

    (void)state;
    assert_int_equal(file_read(AT_FDCWD, dir, 10, 0, &buf, &len), -EINVAL);
    /* A FIFO with no writer: open must not block, and it is refused. */
    path_of(path, sizeof(path), "fifo");
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(file_read(AT_FDCWD, path, 10, 0, &buf, &len), -EINVAL);
    /* A symlink: followed by default, refused with FILE_READ_NOFOLLOW. */
    path_of(path, sizeof(path), "target");
    path_of(link, sizeof(link), "link");
    assert_int_equal(tu_write_file(path, "t", 1), 0);
    assert_int_equal(symlink(path, link), 0);
    assert_int_equal(file_read(AT_FDCWD, link, 10, 0, &buf, &len), 0);
    assert_string_equal(buf, "t");
    free(buf);
    assert_int_equal(file_read(AT_FDCWD, link, 10, FILE_READ_NOFOLLOW, &buf, &len), -ELOOP);
    assert_int_equal(file_read(AT_FDCWD, "/nonexistent/x", 10, 0, &buf, &len), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes_and_cap),
        cmocka_unit_test(test_procfs_has_no_size),
        cmocka_unit_test(test_not_regular),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
