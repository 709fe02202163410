/* test_json.c: the JSON pull parser of provauth-report: values and escapes,
 * every malformed form refused with its offset, bounded nesting, and
 * walking a document member by member. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provauth_json.h"
#include "test_pki.h"

static provauth_json_t *parse(const char *text, const char **error)
{
    provauth_json_reader_t reader;
    provauth_json_t *value;

    provauth_json_reader_init(&reader, text, strlen(text), test_pool);
    value = provauth_json_parse(&reader, test_pool);
    if (value != NULL && !provauth_json_at_end(&reader)) {
        value = NULL;
        reader.error = "text after the value at byte (end)";
    }
    *error = reader.error;
    return value;
}

START_TEST(test_object_members_and_types_are_read)
{
    const char *error = NULL;
    provauth_json_t *v = parse(" {\"a\": \"x\", \"n\": -12.5e1, \"t\": true, \"f\": false,"
                               " \"z\": null, \"list\": [1, {\"b\": []}, \"s\"]} ", &error);
    const provauth_json_t *list;

    ck_assert_msg(v != NULL, "parse: %s", error);
    ck_assert_str_eq(provauth_json_get_string(v, "a"), "x");
    ck_assert(provauth_json_get_number(v, "n", 0) == -125.0);
    ck_assert_int_eq(provauth_json_get_bool(v, "t", -1), 1);
    ck_assert_int_eq(provauth_json_get_bool(v, "f", -1), 0);
    ck_assert_int_eq(provauth_json_get_bool(v, "z", -1), -1);
    ck_assert_ptr_null(provauth_json_get_string(v, "z"));
    ck_assert_ptr_null(provauth_json_get_string(v, "missing"));
    list = provauth_json_get(v, "list");
    ck_assert_int_eq(list->type, PROVAUTH_JSON_ARRAY);
    ck_assert(list->first->number == 1.0);
    ck_assert_int_eq(list->first->next->type, PROVAUTH_JSON_OBJECT);
    ck_assert_str_eq(list->first->next->next->string, "s");
}
END_TEST

START_TEST(test_string_escapes_decode_to_utf8)
{
    const char *error = NULL;
    provauth_json_t *v = parse("\"a\\\"b\\\\c\\/d\\n\\u00e9\\u20ac\\ud83d\\ude00\"", &error);

    ck_assert_msg(v != NULL, "parse: %s", error);
    ck_assert_str_eq(v->string, "a\"b\\c/d\n\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
}
END_TEST

START_TEST(test_malformed_documents_are_refused)
{
    const char *bad[] = {
        "{\"a\":1,}", "[1,]", "[1 2]", "{\"a\" 1}", "{a:1}", "\"open", "\"tab\there\"",
        "\"\\q\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\\u0000\"", "01", "-", "1.", "1e",
        "tru", "nul", "{\"a\":1} x", "", "[", "{\"a\":", "\"\\u12g4\"",
    };
    unsigned i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *error = NULL;
        ck_assert_msg(parse(bad[i], &error) == NULL, "'%s' was accepted", bad[i]);
        ck_assert_msg(error != NULL && strstr(error, "at byte") != NULL,
                      "'%s': no error with an offset", bad[i]);
    }
}
END_TEST

START_TEST(test_nesting_is_bounded)
{
    char deep[2 * PROVAUTH_JSON_MAX_DEPTH + 10];
    const char *error = NULL;
    int i, n = PROVAUTH_JSON_MAX_DEPTH + 2;

    for (i = 0; i < n; i++) {
        deep[i] = '[';
        deep[n + i] = ']';
    }
    deep[2 * n] = '\0';
    ck_assert_ptr_null(parse(deep, &error));
    ck_assert(strstr(error, "nested too deeply") != NULL);
    n = PROVAUTH_JSON_MAX_DEPTH;
    for (i = 0; i < n; i++) {
        deep[i] = '[';
        deep[n + i] = ']';
    }
    deep[2 * n] = '\0';
    ck_assert_msg(parse(deep, &error) != NULL, "depth %d refused: %s", n, error);
}
END_TEST

START_TEST(test_document_is_walked_member_by_member)
{
    const char *text = "{\"skip\": {\"x\": [1, 2, {\"y\": \"}\"}]}, \"devices\": "
                       "[{\"k\": 1}, {\"k\": 2}, {\"k\": 3}], \"after\": true}";
    provauth_json_reader_t reader;
    const char *key;
    int member, element, seen = 0, sum = 0;

    provauth_json_reader_init(&reader, text, strlen(text), test_pool);
    ck_assert(provauth_json_enter(&reader, '{'));
    while ((member = provauth_json_next_member(&reader, test_pool, &key)) > 0) {
        if (strcmp(key, "devices") == 0) {
            ck_assert(provauth_json_enter(&reader, '['));
            while ((element = provauth_json_next_element(&reader)) > 0) {
                provauth_json_t *device = provauth_json_parse(&reader, test_pool);
                ck_assert_ptr_nonnull(device);
                sum += (int)provauth_json_get_number(device, "k", 0);
            }
            ck_assert_int_eq(element, 0);
        }
        else {
            ck_assert(provauth_json_skip(&reader));
        }
        seen++;
    }
    ck_assert_int_eq(member, 0);
    ck_assert_int_eq(seen, 3);
    ck_assert_int_eq(sum, 6);
    ck_assert(provauth_json_at_end(&reader));
}
END_TEST

START_TEST(test_walking_refuses_missing_separators_and_trailing_commas)
{
    const char *texts[] = { "{\"a\": 1 \"b\": 2}", "{\"a\": 1,}", "[1, 2,]", "[1 2]" };
    unsigned i;

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        provauth_json_reader_t reader;
        const char *key;
        int rc;

        provauth_json_reader_init(&reader, texts[i], strlen(texts[i]), test_pool);
        if (texts[i][0] == '{') {
            ck_assert(provauth_json_enter(&reader, '{'));
            while ((rc = provauth_json_next_member(&reader, test_pool, &key)) > 0) {
                ck_assert(provauth_json_skip(&reader));
            }
        }
        else {
            ck_assert(provauth_json_enter(&reader, '['));
            while ((rc = provauth_json_next_element(&reader)) > 0) {
                ck_assert(provauth_json_skip(&reader));
            }
        }
        ck_assert_msg(rc < 0 && reader.error != NULL, "'%s' was walked", texts[i]);
    }
}
END_TEST

/* ---- times (provauth_time_parse, provauth_time_parse_arg) ---- */

