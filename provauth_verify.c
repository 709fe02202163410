/* provauth_verify.c: loads PEM trust material and re-validates device chains
 * with OpenSSL ignoring time, then classifies by the built chain's dates. */
#include <errno.h>
#include <string.h>

#include <apr_strings.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "provauth_verify.h"

/* Device chains are root -> policy CA -> issuing CA -> device; anything far
 * deeper than that is not a phone. */
#define PROVAUTH_MAX_CHAIN_DEPTH 10

const char *provauth_status_name(provauth_status_e status)
{
    switch (status) {
    case PROVAUTH_STATUS_VALID:         return "VALID";
    case PROVAUTH_STATUS_EXPIRED:       return "EXPIRED";
    case PROVAUTH_STATUS_NOT_YET_VALID: return "NOT_YET_VALID";
    case PROVAUTH_STATUS_FAILED:        return "FAILED";
    case PROVAUTH_STATUS_NONE:          break;
    }
    return "NONE";
}

static apr_status_t free_store(void *store)
{
    X509_STORE_free(store);
    return APR_SUCCESS;
}

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

/* The most recent OpenSSL error as text, clearing the queue. */
static const char *openssl_reason(apr_pool_t *p)
{
    unsigned long code = ERR_peek_last_error();
    char buf[256];

    ERR_clear_error();
    if (code == 0) {
        return "unknown OpenSSL error";
    }
    ERR_error_string_n(code, buf, sizeof(buf));
    return apr_pstrdup(p, buf);
}

/* Trust material holds no secret: an encrypted block fails the file rather
 * than have OpenSSL's default callback ask for a pass phrase on the console. */
static int refuse_pass_phrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf; (void)size; (void)rwflag; (void)u;
    return -1;
}

/* Read every PEM object (certificates and CRLs) of a file. */
static apr_status_t read_pem_file(STACK_OF(X509_INFO) **infos, const char *path,
                                  apr_pool_t *p, const char **why)
{
    BIO *in;

    *infos = NULL;
    ERR_clear_error();
    errno = 0;
    in = BIO_new_file(path, "r");
    if (in == NULL) {
        int err = errno ? errno : ENOENT;
        ERR_clear_error();
        *why = apr_psprintf(p, "cannot open '%s': %s", path, strerror(err));
        return APR_FROM_OS_ERROR(err);
    }
    *infos = PEM_X509_INFO_read_bio(in, NULL, refuse_pass_phrase, NULL);
    BIO_free(in);
    if (*infos == NULL
        && ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_BAD_PASSWORD_READ) {
        ERR_clear_error();
        *why = apr_psprintf(p, "encrypted PEM block in '%s' (certificates and "
                            "CRLs are never encrypted)", path);
        return APR_EINVAL;
    }
    if (*infos == NULL) {
        *why = apr_psprintf(p, "cannot parse PEM in '%s': %s", path,
                            openssl_reason(p));
        return APR_EINVAL;
    }
    ERR_clear_error();
    return APR_SUCCESS;
}

apr_status_t provauth_load_certs(STACK_OF(X509) **certs, const char *path,
                                 apr_pool_t *p, const char **why)
{
    STACK_OF(X509_INFO) *infos;
    STACK_OF(X509) *loaded;
    apr_status_t rv;
    int i;

    rv = read_pem_file(&infos, path, p, why);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    loaded = sk_X509_new_null();
    if (loaded == NULL) {
        sk_X509_INFO_pop_free(infos, X509_INFO_free);
        *why = "out of memory";
        return APR_ENOMEM;
    }
    for (i = 0; i < sk_X509_INFO_num(infos); i++) {
        X509_INFO *info = sk_X509_INFO_value(infos, i);
        if (info->x509 != NULL && sk_X509_push(loaded, info->x509) > 0) {
            info->x509 = NULL; /* ownership moved to loaded */
        }
    }
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    if (sk_X509_num(loaded) == 0) {
        sk_X509_free(loaded);
        *why = apr_psprintf(p, "no certificate in '%s'", path);
        return APR_EINVAL;
    }
    apr_pool_cleanup_register(p, loaded, free_certs, apr_pool_cleanup_null);
    *certs = loaded;
    return APR_SUCCESS;
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
    STACK_OF(X509_INFO) *infos;
    STACK_OF(X509_CRL) *loaded;
    apr_status_t rv;
    int i;

    rv = read_pem_file(&infos, path, p, why);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    loaded = sk_X509_CRL_new_null();
    if (loaded == NULL) {
        sk_X509_INFO_pop_free(infos, X509_INFO_free);
        *why = "out of memory";
        return APR_ENOMEM;
    }
    for (i = 0; i < sk_X509_INFO_num(infos); i++) {
        X509_INFO *info = sk_X509_INFO_value(infos, i);
        if (info->crl != NULL && sk_X509_CRL_push(loaded, info->crl) > 0) {
            info->crl = NULL;
        }
    }
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    if (sk_X509_CRL_num(loaded) == 0) {
        sk_X509_CRL_free(loaded);
        *why = apr_psprintf(p, "no CRL in '%s'", path);
        return APR_EINVAL;
    }
    apr_pool_cleanup_register(p, loaded, free_crls, apr_pool_cleanup_null);
    *crls = loaded;
    return APR_SUCCESS;
}

