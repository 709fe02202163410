/* test_mac.c: the device MAC: which written forms provauth_mac_parse accepts
 * and how it normalizes them, and the rules naming the subject attribute (and
 * regex) that carries the MAC.  Reading it from a certificate:
 * test_mac_cert.c; finding it in a URL path: test_mac_path.c. */
#include <stdlib.h>
#include <string.h>

#include <apr_errno.h>
#include <openssl/objects.h>

#include "provauth_mac.h"
#include "test_mac.h"

const provauth_mac_rule_t *mac_rule(const char *attribute, const char *pattern)
{
    provauth_mac_rule_t *made = NULL;
    const char *why = NULL;
    apr_status_t rv = provauth_mac_rule_make(&made, attribute, pattern, test_pool,
                                             &why);

    ck_assert_msg(rv == APR_SUCCESS, "rule %s ~ %s: expected made, got %d: %s",
                  attribute, pattern ? pattern : "(exact)", rv,
                  why ? why : "(no why)");
    return made;
}

/* ---- assertions ---- */

/* text[0..len) parses to the normalized expected. */
#define ck_assert_parses(text, len, expected)                                  \
    do {                                                                       \
        provauth_mac_t mac_;                                                   \
        memcpy(mac_.hex, UNTOUCHED, sizeof(mac_.hex));                         \
        ck_assert_msg(provauth_mac_parse((text), (len), &mac_) == 1,           \
                      "parse '%.*s' (len %d): expected accepted as %s, got "   \
                      "rejected", (int)(len), (text), (int)(len), (expected)); \
        ck_assert_msg(strcmp(mac_.hex, (expected)) == 0,                       \
                      "parse '%.*s': expected %s, got '%s'", (int)(len),       \
                      (text), (expected), mac_.hex);                           \
    } while (0)

/* For messages: the first len bytes of text, or "(null)". */
static int shown_len(const char *text, size_t len)
{
    return text ? (int)len : 6;
}

static const char *shown(const char *text)
{
    return text ? text : "(null)";
}

/* text[0..len) is rejected and the output is left as it was. */
#define ck_assert_parse_rejects(text, len)                                     \
    do {                                                                       \
        provauth_mac_t mac_;                                                   \
        int rc_;                                                               \
        memcpy(mac_.hex, UNTOUCHED, sizeof(mac_.hex));                         \
        rc_ = provauth_mac_parse((text), (len), &mac_);                        \
        ck_assert_msg(rc_ == 0, "parse '%.*s' (len %d): expected rejected, "   \
                      "got accepted as '%s'", shown_len((text), (len)),        \
                      shown(text), (int)(len), mac_.hex);                      \
        ck_assert_msg(memcmp(mac_.hex, UNTOUCHED, sizeof(mac_.hex)) == 0,      \
                      "parse '%.*s': rejected but the output changed from "    \
                      "'%s' to '%.12s'", shown_len((text), (len)),             \
                      shown(text), UNTOUCHED, mac_.hex);                       \
    } while (0)



/* ---- provauth_mac_parse: accepted forms ---- */

START_TEST(test_parse_accepts_twelve_lowercase_digits)
{
    ck_assert_parses("0004f2abcdef", 12, "0004f2abcdef");
}
END_TEST

START_TEST(test_parse_normalizes_uppercase_and_mixed_case_to_lowercase)
{
    ck_assert_parses("0004F2ABCDEF", 12, "0004f2abcdef");
    ck_assert_parses("0004f2AbCdEf", 12, "0004f2abcdef");
}
END_TEST

START_TEST(test_parse_accepts_six_pairs_separated_by_colons)
{
    ck_assert_parses("00:04:f2:ab:cd:ef", 17, "0004f2abcdef");
    ck_assert_parses("00:04:F2:AB:CD:EF", 17, "0004f2abcdef");
}
END_TEST

START_TEST(test_parse_accepts_six_pairs_separated_by_dashes)
{
    ck_assert_parses("00-04-F2-AB-CD-EF", 17, "0004f2abcdef");
    ck_assert_parses("00-04-f2-ab-cd-ef", 17, "0004f2abcdef");
}
END_TEST

START_TEST(test_parse_accepts_three_groups_of_four_separated_by_dots)
{
    ck_assert_parses("0004.f2ab.cdef", 14, "0004f2abcdef");
    ck_assert_parses("0004.F2AB.CDEF", 14, "0004f2abcdef");
}
END_TEST

