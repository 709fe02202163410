/* provauth_verify.h: trust material (anchors, intermediates, CRLs in PEM or
 * DER files) and time-independent re-validation of a device certificate chain.
 * Knows OpenSSL and APR only; callers decide what to grant and log. */
#ifndef PROVAUTH_VERIFY_H
#define PROVAUTH_VERIFY_H

#include <time.h>
#include <apr_pools.h>
#include <openssl/x509.h>

typedef enum {
    PROVAUTH_STATUS_NONE = 0,      /* no client certificate */
    PROVAUTH_STATUS_VALID,         /* chains and every certificate is in its validity period */
    PROVAUTH_STATUS_EXPIRED,       /* chains when time is ignored; past notAfter somewhere */
    PROVAUTH_STATUS_NOT_YET_VALID, /* chains when time is ignored; before notBefore somewhere */
    PROVAUTH_STATUS_FAILED,        /* does not chain, or revoked, wrong purpose, malformed */
    PROVAUTH_STATUS_PINNED         /* does not chain, but this very certificate is
                                    * pinned for its MAC (provauth_pin.h) */
} provauth_status_e;

/* The statuses a device may be granted on. */
#define PROVAUTH_STATUS_IS_TRUSTED(s) \
    ((s) == PROVAUTH_STATUS_VALID || (s) == PROVAUTH_STATUS_EXPIRED \
     || (s) == PROVAUTH_STATUS_NOT_YET_VALID || (s) == PROVAUTH_STATUS_PINNED)

/* Which certificates of a chain are checked against CRLs (ProvAuthCRLCheck,
 * like mod_ssl's SSLCARevocationCheck). */
typedef enum {
    PROVAUTH_CRL_CHECK_DEFAULT = 0,   /* with crls: the leaf; without: whatever
                                       * the anchor store itself says (mod_ssl's) */
    PROVAUTH_CRL_CHECK_NONE,          /* no certificate, whatever the CRLs */
    PROVAUTH_CRL_CHECK_LEAF,          /* the device certificate */
    PROVAUTH_CRL_CHECK_CHAIN          /* every certificate of the chain */
} provauth_crl_check_e;

struct provauth_pins;

/* Everything re-validation needs, loaded once at configuration time.  All
 * zero but the anchors is the plain default. */
typedef struct provauth_trust {
    X509_STORE *anchors;              /* trusted roots (never NULL when verifying) */
    STACK_OF(X509) *intermediates;    /* untrusted CA certs for chain building, may be NULL */
    STACK_OF(X509_CRL) *crls;         /* checked against the leaf when non-NULL */
    int missing_crl_ok;               /* a CA without a CRL passes (no_crl_for_cert_ok,
                                       * or anchors are mod_ssl's, whose handshake
                                       * already decided on missing CRLs) */
    provauth_crl_check_e crl_check;   /* which certificates CRLs are checked for */
    const struct provauth_pins *pins; /* pinned devices (provauth_pin.h); not
                                       * used by provauth_verify_chain */
} provauth_trust_t;

typedef struct provauth_verdict {
    provauth_status_e status;
    int verify_error;        /* X509_V_ERR_* of the first real failure, X509_V_OK otherwise */
    int error_depth;         /* chain depth of that failure, -1 when none */
    const char *reason;      /* why FAILED, NULL otherwise; ends with the hint */
    const char *hint;        /* what to fix in the trust files, when the failure
                              * usually means one lacks something; else NULL */
    long days_left;          /* whole days until the leaf's notAfter, negative once past */
    const char *subject;     /* leaf subject (RFC 2253), for logs */
    const char *issuer;      /* leaf issuer (RFC 2253), for logs */
    const char *serial;      /* leaf serial number, upper-case hex */
    X509 *root;              /* the top of the chain that was built (its root, or
                              * where a failed chain ended), with a reference
                              * the pool holds; NULL when none was built */
} provauth_verdict_t;

const char *provauth_status_name(provauth_status_e status);

/* Trust files are read as vendors publish them: PEM (any number of
 * CERTIFICATE, TRUSTED CERTIFICATE, X509 CRL and PKCS7 blocks, text around
 * them ignored), or DER (one or more certificates, CRLs or PKCS#7 bundles,
 * e.g. a .crt, .crl or .p7b file).  Each loader fails with *why naming the
 * file when it cannot be opened or read, is a directory, is damaged, holds a
 * private key, or holds nothing of the kind asked for.  What is loaded is
 * freed with the pool. */

/* The certificates of a trust file as a new X509_STORE of trust anchors. */
apr_status_t provauth_load_anchors(X509_STORE **anchors, const char *path,
                                   apr_pool_t *p, const char **why);

/* The certificates of a trust file (intermediates), in file order. */
apr_status_t provauth_load_certs(STACK_OF(X509) **certs, const char *path,
                                 apr_pool_t *p, const char **why);

/* The CRLs of a trust file. */
apr_status_t provauth_load_crls(STACK_OF(X509_CRL) **crls, const char *path,
                                apr_pool_t *p, const char **why);

/* The certificates of a device's file (its leaf first, then any chain),
 * as provauth_load_certs, except that a private key in it is skipped. */
apr_status_t provauth_load_device_certs(STACK_OF(X509) **certs, const char *path,
                                        apr_pool_t *p, const char **why);

/* The issuer (RFC 2253) of the first CRL whose nextUpdate is before now,
 * or NULL when every CRL is current.  Re-validation ignores time, so a stale
 * CRL is still applied: this lets the configuration warn about it. */
const char *provauth_crls_first_stale(STACK_OF(X509_CRL) *crls, time_t now,
                                      apr_pool_t *p);

/* Re-validate leaf (with the chain the peer sent, may be NULL) against
 * trust, ignoring validity periods, for the TLS client purpose, then
 * classify by the validity periods of the chain that was built, as of now.
 * Returns APR_SUCCESS with *verdict filled for every status; any other
 * value is an internal error (out of memory, OpenSSL failure): deny. */
apr_status_t provauth_verify_chain(provauth_verdict_t *verdict,
                                   const provauth_trust_t *trust,
                                   X509 *leaf, STACK_OF(X509) *peer_chain,
                                   time_t now, apr_pool_t *p);

/* Classify a chain the TLS handshake verified cleanly against the same
 * anchors and for the same purpose (provauth_handshake_verified_cleanly):
 * only its dates remain to be looked at. */
apr_status_t provauth_classify_verified_chain(provauth_verdict_t *verdict,
                                              X509 *leaf, STACK_OF(X509) *chain,
                                              time_t now, apr_pool_t *p);

/* Is cert (by content) one of the trust anchors in store? */
int provauth_anchors_contain(X509_STORE *anchors, X509 *cert);

/* Fill the identity fields (subject, issuer, serial, days_left) of a
 * verdict from the leaf. */
apr_status_t provauth_describe_leaf(provauth_verdict_t *verdict, X509 *leaf,
                                    time_t now, apr_pool_t *p);

/* A certificate name as RFC 2253 text ("?" when it cannot be printed);
 * NULL only when out of memory. */
const char *provauth_name_text(const X509_NAME *name, apr_pool_t *p);

#endif /* PROVAUTH_VERIFY_H */
