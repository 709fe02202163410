/* test_lines.c: the helpers the allow-list, pin and fleet readers share
 * (provauth_lines.h): whole-file reading, hex digits and bytes, printable
 * excerpts, the table hash, and a MAC's 48-bit value. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_errno.h>

#include "provauth_allowlist.h"
#include "provauth_lines.h"
#include "provauth_mac.h"
#include "test_pki.h"

START_TEST(test_read_file_reads_a_regular_file_whole)
{
    static const char data[] = "a\0b\n";
    char *path = pki_write_bytes(test_dir, "data.bin", data, sizeof(data) - 1);
    char *empty = pki_write_text(test_dir, "empty.txt", "");
    char *text = NULL;
    apr_size_t len = 99;
    const char *why = NULL;

    ck_assert_int_eq(provauth_read_file(&text, &len, path, test_pool, &why), APR_SUCCESS);
    ck_assert_uint_eq(len, 4);
    ck_assert(memcmp(text, data, 4) == 0 && text[4] == '\0');
    ck_assert_int_eq(provauth_read_file(&text, &len, empty, test_pool, &why), APR_SUCCESS);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(text, "");
    free(path);
    free(empty);
}
END_TEST

START_TEST(test_read_file_refuses_missing_files_directories_and_fifos)
{
    char *missing = pki_path(test_dir, "absent.txt");
    char *fifo = pki_path(test_dir, "fifo");
    char *text = NULL;
    apr_size_t len = 0;
    const char *why = NULL;

    ck_assert(APR_STATUS_IS_ENOENT(provauth_read_file(&text, &len, missing, test_pool,
                                                      &why)));
    ck_assert_why_mentions(why, "cannot read '");
    ck_assert_why_mentions(why, missing);
    why = NULL;
    ck_assert_int_eq(provauth_read_file(&text, &len, test_dir, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "not a regular file");
    /* A FIFO would read as an empty file, if opening it did not wait for a
     * writer: refused like a directory, without opening it. */
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    why = NULL;
    ck_assert_int_eq(provauth_read_file(&text, &len, fifo, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "not a regular file");
    ck_assert_int_eq(unlink(fifo), 0);
    free(missing);
    free(fifo);
}
END_TEST

START_TEST(test_allowlist_refuses_what_is_not_a_regular_file)
{
    provauth_allowlist_t *list = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_allowlist_load(&list, test_dir, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "not a regular file");
    ck_assert_why_mentions(why, test_dir);
    ck_assert_ptr_null(list);
}
END_TEST

START_TEST(test_hex_value_of_every_byte)
{
    int c;

    for (c = 0; c < 256; c++) {
        int expected = (c >= '0' && c <= '9') ? c - '0'
                     : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                     : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        ck_assert_int_eq(provauth_hex_value((char)c), expected);
    }
}
END_TEST

START_TEST(test_hex_decode_plain_and_separated)
{
    unsigned char out[4] = { 0 };

    ck_assert_int_eq(provauth_hex_decode("00aBfF10", 8, 0, out, 4), 1);
    ck_assert(out[0] == 0x00 && out[1] == 0xab && out[2] == 0xff && out[3] == 0x10);
    ck_assert_int_eq(provauth_hex_decode("01:23:45:6f", 11, ':', out, 4), 1);
    ck_assert(out[0] == 0x01 && out[1] == 0x23 && out[2] == 0x45 && out[3] == 0x6f);
    ck_assert_int_eq(provauth_hex_decode("7f", 2, ':', out, 1), 1);
    ck_assert(out[0] == 0x7f);
}
END_TEST

START_TEST(test_hex_decode_refuses_anything_else_and_leaves_out_alone)
{
    static const struct {
        const char *text;
        char sep;
    } bad[] = {
        { "00aBfF1", 0 },         /* too short */
        { "00aBfF100", 0 },       /* too long */
        { "00aBfF1g", 0 },        /* not hex */
        { "0x00aBfF", 0 },        /* no prefix */
        { " 00aBfF1", 0 },        /* no blanks */
        { "00:aB:fF:10", 0 },     /* separators without sep */
        { "00aBfF10", ':' },      /* none with sep */
        { "00:aB-fF:10", ':' },   /* another separator */
        { "00:aB:fF:10:", ':' },  /* trailing separator */
        { ":00:aB:fF:1", ':' },   /* leading separator */
        { "0:0aB:fF:10", ':' },   /* misplaced separator */
        { "00:aB:fF:1\xff", ':' },
    };
    unsigned char out[4] = { 1, 2, 3, 4 };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(provauth_hex_decode(bad[i].text, strlen(bad[i].text), bad[i].sep,
                                          out, 4) == 0, "'%s' should not decode",
                      bad[i].text);
    }
    ck_assert_int_eq(provauth_hex_decode("00aB\0f10", 8, 0, out, 4), 0);
    ck_assert_int_eq(provauth_hex_decode(NULL, 8, 0, out, 4), 0);
    ck_assert_int_eq(provauth_hex_decode("", 0, 0, out, 0), 0);
    ck_assert(out[0] == 1 && out[1] == 2 && out[2] == 3 && out[3] == 4);
}
END_TEST

