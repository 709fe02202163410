/* test_pin.c: pin files (provauth_pins_parse/_load): every accepted form,
 * every malformed line and contradiction named by file and line, 10^5 pins
 * loaded fast and found; and what a pin makes of a verdict
 * (provauth_pin_apply, provauth_verify_with_pins, provauth_decide). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <openssl/x509_vfy.h>

#include "provauth_decision.h"
#include "provauth_pin.h"
#include "test_pki.h"

/* Two fingerprints, in the forms a pin file may use. */
#define FP_A_HEX   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define FP_A_COLON "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:" \
                   "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF"
#define FP_B_HEX   "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define FP_B_COLON "FE:DC:BA:98:76:54:32:10:FE:DC:BA:98:76:54:32:10:" \
                   "FE:DC:BA:98:76:54:32:10:FE:DC:BA:98:76:54:32:10"

static provauth_fingerprint_t fp_of(const char *text)
{
    provauth_fingerprint_t fp;

    ck_assert_msg(provauth_fingerprint_parse(text, strlen(text), &fp) == 1,
                  "test fingerprint '%s' does not parse", text);
    return fp;
}

static provauth_mac_t mac_of(const char *text)
{
    provauth_mac_t mac;

    ck_assert_msg(provauth_mac_parse(text, strlen(text), &mac) == 1,
                  "test MAC '%s' does not parse", text);
    return mac;
}

static provauth_pins_t *parse_ok(const char *text)
{
    provauth_pins_t *pins = NULL;
    const char *why = NULL;
    apr_status_t rv = provauth_pins_parse(&pins, text, strlen(text), "pins.txt",
                                          test_pool, &why);

    ck_assert_msg(rv == APR_SUCCESS, "parse: expected success, got %d: %s", rv,
                  why ? why : "(no why)");
    ck_assert_ptr_nonnull(pins);
    return pins;
}

/* Parsing fails with exactly "'pins.txt' line <line>: <message>". */
static void assert_parse_fails(const char *text, apr_size_t len, int line,
                               const char *message)
{
    provauth_pins_t *pins = NULL;
    const char *why = NULL;
    char expected[1024];
    apr_status_t rv = provauth_pins_parse(&pins, text, len, "pins.txt", test_pool, &why);

    snprintf(expected, sizeof(expected), "'pins.txt' line %d: %s", line, message);
    ck_assert_msg(rv == APR_EINVAL, "parse: expected APR_EINVAL, got %d (%s)", rv,
                  why ? why : "no why");
    ck_assert_msg(why != NULL && strcmp(why, expected) == 0,
                  "*why: expected\n  %s\ngot\n  %s", expected, why ? why : "(NULL)");
}

#define assert_pinned(pins, mac_text, fp_text)                                 \
    do {                                                                       \
        provauth_fingerprint_t f_ = fp_of(fp_text), g_;                        \
        provauth_mac_t m_ = mac_of(mac_text), n_;                              \
        ck_assert_msg(provauth_pins_mac_of((pins), &f_, &n_) == 1,             \
                      "fingerprint %s: expected pinned", (fp_text));           \
        ck_assert_str_eq(n_.hex, m_.hex);                                      \
        ck_assert_msg(provauth_pins_fingerprint_of((pins), &m_, &g_) == 1,     \
                      "MAC %s: expected pinned", (mac_text));                  \
        ck_assert_msg(memcmp(g_.bytes, f_.bytes, sizeof(f_.bytes)) == 0,       \
                      "MAC %s: pinned to another fingerprint", (mac_text));    \
    } while (0)

/* ---- fingerprints ---- */

START_TEST(test_fingerprint_forms)
{
    provauth_fingerprint_t a = fp_of(FP_A_HEX), b = fp_of(FP_A_COLON);
    provauth_fingerprint_t c = fp_of("0123456789ABCDEF0123456789ABCDEF"
                                     "0123456789abcdef0123456789ABCDEF");

    ck_assert(memcmp(a.bytes, b.bytes, sizeof(a.bytes)) == 0);
    ck_assert(memcmp(a.bytes, c.bytes, sizeof(a.bytes)) == 0);
    ck_assert_str_eq(provauth_fingerprint_text(&a, test_pool), FP_A_COLON);
}
END_TEST

