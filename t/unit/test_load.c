/* test_load.c: loading trust material with provauth_load_anchors, _certs,
 * _crls and _device_certs: PEM, DER and PKCS#7 as vendors publish them, how
 * bad files fail (precisely), and freeing with the pool. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_errno.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/ui.h>
#include <openssl/x509_vfy.h>

#include "provauth_verify.h"
#include "test_pki.h"

static pki_vendor_t *acme;
static X509_CRL *issuing_crl, *policy_crl;
static char *dir;

static void setup(void)
{
    long revoked[] = { 0x1234 };
    time_t now = time(NULL);

    test_pool_setup();
    acme = pki_vendor_new("Acme");
    issuing_crl = pki_make_crl(acme->issuing, acme->issuing_key, revoked, 1,
                               now - 3600, now + 7 * PKI_DAY);
    policy_crl = pki_make_crl(acme->policy, acme->policy_key, NULL, 0,
                              now - 3600, now + 7 * PKI_DAY);
}

static void teardown(void)
{
    pki_free_crl(policy_crl);
    pki_free_crl(issuing_crl);
    pki_vendor_free(acme);
    test_pool_teardown();
}

/* PEM blocks whose base64 is not what their label says, made at test time:
 * the test sources hold no PEM armour. */
static char corrupt_pem[256];
static char corrupt_crl_pem[256];

static void make_corrupt_pem(char *out, size_t size, const char *label,
                             const char *body)
{
    static const char dashes[] = "-----";

    snprintf(out, size, "%sBEGIN %s%s\n%s\n%sEND %s%s\n",
             dashes, label, dashes, body, dashes, label, dashes);
}

/* The temp directory lives for the whole TCase, in the runner process. */
static void make_dir(void)
{
    dir = pki_tempdir_new();
    make_corrupt_pem(corrupt_pem, sizeof(corrupt_pem), "CERTIFICATE",
                     "This is not base64 at all!! ***\nZm9vYmFyIGdhcmJhZ2U=");
    make_corrupt_pem(corrupt_crl_pem, sizeof(corrupt_crl_pem), "X509 CRL",
                     "Zm9vYmFyIGdhcmJhZ2UgZ2FyYmFnZSBnYXJiYWdl");
}

static void remove_dir(void)
{
    pki_tempdir_free(dir);
    dir = NULL;
}

static char *write_certs(const char *name)
{
    X509 *certs[] = { acme->issuing, acme->policy, acme->root };

    return pki_write_pem(dir, name, certs, 3, NULL, 0);
}

static char *write_crls(const char *name)
{
    X509_CRL *crls[] = { issuing_crl, policy_crl };

    return pki_write_pem(dir, name, NULL, 0, crls, 2);
}



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
    char *path = write_certs("anchors.pem");
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
    char *path = write_certs("chain.pem");
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(certs);
    ck_assert_int_eq(sk_X509_num(certs), 3);
    ck_assert_int_eq(X509_cmp(sk_X509_value(certs, 0), acme->issuing), 0);
    ck_assert_int_eq(X509_cmp(sk_X509_value(certs, 1), acme->policy), 0);
    ck_assert_int_eq(X509_cmp(sk_X509_value(certs, 2), acme->root), 0);
    free(path);
}
END_TEST

START_TEST(test_crls_file_loads_every_crl)
{
    char *path = write_crls("crls.pem");
    STACK_OF(X509_CRL) *crls = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_crls(&crls, path, test_pool, &why),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(crls);
    ck_assert_int_eq(sk_X509_CRL_num(crls), 2);
    ck_assert_int_eq(X509_CRL_cmp(sk_X509_CRL_value(crls, 0), issuing_crl), 0);
    free(path);
}
END_TEST

