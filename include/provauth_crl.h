/* provauth_crl.h: which CAs a strict CRL check would refuse the devices of
 * because no CRL of theirs is loaded, so that startup can say so. */
#ifndef PROVAUTH_CRL_H
#define PROVAUTH_CRL_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <openssl/x509.h>

#include "provauth_verify.h"

/* The CRL flags (X509_V_FLAG_CRL_CHECK and X509_V_FLAG_CRL_CHECK_ALL, no
 * other) re-validation under trust runs with: none, the leaf or the chain
 * by trust->crl_check; in the default mode the anchor store's own (mod_ssl's
 * SSLCARevocationCheck), plus the leaf when trust has CRLs of its own. */
unsigned long provauth_crl_flags(const provauth_trust_t *trust);

/* Does re-validation under trust refuse a certificate whose issuer has no
 * CRL ("unable to get certificate CRL")?  With the default mode that is
 * the case when trust has CRLs of its own and does not forgive a missing
 * one; with ProvAuthCRLCheck leaf or chain when it does not forgive one
 * (no_crl_for_cert_ok). */
int provauth_crl_check_strict(const provauth_trust_t *trust);

/* Does it check every CA of the chain (chain mode, or the default mode on
 * an anchor store that says so), not only the device certificate? */
int provauth_crl_check_chain(const provauth_trust_t *trust);

/* The CAs known to trust (its anchors, and those of its intermediates that
 * chain to an anchor, dates ignored) that have no CRL among trust->crls or
 * the anchor store's CRLs, although a strict check needs one: every such
 * CA in chain mode; in leaf mode those that issue none of the other known
 * CAs (the ones that issue devices).  An array of X509 * (borrowed from
 * trust), empty when the check is not strict. */
apr_array_header_t *provauth_cas_without_crl(const provauth_trust_t *trust,
                                             apr_pool_t *p);

#endif /* PROVAUTH_CRL_H */
