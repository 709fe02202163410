/* test_allowlist.c: loading MAC allow-lists with provauth_allowlist_load:
 * comments, blank lines, line endings and every MAC form; how bad files fail
 * (naming the file and line); membership and size, up to a million MACs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_errno.h>

#include "provauth_allowlist.h"
#include "test_pki.h"

/* ---- helpers ---- */

static provauth_mac_t mac_of(const char *text)
{
    provauth_mac_t mac;

    ck_assert_msg(provauth_mac_parse(text, strlen(text), &mac) == 1,
                  "test MAC '%s' does not parse", text);
    return mac;
}

/* Load path, which must succeed. */
static provauth_allowlist_t *load_ok(const char *path)
{
    provauth_allowlist_t *list = NULL;
    const char *why = NULL;
    apr_status_t rv = provauth_allowlist_load(&list, path, test_pool, &why);

    ck_assert_msg(rv == APR_SUCCESS, "load '%s': expected success, got %d: %s",
                  path, rv, why ? why : "(no why)");
    ck_assert_ptr_nonnull(list);
    return list;
}

#define ck_assert_listed(list, text)                                           \
    do {                                                                       \
        provauth_mac_t m_ = mac_of(text);                                      \
        ck_assert_msg(provauth_allowlist_contains((list), &m_) == 1,           \
                      "contains %s (%s): expected listed, got not listed",     \
                      (text), m_.hex);                                         \
    } while (0)

#define ck_assert_not_listed(list, text)                                       \
    do {                                                                       \
        provauth_mac_t m_ = mac_of(text);                                      \
        ck_assert_msg(provauth_allowlist_contains((list), &m_) == 0,           \
                      "contains %s (%s): expected not listed, got listed",     \
                      (text), m_.hex);                                         \
    } while (0)

#define ck_assert_size(list, expected)                                         \
    ck_assert_msg(provauth_allowlist_size(list) == (apr_size_t)(expected),     \
                  "size: expected %lu, got %lu", (unsigned long)(expected),    \
                  (unsigned long)provauth_allowlist_size(list))


/* Loading path fails with APR_EINVAL and exactly the message
 * "'<path>' line <line>: '<text>' is not a MAC address"; *list untouched. */
static void assert_bad_line(const char *path, int line, const char *text)
{
    provauth_allowlist_t *list = NULL;
    const char *why = NULL;
    char expected[4096];
    apr_status_t rv = provauth_allowlist_load(&list, path, test_pool, &why);

    snprintf(expected, sizeof(expected), "'%s' line %d: '%s' is not a MAC address",
             path, line, text);
    ck_assert_msg(rv == APR_EINVAL, "load '%s': expected APR_EINVAL (%d), got %d",
                  path, APR_EINVAL, rv);
    ck_assert_msg(why != NULL && strcmp(why, expected) == 0,
                  "*why: expected \"%s\", got \"%s\"", expected,
                  why ? why : "(null)");
    ck_assert_ptr_null(list);
}

/* ---- well-formed files ---- */

/* Six distinct MACs 0004f2abcdef, 0004f2abcde0..e4, written in every form,
 * each also listed again in another form. */
static const char mixed_file[] =
    "# allow-list for the lab phones\r\n"
    "\r\n"
    "0004f2abcdef\r\n"
    "0004F2ABCDE0   # uppercase, trailing comment\r\n"
    "00:04:f2:ab:cd:e1\r\n"
    "00-04-F2-AB-CD-E2\r\n"
    "0004.f2ab.cde3\r\n"
    " \t 0004f2abcde4\t \r\n"
    "   \r\n"
    "\n"
    "   # an indented comment\n"
    "# the same phones again, written otherwise\n"
    "00:04:F2:AB:CD:EF\n"
    "0004.F2AB.CDE0#no blank before the comment\n"
    "0004f2abcde1\r\n"
    "00-04-f2-ab-cd-e2   \n"
    "0004F2ABCDE3\n"
    "00:04:f2:ab:cd:e4\n";

START_TEST(test_file_with_comments_blanks_crlf_every_form_and_duplicates_loads)
{
    char *path = pki_write_text(test_dir, "mixed.txt", mixed_file);
    provauth_allowlist_t *list = load_ok(path);

    ck_assert_size(list, 6);
    free(path);
}
END_TEST