START_TEST(test_file_mixing_certs_and_crls_loads_each_kind)
{
    X509 *certs_in[] = { acme->issuing, acme->policy };
    X509_CRL *crls_in[] = { issuing_crl };
    char *path = pki_write_pem(dir, "mixed.pem", certs_in, 2, crls_in, 1);
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

START_TEST(test_missing_file_fails_with_enoent_and_path)
{
    char *path = malloc(strlen(dir) + sizeof("/missing.pem"));
    X509_STORE *anchors = NULL;
    STACK_OF(X509) *certs = NULL;
    STACK_OF(X509_CRL) *crls = NULL;
    const char *why = NULL;
    apr_status_t rv;

    ck_assert_ptr_nonnull(path);
    strcpy(path, dir);
    strcat(path, "/missing.pem");

    rv = provauth_load_anchors(&anchors, path, test_pool, &why);
    ck_assert_msg(APR_STATUS_IS_ENOENT(rv), "anchors: expected ENOENT (%d), got %d",
                  APR_ENOENT, rv);
    ck_assert_why_mentions(why, path);
    ck_assert_ptr_null(anchors);

    why = NULL;
    rv = provauth_load_certs(&certs, path, test_pool, &why);
    ck_assert_msg(APR_STATUS_IS_ENOENT(rv), "certs: expected ENOENT (%d), got %d",
                  APR_ENOENT, rv);
    ck_assert_why_mentions(why, path);
    ck_assert_ptr_null(certs);

    why = NULL;
    rv = provauth_load_crls(&crls, path, test_pool, &why);
    ck_assert_msg(APR_STATUS_IS_ENOENT(rv), "crls: expected ENOENT (%d), got %d",
                  APR_ENOENT, rv);
    ck_assert_why_mentions(why, path);
    ck_assert_ptr_null(crls);
    free(path);
}
END_TEST

/* Both certificate loaders reject path with "no certificate". */
static void assert_no_certificate(const char *path)
{
    X509_STORE *anchors = NULL;
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why),
                     APR_EINVAL);
    ck_assert_why_mentions(why, "no certificate");
    ck_assert_why_mentions(why, path);
    ck_assert_ptr_null(certs);

    why = NULL;
    ck_assert_int_eq(provauth_load_anchors(&anchors, path, test_pool, &why),
                     APR_EINVAL);
    ck_assert_why_mentions(why, "no certificate");
    ck_assert_ptr_null(anchors);
}

START_TEST(test_crl_only_file_has_no_certificate)
{
    char *path = write_crls("crl-only.pem");

    assert_no_certificate(path);
    free(path);
}
END_TEST

START_TEST(test_plain_text_file_has_no_certificate)
{
    char *path = pki_write_text(dir, "notes.txt",
                                "These are the trust anchors, honest.\n");

    assert_no_certificate(path);
    free(path);
}
END_TEST

START_TEST(test_empty_file_has_no_certificate)
{
    char *path = pki_write_text(dir, "empty.pem", "");

    assert_no_certificate(path);
    free(path);
}
END_TEST

START_TEST(test_cert_only_file_has_no_crl)
{
    char *path = write_certs("certs-only.pem");
    STACK_OF(X509_CRL) *crls = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_crls(&crls, path, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "no CRL");
    ck_assert_why_mentions(why, path);
    ck_assert_ptr_null(crls);
    free(path);
}
END_TEST

START_TEST(test_empty_file_has_no_crl)
{
    char *path = pki_write_text(dir, "empty.pem", "");
    STACK_OF(X509_CRL) *crls = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_crls(&crls, path, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "no CRL");
    free(path);
}
END_TEST

START_TEST(test_corrupt_certificate_pem_fails_naming_the_file)
{
    char *path = pki_write_text(dir, "corrupt.pem", corrupt_pem);
    X509_STORE *anchors = NULL;
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;
    apr_status_t rv;

    rv = provauth_load_certs(&certs, path, test_pool, &why);
    ck_assert_msg(rv != APR_SUCCESS, "certs: expected failure, got APR_SUCCESS");
    ck_assert_why_mentions(why, path);
    ck_assert_ptr_null(certs);

    why = NULL;
    rv = provauth_load_anchors(&anchors, path, test_pool, &why);
    ck_assert_msg(rv != APR_SUCCESS, "anchors: expected failure, got APR_SUCCESS");
    ck_assert_why_mentions(why, path);
    ck_assert_ptr_null(anchors);
    free(path);
}
END_TEST

