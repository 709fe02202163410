/* provauth_lint.c: looks at loaded trust material for the mistakes that load
 * without error and then refuse every phone (see provauth_lint.h). */
#include <apr_strings.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "provauth_lint.h"
#include "provauth_verify.h"

/* The name's text, "?" also when out of memory (for messages). */
static const char *name_text(const X509_NAME *name, apr_pool_t *p)
{
    const char *text = provauth_name_text(name, p);

    return text ? text : "?";
}

/* Self-signed as chain building sees it: its own name and key identifier. */
static int is_self_signed(X509 *cert)
{
    return X509_check_issued(cert, cert) == X509_V_OK;
}

/* The certificate of certs (other than cert) that issued cert, or NULL. */
static X509 *issuer_among(STACK_OF(X509) *certs, X509 *cert)
{
    int i;

    for (i = 0; i < sk_X509_num(certs); i++) {
        X509 *candidate = sk_X509_value(certs, i);
        if (candidate != cert && X509_check_issued(candidate, cert) == X509_V_OK) {
            return candidate;
        }
    }
    return NULL;
}

/* Following issuers within certs, how many certificates from cert up to
 * (not counting) a self-signed one or the last one found; *to_root says
 * whether a self-signed one ended it.  Bounded by the number of certs, so
 * that issuer loops end. */
static int chain_length(STACK_OF(X509) *certs, X509 *cert, int *to_root)
{
    int length = 1;
    X509 *issuer;

    *to_root = 0;
    while (length <= sk_X509_num(certs)
           && (issuer = issuer_among(certs, cert)) != NULL) {
        if (is_self_signed(issuer)) {
            *to_root = 1;
            break;
        }
        cert = issuer;
        length++;
    }
    return length;
}

static void add_finding(apr_array_header_t *findings, provauth_lint_kind_e kind,
                        X509 *cert, apr_pool_t *p)
{
    provauth_lint_finding_t *finding = apr_array_push(findings);

    finding->kind = kind;
    finding->subject = name_text(X509_get_subject_name(cert), p);
    finding->issuer = name_text(X509_get_issuer_name(cert), p);
}

apr_array_header_t *provauth_lint_anchors(X509_STORE *anchors, apr_pool_t *p)
{
    apr_array_header_t *findings = apr_array_make(p, 2, sizeof(provauth_lint_finding_t));
    STACK_OF(X509) *certs;
    int i;

    if (anchors == NULL) {
        return findings;
    }
    certs = X509_STORE_get1_all_certs(anchors);
    if (certs == NULL) {
        return NULL;
    }
    for (i = 0; i < sk_X509_num(certs); i++) {
        X509 *cert = sk_X509_value(certs, i);
        int to_root;

        if (!is_self_signed(cert)) {
            (void)chain_length(certs, cert, &to_root);
            if (!to_root) {
                add_finding(findings, PROVAUTH_LINT_ANCHOR_NOT_ROOT, cert, p);
            }
        }
    }
    sk_X509_pop_free(certs, X509_free);
    return findings;
}

apr_array_header_t *provauth_lint_roots_missing(X509_STORE *pinned,
                                                X509_STORE *handshake, apr_pool_t *p)
{
    apr_array_header_t *findings = apr_array_make(p, 2, sizeof(provauth_lint_finding_t));
    STACK_OF(X509) *certs;
    int i;

    if (pinned == NULL || handshake == NULL) {
        return findings;
    }
    certs = X509_STORE_get1_all_certs(pinned);
    if (certs == NULL) {
        return NULL;
    }
    for (i = 0; i < sk_X509_num(certs); i++) {
        X509 *cert = sk_X509_value(certs, i);

        if (is_self_signed(cert) && !provauth_anchors_contain(handshake, cert)) {
            add_finding(findings, PROVAUTH_LINT_ROOT_NOT_IN_HANDSHAKE, cert, p);
        }
    }
    sk_X509_pop_free(certs, X509_free);
    return findings;
}

apr_array_header_t *provauth_lint_intermediates(STACK_OF(X509) *intermediates,
                                                apr_pool_t *p)
{
    apr_array_header_t *findings = apr_array_make(p, 2, sizeof(provauth_lint_finding_t));
    int i;

    for (i = 0; i < sk_X509_num(intermediates); i++) {
        X509 *cert = sk_X509_value(intermediates, i);

        if (X509_check_ca(cert) == 0) {
            add_finding(findings, PROVAUTH_LINT_INTERMEDIATE_NOT_CA, cert, p);
        }
        else if (is_self_signed(cert)) {
            add_finding(findings, PROVAUTH_LINT_INTERMEDIATE_IS_ROOT, cert, p);
        }
    }
    return findings;
}

int provauth_lint_depth_needed(STACK_OF(X509) *intermediates)
{
    int i, needed = 0;

    for (i = 0; i < sk_X509_num(intermediates); i++) {
        X509 *cert = sk_X509_value(intermediates, i);
        int to_root, length;

        if (X509_check_ca(cert) == 0 || is_self_signed(cert)) {
            continue;
        }
        /* device at depth 0, these CAs above it, then the root */
        length = chain_length(intermediates, cert, &to_root);
        if (length + 1 > needed) {
            needed = length + 1;
        }
    }
    return needed;
}
