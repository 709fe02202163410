/* test_crl_check.c: ProvAuthCRLCheck's modes in provauth_verify_chain (none,
 * leaf, chain, each with and without no_crl_for_cert_ok, against a missing
 * CRL, a revoked device and a revoked CA), and provauth_cas_without_crl,
 * which names the CAs the startup warning is about. */
#include <string.h>

#include <apr_strings.h>
#include <openssl/x509_vfy.h>

#include "provauth_crl.h"
#include "provauth_verify.h"
#include "test_pki.h"

static pki_vendor_t *acme, *other;
static EVP_PKEY *key;
static X509 *good, *revoked;
static X509_CRL *issuing_crl, *policy_crl, *root_crl, *root_revokes_policy;
static X509_STORE *anchors;
static STACK_OF(X509) *intermediates;

static void setup(void)
{
    long serial;

    test_pool_setup();
    acme = pki_vendor_new("Acme");
    other = pki_vendor_new("Other");
    key = pki_make_key();
    good = pki_make_leaf("0004f2000001", key, acme->issuing, acme->issuing_key,
                         pki_now_plus(-PKI_DAY), pki_now_plus(PKI_YEAR),
                         PKI_EKU_CLIENT_AUTH);
    revoked = pki_make_leaf("0004f2000008", key, acme->issuing, acme->issuing_key,
                            pki_now_plus(-PKI_DAY), pki_now_plus(PKI_YEAR),
                            PKI_EKU_CLIENT_AUTH);
    serial = pki_serial(revoked);
    issuing_crl = pki_make_crl(acme->issuing, acme->issuing_key, &serial, 1,
                               pki_now_plus(-PKI_DAY), pki_now_plus(PKI_YEAR));
    policy_crl = pki_make_crl(acme->policy, acme->policy_key, NULL, 0,
                              pki_now_plus(-PKI_DAY), pki_now_plus(PKI_YEAR));
    root_crl = pki_make_crl(acme->root, acme->root_key, NULL, 0,
                            pki_now_plus(-PKI_DAY), pki_now_plus(PKI_YEAR));
    serial = pki_serial(acme->policy);
    root_revokes_policy = pki_make_crl(acme->root, acme->root_key, &serial, 1,
                                       pki_now_plus(-PKI_DAY), pki_now_plus(PKI_YEAR));
    anchors = pki_store(acme->root, NULL);
    intermediates = pki_stack(acme->issuing, acme->policy, NULL);
}

static void teardown(void)
{
    sk_X509_pop_free(intermediates, X509_free);
    X509_STORE_free(anchors);
    pki_free_crl(root_revokes_policy);
    pki_free_crl(root_crl);
    pki_free_crl(policy_crl);
    pki_free_crl(issuing_crl);
    pki_free_cert(revoked);
    pki_free_cert(good);
    pki_free_key(key);
    pki_vendor_free(other);
    pki_vendor_free(acme);
    test_pool_teardown();
}

/* A stack of the NULL-terminated CRLs (borrowed), freed with the pool. */
static apr_status_t free_stack(void *crls)
{
    sk_X509_CRL_free(crls);
    return APR_SUCCESS;
}

static STACK_OF(X509_CRL) *crls_of(X509_CRL *first, X509_CRL *second, X509_CRL *third)
{
    STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();

    ck_assert_ptr_nonnull(crls);
    if (first) {
        sk_X509_CRL_push(crls, first);
    }
    if (second) {
        sk_X509_CRL_push(crls, second);
    }
    if (third) {
        sk_X509_CRL_push(crls, third);
    }
    apr_pool_cleanup_register(test_pool, crls, free_stack, apr_pool_cleanup_null);
    return crls;
}

static provauth_trust_t trust_of(provauth_crl_check_e mode, int missing_ok,
                                 STACK_OF(X509_CRL) *crls)
{
    provauth_trust_t trust;

    memset(&trust, 0, sizeof(trust));
    trust.anchors = anchors;
    trust.intermediates = intermediates;
    trust.crls = crls;
    trust.crl_check = mode;
    trust.missing_crl_ok = missing_ok;
    return trust;
}

/* The status (and, when FAILED, OpenSSL's reason, without the hint that
 * follows it) of leaf under trust. */
static const char *verdict_of(X509 *leaf, provauth_trust_t trust)
{
    provauth_verdict_t verdict;

    ck_assert_int_eq(provauth_verify_chain(&verdict, &trust, leaf, NULL, time(NULL),
                                           test_pool), APR_SUCCESS);
    if (verdict.status == PROVAUTH_STATUS_FAILED) {
        const char *colon = strstr(verdict.reason, ": ");

        return colon ? apr_pstrndup(test_pool, verdict.reason,
                                    (apr_size_t)(colon - verdict.reason))
                     : verdict.reason;
    }
    return provauth_status_name(verdict.status);
}

