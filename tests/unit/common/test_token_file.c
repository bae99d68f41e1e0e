/* Token files: white space trimmed; empty, spaced, control, non-ASCII and over-long tokens
 * refused with the file named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/test_util.h"
#include "token_file.h"

static void test_token_files(void **state)
{
    char dir[PATH_MAX], path[PATH_MAX + 16], err[256], big[TOKEN_FILE_MAX + 10];
    char *t;

    (void)state;
    assert_int_equal(tu_tmpdir(dir, sizeof(dir), "token"), 0);
    snprintf(path, sizeof(path), "%s/t", dir);
    tu_write_file(path, "  s3cr3t-Token_1.2\n\n", (size_t)-1);
    t = token_file_read(path, err, sizeof(err));
    assert_non_null(t);
    assert_string_equal(t, "s3cr3t-Token_1.2");
    free(t);
    const char *bad[] = {"", " \n\t ", "two words", "ctl\x01char", "caf\xc3\xa9"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tu_write_file(path, bad[i], (size_t)-1);
        assert_null(token_file_read(path, err, sizeof(err)));
        assert_non_null(strstr(err, path));
    }
    memset(big, 'a', sizeof(big));
    tu_write_file(path, big, sizeof(big));
    assert_null(token_file_read(path, err, sizeof(err)));
    assert_non_null(strstr(err, "longer than"));
    assert_null(token_file_read("/nonexistent/token", err, sizeof(err)));
    tu_rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