START_TEST(test_excerpt_escapes_what_could_forge_a_log_line)
{
    ck_assert_str_eq(provauth_printable_excerpt("plain text", 10, test_pool), "plain text");
    ck_assert_str_eq(provauth_printable_excerpt("a\0b'\\\n\x7f\xef", 8, test_pool),
                     "a\\x00b\\x27\\x5C\\x0A\\x7F\\xEF");
    ck_assert_str_eq(provauth_printable_excerpt("", 0, test_pool), "");
}
END_TEST

START_TEST(test_excerpt_is_cut_with_a_mark)
{
    char text[PROVAUTH_EXCERPT_MAX + 2];
    const char *excerpt;

    memset(text, 'x', sizeof(text));
    excerpt = provauth_printable_excerpt(text, PROVAUTH_EXCERPT_MAX, test_pool);
    ck_assert_uint_eq(strlen(excerpt), PROVAUTH_EXCERPT_MAX);
    excerpt = provauth_printable_excerpt(text, PROVAUTH_EXCERPT_MAX + 1, test_pool);
    ck_assert_uint_eq(strlen(excerpt), PROVAUTH_EXCERPT_MAX + 3);
    ck_assert_str_eq(excerpt + PROVAUTH_EXCERPT_MAX, "...");
    /* Escaped all the way: the longest excerpt still fits. */
    memset(text, '\n', sizeof(text));
    excerpt = provauth_printable_excerpt(text, sizeof(text), test_pool);
    ck_assert_uint_eq(strlen(excerpt), 4 * PROVAUTH_EXCERPT_MAX + 3);
}
END_TEST

START_TEST(test_hash_slot_stays_in_the_table_and_spreads_sequential_keys)
{
    unsigned used[64] = { 0 };
    uint64_t key;
    unsigned i, empty = 0;

    ck_assert_uint_eq(provauth_hash_slot(UINT64_C(0x0004f2000005), 63),
                      provauth_hash_slot(UINT64_C(0x0004f2000005), 63));
    for (key = UINT64_C(0x0004f2000000); key < UINT64_C(0x0004f2000000) + 64; key++) {
        apr_size_t slot = provauth_hash_slot(key, 63);
        ck_assert_uint_le(slot, 63);
        used[slot]++;
    }
    for (i = 0; i < 64; i++) {
        empty += used[i] == 0;
    }
    /* 64 keys in 64 slots at random leave about 64/e empty; a poor hash of
     * sequential keys would leave far more. */
    ck_assert_uint_lt(empty, 36);
}
END_TEST

START_TEST(test_mac_value_round_trip)
{
    provauth_mac_t mac, back;

    ck_assert(provauth_mac_parse("00:04:F2:AB:CD:EF", 17, &mac));
    ck_assert(provauth_mac_value(&mac) == UINT64_C(0x0004f2abcdef));
    provauth_mac_of_value(UINT64_C(0x0004f2abcdef), &back);
    ck_assert_str_eq(back.hex, "0004f2abcdef");
    provauth_mac_of_value(UINT64_C(0xffffffffffff), &back);
    ck_assert_str_eq(back.hex, "ffffffffffff");
    ck_assert(provauth_mac_value(&back) == UINT64_C(0xffffffffffff));
    provauth_mac_of_value(0, &back);
    ck_assert_str_eq(back.hex, "000000000000");
}
END_TEST

Suite *lines_suite(void)
{
    Suite *s = suite_create("lines");
    TCase *tc = tcase_create("shared_helpers");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_unchecked_fixture(tc, test_dir_make, test_dir_remove);
    tcase_add_test(tc, test_read_file_reads_a_regular_file_whole);
    tcase_add_test(tc, test_read_file_refuses_missing_files_directories_and_fifos);
    tcase_add_test(tc, test_allowlist_refuses_what_is_not_a_regular_file);
    tcase_add_test(tc, test_hex_value_of_every_byte);
    tcase_add_test(tc, test_hex_decode_plain_and_separated);
    tcase_add_test(tc, test_hex_decode_refuses_anything_else_and_leaves_out_alone);
    tcase_add_test(tc, test_excerpt_escapes_what_could_forge_a_log_line);
    tcase_add_test(tc, test_excerpt_is_cut_with_a_mark);
    tcase_add_test(tc, test_hash_slot_stays_in_the_table_and_spreads_sequential_keys);
    tcase_add_test(tc, test_mac_value_round_trip);
    suite_add_tcase(s, tc);
    return s;
}