#define LEAF  PROVAUTH_CRL_CHECK_LEAF
#define CHAIN PROVAUTH_CRL_CHECK_CHAIN
#define NONE  PROVAUTH_CRL_CHECK_NONE
#define NO_CRL "unable to get certificate CRL"

START_TEST(test_leaf_checks_the_device_against_its_issuers_crl)
{
    STACK_OF(X509_CRL) *crls = crls_of(issuing_crl, NULL, NULL);

    ck_assert_str_eq(verdict_of(good, trust_of(LEAF, 0, crls)), "VALID");
    ck_assert_str_eq(verdict_of(revoked, trust_of(LEAF, 0, crls)), "certificate revoked");
}
END_TEST

START_TEST(test_leaf_refuses_a_device_whose_issuer_has_no_crl)
{
    STACK_OF(X509_CRL) *crls = crls_of(policy_crl, root_crl, NULL);

    ck_assert_str_eq(verdict_of(good, trust_of(LEAF, 0, crls)), NO_CRL);
    /* The default with a CRL file is the same: leaf, strict. */
    ck_assert_str_eq(verdict_of(good, trust_of(PROVAUTH_CRL_CHECK_DEFAULT, 0, crls)),
                     NO_CRL);
}
END_TEST

START_TEST(test_leaf_no_crl_for_cert_ok_passes_a_missing_crl_but_a_present_one_revokes)
{
    ck_assert_str_eq(verdict_of(good, trust_of(LEAF, 1, crls_of(policy_crl, NULL, NULL))),
                     "VALID");
    ck_assert_str_eq(verdict_of(revoked, trust_of(LEAF, 1, crls_of(issuing_crl, NULL,
                                                                   NULL))),
                     "certificate revoked");
}
END_TEST

START_TEST(test_leaf_does_not_check_the_cas)
{
    STACK_OF(X509_CRL) *crls = crls_of(issuing_crl, root_revokes_policy, NULL);

    ck_assert_str_eq(verdict_of(good, trust_of(LEAF, 0, crls)), "VALID");
}
END_TEST

START_TEST(test_chain_needs_a_crl_from_every_ca)
{
    ck_assert_str_eq(verdict_of(good, trust_of(CHAIN, 0, crls_of(issuing_crl, NULL,
                                                                 NULL))), NO_CRL);
    ck_assert_str_eq(verdict_of(good, trust_of(CHAIN, 0, crls_of(issuing_crl, policy_crl,
                                                                 NULL))), NO_CRL);
    ck_assert_str_eq(verdict_of(good, trust_of(CHAIN, 0, crls_of(issuing_crl, policy_crl,
                                                                 root_crl))), "VALID");
    ck_assert_str_eq(verdict_of(revoked, trust_of(CHAIN, 0, crls_of(issuing_crl,
                                                                    policy_crl,
                                                                    root_crl))),
                     "certificate revoked");
}
END_TEST

START_TEST(test_chain_refuses_a_revoked_ca)
{
    STACK_OF(X509_CRL) *crls = crls_of(issuing_crl, policy_crl, root_revokes_policy);

    ck_assert_str_eq(verdict_of(good, trust_of(CHAIN, 0, crls)), "certificate revoked");
    ck_assert_str_eq(verdict_of(good, trust_of(CHAIN, 1, crls)), "certificate revoked");
}
END_TEST

START_TEST(test_chain_no_crl_for_cert_ok_passes_missing_crls_but_present_ones_revoke)
{
    ck_assert_str_eq(verdict_of(good, trust_of(CHAIN, 1, crls_of(issuing_crl, NULL,
                                                                 NULL))), "VALID");
    ck_assert_str_eq(verdict_of(revoked, trust_of(CHAIN, 1, crls_of(issuing_crl, NULL,
                                                                    NULL))),
                     "certificate revoked");
    ck_assert_str_eq(verdict_of(good, trust_of(CHAIN, 1, crls_of(root_revokes_policy,
                                                                 NULL, NULL))),
                     "certificate revoked");
}
END_TEST

START_TEST(test_none_checks_nothing)
{
    STACK_OF(X509_CRL) *crls = crls_of(issuing_crl, root_revokes_policy, NULL);

    ck_assert_str_eq(verdict_of(revoked, trust_of(NONE, 0, crls)), "VALID");
    ck_assert_str_eq(verdict_of(good, trust_of(NONE, 0, crls_of(policy_crl, NULL, NULL))),
                     "VALID");
}
END_TEST

