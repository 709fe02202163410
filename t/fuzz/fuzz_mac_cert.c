/* fuzz_mac_cert.c: provauth_mac_from_cert on certificate subjects made from
 * the input, under the default rule (the CN is a MAC) and three regex rules.
 *
 * Input: a mode byte.  Odd: the rest is the DER of a subject name, parsed as
 * a TLS handshake parses one.  Even: the rest is a list of attributes, each
 * four header bytes (string type, attribute, bit 0: same RDN as the one
 * before (multi-valued), value length) and the value; the name built from
 * them is used as is and, when it encodes and decodes, as decoded too.
 * String types cover every ASN.1 string type, some that are no strings,
 * and OpenSSL's MBSTRING_* conversions.
 *
 * Checked: the answer of the default rule and of the UID "(.*)" and CN
 * "SEP(...)$" rules equals a reference (exactly one such attribute, a
 * plain string type, printable ASCII, a MAC where the rule expects one);
 * any answer is a normalized MAC; any reason is printable ASCII (it is
 * logged); a built name and its decoded form get the same answers. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "provauth_mac.h"
#include "fuzz.h"

static const int string_types[] = {
    V_ASN1_UTF8STRING, V_ASN1_PRINTABLESTRING, V_ASN1_IA5STRING,
    V_ASN1_BMPSTRING, V_ASN1_UNIVERSALSTRING, V_ASN1_T61STRING,
    V_ASN1_NUMERICSTRING, V_ASN1_VIDEOTEXSTRING, V_ASN1_GRAPHICSTRING,
    V_ASN1_VISIBLESTRING, V_ASN1_GENERALSTRING, V_ASN1_BIT_STRING,
    V_ASN1_OCTET_STRING, V_ASN1_SEQUENCE, V_ASN1_ENUMERATED, V_ASN1_UTCTIME,
    V_ASN1_APP_CHOOSE, MBSTRING_ASC, MBSTRING_UTF8, MBSTRING_BMP, MBSTRING_UNIV,
    V_ASN1_OBJECT_DESCRIPTOR, V_ASN1_EXTERNAL
};

static const int attributes[] = {
    NID_commonName, NID_serialNumber, NID_userId, NID_organizationalUnitName,
    NID_organizationName, NID_countryName, NID_localityName, NID_title,
    NID_pkcs9_emailAddress, NID_domainComponent, NID_x500UniqueIdentifier,
    NID_businessCategory
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* The rules, made once; index 0 is the built-in default. */
enum { RULE_DEFAULT, RULE_UID_ALL, RULE_CN_SEP, RULE_SERIAL_COLONS, N_RULES };
static const provauth_mac_rule_t *rules[N_RULES];

/* Copies of the rules' compiled regexes, only so that LeakSanitizer sees
 * what they point to: APR pool memory is mmap'd, which LSan does not scan,
 * so PCRE2's allocations referenced from the pool look leaked. */
static provauth_mac_regex_t *regex_roots[N_RULES];

static void make_rules(void)
{
    static apr_pool_t *rules_pool;
    provauth_mac_rule_t *rule;
    const char *why = NULL;
    static const char *const made[][2] = {
        { NULL, NULL },
        { "UID", "(.*)" },
        { "CN", "SEP([0-9A-Fa-f]{12})$" },
        { "serialNumber", "(([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2})" },
    };
    int i;

    if (rules_pool != NULL) {
        return;
    }
    rules_pool = fuzz_pool();
    rules[RULE_DEFAULT] = provauth_mac_rule_default();
    for (i = 1; i < N_RULES; i++) {
        if (provauth_mac_rule_make(&rule, made[i][0], made[i][1], rules_pool, &why)
            != APR_SUCCESS) {
            fuzz_fail(__FILE__, __LINE__, "rule", "cannot make rule %s: %s",
                      made[i][0], why);
        }
        rules[i] = rule;
        regex_roots[i] = rule->regex;
    }
}

