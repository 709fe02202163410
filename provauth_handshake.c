/* provauth_handshake.c: wraps an SSL_CTX's certificate verify callback so that
 * only validity-period errors are forgiven, and extends chain building. */
#include <openssl/x509_vfy.h>

#include "provauth_handshake.h"
#include "provauth_pin.h"

/* OpenSSL callbacks carry no user pointer but the SSL, so the policy hangs
 * off the SSL_CTX, the connection's record off the SSL and the observer off
 * the store context, through ex_data indices allocated once per process. */
static provauth_handshake_indices_t indices = { -1, -1, -1 };

/* Where the indices are remembered: the process pool's user data survives
 * the module's statics, which a restart resets by reloading the DSO. */
#define INDICES_KEY "mod_provauth: handshake ex_data indices"

/* Marks a session that must never be resumed: mod_ssl gives every virtual
 * host a session id context of 32 hex digits, OpenSSL resumes a session only
 * in the context it was made in, and this is none of them. */
static const char unresumable_context[] = "mod_provauth: not resumable";

/* Used only if a context that lost its policy still calls our wrapper. */
static SSL_verify_cb fallback_inner_verify;

apr_status_t provauth_handshake_init(apr_pool_t *process_pool,
                                     const provauth_handshake_indices_t **kept_indices)
{
    void *kept = NULL;

    if (apr_pool_userdata_get(&kept, INDICES_KEY, process_pool) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    if (kept == NULL) {
        provauth_handshake_indices_t *fresh = apr_palloc(process_pool, sizeof(*fresh));

        /* No names, no callbacks: nothing that points into this module,
         * which httpd may unload while OpenSSL keeps the indices. */
        fresh->policy = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
        fresh->observer = X509_STORE_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
        fresh->record = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
        if (fresh->policy < 0 || fresh->observer < 0 || fresh->record < 0) {
            return APR_EGENERAL;
        }
        /* (apr_pool_userdata_set copies the key into the pool.) */
        if (apr_pool_userdata_set(fresh, INDICES_KEY, apr_pool_cleanup_null,
                                  process_pool) != APR_SUCCESS) {
            return APR_ENOMEM;
        }
        kept = fresh;
    }
    indices = *(const provauth_handshake_indices_t *)kept;
    if (kept_indices != NULL) {
        *kept_indices = kept;
    }
    return APR_SUCCESS;
}

int provauth_is_time_error(int verify_error)
{
    return verify_error == X509_V_ERR_CERT_HAS_EXPIRED
        || verify_error == X509_V_ERR_CERT_NOT_YET_VALID;
}

int provauth_is_pin_forgivable(int verify_error)
{
    return verify_error == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
        || verify_error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT
        || verify_error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        || verify_error == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE
        || verify_error == X509_V_ERR_UNABLE_TO_GET_CRL;
}

const provauth_handshake_t *provauth_handshake_policy(const SSL *ssl)
{
    /* After an SNI switch this is the selected virtual host's context. */
    SSL_CTX *ctx = ssl ? SSL_get_SSL_CTX(ssl) : NULL;

    return (ctx && indices.policy >= 0) ? SSL_CTX_get_ex_data(ctx, indices.policy)
                                        : NULL;
}

static SSL *ssl_of(X509_STORE_CTX *store_ctx)
{
    return X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx());
}

static provauth_handshake_record_t *record_of(const SSL *ssl)
{
    return (ssl != NULL && indices.record >= 0) ? SSL_get_ex_data(ssl, indices.record)
                                                : NULL;
}

/* While the handshake verifies a chain, an observer sits in front of the
 * SSL's verify callback.  It notes every error that is not a forgiven
 * validity-period error: only a verification that returned success with no
 * such error marks the connection as cleanly verified (mod_ssl may
 * tolerate errors, optional_no_ca, and rewrite verify results later, so
 * nothing else about the handshake is taken as proof).  It also keeps the
 * store's error as the callbacks left it, which is what a forgiven time
 * error is put back to, and whether a callback accepted the chain while an
 * error stood. */