START_TEST(test_corrupt_pem_after_good_certificate_fails)
{
    char *good = write_certs("good.pem");
    char *path;
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;
    FILE *in = fopen(good, "r");
    char text[16384];
    size_t len;

    ck_assert_ptr_nonnull(in);
    len = fread(text, 1, sizeof(text) - sizeof(corrupt_pem), in);
    fclose(in);
    memcpy(text + len, corrupt_pem, strlen(corrupt_pem) + 1);
    path = pki_write_text(dir, "half-corrupt.pem", text);

    ck_assert_msg(provauth_load_certs(&certs, path, test_pool, &why) != APR_SUCCESS,
                  "expected failure, got APR_SUCCESS");
    ck_assert_why_mentions(why, path);
    ck_assert_ptr_null(certs);
    free(path);
    free(good);
}
END_TEST

START_TEST(test_corrupt_crl_pem_fails_naming_the_file)
{
    char *path = pki_write_text(dir, "corrupt-crl.pem", corrupt_crl_pem);
    STACK_OF(X509_CRL) *crls = NULL;
    const char *why = NULL;

    ck_assert_msg(provauth_load_crls(&crls, path, test_pool, &why) != APR_SUCCESS,
                  "expected failure, got APR_SUCCESS");
    ck_assert_why_mentions(why, path);
    ck_assert_ptr_null(crls);
    free(path);
}
END_TEST

/* Found by t/fuzz/fuzz_pem: a PEM block with encryption headers made the
 * loaders ask for a pass phrase (OpenSSL's default callback prompts on the
 * console, so apachectl waited for one).  Trust material holds no secret:
 * such a file fails at once.  A UI method standing in for the console
 * counts the prompts. */
static int pass_phrase_prompts;

static int count_prompt(UI *ui, UI_STRING *uis)
{
    (void)ui; (void)uis;
    pass_phrase_prompts++;
    return 0;
}