/* The types a MAC may be written in: strings whose bytes are characters. */
static int is_plain_string_type(int type)
{
    return type == V_ASN1_UTF8STRING || type == V_ASN1_PRINTABLESTRING
           || type == V_ASN1_IA5STRING || type == V_ASN1_T61STRING
           || type == V_ASN1_NUMERICSTRING || type == V_ASN1_VISIBLESTRING;
}

/* The reference for the attribute: exactly once, a plain string type,
 * non-empty printable ASCII.  Returns its value (malloc'd) or NULL. */
static char *reference_value(const X509_NAME *name, int nid)
{
    const ASN1_STRING *value = NULL;
    const unsigned char *bytes;
    char *copy;
    int i, count = 0, len;

    for (i = 0; i < X509_NAME_entry_count(name); i++) {
        const X509_NAME_ENTRY *entry = X509_NAME_get_entry(name, i);
        if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry)) == nid) {
            count++;
            value = X509_NAME_ENTRY_get_data(entry);
        }
    }
    if (count != 1 || !is_plain_string_type(ASN1_STRING_type(value))) {
        return NULL;
    }
    bytes = ASN1_STRING_get0_data(value);
    len = ASN1_STRING_length(value);
    if (bytes == NULL || len <= 0) {
        return NULL;
    }
    for (i = 0; i < len; i++) {
        if (bytes[i] < 0x20 || bytes[i] > 0x7e) {
            return NULL;
        }
    }
    copy = malloc((size_t)len + 1);
    if (copy == NULL) {
        abort();
    }
    memcpy(copy, bytes, (size_t)len);
    copy[len] = '\0';
    return copy;
}

/* What the reference expects of a rule it models: 1 with *mac, or 0. */
static int reference_answer(const X509_NAME *name, int rule, provauth_mac_t *mac)
{
    char *value = reference_value(name, rules[rule]->attribute_nid);
    size_t len;
    int ok = 0;

    if (value == NULL) {
        return 0;
    }
    len = strlen(value);
    if (rule == RULE_DEFAULT || rule == RULE_UID_ALL) {
        ok = provauth_mac_parse(value, len, mac);
    }
    else if (rule == RULE_CN_SEP && len >= 15 && memcmp(value + len - 15, "SEP", 3) == 0) {
        ok = provauth_mac_parse(value + len - 12, 12, mac);
    }
    free(value);
    return ok;
}

static int is_normal_mac(const provauth_mac_t *mac)
{
    int i;

    for (i = 0; i < PROVAUTH_MAC_LEN; i++) {
        if (!isdigit((unsigned char)mac->hex[i])
            && !(mac->hex[i] >= 'a' && mac->hex[i] <= 'f')) {
            return 0;
        }
    }
    return mac->hex[PROVAUTH_MAC_LEN] == '\0';
}

static int is_printable_ascii(const char *text)
{
    for (; *text; text++) {
        if ((unsigned char)*text < 0x20 || (unsigned char)*text > 0x7e) {
            return 0;
        }
    }
    return 1;
}

/* Run every rule on a certificate (only its subject is set); answers[i]
 * gets 1 and macs[i] the MAC, or 0. */
static void check_subject(const X509 *cert, int answers[N_RULES],
                          provauth_mac_t macs[N_RULES])
{
    const X509_NAME *name = X509_get_subject_name(cert);
    apr_pool_t *p = fuzz_pool();
    int i;

    for (i = 0; i < N_RULES; i++) {
        const char *why = NULL;
        provauth_mac_t expected;
        int expect;

        memset(&macs[i], 0, sizeof(macs[i]));
        answers[i] = provauth_mac_from_cert(cert, rules[i], &macs[i], &why, p);
        FUZZ_CHECK(answers[i] == 0 || answers[i] == 1, "rule %d answered %d", i,
                   answers[i]);
        if (answers[i]) {
            FUZZ_CHECK(is_normal_mac(&macs[i]), "rule %d gave MAC '%.13s'", i,
                       macs[i].hex);
        }
        else {
            FUZZ_CHECK(why != NULL && *why != '\0', "rule %d refused without reason", i);
            FUZZ_CHECK(is_printable_ascii(why), "rule %d: reason not printable: %s",
                       i, why);
        }
        if (i == RULE_SERIAL_COLONS) {
            continue; /* no reference: the regex finds a MAC inside other text */
        }
        expect = reference_answer(name, i, &expected);
        FUZZ_CHECK(answers[i] == expect, "rule %d answered %d (%s), the reference %d",
                   i, answers[i], answers[i] ? macs[i].hex : why, expect);
        FUZZ_CHECK(!expect || strcmp(macs[i].hex, expected.hex) == 0,
                   "rule %d gave %s, the reference %s", i, macs[i].hex, expected.hex);
    }
    fuzz_pool_done(p);
}