START_TEST(test_fingerprint_malformed)
{
    static const char *const bad[] = {
        "",
        FP_A_HEX "0",                                       /* 65 digits */
        "123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",  /* 63 */
        "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "01-23-45-67-89-AB-CD-EF-01-23-45-67-89-AB-CD-EF-"
        "01-23-45-67-89-AB-CD-EF-01-23-45-67-89-AB-CD-EF",  /* dashes */
        "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:"
        "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD",     /* 31 pairs */
        "01:2345:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:"
        "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:", /* misplaced colon */
        "sha256 Fingerprint=" FP_A_COLON,
        "0x23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    };
    provauth_fingerprint_t fp;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(provauth_fingerprint_parse(bad[i], strlen(bad[i]), &fp) == 0,
                      "'%s' parsed as a fingerprint", bad[i]);
    }
    ck_assert_int_eq(provauth_fingerprint_parse(NULL, 0, &fp), 0);
}
END_TEST

/* ---- pin files ---- */

START_TEST(test_pin_file_forms_comments_and_blank_lines)
{
    provauth_pins_t *pins = parse_ok(
        "# self-signed Polycoms, approved 2026-11\r\n"
        "\n"
        "0004f2000005 " FP_A_HEX "\n"
        "  00:04:F2:00:00:06\t\t" FP_B_COLON "   # reception\r\n"
        "\t\n"
        "#0004f2000007 " FP_A_HEX "\n");

    ck_assert_int_eq(provauth_pins_size(pins), 2);
    ck_assert_str_eq(provauth_pins_name(pins), "pins.txt");
    assert_pinned(pins, "0004f2000005", FP_A_COLON);
    assert_pinned(pins, "0004.f200.0006", FP_B_HEX);
}
END_TEST

START_TEST(test_unpinned_lookups_answer_no)
{
    provauth_pins_t *pins = parse_ok("0004f2000005 " FP_A_HEX "\n");
    provauth_fingerprint_t fp = fp_of(FP_B_HEX);
    provauth_mac_t mac = mac_of("0004f2000006");

    ck_assert_int_eq(provauth_pins_mac_of(pins, &fp, &mac), 0);
    ck_assert_int_eq(provauth_pins_fingerprint_of(pins, &mac, &fp), 0);
}
END_TEST

START_TEST(test_same_pin_twice_is_harmless)
{
    provauth_pins_t *pins = parse_ok("0004f2000005 " FP_A_HEX "\n"
                                     "00-04-f2-00-00-05 " FP_A_COLON "\n");

    ck_assert_int_eq(provauth_pins_size(pins), 1);
}
END_TEST

START_TEST(test_empty_and_comment_only_files_have_no_pins)
{
    ck_assert_int_eq(provauth_pins_size(parse_ok("")), 0);
    ck_assert_int_eq(provauth_pins_size(parse_ok("# nobody yet\n\n   \n")), 0);
}
END_TEST

START_TEST(test_last_line_without_newline)
{
    provauth_pins_t *pins = parse_ok("0004f2000005 " FP_A_HEX);

    assert_pinned(pins, "0004f2000005", FP_A_HEX);
}
END_TEST

/* Every malformed form: the message names the file, the line and what is
 * wrong with it. */