START_TEST(test_encrypted_pem_block_fails_without_asking_for_a_pass_phrase)
{
    static const char headers[] = "Proc-Type: 4,ENCRYPTED\n"
        "DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n";
    UI_METHOD *console = UI_create_method("counting console");
    const UI_METHOD *saved = UI_get_default_method();
    BIO *mem = BIO_new(BIO_s_mem());
    STACK_OF(X509_CRL) *crls = NULL;
    STACK_OF(X509) *certs = NULL;
    X509_STORE *anchors = NULL;
    char *pem, *text, *first_line_end, *path;
    const char *why = NULL;
    long len;

    ck_assert(console != NULL && mem != NULL);
    ck_assert_int_eq(PEM_write_bio_X509(mem, acme->root), 1);
    ck_assert_int_eq(PEM_write_bio_X509_CRL(mem, issuing_crl), 1);
    len = BIO_get_mem_data(mem, &pem);
    text = calloc(1, (size_t)len + sizeof(headers));
    ck_assert_ptr_nonnull(text);
    first_line_end = memchr(pem, '\n', (size_t)len);
    ck_assert_ptr_nonnull(first_line_end);
    memcpy(text, pem, (size_t)(first_line_end + 1 - pem));
    strcat(text, headers);
    strncat(text, first_line_end + 1, (size_t)(len - (first_line_end + 1 - pem)));
    path = pki_write_text(dir, "encrypted.pem", text);

    ck_assert_int_eq(UI_method_set_reader(console, count_prompt), 0);
    UI_set_default_method(console);
    pass_phrase_prompts = 0;
    ck_assert_int_ne(provauth_load_certs(&certs, path, test_pool, &why), APR_SUCCESS);
    ck_assert_why_mentions(why, path);
    ck_assert_why_mentions(why, "encrypted PEM block");
    ck_assert_int_ne(provauth_load_anchors(&anchors, path, test_pool, &why),
                     APR_SUCCESS);
    ck_assert_int_ne(provauth_load_crls(&crls, path, test_pool, &why), APR_SUCCESS);
    UI_set_default_method(saved);
    UI_destroy_method(console);
    ck_assert_msg(pass_phrase_prompts == 0, "asked %d times for a pass phrase",
                  pass_phrase_prompts);
    BIO_free(mem);
    free(text);
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
    char *path = write_certs("chain.pem");
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
    char *path = write_certs("anchors.pem");
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

static char *path_in_dir(const char *name)
{
    char *path = malloc(strlen(dir) + strlen(name) + 2);

    ck_assert_ptr_nonnull(path);
    sprintf(path, "%s/%s", dir, name);
    return path;
}

/* Write len bytes verbatim (DER holds NULs, so not pki_write_text). */
static char *write_bytes(const char *name, const unsigned char *data, size_t len)
{
    char *path = path_in_dir(name);
    FILE *out = fopen(path, "wb");

    ck_assert_ptr_nonnull(out);
    ck_assert_uint_eq(fwrite(data, 1, len, out), len);
    ck_assert_int_eq(fclose(out), 0);
    return path;
}

/* DER of certs then crls, concatenated as in a vendor's .crt/.crl file;
 * trailing is appended verbatim (NULL: nothing). */
static char *write_der(const char *name, X509 *const *certs, size_t ncerts,
                       X509_CRL *const *crls, size_t ncrls, const char *trailing)
{
    unsigned char buf[65536];
    size_t len = 0, i;
    char *path;

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
    path = write_bytes(name, buf, len);
    return path;
}

/* A PKCS#7 certificate bundle (.p7b) holding the vendor's CAs and a CRL. */
static PKCS7 *make_p7b(void)
{
    PKCS7 *p7 = PKCS7_new();

    ck_assert_ptr_nonnull(p7);
    ck_assert_int_eq(PKCS7_set_type(p7, NID_pkcs7_signed), 1);
    ck_assert_int_eq(PKCS7_content_new(p7, NID_pkcs7_data), 1);
    ck_assert_int_eq(PKCS7_add_certificate(p7, acme->root), 1);
    ck_assert_int_eq(PKCS7_add_certificate(p7, acme->issuing), 1);
    ck_assert_int_eq(PKCS7_add_crl(p7, issuing_crl), 1);
    return p7;
}

START_TEST(test_der_certificate_file_loads_as_anchors_and_certs)
{
    X509 *root[] = { acme->root };
    char *path = write_der("root.crt", root, 1, NULL, 0, NULL);
    X509_STORE *anchors = NULL;
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_anchors(&anchors, path, test_pool, &why),
                     APR_SUCCESS);
    ck_assert_int_eq(count_store_certs(anchors), 1);
    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why), APR_SUCCESS);
    ck_assert_int_eq(sk_X509_num(certs), 1);
    ck_assert_int_eq(X509_cmp(sk_X509_value(certs, 0), acme->root), 0);
    free(path);
}
END_TEST

START_TEST(test_concatenated_der_certificates_load_in_order)
{
    X509 *chain[] = { acme->issuing, acme->policy };
    char *path = write_der("intermediates.der", chain, 2, NULL, 0, "\n");
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why), APR_SUCCESS);
    ck_assert_int_eq(sk_X509_num(certs), 2);
    ck_assert_int_eq(X509_cmp(sk_X509_value(certs, 0), acme->issuing), 0);
    ck_assert_int_eq(X509_cmp(sk_X509_value(certs, 1), acme->policy), 0);
    free(path);
}
END_TEST

START_TEST(test_der_crl_file_loads)
{
    X509_CRL *crl[] = { issuing_crl };
    char *path = write_der("issuing.crl", NULL, 0, crl, 1, NULL);
    STACK_OF(X509_CRL) *crls = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_crls(&crls, path, test_pool, &why), APR_SUCCESS);
    ck_assert_int_eq(sk_X509_CRL_num(crls), 1);
    ck_assert_int_eq(X509_CRL_cmp(sk_X509_CRL_value(crls, 0), issuing_crl), 0);
    free(path);
}
END_TEST

