/* test_pin_handshake.c: the handshake's forgiveness for pinned leaves,
 * through provauth_handshake_cert_verify with an SSL from a real SSL_CTX (no
 * TLS): exactly a pinned leaf's issuer errors at depth 0, its time errors
 * only when time errors are accepted, a clean verify result, a session that
 * is not resumed, and nothing for anything else. */
#include <string.h>

#include <apr_tables.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "provauth_handshake.h"
#include "provauth_pin.h"
#include "test_pki.h"

static pki_vendor_t *acme, *other;
static EVP_PKEY *key, *other_key;
static X509_STORE *anchors;
static int inner_calls, inner_refusals;

static void setup(void)
{
    test_pool_setup();
    acme = pki_vendor_new("Acme");
    other = pki_vendor_new("Other");
    key = pki_make_key();
    other_key = pki_make_key();
    anchors = pki_store(acme->root, NULL);
    inner_calls = inner_refusals = 0;
    ck_assert_int_eq(provauth_handshake_init(test_pool, NULL), APR_SUCCESS);
}

static void teardown(void)
{
    X509_STORE_free(anchors);
    pki_free_key(other_key);
    pki_free_key(key);
    pki_vendor_free(other);
    pki_vendor_free(acme);
    test_pool_teardown();
}

/* mod_ssl's callback under `SSLVerifyClient require`: says what it got. */
static int require_cb(int ok, X509_STORE_CTX *store_ctx)
{
    (void)store_ctx;
    inner_calls++;
    inner_refusals += !ok;
    return ok;
}

typedef struct {
    int verified;
    int error;          /* the connection's verify result */
    int forgave_pin;
    int clean;
    int resumable;
} result_t;

static const unsigned char vhost_context[] = "0123456789abcdef0123456789abcdef";

static result_t handshake(const provauth_handshake_t *policy, X509 *leaf,
                          STACK_OF(X509) *chain)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    X509_STORE_CTX *store_ctx = X509_STORE_CTX_new();
    SSL_SESSION *session = SSL_SESSION_new();
    provauth_handshake_record_t record;
    const unsigned char *context;
    unsigned int context_len;
    result_t result;
    SSL *ssl;

    ck_assert(ctx != NULL && store_ctx != NULL && session != NULL);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       policy->inner_verify);
    ck_assert_int_eq(provauth_handshake_attach(ctx, policy), APR_SUCCESS);
    ssl = SSL_new(ctx);
    ck_assert_ptr_nonnull(ssl);
    ck_assert_int_eq(SSL_SESSION_set1_id_context(session, vhost_context,
                                                 sizeof(vhost_context) - 1), 1);
    ck_assert_int_eq(SSL_set_session(ssl, session), 1);
    provauth_handshake_track(ssl, &record);
    ck_assert_int_eq(X509_STORE_CTX_init(store_ctx, anchors, leaf, chain), 1);
    ck_assert_int_eq(X509_STORE_CTX_set_ex_data(store_ctx,
                         SSL_get_ex_data_X509_STORE_CTX_idx(), ssl), 1);
    X509_STORE_CTX_set_verify_cb(store_ctx, SSL_get_verify_callback(ssl));
    X509_STORE_CTX_set_default(store_ctx, "ssl_client");
    result.verified = provauth_handshake_cert_verify(store_ctx, (void *)policy);
    result.error = X509_STORE_CTX_get_error(store_ctx);
    result.forgave_pin = record.forgave_pin;
    result.clean = provauth_handshake_verified_cleanly(&record, leaf);
    context = SSL_SESSION_get0_id_context(SSL_get_session(ssl), &context_len);
    result.resumable = context_len == sizeof(vhost_context) - 1
                       && memcmp(context, vhost_context, context_len) == 0;
    provauth_handshake_record_release(&record);
    X509_STORE_CTX_free(store_ctx);
    SSL_free(ssl);
    SSL_SESSION_free(session);
    SSL_CTX_free(ctx);
    return result;
}

