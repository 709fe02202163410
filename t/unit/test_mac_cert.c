/* test_mac_cert.c: reading the device MAC from a certificate with
 * provauth_mac_from_cert: the default rule (the CN, exactly a MAC) against
 * every string type and trick a subject can hold, and configured rules
 * (another attribute, a regex with a capture group). */
#include <stdlib.h>
#include <string.h>

#include <apr_errno.h>

#include "provauth_mac.h"
#include "test_mac.h"

static EVP_PKEY *leaf_key;

static void setup(void)
{
    test_pool_setup();
    leaf_key = pki_make_key();
}

static void teardown(void)
{
    pki_free_key(leaf_key);
    test_pool_teardown();
}

/* ---- helpers ---- */

/* A self-signed device certificate with subject attrs[0..n), passed through
 * DER and back as a peer would send it. */
static X509 *device(const pki_attr_t *attrs, size_t n)
{
    X509 *made = pki_make_leaf_subject(attrs, n, leaf_key, NULL, NULL,
                                       pki_now_plus(-PKI_DAY),
                                       pki_now_plus(PKI_YEAR));
    unsigned char *der = NULL;
    const unsigned char *in;
    int len = i2d_X509(made, &der);
    X509 *parsed;

    ck_assert_msg(len > 0, "cannot encode the device certificate");
    in = der;
    parsed = d2i_X509(NULL, &in, len);
    ck_assert_msg(parsed != NULL, "cannot decode the device certificate");
    OPENSSL_free(der);
    pki_free_cert(made);
    return parsed;
}

/* A device certificate whose subject is O=Acme Phones, CN=cn (UTF8String). */
static X509 *device_cn(const char *cn)
{
    const pki_attr_t attrs[] = {
        { "O", "Acme Phones", -1, MBSTRING_UTF8 },
        { "CN", cn, -1, MBSTRING_UTF8 },
    };

    return device(attrs, 2);
}

/* The ASCII text as UCS-2 (n = 2) or UCS-4 (n = 4) big-endian bytes in buf. */
static int wide(char *buf, const char *ascii, int n)
{
    int i, len = (int)strlen(ascii);

    memset(buf, 0, (size_t)(len * n));
    for (i = 0; i < len; i++) {
        buf[i * n + n - 1] = ascii[i];
    }
    return len * n;
}

typedef struct {
    int ok;
    provauth_mac_t mac;
    const char *why;
} from_cert_t;

static from_cert_t from_cert(X509 *leaf, const provauth_mac_rule_t *rule)
{
    from_cert_t r;

    memcpy(r.mac.hex, UNTOUCHED, sizeof(r.mac.hex));
    r.why = NULL;
    r.ok = provauth_mac_from_cert(leaf, rule, &r.mac, &r.why, test_pool);
    pki_free_cert(leaf);
    return r;
}

#define ck_assert_yields(r, expected)                                          \
    do {                                                                       \
        ck_assert_msg((r).ok == 1, "expected MAC %s, got rejected: %s",        \
                      (expected), (r).why ? (r).why : "(no why)");             \
        ck_assert_msg(strcmp((r).mac.hex, (expected)) == 0,                    \
                      "expected MAC %s, got '%s'", (expected), (r).mac.hex);   \
    } while (0)

#define ck_assert_rejected_why(r, words)                                       \
    do {                                                                       \
        ck_assert_msg((r).ok == 0, "expected rejected (%s), got MAC '%s'",     \
                      (words), (r).mac.hex);                                   \
        ck_assert_why_mentions((r).why, (words));                              \
    } while (0)

/* ---- provauth_mac_from_cert with the default rule ---- */

START_TEST(test_cn_exactly_a_mac_in_any_form_yields_it_normalized)
{
    static const char *const forms[] = {
        "0004f2abcdef", "0004F2ABCDEF", "00:04:f2:ab:cd:ef",
        "00-04-F2-AB-CD-EF", "0004.f2ab.cdef",
    };
    size_t i;

    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        from_cert_t r = from_cert(device_cn(forms[i]), provauth_mac_rule_default());

        ck_assert_msg(r.ok == 1, "CN '%s': expected 0004f2abcdef, got rejected: %s",
                      forms[i], r.why ? r.why : "(no why)");
        ck_assert_msg(strcmp(r.mac.hex, "0004f2abcdef") == 0,
                      "CN '%s': expected 0004f2abcdef, got '%s'", forms[i], r.mac.hex);
    }
}
END_TEST