START_TEST(test_der_crl_given_as_certificates_says_what_it_holds)
{
    X509_CRL *crl[] = { issuing_crl, policy_crl };
    char *path = write_der("crls.der", NULL, 0, crl, 2, NULL);

    assert_no_certificate(path);
    {
        STACK_OF(X509) *certs = NULL;
        const char *why = NULL;
        ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why),
                         APR_EINVAL);
        ck_assert_why_mentions(why, "(it holds 2 CRLs)");
    }
    free(path);
}
END_TEST

START_TEST(test_pkcs7_bundle_der_and_pem_loads_certs_and_crls)
{
    PKCS7 *p7 = make_p7b();
    unsigned char *der = NULL;
    int len = i2d_PKCS7(p7, &der);
    char *der_path, *pem_path = path_in_dir("bundle-pem.p7b");
    BIO *out = BIO_new_file(pem_path, "w");
    const char *paths[2];
    int i;

    ck_assert_int_gt(len, 0);
    der_path = write_bytes("bundle.p7b", der, (size_t)len);
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
    char *pem = write_certs("bundle-raw.pem");
    char text[32768], *path;
    FILE *in = fopen(pem, "r");
    size_t len;

    ck_assert_ptr_nonnull(in);
    strcpy(text, "# Acme Phones CA bundle, as downloaded\nsubject=CN = Acme Issuing CA\n");
    len = strlen(text);
    len += fread(text + len, 1, sizeof(text) - len - 64, in);
    fclose(in);
    strcpy(text + len, "\n# end of bundle\n");
    path = pki_write_text(dir, "bundle.pem", text);
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
    char *path = path_in_dir("trusted.pem");
    BIO *out = BIO_new_file(path, "w");
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;

    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(PEM_write_bio_X509_AUX(out, acme->root), 1);
    BIO_free(out);
    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why), APR_SUCCESS);
    ck_assert_int_eq(X509_cmp(sk_X509_value(certs, 0), acme->root), 0);
    free(path);
}
END_TEST

START_TEST(test_directory_is_an_error_saying_is_a_directory)
{
    X509_STORE *anchors = NULL;
    STACK_OF(X509) *certs = NULL;
    STACK_OF(X509_CRL) *crls = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_anchors(&anchors, dir, test_pool, &why),
                     APR_FROM_OS_ERROR(EISDIR));
    ck_assert_why_mentions(why, "is a directory");
    ck_assert_why_mentions(why, dir);
    why = NULL;
    ck_assert_int_eq(provauth_load_certs(&certs, dir, test_pool, &why),
                     APR_FROM_OS_ERROR(EISDIR));
    ck_assert_why_mentions(why, "is a directory");
    why = NULL;
    ck_assert_int_eq(provauth_load_crls(&crls, dir, test_pool, &why),
                     APR_FROM_OS_ERROR(EISDIR));
    ck_assert_why_mentions(why, "is a directory");
    ck_assert_ptr_null(anchors);
    ck_assert_ptr_null(certs);
    ck_assert_ptr_null(crls);
}
END_TEST

/* A PEM file with the vendor's certificates and a private key. */
static char *write_with_key(const char *name)
{
    char *path = write_certs(name);
    BIO *out = BIO_new_file(path, "a");

    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(PEM_write_bio_PrivateKey(out, acme->issuing_key, NULL, NULL, 0,
                                              NULL, NULL), 1);
    BIO_free(out);
    return path;
}

START_TEST(test_file_with_a_private_key_is_an_error_for_every_trust_file)
{
    char *path = write_with_key("with-key.pem");
    X509_STORE *anchors = NULL;
    STACK_OF(X509) *certs = NULL;
    STACK_OF(X509_CRL) *crls = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_anchors(&anchors, path, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "holds a private key");
    ck_assert_why_mentions(why, path);
    why = NULL;
    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "holds a private key");
    why = NULL;
    ck_assert_int_eq(provauth_load_crls(&crls, path, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "holds a private key");
    ck_assert_ptr_null(anchors);
    ck_assert_ptr_null(certs);
    ck_assert_ptr_null(crls);
    free(path);
}
END_TEST