START_TEST(test_none_also_switches_off_the_stores_own_crl_check)
{
    X509_STORE *store = pki_store(acme->root, NULL);
    provauth_trust_t trust = trust_of(NONE, 0, NULL);

    /* A store set up as mod_ssl's with SSLCARevocationCheck chain. */
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    trust.anchors = store;
    ck_assert_str_eq(verdict_of(good, trust), "VALID");
    trust.crl_check = PROVAUTH_CRL_CHECK_DEFAULT;
    ck_assert_str_eq(verdict_of(good, trust), NO_CRL);
    trust.crl_check = LEAF;
    trust.crls = crls_of(issuing_crl, NULL, NULL);
    ck_assert_str_eq(verdict_of(good, trust), "VALID");
    X509_STORE_free(store);
}
END_TEST

#define CHECK X509_V_FLAG_CRL_CHECK
#define CHECK_ALL X509_V_FLAG_CRL_CHECK_ALL

static unsigned long flags_of(provauth_crl_check_e mode, STACK_OF(X509_CRL) *crls)
{
    provauth_trust_t trust = trust_of(mode, 0, crls);

    return provauth_crl_flags(&trust);
}

START_TEST(test_crl_flags_by_mode_and_store)
{
    STACK_OF(X509_CRL) *crls = crls_of(issuing_crl, NULL, NULL);
    X509_STORE *store = pki_store(acme->root, NULL);
    provauth_trust_t t;

    /* An anchor store of our own: no flags. */
    ck_assert_uint_eq(flags_of(NONE, crls), 0);
    ck_assert_uint_eq(flags_of(LEAF, NULL), CHECK);
    ck_assert_uint_eq(flags_of(CHAIN, NULL), CHECK | CHECK_ALL);
    ck_assert_uint_eq(flags_of(PROVAUTH_CRL_CHECK_DEFAULT, NULL), 0);
    ck_assert_uint_eq(flags_of(PROVAUTH_CRL_CHECK_DEFAULT, crls), CHECK);
    t = trust_of(PROVAUTH_CRL_CHECK_DEFAULT, 0, crls);
    t.anchors = NULL;
    ck_assert_uint_eq(provauth_crl_flags(&t), CHECK);
    /* mod_ssl's store with SSLCARevocationCheck chain: kept by the default
     * mode only; other flags of the store are never reported. */
    X509_STORE_set_flags(store, CHECK | CHECK_ALL | X509_V_FLAG_PARTIAL_CHAIN);
    t = trust_of(PROVAUTH_CRL_CHECK_DEFAULT, 1, NULL);
    t.anchors = store;
    ck_assert_uint_eq(provauth_crl_flags(&t), CHECK | CHECK_ALL);
    ck_assert(provauth_crl_check_chain(&t) && !provauth_crl_check_strict(&t));
    t.crl_check = LEAF;
    ck_assert_uint_eq(provauth_crl_flags(&t), CHECK);
    ck_assert(!provauth_crl_check_chain(&t));
    t.crl_check = NONE;
    ck_assert_uint_eq(provauth_crl_flags(&t), 0);
    X509_STORE_free(store);
    /* CRL_CHECK_ALL means nothing without CRL_CHECK. */
    store = pki_store(acme->root, NULL);
    X509_STORE_set_flags(store, CHECK_ALL);
    t = trust_of(PROVAUTH_CRL_CHECK_DEFAULT, 0, NULL);
    t.anchors = store;
    ck_assert(!provauth_crl_check_chain(&t) && !provauth_crl_check_strict(&t));
    t.crls = crls;
    ck_assert(provauth_crl_check_chain(&t) && provauth_crl_check_strict(&t));
    X509_STORE_free(store);
}
END_TEST

/* ---- the CAs the startup warning names ---- */

static int names(const apr_array_header_t *cas, const X509 *ca)
{
    int i;

    for (i = 0; i < cas->nelts; i++) {
        if (X509_cmp(APR_ARRAY_IDX(cas, i, X509 *), ca) == 0) {
            return 1;
        }
    }
    return 0;
}

START_TEST(test_strictness)
{
    STACK_OF(X509_CRL) *crls = crls_of(issuing_crl, NULL, NULL);
    provauth_trust_t t;

    t = trust_of(PROVAUTH_CRL_CHECK_DEFAULT, 0, crls);
    ck_assert(provauth_crl_check_strict(&t) && !provauth_crl_check_chain(&t));
    t = trust_of(PROVAUTH_CRL_CHECK_DEFAULT, 0, NULL);
    ck_assert(!provauth_crl_check_strict(&t));
    t = trust_of(PROVAUTH_CRL_CHECK_DEFAULT, 1, crls);   /* mod_ssl's store */
    ck_assert(!provauth_crl_check_strict(&t));
    t = trust_of(LEAF, 0, NULL);
    ck_assert(provauth_crl_check_strict(&t));
    t = trust_of(LEAF, 1, crls);
    ck_assert(!provauth_crl_check_strict(&t));
    t = trust_of(CHAIN, 0, crls);
    ck_assert(provauth_crl_check_strict(&t) && provauth_crl_check_chain(&t));
    t = trust_of(NONE, 0, crls);
    ck_assert(!provauth_crl_check_strict(&t));
}
END_TEST

