/* test_pki.c: builds the unit tests' keys, certificates, CRLs and PEM files in
 * memory with OpenSSL 3 (EC P-256, SHA-256); nothing is read from disk. */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "test_pki.h"

static long next_serial = 0x5A0001;

time_t pki_now_plus(long seconds)
{
    return time(NULL) + seconds;
}

time_t pki_utc(const char *generalized_time)
{
    ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
    ASN1_TIME *when = ASN1_TIME_new();
    int day = 0, sec = 0;

    ck_assert_msg(epoch != NULL && when != NULL, "out of memory");
    ck_assert_msg(ASN1_TIME_set_string(when, generalized_time) == 1
                  && ASN1_TIME_diff(&day, &sec, epoch, when) == 1,
                  "bad time '%s'", generalized_time);
    ASN1_TIME_free(epoch);
    ASN1_TIME_free(when);
    return (time_t)day * PKI_DAY + sec;
}

EVP_PKEY *pki_make_key(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");

    ck_assert_msg(key != NULL, "EC P-256 key generation failed");
    return key;
}

void pki_set_next_serial(long serial)
{
    next_serial = serial;
}

long pki_serial(const X509 *cert)
{
    long serial = ASN1_INTEGER_get(X509_get0_serialNumber(cert));

    ck_assert_msg(serial > 0, "serial %ld does not fit a long", serial);
    return serial;
}

static void add_ext(X509 *cert, X509V3_CTX *v3, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, v3, nid, value);

    ck_assert_msg(ext != NULL, "cannot make extension %s = %s",
                  OBJ_nid2sn(nid), value);
    ck_assert_msg(X509_add_ext(cert, ext, -1) == 1, "cannot add %s",
                  OBJ_nid2sn(nid));
    X509_EXTENSION_free(ext);
}

/* The common part of a certificate; extensions come from the caller through
 * exts[] (nid, value pairs ending with nid 0), SKID before AKID so that a
 * self-signed certificate finds its own key identifier. */
static X509 *make_cert_named(const pki_attr_t *subject, size_t nsubject,
                             EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                             time_t not_before, time_t not_after,
                             const int *nids, const char *const *values)
{
    X509 *cert = X509_new();
    X509_NAME *name;
    X509V3_CTX v3;
    int i;

    ck_assert_msg(cert != NULL, "out of memory");
    ck_assert_msg((issuer == NULL) == (issuer_key == NULL),
                  "issuer and issuer_key go together");
    ck_assert(X509_set_version(cert, X509_VERSION_3) == 1);
    ck_assert(ASN1_INTEGER_set(X509_get_serialNumber(cert), next_serial++) == 1);
    ck_assert(ASN1_TIME_set(X509_getm_notBefore(cert), not_before) != NULL);
    ck_assert(ASN1_TIME_set(X509_getm_notAfter(cert), not_after) != NULL);
    ck_assert(X509_set_pubkey(cert, key) == 1);
    name = X509_get_subject_name(cert);
    for (i = 0; (size_t)i < nsubject; i++) {
        ck_assert_msg(X509_NAME_add_entry_by_txt(name, subject[i].field,
                                                 subject[i].type,
                                                 (const unsigned char *)subject[i].value,
                                                 subject[i].len, -1, 0) == 1,
                      "cannot add subject attribute %s (type %d)",
                      subject[i].field, subject[i].type);
    }
    ck_assert(X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer)
                                                : name) == 1);
    X509V3_set_ctx(&v3, issuer ? issuer : cert, cert, NULL, NULL, 0);
    for (i = 0; nids[i] != 0; i++) {
        add_ext(cert, &v3, nids[i], values[i]);
    }
    ck_assert_msg(X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()) > 0,
                  "cannot sign certificate %s=%.*s", nsubject ? subject[0].field : "",
                  nsubject ? subject[0].len : 0, nsubject ? subject[0].value : "");
    ERR_clear_error();
    return cert;
}

static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer,
                       EVP_PKEY *issuer_key, time_t not_before,
                       time_t not_after, const int *nids,
                       const char *const *values)
{
    const pki_attr_t subject = { "CN", cn, -1, MBSTRING_UTF8 };

    return make_cert_named(&subject, 1, key, issuer, issuer_key, not_before,
                           not_after, nids, values);
}

X509 *pki_make_ca(const char *cn, EVP_PKEY *key, X509 *issuer,
                  EVP_PKEY *issuer_key, time_t not_before, time_t not_after)
{
    static const int nids[] = {
        NID_basic_constraints, NID_key_usage, NID_subject_key_identifier,
        NID_authority_key_identifier, 0
    };
    static const char *const values[] = {
        "critical,CA:TRUE", "critical,keyCertSign,cRLSign", "hash",
        "keyid:always", NULL
    };

    return make_cert(cn, key, issuer, issuer_key, not_before, not_after,
                     nids, values);
}

