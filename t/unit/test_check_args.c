/* test_check_args.c: provauth-check's command line: options in both forms,
 * the optional REGEX of --mac-from, what is required, --at. */
#include <stdarg.h>
#include <string.h>

#include "provauth_check_args.h"
#include "test_pki.h"

#define NOW ((time_t)1767225600) /* 2026-01-01T00:00:00Z */

static provauth_check_opts_t opts;
static const char *error;

/* Parse the NULL-terminated arguments after the program name. */
static int parse(const char *first, ...)
{
    const char *argv[32];
    int argc = 1;
    va_list ap;
    const char *arg;

    argv[0] = "provauth-check";
    va_start(ap, first);
    for (arg = first; arg != NULL && argc < 31; arg = va_arg(ap, const char *)) {
        argv[argc++] = arg;
    }
    va_end(ap);
    argv[argc] = NULL;
    error = NULL;
    return provauth_check_parse_args(&opts, argc, argv, NOW, test_pool, &error);
}

#define ck_assert_parse_fails_mentioning(words, ...)                           \
    do {                                                                       \
        ck_assert_int_eq(parse(__VA_ARGS__, NULL), -1);                        \
        ck_assert_why_mentions(error, words);                                  \
    } while (0)

START_TEST(test_ca_and_one_certificate_is_enough)
{
    ck_assert_int_eq(parse("--ca", "roots.pem", "phone.crt", NULL), 0);
    ck_assert_str_eq(opts.ca_file, "roots.pem");
    ck_assert_int_eq(opts.ncerts, 1);
    ck_assert_str_eq(opts.certs[0], "phone.crt");
    ck_assert_ptr_null(opts.intermediate_file);
    ck_assert_ptr_null(opts.crl_file);
    ck_assert_ptr_null(opts.mac_attribute);
    ck_assert_ptr_null(opts.url_path);
    ck_assert_int_eq(opts.json, 0);
    ck_assert(opts.at == NOW);
}
END_TEST

START_TEST(test_every_option_in_both_forms)
{
    ck_assert_int_eq(parse("--ca=roots.pem", "--intermediates", "int.pem",
                           "--crl=crls.pem", "--path", "/p/0004f2000001.cfg",
                           "--whole-path", "--at=2030-06-01", "--json",
                           "a.crt", "b.der", NULL), 0);
    ck_assert_str_eq(opts.ca_file, "roots.pem");
    ck_assert_str_eq(opts.intermediate_file, "int.pem");
    ck_assert_str_eq(opts.crl_file, "crls.pem");
    ck_assert_str_eq(opts.url_path, "/p/0004f2000001.cfg");
    ck_assert_int_eq(opts.whole_path, 1);
    ck_assert_int_eq(opts.json, 1);
    ck_assert(opts.at == (time_t)1906502400);
    ck_assert_str_eq(opts.at_text, "2030-06-01");
    ck_assert_int_eq(opts.ncerts, 2);
    ck_assert_str_eq(opts.certs[1], "b.der");
}
END_TEST

START_TEST(test_certificates_may_come_before_and_between_options)
{
    ck_assert_int_eq(parse("a.crt", "--ca", "roots.pem", "b.crt", NULL), 0);
    ck_assert_int_eq(opts.ncerts, 2);
    ck_assert_str_eq(opts.certs[0], "a.crt");
    ck_assert_str_eq(opts.certs[1], "b.crt");
}
END_TEST

START_TEST(test_mac_from_takes_a_regex_only_when_it_has_a_group)
{
    ck_assert_int_eq(parse("--ca", "r.pem", "--mac-from", "CN", "SEP([0-9A-F]{12})$",
                           "phone.crt", NULL), 0);
    ck_assert_str_eq(opts.mac_attribute, "CN");
    ck_assert_str_eq(opts.mac_regex, "SEP([0-9A-F]{12})$");
    ck_assert_int_eq(opts.ncerts, 1);

    ck_assert_int_eq(parse("--ca", "r.pem", "--mac-from", "serialNumber", "phone.crt",
                           NULL), 0);
    ck_assert_str_eq(opts.mac_attribute, "serialNumber");
    ck_assert_ptr_null(opts.mac_regex);
    ck_assert_int_eq(opts.ncerts, 1);

    ck_assert_int_eq(parse("--ca", "r.pem", "--mac-from=CN", "SEP(.*)", "p.crt",
                           NULL), 0);
    ck_assert_str_eq(opts.mac_regex, "SEP(.*)");
    ck_assert_int_eq(opts.ncerts, 1);
}
END_TEST

