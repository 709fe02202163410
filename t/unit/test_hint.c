/* test_hint.c: denial reasons that say what to fix: the missing issuer and
 * the directive that would hold it, a MAC inside a longer CN
 * (ProvAuthMACFrom), a shared file under Require provauth-mac (<Files>). */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <openssl/x509_vfy.h>

#include "provauth_hint.h"
#include "provauth_mac.h"
#include "provauth_verify.h"
#include "test_pki.h"

static X509 *device_of(const pki_vendor_t *v, const char *cn)
{
    return pki_make_leaf(cn, fx.leaf_key, v->issuing, v->issuing_key,
                         fx.now - PKI_DAY, fx.now + PKI_YEAR, PKI_EKU_CLIENT_AUTH);
}

/* Verify a device of v sending chain (NULL: its leaf only) against trust. */
static provauth_verdict_t verify_sent(const pki_vendor_t *v, STACK_OF(X509) *chain)
{
    X509 *leaf = device_of(v, "0004f2abcdef");
    provauth_verdict_t verdict;

    ck_assert_int_eq(provauth_verify_chain(&verdict, &fx.trust, leaf, chain, fx.now,
                                           test_pool), APR_SUCCESS);
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(leaf);
    ck_assert_int_eq(verdict.status, PROVAUTH_STATUS_FAILED);
    return verdict;
}

/* The reason is "<OpenSSL's text>: <hint>", and the hint mentions words. */
#define ck_assert_hint(verdict, openssl_text, words)                           \
    do {                                                                       \
        ck_assert_ptr_nonnull((verdict).hint);                                 \
        ck_assert_why_mentions((verdict).reason, openssl_text ": ");           \
        ck_assert_why_mentions((verdict).reason, (verdict).hint);              \
        ck_assert_why_mentions((verdict).hint, words);                         \
    } while (0)

/* ---- re-validation failures ---- */