START_TEST(test_listed_macs_are_found_in_any_written_form)
{
    char *path = pki_write_text(test_dir, "mixed.txt", mixed_file);
    provauth_allowlist_t *list = load_ok(path);

    ck_assert_listed(list, "0004f2abcdef");
    ck_assert_listed(list, "0004F2ABCDEF");
    ck_assert_listed(list, "00:04:f2:ab:cd:ef");
    ck_assert_listed(list, "0004f2abcde0");
    ck_assert_listed(list, "00-04-f2-ab-cd-e1");
    ck_assert_listed(list, "0004.F2AB.CDE2");
    ck_assert_listed(list, "00:04:F2:AB:CD:E3");
    ck_assert_listed(list, "0004f2abcde4");
    free(path);
}
END_TEST

START_TEST(test_unlisted_macs_are_not_found)
{
    char *path = pki_write_text(test_dir, "mixed.txt", mixed_file);
    provauth_allowlist_t *list = load_ok(path);

    ck_assert_not_listed(list, "000000000000");
    ck_assert_not_listed(list, "ffffffffffff");
    ck_assert_not_listed(list, "0004f2abcde5");   /* one digit off the last */
    ck_assert_not_listed(list, "0004f2abcdee");   /* one digit off the first */
    ck_assert_not_listed(list, "1004f2abcdef");   /* first digit differs */
    ck_assert_not_listed(list, "0004f3abcdef");
    free(path);
}
END_TEST

START_TEST(test_all_zero_and_all_ones_macs_can_be_listed)
{
    char *path = pki_write_text(test_dir, "extremes.txt",
                                "000000000000\nFF:FF:FF:FF:FF:FF\n");
    provauth_allowlist_t *list = load_ok(path);

    ck_assert_size(list, 2);
    ck_assert_listed(list, "000000000000");
    ck_assert_listed(list, "ffffffffffff");
    ck_assert_not_listed(list, "000000000001");
    ck_assert_not_listed(list, "fffffffffffe");
    free(path);
}
END_TEST

START_TEST(test_empty_file_loads_with_no_entries)
{
    char *path = pki_write_text(test_dir, "empty.txt", "");
    provauth_allowlist_t *list = load_ok(path);

    ck_assert_size(list, 0);
    ck_assert_not_listed(list, "000000000000");
    ck_assert_not_listed(list, "0004f2abcdef");
    ck_assert_not_listed(list, "ffffffffffff");
    free(path);
}
END_TEST

START_TEST(test_comments_only_file_loads_with_no_entries)
{
    char *path = pki_write_text(test_dir, "comments.txt",
                                "# nobody yet\r\n\r\n   # 0004f2abcdef\n\t\n#\n");
    provauth_allowlist_t *list = load_ok(path);

    ck_assert_size(list, 0);
    ck_assert_not_listed(list, "000000000000");
    ck_assert_not_listed(list, "0004f2abcdef");
    free(path);
}
END_TEST

START_TEST(test_last_line_without_newline_is_loaded)
{
    char *path = pki_write_text(test_dir, "no-newline.txt",
                                "0004f2abcdef\r\n00:04:f2:00:00:01");
    provauth_allowlist_t *list = load_ok(path);

    ck_assert_size(list, 2);
    ck_assert_listed(list, "0004f2abcdef");
    ck_assert_listed(list, "0004f2000001");
    free(path);
}
END_TEST

START_TEST(test_single_mac_without_newline_is_loaded)
{
    char *path = pki_write_text(test_dir, "one.txt", "0004f2abcdef");
    provauth_allowlist_t *list = load_ok(path);

    ck_assert_size(list, 1);
    ck_assert_listed(list, "0004f2abcdef");
    free(path);
}
END_TEST

/* ---- bad files ---- */

START_TEST(test_bad_line_fails_naming_the_file_and_line_number)
{
    char *path = pki_write_text(test_dir, "bad3.txt",
                                "# phones\n0004f2abcdef\n0004f2abcdeg\n0004f2abcde1\n");

    assert_bad_line(path, 3, "0004f2abcdeg");
    free(path);
}
END_TEST