typedef struct {
    SSL_verify_cb observed;       /* the SSL's callback (mod_ssl's or ours) */
    int accept_time_errors;
    int saw_error;                /* an error other than a forgiven time error */
    int standing_error;           /* the store's error after the last callback */
    int tolerated_error;          /* a callback said ok while an error stood */
    int forgave_pin;              /* a pinned leaf's issuer error was forgiven */
} verify_observer_t;

static verify_observer_t *observer_of(X509_STORE_CTX *store_ctx)
{
    return indices.observer >= 0 ? X509_STORE_CTX_get_ex_data(store_ctx, indices.observer)
                                 : NULL;
}

/* Is the error standing in store_ctx one a pin forgives: about the leaf
 * itself (depth 0), whose fingerprint is pinned for this virtual host? */
static int pin_forgives(const provauth_handshake_t *policy, X509_STORE_CTX *store_ctx,
                        provauth_fingerprint_t *fp)
{
    X509 *leaf = X509_STORE_CTX_get0_cert(store_ctx);

    return policy->pinned != NULL && policy->pinned->nelts > 0
        && provauth_is_pin_forgivable(X509_STORE_CTX_get_error(store_ctx))
        && X509_STORE_CTX_get_error_depth(store_ctx) == 0
        && leaf != NULL && X509_STORE_CTX_get_current_cert(store_ctx) == leaf
        && provauth_cert_fingerprint(leaf, fp) == APR_SUCCESS
        && provauth_pins_any(policy->pinned, fp);
}

int provauth_handshake_verify_cb(int ok, X509_STORE_CTX *store_ctx)
{
    SSL *ssl = ssl_of(store_ctx);
    const provauth_handshake_t *policy = provauth_handshake_policy(ssl);
    SSL_verify_cb inner = policy ? policy->inner_verify : fallback_inner_verify;
    provauth_fingerprint_t fp;

    if (!ok && policy && pin_forgives(policy, store_ctx, &fp)) {
        verify_observer_t *observer = observer_of(store_ctx);
        provauth_handshake_record_t *record = record_of(ssl);

        /* As for a time error: the result is what it would be had the
         * leaf been issued by a trusted CA.  Unobserved, the error stays
         * (and `SSLVerifyClient require` refuses): fail closed. */
        if (observer != NULL) {
            X509_STORE_CTX_set_error(store_ctx, observer->standing_error);
            observer->forgave_pin = 1;
            ok = 1;
        }
        if (record != NULL) {
            record->forgave_pin = 1;
            record->pinned_fp = fp;   /* the requests' virtual hosts check it */
        }
    }
    else if (!ok && policy && policy->accept_time_errors
        && provauth_is_time_error(X509_STORE_CTX_get_error(store_ctx))) {
        const verify_observer_t *observer = observer_of(store_ctx);
        provauth_handshake_record_t *record = record_of(ssl);

        /* The handshake's verify result is the store's last error: with the
         * error before this one put back, an otherwise good chain reads OK
         * (mod_ssl: SUCCESS) and one that optional_no_ca tolerated keeps
         * its real fault, never a clean result it did not earn. */
        if (observer != NULL) {
            X509_STORE_CTX_set_error(store_ctx, observer->standing_error);
        }
        if (record != NULL) {
            record->forgave_time_error = 1;
        }
        ok = 1;
    }
    return inner ? inner(ok, store_ctx) : ok;
}

/* A chain refused at a validity-period error alone: keep its leaf and the
 * certificate whose dates failed, for the caller to say what would admit it. */
static void note_time_refusal(X509_STORE_CTX *store_ctx)
{
    SSL *ssl = ssl_of(store_ctx);
    provauth_handshake_record_t *record = record_of(ssl);
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
    record->time_refused_policy = provauth_handshake_policy(ssl);
}

