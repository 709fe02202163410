/* provauth_load.c: reads trust files as vendors publish them (PEM bundles,
 * DER, PKCS#7) into certificates and CRLs, with precise errors. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_strings.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "provauth_verify.h"

/* Far above any CA bundle or vendor CRL; stops a mistaken path such as a
 * log file or /dev/zero from being read into memory. */
#define PROVAUTH_MAX_TRUST_FILE (128L * 1024 * 1024)

/* What one file holds. */
typedef struct {
    STACK_OF(X509) *certs;
    STACK_OF(X509_CRL) *crls;
    int private_keys;           /* private-key objects (never decoded) */
    const char *other_label;    /* the first PEM block of another kind */
} file_contents_t;

static apr_status_t free_certs(void *certs)
{
    sk_X509_pop_free(certs, X509_free);
    return APR_SUCCESS;
}

static apr_status_t free_crls(void *crls)
{
    sk_X509_CRL_pop_free(crls, X509_CRL_free);
    return APR_SUCCESS;
}

static apr_status_t free_store(void *store)
{
    X509_STORE_free(store);
    return APR_SUCCESS;
}

static void contents_free(file_contents_t *contents)
{
    sk_X509_pop_free(contents->certs, X509_free);
    sk_X509_CRL_pop_free(contents->crls, X509_CRL_free);
    contents->certs = NULL;
    contents->crls = NULL;
}

/* The most recent OpenSSL error as text, clearing the queue. */
static const char *openssl_reason(apr_pool_t *p)
{
    unsigned long code = ERR_peek_last_error();
    char buf[256];

    ERR_clear_error();
    if (code == 0) {
        return "not a valid object";
    }
    ERR_error_string_n(code, buf, sizeof(buf));
    return apr_pstrdup(p, buf);
}

/* The whole file in a malloc'd buffer (*data, free it), with the precise
 * reason on failure: missing, unreadable, a directory, too big. */
static apr_status_t read_whole_file(unsigned char **data, size_t *len,
                                    const char *path, apr_pool_t *p,
                                    const char **why)
{
    struct stat info;
    size_t size = 0, capacity = (size_t)64 * 1024;
    unsigned char *buf = NULL;
    apr_status_t rv = APR_SUCCESS;
    int fd;

    *data = NULL;
    /* Non-blocking open: a FIFO without a writer must not hang startup. */
    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &info) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
        *why = apr_psprintf(p, "cannot open '%s': %s", path, strerror(errno));
        goto leave;
    }
    if (S_ISDIR(info.st_mode)) {
        rv = APR_FROM_OS_ERROR(EISDIR);
        *why = apr_psprintf(p, "'%s' is a directory, not a file (name the PEM or "
                            "DER file; one PEM file may hold several "
                            "certificates or CRLs)", path);
        goto leave;
    }
    if (S_ISREG(info.st_mode) && info.st_size > PROVAUTH_MAX_TRUST_FILE) {
        rv = APR_EINVAL;
        goto too_big;
    }
    if (S_ISREG(info.st_mode) && info.st_size > 0) {
        capacity = (size_t)info.st_size + 1;
    }
    if (fcntl(fd, F_SETFL, 0) != 0) { /* back to blocking reads */
        rv = APR_FROM_OS_ERROR(errno);
        *why = apr_psprintf(p, "cannot read '%s': %s", path, strerror(errno));
        goto leave;
    }
    buf = malloc(capacity);
    for (;;) {
        ssize_t got;

        if (buf == NULL) {
            rv = APR_ENOMEM;
            *why = "out of memory";
            goto leave;
        }
        if (size == capacity) {
            unsigned char *bigger;

            if (capacity > (size_t)PROVAUTH_MAX_TRUST_FILE) {
                rv = APR_EINVAL;
                goto too_big;
            }
            capacity *= 2;
            bigger = realloc(buf, capacity);
            if (bigger == NULL) {
                free(buf);
            }
            buf = bigger;
            continue;
        }
        got = read(fd, buf + size, capacity - size);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            rv = APR_FROM_OS_ERROR(errno);
            *why = apr_psprintf(p, "cannot read '%s': %s", path, strerror(errno));
            goto leave;
        }
        if (got == 0) {
            break;
        }
        size += (size_t)got;
    }
    *data = buf;
    *len = size;
    buf = NULL;
    goto leave;

too_big:
    *why = apr_psprintf(p, "'%s' is larger than %ld MiB: not a trust file", path,
                        PROVAUTH_MAX_TRUST_FILE >> 20);
leave:
    free(buf);
    if (fd >= 0) {
        close(fd);
    }
    return rv;
}