START_TEST(test_malformed_lines)
{
    static const struct {
        const char *line;
        const char *message;
    } cases[] = {
        { "0004f2000005",
          "'0004f2000005' is not '<MAC> <SHA-256 fingerprint>'" },
        { FP_A_HEX,
          "'" FP_A_HEX "' is not '<MAC> <SHA-256 fingerprint>'" },
        { "0004f2000005 " FP_A_HEX " extra",
          "'0004f2000005 " FP_A_HEX " extra' is not '<MAC> <SHA-256 fingerprint>'" },
        { "0004f2000005 " FP_A_HEX "\tFP",
          "'0004f2000005 " FP_A_HEX "\\x09FP' is not '<MAC> <SHA-256 fingerprint>'" },
        { FP_A_HEX " 0004f2000005",
          "'" FP_A_HEX "' is not a MAC address" },
        { "0004f200000g " FP_A_HEX, "'0004f200000g' is not a MAC address" },
        { "0004f200005 " FP_A_HEX, "'0004f200005' is not a MAC address" },
        { "00:04:f2-00:00:05 " FP_A_HEX, "'00:04:f2-00:00:05' is not a MAC address" },
        { "0004f2000005 " FP_A_HEX "0",
          "'" FP_A_HEX "0' is not a SHA-256 fingerprint (64 hex digits, or 32 pairs "
          "of them separated by ':')" },
        { "0004f2000005 sha256:" FP_A_HEX,
          "'sha256:" FP_A_HEX "' is not a SHA-256 fingerprint (64 hex digits, or 32 "
          "pairs of them separated by ':')" },
        { "0004f2000005 SHA256 Fingerprint=" FP_A_HEX,
          "'0004f2000005 SHA256 Fingerprint=" FP_A_HEX "' is not '<MAC> <SHA-256 "
          "fingerprint>'" },
        { "0004f2000005,  " FP_A_HEX, "'0004f2000005,' is not a MAC address" },
        { "\xef\xbc\x90" "004f2000005 " FP_A_HEX,
          "'\\xEF\\xBC\\x90004f2000005' is not a MAC address" },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *text = apr_pstrcat(test_pool, "# pins\n0004f2000001 " FP_B_HEX "\n",
                                 cases[i].line, "\n", NULL);

        assert_parse_fails(text, strlen(text), 3, cases[i].message);
    }
}
END_TEST

START_TEST(test_nul_byte_in_a_line)
{
    static const char in_mac[] = "0004f2\0000005 " FP_A_HEX "\n";
    static const char in_fp[] = "0004f2000005 0123\0" "456789abcdef0123456789abcdef"
                                "0123456789abcdef0123456789abcdef\n";

    assert_parse_fails(in_mac, sizeof(in_mac) - 1, 1,
                       "'0004f2\\x000005' is not a MAC address");
    assert_parse_fails(in_fp, sizeof(in_fp) - 1, 1,
                       "'0123\\x00456789abcdef0123456789abcdef0123456789abcdef"
                       "0123456789abcdef' is not a SHA-256 fingerprint (64 hex digits, "
                       "or 32 pairs of them separated by ':')");
}
END_TEST

START_TEST(test_mac_pinned_to_two_fingerprints_fails_naming_both_lines)
{
    const char *text = "0004f2000005 " FP_A_HEX "\n# later\n00:04:f2:00:00:05 " FP_B_HEX "\n";

    assert_parse_fails(text, strlen(text), 3,
                       "MAC 0004f2000005 is already pinned to another fingerprint on "
                       "line 1");
}
END_TEST

START_TEST(test_fingerprint_pinned_for_two_macs_fails_naming_both_lines)
{
    const char *text = "\n0004f2000005 " FP_A_HEX "\n0004f2000006 " FP_A_COLON "\n";

    assert_parse_fails(text, strlen(text), 3,
                       "fingerprint " FP_A_COLON " is already pinned for MAC "
                       "0004f2000005 on line 2");
}
END_TEST

START_TEST(test_load_reads_the_file)
{
    char *path = pki_write_text(test_dir, "pins.txt", "0004f2000005 " FP_A_HEX "\n");
    provauth_pins_t *pins = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_pins_load(&pins, path, test_pool, &why), APR_SUCCESS);
    ck_assert_str_eq(provauth_pins_name(pins), path);
    assert_pinned(pins, "0004f2000005", FP_A_HEX);
    free(path);
}
END_TEST

START_TEST(test_load_errors_name_the_file)
{
    char *bad = pki_write_text(test_dir, "bad.txt", "0004f2000005\n");
    char missing[4096];
    provauth_pins_t *pins = NULL;
    const char *why = NULL;

    ck_assert_int_eq(provauth_pins_load(&pins, bad, test_pool, &why), APR_EINVAL);
    ck_assert_why_mentions(why, bad);
    ck_assert_why_mentions(why, "line 1: '0004f2000005' is not");
    snprintf(missing, sizeof(missing), "%s/absent.txt", test_dir);
    why = NULL;
    ck_assert(provauth_pins_load(&pins, missing, test_pool, &why) != APR_SUCCESS);
    ck_assert_why_mentions(why, "cannot read '");
    ck_assert_why_mentions(why, missing);
    why = NULL;
    ck_assert(provauth_pins_load(&pins, test_dir, test_pool, &why) != APR_SUCCESS);
    ck_assert_why_mentions(why, "not a regular file");
    free(bad);
}
END_TEST