static int observe_verify(int ok, X509_STORE_CTX *store_ctx)
{
    verify_observer_t *observer = observer_of(store_ctx);
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
    observer->standing_error = X509_STORE_CTX_get_error(store_ctx);
    if (ok && observer->standing_error != X509_V_OK) {
        observer->tolerated_error = 1;
    }
    if (!ok && time_error_first) {
        note_time_refusal(store_ctx);
    }
    return ok;
}

/* A session whose verification something tolerated is not resumable: a
 * resumed connection verifies nothing and keeps no GENEROUS, and mod_ssl
 * resets a TLS 1.2 connection's verify result per request, so resuming it
 * would read SUCCESS.  Every connection of such a client gets a full
 * handshake and the same verdict as its first. */
static void make_unresumable(SSL *ssl)
{
    SSL_SESSION *session = ssl ? SSL_get_session(ssl) : NULL;

    if (session != NULL) {
        SSL_SESSION_set1_id_context(session, (const unsigned char *)unresumable_context,
                                    sizeof(unresumable_context) - 1);
    }
}

/* No ex_data free callbacks: httpd unloads and reloads this module on
 * every (re)start, and OpenSSL would keep calling a stale function pointer.
 * The record belongs to the connection, which releases it. */
void provauth_handshake_track(SSL *ssl, provauth_handshake_record_t *record)
{
    record->clean_leaf = NULL;
    record->forgave_time_error = 0;
    record->forgave_pin = 0;
    record->time_refused_leaf = record->time_refused_cert = NULL;
    if (indices.record >= 0) {
        SSL_set_ex_data(ssl, indices.record, record);
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
int provauth_handshake_cert_verify(X509_STORE_CTX *store_ctx, void *arg)
{
    const provauth_handshake_t *policy = arg;
    STACK_OF(X509) *sent = X509_STORE_CTX_get0_untrusted(store_ctx);
    STACK_OF(X509) *untrusted = NULL;
    verify_observer_t observer;
    SSL *ssl = ssl_of(store_ctx);
    provauth_handshake_record_t *record = record_of(ssl);
    int verified;

    if (record != NULL) {
        provauth_handshake_record_release(record); /* a new verification */
        record->forgave_time_error = 0;
        record->forgave_pin = 0;
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
    observer.standing_error = X509_STORE_CTX_get_error(store_ctx);
    observer.tolerated_error = 0;
    observer.forgave_pin = 0;
    if (indices.observer < 0
        || !X509_STORE_CTX_set_ex_data(store_ctx, indices.observer, &observer)) {
        /* Unobserved: never clean, never resumable. */
        verified = X509_verify_cert(store_ctx);
        observer.saw_error = 1;
        observer.tolerated_error = 1;
    }
    else {
        X509_STORE_CTX_set_verify_cb(store_ctx, observe_verify);
        verified = X509_verify_cert(store_ctx);
        X509_STORE_CTX_set_verify_cb(store_ctx, observer.observed);
        X509_STORE_CTX_set_ex_data(store_ctx, indices.observer, NULL);
    }
    /* A pinned leaf's session is not resumed either: every connection
     * checks the pins of the moment (a removed pin ends at the handshake). */
    if (verified > 0 && (observer.tolerated_error || observer.forgave_pin)) {
        make_unresumable(ssl);
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
    if (indices.policy < 0 || indices.observer < 0 || indices.record < 0) {
        return APR_EINIT;
    }
    if (!SSL_CTX_set_ex_data(ctx, indices.policy, (void *)policy)) {
        return APR_ENOMEM;
    }
    if (policy->accept_time_errors || (policy->pinned && policy->pinned->nelts > 0)) {
        fallback_inner_verify = policy->inner_verify;
        SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx),
                           provauth_handshake_verify_cb);
    }
    SSL_CTX_set_cert_verify_callback(ctx, provauth_handshake_cert_verify, (void *)policy);
    return APR_SUCCESS;
}
