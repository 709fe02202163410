/* test_verify.c: how provauth_verify_chain classifies device chains (vendor
 * root -> policy CA -> issuing CA -> device) as VALID, EXPIRED, NOT_YET_VALID, FAILED. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509_vfy.h>

#include "provauth_verify.h"
#include "test_pki.h"

#define MAC_CN "0004f2abcdef"

/* A device of vendor v valid from not_before to not_after. */
static X509 *device(const pki_vendor_t *v, time_t not_before, time_t not_after)
{
    return pki_make_leaf(MAC_CN, fx.leaf_key, v->issuing, v->issuing_key,
                         not_before, not_after, PKI_EKU_CLIENT_AUTH);
}

static X509 *valid_device(void)
{
    return device(fx.acme, fx.now - PKI_DAY, fx.now + 30 * PKI_DAY + 3600);
}

static X509 *expired_device(const pki_vendor_t *v)
{
    return device(v, pki_utc("20230101000000Z"), pki_utc("20240630000000Z"));
}

/* What the device sends: its CAs below the root. */
static STACK_OF(X509) *peer_chain_of(const pki_vendor_t *v)
{
    return pki_stack(v->issuing, v->policy, NULL);
}

/* Verify leaf with the peer chain of v (NULL: leaf only) against trust. */
static provauth_verdict_t verify(X509 *leaf, const pki_vendor_t *v)
{
    STACK_OF(X509) *chain = v ? peer_chain_of(v) : NULL;
    provauth_verdict_t verdict;
    apr_status_t rv;

    rv = provauth_verify_chain(&verdict, &fx.trust, leaf, chain, fx.now, test_pool);
    ck_assert_int_eq(rv, APR_SUCCESS);
    sk_X509_pop_free(chain, X509_free);
    return verdict;
}

/* floor((when - now) / day), what days_left must read. */
static long floor_days(time_t when)
{
    long diff = (long)(when - fx.now);

    return diff >= 0 ? diff / PKI_DAY : -((-diff + PKI_DAY - 1) / PKI_DAY);
}

#define ck_assert_status(verdict, expected)                                    \
    ck_assert_msg((verdict).status == (expected),                              \
                  "status: expected %s, got %s (verify_error %d: %s)",         \
                  provauth_status_name(expected),                              \
                  provauth_status_name((verdict).status),                      \
                  (verdict).verify_error,                                      \
                  (verdict).reason ? (verdict).reason : "no reason")

#define ck_assert_verify_error(verdict, expected)                              \
    ck_assert_msg((verdict).verify_error == (expected),                        \
                  "verify_error: expected %d (%s), got %d (%s)", (expected),   \
                  X509_verify_cert_error_string(expected),                     \
                  (verdict).verify_error,                                      \
                  X509_verify_cert_error_string((verdict).verify_error))