#define T0 ((apr_int64_t)1764000000)     /* 2025-11-24T16:00:00Z */
#define NOW ((apr_int64_t)1767225600)    /* 2026-01-01T00:00:00Z */

static apr_int64_t time_of(const char *text)
{
    apr_int64_t when = -1;

    ck_assert_msg(provauth_time_parse_arg(text, NOW, &when) == 1, "'%s' should parse", text);
    return when;
}

START_TEST(test_time_forms_of_json_logs_and_command_lines)
{
    apr_int64_t when = 0;

    /* The status handler's and the access log's forms. */
    ck_assert_int_eq(provauth_time_parse("2025-11-24T16:00:00Z", &when), 1);
    ck_assert(when == T0);
    ck_assert_int_eq(provauth_time_parse("2025-11-24T17:00:00+0100", &when), 1);
    ck_assert(when == T0);
    ck_assert_int_eq(provauth_time_parse("2025-11-24T11:30:00-04:30", &when), 1);
    ck_assert(when == T0);
    /* provauth-check's: a date, a blank for T, no seconds, no zone (UTC). */
    ck_assert(time_of("2026-01-01") == NOW);
    ck_assert(time_of("2026-01-01Z") == NOW);
    ck_assert(time_of("2026-01-01T00:00:00Z") == NOW);
    ck_assert(time_of("2025-11-24 16:00:00Z") == T0);
    ck_assert(time_of("2025-11-24T16:00:00") == T0);
    ck_assert(time_of("2026-01-02 06:30") == NOW + 86400 + 6 * 3600 + 30 * 60);
    ck_assert(time_of("2026-01-01T00:00:59") == NOW + 59);
    ck_assert(time_of("2026-01-01T01:00+01:00") == NOW);
    ck_assert(time_of("2024-02-29") == 1709164800);
    ck_assert(time_of("1970-01-01") == 0);
    /* Relative to now, on a command line only. */
    ck_assert(time_of("now") == NOW);
    ck_assert(time_of("@0") == 0);
    ck_assert(time_of("@1767225600") == NOW);
    ck_assert(time_of("+30") == NOW + 30 * 86400);
    ck_assert(time_of("+30d") == NOW + 30 * 86400);
    ck_assert(time_of("-1d") == NOW - 86400);
    ck_assert(time_of("+36600") == NOW + (apr_int64_t)36600 * 86400);
    ck_assert_int_eq(provauth_time_parse("now", &when), 0);
    ck_assert_int_eq(provauth_time_parse("@0", &when), 0);
    ck_assert_int_eq(provauth_time_parse("+30", &when), 0);
    /* A record or log line must say its time of day and zone: without a
     * zone it would be read as UTC without a word. */
    ck_assert_int_eq(provauth_time_parse("2025-11-24T16:00:00", &when), 0);
    ck_assert_int_eq(provauth_time_parse("2025-11-24", &when), 0);
    ck_assert_int_eq(provauth_time_parse("2025-11-24Z", &when), 0);
    ck_assert_int_eq(provauth_time_parse("2025-11-24 16:00Z", &when), 1);
    ck_assert(when == T0);
}
END_TEST

