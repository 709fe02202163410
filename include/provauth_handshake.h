/* provauth_handshake.h: what mod_provauth changes in a server's TLS handshake:
 * forgive validity-period errors, and add configured intermediates. */
#ifndef PROVAUTH_HANDSHAKE_H
#define PROVAUTH_HANDSHAKE_H

#include <apr_pools.h>
#include <openssl/ssl.h>

typedef struct provauth_handshake {
    int accept_time_errors;          /* forgive expired / not yet valid */
    STACK_OF(X509) *intermediates;   /* extra untrusted CAs, may be NULL */
    SSL_verify_cb inner_verify;      /* the callback we wrap (mod_ssl's) */
} provauth_handshake_t;

/* Attach policy to ctx: wrap its verify callback when accept_time_errors,
 * add intermediates to chain building when non-NULL.  Keeps the context's
 * verify mode.  The policy must live as long as ctx (allocate it from the
 * pool the context is configured from). */
apr_status_t provauth_handshake_attach(SSL_CTX *ctx,
                                       const provauth_handshake_t *policy);

/* The verify callback installed by provauth_handshake_attach, exposed for
 * tests: a validity-period error is cleared in the store context (so the
 * handshake's verify result reads OK) and the wrapped callback is called
 * with ok = 1; everything else is the wrapped callback's decision. */
int provauth_handshake_verify_cb(int ok, X509_STORE_CTX *store_ctx);

/* Is this X509_V_ERR_* a validity-period error of a certificate? */
int provauth_is_time_error(int verify_error);

#endif /* PROVAUTH_HANDSHAKE_H */