START_TEST(test_der_private_key_is_an_error)
{
    unsigned char *der = NULL;
    int len = i2d_PrivateKey(acme->root_key, &der);
    char *path;
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;

    ck_assert_int_gt(len, 0);
    path = write_bytes("root.key.der", der, (size_t)len);
    OPENSSL_free(der);
    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "holds a private key");
    free(path);
}
END_TEST

START_TEST(test_device_file_may_carry_its_key)
{
    char *path = write_with_key("device-and-key.pem");
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_device_certs(&certs, path, test_pool, &why),
                     APR_SUCCESS);
    ck_assert_int_eq(sk_X509_num(certs), 3);
    free(path);
}
END_TEST

START_TEST(test_empty_file_says_it_is_empty)
{
    char *path = pki_write_text(dir, "empty.crt", "\n");
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "the file is empty");
    free(path);
}
END_TEST

START_TEST(test_binary_garbage_is_neither_pem_nor_der)
{
    static const unsigned char garbage[] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0 };
    char *path = write_bytes("program", garbage, sizeof(garbage));
    STACK_OF(X509) *certs = NULL;
    STACK_OF(X509_CRL) *crls = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "no certificate in");
    ck_assert_why_mentions(why, "neither PEM nor DER");
    why = NULL;
    ck_assert_int_eq(provauth_load_crls(&crls, path, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "no CRL in");
    free(path);
}
END_TEST

START_TEST(test_truncated_der_names_the_offset)
{
    unsigned char *der = NULL;
    int len = i2d_X509(acme->root, &der);
    char *path;
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;

    ck_assert_int_gt(len, 100);
    path = write_bytes("cut.crt", der, (size_t)len - 40);
    OPENSSL_free(der);
    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "cannot parse DER");
    ck_assert_why_mentions(why, "at byte 0");
    free(path);
}
END_TEST

START_TEST(test_der_certificate_followed_by_garbage_names_the_offset)
{
    X509 *root[] = { acme->root };
    char *path = write_der("root-and-junk.crt", root, 1, NULL, 0, "junk");
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;
    unsigned char *der = NULL;
    int len = i2d_X509(acme->root, &der);
    char where[32];

    OPENSSL_free(der);
    snprintf(where, sizeof(where), "at byte %d", len);
    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, where);
    free(path);
}
END_TEST

START_TEST(test_no_crl_message_says_what_the_file_holds)
{
    char *path = write_certs("certs-instead-of-crls.pem");
    STACK_OF(X509_CRL) *crls = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_crls(&crls, path, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "(it holds 3 certificates)");
    free(path);
}
END_TEST

START_TEST(test_no_certificate_message_names_another_pem_block)
{
    char *path = path_in_dir("pubkey.pem");
    BIO *out = BIO_new_file(path, "w");
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;

    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(PEM_write_bio_PUBKEY(out, acme->root_key), 1);
    BIO_free(out);
    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "(it holds a PUBLIC KEY)");
    free(path);
}
END_TEST

START_TEST(test_fifo_without_writer_does_not_hang)
{
    char *path = path_in_dir("fifo.pem");
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;

    ck_assert_int_eq(mkfifo(path, 0600), 0);
    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "empty");
    free(path);
}
END_TEST

START_TEST(test_huge_file_is_refused_before_it_is_read)
{
    char *path = path_in_dir("access.log");
    FILE *out = fopen(path, "w");
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;

    ck_assert_ptr_nonnull(out);
    /* Sparse: no disk space used. */
    ck_assert_int_eq(ftruncate(fileno(out), (off_t)200 * 1024 * 1024), 0);
    ck_assert_int_eq(fclose(out), 0);
    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "is larger than 128 MiB");
    free(path);
}
END_TEST

