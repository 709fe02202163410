/* test_pki.h: an in-memory test PKI (EC P-256, SHA-256) generated at test time,
 * PEM temp files for the loading tests, and the fixture pool shared by all suites. */
#ifndef TEST_PKI_H
#define TEST_PKI_H

#include <stddef.h>
#include <string.h>
#include <time.h>

#include <apr_pools.h>
#include <check.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "provauth_verify.h"

/* ---- shared assertions ---- */

/* An error text (*why) that must be set and contain text. */
#define ck_assert_why_mentions(why, text)                                      \
    do {                                                                       \
        ck_assert_msg((why) != NULL, "*why: expected to mention '%s', got NULL", \
                      (text));                                                 \
        ck_assert_msg(strstr((why), (text)) != NULL,                           \
                      "*why: expected to mention '%s', got '%s'", (text), (why)); \
    } while (0)

/* ---- fixture pool (defined in test_main.c) ---- */

/* The pool of the running test, created by test_pool_setup. */
extern apr_pool_t *test_pool;

/* apr_initialize + apr_pool_create; call from every TCase's checked setup. */
void test_pool_setup(void);
/* apr_pool_destroy + apr_terminate; call from every TCase's checked teardown. */
void test_pool_teardown(void);

/* The suites, one per test file. */
Suite *verify_suite(void);
Suite *load_suite(void);
Suite *load_errors_suite(void);
Suite *handshake_suite(void);
Suite *mac_suite(void);
Suite *mac_cert_suite(void);
Suite *allowlist_suite(void);
Suite *mac_path_suite(void);
Suite *decision_suite(void);
Suite *hint_suite(void);
Suite *check_args_suite(void);
Suite *pin_suite(void);
Suite *pin_handshake_suite(void);
Suite *crl_check_suite(void);
Suite *lint_suite(void);
Suite *registry_suite(void);
Suite *json_suite(void);
Suite *fleet_suite(void);
Suite *lines_suite(void);

/* ---- times ---- */

#define PKI_DAY  86400L
#define PKI_YEAR (365L * PKI_DAY)

/* now + seconds (negative for the past). */
time_t pki_now_plus(long seconds);
/* An absolute UTC time from "YYYYMMDDHHMMSSZ". */
time_t pki_utc(const char *generalized_time);

/* ---- keys, certificates and CRLs (every helper fails the test on error) ---- */

typedef enum {
    PKI_EKU_CLIENT_AUTH = 0,   /* extendedKeyUsage clientAuth (the default) */
    PKI_EKU_SERVER_AUTH_ONLY   /* extendedKeyUsage serverAuth, no clientAuth */
} pki_eku_t;

/* A fresh EC P-256 key. */
EVP_PKEY *pki_make_key(void);

/* The serial number the next certificate gets; later ones count up from it. */
void pki_set_next_serial(long serial);
long pki_serial(const X509 *cert);

/* A CA certificate for key, named CN=cn, signed by issuer/issuer_key, or
 * self-signed when issuer is NULL: basicConstraints CA:TRUE, keyUsage
 * keyCertSign+cRLSign, subject and authority key identifiers. */
X509 *pki_make_ca(const char *cn, EVP_PKEY *key, X509 *issuer,
                  EVP_PKEY *issuer_key, time_t not_before, time_t not_after);

/* A device certificate (CN such as "0004f2abcdef") for key, signed by
 * issuer/issuer_key or self-signed when issuer is NULL: basicConstraints
 * CA:FALSE, the extendedKeyUsage eku, key identifiers, no keyUsage. */
X509 *pki_make_leaf(const char *cn, EVP_PKEY *key, X509 *issuer,
                    EVP_PKEY *issuer_key, time_t not_before, time_t not_after,
                    pki_eku_t eku);

/* One subject attribute for pki_make_leaf_subject.  field: an OpenSSL short
 * or long name ("CN", "OU", "serialNumber", "UID").  type: an MBSTRING_*
 * input encoding (OpenSSL converts value and picks the ASN.1 string type as
 * for any certificate, enforcing the attribute's size limits) or a V_ASN1_*
 * string type (the len bytes of value are stored verbatim with that type:
 * e.g. V_ASN1_BMPSTRING with UCS-2 big-endian bytes, an empty
 * V_ASN1_UTF8STRING, a UTF8String with an embedded NUL).  len < 0:
 * strlen(value). */
