/* test_load.c: loading trust material with provauth_load_anchors, _certs,
 * _crls and _device_certs: PEM, DER and PKCS#7 as vendors publish them, and
 * freeing with the pool.  How bad files fail: test_load_errors.c. */
#include <stdlib.h>
#include <string.h>

#include <apr_errno.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509_vfy.h>

#include "provauth_verify.h"
#include "test_load.h"

static int count_store_certs(X509_STORE *store)
{
    STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(store);
    int i, n = 0;

    for (i = 0; i < sk_X509_OBJECT_num(objs); i++) {
        n += X509_OBJECT_get_type(sk_X509_OBJECT_value(objs, i)) == X509_LU_X509;
    }
    return n;
}

START_TEST(test_anchors_file_with_three_certs_loads_three_anchors)
{
    char *path = load_write_certs("anchors.pem");
    X509_STORE *anchors = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_anchors(&anchors, path, test_pool, &why),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(anchors);
    ck_assert_ptr_null(why);
    ck_assert_int_eq(count_store_certs(anchors), 3);
    free(path);
}
END_TEST

START_TEST(test_certs_file_loads_every_certificate_in_order)
{
    char *path = load_write_certs("chain.pem");
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(certs);
    ck_assert_int_eq(sk_X509_num(certs), 3);
    ck_assert_int_eq(X509_cmp(sk_X509_value(certs, 0), load_acme->issuing), 0);
    ck_assert_int_eq(X509_cmp(sk_X509_value(certs, 1), load_acme->policy), 0);
    ck_assert_int_eq(X509_cmp(sk_X509_value(certs, 2), load_acme->root), 0);
    free(path);
}
END_TEST

START_TEST(test_crls_file_loads_every_crl)
{
    char *path = load_write_crls("crls.pem");
    STACK_OF(X509_CRL) *crls = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_crls(&crls, path, test_pool, &why),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(crls);
    ck_assert_int_eq(sk_X509_CRL_num(crls), 2);
    ck_assert_int_eq(X509_CRL_cmp(sk_X509_CRL_value(crls, 0), load_issuing_crl), 0);
    free(path);
}
END_TEST

START_TEST(test_file_mixing_certs_and_crls_loads_each_kind)
{
    X509 *certs_in[] = { load_acme->issuing, load_acme->policy };
    X509_CRL *crls_in[] = { load_issuing_crl };
    char *path = pki_write_pem(test_dir, "mixed.pem", certs_in, 2, crls_in, 1);
    STACK_OF(X509) *certs = NULL;
    STACK_OF(X509_CRL) *crls = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why),
                     APR_SUCCESS);
    ck_assert_int_eq(sk_X509_num(certs), 2);
    ck_assert_int_eq(provauth_load_crls(&crls, path, test_pool, &why),
                     APR_SUCCESS);
    ck_assert_int_eq(sk_X509_CRL_num(crls), 1);
    free(path);
}
END_TEST

/* ex_data free callbacks count the objects OpenSSL really frees. */
static int freed_certs, freed_stores;

static void count_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
                       long argl, void *argp)
{
    (void)parent; (void)ad; (void)idx; (void)argp;
    if (ptr != NULL) {
        if (argl == 0) {
            freed_certs++;
        }
        else {
            freed_stores++;
        }
    }
}

static int cert_index(void)
{
    static int idx = -1;

    if (idx < 0) {
        idx = X509_get_ex_new_index(0, NULL, NULL, NULL, count_free);
    }
    ck_assert_int_ge(idx, 0);
    return idx;
}

static int store_index(void)
{
    static int idx = -1;

    if (idx < 0) {
        idx = X509_STORE_get_ex_new_index(1, NULL, NULL, NULL, count_free);
    }
    ck_assert_int_ge(idx, 0);
    return idx;
}

START_TEST(test_loaded_certs_are_freed_with_the_pool)
{
    char *path = load_write_certs("chain.pem");
    apr_pool_t *sub = NULL;
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;
    int i;

    ck_assert_int_eq(apr_pool_create(&sub, test_pool), APR_SUCCESS);
    ck_assert_int_eq(provauth_load_certs(&certs, path, sub, &why), APR_SUCCESS);
    freed_certs = 0;
    for (i = 0; i < sk_X509_num(certs); i++) {
        ck_assert_int_eq(X509_set_ex_data(sk_X509_value(certs, i), cert_index(),
                                          &freed_certs), 1);
    }
    apr_pool_destroy(sub);
    ck_assert_int_eq(freed_certs, 3);
    free(path);
}
END_TEST