static apr_status_t push_cert(file_contents_t *contents, X509 *cert)
{
    if (contents->certs == NULL) {
        contents->certs = sk_X509_new_null();
    }
    if (contents->certs == NULL || sk_X509_push(contents->certs, cert) <= 0) {
        X509_free(cert);
        return APR_ENOMEM;
    }
    return APR_SUCCESS;
}

static apr_status_t push_crl(file_contents_t *contents, X509_CRL *crl)
{
    if (contents->crls == NULL) {
        contents->crls = sk_X509_CRL_new_null();
    }
    if (contents->crls == NULL || sk_X509_CRL_push(contents->crls, crl) <= 0) {
        X509_CRL_free(crl);
        return APR_ENOMEM;
    }
    return APR_SUCCESS;
}

/* Take the certificates and CRLs of a PKCS#7 bundle (.p7b/.p7c). */
static apr_status_t take_pkcs7(file_contents_t *contents, PKCS7 *p7)
{
    STACK_OF(X509) *certs = NULL;
    STACK_OF(X509_CRL) *crls = NULL;
    apr_status_t rv = APR_SUCCESS;
    int i;

    if (PKCS7_type_is_signed(p7) && p7->d.sign != NULL) {
        certs = p7->d.sign->cert;
        crls = p7->d.sign->crl;
    }
    else if (PKCS7_type_is_signedAndEnveloped(p7) && p7->d.signed_and_enveloped) {
        certs = p7->d.signed_and_enveloped->cert;
        crls = p7->d.signed_and_enveloped->crl;
    }
    for (i = 0; rv == APR_SUCCESS && i < sk_X509_num(certs); i++) {
        X509 *cert = sk_X509_value(certs, i);
        rv = X509_up_ref(cert) ? push_cert(contents, cert) : APR_ENOMEM;
    }
    for (i = 0; rv == APR_SUCCESS && i < sk_X509_CRL_num(crls); i++) {
        X509_CRL *crl = sk_X509_CRL_value(crls, i);
        rv = X509_CRL_up_ref(crl) ? push_crl(contents, crl) : APR_ENOMEM;
    }
    return rv;
}

/* One DER object (certificate, CRL, PKCS#7 bundle or private key) at
 * *der, advancing it.  APR_EINVAL when it is none of these. */
static apr_status_t take_der_object(file_contents_t *contents,
                                    const unsigned char **der, long len)
{
    const unsigned char *at = *der;
    X509 *cert;
    X509_CRL *crl;
    PKCS7 *p7;
    EVP_PKEY *key;
    X509_SIG *encrypted_key;
    apr_status_t rv;

    if ((cert = d2i_X509(NULL, &at, len)) != NULL) {
        *der = at;
        return push_cert(contents, cert);
    }
    at = *der;
    if ((crl = d2i_X509_CRL(NULL, &at, len)) != NULL) {
        *der = at;
        return push_crl(contents, crl);
    }
    at = *der;
    if ((p7 = d2i_PKCS7(NULL, &at, len)) != NULL) {
        *der = at;
        rv = take_pkcs7(contents, p7);
        PKCS7_free(p7);
        return rv;
    }
    at = *der;
    if ((encrypted_key = d2i_X509_SIG(NULL, &at, len)) != NULL) {
        X509_SIG_free(encrypted_key);
        *der = at;
        contents->private_keys++;
        return APR_SUCCESS;
    }
    at = *der;
    if ((key = d2i_AutoPrivateKey(NULL, &at, len)) != NULL) {
        EVP_PKEY_free(key);
        *der = at;
        contents->private_keys++;
        return APR_SUCCESS;
    }
    return APR_EINVAL;
}

static int only_blanks(const unsigned char *data, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (data[i] != '\0' && data[i] != ' ' && data[i] != '\t'
            && data[i] != '\r' && data[i] != '\n') {
            return 0;
        }
    }
    return 1;
}

/* A file of concatenated DER objects (a vendor's .crt/.cer/.crl/.p7b). */
static apr_status_t read_der(file_contents_t *contents, const unsigned char *data,
                             size_t len, const char *path, const char *wanted,
                             apr_pool_t *p, const char **why)
{
    const unsigned char *at = data, *end = data + len;

    while (at < end && !only_blanks(at, (size_t)(end - at))) {
        const unsigned char *start = at;
        apr_status_t rv = take_der_object(contents, &at, (long)(end - at));

        if (rv == APR_ENOMEM) {
            *why = "out of memory";
            return rv;
        }
        if (rv != APR_SUCCESS || at <= start) {
            ERR_clear_error();
            if (start == data && *start != 0x30) { /* not even an ASN.1 SEQUENCE */
                *why = apr_psprintf(p, "no %s in '%s': it is neither PEM nor DER",
                                    wanted, path);
                return APR_EINVAL;
            }
            *why = apr_psprintf(p, "cannot parse DER in '%s' at byte %ld: not a "
                                "certificate, CRL, PKCS#7 bundle or key (damaged "
                                "or cut short?)", path, (long)(start - data));
            return APR_EINVAL;
        }
    }
    ERR_clear_error();
    return APR_SUCCESS;
}