START_TEST(test_cn_as_printable_or_ia5_string_is_read)
{
    const pki_attr_t printable[] = { { "CN", "0004F2ABCDEF", -1, V_ASN1_PRINTABLESTRING } };
    const pki_attr_t ia5[] = { { "CN", "00:04:f2:ab:cd:ef", -1, V_ASN1_IA5STRING } };
    from_cert_t r;

    r = from_cert(device(printable, 1), provauth_mac_rule_default());
    ck_assert_yields(r, "0004f2abcdef");
    r = from_cert(device(ia5, 1), provauth_mac_rule_default());
    ck_assert_yields(r, "0004f2abcdef");
}
END_TEST

START_TEST(test_subject_without_cn_is_rejected_no_cn)
{
    const pki_attr_t attrs[] = {
        { "O", "Acme Phones", -1, MBSTRING_UTF8 },
        { "OU", "0004f2abcdef", -1, MBSTRING_UTF8 },
    };
    from_cert_t r = from_cert(device(attrs, 2), provauth_mac_rule_default());

    ck_assert_rejected_why(r, "no CN");
}
END_TEST

START_TEST(test_empty_subject_is_rejected_no_cn)
{
    from_cert_t r = from_cert(device(NULL, 0), provauth_mac_rule_default());

    ck_assert_rejected_why(r, "no CN");
}
END_TEST

START_TEST(test_empty_cn_is_rejected_empty)
{
    const pki_attr_t attrs[] = { { "CN", "", 0, V_ASN1_UTF8STRING } };
    from_cert_t r = from_cert(device(attrs, 1), provauth_mac_rule_default());

    ck_assert_rejected_why(r, "empty CN");
}
END_TEST

START_TEST(test_wildcard_cn_is_rejected_not_a_mac)
{
    from_cert_t r = from_cert(device_cn("*"), provauth_mac_rule_default());

    ck_assert_rejected_why(r, "CN '*' is not a MAC address");
}
END_TEST

START_TEST(test_two_cns_are_rejected_even_when_equal)
{
    const pki_attr_t two_macs[] = {
        { "CN", "0004f2abcdef", -1, MBSTRING_UTF8 },
        { "CN", "0004f2000001", -1, MBSTRING_UTF8 },
    };
    const pki_attr_t same_twice[] = {
        { "CN", "0004f2abcdef", -1, MBSTRING_UTF8 },
        { "O", "Acme Phones", -1, MBSTRING_UTF8 },
        { "CN", "0004f2abcdef", -1, MBSTRING_UTF8 },
    };
    from_cert_t r;

    r = from_cert(device(two_macs, 2), provauth_mac_rule_default());
    ck_assert_rejected_why(r, "more than one CN");
    r = from_cert(device(same_twice, 3), provauth_mac_rule_default());
    ck_assert_rejected_why(r, "more than one CN");
}
END_TEST

START_TEST(test_cn_with_embedded_nul_is_rejected)
{
    /* The classic NUL-prefix: a C string compare would see just the MAC. */
    static const char value[] = "0004f2abcdef\0.evil.example";
    const pki_attr_t attrs[] = {
        { "CN", value, (int)sizeof(value) - 1, V_ASN1_UTF8STRING },
    };
    const pki_attr_t trailing[] = { { "CN", "0004f2abcdef", 13, V_ASN1_IA5STRING } };
    from_cert_t r;

    r = from_cert(device(attrs, 1), provauth_mac_rule_default());
    ck_assert_rejected_why(r, "non-printable or non-ASCII");
    r = from_cert(device(trailing, 1), provauth_mac_rule_default());
    ck_assert_rejected_why(r, "non-printable or non-ASCII");
}
END_TEST

START_TEST(test_utf8_cn_with_cyrillic_look_alike_is_rejected)
{
    /* "0004f2" + Cyrillic U+0430 + "bcd" + Cyrillic U+0435 + "f" */
    from_cert_t r = from_cert(device_cn("0004f2\xd0\xb0" "bcd\xd0\xb5" "f"),
                              provauth_mac_rule_default());

    ck_assert_rejected_why(r, "non-printable or non-ASCII");
}
END_TEST

START_TEST(test_utf8_cn_with_fullwidth_digits_is_rejected)
{
    /* Fullwidth "0004" (U+FF10, U+FF14) + "f2abcdef" */
    from_cert_t r = from_cert(device_cn("\xef\xbc\x90\xef\xbc\x90\xef\xbc\x90"
                                        "\xef\xbc\x94" "f2abcdef"),
                              provauth_mac_rule_default());

    ck_assert_rejected_why(r, "non-printable or non-ASCII");
}
END_TEST

