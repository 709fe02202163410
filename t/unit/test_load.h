/* test_load.h: the fixture the loading suites share (test_load.c,
 * test_load_errors.c): the Acme vendor, two CRLs and trust files written to
 * a temporary directory. */
#ifndef TEST_LOAD_H
#define TEST_LOAD_H

#include <stddef.h>

#include <check.h>
#include <openssl/x509.h>

#include "test_pki.h"

/* Made afresh for every test by the checked fixture. */
extern pki_vendor_t *load_acme;
/* Issued by Acme's issuing CA (revoking serial 0x1234) and by its policy CA
 * (revoking nothing), both current. */
extern X509_CRL *load_issuing_crl, *load_policy_crl;

/* Add the fixtures above to tc: test_dir (test_pki.h), where the trust
 * files go, unchecked (it lives in the runner process), the vendor and
 * CRLs checked. */
void load_fixture_add(TCase *tc);

/* Acme's issuing, policy and root CA certificates as PEM in test_dir/name. */
char *load_write_certs(const char *name);
/* Both CRLs as PEM in test_dir/name. */
char *load_write_crls(const char *name);
/* load_write_certs followed by the issuing CA's private key. */
char *load_write_with_key(const char *name);
/* DER of certs then crls, concatenated as in a vendor's .crt/.crl file;
 * trailing is appended verbatim (NULL: nothing). */
char *load_write_der(const char *name, X509 *const *certs, size_t ncerts,
                     X509_CRL *const *crls, size_t ncrls, const char *trailing);

#endif /* TEST_LOAD_H */
