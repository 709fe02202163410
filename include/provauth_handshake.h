/* provauth_handshake.h: what mod_provauth changes in a server's TLS handshake:
 * forgive validity-period errors, and add configured intermediates. */
#ifndef PROVAUTH_HANDSHAKE_H
#define PROVAUTH_HANDSHAKE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <openssl/ssl.h>

#include "provauth_pin.h"

typedef struct provauth_handshake {
    int accept_time_errors;          /* forgive expired / not yet valid */
    STACK_OF(X509) *intermediates;   /* extra untrusted CAs, may be NULL */
    SSL_verify_cb inner_verify;      /* the callback we wrap (mod_ssl's) */
    const char *vhost_name;          /* for messages, may be NULL */
    const apr_array_header_t *pinned;   /* const provauth_pins_t * of every pin
                                         * file of the virtual host, or NULL:
                                         * their leaves' issuer errors are forgiven */
} provauth_handshake_t;

/* The OpenSSL ex_data indices the module uses. */
typedef struct provauth_handshake_indices {
    int policy;      /* SSL_CTX: its provauth_handshake_t */
    int observer;    /* X509_STORE_CTX: the verification in progress */
    int record;      /* SSL: the connection's provauth_handshake_record_t */
} provauth_handshake_indices_t;

/* Allocate the ex_data indices once per process: they are remembered in
 * process_pool (which outlives the module when httpd unloads and reloads
 * it on a restart), so later calls, also from a reloaded module, find the
 * same ones.  Call before provauth_handshake_attach; *indices (optional)
 * reports them. */
apr_status_t provauth_handshake_init(apr_pool_t *process_pool,
                                     const provauth_handshake_indices_t **indices);

/* Attach policy to ctx: wrap its verify callback when accept_time_errors
 * or pinned certificates,
 * add intermediates to chain building when non-NULL, and observe each
 * verification (see provauth_handshake_verified_cleanly).  Keeps the
 * context's verify mode.  The policy must live as long as ctx (allocate it
 * from the pool the context is configured from).  APR_EINIT before
 * provauth_handshake_init. */
apr_status_t provauth_handshake_attach(SSL_CTX *ctx,
                                       const provauth_handshake_t *policy);

/* The policy attached to the context ssl uses now (after an SNI switch,
 * the named virtual host's), or NULL. */
const provauth_handshake_t *provauth_handshake_policy(const SSL *ssl);

/* The certificate verification installed by provauth_handshake_attach
 * (SSL_CTX_set_cert_verify_callback; arg is the policy), exposed for tests.
 * Runs X509_verify_cert with the store context's verify callback observed:
 * it records into the SSL's record and, when a callback accepted the chain
 * while an error other than a forgiven time error stood (optional_no_ca),
 * makes the SSL's session impossible to resume. */
int provauth_handshake_cert_verify(X509_STORE_CTX *store_ctx, void *arg);

/* The verify callback installed by provauth_handshake_attach, exposed for
 * tests: a validity-period error is forgiven (the wrapped callback is
 * called with ok = 1) and the store's error is put back to what it was
 * before that error was raised, so the verify result is what it would have
 * been with current dates: X509_V_OK for an otherwise good chain, the
 * earlier error for a chain that something else tolerated.  Outside
 * provauth_handshake_cert_verify that earlier error is unknown and the
 * time error stays as the result.
 *
 * With pinned certificates, the errors that only say the issuer of a
 * pinned leaf is unknown or untrusted (provauth_is_pin_forgivable, at depth
 * 0, for a leaf whose fingerprint is in policy->pinned) are forgiven the
 * same way, and the session is made impossible to resume: the verify
 * result reads as if the leaf were trusted (SSL_CLIENT_VERIFY SUCCESS).
 * Its time errors are forgiven only with accept_time_errors, as any other
 * certificate's.  Everything else is the wrapped callback's decision. */
int provauth_handshake_verify_cb(int ok, X509_STORE_CTX *store_ctx);

/* Is this X509_V_ERR_* one that a pin forgives for its leaf (at depth 0):
 * self-signed, issuer unknown, leaf signature unverifiable, no CRL? */
int provauth_is_pin_forgivable(int verify_error);

/* What the handshake of one connection established, owned by the
 * connection; reset at every verification (renegotiation included). */
typedef struct provauth_handshake_record {
    X509 *clean_leaf;            /* verified cleanly (with a reference), or NULL */
    int forgave_time_error;      /* a validity-period error was forgiven */
    int forgave_pin;             /* a pinned leaf's issuer errors were forgiven */
    provauth_fingerprint_t pinned_fp;   /* with forgave_pin: that leaf's */
    /* A chain the handshake refused at a validity-period error, with no
     * other error before it: its leaf and the certificate whose dates
     * failed (references; NULL when none), the X509_V_ERR_* and that
     * certificate's depth, and the policy of the context that verified it
     * (after an SNI switch, the selected virtual host's). */
    X509 *time_refused_leaf;
    X509 *time_refused_cert;
    int time_refused_error;
    int time_refused_depth;
    const provauth_handshake_t *time_refused_policy;
} provauth_handshake_record_t;

/* Record this SSL's verifications into record (call before the handshake). */
void provauth_handshake_track(SSL *ssl, provauth_handshake_record_t *record);

/* Drop the record's reference; call when the connection ends. */
void provauth_handshake_record_release(provauth_handshake_record_t *record);

/* Did this connection's handshake verify this very leaf with success and
 * no error at all but forgiven validity-period errors?  Anything mod_ssl
 * tolerated (optional_no_ca, missing CRLs), a resumed session, or a context
 * we are not attached to answers no. */
int provauth_handshake_verified_cleanly(const provauth_handshake_record_t *record,
                                        const X509 *leaf);

/* Is this X509_V_ERR_* a validity-period error of a certificate? */
int provauth_is_time_error(int verify_error);

#endif /* PROVAUTH_HANDSHAKE_H */