START_TEST(test_parse_accepts_all_zero_and_all_ones)
{
    ck_assert_parses("000000000000", 12, "000000000000");
    ck_assert_parses("FF:FF:FF:FF:FF:FF", 17, "ffffffffffff");
}
END_TEST

START_TEST(test_parse_reads_exactly_len_bytes)
{
    /* The bytes after len are not looked at: a MAC at the start of a longer
     * buffer parses when len covers just the MAC. */
    ck_assert_parses("0004f2abcdef.cfg", 12, "0004f2abcdef");
}
END_TEST

/* ---- provauth_mac_parse: rejected forms ---- */

START_TEST(test_parse_rejects_eleven_and_thirteen_digits)
{
    ck_assert_parse_rejects("0004f2abcde", 11);
    ck_assert_parse_rejects("0004f2abcdef0", 13);
    ck_assert_parse_rejects("00:04:f2:ab:cd:e", 16);
    ck_assert_parse_rejects("00:04:f2:ab:cd:ef:0", 19);
}
END_TEST

START_TEST(test_parse_rejects_non_hex_digit)
{
    ck_assert_parse_rejects("0004f2abcdeg", 12);
    ck_assert_parse_rejects("0x04f2abcdef", 12);
    ck_assert_parse_rejects("00:04:f2:ab:cd:eg", 17);
    ck_assert_parse_rejects("0004.f2ab.cdeZ", 14);
}
END_TEST

START_TEST(test_parse_rejects_mixed_separators)
{
    ck_assert_parse_rejects("00:04-f2:ab:cd:ef", 17);
    ck_assert_parse_rejects("00-04-f2-ab-cd:ef", 17);
    ck_assert_parse_rejects("0004.f2ab:cdef", 14);
}
END_TEST

START_TEST(test_parse_rejects_wrong_grouping)
{
    ck_assert_parse_rejects("000:4f2:abc:def", 15);
    ck_assert_parse_rejects("0004f2.abcdef", 13);
    ck_assert_parse_rejects("0004f2:abcdef", 13);
    ck_assert_parse_rejects("00.04.f2.ab.cd.ef", 17);
    ck_assert_parse_rejects("0004:f2ab:cdef", 14);
    ck_assert_parse_rejects("000.4f2a.bcdef", 14);
}
END_TEST

START_TEST(test_parse_rejects_embedded_nul_covered_by_len)
{
    ck_assert_parse_rejects("0004f2\0abcde", 12);
    ck_assert_parse_rejects("0004f2abcdef\0", 13);
    ck_assert_parse_rejects("00:04:f2\0ab:cd:ef", 17);
    ck_assert_parse_rejects("\0\0\0\0\0\0\0\0\0\0\0\0", 12);
}
END_TEST

START_TEST(test_parse_rejects_utf8_look_alikes)
{
    /* Fullwidth digits U+FF10.. for "0004", then ASCII "f2abcdef". */
    static const char fullwidth[] = "\xef\xbc\x90\xef\xbc\x90\xef\xbc\x90\xef\xbc\x94"
                                    "f2abcdef";
    /* Cyrillic U+0430 'a' and U+0435 'e' in place of the Latin letters. */
    static const char cyrillic[] = "0004f2\xd0\xb0" "bcd\xd0\xb5" "f";
    /* Cyrillic 'a' making the byte count 13 and, sliced, 12. */
    static const char cyrillic12[] = "0004f2\xd0\xb0" "bcd";

    ck_assert_parse_rejects(fullwidth, strlen(fullwidth));
    ck_assert_parse_rejects(cyrillic, strlen(cyrillic));
    ck_assert_parse_rejects(cyrillic12, 12);
    ck_assert_parse_rejects("0004f2ab\xc2\xa0" "cd", 12); /* NO-BREAK SPACE */
}
END_TEST

START_TEST(test_parse_rejects_leading_and_trailing_spaces)
{
    ck_assert_parse_rejects(" 0004f2abcdef", 13);
    ck_assert_parse_rejects("0004f2abcdef ", 13);
    ck_assert_parse_rejects("\t0004f2abcdef", 13);
    ck_assert_parse_rejects("0004f2abcdef\n", 13);
    ck_assert_parse_rejects("00:04:f2:ab:cd:ef ", 18);
    ck_assert_parse_rejects("00: 4:f2:ab:cd:ef", 17);
}
END_TEST

