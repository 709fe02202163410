/* test_load_fixture.c: the vendor, CRLs and temporary trust files that the
 * loading suites share (declared in test_load.h). */
#include <string.h>

#include <openssl/pem.h>

#include "test_load.h"

pki_vendor_t *load_acme;
X509_CRL *load_issuing_crl, *load_policy_crl;

static void setup(void)
{
    long revoked[] = { 0x1234 };
    time_t now = time(NULL);

    test_pool_setup();
    load_acme = pki_vendor_new("Acme");
    load_issuing_crl = pki_make_crl(load_acme->issuing, load_acme->issuing_key,
                                    revoked, 1, now - 3600, now + 7 * PKI_DAY);
    load_policy_crl = pki_make_crl(load_acme->policy, load_acme->policy_key, NULL, 0,
                                   now - 3600, now + 7 * PKI_DAY);
}

static void teardown(void)
{
    pki_free_crl(load_policy_crl);
    pki_free_crl(load_issuing_crl);
    pki_vendor_free(load_acme);
    test_pool_teardown();
}

void load_fixture_add(TCase *tc)
{
    tcase_add_unchecked_fixture(tc, test_dir_make, test_dir_remove);
    tcase_add_checked_fixture(tc, setup, teardown);
}

char *load_write_certs(const char *name)
{
    X509 *certs[] = { load_acme->issuing, load_acme->policy, load_acme->root };

    return pki_write_pem(test_dir, name, certs, 3, NULL, 0);
}

char *load_write_crls(const char *name)
{
    X509_CRL *crls[] = { load_issuing_crl, load_policy_crl };

    return pki_write_pem(test_dir, name, NULL, 0, crls, 2);
}

char *load_write_with_key(const char *name)
{
    char *path = load_write_certs(name);
    BIO *out = BIO_new_file(path, "a");

    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(PEM_write_bio_PrivateKey(out, load_acme->issuing_key, NULL, NULL,
                                              0, NULL, NULL), 1);
    BIO_free(out);
    return path;
}

char *load_write_der(const char *name, X509 *const *certs, size_t ncerts,
                     X509_CRL *const *crls, size_t ncrls, const char *trailing)
{
    unsigned char buf[65536];
    size_t len = 0, i;

    for (i = 0; i < ncerts + ncrls; i++) {
        unsigned char *der = NULL;
        int n = i < ncerts ? i2d_X509(certs[i], &der)
                           : i2d_X509_CRL(crls[i - ncerts], &der);
        ck_assert_int_gt(n, 0);
        ck_assert_uint_lt(len + (size_t)n, sizeof(buf));
        memcpy(buf + len, der, (size_t)n);
        len += (size_t)n;
        OPENSSL_free(der);
    }
    if (trailing != NULL) {
        memcpy(buf + len, trailing, strlen(trailing));
        len += strlen(trailing);
    }
    return pki_write_bytes(test_dir, name, buf, len);
}