/* ---- 10^5 pins ---- */

#define MANY 100000

/* Pin i: MAC 0004f2 followed by i, fingerprint from a counter scrambled
 * into 32 bytes (distinct for distinct i). */
static void many_pin(unsigned i, char *mac, char *fp)
{
    unsigned long long x = (unsigned long long)i * 0x9e3779b97f4a7c15ULL + 1;
    int j;

    sprintf(mac, "0004f2%06x", i);
    for (j = 0; j < 4; j++) {
        x ^= x >> 29;
        x *= 0xbf58476d1ce4e5b9ULL;
        sprintf(fp + 16 * j, "%016llx", x ^ i);
    }
}

START_TEST(test_hundred_thousand_pins_load_and_are_found)
{
    size_t size = (size_t)MANY * 90 + 64;
    char *text = malloc(size), *o = text, mac[16], fp[80];
    provauth_pins_t *pins = NULL;
    provauth_fingerprint_t *fps;
    provauth_mac_t *macs;
    const char *why = NULL;
    unsigned i;

    ck_assert_ptr_nonnull(text);
    for (i = 0; i < MANY; i++) {
        many_pin(i, mac, fp);
        o += sprintf(o, "%s %s\n", mac, fp);
    }
    /* Correctness at scale only: speed is measured by benchmarks, not by
     * timed tests, which a loaded CI machine or valgrind would fail. */
    ck_assert_int_eq(provauth_pins_parse(&pins, text, (apr_size_t)(o - text), "many",
                                         test_pool, &why), APR_SUCCESS);
    ck_assert_int_eq(provauth_pins_size(pins), MANY);
    /* Lookups alone, of pins parsed beforehand (and no assertion inside
     * the loop: Check reports each one to its parent). */
    fps = malloc(MANY * sizeof(*fps));
    macs = malloc(MANY * sizeof(*macs));
    ck_assert(fps != NULL && macs != NULL);
    for (i = 0; i < MANY; i++) {
        many_pin(i, mac, fp);
        if (!provauth_fingerprint_parse(fp, strlen(fp), &fps[i])
            || !provauth_mac_parse(mac, strlen(mac), &macs[i])) {
            break;
        }
    }
    ck_assert_int_eq(i, MANY);
    for (i = 0; i < MANY; i++) {
        provauth_fingerprint_t f;
        provauth_mac_t found;

        if (!provauth_pins_mac_of(pins, &fps[i], &found)
            || strcmp(found.hex, macs[i].hex) != 0
            || !provauth_pins_fingerprint_of(pins, &macs[i], &f)
            || memcmp(f.bytes, fps[i].bytes, sizeof(f.bytes)) != 0) {
            break;
        }
    }
    ck_assert_msg(i == MANY, "pin %u not found", i);
    free(fps);
    free(macs);
    many_pin(MANY, mac, fp);
    {
        provauth_fingerprint_t f = fp_of(fp);
        provauth_mac_t m = mac_of(mac);

        ck_assert_int_eq(provauth_pins_mac_of(pins, &f, &m), 0);
        ck_assert_int_eq(provauth_pins_fingerprint_of(pins, &m, &f), 0);
    }
    free(text);
}
END_TEST

/* ---- what a pin makes of a verdict ---- */

static EVP_PKEY *key, *other_key;
static pki_vendor_t *vendor;

static void pki_setup(void)
{
    test_pool_setup();
    key = pki_make_key();
    other_key = pki_make_key();
    vendor = pki_vendor_new("Acme");
}

static void pki_teardown(void)
{
    pki_vendor_free(vendor);
    pki_free_key(other_key);
    pki_free_key(key);
    test_pool_teardown();
}

