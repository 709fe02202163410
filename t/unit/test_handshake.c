/* test_handshake.c: provauth_is_time_error, and provauth_handshake_verify_cb and
 * _attach driven through X509_verify_cert with an SSL from a real SSL_CTX (no TLS). */
#include <string.h>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "provauth_handshake.h"
#include "test_pki.h"

#define MAC_CN "0004f2abcdef"
#define MAX_CALLS 32

static pki_vendor_t *acme, *other;
static EVP_PKEY *leaf_key;
static X509_STORE *anchors;   /* acme's root */
static time_t now;

/* What the inner (mod_ssl's) callback was called with, in order. */
static struct call {
    int ok;      /* the ok it received */
    int error;   /* X509_STORE_CTX_get_error at that moment */
    int depth;   /* X509_STORE_CTX_get_error_depth at that moment */
} calls[MAX_CALLS];
static int ncalls;

/* The inner callback: records, then returns its ok unchanged. */
static int recorder(int ok, X509_STORE_CTX *store_ctx)
{
    if (ncalls < MAX_CALLS) {
        calls[ncalls].ok = ok;
        calls[ncalls].error = X509_STORE_CTX_get_error(store_ctx);
        calls[ncalls].depth = X509_STORE_CTX_get_error_depth(store_ctx);
    }
    ncalls++;
    return ok;
}

/* Another callback, standing for one that was installed before attach. */
static int original_cb(int ok, X509_STORE_CTX *store_ctx)
{
    (void)store_ctx;
    return ok;
}

static const char *cb_name(SSL_verify_cb cb)
{
    return cb == NULL ? "NULL"
         : cb == provauth_handshake_verify_cb ? "provauth_handshake_verify_cb"
         : cb == recorder ? "recorder"
         : cb == original_cb ? "original_cb"
         : "another callback";
}

#define ck_assert_cb_eq(actual, expected)                                      \
    ck_assert_msg((actual) == (expected), "verify callback: expected %s, got %s", \
                  cb_name(expected), cb_name(actual))

static int calls_at_depth(int depth)
{
    int i, n = 0;

    for (i = 0; i < ncalls && i < MAX_CALLS; i++) {
        n += calls[i].depth == depth;
    }
    return n;
}

static int calls_with_ok(int ok)
{
    int i, n = 0;

    for (i = 0; i < ncalls && i < MAX_CALLS; i++) {
        n += calls[i].ok == ok;
    }
    return n;
}

static void setup(void)
{
    test_pool_setup();
    acme = pki_vendor_new("Acme");
    other = pki_vendor_new("Other");
    leaf_key = pki_make_key();
    anchors = pki_store(acme->root, NULL);
    now = time(NULL);
    ncalls = 0;
}

static void teardown(void)
{
    X509_STORE_free(anchors);
    pki_free_key(leaf_key);
    pki_vendor_free(other);
    pki_vendor_free(acme);
    test_pool_teardown();
}

/* Run X509_verify_cert for leaf + chain the way a handshake does: the SSL
 * (from a context the policy is attached to) as the store context's
 * ex_data, provauth_handshake_verify_cb as its callback.  Returns the
 * result; *error is the store's final error. */
static int verify_in_handshake(const provauth_handshake_t *policy, X509 *leaf,
                               STACK_OF(X509) *chain, int *error)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    X509_STORE_CTX *store_ctx = X509_STORE_CTX_new();
    SSL *ssl;
    int result;

    ck_assert_ptr_nonnull(ctx);
    ck_assert_ptr_nonnull(store_ctx);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, policy->inner_verify);
    ck_assert_int_eq(provauth_handshake_attach(ctx, policy), APR_SUCCESS);
    ssl = SSL_new(ctx);
    ck_assert_ptr_nonnull(ssl);
    ck_assert_int_eq(X509_STORE_CTX_init(store_ctx, anchors, leaf, chain), 1);
    ck_assert_int_eq(X509_STORE_CTX_set_ex_data(store_ctx,
                         SSL_get_ex_data_X509_STORE_CTX_idx(), ssl), 1);
    X509_STORE_CTX_set_verify_cb(store_ctx, provauth_handshake_verify_cb);
    ncalls = 0;
    result = X509_verify_cert(store_ctx);
    *error = X509_STORE_CTX_get_error(store_ctx);
    X509_STORE_CTX_free(store_ctx);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    return result;
}

static X509 *device(const pki_vendor_t *v, time_t not_before, time_t not_after)
{
    return pki_make_leaf(MAC_CN, leaf_key, v->issuing, v->issuing_key,
                         not_before, not_after, PKI_EKU_CLIENT_AUTH);
}

static X509 *expired_device(const pki_vendor_t *v)
{
    return device(v, pki_utc("20230101000000Z"), pki_utc("20240630000000Z"));
}

#define ck_assert_verify_error(actual, expected)                               \
    ck_assert_msg((actual) == (expected),                                      \
                  "store error: expected %d (%s), got %d (%s)", (expected),    \
                  X509_verify_cert_error_string(expected), (actual),           \
                  X509_verify_cert_error_string(actual))

