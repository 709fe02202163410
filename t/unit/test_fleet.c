/* test_fleet.c: provauth-report's fleet view: devices read from the status
 * handler's JSON and from provauth_fleet access log lines, merged per device
 * across servers (latest seen wins, an access log never erases what a status
 * handler knew), and the Nagios/Icinga expiry check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "provauth_fleet.h"
#include "test_pki.h"

#define T0 1764000000   /* 2025-11-24T16:00:00Z */
#define DAYS(n) ((apr_int64_t)(n) * 86400)

static provauth_record_t device(const char *mac, unsigned status, apr_int64_t seen,
                                apr_int64_t not_after)
{
    provauth_record_t rec;

    provauth_record_init(&rec);
    rec.status = status;
    rec.flags = PROVAUTH_REC_HAS_MAC;
    PROVAUTH_RECORD_SET(&rec, mac, mac);
    memset(rec.fingerprint, 0x5a, sizeof(rec.fingerprint));
    rec.first_seen = rec.last_seen = seen;
    rec.not_after = not_after;
    rec.granted = 1;
    PROVAUTH_RECORD_SET(&rec, issuer, "CN=Poly Issuing CA,O=Poly");
    PROVAUTH_RECORD_SET(&rec, root, "CN=Poly Root CA,O=Poly");
    PROVAUTH_RECORD_SET(&rec, vendor, "Poly");
    PROVAUTH_RECORD_SET(&rec, serial, "0A1B");
    PROVAUTH_RECORD_SET(&rec, client, "192.0.2.1");
    provauth_record_choose_key(&rec);
    return rec;
}

/* A status handler's document holding recs. */
static const char *document(const provauth_record_t *recs, int n)
{
    char *doc = apr_pstrdup(test_pool, "{\"server\":\"prov1\",\"counters\":{\"x\":[1,2]},"
                                       "\"devices\":[");
    char json[PROVAUTH_RECORD_JSON_MAX];
    int i;

    for (i = 0; i < n; i++) {
        ck_assert_uint_gt(provauth_record_json(&recs[i], T0, json, sizeof(json)), 0);
        doc = apr_pstrcat(test_pool, doc, i ? "," : "", json, NULL);
    }
    return apr_pstrcat(test_pool, doc, "]}", NULL);
}

static provauth_record_t *only(provauth_fleet_t *fleet, const char *key)
{
    provauth_record_t *rec = apr_hash_get(fleet->devices, key, APR_HASH_KEY_STRING);

    ck_assert_msg(rec != NULL, "no device %s", key);
    return rec;
}

static void add_document(provauth_fleet_t *fleet, const provauth_record_t *recs, int n)
{
    const char *doc = document(recs, n), *server = NULL, *why = NULL;

    ck_assert_msg(provauth_fleet_add_json(fleet, doc, strlen(doc), &server, &why, test_pool)
                  == APR_SUCCESS, "add_json: %s", why ? why : "?");
    ck_assert_str_eq(server, "prov1");
}

START_TEST(test_json_device_reads_back_as_the_record_written)
{
    provauth_record_t rec = device("0004f2000001", PROVAUTH_REC_EXPIRED, T0, T0 - DAYS(3));
    provauth_fleet_t *fleet = provauth_fleet_make(test_pool);
    provauth_record_t *back;

    rec.denied = 4;
    rec.last_denied = T0 - 5;
    rec.flags |= PROVAUTH_REC_FORGAVE_EXPIRY;
    PROVAUTH_RECORD_SET(&rec, last_reason, "MAC 0004f2000001 is not in the requested path");
    add_document(fleet, &rec, 1);
    back = only(fleet, "mac:0004f2000001");
    ck_assert_uint_eq(back->status, PROVAUTH_REC_EXPIRED);
    ck_assert(back->not_after == rec.not_after && back->last_denied == rec.last_denied);
    ck_assert(memcmp(back->fingerprint, rec.fingerprint, sizeof(rec.fingerprint)) == 0);
    ck_assert_uint_eq(back->denied, 4);
    ck_assert_uint_eq(back->flags, rec.flags);
    ck_assert_str_eq(back->last_reason, rec.last_reason);
    ck_assert_str_eq(back->root, rec.root);
}
END_TEST