/* The pin sets of a virtual host holding one pin for cert. */
static const apr_array_header_t *pinned_for(X509 *cert, const char *mac_text)
{
    apr_array_header_t *sets = apr_array_make(test_pool, 1, sizeof(provauth_pins_t *));
    provauth_fingerprint_t fp;
    provauth_mac_t mac;
    provauth_pins_t *pins = NULL;
    const char *line, *why = NULL;

    ck_assert(provauth_mac_parse(mac_text, strlen(mac_text), &mac));
    ck_assert_int_eq(provauth_cert_fingerprint(cert, &fp), APR_SUCCESS);
    line = provauth_pin_line(&mac, &fp, test_pool);
    ck_assert_int_eq(provauth_pins_parse(&pins, line, strlen(line), "pins", test_pool,
                                         &why), APR_SUCCESS);
    APR_ARRAY_PUSH(sets, provauth_pins_t *) = pins;
    return sets;
}

static X509 *self_signed(EVP_PKEY *k, time_t not_after)
{
    return pki_make_leaf("0004f2000005", k, NULL, NULL, pki_utc("20100101000000Z"),
                         not_after, PKI_EKU_CLIENT_AUTH);
}

#define ck_assert_error(actual, expected)                                      \
    ck_assert_msg((actual) == (expected), "verify result: expected %s, got %s", \
                  X509_verify_cert_error_string(expected),                     \
                  X509_verify_cert_error_string(actual))