static int label_is(const char *label, const char *expected)
{
    return strcmp(label, expected) == 0;
}

/* Decode one PEM block by its label. */
static apr_status_t take_pem_block(file_contents_t *contents, const char *label,
                                   const unsigned char *der, long len, apr_pool_t *p)
{
    const unsigned char *at = der;

    if (label_is(label, PEM_STRING_X509) || label_is(label, PEM_STRING_X509_OLD)) {
        X509 *cert = d2i_X509(NULL, &at, len);
        return cert ? push_cert(contents, cert) : APR_EINVAL;
    }
    if (label_is(label, PEM_STRING_X509_TRUSTED)) {
        X509 *cert = d2i_X509_AUX(NULL, &at, len);
        return cert ? push_cert(contents, cert) : APR_EINVAL;
    }
    if (label_is(label, PEM_STRING_X509_CRL)) {
        X509_CRL *crl = d2i_X509_CRL(NULL, &at, len);
        return crl ? push_crl(contents, crl) : APR_EINVAL;
    }
    if (label_is(label, PEM_STRING_PKCS7) || label_is(label, PEM_STRING_PKCS7_SIGNED)) {
        PKCS7 *p7 = d2i_PKCS7(NULL, &at, len);
        apr_status_t rv = p7 ? take_pkcs7(contents, p7) : APR_EINVAL;
        PKCS7_free(p7);
        return rv;
    }
    /* RSA, EC, DSA, ENCRYPTED, ANY... PRIVATE KEY: counted, never decoded
     * (no passphrase prompt at startup). */
    if (strstr(label, "PRIVATE KEY") != NULL) {
        contents->private_keys++;
        return APR_SUCCESS;
    }
    if (contents->other_label == NULL) {
        contents->other_label = apr_pstrdup(p, label);
    }
    return APR_SUCCESS;
}

/* Every PEM block of a file; text around the blocks is ignored. */
static apr_status_t read_pem(file_contents_t *contents, const unsigned char *data,
                             size_t len, const char *path, apr_pool_t *p,
                             const char **why)
{
    BIO *in = BIO_new_mem_buf(data, (int)len);
    apr_status_t rv = APR_SUCCESS;
    int block;

    if (in == NULL) {
        *why = "out of memory";
        return APR_ENOMEM;
    }
    ERR_clear_error();
    for (block = 1; rv == APR_SUCCESS; block++) {
        char *label = NULL, *header = NULL;
        unsigned char *der = NULL;
        long der_len = 0;

        if (!PEM_read_bio(in, &label, &header, &der, &der_len)) {
            unsigned long code = ERR_peek_last_error();
            if (ERR_GET_LIB(code) == ERR_LIB_PEM
                && ERR_GET_REASON(code) == PEM_R_NO_START_LINE) {
                ERR_clear_error(); /* no further block: the end */
                break;
            }
            *why = apr_psprintf(p, "cannot parse PEM in '%s' (block %d): %s", path,
                                block, openssl_reason(p));
            rv = APR_EINVAL;
            break;
        }
        if (header != NULL && strstr(header, "ENCRYPTED") != NULL) {
            /* Trust material holds no secret: an encrypted block (a key
             * pasted in?) fails the file, and is never decrypted. */
            *why = apr_psprintf(p, "encrypted PEM block in '%s' (block %d, %s): "
                                "certificates and CRLs are never encrypted",
                                path, block, label);
            rv = APR_EINVAL;
        }
        else if ((rv = take_pem_block(contents, label, der, der_len, p)) == APR_EINVAL) {
            *why = apr_psprintf(p, "cannot parse PEM in '%s' (block %d, %s): %s",
                                path, block, label, openssl_reason(p));
        }
        else if (rv != APR_SUCCESS) {
            *why = "out of memory";
        }
        OPENSSL_free(label);
        OPENSSL_free(header);
        OPENSSL_free(der);
    }
    BIO_free(in);
    return rv;
}

static int looks_like_pem(const unsigned char *data, size_t len)
{
    static const char marker[] = "-----BEGIN ";

    return memmem(data, len, marker, sizeof(marker) - 1) != NULL;
}

/* Read every certificate and CRL of a PEM or DER file.  Private keys are
 * an error unless keys_allowed (a device's own file may carry its key). */
