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

static int optional_no_ca(int ok, X509_STORE_CTX *store_ctx);

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
         : cb == optional_no_ca ? "optional_no_ca"
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
    ck_assert_int_eq(provauth_handshake_init(test_pool, NULL), APR_SUCCESS);
}

static void teardown(void)
{
    X509_STORE_free(anchors);
    pki_free_key(leaf_key);
    pki_vendor_free(other);
    pki_vendor_free(acme);
    test_pool_teardown();
}

/* What one verification in a handshake established. */
typedef struct {
    int verified;      /* provauth_handshake_cert_verify's result */
    int error;         /* the store's final error: the connection's verify result */
    int forgave;       /* the record says a time error was forgiven */
    int clean;         /* the record holds the leaf as cleanly verified */
    int resumable;     /* the session kept its virtual host's id context */
} handshake_result_t;

static const unsigned char vhost_context[] = "0123456789abcdef0123456789abcdef";

/* Verify leaf + chain the way a handshake does: an SSL (from a context the
 * policy is attached to, with a session of its virtual host and a record
 * tracking it) as the store context's ex_data, the SSL's verify callback
 * as the store's, and the context's certificate verification. */
static handshake_result_t verify_in_handshake(const provauth_handshake_t *policy,
                                              X509 *leaf, STACK_OF(X509) *chain)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    X509_STORE_CTX *store_ctx = X509_STORE_CTX_new();
    SSL_SESSION *session = SSL_SESSION_new();
    provauth_handshake_record_t record;
    handshake_result_t result;
    const unsigned char *context;
    unsigned int context_len;
    SSL *ssl;

    ck_assert_ptr_nonnull(ctx);
    ck_assert_ptr_nonnull(store_ctx);
    ck_assert_ptr_nonnull(session);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, policy->inner_verify);
    ck_assert_int_eq(provauth_handshake_attach(ctx, policy), APR_SUCCESS);
    ssl = SSL_new(ctx);
    ck_assert_ptr_nonnull(ssl);
    ck_assert_ptr_eq(provauth_handshake_policy(ssl), policy);
    ck_assert_int_eq(SSL_SESSION_set1_id_context(session, vhost_context,
                                                 sizeof(vhost_context) - 1), 1);
    ck_assert_int_eq(SSL_set_session(ssl, session), 1);
    provauth_handshake_track(ssl, &record);
    ck_assert_int_eq(X509_STORE_CTX_init(store_ctx, anchors, leaf, chain), 1);
    ck_assert_int_eq(X509_STORE_CTX_set_ex_data(store_ctx,
                         SSL_get_ex_data_X509_STORE_CTX_idx(), ssl), 1);
    X509_STORE_CTX_set_verify_cb(store_ctx, SSL_get_verify_callback(ssl));
    ncalls = 0;
    result.verified = provauth_handshake_cert_verify(store_ctx, (void *)policy);
    result.error = X509_STORE_CTX_get_error(store_ctx);
    result.forgave = record.forgave_time_error;
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

/* An inner callback like mod_ssl's under optional_no_ca: records, and
 * accepts an untrusted issuer while leaving the error standing. */
static int optional_no_ca(int ok, X509_STORE_CTX *store_ctx)
{
    int error = X509_STORE_CTX_get_error(store_ctx);

    recorder(ok, store_ctx);
    return ok || error == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
              || error == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN
              || error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
              || error == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE
              || error == X509_V_ERR_CERT_UNTRUSTED;
}

/* An inner callback like mod_ssl's for a CRL it may do without: accepts
 * any error and clears it. */
