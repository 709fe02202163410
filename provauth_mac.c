/* provauth_mac.c: MAC parsing and normalization, MAC from a certificate
 * subject attribute (optionally through a regex), MAC in a URL path. */
#include <string.h>

#include <apr_strings.h>
#include <openssl/objects.h>

#include "provauth_mac.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Copy `groups` groups of `width` hex digits separated by `sep` (0: none). */
static int parse_groups(const char *text, size_t len, int groups, int width,
                        char sep, provauth_mac_t *mac)
{
    size_t expected = (size_t)groups * (size_t)width + (sep ? (size_t)groups - 1 : 0);
    size_t pos = 0;
    int out = 0, g, i;

    if (len != expected) {
        return 0;
    }
    for (g = 0; g < groups; g++) {
        if (g > 0 && sep) {
            if (text[pos++] != sep) {
                return 0;
            }
        }
        for (i = 0; i < width; i++, pos++) {
            int value = hex_value(text[pos]);
            if (value < 0) {
                return 0;
            }
            mac->hex[out++] = "0123456789abcdef"[value];
        }
    }
    mac->hex[out] = '\0';
    return 1;
}

int provauth_mac_parse(const char *text, size_t len, provauth_mac_t *mac)
{
    provauth_mac_t parsed;

    if (text == NULL) {
        return 0;
    }
    if (!(parse_groups(text, len, 1, 12, 0, &parsed)
          || parse_groups(text, len, 6, 2, ':', &parsed)
          || parse_groups(text, len, 6, 2, '-', &parsed)
          || parse_groups(text, len, 3, 4, '.', &parsed))) {
        return 0;
    }
    *mac = parsed;
    return 1;
}

const provauth_mac_rule_t *provauth_mac_rule_default(void)
{
    static const provauth_mac_rule_t cn_is_mac = {
        NID_commonName, "CN", NULL, { 0 }
    };
    return &cn_is_mac;
}

/* Subject attributes a device certificate may carry its MAC in. */
static int is_subject_attribute(int nid)
{
    static const int attributes[] = {
        NID_commonName, NID_serialNumber, NID_userId, NID_organizationalUnitName,
        NID_organizationName, NID_localityName, NID_stateOrProvinceName,
        NID_countryName, NID_title, NID_name, NID_givenName, NID_surname,
        NID_pseudonym, NID_description, NID_x500UniqueIdentifier,
        NID_pkcs9_emailAddress, NID_domainComponent, NID_dnQualifier,
        NID_uniqueIdentifier
    };
    size_t i;

    for (i = 0; i < sizeof(attributes) / sizeof(attributes[0]); i++) {
        if (attributes[i] == nid) {
            return 1;
        }
    }
    return 0;
}

static apr_status_t free_regex(void *regex)
{
    regfree(regex);
    return APR_SUCCESS;
}

apr_status_t provauth_mac_rule_make(provauth_mac_rule_t **rule, const char *attribute,
                                    const char *pattern, apr_pool_t *p,
                                    const char **why)
{
    provauth_mac_rule_t *made = apr_pcalloc(p, sizeof(*made));

    made->attribute_nid = OBJ_txt2nid(attribute);
    if (made->attribute_nid == NID_undef || !is_subject_attribute(made->attribute_nid)) {
        *why = apr_psprintf(p, "unknown certificate subject attribute '%s'", attribute);
        return APR_EINVAL;
    }
    made->attribute_name = apr_pstrdup(p, attribute);
    if (pattern != NULL) {
        int rc = regcomp(&made->regex, pattern, REG_EXTENDED);
        if (rc != 0) {
            char buf[256];
            regerror(rc, &made->regex, buf, sizeof(buf));
            *why = apr_psprintf(p, "bad regular expression '%s': %s", pattern, buf);
            return APR_EINVAL;
        }
        apr_pool_cleanup_register(p, &made->regex, free_regex, apr_pool_cleanup_null);
        if (made->regex.re_nsub < 1) {
            *why = apr_psprintf(p, "regular expression '%s' has no capture group "
                                "for the MAC", pattern);
            return APR_EINVAL;
        }
        made->pattern = apr_pstrdup(p, pattern);
    }
    *rule = made;
    return APR_SUCCESS;
}

/* ASN.1 string types whose bytes are the characters themselves.  OpenSSL
 * also keeps BMP and Universal strings, BIT STRINGs, SEQUENCEs (with their
 * own header) and unknown tags in a subject attribute, with bytes that may
 * happen to read as a MAC: none of those is text. */