START_TEST(test_leaf_mode_names_the_issuing_ca_without_a_crl)
{
    provauth_trust_t t = trust_of(LEAF, 0, crls_of(policy_crl, root_crl, NULL));
    apr_array_header_t *cas = provauth_cas_without_crl(&t, test_pool);

    ck_assert_int_eq(cas->nelts, 1);
    ck_assert(names(cas, acme->issuing));
    t = trust_of(LEAF, 0, crls_of(issuing_crl, NULL, NULL));
    ck_assert_int_eq(provauth_cas_without_crl(&t, test_pool)->nelts, 0);
}
END_TEST

START_TEST(test_chain_mode_names_every_ca_without_a_crl)
{
    provauth_trust_t t = trust_of(CHAIN, 0, crls_of(issuing_crl, NULL, NULL));
    apr_array_header_t *cas = provauth_cas_without_crl(&t, test_pool);

    ck_assert_int_eq(cas->nelts, 2);
    ck_assert(names(cas, acme->root));
    ck_assert(names(cas, acme->policy));
}
END_TEST

START_TEST(test_lenient_or_no_check_names_nobody)
{
    provauth_trust_t t = trust_of(CHAIN, 1, crls_of(issuing_crl, NULL, NULL));

    ck_assert_int_eq(provauth_cas_without_crl(&t, test_pool)->nelts, 0);
    t = trust_of(NONE, 0, NULL);
    ck_assert_int_eq(provauth_cas_without_crl(&t, test_pool)->nelts, 0);
    t = trust_of(PROVAUTH_CRL_CHECK_DEFAULT, 0, NULL);
    ck_assert_int_eq(provauth_cas_without_crl(&t, test_pool)->nelts, 0);
}
END_TEST

START_TEST(test_intermediates_that_do_not_chain_to_an_anchor_are_not_named)
{
    provauth_trust_t t = trust_of(LEAF, 0, crls_of(issuing_crl, NULL, NULL));
    STACK_OF(X509) *mixed = pki_stack(acme->issuing, acme->policy, other->issuing,
                                      other->policy, NULL);
    apr_array_header_t *cas;

    t.intermediates = mixed;
    cas = provauth_cas_without_crl(&t, test_pool);
    ck_assert_int_eq(cas->nelts, 0);
    sk_X509_pop_free(mixed, X509_free);
}
END_TEST

START_TEST(test_store_crls_count)
{
    X509_STORE *store = pki_store(acme->root, NULL);
    provauth_trust_t t = trust_of(CHAIN, 0, crls_of(issuing_crl, NULL, NULL));

    ck_assert(X509_STORE_add_crl(store, root_crl) == 1);
    ck_assert(X509_STORE_add_crl(store, policy_crl) == 1);
    t.anchors = store;
    ck_assert_int_eq(provauth_cas_without_crl(&t, test_pool)->nelts, 0);
    X509_STORE_free(store);
}
END_TEST

Suite *crl_check_suite(void)
{
    Suite *suite = suite_create("crl_check");
    TCase *tc = tcase_create("modes");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_leaf_checks_the_device_against_its_issuers_crl);
    tcase_add_test(tc, test_leaf_refuses_a_device_whose_issuer_has_no_crl);
    tcase_add_test(tc, test_leaf_no_crl_for_cert_ok_passes_a_missing_crl_but_a_present_one_revokes);
    tcase_add_test(tc, test_leaf_does_not_check_the_cas);
    tcase_add_test(tc, test_chain_needs_a_crl_from_every_ca);
    tcase_add_test(tc, test_chain_refuses_a_revoked_ca);
    tcase_add_test(tc, test_chain_no_crl_for_cert_ok_passes_missing_crls_but_present_ones_revoke);
    tcase_add_test(tc, test_none_checks_nothing);
    tcase_add_test(tc, test_none_also_switches_off_the_stores_own_crl_check);
    tcase_add_test(tc, test_crl_flags_by_mode_and_store);
    tcase_add_test(tc, test_strictness);
    tcase_add_test(tc, test_leaf_mode_names_the_issuing_ca_without_a_crl);
    tcase_add_test(tc, test_chain_mode_names_every_ca_without_a_crl);
    tcase_add_test(tc, test_lenient_or_no_check_names_nobody);
    tcase_add_test(tc, test_intermediates_that_do_not_chain_to_an_anchor_are_not_named);
    tcase_add_test(tc, test_store_crls_count);
    suite_add_tcase(suite, tc);
    return suite;
}