static X509 *self_signed(const char *cn, EVP_PKEY *k, time_t not_after)
{
    return pki_make_leaf(cn, k, NULL, NULL, pki_utc("20100101000000Z"), not_after,
                         PKI_EKU_CLIENT_AUTH);
}

static const char *pin_line_of(X509 *cert, const char *mac_text)
{
    provauth_fingerprint_t fp;
    provauth_mac_t mac = mac_of(mac_text);

    ck_assert_int_eq(provauth_cert_fingerprint(cert, &fp), APR_SUCCESS);
    return provauth_pin_line(&mac, &fp, test_pool);
}

static provauth_pins_t *pins_for(const char *lines)
{
    return parse_ok(lines);
}

/* Verify leaf against the vendor's root with pins, the default MAC rule. */
static provauth_verdict_t verify(X509 *leaf, STACK_OF(X509) *chain,
                                 const provauth_pins_t *pins,
                                 STACK_OF(X509_CRL) *crls,
                                 provauth_pin_outcome_e *outcome, const char **pin_line)
{
    X509_STORE *anchors = pki_store(vendor->root, NULL);
    provauth_trust_t trust;
    provauth_verdict_t verdict;

    memset(&trust, 0, sizeof(trust));
    trust.anchors = anchors;
    trust.crls = crls;
    trust.pins = pins;
    ck_assert_int_eq(provauth_verify_with_pins(&verdict, &trust, NULL, leaf, chain,
                                               time(NULL), outcome, pin_line, test_pool),
                     APR_SUCCESS);
    X509_STORE_free(anchors);
    return verdict;
}

START_TEST(test_pinned_self_signed_expired_device_is_pinned)
{
    X509 *leaf = self_signed("0004f2000005", key, pki_utc("20240101000000Z"));
    provauth_pins_t *pins = pins_for(pin_line_of(leaf, "0004f2000005"));
    provauth_pin_outcome_e outcome;
    const char *line = "unset";
    provauth_verdict_t v = verify(leaf, NULL, pins, NULL, &outcome, &line);

    ck_assert_int_eq(outcome, PROVAUTH_PIN_PINNED);
    ck_assert_str_eq(provauth_status_name(v.status), "PINNED");
    ck_assert_ptr_null(v.reason);
    ck_assert_int_eq(v.verify_error, X509_V_OK);
    ck_assert_ptr_null(line);
    ck_assert(v.days_left < 0);
    ck_assert(PROVAUTH_STATUS_IS_TRUSTED(v.status));
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_pinned_key_presented_with_another_mac_fails_saying_so)
{
    X509 *leaf = self_signed("0004f2000005", key, pki_now_plus(PKI_YEAR));
    const char *line = apr_pstrcat(test_pool, "0004f2000099 ",
                                   strchr(pin_line_of(leaf, "0004f2000005"), ' ') + 1,
                                   NULL);
    provauth_pins_t *pins = pins_for(line);
    provauth_pin_outcome_e outcome;
    provauth_verdict_t v = verify(leaf, NULL, pins, NULL, &outcome, NULL);

    ck_assert_int_eq(outcome, PROVAUTH_PIN_WRONG_MAC);
    ck_assert_str_eq(provauth_status_name(v.status), "FAILED");
    ck_assert_str_eq(v.reason, "certificate pinned for MAC 0004f2000099 in pins.txt, "
                               "but it carries MAC 0004f2000005");
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_pinned_certificate_without_a_mac_fails_saying_so)
{
    X509 *leaf = self_signed("not a mac", key, pki_now_plus(PKI_YEAR));
    const char *line = apr_pstrcat(test_pool, "0004f2000005 ",
                                   strchr(pin_line_of(leaf, "0004f2000005"), ' ') + 1,
                                   NULL);
    provauth_pin_outcome_e outcome;
    provauth_verdict_t v = verify(leaf, NULL, pins_for(line), NULL, &outcome, NULL);

    ck_assert_int_eq(outcome, PROVAUTH_PIN_WRONG_MAC);
    ck_assert_str_eq(provauth_status_name(v.status), "FAILED");
    ck_assert_why_mentions(v.reason, "certificate pinned for MAC 0004f2000005 in "
                                     "pins.txt, but it yields no MAC here: ");
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_impostor_claiming_a_pinned_mac_with_another_key_fails_saying_so)
{
    X509 *genuine = self_signed("0004f2000005", key, pki_now_plus(PKI_YEAR));
    X509 *impostor = self_signed("0004f2000005", other_key, pki_now_plus(PKI_YEAR));
    provauth_pins_t *pins = pins_for(pin_line_of(genuine, "0004f2000005"));
    provauth_pin_outcome_e outcome;
    const char *line = "unset";
    provauth_verdict_t v = verify(impostor, NULL, pins, NULL, &outcome, &line);
    const char *fp = strchr(pin_line_of(impostor, "0004f2000005"), ' ') + 1;

    ck_assert_int_eq(outcome, PROVAUTH_PIN_OTHER_CERT);
    ck_assert_str_eq(provauth_status_name(v.status), "FAILED");
    ck_assert_str_eq(v.reason, apr_pstrcat(test_pool, "MAC 0004f2000005 is pinned to "
                                           "another certificate in pins.txt (this one's "
                                           "SHA-256 fingerprint is ", fp, ")", NULL));
    ck_assert_ptr_null(line);
    pki_free_cert(impostor);
    pki_free_cert(genuine);
}
END_TEST

