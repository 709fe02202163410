/* test_lint.c: provauth_lint_anchors, _intermediates and _depth_needed on
 * vendor hierarchies: which certificates are named, and which are not. */
#include <string.h>

#include <openssl/x509_vfy.h>

#include "provauth_lint.h"
#include "test_pki.h"

static pki_vendor_t *acme, *other;
static EVP_PKEY *leaf_key;
static X509 *leaf;

static void setup(void)
{
    time_t now = time(NULL);

    test_pool_setup();
    acme = pki_vendor_new("Acme");
    other = pki_vendor_new("Other");
    leaf_key = pki_make_key();
    leaf = pki_make_leaf("0004f2abcdef", leaf_key, acme->issuing, acme->issuing_key,
                         now - PKI_DAY, now + PKI_YEAR, PKI_EKU_CLIENT_AUTH);
}

static void teardown(void)
{
    pki_free_cert(leaf);
    pki_free_key(leaf_key);
    pki_vendor_free(other);
    pki_vendor_free(acme);
    test_pool_teardown();
}

static const provauth_lint_finding_t *finding(const apr_array_header_t *findings, int i)
{
    return &APR_ARRAY_IDX(findings, i, provauth_lint_finding_t);
}

#define ck_assert_finding(findings, i, expected_kind, expected_subject)          \
    do {                                                                       \
        ck_assert_int_gt((findings)->nelts, (i));                              \
        ck_assert_int_eq(finding((findings), (i))->kind, (expected_kind));     \
        ck_assert_str_eq(finding((findings), (i))->subject, (expected_subject)); \
    } while (0)

static apr_array_header_t *lint_store(X509_STORE *store)
{
    apr_array_header_t *findings = provauth_lint_anchors(store, test_pool);

    X509_STORE_free(store);
    ck_assert_ptr_nonnull(findings);
    return findings;
}

START_TEST(test_roots_as_anchors_are_fine)
{
    ck_assert_int_eq(lint_store(pki_store(acme->root, other->root, NULL))->nelts, 0);
}
END_TEST

START_TEST(test_issuing_ca_as_the_only_anchor_is_named_with_its_issuer)
{
    apr_array_header_t *findings = lint_store(pki_store(acme->issuing, NULL));

    ck_assert_int_eq(findings->nelts, 1);
    ck_assert_finding(findings, 0, PROVAUTH_LINT_ANCHOR_NOT_ROOT, "CN=Acme Issuing CA");
    ck_assert_str_eq(finding(findings, 0)->issuer, "CN=Acme Policy CA");
}
END_TEST

START_TEST(test_intermediates_without_their_root_are_each_named)
{
    apr_array_header_t *findings = lint_store(pki_store(acme->issuing, acme->policy,
                                                        other->root, NULL));

    ck_assert_int_eq(findings->nelts, 2);
}
END_TEST

START_TEST(test_intermediates_beside_their_root_anchor_nothing_wrong)
{
    ck_assert_int_eq(lint_store(pki_store(acme->issuing, acme->policy, acme->root,
                                          NULL))->nelts, 0);
}
END_TEST

START_TEST(test_no_anchors_no_findings)
{
    apr_array_header_t *findings = provauth_lint_anchors(NULL, test_pool);

    ck_assert_ptr_nonnull(findings);
    ck_assert_int_eq(findings->nelts, 0);
}
END_TEST

START_TEST(test_vendor_intermediates_are_fine)
{
    STACK_OF(X509) *certs = pki_stack(acme->issuing, acme->policy, other->issuing, NULL);

    ck_assert_int_eq(provauth_lint_intermediates(certs, test_pool)->nelts, 0);
    sk_X509_pop_free(certs, X509_free);
}
END_TEST

START_TEST(test_root_and_device_among_intermediates_are_named)
{
    STACK_OF(X509) *certs = pki_stack(acme->issuing, acme->root, leaf, NULL);
    apr_array_header_t *findings = provauth_lint_intermediates(certs, test_pool);

    ck_assert_int_eq(findings->nelts, 2);
    ck_assert_finding(findings, 0, PROVAUTH_LINT_INTERMEDIATE_IS_ROOT, "CN=Acme Root CA");
    ck_assert_finding(findings, 1, PROVAUTH_LINT_INTERMEDIATE_NOT_CA, "CN=0004f2abcdef");
    ck_assert_str_eq(finding(findings, 1)->issuer, "CN=Acme Issuing CA");
    sk_X509_pop_free(certs, X509_free);
}
END_TEST