START_TEST(test_two_servers_merge_latest_seen_wins_counts_add)
{
    provauth_record_t a = device("0004f2000001", PROVAUTH_REC_VALID, T0, T0 + DAYS(100));
    provauth_record_t b = device("0004f2000001", PROVAUTH_REC_VALID, T0 + 600, T0 + DAYS(100));
    provauth_fleet_t *fleet = provauth_fleet_make(test_pool);
    provauth_record_t *merged;

    PROVAUTH_RECORD_SET(&b, client, "198.51.100.9");
    b.granted = 3;
    add_document(fleet, &b, 1);     /* the later server first */
    add_document(fleet, &a, 1);
    merged = only(fleet, "mac:0004f2000001");
    ck_assert_str_eq(merged->client, "198.51.100.9");
    ck_assert(merged->first_seen == T0 && merged->last_seen == T0 + 600);
    ck_assert_uint_eq(merged->granted, 4);
    ck_assert_uint_eq(apr_hash_count(fleet->devices), 1);
}
END_TEST

START_TEST(test_untrusted_certificates_are_merged_by_issuer_and_serial)
{
    provauth_record_t a = device("0004f2000001", PROVAUTH_REC_FAILED, T0, T0 + DAYS(9));
    provauth_record_t b = a;

    provauth_record_choose_key(&a);
    PROVAUTH_RECORD_SET(&b, serial, "a1b");      /* the same number, as a log writes it */
    ck_assert_str_eq(provauth_fleet_key(&a, test_pool),
                     "cert:CN=Poly Issuing CA,O=Poly|A1B");
    ck_assert_str_eq(provauth_fleet_key(&b, test_pool), provauth_fleet_key(&a, test_pool));
    /* never under the MAC it claims */
    ck_assert(strncmp(provauth_fleet_key(&a, test_pool), "mac:", 4) != 0);
}
END_TEST

START_TEST(test_invalid_documents_are_refused_with_a_reason)
{
    const char *docs[] = { "[]", "{\"server\":\"x\"}", "{\"devices\":[{\"status\":\"VALID\"}]}",
                           "{\"devices\":[{\"status\":\"BOGUS\",\"last_seen\":\"2025-11-24T16:00:00Z\"}]}",
                           "{\"devices\":[]} trailing", "{\"devices\":[1]}" };
    unsigned i;

    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        provauth_fleet_t *fleet = provauth_fleet_make(test_pool);
        const char *server = NULL, *why = NULL;

        ck_assert_msg(provauth_fleet_add_json(fleet, docs[i], strlen(docs[i]), &server, &why,
                                              test_pool) != APR_SUCCESS, "accepted %s", docs[i]);
        ck_assert_ptr_nonnull(why);
    }
}
END_TEST

/* One device of a status handler's JSON with these mac and fingerprint
 * members (NULL: none): 1 when it reads, with *rec. */
static int read_device(const char *mac, const char *fingerprint, provauth_record_t *rec)
{
    const char *json = apr_psprintf(test_pool, "{\"status\":\"VALID\",\"key_kind\":\"mac\","
                                    "\"last_seen\":\"2025-11-24T16:00:00Z\"%s%s%s%s%s%s}",
                                    mac ? ",\"mac\":\"" : "", mac ? mac : "",
                                    mac ? "\"" : "", fingerprint ? ",\"fingerprint\":\"" : "",
                                    fingerprint ? fingerprint : "", fingerprint ? "\"" : "");
    provauth_json_reader_t reader;
    const provauth_json_t *device;
    const char *why = NULL;

    provauth_json_reader_init(&reader, json, strlen(json), test_pool);
    device = provauth_json_parse(&reader, test_pool);
    ck_assert_ptr_nonnull(device);
    return provauth_record_from_json(rec, device, &why, test_pool);
}