START_TEST(test_time_refuses_what_is_not_a_time)
{
    static const char *bad[] = {
        "", "tomorrow", "2026-02-30", "2025-02-29", "2026-13-01", "2026-00-01",
        "2026-01-00", "2026-1-1", "20260101", "026-01-01", "+2026-01-01",
        "2026-01-01T24:00", "2026-01-01T12", "2026-01-01T12:00:60", "2026-01-01T12:60",
        "2026-01-01T1:00", "2026-01-01T12:00:0", "2026-01-01t12:00", "2026-01-01T",
        "2026-01-01Zx", "2025-11-24T16:00:00Zjunk", "2025-11-24T16:00:00 Z",
        "2025-11-24T16:00:00+1", "2025-11-24T16:00:00+01", "2025-11-24T16:00:00+01:0",
        "2025-11-24T16:00:00+24:00", "2025-11-24T16:00:00+01:60", "2025-11-24T16:00:00+0100x",
        "2025-11-24T16:00:00UTC", " 2026-01-01", "2026-01-01 ", "2026- 1-01",
        "@", "@12x", "@-5", "@99999999999999999999", "+", "+x", "+3w", "+3dd", "-",
        "+99999999", "+36601", "now ", "NOW",
    };
    apr_int64_t when = 42;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(provauth_time_parse_arg(bad[i], NOW, &when) == 0,
                      "'%s' should not parse", bad[i]);
        ck_assert_msg(provauth_time_parse(bad[i], &when) == 0, "'%s' should not parse",
                      bad[i]);
    }
    ck_assert(when == 42);
    ck_assert_int_eq(provauth_time_parse(NULL, &when), 0);
    ck_assert_int_eq(provauth_time_parse_arg(NULL, NOW, &when), 0);
}
END_TEST

Suite *json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("parse");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, test_object_members_and_types_are_read);
    tcase_add_test(tc, test_string_escapes_decode_to_utf8);
    tcase_add_test(tc, test_malformed_documents_are_refused);
    tcase_add_test(tc, test_nesting_is_bounded);
    tcase_add_test(tc, test_document_is_walked_member_by_member);
    tcase_add_test(tc, test_walking_refuses_missing_separators_and_trailing_commas);
    tcase_add_test(tc, test_time_forms_of_json_logs_and_command_lines);
    tcase_add_test(tc, test_time_refuses_what_is_not_a_time);
    suite_add_tcase(s, tc);
    return s;
}
