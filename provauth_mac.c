/* provauth_mac.c: MAC parsing and normalization, MAC from a certificate
 * subject attribute (optionally through a bounded PCRE2 regex), and which
 * device a URL path names. */
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <apr_strings.h>
#include <openssl/objects.h>

#include "provauth_hint.h"
#include "provauth_lines.h"
#include "provauth_mac.h"

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
            int value = provauth_hex_value(text[pos]);
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

uint64_t provauth_mac_value(const provauth_mac_t *mac)
{
    uint64_t value = 0;
    int i;

    for (i = 0; i < PROVAUTH_MAC_LEN; i++) {
        value = (value << 4) | (uint64_t)provauth_hex_value(mac->hex[i]);
    }
    return value;
}

void provauth_mac_of_value(uint64_t value, provauth_mac_t *mac)
{
    int i;

    for (i = PROVAUTH_MAC_LEN - 1; i >= 0; i--) {
        mac->hex[i] = "0123456789abcdef"[value & 0x0f];
        value >>= 4;
    }
    mac->hex[PROVAUTH_MAC_LEN] = '\0';
}

const provauth_mac_rule_t *provauth_mac_rule_default(void)
{
    static const provauth_mac_rule_t cn_is_mac = {
        NID_commonName, "CN", NULL, NULL
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

struct provauth_mac_regex {
    pcre2_code *code;
    pcre2_match_context *limits;   /* match and depth limits for every match */
};

static apr_status_t free_regex(void *data)
{
    provauth_mac_regex_t *regex = data;

    pcre2_match_context_free(regex->limits);
    pcre2_code_free(regex->code);
    return APR_SUCCESS;
}

/* Compile with bounded cost: pattern length and nesting are capped here,
 * and PCRE2 refuses a compiled pattern past its own size limit, so no
 * pattern can stall the configuration check (glibc's regcomp could). */
static apr_status_t compile_regex(provauth_mac_regex_t **compiled, const char *pattern,
                                  apr_pool_t *p, const char **why)
{
    provauth_mac_regex_t *regex = apr_pcalloc(p, sizeof(*regex));
    pcre2_compile_context *bounds = pcre2_compile_context_create(NULL);
    PCRE2_UCHAR message[160];
    PCRE2_SIZE offset = 0;
    uint32_t groups = 0;
    int code = 0;

    if (bounds == NULL) {
        *why = "out of memory";
        return APR_ENOMEM;
    }
    pcre2_set_max_pattern_length(bounds, PROVAUTH_MAC_REGEX_MAX_LENGTH);
    pcre2_set_parens_nest_limit(bounds, PROVAUTH_MAC_REGEX_MAX_NESTING);
    regex->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                PCRE2_NEVER_UTF | PCRE2_NEVER_UCP
                                | PCRE2_NEVER_BACKSLASH_C,
                                &code, &offset, bounds);
    pcre2_compile_context_free(bounds);
    if (regex->code == NULL) {
        if (pcre2_get_error_message(code, message, sizeof(message)) < 0) {
            apr_cpystrn((char *)message, "unknown error", sizeof(message));
        }
        *why = apr_psprintf(p, "bad regular expression '%s': %s (at offset %"
                            APR_SIZE_T_FMT ")", pattern, (const char *)message,
                            (apr_size_t)offset);
        return APR_EINVAL;
    }
    regex->limits = pcre2_match_context_create(NULL);
    apr_pool_cleanup_register(p, regex, free_regex, apr_pool_cleanup_null);
    if (regex->limits == NULL) {
        *why = "out of memory";
        return APR_ENOMEM;
    }
    pcre2_set_match_limit(regex->limits, PROVAUTH_MAC_REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(regex->limits, PROVAUTH_MAC_REGEX_DEPTH_LIMIT);
    if (pcre2_pattern_info(regex->code, PCRE2_INFO_CAPTURECOUNT, &groups) != 0
        || groups < 1) {
        *why = apr_psprintf(p, "regular expression '%s' has no capture group "
                            "for the MAC", pattern);
        return APR_EINVAL;
    }
    *compiled = regex;
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
        apr_status_t rv = compile_regex(&made->regex, pattern, p, why);
        if (rv != APR_SUCCESS) {
            return rv;
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

/* The MAC in the first capture group of the rule's regex in value[0..len).
 * A match that runs into the limits yields no MAC: fail closed. */
static int mac_from_first_group(const char *value, size_t len,
                                const provauth_mac_rule_t *rule, provauth_mac_t *mac,
                                const char **why, apr_pool_t *p)
{
    pcre2_match_data *match = pcre2_match_data_create_from_pattern(rule->regex->code,
                                                                   NULL);
    PCRE2_SIZE start = PCRE2_UNSET, end = PCRE2_UNSET;
    int rc;

    if (match == NULL) {
        *why = "out of memory";
        return 0;
    }
    rc = pcre2_match(rule->regex->code, (PCRE2_SPTR)value, len, 0, 0, match,
                     rule->regex->limits);
    if (rc > 1) {
        const PCRE2_SIZE *offsets = pcre2_get_ovector_pointer(match);
        start = offsets[2];
        end = offsets[3];
    }
    pcre2_match_data_free(match);
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT
        || rc == PCRE2_ERROR_HEAPLIMIT) {
        *why = apr_psprintf(p, "%s '%s': matching '%s' hit the match limit",
                            rule->attribute_name, value, rule->pattern);
        return 0;
    }
    /* rc == 1: matched, but the first group took no part */
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
        *why = apr_psprintf(p, "%s '%s': matching '%s' failed (PCRE2 error %d)",
                            rule->attribute_name, value, rule->pattern, rc);
        return 0;
    }
    if (start == PCRE2_UNSET || end == PCRE2_UNSET || end < start) {
        *why = apr_psprintf(p, "%s '%s' does not match '%s'", rule->attribute_name,
                            value, rule->pattern);
        return 0;
    }
    if (!provauth_mac_parse(value + start, (size_t)(end - start), mac)) {
        *why = apr_psprintf(p, "%s '%s': '%.*s' is not a MAC address",
                            rule->attribute_name, value, (int)(end - start),
                            value + start);
        return 0;
    }
    return 1;
}

int provauth_mac_from_cert(const X509 *leaf, const provauth_mac_rule_t *rule,
                           provauth_mac_t *mac, const char **why, apr_pool_t *p)
{
    const char *value;
    size_t len = 0;

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
            *why = apr_psprintf(p, "%s '%s' is not a MAC address%s", rule->attribute_name,
                                value, provauth_hint_mac_inside(rule->attribute_name,
                                                                value, len, p));
            return 0;
        }
        return 1;
    }
    return mac_from_first_group(value, len, rule, mac, why, p);
}