START_TEST(test_json_fingerprint_is_64_hex_digits_and_mac_normalized)
{
    static const char upper[] =
        "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff";
    static const char *not_a_fingerprint[] = {
        "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeef",
        "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff0",
        "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeefg",
        "+0112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff",
        "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
        "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF", "",
    };
    static const unsigned char zero[PROVAUTH_FINGERPRINT_LEN];
    provauth_record_t rec;
    size_t i;

    ck_assert_int_eq(read_device("0004f2000001", upper, &rec), 1);
    ck_assert_uint_eq(rec.fingerprint[0], 0x00);
    ck_assert_uint_eq(rec.fingerprint[10], 0xaa);
    ck_assert_uint_eq(rec.fingerprint[31], 0xff);
    ck_assert_int_eq(rec.key_kind, PROVAUTH_KEY_MAC);
    for (i = 0; i < sizeof(not_a_fingerprint) / sizeof(not_a_fingerprint[0]); i++) {
        ck_assert_int_eq(read_device("0004f2000001", not_a_fingerprint[i], &rec), 1);
        ck_assert_msg(memcmp(rec.fingerprint, zero, sizeof(zero)) == 0,
                      "'%s' read as a fingerprint", not_a_fingerprint[i]);
    }
    ck_assert_int_eq(read_device("0004f2000001", NULL, &rec), 1);
    ck_assert(memcmp(rec.fingerprint, zero, sizeof(zero)) == 0);
    /* The status handler writes MACs normalized: nothing else is one. */
    ck_assert_int_eq(read_device("0004F2000001", upper, &rec), 0);
    ck_assert_int_eq(read_device("00:04:f2:00:00:01", upper, &rec), 0);
    ck_assert_int_eq(read_device("0004f200000", upper, &rec), 0);
    ck_assert_int_eq(read_device("0004f200000g", upper, &rec), 0);
}
END_TEST

START_TEST(test_log_hex_escapes_decode_printable_bytes_only)
{
    const char *line = "2025-11-24T16:00:00Z 203.0.113.5 403 \"FAILED\" \"-\" \"-\" "
                       "\"77\" \"CN=\\x41\\x4a\\x7f\\x09\\xzz\\x4\" \"-\" "
                       "\"self-signed certificate\" \"-\" \"GET / HTTP/1.1\"";
    provauth_record_t rec;
    const char *why = NULL;

    ck_assert_int_eq(provauth_fleet_parse_log_line(line, &rec, &why, test_pool), 1);
    ck_assert_str_eq(rec.issuer, "CN=AJ??xzzx4");
}
END_TEST

#define LOG_VALID "2025-11-24T17:00:00+0100 192.0.2.7 200 \"VALID\" \"0004f2000001\" " \
    "\"100\" \"0A1B\" \"CN=Poly Issuing CA,O=Poly\" \"CN=0004f2000001,O=Poly\" \"-\" \"-\" " \
    "\"GET /polycom/0004f2000001.cfg HTTP/1.1\""

START_TEST(test_log_line_of_a_granted_phone)
{
    provauth_record_t rec;
    const char *why = NULL;

    ck_assert_int_eq(provauth_fleet_parse_log_line(LOG_VALID, &rec, &why, test_pool), 1);
    ck_assert_uint_eq(rec.status, PROVAUTH_REC_VALID);
    ck_assert_int_eq(rec.key_kind, PROVAUTH_KEY_MAC);
    ck_assert_str_eq(rec.mac, "0004f2000001");
    ck_assert(rec.last_seen == T0);
    ck_assert(rec.not_after == T0 + DAYS(100));
    ck_assert_uint_eq(rec.granted, 1);
    ck_assert_str_eq(rec.vendor, "Poly");
    ck_assert_str_eq(rec.client, "192.0.2.7");
    ck_assert_uint_eq(rec.flags & PROVAUTH_REC_PARTIAL, PROVAUTH_REC_PARTIAL);
}
END_TEST