START_TEST(test_depth_needed_follows_the_longest_chain)
{
    STACK_OF(X509) *full = pki_stack(acme->issuing, acme->policy, other->issuing, NULL);
    STACK_OF(X509) *issuing = pki_stack(other->issuing, NULL);
    STACK_OF(X509) *with_root = pki_stack(acme->root, acme->policy, acme->issuing, NULL);
    STACK_OF(X509) *devices = pki_stack(leaf, acme->root, NULL);

    /* device, issuing CA, policy CA, root */
    ck_assert_int_eq(provauth_lint_depth_needed(full), 3);
    ck_assert_int_eq(provauth_lint_depth_needed(issuing), 2);
    ck_assert_int_eq(provauth_lint_depth_needed(with_root), 3);
    ck_assert_int_eq(provauth_lint_depth_needed(devices), 0);
    ck_assert_int_eq(provauth_lint_depth_needed(NULL), 0);
    sk_X509_pop_free(full, X509_free);
    sk_X509_pop_free(issuing, X509_free);
    sk_X509_pop_free(with_root, X509_free);
    sk_X509_pop_free(devices, X509_free);
}
END_TEST

/* Two CAs that issued each other (cross-certification gone round): the
 * walk up the issuers must end. */
START_TEST(test_issuer_loops_end)
{
    time_t now = time(NULL);
    EVP_PKEY *key_a = pki_make_key(), *key_b = pki_make_key();
    X509 *a_root = pki_make_ca("Loop A", key_a, NULL, NULL, now - PKI_DAY, now + PKI_YEAR);
    X509 *b = pki_make_ca("Loop B", key_b, a_root, key_a, now - PKI_DAY, now + PKI_YEAR);
    X509 *a = pki_make_ca("Loop A", key_a, b, key_b, now - PKI_DAY, now + PKI_YEAR);
    STACK_OF(X509) *loop = pki_stack(a, b, NULL);
    apr_array_header_t *findings = lint_store(pki_store(a, b, NULL));

    ck_assert_int_eq(findings->nelts, 2);
    ck_assert_int_le(provauth_lint_depth_needed(loop), 4);
    sk_X509_pop_free(loop, X509_free);
    pki_free_cert(a);
    pki_free_cert(b);
    pki_free_cert(a_root);
    pki_free_key(key_a);
    pki_free_key(key_b);
}
END_TEST

START_TEST(test_pinned_roots_missing_from_the_handshake_are_named)
{
    X509_STORE *pinned = pki_store(acme->root, other->root, NULL);
    X509_STORE *handshake = pki_store(other->root, NULL);
    X509_STORE *both = pki_store(other->root, acme->root, NULL);
    apr_array_header_t *findings = provauth_lint_roots_missing(pinned, handshake,
                                                               test_pool);

    ck_assert_ptr_nonnull(findings);
    ck_assert_int_eq(findings->nelts, 1);
    ck_assert_finding(findings, 0, PROVAUTH_LINT_ROOT_NOT_IN_HANDSHAKE, "CN=Acme Root CA");
    ck_assert_int_eq(provauth_lint_roots_missing(pinned, both, test_pool)->nelts, 0);
    ck_assert_int_eq(provauth_lint_roots_missing(NULL, both, test_pool)->nelts, 0);
    X509_STORE_free(pinned);
    X509_STORE_free(handshake);
    X509_STORE_free(both);
}
END_TEST

START_TEST(test_pinned_intermediates_are_not_asked_of_the_handshake)
{
    X509_STORE *pinned = pki_store(acme->issuing, acme->root, NULL);
    X509_STORE *handshake = pki_store(acme->root, NULL);

    ck_assert_int_eq(provauth_lint_roots_missing(pinned, handshake, test_pool)->nelts, 0);
    X509_STORE_free(pinned);
    X509_STORE_free(handshake);
}
END_TEST

Suite *lint_suite(void)
{
    Suite *s = suite_create("lint");
    TCase *tc = tcase_create("lint");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_roots_as_anchors_are_fine);
    tcase_add_test(tc, test_issuing_ca_as_the_only_anchor_is_named_with_its_issuer);
    tcase_add_test(tc, test_intermediates_without_their_root_are_each_named);
    tcase_add_test(tc, test_intermediates_beside_their_root_anchor_nothing_wrong);
    tcase_add_test(tc, test_no_anchors_no_findings);
    tcase_add_test(tc, test_vendor_intermediates_are_fine);
    tcase_add_test(tc, test_root_and_device_among_intermediates_are_named);
    tcase_add_test(tc, test_depth_needed_follows_the_longest_chain);
    tcase_add_test(tc, test_issuer_loops_end);
    tcase_add_test(tc, test_pinned_roots_missing_from_the_handshake_are_named);
    tcase_add_test(tc, test_pinned_intermediates_are_not_asked_of_the_handshake);
    suite_add_tcase(s, tc);
    return s;
}