START_TEST(test_bmpstring_cn_is_rejected)
{
    char ucs2[64];
    int len = wide(ucs2, "0004f2abcdef", 2);
    const pki_attr_t attrs[] = { { "CN", ucs2, len, V_ASN1_BMPSTRING } };
    from_cert_t r = from_cert(device(attrs, 1), provauth_mac_rule_default());

    ck_assert_rejected_why(r, "non-printable or non-ASCII");
}
END_TEST

START_TEST(test_bmpstring_cn_whose_bytes_read_as_a_mac_is_rejected)
{
    /* Six CJK characters U+3030 U+3034 U+6632 U+6162 U+6364 U+6566 whose
     * UCS-2 bytes spell "0004f2abcdef". */
    const pki_attr_t attrs[] = { { "CN", "0004f2abcdef", 12, V_ASN1_BMPSTRING } };
    from_cert_t r = from_cert(device(attrs, 1), provauth_mac_rule_default());

    ck_assert_rejected_why(r, "CN is not a plain string");
}
END_TEST

START_TEST(test_universalstring_cn_is_rejected)
{
    char ucs4[64];
    int len = wide(ucs4, "0004f2abcdef", 4);
    const pki_attr_t attrs[] = { { "CN", ucs4, len, V_ASN1_UNIVERSALSTRING } };
    from_cert_t r = from_cert(device(attrs, 1), provauth_mac_rule_default());

    ck_assert_rejected_why(r, "non-printable or non-ASCII");
}
END_TEST

/* Found by t/fuzz/fuzz_mac_cert: OpenSSL keeps attribute values of types
 * that are not text, and their bytes may read as a MAC. */
START_TEST(test_bit_string_cn_whose_bits_read_as_a_mac_is_rejected)
{
    const pki_attr_t attrs[] = { { "CN", "0004f2abcdef", 12, V_ASN1_BIT_STRING } };
    from_cert_t r = from_cert(device(attrs, 1), provauth_mac_rule_default());

    ck_assert_rejected_why(r, "CN is not a plain string");
}
END_TEST

START_TEST(test_cn_of_a_type_openssl_keeps_raw_is_rejected)
{
    /* ObjectDescriptor (tag 7): an unknown type to OpenSSL's name parser,
     * which keeps the content bytes as they are. */
    const pki_attr_t attrs[] = {
        { "CN", "0004f2abcdef", 12, V_ASN1_OBJECT_DESCRIPTOR }
    };
    from_cert_t r = from_cert(device(attrs, 1), provauth_mac_rule_default());

    ck_assert_rejected_why(r, "CN is not a plain string");
}
END_TEST

START_TEST(test_sequence_cn_matched_by_a_regex_is_rejected)
{
    /* A SEQUENCE keeps its header: '0' (tag 0x30), ' ' (length 32), then
     * 32 bytes that end in SEP<MAC>, all printable. */
    const char value[] = "0 CP-7841-01234567-SEP0004F2ABCDEF";
    const pki_attr_t attrs[] = {
        { "CN", value, (int)sizeof(value) - 1, V_ASN1_SEQUENCE }
    };
    from_cert_t r;

    ck_assert_int_eq((int)sizeof(value) - 1, 2 + 32);
    r = from_cert(device(attrs, 1), mac_rule("CN", "SEP([0-9A-Fa-f]{12})$"));
    ck_assert_rejected_why(r, "CN is not a plain string");
}
END_TEST

START_TEST(test_cn_with_leading_or_trailing_space_is_rejected)
{
    from_cert_t r;

    r = from_cert(device_cn(" 0004f2abcdef"), provauth_mac_rule_default());
    ck_assert_rejected_why(r, "CN ' 0004f2abcdef' is not a MAC address");
    r = from_cert(device_cn("0004f2abcdef "), provauth_mac_rule_default());
    ck_assert_rejected_why(r, "CN '0004f2abcdef ' is not a MAC address");
}
END_TEST

START_TEST(test_cn_holding_a_mac_inside_other_text_is_rejected_without_regex)
{
    from_cert_t r = from_cert(device_cn("CP-7945G-SEP001122334455"),
                              provauth_mac_rule_default());

    ck_assert_rejected_why(r, "CN 'CP-7945G-SEP001122334455' is not a MAC address");
}
END_TEST

