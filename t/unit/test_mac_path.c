/* test_mac_path.c: which device a URL path names (provauth_mac_in_path):
 * every vendor's file-name form, runs of hex digits longer than a MAC (the
 * "spa" + eleven digits attack), and the last-segment and whole-path modes. */
#include <string.h>

#include "provauth_mac.h"
#include "test_pki.h"

static provauth_mac_t mac_of(const char *text)
{
    provauth_mac_t mac;

    ck_assert_msg(provauth_mac_parse(text, strlen(text), &mac) == 1,
                  "test MAC '%s' does not parse", text);
    return mac;
}

static const char *shown(const char *text)
{
    return text ? text : "(null)";
}

#define ck_assert_in_path(mac_text, path, whole, expected)                     \
    do {                                                                       \
        provauth_mac_t m_ = mac_of(mac_text);                                  \
        int got_ = provauth_mac_in_path(&m_, (path), (whole));                 \
        ck_assert_msg(got_ == (expected), "mac %s in '%s' (%s): expected %d, got %d", \
                      (mac_text), shown(path),                                 \
                      (whole) ? "whole path" : "last segment", (expected), got_); \
    } while (0)

/* The name (as the last segment, and below a directory) names exactly the
 * device `owner`, in both modes, and not `other`. */
static void ck_names_only(const char *name, const char *owner, const char *other)
{
    char path[256];
    int whole;

    strcpy(path, "/prov/");
    strncat(path, name, sizeof(path) - strlen(path) - 1);
    for (whole = 0; whole <= 1; whole++) {
        ck_assert_in_path(owner, name, whole, 1);
        ck_assert_in_path(owner, path, whole, 1);
        ck_assert_in_path(other, name, whole, 0);
        ck_assert_in_path(other, path, whole, 0);
    }
}

/* ---- the forms phones use ---- */

START_TEST(test_a_name_names_a_device_only_by_a_run_of_twelve_that_is_no_placeholder)
{
    ck_assert(provauth_path_names_a_device("spa001122334455.xml"));
    ck_assert(provauth_path_names_a_device("/tree/001122334455/phone.cfg"));
    ck_assert(!provauth_path_names_a_device("phone.cfg"));
    ck_assert(!provauth_path_names_a_device("00112233445.cfg"));
    ck_assert(!provauth_path_names_a_device("000000000000.cfg"));
    ck_assert(!provauth_path_names_a_device("y000000000028.cfg"));
    ck_assert(!provauth_path_names_a_device(NULL));
}
END_TEST

START_TEST(test_every_vendor_file_name_form_names_its_device)
{
    static const char *const names[] = {
        "001122334455",                      /* a file named exactly the MAC */
        "001122334455.cfg",                  /* Poly, Yealink, Aastra */
        "001122334455-phone.cfg",            /* Poly overrides */
        "001122334455-directory.xml",        /* Poly contacts */
        "001122334455-app.log",              /* Poly uploads */
        "001122334455-boot.log",
        "001122334455-local.cfg",            /* Yealink overrides */
        "SEP001122334455.cnf.xml",           /* Cisco */
        "CTLSEP001122334455.tlv",            /* Cisco trust lists */
        "ITLSEP001122334455.tlv",
        "spa001122334455.xml",               /* Cisco/Linksys SPA */
        "SPA001122334455.XML",
        "cfg001122334455.xml",               /* Grandstream */
        "cfg001122334455",
        "001122334455.xml",
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        ck_names_only(names[i], "001122334455", "0004f2abcdef");
    }
}
END_TEST

START_TEST(test_mac_with_letters_names_its_device_in_any_case)
{
    ck_names_only("0004F2ABCDEF-phone.cfg", "0004f2abcdef", "001122334455");
    ck_names_only("SEP0004F2abcDEF.cnf.xml", "0004f2abcdef", "001122334455");
    /* Grandstream: the 'c' and 'f' of "cfg" are hex digits, the 'g' is not */
    ck_names_only("cfg000b82abcdef.xml", "000b82abcdef", "0004f2abcdef");
    /* Cisco/Linksys: the 'a' of "spa" joins the run, which still ends in the MAC */
    ck_names_only("spa000e08abcdef.xml", "000e08abcdef", "a000e08abcde");
}
END_TEST

/* ---- runs of hex digits longer than a MAC ---- */

START_TEST(test_spa_file_of_a_victim_is_not_named_by_the_a_and_eleven_of_its_digits)
{
    /* CN a00112233445: the 'a' of "spa" plus the first eleven digits */
    ck_assert_in_path("a00112233445", "spa001122334455.xml", 0, 0);
    ck_assert_in_path("a00112233445", "spa001122334455.xml", 1, 0);
    ck_assert_in_path("a00112233445", "/cisco/spa001122334455.xml", 0, 0);
    ck_assert_in_path("a00112233445", "/cisco/spa001122334455.xml", 1, 0);
    ck_assert_in_path("001122334455", "/cisco/spa001122334455.xml", 0, 1);
}
END_TEST

