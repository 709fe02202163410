/* provauth_lint.h: what is wrong with trust files that load fine: a CA file
 * whose certificates anchor nothing, intermediates that are roots or not
 * CAs, and the chain depth a set of intermediates implies. */
#ifndef PROVAUTH_LINT_H
#define PROVAUTH_LINT_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <openssl/x509.h>

typedef enum {
    /* a trust anchor that is not self-signed and whose issuers in the same
     * file lead to no self-signed root: chains through it never verify */
    PROVAUTH_LINT_ANCHOR_NOT_ROOT = 0,
    /* a self-signed root among the intermediates: never trusted there */
    PROVAUTH_LINT_INTERMEDIATE_IS_ROOT,
    /* a certificate among the intermediates that is not a CA */
    PROVAUTH_LINT_INTERMEDIATE_NOT_CA,
    /* a directory's root that the handshake's anchors do not hold */
    PROVAUTH_LINT_ROOT_NOT_IN_HANDSHAKE
} provauth_lint_kind_e;

typedef struct provauth_lint_finding {
    provauth_lint_kind_e kind;
    const char *subject;     /* the certificate's subject (RFC 2253) */
    const char *issuer;      /* its issuer (RFC 2253) */
} provauth_lint_finding_t;

/* Findings (provauth_lint_finding_t) about the trust anchors in store, in
 * the store's order; an empty array when each of them is, or leads within
 * the store to, a self-signed root.  NULL only when out of memory. */
apr_array_header_t *provauth_lint_anchors(X509_STORE *anchors, apr_pool_t *p);

/* The self-signed roots among pinned (a directory's trust anchors) that
 * handshake (the anchors the TLS handshake verifies with) does not hold,
 * as PROVAUTH_LINT_ROOT_NOT_IN_HANDSHAKE findings.  NULL only when out of
 * memory. */
apr_array_header_t *provauth_lint_roots_missing(X509_STORE *pinned,
                                                X509_STORE *handshake, apr_pool_t *p);

/* Findings about a set of intermediate CA certificates. */
apr_array_header_t *provauth_lint_intermediates(STACK_OF(X509) *intermediates,
                                                apr_pool_t *p);

/* The SSLVerifyDepth a device issued under these intermediates needs: the
 * depth of its root when the longest issuer chain among them is followed
 * (issuing CA -> policy CA -> root: 3).  0 when none of them is a CA that
 * could issue a device. */
int provauth_lint_depth_needed(STACK_OF(X509) *intermediates);

#endif /* PROVAUTH_LINT_H */
