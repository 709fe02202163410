/* test_load_errors.c: how loading trust material fails, precisely: missing,
 * empty, corrupt, encrypted and unreadable files, files of the wrong kind or
 * holding a private key, and files that are not files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_errno.h>
#include <openssl/pem.h>
#include <openssl/ui.h>

#include "provauth_verify.h"
#include "test_load.h"

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

/* In the runner process, once for the TCase, like the directory. */
static void make_corrupt_pems(void)
{
    make_corrupt_pem(corrupt_pem, sizeof(corrupt_pem), "CERTIFICATE",
                     "This is not base64 at all!! ***\nZm9vYmFyIGdhcmJhZ2U=");
    make_corrupt_pem(corrupt_crl_pem, sizeof(corrupt_crl_pem), "X509 CRL",
                     "Zm9vYmFyIGdhcmJhZ2UgZ2FyYmFnZSBnYXJiYWdl");
}

START_TEST(test_missing_file_fails_with_enoent_and_path)
{
    char *path = malloc(strlen(test_dir) + sizeof("/missing.pem"));
    X509_STORE *anchors = NULL;
    STACK_OF(X509) *certs = NULL;
    STACK_OF(X509_CRL) *crls = NULL;
    const char *why = NULL;
    apr_status_t rv;

    ck_assert_ptr_nonnull(path);
    strcpy(path, test_dir);
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
    char *path = load_write_crls("crl-only.pem");

    assert_no_certificate(path);
    free(path);
}
END_TEST

START_TEST(test_plain_text_file_has_no_certificate)
{
    char *path = pki_write_text(test_dir, "notes.txt",
                                "These are the trust anchors, honest.\n");

    assert_no_certificate(path);
    free(path);
}
END_TEST

START_TEST(test_empty_file_has_no_certificate)
{
    char *path = pki_write_text(test_dir, "empty.pem", "");

    assert_no_certificate(path);
    free(path);
}
END_TEST

START_TEST(test_cert_only_file_has_no_crl)
{
    char *path = load_write_certs("certs-only.pem");
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
    char *path = pki_write_text(test_dir, "empty.pem", "");
    STACK_OF(X509_CRL) *crls = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_crls(&crls, path, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "no CRL");
    free(path);
}
END_TEST

START_TEST(test_corrupt_certificate_pem_fails_naming_the_file)
{
    char *path = pki_write_text(test_dir, "corrupt.pem", corrupt_pem);
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
    char *good = load_write_certs("good.pem");
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
    path = pki_write_text(test_dir, "half-corrupt.pem", text);

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
    char *path = pki_write_text(test_dir, "corrupt-crl.pem", corrupt_crl_pem);
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
    ck_assert_int_eq(PEM_write_bio_X509(mem, load_acme->root), 1);
    ck_assert_int_eq(PEM_write_bio_X509_CRL(mem, load_issuing_crl), 1);
    len = BIO_get_mem_data(mem, &pem);
    text = calloc(1, (size_t)len + sizeof(headers));
    ck_assert_ptr_nonnull(text);
    first_line_end = memchr(pem, '\n', (size_t)len);
    ck_assert_ptr_nonnull(first_line_end);
    memcpy(text, pem, (size_t)(first_line_end + 1 - pem));
    strcat(text, headers);
    strncat(text, first_line_end + 1, (size_t)(len - (first_line_end + 1 - pem)));
    path = pki_write_text(test_dir, "encrypted.pem", text);

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

START_TEST(test_der_crl_given_as_certificates_says_what_it_holds)
{
    X509_CRL *crl[] = { load_issuing_crl, load_policy_crl };
    char *path = load_write_der("crls.der", NULL, 0, crl, 2, NULL);

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

START_TEST(test_directory_is_an_error_saying_is_a_directory)
{
    X509_STORE *anchors = NULL;
    STACK_OF(X509) *certs = NULL;
    STACK_OF(X509_CRL) *crls = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_anchors(&anchors, test_dir, test_pool, &why),
                     APR_FROM_OS_ERROR(EISDIR));
    ck_assert_why_mentions(why, "is a directory");
    ck_assert_why_mentions(why, test_dir);
    why = NULL;
    ck_assert_int_eq(provauth_load_certs(&certs, test_dir, test_pool, &why),
                     APR_FROM_OS_ERROR(EISDIR));
    ck_assert_why_mentions(why, "is a directory");
    why = NULL;
    ck_assert_int_eq(provauth_load_crls(&crls, test_dir, test_pool, &why),
                     APR_FROM_OS_ERROR(EISDIR));
    ck_assert_why_mentions(why, "is a directory");
    ck_assert_ptr_null(anchors);
    ck_assert_ptr_null(certs);
    ck_assert_ptr_null(crls);
}
END_TEST

START_TEST(test_file_with_a_private_key_is_an_error_for_every_trust_file)
{
    char *path = load_write_with_key("with-key.pem");
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
    int len = i2d_PrivateKey(load_acme->root_key, &der);
    char *path;
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;

    ck_assert_int_gt(len, 0);
    path = pki_write_bytes(test_dir, "root.key.der", der, (size_t)len);
    OPENSSL_free(der);
    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "holds a private key");
    free(path);
}
END_TEST