START_TEST(test_bad_line_number_counts_blank_comment_and_crlf_lines)
{
    char *path = pki_write_text(test_dir, "bad5.txt",
                                "\r\n# comment\r\n\r\n0004f2abcdef\r\n"
                                "  not-a-mac  # the text is trimmed\r\n");

    assert_bad_line(path, 5, "not-a-mac");
    free(path);
}
END_TEST

START_TEST(test_line_with_two_macs_fails)
{
    char *path = pki_write_text(test_dir, "two.txt", "0004f2abcdef 0004f2abcde0\n");

    assert_bad_line(path, 1, "0004f2abcdef 0004f2abcde0");
    free(path);
}
END_TEST

START_TEST(test_line_with_utf8_look_alike_fails)
{
    /* Fullwidth digit zero U+FF10 in place of the first '0'. */
    char *path = pki_write_text(test_dir, "fullwidth.txt",
                                "0004f2abcdef\n\xef\xbc\x90" "004f2abcdef\n");

    /* Non-ASCII bytes are shown escaped, so the log stays plain text. */
    assert_bad_line(path, 2, "\\xEF\\xBC\\x90004f2abcdef");
    free(path);
}
END_TEST

START_TEST(test_line_with_embedded_nul_fails)
{
    static const char data[] = "0004f2abcdef\n0004f2abcdef\0\n0004f2abcde0\n";
    char *path = pki_write_bytes(test_dir, "nul.txt", data, sizeof(data) - 1);
    provauth_allowlist_t *list = NULL;
    const char *why = NULL;
    apr_status_t rv = provauth_allowlist_load(&list, path, test_pool, &why);

    ck_assert_msg(rv == APR_EINVAL, "load: expected APR_EINVAL (%d), got %d: %s",
                  APR_EINVAL, rv, why ? why : "(no why)");
    ck_assert_why_mentions(why, path);
    ck_assert_why_mentions(why, "line 2: '0004f2abcdef\\x00' is not");
    ck_assert_ptr_null(list);
    free(path);
}
END_TEST

START_TEST(test_nul_inside_a_mac_fails)
{
    static const char data[] = "0004f2\0abcdef\n";
    char *path = pki_write_bytes(test_dir, "nul-inside.txt", data, sizeof(data) - 1);
    provauth_allowlist_t *list = NULL;
    const char *why = NULL;
    apr_status_t rv = provauth_allowlist_load(&list, path, test_pool, &why);

    ck_assert_msg(rv == APR_EINVAL, "load: expected APR_EINVAL (%d), got %d: %s",
                  APR_EINVAL, rv, why ? why : "(no why)");
    ck_assert_why_mentions(why, "line 1:");
    ck_assert_ptr_null(list);
    free(path);
}
END_TEST

START_TEST(test_missing_file_fails_cannot_read_naming_the_path)
{
    char *path = pki_path(test_dir, "absent.txt");
    provauth_allowlist_t *list = NULL;
    const char *why = NULL;
    apr_status_t rv = provauth_allowlist_load(&list, path, test_pool, &why);

    ck_assert_msg(APR_STATUS_IS_ENOENT(rv), "load: expected ENOENT, got %d: %s",
                  rv, why ? why : "(no why)");
    ck_assert_why_mentions(why, "cannot read");
    ck_assert_why_mentions(why, path);
    ck_assert_ptr_null(list);
    free(path);
}
END_TEST

/* ---- a million MACs ---- */

#define BIG_HALF 500000   /* sequential MACs, and as many random-looking ones */

/* Line i of the big file: even lines count up from 00:04:f2:00:00:00, odd
 * lines are 02:xx:xx:xx:xx:xx with xx a bijection of i/2 on 40 bits, so all
 * are distinct and the two kinds never meet.  big_mac(i) for i >= 2*BIG_HALF
 * continues both sequences with MACs that are not in the file. */
static uint64_t big_mac(uint64_t i)
{
    const uint64_t m40 = (UINT64_C(1) << 40) - 1;
    uint64_t k = i / 2;

    if (i % 2 == 0) {
        return UINT64_C(0x0004f2000000) + k;
    }
    k = (k * UINT64_C(0x9e3779b97f4a7c15)) & m40;
    k ^= k >> 17;
    k = (k * UINT64_C(0xbf58476d1ce4e5b9)) & m40;
    return (UINT64_C(0x02) << 40) | k;
}