START_TEST(test_run_of_thirteen_names_only_its_last_twelve)
{
    ck_assert_in_path("001122334455", "/p/0011223344556.cfg", 0, 0);
    ck_assert_in_path("011223344556", "/p/0011223344556.cfg", 0, 1);
    ck_assert_in_path("b00112233445", "/p/b001122334455.cfg", 0, 0);
    ck_assert_in_path("001122334455", "/p/b001122334455.cfg", 0, 1);
    ck_assert_in_path("001122334455", "/p/0011223344556.cfg", 1, 0);
    ck_assert_in_path("011223344556", "/p/0011223344556.cfg", 1, 1);
}
END_TEST

START_TEST(test_run_of_twenty_four_names_only_its_last_twelve)
{
    const char *path = "/p/001122334455aabbccddeeff.cfg";
    int whole;

    for (whole = 0; whole <= 1; whole++) {
        ck_assert_in_path("aabbccddeeff", path, whole, 1);
        ck_assert_in_path("001122334455", path, whole, 0);
        ck_assert_in_path("2334455aabbc", path, whole, 0);
        ck_assert_in_path("1122334455aa", path, whole, 0);
    }
}
END_TEST

START_TEST(test_long_run_of_one_digit_names_only_its_last_twelve)
{
    /* thirteen zeros name 000000000000; a run ending in 1 names only the
     * device whose MAC ends in it */
    ck_assert_in_path("000000000000", "/p/0000000000000.cfg", 0, 1);
    ck_assert_in_path("000000000001", "/p/00000000000001.cfg", 0, 1);
    ck_assert_in_path("000000000000", "/p/00000000000001.cfg", 0, 0);
}
END_TEST

START_TEST(test_runs_shorter_than_twelve_name_nobody)
{
    ck_assert_in_path("0004f2abcdef", "/polycom/0004f2abcde.cfg", 0, 0);
    ck_assert_in_path("0004f2abcdef", "/polycom/0004f2abcde.cfg", 1, 0);
    ck_assert_in_path("0004f2abcdef", "/polycom/0004f2-abcdef.cfg", 0, 0);
    ck_assert_in_path("0004f2abcdef", "/polycom/0004f2:ab:cd:ef.cfg", 0, 0);
    ck_assert_in_path("0004f2abcdef", "/polycom/0004.f2ab.cdef.cfg", 0, 0);
}
END_TEST

START_TEST(test_separate_runs_each_name_their_device)
{
    /* Two MACs in one name: each run names one device; a name meant for
     * one phone must carry one MAC (docs/mac-authorization.md). */
    ck_assert_in_path("001122334455", "/p/001122334455-0004f2abcdef.cfg", 0, 1);
    ck_assert_in_path("0004f2abcdef", "/p/001122334455-0004f2abcdef.cfg", 0, 1);
    ck_assert_in_path("334455000400", "/p/001122334455-0004f2abcdef.cfg", 0, 0);
}
END_TEST

/* ---- segments ---- */

START_TEST(test_mac_file_name_matches_in_both_modes)
{
    ck_assert_in_path("0004f2abcdef", "/polycom/0004f2abcdef.cfg", 0, 1);
    ck_assert_in_path("0004f2abcdef", "/polycom/0004f2abcdef.cfg", 1, 1);
}
END_TEST

START_TEST(test_mac_in_a_directory_matches_only_the_whole_path)
{
    ck_assert_in_path("0004f2abcdef", "/0004f2abcdef/phone.cfg", 0, 0);
    ck_assert_in_path("0004f2abcdef", "/0004f2abcdef/phone.cfg", 1, 1);
    ck_assert_in_path("0004f2abcdef", "/devices/0004f2abcdef", 1, 1);
}
END_TEST

START_TEST(test_path_mode_applies_the_run_rule_to_every_segment)
{
    ck_assert_in_path("a00112233445", "/spa001122334455/phone.cfg", 1, 0);
    ck_assert_in_path("001122334455", "/spa001122334455/phone.cfg", 1, 1);
    ck_assert_in_path("0004f2abcdef", "/tree/0004f2abcdef0/phone.cfg", 1, 0);
    ck_assert_in_path("004f2abcdef0", "/tree/0004f2abcdef0/phone.cfg", 1, 1);
}
END_TEST

