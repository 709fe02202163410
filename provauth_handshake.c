/* provauth_handshake.c: wraps an SSL_CTX's certificate verify callback so that
 * only validity-period errors are forgiven, and extends chain building. */
#include <openssl/x509_vfy.h>

#include "provauth_handshake.h"

/* OpenSSL callbacks carry no user pointer but the SSL, so the policy hangs
 * off the SSL_CTX through an ex_data index allocated once per process. */
static int policy_index = -1;

/* Used only if a context that lost its policy still calls our wrapper. */
static SSL_verify_cb fallback_inner_verify;

int provauth_is_time_error(int verify_error)
{
    return verify_error == X509_V_ERR_CERT_HAS_EXPIRED
        || verify_error == X509_V_ERR_CERT_NOT_YET_VALID;
}

static const provauth_handshake_t *policy_of(X509_STORE_CTX *store_ctx)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store_ctx,
                                          SSL_get_ex_data_X509_STORE_CTX_idx());
    /* After an SNI switch this is the selected virtual host's context. */
    SSL_CTX *ctx = ssl ? SSL_get_SSL_CTX(ssl) : NULL;

    return (ctx && policy_index >= 0) ? SSL_CTX_get_ex_data(ctx, policy_index)
                                      : NULL;
}

int provauth_handshake_verify_cb(int ok, X509_STORE_CTX *store_ctx)
{
    const provauth_handshake_t *policy = policy_of(store_ctx);
    SSL_verify_cb inner = policy ? policy->inner_verify : fallback_inner_verify;

    if (!ok && policy && policy->accept_time_errors
        && provauth_is_time_error(X509_STORE_CTX_get_error(store_ctx))) {
        /* The verify result the handshake ends with is the store's last
         * error; clearing it lets mod_ssl report SUCCESS. */
        X509_STORE_CTX_set_error(store_ctx, X509_V_OK);
        ok = 1;
    }
    return inner ? inner(ok, store_ctx) : ok;
}



/* While the handshake verifies a chain, an observer sits in front of the
 * SSL's verify callback and notes every error that is not a forgiven
 * validity-period error.  Only a verification that returned success with no
 * such error marks the connection as cleanly verified: mod_ssl may
 * tolerate errors (optional_no_ca) and rewrite verify results later, so
 * nothing else about the handshake is taken as proof. */
typedef struct {
    SSL_verify_cb observed;       /* the SSL's callback (mod_ssl's or ours) */
    int accept_time_errors;
    int saw_error;
    const provauth_handshake_t *policy;
    provauth_handshake_record_t *record;
} verify_observer_t;

static int observer_index = -1;   /* X509_STORE_CTX ex_data: the observer */
static int record_index = -1;     /* SSL ex_data: the connection's record */

/* A chain refused at a validity-period error alone: keep its leaf and the
 * certificate whose dates failed, for the caller to say what would admit it. */
static void note_time_refusal(const verify_observer_t *observer,
                              X509_STORE_CTX *store_ctx)
{
    provauth_handshake_record_t *record = observer->record;
    X509 *leaf = X509_STORE_CTX_get0_cert(store_ctx);
    X509 *cert = X509_STORE_CTX_get_current_cert(store_ctx);

    if (record == NULL || record->time_refused_leaf != NULL || leaf == NULL
        || !X509_up_ref(leaf)) {
        return;
    }
    record->time_refused_leaf = leaf;
    record->time_refused_cert = (cert != NULL && X509_up_ref(cert)) ? cert : NULL;
    record->time_refused_error = X509_STORE_CTX_get_error(store_ctx);
    record->time_refused_depth = X509_STORE_CTX_get_error_depth(store_ctx);
    record->time_refused_policy = observer->policy;
}

static int observe_verify(int ok, X509_STORE_CTX *store_ctx)
{
    verify_observer_t *observer = X509_STORE_CTX_get_ex_data(store_ctx,
                                                             observer_index);
    int time_error_first = 0;

    if (observer == NULL) {
        return 0; /* cannot happen: fail closed */
    }
    if (!ok && !(observer->accept_time_errors
                 && provauth_is_time_error(X509_STORE_CTX_get_error(store_ctx)))) {
        time_error_first = !observer->saw_error
                           && provauth_is_time_error(X509_STORE_CTX_get_error(store_ctx));
        observer->saw_error = 1;
    }
    ok = observer->observed ? observer->observed(ok, store_ctx) : ok;
    if (!ok && time_error_first) {
        note_time_refusal(observer, store_ctx);
    }
    return ok;
}

/* No ex_data free callbacks: httpd unloads and reloads this module on
 * every (re)start, and OpenSSL would keep calling a stale function pointer.
 * The record belongs to the connection, which releases it. */
