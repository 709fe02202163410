/* provauth_verify.c: re-validates device chains with OpenSSL ignoring time,
 * classifies by the built chain's dates, and says what to fix on failure. */
#include <string.h>

#include <apr_strings.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "provauth_crl.h"
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
    case PROVAUTH_STATUS_PINNED:        return "PINNED";
    case PROVAUTH_STATUS_NONE:          break;
    }
    return "NONE";
}

const char *provauth_name_text(const X509_NAME *name, apr_pool_t *p)
{
    BIO *out = BIO_new(BIO_s_mem());
    const char *text = "?";
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
    verdict->subject = provauth_name_text(X509_get_subject_name(leaf), p);
    verdict->issuer = provauth_name_text(X509_get_issuer_name(leaf), p);
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
            return provauth_name_text(X509_CRL_get_issuer(crl), p);
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

static apr_status_t release_cert(void *cert)
{
    X509_free(cert);
    return APR_SUCCESS;
}

/* Remember where the chain ended (for the device registry's vendor). */
static void keep_root(provauth_verdict_t *verdict, STACK_OF(X509) *chain, apr_pool_t *p)
{
    X509 *top;

    if (chain == NULL || sk_X509_num(chain) < 1) {
        return;
    }
    top = sk_X509_value(chain, sk_X509_num(chain) - 1);
    if (top != NULL && X509_up_ref(top)) {
        apr_pool_cleanup_register(p, top, release_cert, apr_pool_cleanup_null);
        verdict->root = top;
    }
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
        keep_root(verdict, chain, p);
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

/* Does the store hold a certificate whose subject is name? */
static int anchor_named(X509_STORE *anchors, const X509_NAME *name)
{
    STACK_OF(X509_OBJECT) *objects;
    int i, found = 0;

    if (anchors == NULL || name == NULL || !X509_STORE_lock(anchors)) {
        return 0;
    }
    objects = X509_STORE_get0_objects(anchors);
    for (i = 0; !found && i < sk_X509_OBJECT_num(objects); i++) {
        X509 *anchor = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i));
        found = (anchor != NULL
                 && X509_NAME_cmp(X509_get_subject_name(anchor), name) == 0);
    }
    X509_STORE_unlock(anchors);
    return found;
}

static int intermediate_named(STACK_OF(X509) *intermediates, const X509_NAME *name)
{
    int i;

    for (i = 0; name != NULL && i < sk_X509_num(intermediates); i++) {
        if (X509_NAME_cmp(X509_get_subject_name(sk_X509_value(intermediates, i)),
                          name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* What to fix when verification failed with error at depth on cert: the
 * failures that usually mean a trust file lacks something.  NULL when the
 * failure says enough by itself (self-signed device, revoked, ...). */
static const char *failure_hint(int error, int depth, X509 *cert,
                                const provauth_trust_t *trust, apr_pool_t *p)
{
    const X509_NAME *issuer = cert ? X509_get_issuer_name(cert) : NULL;
    const char *issuer_text = issuer ? provauth_name_text(issuer, p) : NULL;
    const char *subject_text = cert ? provauth_name_text(X509_get_subject_name(cert), p) : NULL;

    if (issuer_text == NULL || subject_text == NULL) {
        return NULL;
    }
    switch (error) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        if (anchor_named(trust->anchors, issuer)) {
            return apr_psprintf(p, "the trust anchor '%s' did not issue '%s' (same "
                                "name, another key: get the vendor's current root "
                                "for ProvAuthCACertificateFile)", issuer_text,
                                subject_text);
        }
        if (intermediate_named(trust->intermediates, issuer)) {
            return apr_psprintf(p, "the intermediate '%s' did not issue '%s' (same "
                                "name, another key: get the vendor's current CA for "
                                "ProvAuthIntermediateFile)", issuer_text, subject_text);
        }
        if (depth == 0) {
            return apr_psprintf(p, "issuer '%s' of the device certificate is not "
                                "among this directory's trust anchors and "
                                "intermediates (an issuing CA belongs in "
                                "ProvAuthIntermediateFile, a root CA in "
                                "ProvAuthCACertificateFile)", issuer_text);
        }
        return apr_psprintf(p, "issuer '%s' of '%s' is not among this directory's "
                            "trust anchors and intermediates (a root CA belongs in "
                            "ProvAuthCACertificateFile, an intermediate CA in "
                            "ProvAuthIntermediateFile)", issuer_text, subject_text);
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        return apr_psprintf(p, "the trust anchor '%s' is not a root CA and its "
                            "issuer '%s' is not trusted (ProvAuthCACertificateFile "
                            "holds the vendor's root CA, ProvAuthIntermediateFile "
                            "the CAs below it)", subject_text, issuer_text);
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        if (anchor_named(trust->anchors, X509_get_subject_name(cert))) {
            return apr_psprintf(p, "the device sent root '%s', and the trust "
                                "anchor of that name has another key (get the "
                                "vendor's current root for "
                                "ProvAuthCACertificateFile)", subject_text);
        }
        return apr_psprintf(p, "root '%s' sent by the device is not among this "
                            "directory's trust anchors (a vendor's root CA belongs "
                            "in ProvAuthCACertificateFile)", subject_text);
    case X509_V_ERR_UNABLE_TO_GET_CRL:
        return apr_psprintf(p, "no CRL issued by '%s' in %s (add that CA's CRL from "
                            "the vendor, or let ProvAuthCRLCheck ... "
                            "no_crl_for_cert_ok pass CAs that publish none)",
                            issuer_text, trust->crls ? "ProvAuthCRLFile"
                                                     : "the CRLs that apply here");
    default:
        return NULL;
    }
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
        verdict->hint = "set ProvAuthCACertificateFile to the vendor's root CA, or "
                        "SSLCACertificateFile for the virtual host";
        set_failed(verdict, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 0,
                   apr_pstrcat(p, "no trust anchors configured: ", verdict->hint, NULL));
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
    if (trust->crls != NULL && trust->crl_check != PROVAUTH_CRL_CHECK_NONE) {
        X509_STORE_CTX_set0_crls(store_ctx, trust->crls);
    }
    /* The context inherited the store's CRL flags: replace them by the
     * trust's (provauth_crl_flags, which keeps them in the default mode). */
    X509_VERIFY_PARAM_clear_flags(param, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    X509_VERIFY_PARAM_set_flags(param, flags | provauth_crl_flags(trust));
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
    keep_root(verdict, X509_STORE_CTX_get0_chain(store_ctx), p);
    if (verified > 0) {
        classify_dates(verdict, X509_STORE_CTX_get0_chain(store_ctx), now, p);
    }
    else {
        int error = X509_STORE_CTX_get_error(store_ctx);
        if (verified < 0 || error == X509_V_OK) {
            rv = APR_EGENERAL; /* OpenSSL could not run the check at all */
            goto leave;
        }
        int depth = X509_STORE_CTX_get_error_depth(store_ctx);
        const char *text = X509_verify_cert_error_string(error);

        verdict->hint = failure_hint(error, depth,
                                     X509_STORE_CTX_get_current_cert(store_ctx),
                                     trust, p);
        set_failed(verdict, error, depth, verdict->hint == NULL ? text
                   : apr_pstrcat(p, text, ": ", verdict->hint, NULL));
    }
    rv = APR_SUCCESS;

leave:
    ERR_clear_error();
    X509_STORE_CTX_free(store_ctx);
    sk_X509_free(untrusted);
    return rv;
}
