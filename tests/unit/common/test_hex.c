/* Hex digits: values of every byte, lower-case checks (upper case and punctuation refused),
 * decoding ids into bytes and encoding digests back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hex.h"

static void test_values_of_every_byte(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        int want = c >= '0' && c <= '9'   ? c - '0'
                   : c >= 'a' && c <= 'f' ? c - 'a' + 10
                   : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                          : -1;
        assert_int_equal(hex_value((char)c), want);
        assert_int_equal(hex_is_lower((char)c), (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }
}

static void test_all_lower(void **state)
{
    char id[65];

    (void)state;
    memset(id, 'a', 64);
    id[64] = '\0';
    assert_true(hex_all_lower(id, 64));
    assert_true(hex_all_lower("", 0));
    id[63] = 'A'; /* runtimes write ids in lower case: upper case is another id */
    assert_false(hex_all_lower(id, 64));
    assert_true(hex_all_lower(id, 63)); /* bounded by n, not by the NUL */
    assert_false(hex_all_lower("0123-4567", 9));
    assert_false(hex_all_lower("g", 1));
    assert_false(hex_all_lower("\0", 1));
}

static void test_decode_and_encode(void **state)
{
    uint8_t bytes[4];
    char text[9];

    (void)state;
    assert_true(hex_decode("00ff7Fa0", 4, bytes));
    assert_int_equal(bytes[0], 0x00);
    assert_int_equal(bytes[1], 0xff);
    assert_int_equal(bytes[2], 0x7f);
    assert_int_equal(bytes[3], 0xa0);
    hex_encode(bytes, 4, text);
    assert_string_equal(text, "00ff7fa0");
    assert_false(hex_decode("00fz", 2, bytes));
    assert_false(hex_decode("0 ", 1, bytes));
    hex_encode(bytes, 0, text);
    assert_string_equal(text, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_of_every_byte),
        cmocka_unit_test(test_all_lower),
        cmocka_unit_test(test_decode_and_encode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