START_TEST(test_parse_rejects_empty_string)
{
    ck_assert_parse_rejects("", 0);
}
END_TEST

START_TEST(test_parse_rejects_null)
{
    ck_assert_parse_rejects(NULL, 12);
    ck_assert_parse_rejects(NULL, 0);
}
END_TEST

/* ---- provauth_mac_rule_make ---- */

START_TEST(test_rule_resolves_short_and_long_attribute_names)
{
    static const struct {
        const char *name;
        int nid;
    } names[] = {
        { "CN", NID_commonName },
        { "commonName", NID_commonName },
        { "serialNumber", NID_serialNumber },
        { "UID", NID_userId },
        { "OU", NID_organizationalUnitName },
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const provauth_mac_rule_t *r = mac_rule(names[i].name, NULL);

        ck_assert_msg(r->attribute_nid == names[i].nid,
                      "rule %s: expected NID %d (%s), got %d (%s)", names[i].name,
                      names[i].nid, OBJ_nid2sn(names[i].nid), r->attribute_nid,
                      OBJ_nid2sn(r->attribute_nid));
        ck_assert_str_eq(r->attribute_name, names[i].name);
        ck_assert_ptr_null(r->pattern);
    }
}
END_TEST

START_TEST(test_rule_unknown_attribute_fails_naming_it)
{
    provauth_mac_rule_t *made = NULL;
    const char *why = NULL;
    apr_status_t rv;

    rv = provauth_mac_rule_make(&made, "deviceMac", NULL, test_pool, &why);
    ck_assert_msg(rv != APR_SUCCESS, "unknown attribute: expected an error, got success");
    ck_assert_ptr_null(made);
    ck_assert_why_mentions(why, "'deviceMac'");
    ck_assert_why_mentions(why, "unknown");
}
END_TEST

START_TEST(test_rule_bad_regex_fails_naming_it)
{
    provauth_mac_rule_t *made = NULL;
    const char *why = NULL;
    apr_status_t rv;

    rv = provauth_mac_rule_make(&made, "CN", "SEP([0-9a-f", test_pool, &why);
    ck_assert_msg(rv != APR_SUCCESS, "bad regex: expected an error, got success");
    ck_assert_ptr_null(made);
    ck_assert_why_mentions(why, "bad regular expression");
    ck_assert_why_mentions(why, "'SEP([0-9a-f'");
}
END_TEST

START_TEST(test_rule_regex_without_capture_group_fails)
{
    provauth_mac_rule_t *made = NULL;
    const char *why = NULL;
    apr_status_t rv;

    rv = provauth_mac_rule_make(&made, "CN", "SEP[0-9A-Fa-f]{12}", test_pool, &why);
    ck_assert_msg(rv != APR_SUCCESS, "no capture group: expected an error, got success");
    ck_assert_ptr_null(made);
    ck_assert_why_mentions(why, "no capture group");
    ck_assert_why_mentions(why, "'SEP[0-9A-Fa-f]{12}'");
}
END_TEST

START_TEST(test_rule_regex_with_capture_group_is_made)
{
    const provauth_mac_rule_t *r = mac_rule("CN", "SEP([0-9A-Fa-f]{12})");

    ck_assert_int_eq(r->attribute_nid, NID_commonName);
    ck_assert_str_eq(r->pattern, "SEP([0-9A-Fa-f]{12})");
    ck_assert_ptr_nonnull(r->regex);
}
END_TEST

/* glibc's regcomp takes unbounded time on nested counted repeats (it hung
 * `apache2 -t`); the bounded compile refuses them at once (the test's
 * timeout is the failure otherwise). */
START_TEST(test_rule_regex_with_nested_counted_repeats_is_refused_quickly)
{
    provauth_mac_rule_t *made = NULL;
    const char *why = NULL;
    apr_status_t rv;

    rv = provauth_mac_rule_make(&made, "CN", "((((a{1,200}){1,200}){1,200}){1,200})",
                                test_pool, &why);
    ck_assert_msg(rv != APR_SUCCESS, "nested repeats: expected an error, got success");
    ck_assert_ptr_null(made);
    ck_assert_why_mentions(why, "bad regular expression");
    ck_assert_why_mentions(why, "too large");
}
END_TEST