START_TEST(test_valid_leaf_with_full_peer_chain_is_valid)
{
    X509 *leaf = valid_device();
    provauth_verdict_t v = verify(leaf, fx.acme);

    ck_assert_status(v, PROVAUTH_STATUS_VALID);
    ck_assert_verify_error(v, X509_V_OK);
    ck_assert_int_eq(v.error_depth, -1);
    ck_assert_ptr_null(v.reason);
    ck_assert_int_eq(v.days_left, 30);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_leaf_only_with_configured_intermediates_is_valid)
{
    X509 *leaf = valid_device();
    provauth_verdict_t v;

    fx.trust.intermediates = peer_chain_of(fx.acme);
    v = verify(leaf, NULL);
    ck_assert_status(v, PROVAUTH_STATUS_VALID);
    ck_assert_verify_error(v, X509_V_OK);
    sk_X509_pop_free(fx.trust.intermediates, X509_free);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_leaf_only_without_intermediates_fails_unable_to_get_issuer_locally)
{
    X509 *leaf = valid_device();
    provauth_verdict_t v = verify(leaf, NULL);

    ck_assert_status(v, PROVAUTH_STATUS_FAILED);
    ck_assert_verify_error(v, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    ck_assert_ptr_nonnull(v.reason);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_expired_leaf_with_valid_chain_is_expired_not_failed)
{
    X509 *leaf = expired_device(fx.acme);
    provauth_verdict_t v = verify(leaf, fx.acme);

    ck_assert_status(v, PROVAUTH_STATUS_EXPIRED);
    ck_assert_verify_error(v, X509_V_OK);
    ck_assert_ptr_null(v.reason);
    ck_assert_int_lt(v.days_left, 0);
    ck_assert_int_eq(v.days_left, floor_days(pki_utc("20240630000000Z")));
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_leaf_expired_an_hour_ago_has_days_left_minus_one)
{
    X509 *leaf = device(fx.acme, fx.now - 30 * PKI_DAY, fx.now - 3600);
    provauth_verdict_t v = verify(leaf, fx.acme);

    ck_assert_status(v, PROVAUTH_STATUS_EXPIRED);
    ck_assert_int_eq(v.days_left, -1);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_not_yet_valid_leaf_is_not_yet_valid)
{
    X509 *leaf = device(fx.acme, fx.now + 2 * PKI_DAY, fx.now + PKI_YEAR);
    provauth_verdict_t v = verify(leaf, fx.acme);

    ck_assert_status(v, PROVAUTH_STATUS_NOT_YET_VALID);
    ck_assert_verify_error(v, X509_V_OK);
    ck_assert_ptr_null(v.reason);
    ck_assert_int_gt(v.days_left, 0);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_valid_leaf_under_expired_issuing_ca_is_expired)
{
    EVP_PKEY *ca_key = pki_make_key();
    X509 *issuing = pki_make_ca("Acme Old Issuing CA", ca_key, fx.acme->policy,
                                fx.acme->policy_key, pki_utc("20200101000000Z"),
                                pki_utc("20240101000000Z"));
    X509 *leaf = pki_make_leaf(MAC_CN, fx.leaf_key, issuing, ca_key, fx.now - PKI_DAY,
                               fx.now + PKI_YEAR, PKI_EKU_CLIENT_AUTH);
    STACK_OF(X509) *chain = pki_stack(issuing, fx.acme->policy, NULL);
    provauth_verdict_t v;

    ck_assert_int_eq(provauth_verify_chain(&v, &fx.trust, leaf, chain, fx.now, test_pool),
                     APR_SUCCESS);
    ck_assert_status(v, PROVAUTH_STATUS_EXPIRED);
    ck_assert_verify_error(v, X509_V_OK);
    ck_assert_int_gt(v.days_left, 0); /* the leaf itself is not expired */
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(leaf);
    pki_free_cert(issuing);
    pki_free_key(ca_key);
}
END_TEST

START_TEST(test_self_signed_leaf_with_mac_cn_fails_depth_zero_self_signed)
{
    X509 *leaf = pki_make_leaf(MAC_CN, fx.leaf_key, NULL, NULL, fx.now - PKI_DAY,
                               fx.now + PKI_YEAR, PKI_EKU_CLIENT_AUTH);
    provauth_verdict_t v = verify(leaf, NULL);

    ck_assert_status(v, PROVAUTH_STATUS_FAILED);
    ck_assert_verify_error(v, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    ck_assert_int_eq(v.error_depth, 0);
    ck_assert_ptr_nonnull(v.reason);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_expired_self_signed_leaf_is_failed_not_expired)
{
    X509 *leaf = pki_make_leaf(MAC_CN, fx.leaf_key, NULL, NULL,
                               pki_utc("20230101000000Z"),
                               pki_utc("20240630000000Z"), PKI_EKU_CLIENT_AUTH);
    provauth_verdict_t v = verify(leaf, NULL);

    ck_assert_status(v, PROVAUTH_STATUS_FAILED);
    ck_assert_verify_error(v, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    ck_assert_int_lt(v.days_left, 0);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_leaf_from_other_vendor_root_fails)
{
    X509 *leaf = device(fx.other, fx.now - PKI_DAY, fx.now + PKI_YEAR);
    provauth_verdict_t v = verify(leaf, fx.other);

    ck_assert_status(v, PROVAUTH_STATUS_FAILED);
    ck_assert_verify_error(v, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    ck_assert_ptr_nonnull(v.reason);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_leaf_from_other_vendor_with_its_root_sent_fails)
{
    X509 *leaf = device(fx.other, fx.now - PKI_DAY, fx.now + PKI_YEAR);
    STACK_OF(X509) *chain = pki_stack(fx.other->issuing, fx.other->policy, fx.other->root,
                                      NULL);
    provauth_verdict_t v;

    ck_assert_int_eq(provauth_verify_chain(&v, &fx.trust, leaf, chain, fx.now, test_pool),
                     APR_SUCCESS);
    ck_assert_status(v, PROVAUTH_STATUS_FAILED);
    ck_assert_verify_error(v, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN);
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_expired_leaf_from_other_vendor_root_is_failed_not_expired)
{
    X509 *leaf = expired_device(fx.other);
    provauth_verdict_t v = verify(leaf, fx.other);

    ck_assert_status(v, PROVAUTH_STATUS_FAILED);
    ck_assert_verify_error(v, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    pki_free_cert(leaf);
}
END_TEST

/* trust.crls = { crl }, owned by the caller's stack. */
static STACK_OF(X509_CRL) *crl_stack(X509_CRL *crl)
{
    STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();

    ck_assert_ptr_nonnull(crls);
    ck_assert_int_gt(sk_X509_CRL_push(crls, crl), 0);
    return crls;
}

/* Verify leaf with acme's peer chain and a CRL of acme's issuing CA
 * revoking serials[0..n), issued an hour ago, next due at next_update. */
static provauth_verdict_t verify_with_crl(X509 *leaf, const long *serials,
                                          size_t n, time_t next_update)
{
    X509_CRL *crl = pki_make_crl(fx.acme->issuing, fx.acme->issuing_key, serials, n,
                                 fx.now - 3600, next_update);
    provauth_verdict_t v;

    fx.trust.crls = crl_stack(crl);
    v = verify(leaf, fx.acme);
    sk_X509_CRL_pop_free(fx.trust.crls, X509_CRL_free);
    fx.trust.crls = NULL;
    return v;
}

START_TEST(test_revoked_leaf_fails_cert_revoked)
{
    X509 *leaf = valid_device();
    long serials[] = { 0x7777, pki_serial(leaf) };
    provauth_verdict_t v = verify_with_crl(leaf, serials, 2, fx.now + 7 * PKI_DAY);

    ck_assert_status(v, PROVAUTH_STATUS_FAILED);
    ck_assert_verify_error(v, X509_V_ERR_CERT_REVOKED);
    ck_assert_int_eq(v.error_depth, 0);
    ck_assert_ptr_nonnull(v.reason);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_revoked_expired_leaf_is_failed_not_expired)
{
    X509 *leaf = expired_device(fx.acme);
    long serials[] = { pki_serial(leaf) };
    provauth_verdict_t v = verify_with_crl(leaf, serials, 1, fx.now + 7 * PKI_DAY);

    ck_assert_status(v, PROVAUTH_STATUS_FAILED);
    ck_assert_verify_error(v, X509_V_ERR_CERT_REVOKED);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_revoked_leaf_with_stale_crl_still_fails_cert_revoked)
{
    X509 *leaf = valid_device();
    long serials[] = { pki_serial(leaf) };
    provauth_verdict_t v = verify_with_crl(leaf, serials, 1, fx.now - 60);

    ck_assert_status(v, PROVAUTH_STATUS_FAILED);
    ck_assert_verify_error(v, X509_V_ERR_CERT_REVOKED);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_crl_without_leaf_serial_leaves_leaf_valid)
{
    X509 *leaf = valid_device();
    long serials[] = { pki_serial(leaf) + 1000 };
    provauth_verdict_t v = verify_with_crl(leaf, serials, 1, fx.now + 7 * PKI_DAY);

    ck_assert_status(v, PROVAUTH_STATUS_VALID);
    ck_assert_verify_error(v, X509_V_OK);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_server_auth_only_leaf_fails_invalid_purpose)
{
    X509 *leaf = pki_make_leaf(MAC_CN, fx.leaf_key, fx.acme->issuing, fx.acme->issuing_key,
                               fx.now - PKI_DAY, fx.now + PKI_YEAR,
                               PKI_EKU_SERVER_AUTH_ONLY);
    provauth_verdict_t v = verify(leaf, fx.acme);

    ck_assert_status(v, PROVAUTH_STATUS_FAILED);
    ck_assert_verify_error(v, X509_V_ERR_INVALID_PURPOSE);
    ck_assert_int_eq(v.error_depth, 0);
    pki_free_cert(leaf);
}
END_TEST

/* A valid device whose notBefore or notAfter holds text that is no time
 * at all, re-signed by acme's issuing CA: OpenSSL parses it, and with time
 * checks off only the classification can notice. */
static X509 *device_with_bad_time(int not_after)
{
    X509 *leaf = valid_device();
    ASN1_TIME *field = not_after ? X509_getm_notAfter(leaf)
                                 : X509_getm_notBefore(leaf);

    ck_assert_int_eq(ASN1_STRING_set(field, "garbage", 7), 1);
    ck_assert_int_gt(X509_sign(leaf, fx.acme->issuing_key, EVP_sha256()), 0);
    return leaf;
}

START_TEST(test_malformed_not_after_is_failed_error_in_not_after_field)
{
    X509 *leaf = device_with_bad_time(1);
    provauth_verdict_t v = verify(leaf, fx.acme);

    ck_assert_status(v, PROVAUTH_STATUS_FAILED);
    ck_assert_verify_error(v, X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD);
    ck_assert_int_eq(v.error_depth, 0);
    ck_assert_ptr_nonnull(v.reason);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_malformed_not_before_is_failed)
{
    X509 *leaf = device_with_bad_time(0);
    provauth_verdict_t v = verify(leaf, fx.acme);

    ck_assert_status(v, PROVAUTH_STATUS_FAILED);
    ck_assert_verify_error(v, X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD);
    ck_assert_int_eq(v.error_depth, 0);
    ck_assert_ptr_nonnull(v.reason);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_null_leaf_is_none)
{
    provauth_verdict_t v = verify(NULL, fx.acme);

    ck_assert_status(v, PROVAUTH_STATUS_NONE);
    ck_assert_verify_error(v, X509_V_OK);
    ck_assert_int_eq(v.error_depth, -1);
    ck_assert_ptr_null(v.reason);
    ck_assert_ptr_null(v.subject);
}
END_TEST

START_TEST(test_null_anchors_fail_with_reason)
{
    X509 *leaf = valid_device();
    provauth_verdict_t v;

    fx.trust.anchors = NULL;
    v = verify(leaf, fx.acme);
    ck_assert_status(v, PROVAUTH_STATUS_FAILED);
    ck_assert_ptr_nonnull(v.reason);
    ck_assert_msg(strstr(v.reason, "anchor") != NULL,
                  "reason: expected to mention anchors, got '%s'", v.reason);
    ck_assert_ptr_nonnull(v.subject); /* identity still filled for logs */
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_verdict_names_subject_issuer_and_serial)
{
    X509 *leaf;
    provauth_verdict_t v;

    pki_set_next_serial(0xABCDEF01L);
    leaf = valid_device();
    v = verify(leaf, fx.acme);
    ck_assert_status(v, PROVAUTH_STATUS_VALID);
    ck_assert_ptr_nonnull(v.subject);
    ck_assert_msg(strstr(v.subject, "CN=" MAC_CN) != NULL,
                  "subject: expected to contain 'CN=%s', got '%s'", MAC_CN,
                  v.subject);
    ck_assert_str_eq(v.issuer, "CN=Acme Issuing CA");
    ck_assert_str_eq(v.serial, "ABCDEF01");
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_failed_verdict_still_names_the_leaf)
{
    X509 *leaf = device(fx.other, fx.now - PKI_DAY, fx.now + PKI_YEAR);
    provauth_verdict_t v = verify(leaf, fx.other);
    char serial[32];

    snprintf(serial, sizeof(serial), "%lX", pki_serial(leaf));
    ck_assert_status(v, PROVAUTH_STATUS_FAILED);
    ck_assert_str_eq(v.subject, "CN=" MAC_CN);
    ck_assert_str_eq(v.issuer, "CN=Other Issuing CA");
    ck_assert_str_eq(v.serial, serial);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_status_names)
{
    ck_assert_str_eq(provauth_status_name(PROVAUTH_STATUS_NONE), "NONE");
    ck_assert_str_eq(provauth_status_name(PROVAUTH_STATUS_VALID), "VALID");
    ck_assert_str_eq(provauth_status_name(PROVAUTH_STATUS_EXPIRED), "EXPIRED");
    ck_assert_str_eq(provauth_status_name(PROVAUTH_STATUS_NOT_YET_VALID),
                     "NOT_YET_VALID");
    ck_assert_str_eq(provauth_status_name(PROVAUTH_STATUS_FAILED), "FAILED");
    ck_assert_str_eq(provauth_status_name((provauth_status_e)42), "NONE");
}
END_TEST

START_TEST(test_anchors_loaded_from_pem_file_verify_valid_leaf)
{
    X509 *roots[] = { fx.other->root, fx.acme->root };
    char *path = pki_write_pem(test_dir, "anchors.pem", roots, 2, NULL, 0);
    X509 *leaf = valid_device();
    const char *why = NULL;
    provauth_verdict_t v;

    ck_assert_int_eq(provauth_load_anchors(&fx.trust.anchors, path, test_pool, &why),
                     APR_SUCCESS);
    v = verify(leaf, fx.acme);
    ck_assert_status(v, PROVAUTH_STATUS_VALID);
    pki_free_cert(leaf);
    free(path);
}
END_TEST

START_TEST(test_anchors_contain_finds_a_root_by_content_only)
{
    ck_assert_msg(provauth_anchors_contain(fx.anchors, fx.acme->root) == 1,
                  "acme's root: expected 1 (trusted), got 0");
    ck_assert_msg(provauth_anchors_contain(fx.anchors, fx.other->root) == 0,
                  "other vendor's root: expected 0, got 1");
    ck_assert_msg(provauth_anchors_contain(fx.anchors, fx.acme->issuing) == 0,
                  "acme's issuing CA (not an anchor): expected 0, got 1");
    ck_assert_msg(provauth_anchors_contain(NULL, fx.acme->root) == 0,
                  "no store: expected 0, got 1");
}
END_TEST

START_TEST(test_anchors_contain_no_root_that_only_shares_an_anchors_name)
{
    /* Same subject "Acme Root CA", another key: the handshake shortcut must
     * not take a chain ending there for one ending at acme's root. */
    EVP_PKEY *namesake_key = pki_make_key();
    X509 *namesake = pki_make_ca("Acme Root CA", namesake_key, NULL, NULL,
                                 fx.now - PKI_YEAR, fx.now + 10 * PKI_YEAR);

    ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(namesake),
                                   X509_get_subject_name(fx.acme->root)), 0);
    ck_assert_msg(provauth_anchors_contain(fx.anchors, namesake) == 0,
                  "root named like acme's with another key: expected 0, got 1");
    pki_free_cert(namesake);
    pki_free_key(namesake_key);
}
END_TEST

Suite *verify_suite(void)
{
    Suite *s = suite_create("verify");
    TCase *tc = tcase_create("verify_chain");

    tcase_add_unchecked_fixture(tc, test_dir_make, test_dir_remove);
    tcase_add_checked_fixture(tc, trust_fixture_setup, trust_fixture_teardown);
    tcase_add_test(tc, test_valid_leaf_with_full_peer_chain_is_valid);
    tcase_add_test(tc, test_leaf_only_with_configured_intermediates_is_valid);
    tcase_add_test(tc, test_leaf_only_without_intermediates_fails_unable_to_get_issuer_locally);
    tcase_add_test(tc, test_expired_leaf_with_valid_chain_is_expired_not_failed);
    tcase_add_test(tc, test_leaf_expired_an_hour_ago_has_days_left_minus_one);
    tcase_add_test(tc, test_not_yet_valid_leaf_is_not_yet_valid);
    tcase_add_test(tc, test_valid_leaf_under_expired_issuing_ca_is_expired);
    tcase_add_test(tc, test_self_signed_leaf_with_mac_cn_fails_depth_zero_self_signed);
    tcase_add_test(tc, test_expired_self_signed_leaf_is_failed_not_expired);
    tcase_add_test(tc, test_leaf_from_other_vendor_root_fails);
    tcase_add_test(tc, test_leaf_from_other_vendor_with_its_root_sent_fails);
    tcase_add_test(tc, test_expired_leaf_from_other_vendor_root_is_failed_not_expired);
    tcase_add_test(tc, test_revoked_leaf_fails_cert_revoked);
    tcase_add_test(tc, test_revoked_expired_leaf_is_failed_not_expired);
    tcase_add_test(tc, test_revoked_leaf_with_stale_crl_still_fails_cert_revoked);
    tcase_add_test(tc, test_crl_without_leaf_serial_leaves_leaf_valid);
    tcase_add_test(tc, test_server_auth_only_leaf_fails_invalid_purpose);
    tcase_add_test(tc, test_malformed_not_after_is_failed_error_in_not_after_field);
    tcase_add_test(tc, test_malformed_not_before_is_failed);
    tcase_add_test(tc, test_null_leaf_is_none);
    tcase_add_test(tc, test_null_anchors_fail_with_reason);
    tcase_add_test(tc, test_verdict_names_subject_issuer_and_serial);
    tcase_add_test(tc, test_failed_verdict_still_names_the_leaf);
    tcase_add_test(tc, test_status_names);
    tcase_add_test(tc, test_anchors_loaded_from_pem_file_verify_valid_leaf);
    tcase_add_test(tc, test_anchors_contain_finds_a_root_by_content_only);
    tcase_add_test(tc, test_anchors_contain_no_root_that_only_shares_an_anchors_name);
    suite_add_tcase(s, tc);
    return s;
}