START_TEST(test_null_leaf_is_rejected)
{
    provauth_mac_t mac;
    const char *why = NULL;

    memcpy(mac.hex, UNTOUCHED, sizeof(mac.hex));
    ck_assert_int_eq(provauth_mac_from_cert(NULL, provauth_mac_rule_default(), &mac,
                                            &why, test_pool), 0);
    ck_assert_why_mentions(why, "no client certificate");
}
END_TEST

/* ---- provauth_mac_from_cert with a configured rule ---- */

START_TEST(test_regex_rule_takes_the_mac_from_the_first_capture_group)
{
    from_cert_t r = from_cert(device_cn("CP-7945G-SEP001122334455"),
                              mac_rule("CN", "SEP([0-9A-Fa-f]{12})"));

    ck_assert_yields(r, "001122334455");
}
END_TEST

START_TEST(test_regex_capture_that_is_not_twelve_hex_digits_is_rejected)
{
    from_cert_t r = from_cert(device_cn("SEP0011223344"), mac_rule("CN", "SEP([0-9A-F]+)"));

    ck_assert_rejected_why(r, "'0011223344' is not a MAC address");
}
END_TEST

START_TEST(test_regex_that_does_not_match_is_rejected)
{
    from_cert_t r = from_cert(device_cn("CP-7945G-0011223344"),
                              mac_rule("CN", "SEP([0-9A-Fa-f]{12})"));

    ck_assert_rejected_why(r, "does not match 'SEP([0-9A-Fa-f]{12})'");
}
END_TEST

START_TEST(test_regex_rule_still_requires_a_single_printable_ascii_value)
{
    const pki_attr_t two[] = {
        { "CN", "SEP001122334455", -1, MBSTRING_UTF8 },
        { "CN", "SEP0004f2abcdef", -1, MBSTRING_UTF8 },
    };
    const pki_attr_t nul[] = { { "CN", "SEP001122334455\0x", 17, V_ASN1_UTF8STRING } };
    from_cert_t r;

    r = from_cert(device(two, 2), mac_rule("CN", "SEP([0-9A-Fa-f]{12})"));
    ck_assert_rejected_why(r, "more than one CN");
    r = from_cert(device(nul, 1), mac_rule("CN", "SEP([0-9A-Fa-f]{12})"));
    ck_assert_rejected_why(r, "non-printable or non-ASCII");
}
END_TEST

/* A pattern that backtracks exponentially on a crafted value hits the match
 * limit: no MAC (fail closed), and quickly. */
START_TEST(test_regex_match_that_hits_the_match_limit_yields_no_mac)
{
    from_cert_t r = from_cert(device_cn("001122334455aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"),
                              mac_rule("CN", "^([0-9a-f]{12})(a|aa)+$"));

    ck_assert_rejected_why(r, "match limit");
}
END_TEST

START_TEST(test_regex_first_group_that_took_no_part_is_rejected)
{
    from_cert_t r = from_cert(device_cn("SEP001122334455"),
                              mac_rule("CN", "^(MAC)?(SEP)([0-9a-f]{12})$"));

    ck_assert_rejected_why(r, "does not match");
}
END_TEST

START_TEST(test_regex_common_forms_keep_their_meaning)
{
    from_cert_t r;

    /* anchored, bracket expressions, counted repeats, alternation */
    r = from_cert(device_cn("CP-7945G-SEP001122334455"), mac_rule("CN", "SEP([0-9A-Fa-f]{12})$"));
    ck_assert_yields(r, "001122334455");
    r = from_cert(device_cn("mac=00:11:22:33:44:55;x"),
                  mac_rule("CN", "mac=(([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2})"));
    ck_assert_yields(r, "001122334455");
    r = from_cert(device_cn("Phone 0004F2ABCDEF"), mac_rule("CN", "^(Phone|Desk) ([[:xdigit:]]{12})$"));
    ck_assert_rejected_why(r, "'Phone' is not a MAC address");
    r = from_cert(device_cn("x0004F2ABCDEF"), mac_rule("CN", "([[:xdigit:]]{12})$"));
    ck_assert_yields(r, "0004f2abcdef");
    /* a catch-all takes the last twelve of a longer run, as documented */
    r = from_cert(device_cn("a0004f2abcdef"), mac_rule("CN", ".*([0-9a-fA-F]{12}).*"));
    ck_assert_yields(r, "0004f2abcdef");
}
END_TEST

START_TEST(test_serial_number_rule_reads_serial_number_and_ignores_the_cn)
{
    const pki_attr_t attrs[] = {
        { "CN", "aaaaaaaaaaaa", -1, MBSTRING_UTF8 },
        { "serialNumber", "00:04:F2:AB:CD:EF", -1, MBSTRING_UTF8 },
    };
    from_cert_t r = from_cert(device(attrs, 2), mac_rule("serialNumber", NULL));

    ck_assert_yields(r, "0004f2abcdef");
}
END_TEST