static int clears_errors(int ok, X509_STORE_CTX *store_ctx)
{
    recorder(ok, store_ctx);
    X509_STORE_CTX_set_error(store_ctx, X509_V_OK);
    return 1;
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
    provauth_handshake_t policy = { 1, NULL, recorder, NULL };
    X509 *leaf = device(acme, now - PKI_DAY, now + PKI_YEAR);
    STACK_OF(X509) *chain = pki_stack(acme->issuing, acme->policy, NULL);
    handshake_result_t r;

    ck_assert_int_eq((r = verify_in_handshake(&policy, leaf, chain)).verified, 1);
    ck_assert_verify_error(r.error, X509_V_OK);
    ck_assert_int_eq(ncalls, 4);          /* root, policy, issuing, leaf */
    ck_assert_int_eq(calls_with_ok(1), 4);
    ck_assert_int_eq(calls_at_depth(0), 1);
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_expired_leaf_is_forgiven_when_time_errors_accepted)
{
    provauth_handshake_t policy = { 1, NULL, recorder, NULL };
    X509 *leaf = expired_device(acme);
    STACK_OF(X509) *chain = pki_stack(acme->issuing, acme->policy, NULL);
    handshake_result_t r;
    int i;

    ck_assert_int_eq((r = verify_in_handshake(&policy, leaf, chain)).verified, 1);
    ck_assert_verify_error(r.error, X509_V_OK);
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
    provauth_handshake_t policy = { 1, NULL, recorder, NULL };
    X509 *leaf = device(acme, now + 2 * PKI_DAY, now + PKI_YEAR);
    STACK_OF(X509) *chain = pki_stack(acme->issuing, acme->policy, NULL);
    handshake_result_t r;

    ck_assert_int_eq((r = verify_in_handshake(&policy, leaf, chain)).verified, 1);
    ck_assert_verify_error(r.error, X509_V_OK);
    ck_assert_int_eq(calls_with_ok(0), 0);
    ck_assert_int_eq(calls_at_depth(0), 2);
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_expired_issuing_ca_is_forgiven_when_time_errors_accepted)
{
    provauth_handshake_t policy = { 1, NULL, recorder, NULL };
    EVP_PKEY *ca_key = pki_make_key();
    X509 *issuing = pki_make_ca("Acme Old Issuing CA", ca_key, acme->policy,
                                acme->policy_key, pki_utc("20200101000000Z"),
                                pki_utc("20240101000000Z"));
    X509 *leaf = pki_make_leaf(MAC_CN, leaf_key, issuing, ca_key, now - PKI_DAY,
                               now + PKI_YEAR, PKI_EKU_CLIENT_AUTH);
    STACK_OF(X509) *chain = pki_stack(issuing, acme->policy, NULL);
    handshake_result_t r;

    ck_assert_int_eq((r = verify_in_handshake(&policy, leaf, chain)).verified, 1);
    ck_assert_verify_error(r.error, X509_V_OK);
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
    provauth_handshake_t policy = { 0, NULL, recorder, NULL };
    X509 *leaf = expired_device(acme);
    STACK_OF(X509) *chain = pki_stack(acme->issuing, acme->policy, NULL);
    handshake_result_t r;

    ck_assert_int_eq((r = verify_in_handshake(&policy, leaf, chain)).verified, 0);
    ck_assert_verify_error(r.error, X509_V_ERR_CERT_HAS_EXPIRED);
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
    provauth_handshake_t policy = { 1, NULL, recorder, NULL };
    X509 *leaf = pki_make_leaf(MAC_CN, leaf_key, NULL, NULL,
                               pki_utc("20230101000000Z"),
                               pki_utc("20240630000000Z"), PKI_EKU_CLIENT_AUTH);
    handshake_result_t r;

    ck_assert_int_eq((r = verify_in_handshake(&policy, leaf, NULL)).verified, 0);
    ck_assert_verify_error(r.error, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    ck_assert_int_eq(calls_with_ok(0), 1);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_expired_leaf_from_unknown_root_still_fails_when_time_errors_accepted)
{
    provauth_handshake_t policy = { 1, NULL, recorder, NULL };
    X509 *leaf = expired_device(other);
    STACK_OF(X509) *chain = pki_stack(other->issuing, other->policy, NULL);
    handshake_result_t r;

    ck_assert_int_eq((r = verify_in_handshake(&policy, leaf, chain)).verified, 0);
    ck_assert_verify_error(r.error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    ck_assert_int_eq(calls_with_ok(0), 1);
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(leaf);
}
END_TEST

static X509 *expired_self_signed(void)
{
    return pki_make_leaf(MAC_CN, leaf_key, NULL, NULL, pki_utc("20230101000000Z"),
                         pki_utc("20240630000000Z"), PKI_EKU_CLIENT_AUTH);
}

START_TEST(test_expired_vendor_chain_reads_ok_and_stays_resumable)
{
    provauth_handshake_t policy = { 1, NULL, recorder, NULL };
    X509 *leaf = expired_device(acme);
    STACK_OF(X509) *chain = pki_stack(acme->issuing, acme->policy, NULL);
    handshake_result_t r = verify_in_handshake(&policy, leaf, chain);

    ck_assert_int_eq(r.verified, 1);
    ck_assert_verify_error(r.error, X509_V_OK);
    ck_assert_int_eq(r.forgave, 1);
    ck_assert_int_eq(r.clean, 1);
    ck_assert_int_eq(r.resumable, 1);
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_valid_chain_forgives_nothing_and_stays_resumable)
{
    provauth_handshake_t policy = { 1, NULL, recorder, NULL };
    X509 *leaf = device(acme, now - PKI_DAY, now + PKI_YEAR);
    STACK_OF(X509) *chain = pki_stack(acme->issuing, acme->policy, NULL);
    handshake_result_t r = verify_in_handshake(&policy, leaf, chain);

    ck_assert_int_eq(r.verified, 1);
    ck_assert_verify_error(r.error, X509_V_OK);
    ck_assert_int_eq(r.forgave, 0);
    ck_assert_int_eq(r.clean, 1);
    ck_assert_int_eq(r.resumable, 1);
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(leaf);
}
END_TEST

/* The bug of issue 9: optional_no_ca forgave "self-signed", then the wrapper
 * cleared the expiry and with it the only trace of the real fault. */
START_TEST(test_expired_self_signed_tolerated_keeps_its_real_error)
{
    provauth_handshake_t policy = { 1, NULL, optional_no_ca, NULL };
    X509 *leaf = expired_self_signed();
    handshake_result_t r = verify_in_handshake(&policy, leaf, NULL);

    ck_assert_int_eq(r.verified, 1);
    ck_assert_verify_error(r.error, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    ck_assert_int_eq(r.forgave, 1);
    ck_assert_int_eq(r.clean, 0);
    ck_assert_int_eq(r.resumable, 0);
    /* The inner callback saw the expiry as ok with the real fault standing. */
    ck_assert_int_eq(calls_with_ok(0), 1);
    ck_assert_verify_error(calls[ncalls - 1].error, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_expired_leaf_from_unknown_root_tolerated_keeps_its_real_error)
{
    provauth_handshake_t policy = { 1, NULL, optional_no_ca, NULL };
    X509 *leaf = expired_device(other);
    STACK_OF(X509) *chain = pki_stack(other->issuing, other->policy, NULL);
    handshake_result_t r = verify_in_handshake(&policy, leaf, chain);

    ck_assert_int_eq(r.verified, 1);
    ck_assert_msg(r.error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
                  || r.error == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
                  "store error: expected an untrusted issuer, got %d (%s)", r.error,
                  X509_verify_cert_error_string(r.error));
    ck_assert_int_eq(r.forgave, 1);
    ck_assert_int_eq(r.resumable, 0);
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(leaf);
}
END_TEST

/* Stock optional_no_ca: no time error at all, the session still must not
 * be resumable (mod_ssl would read SUCCESS on a resumed TLS 1.2 session). */
START_TEST(test_tolerated_self_signed_is_not_resumable_without_accept_expired)
{
    provauth_handshake_t policy = { 0, NULL, optional_no_ca, NULL };
    X509 *leaf = pki_make_leaf(MAC_CN, leaf_key, NULL, NULL, now - PKI_DAY,
                               now + PKI_YEAR, PKI_EKU_CLIENT_AUTH);
    handshake_result_t r = verify_in_handshake(&policy, leaf, NULL);

    ck_assert_int_eq(r.verified, 1);
    ck_assert_verify_error(r.error, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    ck_assert_int_eq(r.forgave, 0);
    ck_assert_int_eq(r.resumable, 0);
    pki_free_cert(leaf);
}
END_TEST

/* An error the inner callback clears itself (mod_ssl's no_crl_for_cert_ok)
 * is its decision: the result reads OK and the session stays resumable,
 * but the verification is not clean proof for re-validation. */
START_TEST(test_error_cleared_by_inner_callback_is_resumable_but_not_clean)
{
    provauth_handshake_t policy = { 1, NULL, clears_errors, NULL };
    X509 *leaf = expired_self_signed();
    handshake_result_t r = verify_in_handshake(&policy, leaf, NULL);

    ck_assert_int_eq(r.verified, 1);
    ck_assert_verify_error(r.error, X509_V_OK);
    ck_assert_int_eq(r.resumable, 1);
    ck_assert_int_eq(r.clean, 0);
    pki_free_cert(leaf);
}
END_TEST

/* Outside the context's certificate verification nothing tells what the
 * error was before the expiry: it stays as the result (fail closed). */
START_TEST(test_unobserved_time_error_is_forgiven_but_stays_the_result)
{
    provauth_handshake_t policy = { 1, NULL, recorder, NULL };
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    X509_STORE_CTX *store_ctx = X509_STORE_CTX_new();
    X509 *leaf = expired_device(acme);
    STACK_OF(X509) *chain = pki_stack(acme->issuing, acme->policy, NULL);
    SSL *ssl;

    ck_assert_int_eq(provauth_handshake_attach(ctx, &policy), APR_SUCCESS);
    ssl = SSL_new(ctx);
    ck_assert_int_eq(X509_STORE_CTX_init(store_ctx, anchors, leaf, chain), 1);
    ck_assert_int_eq(X509_STORE_CTX_set_ex_data(store_ctx,
                         SSL_get_ex_data_X509_STORE_CTX_idx(), ssl), 1);
    X509_STORE_CTX_set_verify_cb(store_ctx, provauth_handshake_verify_cb);
    ck_assert_int_eq(X509_verify_cert(store_ctx), 1);
    ck_assert_verify_error(X509_STORE_CTX_get_error(store_ctx), X509_V_ERR_CERT_HAS_EXPIRED);
    X509_STORE_CTX_free(store_ctx);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_attach_with_time_errors_installs_verify_cb_and_keeps_mode)
{
    provauth_handshake_t policy = { 1, NULL, original_cb, NULL };
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
    provauth_handshake_t policy = { 0, NULL, original_cb, NULL };
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
    provauth_handshake_t policy = { 0, intermediates, original_cb, NULL };
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

/* ---- ex_data indices: once per process pool ---- */

static void init_setup(void)
{
    test_pool_setup();
}

START_TEST(test_attach_before_init_is_refused)
{
    provauth_handshake_t policy = { 1, NULL, original_cb, NULL };
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    ck_assert_int_eq(provauth_handshake_attach(ctx, &policy), APR_EINIT);
    SSL_CTX_free(ctx);
}
END_TEST

START_TEST(test_init_keeps_the_indices_of_the_process_pool)
{
    const provauth_handshake_indices_t *first = NULL, *again = NULL, *other = NULL;
    apr_pool_t *another_process;
    provauth_handshake_indices_t copy;

    ck_assert_int_eq(provauth_handshake_init(test_pool, &first), APR_SUCCESS);
    ck_assert_int_ge(first->policy, 0);
    ck_assert_int_ge(first->observer, 0);
    ck_assert_int_ge(first->record, 0);
    copy = *first;
    /* What a reloaded module does: ask the same pool again. */
    ck_assert_int_eq(provauth_handshake_init(test_pool, &again), APR_SUCCESS);
    ck_assert_ptr_eq(again, first);
    ck_assert_int_eq(again->policy, copy.policy);
    ck_assert_int_eq(again->observer, copy.observer);
    ck_assert_int_eq(again->record, copy.record);
    /* A pool that never had them gets new ones. */
    ck_assert_int_eq(apr_pool_create(&another_process, NULL), APR_SUCCESS);
    ck_assert_int_eq(provauth_handshake_init(another_process, &other), APR_SUCCESS);
    ck_assert_int_ne(other->record, copy.record);
    apr_pool_destroy(another_process);
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
    tcase_add_test(tc, test_expired_vendor_chain_reads_ok_and_stays_resumable);
    tcase_add_test(tc, test_valid_chain_forgives_nothing_and_stays_resumable);
    tcase_add_test(tc, test_expired_self_signed_tolerated_keeps_its_real_error);
    tcase_add_test(tc, test_expired_leaf_from_unknown_root_tolerated_keeps_its_real_error);
    tcase_add_test(tc, test_tolerated_self_signed_is_not_resumable_without_accept_expired);
    tcase_add_test(tc, test_error_cleared_by_inner_callback_is_resumable_but_not_clean);
    tcase_add_test(tc, test_unobserved_time_error_is_forgiven_but_stays_the_result);
    tcase_add_test(tc, test_attach_with_time_errors_installs_verify_cb_and_keeps_mode);
    tcase_add_test(tc, test_attach_without_time_errors_or_intermediates_keeps_verify_cb);
    tcase_add_test(tc, test_attach_with_intermediates_only_keeps_verify_cb);
    suite_add_tcase(s, tc);

    tc = tcase_create("init");
    tcase_add_checked_fixture(tc, init_setup, test_pool_teardown);
    tcase_add_test(tc, test_attach_before_init_is_refused);
    tcase_add_test(tc, test_init_keeps_the_indices_of_the_process_pool);
    suite_add_tcase(s, tc);
    return s;
}