START_TEST(test_unreadable_file_says_permission_denied)
{
    char *path = write_certs("secret.pem");
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;
    apr_status_t rv;

    ck_assert_int_eq(chmod(path, 0), 0);
    /* Root reads anything: drop to nobody in this forked test, and back. */
    if (geteuid() == 0) {
        ck_assert_int_eq(seteuid(65534), 0);
    }
    rv = provauth_load_certs(&certs, path, test_pool, &why);
    if (getuid() == 0) {
        ck_assert_int_eq(seteuid(0), 0);
    }
    ck_assert_int_eq(rv, APR_FROM_OS_ERROR(EACCES));
    ck_assert_why_mentions(why, "cannot open");
    ck_assert_why_mentions(why, "Permission denied");
    free(path);
}
END_TEST

Suite *load_suite(void)
{
    Suite *s = suite_create("load");
    TCase *tc = tcase_create("load_pem");

    tcase_add_unchecked_fixture(tc, make_dir, remove_dir);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_anchors_file_with_three_certs_loads_three_anchors);
    tcase_add_test(tc, test_certs_file_loads_every_certificate_in_order);
    tcase_add_test(tc, test_crls_file_loads_every_crl);
    tcase_add_test(tc, test_file_mixing_certs_and_crls_loads_each_kind);
    tcase_add_test(tc, test_missing_file_fails_with_enoent_and_path);
    tcase_add_test(tc, test_crl_only_file_has_no_certificate);
    tcase_add_test(tc, test_plain_text_file_has_no_certificate);
    tcase_add_test(tc, test_empty_file_has_no_certificate);
    tcase_add_test(tc, test_cert_only_file_has_no_crl);
    tcase_add_test(tc, test_empty_file_has_no_crl);
    tcase_add_test(tc, test_corrupt_certificate_pem_fails_naming_the_file);
    tcase_add_test(tc, test_corrupt_pem_after_good_certificate_fails);
    tcase_add_test(tc, test_corrupt_crl_pem_fails_naming_the_file);
    tcase_add_test(tc, test_encrypted_pem_block_fails_without_asking_for_a_pass_phrase);
    tcase_add_test(tc, test_loaded_certs_are_freed_with_the_pool);
    tcase_add_test(tc, test_loaded_anchors_are_freed_with_the_pool);
    tcase_add_test(tc, test_der_certificate_file_loads_as_anchors_and_certs);
    tcase_add_test(tc, test_concatenated_der_certificates_load_in_order);
    tcase_add_test(tc, test_der_crl_file_loads);
    tcase_add_test(tc, test_der_crl_given_as_certificates_says_what_it_holds);
    tcase_add_test(tc, test_pkcs7_bundle_der_and_pem_loads_certs_and_crls);
    tcase_add_test(tc, test_pem_bundle_with_text_around_blocks_loads_every_certificate);
    tcase_add_test(tc, test_trusted_certificate_pem_block_loads);
    tcase_add_test(tc, test_directory_is_an_error_saying_is_a_directory);
    tcase_add_test(tc, test_file_with_a_private_key_is_an_error_for_every_trust_file);
    tcase_add_test(tc, test_der_private_key_is_an_error);
    tcase_add_test(tc, test_device_file_may_carry_its_key);
    tcase_add_test(tc, test_empty_file_says_it_is_empty);
    tcase_add_test(tc, test_binary_garbage_is_neither_pem_nor_der);
    tcase_add_test(tc, test_truncated_der_names_the_offset);
    tcase_add_test(tc, test_der_certificate_followed_by_garbage_names_the_offset);
    tcase_add_test(tc, test_no_crl_message_says_what_the_file_holds);
    tcase_add_test(tc, test_no_certificate_message_names_another_pem_block);
    tcase_add_test(tc, test_fifo_without_writer_does_not_hang);
    tcase_add_test(tc, test_huge_file_is_refused_before_it_is_read);
    tcase_add_test(tc, test_unreadable_file_says_permission_denied);
    suite_add_tcase(s, tc);
    return s;
}