static int is_plain_string_type(int type)
{
    switch (type) {
    case V_ASN1_UTF8STRING:
    case V_ASN1_PRINTABLESTRING:
    case V_ASN1_IA5STRING:
    case V_ASN1_T61STRING:
    case V_ASN1_NUMERICSTRING:
    case V_ASN1_VISIBLESTRING:
        return 1;
    default:
        return 0;
    }
}

/* The attribute's value, if it occurs exactly once and is plain text. */
static const char *single_attribute(const X509 *leaf, const provauth_mac_rule_t *rule,
                                    size_t *len, const char **why, apr_pool_t *p)
{
    const X509_NAME *subject = X509_get_subject_name(leaf);
    const ASN1_STRING *value;
    const unsigned char *data;
    int first, i, size;

    first = X509_NAME_get_index_by_NID(subject, rule->attribute_nid, -1);
    if (first < 0) {
        *why = apr_psprintf(p, "no %s in the certificate subject", rule->attribute_name);
        return NULL;
    }
    if (X509_NAME_get_index_by_NID(subject, rule->attribute_nid, first) >= 0) {
        *why = apr_psprintf(p, "more than one %s in the certificate subject",
                            rule->attribute_name);
        return NULL;
    }
    value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, first));
    data = ASN1_STRING_get0_data(value);
    size = ASN1_STRING_length(value);
    if (data == NULL || size <= 0) {
        *why = apr_psprintf(p, "empty %s in the certificate subject", rule->attribute_name);
        return NULL;
    }
    /* Plain printable ASCII only: no NUL, control bytes or UTF-8
     * look-alikes (BMP/UTF8 encodings of other scripts fail here too). */
    for (i = 0; i < size; i++) {
        if (data[i] < 0x20 || data[i] > 0x7e) {
            *why = apr_psprintf(p, "%s holds a non-printable or non-ASCII byte",
                                rule->attribute_name);
            return NULL;
        }
    }
    if (!is_plain_string_type(ASN1_STRING_type(value))) {
        *why = apr_psprintf(p, "%s is not a plain string", rule->attribute_name);
        return NULL;
    }
    *len = (size_t)size;
    return apr_pstrmemdup(p, (const char *)data, (apr_size_t)size);
}

int provauth_mac_from_cert(const X509 *leaf, const provauth_mac_rule_t *rule,
                           provauth_mac_t *mac, const char **why, apr_pool_t *p)
{
    const char *value;
    size_t len = 0;
    regmatch_t match[2];

    if (leaf == NULL) {
        *why = "no client certificate";
        return 0;
    }
    value = single_attribute(leaf, rule, &len, why, p);
    if (value == NULL) {
        return 0;
    }
    if (rule->pattern == NULL) {
        if (!provauth_mac_parse(value, len, mac)) {
            *why = apr_psprintf(p, "%s '%s' is not a MAC address", rule->attribute_name,
                                value);
            return 0;
        }
        return 1;
    }
    if (regexec(&rule->regex, value, 2, match, 0) != 0 || match[1].rm_so < 0) {
        *why = apr_psprintf(p, "%s '%s' does not match '%s'", rule->attribute_name,
                            value, rule->pattern);
        return 0;
    }
    if (!provauth_mac_parse(value + match[1].rm_so,
                            (size_t)(match[1].rm_eo - match[1].rm_so), mac)) {
        *why = apr_psprintf(p, "%s '%s': '%.*s' is not a MAC address",
                            rule->attribute_name, value,
                            (int)(match[1].rm_eo - match[1].rm_so),
                            value + match[1].rm_so);
        return 0;
    }
    return 1;
}

int provauth_mac_in_path(const provauth_mac_t *mac, const char *url_path,
                         int whole_path)
{
    const char *haystack = url_path;
    size_t len, i;

    if (url_path == NULL || mac->hex[0] == '\0') {
        return 0;
    }
    if (!whole_path) {
        const char *slash = strrchr(url_path, '/');
        haystack = slash ? slash + 1 : url_path;
    }
    len = strlen(haystack);
    for (i = 0; i + PROVAUTH_MAC_LEN <= len; i++) {
        if (strncasecmp(haystack + i, mac->hex, PROVAUTH_MAC_LEN) == 0) {
            return 1;
        }
    }
    return 0;
}