static const char *name_text(const X509_NAME *name, apr_pool_t *p)
{
    BIO *out = BIO_new(BIO_s_mem());
    const char *text = "";
    char *data;

    if (out == NULL) {
        return NULL;
    }
    if (X509_NAME_print_ex(out, name, 0, XN_FLAG_RFC2253) >= 0) {
        long len = BIO_get_mem_data(out, &data);
        text = apr_pstrndup(p, data, (apr_size_t)len);
    }
    BIO_free(out);
    return text;
}

static const char *serial_text(const ASN1_INTEGER *serial, apr_pool_t *p)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
    const char *text = NULL;
    char *hex;

    if (bn == NULL) {
        return NULL;
    }
    hex = BN_bn2hex(bn);
    if (hex != NULL) {
        text = apr_pstrdup(p, hex);
        OPENSSL_free(hex);
    }
    BN_free(bn);
    return text;
}

/* Whole days from now to when, rounded towards minus infinity so that a
 * certificate expired an hour ago already reads -1. */
static apr_status_t days_until(long *days, const ASN1_TIME *when, time_t now)
{
    ASN1_TIME *now_asn1 = ASN1_TIME_set(NULL, now);
    int day = 0, sec = 0;
    int ok;

    if (now_asn1 == NULL) {
        return APR_ENOMEM;
    }
    ok = ASN1_TIME_diff(&day, &sec, now_asn1, when);
    ASN1_TIME_free(now_asn1);
    if (!ok) {
        return APR_EINVAL;
    }
    *days = (long)day - ((day <= 0 && sec < 0) ? 1 : 0);
    return APR_SUCCESS;
}

apr_status_t provauth_describe_leaf(provauth_verdict_t *verdict, X509 *leaf,
                                    time_t now, apr_pool_t *p)
{
    verdict->subject = name_text(X509_get_subject_name(leaf), p);
    verdict->issuer = name_text(X509_get_issuer_name(leaf), p);
    verdict->serial = serial_text(X509_get0_serialNumber(leaf), p);
    if (verdict->subject == NULL || verdict->issuer == NULL
        || verdict->serial == NULL) {
        return APR_ENOMEM;
    }
    if (days_until(&verdict->days_left, X509_get0_notAfter(leaf), now)
        != APR_SUCCESS) {
        verdict->days_left = 0;
    }
    return APR_SUCCESS;
}

const char *provauth_crls_first_stale(STACK_OF(X509_CRL) *crls, time_t now,
                                      apr_pool_t *p)
{
    int i;

    for (i = 0; i < sk_X509_CRL_num(crls); i++) {
        X509_CRL *crl = sk_X509_CRL_value(crls, i);
        const ASN1_TIME *next_update = X509_CRL_get0_nextUpdate(crl);

        if (next_update != NULL && X509_cmp_time(next_update, &now) < 0) {
            return name_text(X509_CRL_get_issuer(crl), p);
        }
    }
    return NULL;
}

static void set_failed(provauth_verdict_t *verdict, int error, int depth,
                       const char *reason)
{
    verdict->status = PROVAUTH_STATUS_FAILED;
    verdict->verify_error = error;
    verdict->error_depth = depth;
    verdict->reason = reason;
}

/* Classify a chain that verified with time ignored by the dates of each of
 * its certificates; expiry anywhere outranks not-yet-valid. */
static void classify_dates(provauth_verdict_t *verdict, STACK_OF(X509) *chain,
                           time_t now, apr_pool_t *p)
{
    int expired = 0, premature = 0;
    int i;

    for (i = 0; i < sk_X509_num(chain); i++) {
        X509 *cert = sk_X509_value(chain, i);
        int after = X509_cmp_time(X509_get0_notAfter(cert), &now);
        int before = X509_cmp_time(X509_get0_notBefore(cert), &now);

        if (after == 0 || before == 0) {
            set_failed(verdict, after == 0 ? X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD
                                           : X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD, i,
                       apr_psprintf(p, "malformed validity period at depth %d", i));
            return;
        }
        expired |= (after < 0);
        premature |= (before > 0);
    }
    verdict->status = expired ? PROVAUTH_STATUS_EXPIRED
                    : premature ? PROVAUTH_STATUS_NOT_YET_VALID
                    : PROVAUTH_STATUS_VALID;
}

apr_status_t provauth_classify_verified_chain(provauth_verdict_t *verdict,
                                              X509 *leaf, STACK_OF(X509) *chain,
                                              time_t now, apr_pool_t *p)
{
    apr_status_t rv;

    memset(verdict, 0, sizeof(*verdict));
    verdict->error_depth = -1;
    rv = provauth_describe_leaf(verdict, leaf, now, p);
    if (rv == APR_SUCCESS) {
        classify_dates(verdict, chain, now, p);
    }
    return rv;
}