static void big_text(char *buf, size_t size, uint64_t v)
{
    snprintf(buf, size, "%012llx", (unsigned long long)v);
}

static char *write_big_file(void)
{
    char *path = pki_path(test_dir, "million.txt");
    FILE *out = fopen(path, "w");
    uint64_t i;

    ck_assert_msg(out != NULL, "cannot create %s", path);
    fputs("# a million phones\n", out);
    for (i = 0; i < 2 * BIG_HALF; i++) {
        unsigned long long v = (unsigned long long)big_mac(i);
        unsigned b[6];
        int j;

        for (j = 0; j < 6; j++) {
            b[j] = (unsigned)(v >> (40 - 8 * j)) & 0xff;
        }
        switch (i % 5) {   /* every form, in turn */
        case 0:
            fprintf(out, "%012llx\n", v);
            break;
        case 1:
            fprintf(out, "%012llX\r\n", v);
            break;
        case 2:
            fprintf(out, "%02x:%02x:%02x:%02x:%02x:%02x\n",
                    b[0], b[1], b[2], b[3], b[4], b[5]);
            break;
        case 3:
            fprintf(out, "%02X-%02X-%02X-%02X-%02X-%02X  # phone %llu\n",
                    b[0], b[1], b[2], b[3], b[4], b[5], (unsigned long long)i);
            break;
        default:
            fprintf(out, "%02x%02x.%02x%02x.%02x%02x\n",
                    b[0], b[1], b[2], b[3], b[4], b[5]);
            break;
        }
    }
    ck_assert_msg(fclose(out) == 0, "cannot write %s", path);
    return path;
}

START_TEST(test_million_distinct_macs_load_and_answer_membership)
{
    char *path = write_big_file();
    provauth_allowlist_t *list = load_ok(path);
    char text[16];
    uint64_t i;

    ck_assert_size(list, 2 * BIG_HALF);
    for (i = 0; i < 2 * BIG_HALF; i += 1000) {   /* both kinds, every form */
        big_text(text, sizeof(text), big_mac(i));
        ck_assert_listed(list, text);
        big_text(text, sizeof(text), big_mac(i + 1 + 2 * (i / 1000 % 2)));
        ck_assert_listed(list, text);
    }
    ck_assert_listed(list, "0004f2000000");
    big_text(text, sizeof(text), big_mac(2 * BIG_HALF - 1));
    ck_assert_listed(list, text);
    for (i = 2 * BIG_HALF; i < 2 * BIG_HALF + 10000; i++) {
        big_text(text, sizeof(text), big_mac(i));
        ck_assert_not_listed(list, text);
    }
    free(path);
}
END_TEST

Suite *allowlist_suite(void)
{
    Suite *s = suite_create("allowlist");
    TCase *tc = tcase_create("allowlist_load");

    tcase_add_unchecked_fixture(tc, test_dir_make, test_dir_remove);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_file_with_comments_blanks_crlf_every_form_and_duplicates_loads);
    tcase_add_test(tc, test_listed_macs_are_found_in_any_written_form);
    tcase_add_test(tc, test_unlisted_macs_are_not_found);
    tcase_add_test(tc, test_all_zero_and_all_ones_macs_can_be_listed);
    tcase_add_test(tc, test_empty_file_loads_with_no_entries);
    tcase_add_test(tc, test_comments_only_file_loads_with_no_entries);
    tcase_add_test(tc, test_last_line_without_newline_is_loaded);
    tcase_add_test(tc, test_single_mac_without_newline_is_loaded);
    tcase_add_test(tc, test_bad_line_fails_naming_the_file_and_line_number);
    tcase_add_test(tc, test_bad_line_number_counts_blank_comment_and_crlf_lines);
    tcase_add_test(tc, test_line_with_two_macs_fails);
    tcase_add_test(tc, test_line_with_utf8_look_alike_fails);
    tcase_add_test(tc, test_line_with_embedded_nul_fails);
    tcase_add_test(tc, test_nul_inside_a_mac_fails);
    tcase_add_test(tc, test_missing_file_fails_cannot_read_naming_the_path);
    tcase_add_test(tc, test_million_distinct_macs_load_and_answer_membership);
    suite_add_tcase(s, tc);
    return s;
}