START_TEST(test_pinned_self_signed_leaf_passes_require_as_verified)
{
    X509 *leaf = self_signed(key, pki_now_plus(PKI_YEAR));
    provauth_handshake_t policy = { 0, NULL, require_cb, NULL, pinned_for(leaf, "0004f2000005") };
    result_t r = handshake(&policy, leaf, NULL);

    ck_assert_int_eq(r.verified, 1);
    ck_assert_error(r.error, X509_V_OK);
    ck_assert_int_eq(inner_refusals, 0);
    ck_assert(r.forgave_pin);
    ck_assert(!r.clean);        /* the request re-validates: PINNED comes from there */
    ck_assert(!r.resumable);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_unpinned_self_signed_leaf_is_refused_as_before)
{
    X509 *pinned = self_signed(key, pki_now_plus(PKI_YEAR));
    X509 *leaf = self_signed(other_key, pki_now_plus(PKI_YEAR));
    provauth_handshake_t policy = { 0, NULL, require_cb, NULL, pinned_for(pinned, "0004f2000005") };
    result_t r = handshake(&policy, leaf, NULL);

    ck_assert_int_eq(r.verified, 0);
    ck_assert_error(r.error, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    ck_assert(!r.forgave_pin);
    pki_free_cert(pinned);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_pinned_expired_leaf_needs_accept_expired)
{
    X509 *leaf = self_signed(key, pki_utc("20240101000000Z"));
    provauth_handshake_t strict = { 0, NULL, require_cb, NULL, pinned_for(leaf, "0004f2000005") };
    provauth_handshake_t lenient = { 1, NULL, require_cb, NULL, strict.pinned };
    result_t r = handshake(&strict, leaf, NULL);

    ck_assert_int_eq(r.verified, 0);
    ck_assert_error(r.error, X509_V_ERR_CERT_HAS_EXPIRED);
    inner_refusals = 0;
    r = handshake(&lenient, leaf, NULL);
    ck_assert_int_eq(r.verified, 1);
    ck_assert_error(r.error, X509_V_OK);
    ck_assert_int_eq(inner_refusals, 0);
    ck_assert(!r.resumable);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_pinned_leaf_of_an_unknown_ca_passes)
{
    X509 *leaf = pki_make_leaf("0004f2000006", key, other->issuing, other->issuing_key,
                               pki_now_plus(-PKI_DAY), pki_now_plus(PKI_YEAR),
                               PKI_EKU_CLIENT_AUTH);
    provauth_handshake_t policy = { 0, NULL, require_cb, NULL, pinned_for(leaf, "0004f2000006") };
    result_t r = handshake(&policy, leaf, NULL);

    ck_assert_int_eq(r.verified, 1);
    ck_assert_error(r.error, X509_V_OK);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_errors_above_the_pinned_leaf_are_not_forgiven)
{
    /* The pinned leaf sent with another vendor's CAs: their root is
     * untrusted at depth 3, which a pin of the leaf does not forgive. */
    X509 *leaf = pki_make_leaf("0004f2000006", key, other->issuing, other->issuing_key,
                               pki_now_plus(-PKI_DAY), pki_now_plus(PKI_YEAR),
                               PKI_EKU_CLIENT_AUTH);
    STACK_OF(X509) *chain = pki_stack(other->issuing, other->policy, other->root, NULL);
    provauth_handshake_t policy = { 0, NULL, require_cb, NULL, pinned_for(leaf, "0004f2000006") };
    result_t r = handshake(&policy, leaf, chain);

    ck_assert_int_eq(r.verified, 0);
    ck_assert_error(r.error, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN);
    ck_assert(!r.forgave_pin);
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_pinned_leaf_keeps_other_faults)
{
    X509 *leaf = pki_make_leaf("0004f2000005", key, NULL, NULL, pki_now_plus(-PKI_DAY),
                               pki_now_plus(PKI_YEAR), PKI_EKU_SERVER_AUTH_ONLY);
    provauth_handshake_t policy = { 1, NULL, require_cb, NULL, pinned_for(leaf, "0004f2000005") };
    result_t r = handshake(&policy, leaf, NULL);

    ck_assert_int_eq(r.verified, 0);
    ck_assert_error(r.error, X509_V_ERR_INVALID_PURPOSE);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_vendor_chain_stays_clean_and_resumable_where_pins_exist)
{
    X509 *leaf = pki_make_leaf("0004f2000001", key, acme->issuing, acme->issuing_key,
                               pki_now_plus(-PKI_DAY), pki_now_plus(PKI_YEAR),
                               PKI_EKU_CLIENT_AUTH);
    X509 *pinned = self_signed(other_key, pki_now_plus(PKI_YEAR));
    STACK_OF(X509) *chain = pki_stack(acme->issuing, acme->policy, NULL);
    provauth_handshake_t policy = { 0, NULL, require_cb, NULL, pinned_for(pinned, "0004f2000005") };
    result_t r = handshake(&policy, leaf, chain);

    ck_assert_int_eq(r.verified, 1);
    ck_assert_error(r.error, X509_V_OK);
    ck_assert(r.clean && r.resumable && !r.forgave_pin);
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(pinned);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_pin_forgivable_errors)
{
    ck_assert(provauth_is_pin_forgivable(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT));
    ck_assert(provauth_is_pin_forgivable(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT));
    ck_assert(provauth_is_pin_forgivable(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY));
    ck_assert(provauth_is_pin_forgivable(X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE));
    ck_assert(provauth_is_pin_forgivable(X509_V_ERR_UNABLE_TO_GET_CRL));
    ck_assert(!provauth_is_pin_forgivable(X509_V_ERR_CERT_REVOKED));
    ck_assert(!provauth_is_pin_forgivable(X509_V_ERR_CERT_HAS_EXPIRED));
    ck_assert(!provauth_is_pin_forgivable(X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN));
    ck_assert(!provauth_is_pin_forgivable(X509_V_ERR_CERT_SIGNATURE_FAILURE));
    ck_assert(!provauth_is_pin_forgivable(X509_V_ERR_INVALID_PURPOSE));
    ck_assert(!provauth_is_pin_forgivable(X509_V_OK));
}
END_TEST

Suite *pin_handshake_suite(void)
{
    Suite *suite = suite_create("pin_handshake");
    TCase *tc = tcase_create("pinned leaves");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_pinned_self_signed_leaf_passes_require_as_verified);
    tcase_add_test(tc, test_unpinned_self_signed_leaf_is_refused_as_before);
    tcase_add_test(tc, test_pinned_expired_leaf_needs_accept_expired);
    tcase_add_test(tc, test_pinned_leaf_of_an_unknown_ca_passes);
    tcase_add_test(tc, test_errors_above_the_pinned_leaf_are_not_forgiven);
    tcase_add_test(tc, test_pinned_leaf_keeps_other_faults);
    tcase_add_test(tc, test_vendor_chain_stays_clean_and_resumable_where_pins_exist);
    tcase_add_test(tc, test_pin_forgivable_errors);
    suite_add_tcase(suite, tc);
    return suite;
}