START_TEST(test_loaded_anchors_are_freed_with_the_pool)
{
    char *path = load_write_certs("anchors.pem");
    apr_pool_t *sub = NULL;
    X509_STORE *anchors = NULL;
    STACK_OF(X509_OBJECT) *objs;
    const char *why = NULL;
    int i;

    ck_assert_int_eq(apr_pool_create(&sub, test_pool), APR_SUCCESS);
    ck_assert_int_eq(provauth_load_anchors(&anchors, path, sub, &why),
                     APR_SUCCESS);
    freed_certs = freed_stores = 0;
    ck_assert_int_eq(X509_STORE_set_ex_data(anchors, store_index(),
                                            &freed_stores), 1);
    objs = X509_STORE_get0_objects(anchors);
    for (i = 0; i < sk_X509_OBJECT_num(objs); i++) {
        X509 *cert = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
        ck_assert_ptr_nonnull(cert);
        ck_assert_int_eq(X509_set_ex_data(cert, cert_index(), &freed_certs), 1);
    }
    apr_pool_destroy(sub);
    ck_assert_int_eq(freed_stores, 1);
    ck_assert_int_eq(freed_certs, 3);
    free(path);
}
END_TEST

/* ---- files as vendors publish them: DER, PKCS#7, bundles with text ---- */

/* A PKCS#7 certificate bundle (.p7b) holding the vendor's CAs and a CRL. */
static PKCS7 *make_p7b(void)
{
    PKCS7 *p7 = PKCS7_new();

    ck_assert_ptr_nonnull(p7);
    ck_assert_int_eq(PKCS7_set_type(p7, NID_pkcs7_signed), 1);
    ck_assert_int_eq(PKCS7_content_new(p7, NID_pkcs7_data), 1);
    ck_assert_int_eq(PKCS7_add_certificate(p7, load_acme->root), 1);
    ck_assert_int_eq(PKCS7_add_certificate(p7, load_acme->issuing), 1);
    ck_assert_int_eq(PKCS7_add_crl(p7, load_issuing_crl), 1);
    return p7;
}

START_TEST(test_der_certificate_file_loads_as_anchors_and_certs)
{
    X509 *root[] = { load_acme->root };
    char *path = load_write_der("root.crt", root, 1, NULL, 0, NULL);
    X509_STORE *anchors = NULL;
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_anchors(&anchors, path, test_pool, &why),
                     APR_SUCCESS);
    ck_assert_int_eq(count_store_certs(anchors), 1);
    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why), APR_SUCCESS);
    ck_assert_int_eq(sk_X509_num(certs), 1);
    ck_assert_int_eq(X509_cmp(sk_X509_value(certs, 0), load_acme->root), 0);
    free(path);
}
END_TEST

START_TEST(test_concatenated_der_certificates_load_in_order)
{
    X509 *chain[] = { load_acme->issuing, load_acme->policy };
    char *path = load_write_der("intermediates.der", chain, 2, NULL, 0, "\n");
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why), APR_SUCCESS);
    ck_assert_int_eq(sk_X509_num(certs), 2);
    ck_assert_int_eq(X509_cmp(sk_X509_value(certs, 0), load_acme->issuing), 0);
    ck_assert_int_eq(X509_cmp(sk_X509_value(certs, 1), load_acme->policy), 0);
    free(path);
}
END_TEST

START_TEST(test_der_crl_file_loads)
{
    X509_CRL *crl[] = { load_issuing_crl };
    char *path = load_write_der("issuing.crl", NULL, 0, crl, 1, NULL);
    STACK_OF(X509_CRL) *crls = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_crls(&crls, path, test_pool, &why), APR_SUCCESS);
    ck_assert_int_eq(sk_X509_CRL_num(crls), 1);
    ck_assert_int_eq(X509_CRL_cmp(sk_X509_CRL_value(crls, 0), load_issuing_crl), 0);
    free(path);
}
END_TEST