X509 *pki_make_leaf(const char *cn, EVP_PKEY *key, X509 *issuer,
                    EVP_PKEY *issuer_key, time_t not_before, time_t not_after,
                    pki_eku_t eku)
{
    /* No keyUsage: with one lacking keyCertSign OpenSSL would not consider a
     * self-signed device certificate self-signed at all. */
    static const int nids[] = {
        NID_basic_constraints, NID_ext_key_usage, NID_subject_key_identifier,
        NID_authority_key_identifier, 0
    };
    const char *values[] = {
        "critical,CA:FALSE",
        eku == PKI_EKU_SERVER_AUTH_ONLY ? "serverAuth" : "clientAuth",
        "hash", "keyid:always", NULL
    };

    return make_cert(cn, key, issuer, issuer_key, not_before, not_after,
                     nids, values);
}

X509 *pki_make_leaf_subject(const pki_attr_t *attrs, size_t n, EVP_PKEY *key,
                            X509 *issuer, EVP_PKEY *issuer_key,
                            time_t not_before, time_t not_after)
{
    static const int nids[] = {
        NID_basic_constraints, NID_ext_key_usage, NID_subject_key_identifier,
        NID_authority_key_identifier, 0
    };
    static const char *const values[] = {
        "critical,CA:FALSE", "clientAuth", "hash", "keyid:always", NULL
    };

    return make_cert_named(attrs, n, key, issuer, issuer_key, not_before,
                           not_after, nids, values);
}

X509_CRL *pki_make_crl(X509 *issuer, EVP_PKEY *issuer_key,
                       const long *serials, size_t n,
                       time_t last_update, time_t next_update)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *tm = ASN1_TIME_new();
    X509_EXTENSION *ext;
    X509V3_CTX v3;
    size_t i;

    ck_assert_msg(crl != NULL && tm != NULL, "out of memory");
    ck_assert(X509_CRL_set_version(crl, 1) == 1); /* v2 */
    ck_assert(X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) == 1);
    ck_assert(ASN1_TIME_set(tm, last_update) != NULL);
    ck_assert(X509_CRL_set1_lastUpdate(crl, tm) == 1);
    ck_assert(ASN1_TIME_set(tm, next_update) != NULL);
    ck_assert(X509_CRL_set1_nextUpdate(crl, tm) == 1);
    for (i = 0; i < n; i++) {
        X509_REVOKED *revoked = X509_REVOKED_new();
        ASN1_INTEGER *serial = ASN1_INTEGER_new();

        ck_assert_msg(revoked != NULL && serial != NULL, "out of memory");
        ck_assert(ASN1_INTEGER_set(serial, serials[i]) == 1);
        ck_assert(ASN1_TIME_set(tm, last_update) != NULL);
        ck_assert(X509_REVOKED_set_serialNumber(revoked, serial) == 1);
        ck_assert(X509_REVOKED_set_revocationDate(revoked, tm) == 1);
        ck_assert(X509_CRL_add0_revoked(crl, revoked) == 1);
        ASN1_INTEGER_free(serial);
    }
    ASN1_TIME_free(tm);
    X509V3_set_ctx(&v3, issuer, NULL, NULL, crl, 0);
    ext = X509V3_EXT_conf_nid(NULL, &v3, NID_authority_key_identifier,
                              "keyid:always");
    ck_assert_msg(ext != NULL, "cannot make the CRL's authorityKeyIdentifier");
    ck_assert(X509_CRL_add_ext(crl, ext, -1) == 1);
    X509_EXTENSION_free(ext);
    ck_assert(X509_CRL_sort(crl) == 1);
    ck_assert_msg(X509_CRL_sign(crl, issuer_key, EVP_sha256()) > 0,
                  "cannot sign CRL");
    ERR_clear_error();
    return crl;
}

STACK_OF(X509) *pki_stack(X509 *first, ...)
{
    STACK_OF(X509) *certs = sk_X509_new_null();
    X509 *cert;
    va_list ap;

    ck_assert_msg(certs != NULL, "out of memory");
    va_start(ap, first);
    for (cert = first; cert != NULL; cert = va_arg(ap, X509 *)) {
        ck_assert(X509_up_ref(cert) == 1);
        ck_assert(sk_X509_push(certs, cert) > 0);
    }
    va_end(ap);
    return certs;
}

X509_STORE *pki_store(X509 *first, ...)
{
    X509_STORE *store = X509_STORE_new();
    X509 *cert;
    va_list ap;

    ck_assert_msg(store != NULL, "out of memory");
    va_start(ap, first);
    for (cert = first; cert != NULL; cert = va_arg(ap, X509 *)) {
        ck_assert(X509_STORE_add_cert(store, cert) == 1);
    }
    va_end(ap);
    return store;
}