typedef struct pki_attr {
    const char *field;
    const char *value;
    int len;
    int type;
} pki_attr_t;

/* A device certificate like pki_make_leaf's (clientAuth) whose subject is
 * attrs[0..n) in that order, each its own RDN; n may be 0. */
X509 *pki_make_leaf_subject(const pki_attr_t *attrs, size_t n, EVP_PKEY *key,
                            X509 *issuer, EVP_PKEY *issuer_key,
                            time_t not_before, time_t not_after);

/* A v2 CRL of issuer revoking serials[0..n), signed with issuer_key. */
X509_CRL *pki_make_crl(X509 *issuer, EVP_PKEY *issuer_key,
                       const long *serials, size_t n,
                       time_t last_update, time_t next_update);

/* A new stack holding references to the NULL-terminated certificates;
 * free with sk_X509_pop_free(stack, X509_free). */
STACK_OF(X509) *pki_stack(X509 *first, ...);
/* A new store trusting the NULL-terminated certificates; X509_STORE_free. */
X509_STORE *pki_store(X509 *first, ...);

/* ---- a vendor hierarchy: root -> policy CA -> issuing CA ---- */

typedef struct pki_vendor {
    EVP_PKEY *root_key, *policy_key, *issuing_key;
    X509 *root, *policy, *issuing;   /* valid since 2020, for ten more years */
} pki_vendor_t;

/* CNs are "<name> Root CA", "<name> Policy CA", "<name> Issuing CA". */
pki_vendor_t *pki_vendor_new(const char *name);
void pki_vendor_free(pki_vendor_t *vendor);

/* ---- PEM files in a temporary directory ---- */

/* mkdtemp under /tmp; returns a malloc'd path.  Create it in an unchecked
 * fixture: a failing test skips its checked teardown (the forked child
 * leaves with _exit), the unchecked teardown still runs in the runner. */
char *pki_tempdir_new(void);
/* Unlink every file of dir, remove it and free the path. */
void pki_tempdir_free(char *dir);

/* The temporary directory of the running TCase, for suites whose tests
 * write files: add test_dir_make and test_dir_remove as the TCase's
 * unchecked fixture (tcase_add_unchecked_fixture). */
extern char *test_dir;
void test_dir_make(void);
void test_dir_remove(void);

/* dir/name, malloc'd. */
char *pki_path(const char *dir, const char *name);
/* Write len bytes verbatim (NULs included) to dir/name; returns a malloc'd
 * path. */
char *pki_write_bytes(const char *dir, const char *name, const void *data,
                      size_t len);

/* Write certs[0..ncerts) then crls[0..ncrls) as PEM to dir/name; returns a
 * malloc'd path. */
char *pki_write_pem(const char *dir, const char *name,
                    X509 *const *certs, size_t ncerts,
                    X509_CRL *const *crls, size_t ncrls);
/* Write text verbatim to dir/name; returns a malloc'd path. */
char *pki_write_text(const char *dir, const char *name, const char *text);

/* Free helpers that accept NULL. */
void pki_free_cert(X509 *cert);
void pki_free_key(EVP_PKEY *key);
void pki_free_crl(X509_CRL *crl);

/* The chain-verification suites' fixture (test_verify.c, test_hint.c):
 * vendor Acme, whose root is the anchors of trust, a vendor nobody trusts,
 * a leaf key and the time; made by trust_fixture_setup (with the pool) and
 * freed by trust_fixture_teardown, as a checked fixture. */
typedef struct {
    pki_vendor_t *acme;
    pki_vendor_t *other;
    EVP_PKEY *leaf_key;
    X509_STORE *anchors;        /* Acme's root */
    provauth_trust_t trust;     /* .anchors = anchors, nothing else set */
    time_t now;
} trust_fixture_t;
extern trust_fixture_t fx;
void trust_fixture_setup(void);
void trust_fixture_teardown(void);

#endif /* TEST_PKI_H */