START_TEST(test_rule_attribute_missing_never_falls_back_to_the_cn)
{
    from_cert_t r;

    r = from_cert(device_cn("0004f2abcdef"), mac_rule("serialNumber", NULL));
    ck_assert_rejected_why(r, "no serialNumber");
    r = from_cert(device_cn("SEP001122334455"), mac_rule("OU", "SEP([0-9A-Fa-f]{12})"));
    ck_assert_rejected_why(r, "no OU");
}
END_TEST

START_TEST(test_ou_regex_rule_reads_the_ou_and_ignores_a_matching_cn)
{
    const pki_attr_t ou_matches[] = {
        { "CN", "SEP0004f2abcdef", -1, MBSTRING_UTF8 },
        { "OU", "phones/SEP001122334455", -1, MBSTRING_UTF8 },
    };
    const pki_attr_t cn_matches[] = {
        { "CN", "SEP0004f2abcdef", -1, MBSTRING_UTF8 },
        { "OU", "phones", -1, MBSTRING_UTF8 },
    };
    from_cert_t r;

    r = from_cert(device(ou_matches, 2), mac_rule("OU", "SEP([0-9A-Fa-f]{12})"));
    ck_assert_yields(r, "001122334455");
    r = from_cert(device(cn_matches, 2), mac_rule("OU", "SEP([0-9A-Fa-f]{12})"));
    ck_assert_rejected_why(r, "OU 'phones' does not match");
}
END_TEST


Suite *mac_cert_suite(void)
{
    Suite *s = suite_create("mac_cert");
    TCase *tc = tcase_create("mac_cert");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_cn_exactly_a_mac_in_any_form_yields_it_normalized);
    tcase_add_test(tc, test_cn_as_printable_or_ia5_string_is_read);
    tcase_add_test(tc, test_subject_without_cn_is_rejected_no_cn);
    tcase_add_test(tc, test_empty_subject_is_rejected_no_cn);
    tcase_add_test(tc, test_empty_cn_is_rejected_empty);
    tcase_add_test(tc, test_wildcard_cn_is_rejected_not_a_mac);
    tcase_add_test(tc, test_two_cns_are_rejected_even_when_equal);
    tcase_add_test(tc, test_cn_with_embedded_nul_is_rejected);
    tcase_add_test(tc, test_utf8_cn_with_cyrillic_look_alike_is_rejected);
    tcase_add_test(tc, test_utf8_cn_with_fullwidth_digits_is_rejected);
    tcase_add_test(tc, test_bmpstring_cn_is_rejected);
    tcase_add_test(tc, test_bmpstring_cn_whose_bytes_read_as_a_mac_is_rejected);
    tcase_add_test(tc, test_universalstring_cn_is_rejected);
    tcase_add_test(tc, test_bit_string_cn_whose_bits_read_as_a_mac_is_rejected);
    tcase_add_test(tc, test_cn_of_a_type_openssl_keeps_raw_is_rejected);
    tcase_add_test(tc, test_sequence_cn_matched_by_a_regex_is_rejected);
    tcase_add_test(tc, test_cn_with_leading_or_trailing_space_is_rejected);
    tcase_add_test(tc, test_cn_holding_a_mac_inside_other_text_is_rejected_without_regex);
    tcase_add_test(tc, test_null_leaf_is_rejected);
    tcase_add_test(tc, test_regex_rule_takes_the_mac_from_the_first_capture_group);
    tcase_add_test(tc, test_regex_capture_that_is_not_twelve_hex_digits_is_rejected);
    tcase_add_test(tc, test_regex_that_does_not_match_is_rejected);
    tcase_add_test(tc, test_regex_rule_still_requires_a_single_printable_ascii_value);
    tcase_add_test(tc, test_regex_match_that_hits_the_match_limit_yields_no_mac);
    tcase_add_test(tc, test_regex_first_group_that_took_no_part_is_rejected);
    tcase_add_test(tc, test_regex_common_forms_keep_their_meaning);
    tcase_add_test(tc, test_serial_number_rule_reads_serial_number_and_ignores_the_cn);
    tcase_add_test(tc, test_rule_attribute_missing_never_falls_back_to_the_cn);
    tcase_add_test(tc, test_ou_regex_rule_reads_the_ou_and_ignores_a_matching_cn);
    suite_add_tcase(s, tc);
    return s;
}
