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



/* Chain building with the configured intermediates appended to what the
 * peer sent: phones that send only their leaf still chain, and the
 * intermediates stay untrusted (a chain must still end at an anchor). */
static int verify_with_intermediates(X509_STORE_CTX *store_ctx, void *arg)
{
    const provauth_handshake_t *policy = arg;
    STACK_OF(X509) *sent = X509_STORE_CTX_get0_untrusted(store_ctx);
    STACK_OF(X509) *untrusted;
    int i, verified;

    untrusted = sent ? sk_X509_dup(sent) : sk_X509_new_null();
    if (untrusted == NULL) {
        X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_OUT_OF_MEM);
        return 0;
    }
    for (i = 0; i < sk_X509_num(policy->intermediates); i++) {
        if (sk_X509_push(untrusted, sk_X509_value(policy->intermediates, i)) <= 0) {
            sk_X509_free(untrusted);
            X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_OUT_OF_MEM);
            return 0;
        }
    }
    X509_STORE_CTX_set0_untrusted(store_ctx, untrusted);
    verified = X509_verify_cert(store_ctx);
    X509_STORE_CTX_set0_untrusted(store_ctx, sent);
    sk_X509_free(untrusted);
    return verified;
}

apr_status_t provauth_handshake_attach(SSL_CTX *ctx,
                                       const provauth_handshake_t *policy)
{
    if (policy_index < 0) {
        policy_index = SSL_CTX_get_ex_new_index(0, "mod_provauth policy",
                                                NULL, NULL, NULL);
        if (policy_index < 0) {
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
    if (policy->intermediates != NULL && sk_X509_num(policy->intermediates) > 0) {
        SSL_CTX_set_cert_verify_callback(ctx, verify_with_intermediates,
                                         (void *)policy);
    }
    return APR_SUCCESS;
}