START_TEST(test_missing_issuing_ca_names_it_and_the_intermediate_directive)
{
    provauth_verdict_t v = verify_sent(fx.acme, NULL);

    ck_assert_int_eq(v.verify_error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    ck_assert_hint(v, "unable to get local issuer certificate",
                   "issuer 'CN=Acme Issuing CA' of the device certificate");
    ck_assert_why_mentions(v.hint, "an issuing CA belongs in ProvAuthIntermediateFile");
}
END_TEST

START_TEST(test_missing_root_names_it_and_the_ca_directive)
{
    provauth_verdict_t v = verify_sent(fx.other, pki_stack(fx.other->issuing, fx.other->policy,
                                                        NULL));

    ck_assert_hint(v, "unable to get local issuer certificate",
                   "issuer 'CN=Other Root CA' of 'CN=Other Policy CA'");
    ck_assert_why_mentions(v.hint, "a root CA belongs in ProvAuthCACertificateFile");
}
END_TEST

START_TEST(test_issuing_ca_as_anchor_says_the_root_belongs_there)
{
    X509_STORE *issuing_only = pki_store(fx.acme->issuing, NULL);
    provauth_verdict_t v;

    fx.trust.anchors = issuing_only;
    v = verify_sent(fx.acme, pki_stack(fx.acme->issuing, fx.acme->policy, NULL));
    ck_assert_int_eq(v.verify_error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT);
    ck_assert_hint(v, "unable to get issuer certificate",
                   "the trust anchor 'CN=Acme Issuing CA' is not a root CA");
    ck_assert_why_mentions(v.hint, "'CN=Acme Policy CA'");
    ck_assert_why_mentions(v.hint, "ProvAuthCACertificateFile holds the vendor's root CA");
    X509_STORE_free(issuing_only);
}
END_TEST

START_TEST(test_untrusted_root_sent_by_the_device_is_named)
{
    provauth_verdict_t v = verify_sent(fx.other, pki_stack(fx.other->issuing, fx.other->policy,
                                                        fx.other->root, NULL));

    ck_assert_int_eq(v.verify_error, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN);
    ck_assert_hint(v, "self-signed certificate in certificate chain",
                   "root 'CN=Other Root CA' sent by the device");
    ck_assert_why_mentions(v.hint, "ProvAuthCACertificateFile");
}
END_TEST

START_TEST(test_anchor_with_the_roots_name_but_another_key_is_called_out)
{
    EVP_PKEY *impostor_key = pki_make_key();
    X509 *impostor = pki_make_ca("Acme Root CA", impostor_key, NULL, NULL,
                                 fx.now - PKI_YEAR, fx.now + PKI_YEAR);
    X509_STORE *lookalike = pki_store(impostor, NULL);
    provauth_verdict_t v;

    fx.trust.anchors = lookalike;
    v = verify_sent(fx.acme, pki_stack(fx.acme->issuing, fx.acme->policy, NULL));
    ck_assert_hint(v, "unable to get local issuer certificate",
                   "the trust anchor 'CN=Acme Root CA' did not issue 'CN=Acme Policy CA'");
    ck_assert_why_mentions(v.hint, "another key");
    X509_STORE_free(lookalike);
    pki_free_cert(impostor);
    pki_free_key(impostor_key);
}
END_TEST

START_TEST(test_missing_crl_names_its_issuer_and_the_crl_directive)
{
    X509_CRL *policy_crl = pki_make_crl(fx.acme->policy, fx.acme->policy_key, NULL, 0,
                                        fx.now - PKI_DAY, fx.now + PKI_DAY);
    STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
    provauth_verdict_t v;

    ck_assert_int_gt(sk_X509_CRL_push(crls, policy_crl), 0);
    fx.trust.crls = crls;
    v = verify_sent(fx.acme, pki_stack(fx.acme->issuing, fx.acme->policy, NULL));
    ck_assert_int_eq(v.verify_error, X509_V_ERR_UNABLE_TO_GET_CRL);
    ck_assert_hint(v, "unable to get certificate CRL",
                   "no CRL issued by 'CN=Acme Issuing CA' in ProvAuthCRLFile");
    sk_X509_CRL_pop_free(crls, X509_CRL_free);
}
END_TEST

START_TEST(test_self_signed_device_gets_no_configuration_hint)
{
    X509 *leaf = pki_make_leaf("0004f2abcdef", fx.leaf_key, NULL, NULL, fx.now - PKI_DAY,
                               fx.now + PKI_YEAR, PKI_EKU_CLIENT_AUTH);
    provauth_verdict_t v;

    ck_assert_int_eq(provauth_verify_chain(&v, &fx.trust, leaf, NULL, fx.now, test_pool),
                     APR_SUCCESS);
    ck_assert_ptr_null(v.hint);
    ck_assert_str_eq(v.reason, "self-signed certificate");
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_revoked_device_gets_no_configuration_hint)
{
    X509 *leaf = device_of(fx.acme, "0004f2abcdef");
    long serial = pki_serial(leaf);
    X509_CRL *crl = pki_make_crl(fx.acme->issuing, fx.acme->issuing_key, &serial, 1,
                                 fx.now - PKI_DAY, fx.now + PKI_DAY);
    STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
    STACK_OF(X509) *chain = pki_stack(fx.acme->issuing, fx.acme->policy, NULL);
    provauth_verdict_t v;

    ck_assert_int_gt(sk_X509_CRL_push(crls, crl), 0);
    fx.trust.crls = crls;
    ck_assert_int_eq(provauth_verify_chain(&v, &fx.trust, leaf, chain, fx.now, test_pool),
                     APR_SUCCESS);
    ck_assert_ptr_null(v.hint);
    ck_assert_str_eq(v.reason, "certificate revoked");
    sk_X509_pop_free(chain, X509_free);
    sk_X509_CRL_pop_free(crls, X509_CRL_free);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_no_anchors_says_which_directive_sets_them)
{
    provauth_verdict_t v;

    fx.trust.anchors = NULL;
    v = verify_sent(fx.acme, NULL);
    ck_assert_why_mentions(v.reason, "no trust anchors configured: ");
    ck_assert_why_mentions(v.hint, "ProvAuthCACertificateFile");
}
END_TEST

START_TEST(test_valid_device_has_neither_reason_nor_hint)
{
    X509 *leaf = device_of(fx.acme, "0004f2abcdef");
    STACK_OF(X509) *chain = pki_stack(fx.acme->issuing, fx.acme->policy, NULL);
    provauth_verdict_t v;

    ck_assert_int_eq(provauth_verify_chain(&v, &fx.trust, leaf, chain, fx.now, test_pool),
                     APR_SUCCESS);
    ck_assert_int_eq(v.status, PROVAUTH_STATUS_VALID);
    ck_assert_ptr_null(v.reason);
    ck_assert_ptr_null(v.hint);
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(leaf);
}
END_TEST

/* ---- a MAC inside a longer subject value ---- */

static const char *inside(const char *value)
{
    return provauth_hint_mac_inside("CN", value, strlen(value), test_pool);
}

/* The regex of a hint's ProvAuthMACFrom line: after the attribute, up to
 * the parenthesis that closes the hint. */
static char *suggested_regex(const char *hint)
{
    const char *line = strstr(hint, "ProvAuthMACFrom CN "), *start;
    size_t len;

    ck_assert_msg(line != NULL, "no ProvAuthMACFrom line in '%s'", hint);
    start = line + strlen("ProvAuthMACFrom CN ");
    len = strlen(start);
    ck_assert_msg(len > 1 && start[len - 1] == ')', "hint '%s' does not end in ')'",
                  hint);
    return apr_pstrmemdup(test_pool, start, len - 1);
}

START_TEST(test_cisco_cn_suggests_the_sep_regex)
{
    ck_assert_str_eq(inside("CP-7945G-SEP001122334455"),
                     " (it holds MAC 001122334455: read it with ProvAuthMACFrom CN "
                     "SEP([0-9A-Fa-f]{12})$)");
    ck_assert_str_eq(inside("SEP001122334455"),
                     " (it holds MAC 001122334455: read it with ProvAuthMACFrom CN "
                     "SEP([0-9A-Fa-f]{12})$)");
}
END_TEST

START_TEST(test_suggested_regexes_read_the_mac_they_name)
{
    static const struct { const char *cn; const char *mac; } cases[] = {
        { "CP-7945G-SEP001122334455", "001122334455" },
        { "Phone 00:04:F2:AB:CD:EF", "0004f2abcdef" },
        { "vvx-00-04-f2-ab-cd-ef-lab", "0004f2abcdef" },
        { "0004.f2ab.cdef/office", "0004f2abcdef" },
        { "0004f2abcdef.phone", "0004f2abcdef" },
        { "mac=0004F2ABCDEF", "0004f2abcdef" },
        { "phone(0004f2abcdef)", "0004f2abcdef" },
        { "phone.0004f2abcdef", "0004f2abcdef" },
        { "it's 0004f2abcdef", "0004f2abcdef" },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *hint = inside(cases[i].cn);
        provauth_mac_rule_t *rule = NULL;
        provauth_mac_t mac;
        const char *why = NULL;
        X509 *leaf;

        ck_assert_msg(strstr(hint, cases[i].mac) != NULL, "%s: hint '%s'",
                      cases[i].cn, hint);
        ck_assert_msg(strpbrk(suggested_regex(hint), " \t\"'\\") == NULL,
                      "%s: regex needs quoting or escaping: '%s'", cases[i].cn, hint);
        ck_assert_msg(provauth_mac_rule_make(&rule, "CN", suggested_regex(hint),
                                             test_pool, &why) == APR_SUCCESS,
                      "%s: suggested regex does not compile: %s", cases[i].cn, why);
        leaf = device_of(fx.acme, cases[i].cn);
        ck_assert_msg(provauth_mac_from_cert(leaf, rule, &mac, &why, test_pool) == 1,
                      "%s: suggested rule reads no MAC: %s", cases[i].cn, why);
        ck_assert_str_eq(mac.hex, cases[i].mac);
        pki_free_cert(leaf);
    }
}
END_TEST

START_TEST(test_values_without_a_mac_get_no_hint)
{
    ck_assert_str_eq(inside("*"), "");
    ck_assert_str_eq(inside("Acme Phone"), "");
    ck_assert_str_eq(inside("serial ABCDEF0123456789"), ""); /* 16 hex digits */
    ck_assert_str_eq(inside("0004f2abcde"), "");             /* 11 */
    ck_assert_str_eq(inside("x000000000000"), "");           /* placeholder */
}
END_TEST

START_TEST(test_no_mac_reason_of_a_cisco_cn_carries_the_hint)
{
    X509 *leaf = device_of(fx.acme, "CP-7945G-SEP001122334455");
    provauth_mac_t mac;
    const char *why = NULL;

    ck_assert_int_eq(provauth_mac_from_cert(leaf, provauth_mac_rule_default(), &mac,
                                            &why, test_pool), 0);
    ck_assert_why_mentions(why, "CN 'CP-7945G-SEP001122334455' is not a MAC address");
    ck_assert_why_mentions(why, "ProvAuthMACFrom CN SEP([0-9A-Fa-f]{12})$)");
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_find_mac_skips_placeholders_and_glued_hex)
{
    size_t start = 0, len = 0;
    provauth_mac_t mac;

    ck_assert_int_eq(provauth_find_mac("000000000000.cfg", 16, &start, &len, &mac), 0);
    ck_assert_int_eq(provauth_find_mac("y000000000028.cfg", 17, &start, &len, &mac), 0);
    ck_assert_int_eq(provauth_find_mac("abc0004f2000001", 15, &start, &len, &mac), 0);
    ck_assert_int_eq(provauth_find_mac("SEP0004F2000001.cnf.xml", 23, &start, &len,
                                       &mac), 1);
    ck_assert_uint_eq(start, 3);
    ck_assert_uint_eq(len, 12);
    ck_assert_str_eq(mac.hex, "0004f2000001");
}
END_TEST

/* ---- Require provauth-mac over a shared file ---- */

static const char *not_in_path(const char *path, int whole_path)
{
    provauth_mac_t mac;

    ck_assert_int_eq(provauth_mac_parse("0004f20000aa", 12, &mac), 1);
    return provauth_reason_mac_not_in_path(&mac, path, whole_path, test_pool);
}

START_TEST(test_shared_file_suggests_a_files_section_with_provauth_device)
{
    ck_assert_str_eq(not_in_path("/polycom/000000000000.cfg", 0),
                     "MAC 0004f20000aa is not in the requested file name "
                     "('000000000000.cfg' names no device: if every phone may read "
                     "it, allow it with <Files 000000000000.cfg> Require "
                     "provauth-device </Files>)");
    ck_assert_why_mentions(not_in_path("/yealink/y000000000028.cfg", 0),
                           "<Files y000000000028.cfg> Require provauth-device");
    ck_assert_why_mentions(not_in_path("/polycom/sip.ld", 0),
                           "<Files sip.ld> Require provauth-device");
    ck_assert_why_mentions(not_in_path("/tree/common/features.cfg", 1),
                           "MAC 0004f20000aa is not in the requested path (");
}
END_TEST

START_TEST(test_another_devices_file_gets_no_hint)
{
    ck_assert_str_eq(not_in_path("/polycom/0004f2000001.cfg", 0),
                     "MAC 0004f20000aa is not in the requested file name");
    ck_assert_str_eq(not_in_path("/cisco/SEP001122334455.cnf.xml", 0),
                     "MAC 0004f20000aa is not in the requested file name");
    ck_assert_str_eq(not_in_path("/tree/0004f2000001/phone.cfg", 1),
                     "MAC 0004f20000aa is not in the requested path");
    /* Never suggest opening phone.cfg to all: every device has one. */
    ck_assert_str_eq(not_in_path("/tree/0004f2000001/phone.cfg", 0),
                     "MAC 0004f20000aa is not in the requested file name");
}
END_TEST

START_TEST(test_own_mac_in_a_directory_suggests_provauth_mac_path)
{
    ck_assert_str_eq(not_in_path("/tree/0004F20000AA/phone.cfg", 0),
                     "MAC 0004f20000aa is not in the requested file name (the MAC "
                     "is in a directory of the path: for a directory per device "
                     "use Require provauth-mac path)");
}
END_TEST

START_TEST(test_odd_file_names_are_never_quoted_back)
{
    ck_assert_str_eq(not_in_path("/polycom/", 0),
                     "MAC 0004f20000aa is not in the requested file name");
    ck_assert_str_eq(not_in_path("/polycom/a\r\nX-Injected: 1.cfg", 0),
                     "MAC 0004f20000aa is not in the requested file name");
    ck_assert_str_eq(not_in_path("/polycom/it's \"quoted\".cfg", 0),
                     "MAC 0004f20000aa is not in the requested file name");
    ck_assert_str_eq(not_in_path(NULL, 0),
                     "MAC 0004f20000aa is not in the requested file name");
}
END_TEST

Suite *hint_suite(void)
{
    Suite *s = suite_create("hint");
    TCase *tc = tcase_create("hints");

    tcase_add_checked_fixture(tc, trust_fixture_setup, trust_fixture_teardown);
    tcase_add_test(tc, test_missing_issuing_ca_names_it_and_the_intermediate_directive);
    tcase_add_test(tc, test_missing_root_names_it_and_the_ca_directive);
    tcase_add_test(tc, test_issuing_ca_as_anchor_says_the_root_belongs_there);
    tcase_add_test(tc, test_untrusted_root_sent_by_the_device_is_named);
    tcase_add_test(tc, test_anchor_with_the_roots_name_but_another_key_is_called_out);
    tcase_add_test(tc, test_missing_crl_names_its_issuer_and_the_crl_directive);
    tcase_add_test(tc, test_self_signed_device_gets_no_configuration_hint);
    tcase_add_test(tc, test_revoked_device_gets_no_configuration_hint);
    tcase_add_test(tc, test_no_anchors_says_which_directive_sets_them);
    tcase_add_test(tc, test_valid_device_has_neither_reason_nor_hint);
    tcase_add_test(tc, test_cisco_cn_suggests_the_sep_regex);
    tcase_add_test(tc, test_suggested_regexes_read_the_mac_they_name);
    tcase_add_test(tc, test_values_without_a_mac_get_no_hint);
    tcase_add_test(tc, test_no_mac_reason_of_a_cisco_cn_carries_the_hint);
    tcase_add_test(tc, test_find_mac_skips_placeholders_and_glued_hex);
    tcase_add_test(tc, test_shared_file_suggests_a_files_section_with_provauth_device);
    tcase_add_test(tc, test_another_devices_file_gets_no_hint);
    tcase_add_test(tc, test_own_mac_in_a_directory_suggests_provauth_mac_path);
    tcase_add_test(tc, test_odd_file_names_are_never_quoted_back);
    suite_add_tcase(s, tc);
    return s;
}
