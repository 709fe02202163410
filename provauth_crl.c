/* provauth_crl.c: the CAs whose devices a strict CRL check refuses because
 * none of their CRLs is loaded (for the startup warning). */
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "provauth_crl.h"

#define CRL_FLAGS (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL)

unsigned long provauth_crl_flags(const provauth_trust_t *trust)
{
    switch (trust->crl_check) {
    case PROVAUTH_CRL_CHECK_NONE:
        return 0;
    case PROVAUTH_CRL_CHECK_LEAF:
        return X509_V_FLAG_CRL_CHECK;
    case PROVAUTH_CRL_CHECK_CHAIN:
        return X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
    case PROVAUTH_CRL_CHECK_DEFAULT:
        break;
    }
    /* The default mode keeps the store's own flags (mod_ssl's), and checks
     * the leaf against CRLs of its own. */
    return (trust->anchors != NULL
            ? X509_VERIFY_PARAM_get_flags(X509_STORE_get0_param(trust->anchors)) & CRL_FLAGS
            : 0)
         | (trust->crls != NULL ? (unsigned long)X509_V_FLAG_CRL_CHECK : 0);
}

int provauth_crl_check_strict(const provauth_trust_t *trust)
{
    return (provauth_crl_flags(trust) & X509_V_FLAG_CRL_CHECK) != 0 && !trust->missing_crl_ok;
}

int provauth_crl_check_chain(const provauth_trust_t *trust)
{
    /* OpenSSL reads CRL_CHECK_ALL only together with CRL_CHECK. */
    return (provauth_crl_flags(trust) & CRL_FLAGS) == CRL_FLAGS;
}

/* The certificates and CRLs of a store, borrowed. */
static void store_contents(X509_STORE *store, apr_array_header_t *certs,
                           apr_array_header_t *crls)
{
    STACK_OF(X509_OBJECT) *objects;
    int i;

    if (store == NULL || !X509_STORE_lock(store)) {
        return;
    }
    objects = X509_STORE_get0_objects(store);
    for (i = 0; i < sk_X509_OBJECT_num(objects); i++) {
        X509_OBJECT *object = sk_X509_OBJECT_value(objects, i);
        X509 *cert = X509_OBJECT_get0_X509(object);
        X509_CRL *crl = X509_OBJECT_get0_X509_CRL(object);

        if (cert != NULL) {
            APR_ARRAY_PUSH(certs, X509 *) = cert;
        }
        else if (crl != NULL) {
            APR_ARRAY_PUSH(crls, X509_CRL *) = crl;
        }
    }
    X509_STORE_unlock(store);
}

/* Does ca chain to the anchors (through the intermediates), dates and CRLs
 * aside? */
static int chains_to_anchor(X509 *ca, const provauth_trust_t *trust)
{
    X509_STORE_CTX *store_ctx = X509_STORE_CTX_new();
    int chains = 0;

    if (store_ctx != NULL
        && X509_STORE_CTX_init(store_ctx, trust->anchors, ca, trust->intermediates)) {
        X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(store_ctx);

        X509_VERIFY_PARAM_clear_flags(param, X509_V_FLAG_CRL_CHECK
                                             | X509_V_FLAG_CRL_CHECK_ALL);
        X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
        chains = X509_verify_cert(store_ctx) > 0;
    }
    X509_STORE_CTX_free(store_ctx);
    return chains;
}

static int has_crl(const X509 *ca, const apr_array_header_t *crls)
{
    int i;

    for (i = 0; i < crls->nelts; i++) {
        if (X509_NAME_cmp(X509_CRL_get_issuer(APR_ARRAY_IDX(crls, i, X509_CRL *)),
                          X509_get_subject_name(ca)) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Does ca issue another of the known CAs? */
static int issues_a_ca(X509 *ca, const apr_array_header_t *known)
{
    int i;

    for (i = 0; i < known->nelts; i++) {
        X509 *other = APR_ARRAY_IDX(known, i, X509 *);

        if (other != ca && X509_cmp(other, ca) != 0
            && X509_check_issued(ca, other) == X509_V_OK) {
            return 1;
        }
    }
    return 0;
}

apr_array_header_t *provauth_cas_without_crl(const provauth_trust_t *trust,
                                             apr_pool_t *p)
{
    apr_array_header_t *known = apr_array_make(p, 8, sizeof(X509 *));
    apr_array_header_t *crls = apr_array_make(p, 8, sizeof(X509_CRL *));
    apr_array_header_t *missing = apr_array_make(p, 4, sizeof(X509 *));
    int chain, i;

    if (trust->anchors == NULL || !provauth_crl_check_strict(trust)) {
        return missing;
    }
    chain = provauth_crl_check_chain(trust);
    store_contents(trust->anchors, known, crls);
    for (i = 0; trust->intermediates && i < sk_X509_num(trust->intermediates); i++) {
        X509 *ca = sk_X509_value(trust->intermediates, i);

        if (chains_to_anchor(ca, trust)) {
            APR_ARRAY_PUSH(known, X509 *) = ca;
        }
    }
    for (i = 0; trust->crls && i < sk_X509_CRL_num(trust->crls); i++) {
        APR_ARRAY_PUSH(crls, X509_CRL *) = sk_X509_CRL_value(trust->crls, i);
    }
    for (i = 0; i < known->nelts; i++) {
        X509 *ca = APR_ARRAY_IDX(known, i, X509 *);

        if (!has_crl(ca, crls) && (chain || !issues_a_ca(ca, known))) {
            APR_ARRAY_PUSH(missing, X509 *) = ca;
        }
    }
    return missing;
}