START_TEST(test_other_device_file_does_not_match)
{
    ck_assert_in_path("0004f2abcdef", "/polycom/y000000000028.cfg", 0, 0);
    ck_assert_in_path("0004f2abcdef", "/polycom/y000000000028.cfg", 1, 0);
    ck_assert_in_path("0004f2abcdef", "/polycom/0004f2abcdee.cfg", 1, 0);
}
END_TEST

START_TEST(test_path_ending_in_slash_does_not_match_the_last_segment)
{
    ck_assert_in_path("0004f2abcdef", "/polycom/0004f2abcdef/", 0, 0);
    ck_assert_in_path("0004f2abcdef", "/polycom/0004f2abcdef/", 1, 1);
}
END_TEST

START_TEST(test_mac_split_across_a_slash_does_not_match)
{
    ck_assert_in_path("0004f2abcdef", "/polycom/0004f2/abcdef.cfg", 0, 0);
    ck_assert_in_path("0004f2abcdef", "/polycom/0004f2/abcdef.cfg", 1, 0);
}
END_TEST

START_TEST(test_path_without_slash_is_its_own_last_segment)
{
    ck_assert_in_path("0004f2abcdef", "0004f2abcdef.cfg", 0, 1);
    ck_assert_in_path("0004f2abcdef", "", 0, 0);
    ck_assert_in_path("0004f2abcdef", "", 1, 0);
}
END_TEST

START_TEST(test_path_parameters_name_nobody)
{
    /* A servlet container serves /cfg/<victim>.cfg for
     * /cfg/<victim>.cfg;<attacker>: the name ends at the first ';'. */
    ck_assert_in_path("0004f20000aa", "/cfg/0004f2000001.cfg;0004f20000aa", 0, 0);
    ck_assert_in_path("0004f20000aa", "/cfg/0004f2000001.cfg;0004f20000aa", 1, 0);
    ck_assert_in_path("0004f2000001", "/cfg/0004f2000001.cfg;0004f20000aa", 0, 1);
    ck_assert_in_path("0004f20000aa", "/cfg/0004f20000aa.cfg;jsessionid=1", 0, 1);
    ck_assert_in_path("0004f20000aa", "/tree/0004f2000001;0004f20000aa/phone.cfg", 1, 0);
    ck_assert_in_path("0004f20000aa", "/tree/0004f20000aa;v=1/phone.cfg", 1, 1);
    ck_assert_in_path("0004f20000aa", "/cfg/;0004f20000aa", 0, 0);
    ck_assert(!provauth_path_names_a_device("/cfg/phone.cfg;0004f2000001"));
    ck_assert(provauth_path_names_a_device("/cfg/0004f2000001;x/phone.cfg"));
}
END_TEST

START_TEST(test_null_path_does_not_match)
{
    ck_assert_in_path("0004f2abcdef", NULL, 0, 0);
    ck_assert_in_path("0004f2abcdef", NULL, 1, 0);
}
END_TEST

Suite *mac_path_suite(void)
{
    Suite *s = suite_create("mac_path");
    TCase *tc = tcase_create("mac_path");

    tcase_add_test(tc, test_every_vendor_file_name_form_names_its_device);
    tcase_add_test(tc, test_mac_with_letters_names_its_device_in_any_case);
    tcase_add_test(tc, test_spa_file_of_a_victim_is_not_named_by_the_a_and_eleven_of_its_digits);
    tcase_add_test(tc, test_run_of_thirteen_names_only_its_last_twelve);
    tcase_add_test(tc, test_run_of_twenty_four_names_only_its_last_twelve);
    tcase_add_test(tc, test_long_run_of_one_digit_names_only_its_last_twelve);
    tcase_add_test(tc, test_runs_shorter_than_twelve_name_nobody);
    tcase_add_test(tc, test_separate_runs_each_name_their_device);
    tcase_add_test(tc, test_a_name_names_a_device_only_by_a_run_of_twelve_that_is_no_placeholder);
    tcase_add_test(tc, test_mac_file_name_matches_in_both_modes);
    tcase_add_test(tc, test_mac_in_a_directory_matches_only_the_whole_path);
    tcase_add_test(tc, test_path_mode_applies_the_run_rule_to_every_segment);
    tcase_add_test(tc, test_other_device_file_does_not_match);
    tcase_add_test(tc, test_path_ending_in_slash_does_not_match_the_last_segment);
    tcase_add_test(tc, test_mac_split_across_a_slash_does_not_match);
    tcase_add_test(tc, test_path_without_slash_is_its_own_last_segment);
    tcase_add_test(tc, test_path_parameters_name_nobody);
    tcase_add_test(tc, test_null_path_does_not_match);
    suite_add_tcase(s, tc);
    return s;
}