START_TEST(test_mac_regex_can_be_given_apart)
{
    ck_assert_int_eq(parse("--ca", "r.pem", "--mac-regex", "-(.{12})$", "p.crt", NULL),
                     0);
    ck_assert_ptr_null(opts.mac_attribute);
    ck_assert_str_eq(opts.mac_regex, "-(.{12})$");
    ck_assert_parse_fails_mentioning("given twice", "--ca", "r.pem", "--mac-from", "CN",
                                     "a(b)", "--mac-regex", "c(d)", "p.crt");
}
END_TEST

START_TEST(test_double_dash_and_single_dash_are_certificates)
{
    ck_assert_int_eq(parse("--ca", "r.pem", "-", "--", "--odd-name.crt", NULL), 0);
    ck_assert_int_eq(opts.ncerts, 2);
    ck_assert_str_eq(opts.certs[0], "-");
    ck_assert_str_eq(opts.certs[1], "--odd-name.crt");
}
END_TEST

START_TEST(test_help_and_version_need_nothing_else)
{
    ck_assert_int_eq(parse("--help", NULL), 0);
    ck_assert_int_eq(opts.help, 1);
    ck_assert_int_eq(parse("-h", NULL), 0);
    ck_assert_int_eq(opts.help, 1);
    ck_assert_int_eq(parse("--version", NULL), 0);
    ck_assert_int_eq(opts.version, 1);
    ck_assert_int_eq(parse("-V", NULL), 0);
    ck_assert_int_eq(opts.version, 1);
}
END_TEST

START_TEST(test_usage_errors_name_what_is_wrong)
{
    ck_assert_parse_fails_mentioning("--ca FILE is required", "phone.crt");
    ck_assert_parse_fails_mentioning("no certificate to check", "--ca", "r.pem");
    ck_assert_parse_fails_mentioning("unknown option '--cafile'", "--cafile", "r.pem",
                                     "p.crt");
    ck_assert_parse_fails_mentioning("unknown option '-x'", "-x");
    ck_assert_parse_fails_mentioning("--ca given twice", "--ca", "a.pem", "--ca",
                                     "b.pem", "p.crt");
    ck_assert_parse_fails_mentioning("--crl needs a value", "--ca", "r.pem", "p.crt",
                                     "--crl");
    ck_assert_parse_fails_mentioning("--ca needs a non-empty value", "--ca=", "p.crt");
    ck_assert_parse_fails_mentioning("--json takes no value", "--json=yes", "--ca",
                                     "r.pem", "p.crt");
    ck_assert_parse_fails_mentioning("starting with '/'", "--ca", "r.pem", "--path",
                                     "polycom/x.cfg", "p.crt");
    ck_assert_parse_fails_mentioning("--whole-path needs --path", "--ca", "r.pem",
                                     "--whole-path", "p.crt");
    ck_assert_parse_fails_mentioning("--at: 'tomorrow' is not a date", "--ca",
                                     "r.pem", "--at", "tomorrow", "p.crt");
}
END_TEST

START_TEST(test_at_goes_through_the_library_parser)
{
    /* provauth_time_parse_arg (test_json.c) decides: here only that --at
     * uses it, relative to the time of parsing. */
    ck_assert_int_eq(parse("--ca", "r.pem", "--at", "2026-01-01T01:00:00+01:00", "p.crt",
                           NULL), 0);
    ck_assert(opts.at == NOW);
    ck_assert_int_eq(parse("--ca", "r.pem", "--at=-1d", "p.crt", NULL), 0);
    ck_assert(opts.at == NOW - 86400);
    ck_assert_int_eq(parse("--ca", "r.pem", "--at", "2026-01-02 06:30", "p.crt", NULL), 0);
    ck_assert(opts.at == NOW + 86400 + 6 * 3600 + 30 * 60);
    ck_assert_parse_fails_mentioning("--at: '2026-02-30' is not a date", "--ca", "r.pem",
                                     "--at", "2026-02-30", "p.crt");
}
END_TEST

Suite *check_args_suite(void)
{
    Suite *s = suite_create("check_args");
    TCase *tc = tcase_create("command_line");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, test_ca_and_one_certificate_is_enough);
    tcase_add_test(tc, test_every_option_in_both_forms);
    tcase_add_test(tc, test_certificates_may_come_before_and_between_options);
    tcase_add_test(tc, test_mac_from_takes_a_regex_only_when_it_has_a_group);
    tcase_add_test(tc, test_mac_regex_can_be_given_apart);
    tcase_add_test(tc, test_double_dash_and_single_dash_are_certificates);
    tcase_add_test(tc, test_help_and_version_need_nothing_else);
    tcase_add_test(tc, test_usage_errors_name_what_is_wrong);
    tcase_add_test(tc, test_at_goes_through_the_library_parser);
    suite_add_tcase(s, tc);
    return s;
}