START_TEST(test_unpinned_self_signed_device_is_an_enrollment_candidate)
{
    X509 *leaf = self_signed("00:04:F2:00:00:07", key, pki_now_plus(PKI_YEAR));
    provauth_pins_t *pins = pins_for("0004f2000005 " FP_A_HEX "\n");
    provauth_pin_outcome_e outcome;
    const char *line = NULL;
    provauth_verdict_t v = verify(leaf, NULL, pins, NULL, &outcome, &line);

    ck_assert_int_eq(outcome, PROVAUTH_PIN_CANDIDATE);
    ck_assert_str_eq(provauth_status_name(v.status), "FAILED");
    ck_assert_str_eq(v.reason, "self-signed certificate");
    ck_assert_str_eq(line, pin_line_of(leaf, "0004f2000007"));
    /* The line it offers, pinned, admits it. */
    v = verify(leaf, NULL, pins_for(line), NULL, &outcome, NULL);
    ck_assert_str_eq(provauth_status_name(v.status), "PINNED");
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_unpinned_self_signed_without_mac_is_no_candidate)
{
    X509 *leaf = self_signed("phone", key, pki_now_plus(PKI_YEAR));
    provauth_pin_outcome_e outcome;
    const char *line = NULL;
    provauth_verdict_t v = verify(leaf, NULL, pins_for(""), NULL, &outcome, &line);

    ck_assert_int_eq(outcome, PROVAUTH_PIN_NOT_INVOLVED);
    ck_assert_str_eq(v.reason, "self-signed certificate");
    ck_assert_ptr_null(line);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_without_pins_nothing_changes)
{
    X509 *leaf = self_signed("0004f2000005", key, pki_now_plus(PKI_YEAR));
    provauth_pin_outcome_e outcome;
    const char *line = "unset";
    provauth_verdict_t v = verify(leaf, NULL, NULL, NULL, &outcome, &line);

    ck_assert_int_eq(outcome, PROVAUTH_PIN_NOT_INVOLVED);
    ck_assert_str_eq(v.reason, "self-signed certificate");
    ck_assert_ptr_null(line);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_vendor_chain_whose_fingerprint_is_pinned_keeps_its_status)
{
    X509 *leaf = pki_make_leaf("0004f2000001", key, vendor->issuing, vendor->issuing_key,
                               pki_utc("20100101000000Z"), pki_utc("20240101000000Z"),
                               PKI_EKU_CLIENT_AUTH);
    STACK_OF(X509) *chain = pki_stack(vendor->issuing, vendor->policy, NULL);
    provauth_pins_t *pins = pins_for(pin_line_of(leaf, "0004f2000001"));
    provauth_pin_outcome_e outcome;
    provauth_verdict_t v = verify(leaf, chain, pins, NULL, &outcome, NULL);

    ck_assert_int_eq(outcome, PROVAUTH_PIN_KEPT);
    ck_assert_str_eq(provauth_status_name(v.status), "EXPIRED");
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_vendor_chain_with_a_mac_pinned_elsewhere_keeps_its_status)
{
    X509 *leaf = pki_make_leaf("0004f2000001", key, vendor->issuing, vendor->issuing_key,
                               pki_now_plus(-PKI_DAY), pki_now_plus(PKI_YEAR),
                               PKI_EKU_CLIENT_AUTH);
    STACK_OF(X509) *chain = pki_stack(vendor->issuing, vendor->policy, NULL);
    provauth_pin_outcome_e outcome;
    provauth_verdict_t v = verify(leaf, chain, pins_for("0004f2000001 " FP_A_HEX),
                                  NULL, &outcome, NULL);

    ck_assert_str_eq(provauth_status_name(v.status), "VALID");
    ck_assert_int_eq(outcome, PROVAUTH_PIN_NOT_INVOLVED);
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_pin_never_overrides_revocation)
{
    X509 *leaf = pki_make_leaf("0004f2000008", key, vendor->issuing, vendor->issuing_key,
                               pki_now_plus(-PKI_DAY), pki_now_plus(PKI_YEAR),
                               PKI_EKU_CLIENT_AUTH);
    STACK_OF(X509) *chain = pki_stack(vendor->issuing, vendor->policy, NULL);
    long serial = pki_serial(leaf);
    X509_CRL *crl = pki_make_crl(vendor->issuing, vendor->issuing_key, &serial, 1,
                                 pki_now_plus(-PKI_DAY), pki_now_plus(PKI_YEAR));
    STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
    provauth_pin_outcome_e outcome;
    provauth_verdict_t v;

    ck_assert(sk_X509_CRL_push(crls, crl) > 0);
    v = verify(leaf, chain, pins_for(pin_line_of(leaf, "0004f2000008")), crls,
               &outcome, NULL);
    ck_assert_int_eq(outcome, PROVAUTH_PIN_KEPT);
    ck_assert_str_eq(provauth_status_name(v.status), "FAILED");
    ck_assert_str_eq(v.reason, "certificate revoked");
    sk_X509_CRL_pop_free(crls, X509_CRL_free);
    sk_X509_pop_free(chain, X509_free);
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_pinned_vendor_certificate_of_an_untrusted_vendor_is_pinned)
{
    pki_vendor_t *other = pki_vendor_new("Other");
    X509 *leaf = pki_make_leaf("0004f2000006", key, other->issuing, other->issuing_key,
                               pki_now_plus(-PKI_DAY), pki_now_plus(PKI_YEAR),
                               PKI_EKU_CLIENT_AUTH);
    provauth_pin_outcome_e outcome;
    provauth_verdict_t v = verify(leaf, NULL, pins_for(pin_line_of(leaf, "0004f2000006")),
                                  NULL, &outcome, NULL);

    ck_assert_str_eq(provauth_status_name(v.status), "PINNED");
    pki_free_cert(leaf);
    pki_vendor_free(other);
}
END_TEST