START_TEST(test_log_line_of_a_refused_certificate_with_escapes)
{
    const char *line = "2025-11-24T16:00:00Z 203.0.113.5 403 \"FAILED\" \"-\" \"3650\" "
                       "\"77\" \"CN=x\\\"y,O=Evil\\\\Co\" \"CN=0004f2000001\\x01\" "
                       "\"self-signed certificate\" \"-\" \"GET / HTTP/1.1\"";
    provauth_record_t rec;
    const char *why = NULL;

    ck_assert_int_eq(provauth_fleet_parse_log_line(line, &rec, &why, test_pool), 1);
    ck_assert_uint_eq(rec.status, PROVAUTH_REC_FAILED);
    ck_assert_int_eq(rec.key_kind, PROVAUTH_KEY_FINGERPRINT);
    ck_assert_str_eq(rec.issuer, "CN=x\"y,O=Evil\\Co");
    ck_assert_str_eq(rec.subject, "CN=0004f2000001?");
    ck_assert_uint_eq(rec.denied, 1);
    ck_assert(rec.last_denied == T0);
    ck_assert_str_eq(rec.last_reason, "self-signed certificate");
}
END_TEST

START_TEST(test_log_lines_about_no_device_or_in_another_format)
{
    provauth_record_t rec;
    const char *why = NULL;

    ck_assert_int_eq(provauth_fleet_parse_log_line(
        "2025-11-24T16:00:00Z 192.0.2.7 403 \"NONE\" \"-\" \"-\" \"-\" \"-\" \"-\" "
        "\"no client certificate\" \"-\" \"GET / HTTP/1.1\"", &rec, &why, test_pool), 0);
    ck_assert_int_eq(provauth_fleet_parse_log_line(
        "2025-11-24T16:00:00Z 192.0.2.7 200 \"-\" \"-\" \"-\" \"-\" \"-\" \"-\" \"-\" \"-\" "
        "\"GET / HTTP/1.1\"", &rec, &why, test_pool), 0);
    ck_assert_int_eq(provauth_fleet_parse_log_line(
        "192.0.2.7 - - [24/Nov/2025:16:00:00 +0000] \"GET / HTTP/1.1\" 200 5",
        &rec, &why, test_pool), -1);
    ck_assert_ptr_nonnull(why);
    ck_assert_int_eq(provauth_fleet_parse_log_line("2025-11-24T16:00:00Z 1.2.3.4 200 \"VALID\"",
                                                   &rec, &why, test_pool), -1);
}
END_TEST

START_TEST(test_a_later_log_line_keeps_what_the_status_handler_knew)
{
    provauth_record_t from_json = device("0004f2000001", PROVAUTH_REC_VALID, T0 - 3600,
                                         T0 + DAYS(100) - 5000);
    provauth_fleet_t *fleet = provauth_fleet_make(test_pool);
    provauth_record_t from_log, *merged;
    const char *why = NULL;

    from_json.flags |= PROVAUTH_REC_FORGAVE_EXPIRY;
    add_document(fleet, &from_json, 1);
    ck_assert_int_eq(provauth_fleet_parse_log_line(LOG_VALID, &from_log, &why, test_pool), 1);
    provauth_fleet_add(fleet, &from_log);
    merged = only(fleet, "mac:0004f2000001");
    ck_assert(merged->last_seen == T0);                        /* the log's request */
    ck_assert_str_eq(merged->client, "192.0.2.7");
    ck_assert_uint_eq(merged->granted, 2);
    ck_assert(merged->not_after == from_json.not_after);       /* exact, same serial */
    ck_assert(memcmp(merged->fingerprint, from_json.fingerprint, PROVAUTH_FINGERPRINT_LEN) == 0);
    ck_assert_str_eq(merged->root, "CN=Poly Root CA,O=Poly");
    ck_assert_uint_eq(merged->flags, PROVAUTH_REC_HAS_MAC | PROVAUTH_REC_FORGAVE_EXPIRY);
}
END_TEST