pki_vendor_t *pki_vendor_new(const char *name)
{
    pki_vendor_t *v = calloc(1, sizeof(*v));
    time_t from = pki_utc("20200101000000Z");
    time_t until = pki_now_plus(10 * PKI_YEAR);
    char cn[128];

    ck_assert_msg(v != NULL, "out of memory");
    v->root_key = pki_make_key();
    v->policy_key = pki_make_key();
    v->issuing_key = pki_make_key();
    snprintf(cn, sizeof(cn), "%s Root CA", name);
    v->root = pki_make_ca(cn, v->root_key, NULL, NULL, from, until);
    snprintf(cn, sizeof(cn), "%s Policy CA", name);
    v->policy = pki_make_ca(cn, v->policy_key, v->root, v->root_key, from, until);
    snprintf(cn, sizeof(cn), "%s Issuing CA", name);
    v->issuing = pki_make_ca(cn, v->issuing_key, v->policy, v->policy_key,
                             from, until);
    return v;
}

void pki_vendor_free(pki_vendor_t *v)
{
    if (v == NULL) {
        return;
    }
    X509_free(v->root);
    X509_free(v->policy);
    X509_free(v->issuing);
    EVP_PKEY_free(v->root_key);
    EVP_PKEY_free(v->policy_key);
    EVP_PKEY_free(v->issuing_key);
    free(v);
}

char *pki_tempdir_new(void)
{
    char *dir = strdup("/tmp/provauth-unit-XXXXXX");

    ck_assert_msg(dir != NULL, "out of memory");
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp(%s) failed", dir);
    return dir;
}

void pki_tempdir_free(char *dir)
{
    DIR *d;
    struct dirent *entry;
    char path[4096];

    if (dir == NULL) {
        return;
    }
    d = opendir(dir);
    if (d != NULL) {
        while ((entry = readdir(d)) != NULL) {
            if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
                continue;
            }
            snprintf(path, sizeof(path), "%s/%s", dir, entry->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
    free(dir);
}

char *test_dir;

void test_dir_make(void)
{
    test_dir = pki_tempdir_new();
}

void test_dir_remove(void)
{
    pki_tempdir_free(test_dir);
    test_dir = NULL;
}

char *pki_path(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);

    ck_assert_msg(path != NULL, "out of memory");
    snprintf(path, len, "%s/%s", dir, name);
    return path;
}

char *pki_write_bytes(const char *dir, const char *name, const void *data,
                      size_t len)
{
    char *path = pki_path(dir, name);
    FILE *out = fopen(path, "wb");

    ck_assert_msg(out != NULL, "cannot create %s", path);
    ck_assert(fwrite(data, 1, len, out) == len || len == 0);
    ck_assert(fclose(out) == 0);
    return path;
}

char *pki_write_pem(const char *dir, const char *name,
                    X509 *const *certs, size_t ncerts,
                    X509_CRL *const *crls, size_t ncrls)
{
    char *path = pki_path(dir, name);
    BIO *out = BIO_new_file(path, "w");
    size_t i;

    ck_assert_msg(out != NULL, "cannot create %s", path);
    for (i = 0; i < ncerts; i++) {
        ck_assert(PEM_write_bio_X509(out, certs[i]) == 1);
    }
    for (i = 0; i < ncrls; i++) {
        ck_assert(PEM_write_bio_X509_CRL(out, crls[i]) == 1);
    }
    BIO_free(out);
    return path;
}

char *pki_write_text(const char *dir, const char *name, const char *text)
{
    char *path = pki_path(dir, name);
    FILE *out = fopen(path, "w");

    ck_assert_msg(out != NULL, "cannot create %s", path);
    ck_assert(fputs(text, out) >= 0 || text[0] == '\0');
    ck_assert(fclose(out) == 0);
    return path;
}

void pki_free_cert(X509 *cert)
{
    X509_free(cert);
}

void pki_free_key(EVP_PKEY *key)
{
    EVP_PKEY_free(key);
}

void pki_free_crl(X509_CRL *crl)
{
    X509_CRL_free(crl);
}

trust_fixture_t fx;

void trust_fixture_setup(void)
{
    test_pool_setup();
    memset(&fx, 0, sizeof(fx));
    fx.acme = pki_vendor_new("Acme");
    fx.other = pki_vendor_new("Other");
    fx.leaf_key = pki_make_key();
    fx.anchors = pki_store(fx.acme->root, NULL);
    fx.trust.anchors = fx.anchors;
    fx.now = time(NULL);
}

void trust_fixture_teardown(void)
{
    X509_STORE_free(fx.anchors);
    pki_free_key(fx.leaf_key);
    pki_vendor_free(fx.other);
    pki_vendor_free(fx.acme);
    test_pool_teardown();
}