START_TEST(test_pin_forgives_issuer_and_dates_but_not_the_purpose)
{
    X509 *leaf = pki_make_leaf("0004f2000005", key, NULL, NULL, pki_now_plus(-PKI_DAY),
                               pki_now_plus(PKI_YEAR), PKI_EKU_SERVER_AUTH_ONLY);
    provauth_pin_outcome_e outcome;
    provauth_verdict_t v = verify(leaf, NULL, pins_for(pin_line_of(leaf, "0004f2000005")),
                                  NULL, &outcome, NULL);

    ck_assert_str_eq(provauth_status_name(v.status), "FAILED");
    ck_assert_int_eq(v.verify_error, X509_V_ERR_INVALID_PURPOSE);
    ck_assert_str_eq(v.reason, "unsuitable certificate purpose");
    pki_free_cert(leaf);
}
END_TEST

START_TEST(test_pinned_device_is_granted_by_every_requirement)
{
    provauth_facts_t facts;
    provauth_mac_t mac = mac_of("0004f2000005");
    char *list_path = pki_write_text(test_dir, "allow.txt", "0004f2000005\n");
    provauth_allowlist_t *list = NULL;
    const char *why = NULL, *reason = NULL;

    ck_assert_int_eq(provauth_allowlist_load(&list, list_path, test_pool, &why),
                     APR_SUCCESS);
    memset(&facts, 0, sizeof(facts));
    facts.status = PROVAUTH_STATUS_PINNED;
    facts.mac = &mac;
    facts.url_path = "/polycom/0004f2000005.cfg";
    facts.allowlist = list;
    ck_assert_int_eq(provauth_decide(&facts, PROVAUTH_REQUIRE_DEVICE, &reason, test_pool),
                     PROVAUTH_DECISION_GRANT);
    ck_assert_int_eq(provauth_decide(&facts, PROVAUTH_REQUIRE_MAC, &reason, test_pool),
                     PROVAUTH_DECISION_GRANT);
    ck_assert_int_eq(provauth_decide(&facts, PROVAUTH_REQUIRE_ALLOWLIST, &reason,
                                     test_pool), PROVAUTH_DECISION_GRANT);
    facts.url_path = "/polycom/0004f2000001.cfg";
    ck_assert_int_eq(provauth_decide(&facts, PROVAUTH_REQUIRE_MAC, &reason, test_pool),
                     PROVAUTH_DECISION_DENY);
    ck_assert_str_eq(provauth_status_name(PROVAUTH_STATUS_PINNED), "PINNED");
    free(list_path);
}
END_TEST