/* A certificate whose subject the attribute list describes, built in
 * place: some values OpenSSL refuses (an MBSTRING value over the size
 * limit), some it takes but could not encode (invalid UTF-8). */
static X509 *build_subject(const uint8_t *data, size_t size)
{
    X509 *cert = X509_new();
    X509_NAME *name;
    size_t pos = 0;
    int added = 0;

    if (cert == NULL) {
        abort();
    }
    name = X509_get_subject_name(cert);
    while (pos + 4 <= size && added < 32) {
        int type = string_types[data[pos] % N_ELEMS(string_types)];
        int nid = attributes[data[pos + 1] % N_ELEMS(attributes)];
        int join_rdn = (data[pos + 2] & 1) && added > 0;
        size_t len = data[pos + 3];

        pos += 4;
        if (len > size - pos) {
            len = size - pos;
        }
        if (X509_NAME_add_entry_by_NID(name, nid, type, data + pos, (int)len, -1,
                                       join_rdn ? -1 : 0)) {
            added++;
        }
        pos += len;
    }
    return cert;
}

/* A certificate whose subject is name (copied), or NULL. */
static X509 *with_subject(const X509_NAME *name)
{
    X509 *cert = X509_new();

    if (cert != NULL && !X509_set_subject_name(cert, name)) {
        X509_free(cert);
        cert = NULL;
    }
    return cert;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int answers[N_RULES];
    provauth_mac_t macs[N_RULES];
    X509_NAME *name = NULL;
    X509 *cert, *decoded = NULL;
    const unsigned char *in;
    unsigned char *der = NULL;
    int der_len;

    make_rules();
    if (size < 1) {
        apr_pool_t *p = fuzz_pool();
        const char *why = NULL;

        FUZZ_CHECK(provauth_mac_from_cert(NULL, rules[0], &macs[0], &why, p) == 0,
                   "a MAC without a certificate");
        fuzz_pool_done(p);
        return 0;
    }
    if (data[0] & 1) {
        in = data + 1;
        name = d2i_X509_NAME(NULL, &in, (long)(size - 1));
        cert = name ? with_subject(name) : NULL;
        if (cert != NULL) {
            check_subject(cert, answers, macs);
            X509_free(cert);
        }
        X509_NAME_free(name);
        ERR_clear_error();
        return 0;
    }
    cert = build_subject(data + 1, size - 1);
    check_subject(cert, answers, macs);
    der_len = i2d_X509_NAME(X509_get_subject_name(cert), &der);
    if (der_len > 0) {
        in = der;
        name = d2i_X509_NAME(NULL, &in, der_len);
        decoded = name ? with_subject(name) : NULL;
    }
    if (decoded != NULL) {
        int decoded_answers[N_RULES], i;
        provauth_mac_t decoded_macs[N_RULES];

        check_subject(decoded, decoded_answers, decoded_macs);
        for (i = 0; i < N_RULES; i++) {
            FUZZ_CHECK(answers[i] == decoded_answers[i]
                       && (!answers[i] || strcmp(macs[i].hex, decoded_macs[i].hex) == 0),
                       "rule %d: built name answers %d (%s), decoded %d (%s)", i,
                       answers[i], macs[i].hex, decoded_answers[i], decoded_macs[i].hex);
        }
        X509_free(decoded);
    }
    X509_NAME_free(name);
    OPENSSL_free(der);
    X509_free(cert);
    ERR_clear_error();
    return 0;
}