START_TEST(test_expired_and_not_yet_valid_are_time_errors)
{
    ck_assert_int_eq(provauth_is_time_error(X509_V_ERR_CERT_HAS_EXPIRED), 1);
    ck_assert_int_eq(provauth_is_time_error(X509_V_ERR_CERT_NOT_YET_VALID), 1);
}
END_TEST

START_TEST(test_other_verify_errors_are_not_time_errors)
{
    static const int others[] = {
        X509_V_OK,
        X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
        X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
        X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
        X509_V_ERR_CERT_REVOKED,
        X509_V_ERR_CRL_HAS_EXPIRED,
        X509_V_ERR_CRL_NOT_YET_VALID,
        X509_V_ERR_CERT_SIGNATURE_FAILURE,
        X509_V_ERR_INVALID_PURPOSE,
        X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD,
    };
    size_t i;

    for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        ck_assert_msg(provauth_is_time_error(others[i]) == 0,
                      "provauth_is_time_error(%d: %s): expected 0, got %d",
                      others[i], X509_verify_cert_error_string(others[i]),
                      provauth_is_time_error(others[i]));
    }
}
END_TEST

START_TEST(test_valid_chain_calls_inner_once_per_depth_with_ok)
{
    provauth_handshake_t policy = { 1, NULL, recorder };
    X509 *leaf = device(acme, now - PKI_DAY, now + PKI_YEAR);
    STACK_OF(X509) *chain = pki_stack(acme->issuing, acme->policy, NULL);
    int error;

    ck_assert_int_eq(verify_in_handshake(&policy, leaf, chain, &error), 1);
    ck_assert_verify_error(error, X509_V_OK);
    ck_assert_int_eq(ncalls, 4);          /* root, policy, issuing, leaf */
    ck_assert_int_eq(calls_with_ok(1), 4);
    ck_assert_int_eq(calls_at_depth(0), 1);
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_expired_leaf_is_forgiven_when_time_errors_accepted)
{
    provauth_handshake_t policy = { 1, NULL, recorder };
    X509 *leaf = expired_device(acme);
    STACK_OF(X509) *chain = pki_stack(acme->issuing, acme->policy, NULL);
    int i, error;

    ck_assert_int_eq(verify_in_handshake(&policy, leaf, chain, &error), 1);
    ck_assert_verify_error(error, X509_V_OK);
    /* The expiry reached the inner callback as ok = 1 with the error
     * cleared: one call more at depth 0 than a valid leaf gets. */
    ck_assert_int_eq(calls_with_ok(0), 0);
    ck_assert_int_eq(calls_at_depth(0), 2);
    ck_assert_int_eq(ncalls, 5);
    for (i = 0; i < ncalls; i++) {
        ck_assert_verify_error(calls[i].error, X509_V_OK);
    }
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_not_yet_valid_leaf_is_forgiven_when_time_errors_accepted)
{
    provauth_handshake_t policy = { 1, NULL, recorder };
    X509 *leaf = device(acme, now + 2 * PKI_DAY, now + PKI_YEAR);
    STACK_OF(X509) *chain = pki_stack(acme->issuing, acme->policy, NULL);
    int error;

    ck_assert_int_eq(verify_in_handshake(&policy, leaf, chain, &error), 1);
    ck_assert_verify_error(error, X509_V_OK);
    ck_assert_int_eq(calls_with_ok(0), 0);
    ck_assert_int_eq(calls_at_depth(0), 2);
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_expired_issuing_ca_is_forgiven_when_time_errors_accepted)
{
    provauth_handshake_t policy = { 1, NULL, recorder };
    EVP_PKEY *ca_key = pki_make_key();
    X509 *issuing = pki_make_ca("Acme Old Issuing CA", ca_key, acme->policy,
                                acme->policy_key, pki_utc("20200101000000Z"),
                                pki_utc("20240101000000Z"));
    X509 *leaf = pki_make_leaf(MAC_CN, leaf_key, issuing, ca_key, now - PKI_DAY,
                               now + PKI_YEAR, PKI_EKU_CLIENT_AUTH);
    STACK_OF(X509) *chain = pki_stack(issuing, acme->policy, NULL);
    int error;

    ck_assert_int_eq(verify_in_handshake(&policy, leaf, chain, &error), 1);
    ck_assert_verify_error(error, X509_V_OK);
    ck_assert_int_eq(calls_with_ok(0), 0);
    ck_assert_int_eq(calls_at_depth(1), 2);
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(leaf);
    pki_free_cert(issuing);
    pki_free_key(ca_key);
}
END_TEST