START_TEST(test_rule_regex_nested_too_deeply_is_refused)
{
    char pattern[2 * 40 + 20];
    provauth_mac_rule_t *made = NULL;
    const char *why = NULL;
    apr_status_t rv;
    int i;

    /* 40 nested groups around the MAC, past the nesting bound */
    pattern[0] = '\0';
    for (i = 0; i < 40; i++) {
        strcat(pattern, "(");
    }
    strcat(pattern, "[0-9a-f]{12}");
    for (i = 0; i < 40; i++) {
        strcat(pattern, ")");
    }
    rv = provauth_mac_rule_make(&made, "CN", pattern, test_pool, &why);
    ck_assert_msg(rv != APR_SUCCESS, "40 nested groups: expected an error, got success");
    ck_assert_why_mentions(why, "bad regular expression");
    ck_assert_why_mentions(why, "nested");
}
END_TEST

START_TEST(test_rule_regex_longer_than_the_bound_is_refused)
{
    char pattern[PROVAUTH_MAC_REGEX_MAX_LENGTH + 32];
    provauth_mac_rule_t *made = NULL;
    const char *why = NULL;
    apr_status_t rv;

    memset(pattern, 'x', sizeof(pattern) - 1);
    memcpy(pattern, "([0-9a-f]{12})", 14);
    pattern[sizeof(pattern) - 1] = '\0';
    rv = provauth_mac_rule_make(&made, "CN", pattern, test_pool, &why);
    ck_assert_msg(rv != APR_SUCCESS, "long pattern: expected an error, got success");
    ck_assert_why_mentions(why, "bad regular expression");
    ck_assert_why_mentions(why, "longer than");
}
END_TEST

START_TEST(test_default_rule_is_the_cn_exactly_a_mac)
{
    const provauth_mac_rule_t *r = provauth_mac_rule_default();

    ck_assert_int_eq(r->attribute_nid, NID_commonName);
    ck_assert_str_eq(r->attribute_name, "CN");
    ck_assert_ptr_null(r->pattern);
}
END_TEST

Suite *mac_suite(void)
{
    Suite *s = suite_create("mac");
    TCase *tc = tcase_create("mac");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, test_parse_accepts_twelve_lowercase_digits);
    tcase_add_test(tc, test_parse_normalizes_uppercase_and_mixed_case_to_lowercase);
    tcase_add_test(tc, test_parse_accepts_six_pairs_separated_by_colons);
    tcase_add_test(tc, test_parse_accepts_six_pairs_separated_by_dashes);
    tcase_add_test(tc, test_parse_accepts_three_groups_of_four_separated_by_dots);
    tcase_add_test(tc, test_parse_accepts_all_zero_and_all_ones);
    tcase_add_test(tc, test_parse_reads_exactly_len_bytes);
    tcase_add_test(tc, test_parse_rejects_eleven_and_thirteen_digits);
    tcase_add_test(tc, test_parse_rejects_non_hex_digit);
    tcase_add_test(tc, test_parse_rejects_mixed_separators);
    tcase_add_test(tc, test_parse_rejects_wrong_grouping);
    tcase_add_test(tc, test_parse_rejects_embedded_nul_covered_by_len);
    tcase_add_test(tc, test_parse_rejects_utf8_look_alikes);
    tcase_add_test(tc, test_parse_rejects_leading_and_trailing_spaces);
    tcase_add_test(tc, test_parse_rejects_empty_string);
    tcase_add_test(tc, test_parse_rejects_null);
    tcase_add_test(tc, test_rule_resolves_short_and_long_attribute_names);
    tcase_add_test(tc, test_rule_unknown_attribute_fails_naming_it);
    tcase_add_test(tc, test_rule_bad_regex_fails_naming_it);
    tcase_add_test(tc, test_rule_regex_without_capture_group_fails);
    tcase_add_test(tc, test_rule_regex_with_capture_group_is_made);
    tcase_add_test(tc, test_rule_regex_with_nested_counted_repeats_is_refused_quickly);
    tcase_add_test(tc, test_rule_regex_nested_too_deeply_is_refused);
    tcase_add_test(tc, test_rule_regex_longer_than_the_bound_is_refused);
    tcase_add_test(tc, test_default_rule_is_the_cn_exactly_a_mac);
    suite_add_tcase(s, tc);
    return s;
}