START_TEST(test_pkcs7_bundle_der_and_pem_loads_certs_and_crls)
{
    PKCS7 *p7 = make_p7b();
    unsigned char *der = NULL;
    int len = i2d_PKCS7(p7, &der);
    char *der_path, *pem_path = pki_path(test_dir, "bundle-pem.p7b");
    BIO *out = BIO_new_file(pem_path, "w");
    const char *paths[2];
    int i;

    ck_assert_int_gt(len, 0);
    der_path = pki_write_bytes(test_dir, "bundle.p7b", der, (size_t)len);
    OPENSSL_free(der);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(PEM_write_bio_PKCS7(out, p7), 1);
    BIO_free(out);
    PKCS7_free(p7);
    paths[0] = der_path;
    paths[1] = pem_path;
    for (i = 0; i < 2; i++) {
        STACK_OF(X509) *certs = NULL;
        STACK_OF(X509_CRL) *crls = NULL;
        const char *why = NULL;

        ck_assert_msg(provauth_load_certs(&certs, paths[i], test_pool, &why)
                      == APR_SUCCESS, "%s: %s", paths[i], why);
        ck_assert_int_eq(sk_X509_num(certs), 2);
        ck_assert_int_eq(provauth_load_crls(&crls, paths[i], test_pool, &why),
                         APR_SUCCESS);
        ck_assert_int_eq(sk_X509_CRL_num(crls), 1);
    }
    free(der_path);
    free(pem_path);
}
END_TEST

START_TEST(test_pem_bundle_with_text_around_blocks_loads_every_certificate)
{
    char *pem = load_write_certs("bundle-raw.pem");
    char text[32768], *path;
    FILE *in = fopen(pem, "r");
    size_t len;

    ck_assert_ptr_nonnull(in);
    strcpy(text, "# Acme Phones CA bundle, as downloaded\nsubject=CN = Acme Issuing CA\n");
    len = strlen(text);
    len += fread(text + len, 1, sizeof(text) - len - 64, in);
    fclose(in);
    strcpy(text + len, "\n# end of bundle\n");
    path = pki_write_text(test_dir, "bundle.pem", text);
    {
        STACK_OF(X509) *certs = NULL;
        const char *why = NULL;
        ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why),
                         APR_SUCCESS);
        ck_assert_int_eq(sk_X509_num(certs), 3);
    }
    free(path);
    free(pem);
}
END_TEST

START_TEST(test_trusted_certificate_pem_block_loads)
{
    char *path = pki_path(test_dir, "trusted.pem");
    BIO *out = BIO_new_file(path, "w");
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;

    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(PEM_write_bio_X509_AUX(out, load_acme->root), 1);
    BIO_free(out);
    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why), APR_SUCCESS);
    ck_assert_int_eq(X509_cmp(sk_X509_value(certs, 0), load_acme->root), 0);
    free(path);
}
END_TEST

START_TEST(test_device_file_may_carry_its_key)
{
    char *path = load_write_with_key("device-and-key.pem");
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_device_certs(&certs, path, test_pool, &why),
                     APR_SUCCESS);
    ck_assert_int_eq(sk_X509_num(certs), 3);
    free(path);
}
END_TEST

Suite *load_suite(void)
{
    Suite *s = suite_create("load");
    TCase *tc = tcase_create("load_pem");

    load_fixture_add(tc);
    tcase_add_test(tc, test_anchors_file_with_three_certs_loads_three_anchors);
    tcase_add_test(tc, test_certs_file_loads_every_certificate_in_order);
    tcase_add_test(tc, test_crls_file_loads_every_crl);
    tcase_add_test(tc, test_file_mixing_certs_and_crls_loads_each_kind);
    tcase_add_test(tc, test_loaded_certs_are_freed_with_the_pool);
    tcase_add_test(tc, test_loaded_anchors_are_freed_with_the_pool);
    tcase_add_test(tc, test_der_certificate_file_loads_as_anchors_and_certs);
    tcase_add_test(tc, test_concatenated_der_certificates_load_in_order);
    tcase_add_test(tc, test_der_crl_file_loads);
    tcase_add_test(tc, test_pkcs7_bundle_der_and_pem_loads_certs_and_crls);
    tcase_add_test(tc, test_pem_bundle_with_text_around_blocks_loads_every_certificate);
    tcase_add_test(tc, test_trusted_certificate_pem_block_loads);
    tcase_add_test(tc, test_device_file_may_carry_its_key);
    suite_add_tcase(s, tc);
    return s;
}