/* Lower-case hex digits by character, 0 for anything else. */
static const char lower_hex[256] = {
    ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4', ['5'] = '5',
    ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9', ['a'] = 'a', ['b'] = 'b',
    ['c'] = 'c', ['d'] = 'd', ['e'] = 'e', ['f'] = 'f', ['A'] = 'a', ['B'] = 'b',
    ['C'] = 'c', ['D'] = 'd', ['E'] = 'e', ['F'] = 'f'
};

/* Do the 12 hex digits at digits name the MAC (any MAC but a shared
 * file's placeholder when mac is NULL)?  Names are usually written in
 * lower case: compared as they are first, then digit by digit. */
static int digits_name(const provauth_mac_t *mac, const unsigned char *digits)
{
    size_t j;

    if (mac == NULL) {
        return strncmp((const char *)digits, "0000000000", 10) != 0;
    }
    if (memcmp(digits, mac->hex, PROVAUTH_MAC_LEN) == 0) {
        return 1;
    }
    for (j = 0; j < PROVAUTH_MAC_LEN && lower_hex[digits[j]] == mac->hex[j]; j++) {
    }
    return j == PROVAUTH_MAC_LEN;
}

/* Does a name in path end a maximal run of hex digits with the MAC?  The
 * names are the last segment only (whole_path = 0) or every segment, each
 * up to its first ';'.  Only a run's last 12 digits name a device, so one
 * run names at most one.  What follows a ';' is a path parameter, which
 * servlet containers and other back ends strip before they look up the
 * file ("/cfg/<victim>.cfg;<own MAC>" is <victim>.cfg to them), so it
 * names nothing; '/' always ends a name.  One pass, a table lookup per
 * character and no length taken first: every request's path goes
 * through here. */
static int names_device(const provauth_mac_t *mac, const char *path, int whole_path)
{
    const unsigned char *c = (const unsigned char *)path;

    if (!whole_path) {
        const char *slash = strrchr(path, '/');

        if (slash != NULL) {
            c = (const unsigned char *)slash + 1;
        }
    }
    for (;;) {
        const unsigned char *run = c;

        while (lower_hex[*c]) {   /* '\0' is no hex digit: ends the run */
            c++;
        }
        if (c - run >= PROVAUTH_MAC_LEN && digits_name(mac, c - PROVAUTH_MAC_LEN)) {
            return 1;
        }
        if (*c == '\0') {
            return 0;
        }
        if (*c == ';') {
            /* the rest of this segment is a parameter: on to the next */
            const char *slash = whole_path ? strchr((const char *)c, '/') : NULL;

            if (slash == NULL) {
                return 0;
            }
            c = (const unsigned char *)slash;
        }
        c++;   /* any other character, '/' too, ends the run */
    }
}

int provauth_mac_in_path(const provauth_mac_t *mac, const char *url_path,
                         int whole_path)
{
    if (url_path == NULL || mac->hex[0] == '\0') {
        return 0;
    }
    return names_device(mac, url_path, whole_path);
}

int provauth_path_names_a_device(const char *text)
{
    return text != NULL && names_device(NULL, text, 1);
}