START_TEST(test_expired_leaf_fails_when_time_errors_not_accepted)
{
    provauth_handshake_t policy = { 0, NULL, recorder };
    X509 *leaf = expired_device(acme);
    STACK_OF(X509) *chain = pki_stack(acme->issuing, acme->policy, NULL);
    int error;

    ck_assert_int_eq(verify_in_handshake(&policy, leaf, chain, &error), 0);
    ck_assert_verify_error(error, X509_V_ERR_CERT_HAS_EXPIRED);
    ck_assert_int_ge(ncalls, 1);
    ck_assert_int_eq(calls[ncalls - 1].ok, 0);
    ck_assert_verify_error(calls[ncalls - 1].error, X509_V_ERR_CERT_HAS_EXPIRED);
    ck_assert_int_eq(calls[ncalls - 1].depth, 0);
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_expired_self_signed_leaf_still_fails_when_time_errors_accepted)
{
    provauth_handshake_t policy = { 1, NULL, recorder };
    X509 *leaf = pki_make_leaf(MAC_CN, leaf_key, NULL, NULL,
                               pki_utc("20230101000000Z"),
                               pki_utc("20240630000000Z"), PKI_EKU_CLIENT_AUTH);
    int error;

    ck_assert_int_eq(verify_in_handshake(&policy, leaf, NULL, &error), 0);
    ck_assert_verify_error(error, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    ck_assert_int_eq(calls_with_ok(0), 1);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_expired_leaf_from_unknown_root_still_fails_when_time_errors_accepted)
{
    provauth_handshake_t policy = { 1, NULL, recorder };
    X509 *leaf = expired_device(other);
    STACK_OF(X509) *chain = pki_stack(other->issuing, other->policy, NULL);
    int error;

    ck_assert_int_eq(verify_in_handshake(&policy, leaf, chain, &error), 0);
    ck_assert_verify_error(error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    ck_assert_int_eq(calls_with_ok(0), 1);
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_attach_with_time_errors_installs_verify_cb_and_keeps_mode)
{
    provauth_handshake_t policy = { 1, NULL, original_cb };
    int mode = SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    SSL *ssl;

    ck_assert_ptr_nonnull(ctx);
    SSL_CTX_set_verify(ctx, mode, original_cb);
    ck_assert_int_eq(provauth_handshake_attach(ctx, &policy), APR_SUCCESS);
    ck_assert_cb_eq(SSL_CTX_get_verify_callback(ctx), provauth_handshake_verify_cb);
    ck_assert_int_eq(SSL_CTX_get_verify_mode(ctx), mode);
    ssl = SSL_new(ctx);
    ck_assert_ptr_nonnull(ssl);
    ck_assert_cb_eq(SSL_get_verify_callback(ssl), provauth_handshake_verify_cb);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
}
END_TEST

START_TEST(test_attach_without_time_errors_or_intermediates_keeps_verify_cb)
{
    provauth_handshake_t policy = { 0, NULL, original_cb };
    int mode = SSL_VERIFY_PEER;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    ck_assert_ptr_nonnull(ctx);
    SSL_CTX_set_verify(ctx, mode, original_cb);
    ck_assert_int_eq(provauth_handshake_attach(ctx, &policy), APR_SUCCESS);
    ck_assert_cb_eq(SSL_CTX_get_verify_callback(ctx), original_cb);
    ck_assert_int_eq(SSL_CTX_get_verify_mode(ctx), mode);
    SSL_CTX_free(ctx);
}
END_TEST

START_TEST(test_attach_with_intermediates_only_keeps_verify_cb)
{
    STACK_OF(X509) *intermediates = pki_stack(acme->issuing, acme->policy, NULL);
    provauth_handshake_t policy = { 0, intermediates, original_cb };
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    ck_assert_ptr_nonnull(ctx);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, original_cb);
    ck_assert_int_eq(provauth_handshake_attach(ctx, &policy), APR_SUCCESS);
    ck_assert_cb_eq(SSL_CTX_get_verify_callback(ctx), original_cb);
    ck_assert_int_eq(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_PEER);
    SSL_CTX_free(ctx);
    sk_X509_pop_free(intermediates, X509_free);
}
END_TEST

Suite *handshake_suite(void)
{
    Suite *s = suite_create("handshake");
    TCase *tc = tcase_create("verify_cb");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_expired_and_not_yet_valid_are_time_errors);
    tcase_add_test(tc, test_other_verify_errors_are_not_time_errors);
    tcase_add_test(tc, test_valid_chain_calls_inner_once_per_depth_with_ok);
    tcase_add_test(tc, test_expired_leaf_is_forgiven_when_time_errors_accepted);
    tcase_add_test(tc, test_not_yet_valid_leaf_is_forgiven_when_time_errors_accepted);
    tcase_add_test(tc, test_expired_issuing_ca_is_forgiven_when_time_errors_accepted);
    tcase_add_test(tc, test_expired_leaf_fails_when_time_errors_not_accepted);
    tcase_add_test(tc, test_expired_self_signed_leaf_still_fails_when_time_errors_accepted);
    tcase_add_test(tc, test_expired_leaf_from_unknown_root_still_fails_when_time_errors_accepted);
    tcase_add_test(tc, test_attach_with_time_errors_installs_verify_cb_and_keeps_mode);
    tcase_add_test(tc, test_attach_without_time_errors_or_intermediates_keeps_verify_cb);
    tcase_add_test(tc, test_attach_with_intermediates_only_keeps_verify_cb);
    suite_add_tcase(s, tc);
    return s;
}