Suite *pin_suite(void)
{
    Suite *suite = suite_create("pin");
    TCase *tc = tcase_create("pin file");
    TCase *apply = tcase_create("pin verdicts");

    tcase_add_unchecked_fixture(tc, test_dir_make, test_dir_remove);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_fingerprint_forms);
    tcase_add_test(tc, test_fingerprint_malformed);
    tcase_add_test(tc, test_pin_file_forms_comments_and_blank_lines);
    tcase_add_test(tc, test_unpinned_lookups_answer_no);
    tcase_add_test(tc, test_same_pin_twice_is_harmless);
    tcase_add_test(tc, test_empty_and_comment_only_files_have_no_pins);
    tcase_add_test(tc, test_last_line_without_newline);
    tcase_add_test(tc, test_malformed_lines);
    tcase_add_test(tc, test_nul_byte_in_a_line);
    tcase_add_test(tc, test_mac_pinned_to_two_fingerprints_fails_naming_both_lines);
    tcase_add_test(tc, test_fingerprint_pinned_for_two_macs_fails_naming_both_lines);
    tcase_add_test(tc, test_load_reads_the_file);
    tcase_add_test(tc, test_load_errors_name_the_file);
    tcase_add_test(tc, test_hundred_thousand_pins_load_and_are_found);
    suite_add_tcase(suite, tc);

    tcase_add_unchecked_fixture(apply, test_dir_make, test_dir_remove);
    tcase_add_checked_fixture(apply, pki_setup, pki_teardown);
    tcase_add_test(apply, test_pinned_self_signed_expired_device_is_pinned);
    tcase_add_test(apply, test_pinned_key_presented_with_another_mac_fails_saying_so);
    tcase_add_test(apply, test_pinned_certificate_without_a_mac_fails_saying_so);
    tcase_add_test(apply, test_impostor_claiming_a_pinned_mac_with_another_key_fails_saying_so);
    tcase_add_test(apply, test_unpinned_self_signed_device_is_an_enrollment_candidate);
    tcase_add_test(apply, test_unpinned_self_signed_without_mac_is_no_candidate);
    tcase_add_test(apply, test_without_pins_nothing_changes);
    tcase_add_test(apply, test_vendor_chain_whose_fingerprint_is_pinned_keeps_its_status);
    tcase_add_test(apply, test_vendor_chain_with_a_mac_pinned_elsewhere_keeps_its_status);
    tcase_add_test(apply, test_pin_never_overrides_revocation);
    tcase_add_test(apply, test_pinned_vendor_certificate_of_an_untrusted_vendor_is_pinned);
    tcase_add_test(apply, test_pin_forgives_issuer_and_dates_but_not_the_purpose);
    tcase_add_test(apply, test_pinned_device_is_granted_by_every_requirement);
    suite_add_tcase(suite, apply);
    return suite;
}