static provauth_handshake_record_t *record_of(X509_STORE_CTX *store_ctx)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store_ctx,
                                          SSL_get_ex_data_X509_STORE_CTX_idx());

    return (ssl != NULL && record_index >= 0) ? SSL_get_ex_data(ssl, record_index)
                                              : NULL;
}

void provauth_handshake_track(SSL *ssl, provauth_handshake_record_t *record)
{
    record->clean_leaf = NULL;
    record->time_refused_leaf = record->time_refused_cert = NULL;
    if (record_index >= 0) {
        SSL_set_ex_data(ssl, record_index, record);
    }
}

void provauth_handshake_record_release(provauth_handshake_record_t *record)
{
    X509_free(record->clean_leaf);
    record->clean_leaf = NULL;
    X509_free(record->time_refused_leaf);
    X509_free(record->time_refused_cert);
    record->time_refused_leaf = record->time_refused_cert = NULL;
}

/* The SSL_CTX's certificate verification: the configured intermediates
 * appended to what the peer sent (phones that send only their leaf still
 * chain; intermediates stay untrusted, a chain must still end at an
 * anchor), and the observer above around the SSL's verify callback. */
static int verify_observed(X509_STORE_CTX *store_ctx, void *arg)
{
    const provauth_handshake_t *policy = arg;
    STACK_OF(X509) *sent = X509_STORE_CTX_get0_untrusted(store_ctx);
    STACK_OF(X509) *untrusted = NULL;
    verify_observer_t observer;
    provauth_handshake_record_t *record = record_of(store_ctx);
    int verified;

    if (record != NULL) {
        provauth_handshake_record_release(record); /* a new verification */
    }
    if (policy->intermediates != NULL && sk_X509_num(policy->intermediates) > 0) {
        int i;

        untrusted = sent ? sk_X509_dup(sent) : sk_X509_new_null();
        for (i = 0; untrusted && i < sk_X509_num(policy->intermediates); i++) {
            if (sk_X509_push(untrusted, sk_X509_value(policy->intermediates, i)) <= 0) {
                sk_X509_free(untrusted);
                untrusted = NULL;
            }
        }
        if (untrusted == NULL) {
            X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_OUT_OF_MEM);
            return 0;
        }
        X509_STORE_CTX_set0_untrusted(store_ctx, untrusted);
    }

    observer.observed = X509_STORE_CTX_get_verify_cb(store_ctx);
    observer.accept_time_errors = policy->accept_time_errors;
    observer.saw_error = 0;
    observer.policy = policy;
    observer.record = record;
    if (!X509_STORE_CTX_set_ex_data(store_ctx, observer_index, &observer)) {
        verified = X509_verify_cert(store_ctx); /* unobserved: never clean */
        observer.saw_error = 1;
    }
    else {
        X509_STORE_CTX_set_verify_cb(store_ctx, observe_verify);
        verified = X509_verify_cert(store_ctx);
        X509_STORE_CTX_set_verify_cb(store_ctx, observer.observed);
        X509_STORE_CTX_set_ex_data(store_ctx, observer_index, NULL);
    }
    if (record != NULL && verified > 0 && !observer.saw_error
        && X509_STORE_CTX_get_error(store_ctx) == X509_V_OK
        && X509_up_ref(X509_STORE_CTX_get0_cert(store_ctx))) {
        record->clean_leaf = X509_STORE_CTX_get0_cert(store_ctx);
    }
    if (untrusted != NULL) {
        X509_STORE_CTX_set0_untrusted(store_ctx, sent);
        sk_X509_free(untrusted);
    }
    return verified;
}

int provauth_handshake_verified_cleanly(const provauth_handshake_record_t *record,
                                        const X509 *leaf)
{
    return record != NULL && leaf != NULL && record->clean_leaf == leaf;
}

apr_status_t provauth_handshake_attach(SSL_CTX *ctx,
                                       const provauth_handshake_t *policy)
{
    if (policy_index < 0) {
        policy_index = SSL_CTX_get_ex_new_index(0, "mod_provauth policy",
                                                NULL, NULL, NULL);
        observer_index = X509_STORE_CTX_get_ex_new_index(0, "mod_provauth observer",
                                                         NULL, NULL, NULL);
        record_index = SSL_get_ex_new_index(0, "mod_provauth record",
                                            NULL, NULL, NULL);
        if (policy_index < 0 || observer_index < 0 || record_index < 0) {
            return APR_EGENERAL;
        }
    }
    if (!SSL_CTX_set_ex_data(ctx, policy_index, (void *)policy)) {
        return APR_ENOMEM;
    }
    if (policy->accept_time_errors) {
        fallback_inner_verify = policy->inner_verify;
        SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx),
                           provauth_handshake_verify_cb);
    }
    SSL_CTX_set_cert_verify_callback(ctx, verify_observed, (void *)policy);
    return APR_SUCCESS;
}