int provauth_anchors_contain(X509_STORE *anchors, X509 *cert)
{
    STACK_OF(X509_OBJECT) *objects;
    int i, found = 0;

    if (anchors == NULL || cert == NULL || !X509_STORE_lock(anchors)) {
        return 0;
    }
    /* Under the store's lock: lookups by other threads may sort the list. */
    objects = X509_STORE_get0_objects(anchors);
    for (i = 0; !found && i < sk_X509_OBJECT_num(objects); i++) {
        X509 *anchor = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i));
        found = (anchor != NULL && X509_cmp(anchor, cert) == 0);
    }
    X509_STORE_unlock(anchors);
    return found;
}

/* Untrusted certificates for chain building: what the peer sent, then the
 * configured intermediates.  The stack borrows its certificates. */
static STACK_OF(X509) *untrusted_certs(STACK_OF(X509) *peer_chain,
                                       STACK_OF(X509) *intermediates)
{
    STACK_OF(X509) *untrusted = peer_chain ? sk_X509_dup(peer_chain)
                                           : sk_X509_new_null();
    int i;

    if (untrusted == NULL) {
        return NULL;
    }
    for (i = 0; intermediates && i < sk_X509_num(intermediates); i++) {
        if (sk_X509_push(untrusted, sk_X509_value(intermediates, i)) <= 0) {
            sk_X509_free(untrusted);
            return NULL;
        }
    }
    return untrusted;
}

/* Forgive only a CRL that is not there; stop at any other error. */
static int forgive_missing_crl(int ok, X509_STORE_CTX *store_ctx)
{
    return ok || X509_STORE_CTX_get_error(store_ctx) == X509_V_ERR_UNABLE_TO_GET_CRL;
}

apr_status_t provauth_verify_chain(provauth_verdict_t *verdict,
                                   const provauth_trust_t *trust,
                                   X509 *leaf, STACK_OF(X509) *peer_chain,
                                   time_t now, apr_pool_t *p)
{
    X509_STORE_CTX *store_ctx = NULL;
    STACK_OF(X509) *untrusted = NULL;
    X509_VERIFY_PARAM *param;
    unsigned long flags = X509_V_FLAG_NO_CHECK_TIME;
    apr_status_t rv = APR_EGENERAL;
    int verified;

    memset(verdict, 0, sizeof(*verdict));
    verdict->error_depth = -1;
    if (leaf == NULL) {
        verdict->status = PROVAUTH_STATUS_NONE;
        return APR_SUCCESS;
    }
    rv = provauth_describe_leaf(verdict, leaf, now, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (trust == NULL || trust->anchors == NULL) {
        set_failed(verdict, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 0,
                   "no trust anchors configured");
        return APR_SUCCESS;
    }

    rv = APR_ENOMEM;
    ERR_clear_error();
    untrusted = untrusted_certs(peer_chain, trust->intermediates);
    store_ctx = X509_STORE_CTX_new();
    if (untrusted == NULL || store_ctx == NULL
        || !X509_STORE_CTX_init(store_ctx, trust->anchors, leaf, untrusted)) {
        goto leave;
    }
    param = X509_STORE_CTX_get0_param(store_ctx);
    if (trust->crls != NULL) {
        X509_STORE_CTX_set0_crls(store_ctx, trust->crls);
        flags |= X509_V_FLAG_CRL_CHECK;
    }
    X509_VERIFY_PARAM_set_flags(param, flags);
    if (trust->missing_crl_ok) {
        X509_STORE_CTX_set_verify_cb(store_ctx, forgive_missing_crl);
    }
    X509_VERIFY_PARAM_set_depth(param, PROVAUTH_MAX_CHAIN_DEPTH);
    if (!X509_STORE_CTX_set_purpose(store_ctx, X509_PURPOSE_SSL_CLIENT)) {
        rv = APR_EGENERAL;
        goto leave;
    }

    /* Without a callback, verification stops at the first error; with time
     * ignored that error is a real one, never a mere expiry. */
    verified = X509_verify_cert(store_ctx);
    if (verified > 0) {
        classify_dates(verdict, X509_STORE_CTX_get0_chain(store_ctx), now, p);
    }
    else {
        int error = X509_STORE_CTX_get_error(store_ctx);
        if (verified < 0 || error == X509_V_OK) {
            rv = APR_EGENERAL; /* OpenSSL could not run the check at all */
            goto leave;
        }
        set_failed(verdict, error, X509_STORE_CTX_get_error_depth(store_ctx),
                   X509_verify_cert_error_string(error));
    }
    rv = APR_SUCCESS;

leave:
    ERR_clear_error();
    X509_STORE_CTX_free(store_ctx);
    sk_X509_free(untrusted);
    return rv;
}