START_TEST(test_sorted_by_urgency)
{
    provauth_record_t recs[3];
    provauth_fleet_t *fleet = provauth_fleet_make(test_pool);
    apr_array_header_t *sorted;
    int i;

    recs[0] = device("000000000001", PROVAUTH_REC_VALID, T0, T0 + DAYS(400));
    recs[1] = device("000000000002", PROVAUTH_REC_EXPIRED, T0, T0 - DAYS(10));
    recs[2] = device("000000000003", PROVAUTH_REC_VALID, T0, T0 + DAYS(20));
    for (i = 0; i < 3; i++) {
        provauth_fleet_add(fleet, &recs[i]);
    }
    sorted = provauth_fleet_sorted(fleet, test_pool);
    ck_assert_int_eq(sorted->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(sorted, 0, provauth_record_t *)->mac, "000000000002");
    ck_assert_str_eq(APR_ARRAY_IDX(sorted, 1, provauth_record_t *)->mac, "000000000003");
    ck_assert_str_eq(APR_ARRAY_IDX(sorted, 2, provauth_record_t *)->mac, "000000000001");
}
END_TEST

START_TEST(test_expiry_check_states)
{
    provauth_record_t recs[4];
    const provauth_record_t *ptrs[4];
    provauth_check_t check;
    int i;

    recs[0] = device("000000000001", PROVAUTH_REC_VALID, T0, T0 + DAYS(10) + 60);
    recs[1] = device("000000000002", PROVAUTH_REC_VALID, T0, T0 + DAYS(20) + 60);
    recs[2] = device("000000000003", PROVAUTH_REC_VALID, T0, T0 + DAYS(100));
    recs[3] = device("000000000004", PROVAUTH_REC_FAILED, T0, T0 + DAYS(1));
    provauth_record_choose_key(&recs[3]);
    for (i = 0; i < 4; i++) {
        ptrs[i] = &recs[i];
    }
    provauth_fleet_check(ptrs, 4, T0, 30, 14, 0, &check);
    ck_assert_int_eq(check.state, PROVAUTH_CHECK_CRITICAL);
    ck_assert_uint_eq(check.critical, 1);
    ck_assert_uint_eq(check.warning, 1);
    ck_assert_uint_eq(check.untrusted, 1);      /* an untrusted certificate expires in a day */
    ck_assert_int_eq(check.min_days_left, 10);
    provauth_fleet_check(ptrs, 4, T0, 30, 5, 0, &check);
    ck_assert_int_eq(check.state, PROVAUTH_CHECK_WARNING);
    provauth_fleet_check(ptrs, 4, T0, 5, 2, 0, &check);
    ck_assert_int_eq(check.state, PROVAUTH_CHECK_OK);
    /* an expired device is critical, unless expired devices are ignored */
    recs[2].not_after = T0 - DAYS(1);
    provauth_fleet_check(ptrs, 4, T0, 5, 2, 0, &check);
    ck_assert_int_eq(check.state, PROVAUTH_CHECK_CRITICAL);
    ck_assert_uint_eq(check.expired, 1);
    provauth_fleet_check(ptrs, 4, T0, 5, 2, 1, &check);
    ck_assert_int_eq(check.state, PROVAUTH_CHECK_OK);
    ck_assert_str_eq(provauth_check_state_name(PROVAUTH_CHECK_UNKNOWN), "UNKNOWN");
}
END_TEST

Suite *fleet_suite(void)
{
    Suite *s = suite_create("fleet");
    TCase *tc = tcase_create("fleet");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, test_json_device_reads_back_as_the_record_written);
    tcase_add_test(tc, test_two_servers_merge_latest_seen_wins_counts_add);
    tcase_add_test(tc, test_untrusted_certificates_are_merged_by_issuer_and_serial);
    tcase_add_test(tc, test_invalid_documents_are_refused_with_a_reason);
    tcase_add_test(tc, test_log_line_of_a_granted_phone);
    tcase_add_test(tc, test_log_line_of_a_refused_certificate_with_escapes);
    tcase_add_test(tc, test_log_lines_about_no_device_or_in_another_format);
    tcase_add_test(tc, test_a_later_log_line_keeps_what_the_status_handler_knew);
    tcase_add_test(tc, test_json_fingerprint_is_64_hex_digits_and_mac_normalized);
    tcase_add_test(tc, test_log_hex_escapes_decode_printable_bytes_only);
    tcase_add_test(tc, test_sorted_by_urgency);
    tcase_add_test(tc, test_expiry_check_states);
    suite_add_tcase(s, tc);
    return s;
}