static apr_status_t read_trust_file(file_contents_t *contents, const char *path,
                                    const char *wanted, int keys_allowed,
                                    apr_pool_t *p, const char **why)
{
    unsigned char *data = NULL;
    size_t len = 0;
    apr_status_t rv;

    memset(contents, 0, sizeof(*contents));
    rv = read_whole_file(&data, &len, path, p, why);
    if (rv == APR_SUCCESS && only_blanks(data, len)) {
        *why = apr_psprintf(p, "no %s in '%s': the file is empty", wanted, path);
        rv = APR_EINVAL;
    }
    if (rv == APR_SUCCESS) {
        rv = looks_like_pem(data, len) ? read_pem(contents, data, len, path, p, why)
                                       : read_der(contents, data, len, path, wanted, p, why);
    }
    free(data);
    if (rv == APR_SUCCESS && contents->private_keys > 0 && !keys_allowed) {
        *why = apr_psprintf(p, "'%s' holds a private key: a trust file must hold "
                            "only certificates and CRLs (keep the key out of it, "
                            "and replace it if others could read the file)", path);
        rv = APR_EINVAL;
    }
    if (rv != APR_SUCCESS) {
        contents_free(contents);
    }
    ERR_clear_error();
    return rv;
}

/* What else a file holds, for "no certificate" / "no CRL" messages. */
static const char *what_else(const file_contents_t *contents, apr_pool_t *p)
{
    int certs = sk_X509_num(contents->certs), crls = sk_X509_CRL_num(contents->crls);

    if (certs > 0) {
        return apr_psprintf(p, " (it holds %d certificate%s)", certs,
                            certs == 1 ? "" : "s");
    }
    if (crls > 0) {
        return apr_psprintf(p, " (it holds %d CRL%s)", crls, crls == 1 ? "" : "s");
    }
    if (contents->other_label != NULL) {
        return apr_psprintf(p, " (it holds a %s)", contents->other_label);
    }
    return "";
}

static apr_status_t load_certs(STACK_OF(X509) **certs, const char *path,
                               int keys_allowed, apr_pool_t *p, const char **why)
{
    file_contents_t contents;
    apr_status_t rv = read_trust_file(&contents, path, "certificate",
                                      keys_allowed, p, why);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (sk_X509_num(contents.certs) <= 0) {
        *why = apr_psprintf(p, "no certificate in '%s'%s", path, what_else(&contents, p));
        contents_free(&contents);
        return APR_EINVAL;
    }
    sk_X509_CRL_pop_free(contents.crls, X509_CRL_free);
    apr_pool_cleanup_register(p, contents.certs, free_certs, apr_pool_cleanup_null);
    *certs = contents.certs;
    return APR_SUCCESS;
}

apr_status_t provauth_load_certs(STACK_OF(X509) **certs, const char *path,
                                 apr_pool_t *p, const char **why)
{
    return load_certs(certs, path, 0, p, why);
}

apr_status_t provauth_load_device_certs(STACK_OF(X509) **certs, const char *path,
                                        apr_pool_t *p, const char **why)
{
    return load_certs(certs, path, 1, p, why);
}

apr_status_t provauth_load_anchors(X509_STORE **anchors, const char *path,
                                   apr_pool_t *p, const char **why)
{
    STACK_OF(X509) *certs;
    X509_STORE *store;
    apr_status_t rv;
    int i;

    rv = provauth_load_certs(&certs, path, p, why);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    store = X509_STORE_new();
    if (store == NULL) {
        *why = "out of memory";
        return APR_ENOMEM;
    }
    apr_pool_cleanup_register(p, store, free_store, apr_pool_cleanup_null);
    for (i = 0; i < sk_X509_num(certs); i++) {
        /* X509_STORE_add_cert takes its own reference. */
        if (!X509_STORE_add_cert(store, sk_X509_value(certs, i))) {
            *why = apr_psprintf(p, "cannot add a certificate of '%s': %s",
                                path, openssl_reason(p));
            return APR_EGENERAL;
        }
    }
    *anchors = store;
    return APR_SUCCESS;
}

apr_status_t provauth_load_crls(STACK_OF(X509_CRL) **crls, const char *path,
                                apr_pool_t *p, const char **why)
{
    file_contents_t contents;
    apr_status_t rv = read_trust_file(&contents, path, "CRL", 0, p, why);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (sk_X509_CRL_num(contents.crls) <= 0) {
        *why = apr_psprintf(p, "no CRL in '%s'%s", path, what_else(&contents, p));
        contents_free(&contents);
        return APR_EINVAL;
    }
    sk_X509_pop_free(contents.certs, X509_free);
    apr_pool_cleanup_register(p, contents.crls, free_crls, apr_pool_cleanup_null);
    *crls = contents.crls;
    return APR_SUCCESS;
}