START_TEST(test_empty_file_says_it_is_empty)
{
    char *path = pki_write_text(test_dir, "empty.crt", "\n");
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
    char *path = pki_write_bytes(test_dir, "program", garbage, sizeof(garbage));
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
    int len = i2d_X509(load_acme->root, &der);
    char *path;
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;

    ck_assert_int_gt(len, 100);
    path = pki_write_bytes(test_dir, "cut.crt", der, (size_t)len - 40);
    OPENSSL_free(der);
    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "cannot parse DER");
    ck_assert_why_mentions(why, "at byte 0");
    free(path);
}
END_TEST

START_TEST(test_der_certificate_followed_by_garbage_names_the_offset)
{
    X509 *root[] = { load_acme->root };
    char *path = load_write_der("root-and-junk.crt", root, 1, NULL, 0, "junk");
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;
    unsigned char *der = NULL;
    int len = i2d_X509(load_acme->root, &der);
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
    char *path = load_write_certs("certs-instead-of-crls.pem");
    STACK_OF(X509_CRL) *crls = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_load_crls(&crls, path, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "(it holds 3 certificates)");
    free(path);
}
END_TEST

START_TEST(test_no_certificate_message_names_another_pem_block)
{
    char *path = pki_path(test_dir, "pubkey.pem");
    BIO *out = BIO_new_file(path, "w");
    STACK_OF(X509) *certs = NULL;
    const char *why = NULL;

    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(PEM_write_bio_PUBKEY(out, load_acme->root_key), 1);
    BIO_free(out);
    ck_assert_int_eq(provauth_load_certs(&certs, path, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, "(it holds a PUBLIC KEY)");
    free(path);
}
END_TEST

START_TEST(test_fifo_without_writer_does_not_hang)
{
    char *path = pki_path(test_dir, "fifo.pem");
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
    char *path = pki_path(test_dir, "access.log");
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
    char *path = load_write_certs("secret.pem");
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

Suite *load_errors_suite(void)
{
    Suite *s = suite_create("load_errors");
    TCase *tc = tcase_create("load_errors");

    load_fixture_add(tc);
    tcase_add_unchecked_fixture(tc, make_corrupt_pems, NULL);
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
    tcase_add_test(tc, test_der_crl_given_as_certificates_says_what_it_holds);
    tcase_add_test(tc, test_directory_is_an_error_saying_is_a_directory);
    tcase_add_test(tc, test_file_with_a_private_key_is_an_error_for_every_trust_file);
    tcase_add_test(tc, test_der_private_key_is_an_error);
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
