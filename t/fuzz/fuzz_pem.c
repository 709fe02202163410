/* fuzz_pem.c: the trust-material loaders (provauth_load_anchors,
 * provauth_load_certs, provauth_load_crls) on any file content, then what
 * the module does with loaded certificates: describe them for logs and
 * re-validate each against the anchors, intermediates and CRLs loaded.
 *
 * Input: a mode byte.  Odd: the rest is the file, verbatim (PEM text, or
 * DER once the loaders read it).  Even: the rest is a list of blocks, each
 * three header bytes (flags, two bytes of length, big-endian) and the DER
 * inside; the target writes each as PEM, so the fuzzer mutates the DER and
 * not its base64.  Flags: bits 0-2 the label; bit 3 no END line; bit 4
 * CRLF line ends; bit 5 a text line before the block; bit 6 encryption
 * headers; bit 7 the base64 on one line.  The armour is made here, at run
 * time: the sources and the corpus hold none.
 *
 * Checked: success means at least one certificate (CRL); the anchors load
 * exactly when the certificates do and contain each of them; no loader
 * asks for a pass phrase (an encrypted block); reasons and
 * leaf descriptions are printable ASCII; re-validation of any loaded
 * certificate returns a well-formed verdict or an internal error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ui.h>

#include "provauth_verify.h"
#include "fuzz.h"

typedef struct {
    char *text;
    size_t len, size;
} buffer_t;

static void put(buffer_t *b, const char *text, size_t len)
{
    if (b->len + len + 1 > b->size) {
        b->size = 2 * (b->len + len + 1);
        b->text = realloc(b->text, b->size);
        if (b->text == NULL) {
            abort();
        }
    }
    memcpy(b->text + b->len, text, len);
    b->len += len;
    b->text[b->len] = '\0';
}

static void put_str(buffer_t *b, const char *text)
{
    put(b, text, strlen(text));
}

/* Labels PEM_X509_INFO_read_bio knows, and one it does not. */
static const char *const labels[] = {
    "CERTIFICATE", "X509 CRL", "TRUSTED CERTIFICATE", "X509 CERTIFICATE",
    "RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "PUBLIC KEY"
};

enum {
    PEM_NO_END = 1 << 3, PEM_CRLF = 1 << 4, PEM_TEXT_BEFORE = 1 << 5,
    PEM_ENCRYPTED = 1 << 6, PEM_ONE_LINE = 1 << 7
};

static void put_pem(buffer_t *b, unsigned flags, const uint8_t *der, size_t len)
{
    static const char dashes[] = "-----";
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *label = labels[flags & 7];
    const char *eol = (flags & PEM_CRLF) ? "\r\n" : "\n";
    size_t i, column = 0;
    char line[160];

    if (flags & PEM_TEXT_BEFORE) {
        put_str(b, "subject=CN = 0004f2abcdef");
        put_str(b, eol);
    }
    (void)snprintf(line, sizeof(line), "%sBEGIN %s%s%s", dashes, label, dashes, eol);
    put_str(b, line);
    if (flags & PEM_ENCRYPTED) {
        (void)snprintf(line, sizeof(line), "Proc-Type: 4,ENCRYPTED%sDEK-Info: "
                 "AES-128-CBC,00112233445566778899AABBCCDDEEFF%s%s", eol, eol, eol);
        put_str(b, line);
    }
    for (i = 0; i < len; i += 3) {
        uint32_t group = (uint32_t)der[i] << 16;
        char quad[4];

        group |= (i + 1 < len ? (uint32_t)der[i + 1] << 8 : 0);
        group |= (i + 2 < len ? der[i + 2] : 0);
        quad[0] = b64[(group >> 18) & 63];
        quad[1] = b64[(group >> 12) & 63];
        quad[2] = (char)(i + 1 < len ? b64[(group >> 6) & 63] : '=');
        quad[3] = (char)(i + 2 < len ? b64[group & 63] : '=');
        put(b, quad, 4);
        column += 4;
        if (column == 64 && !(flags & PEM_ONE_LINE)) {
            put_str(b, eol);
            column = 0;
        }
    }
    if (column > 0) {
        put_str(b, eol);
    }
    if (!(flags & PEM_NO_END)) {
        (void)snprintf(line, sizeof(line), "%sEND %s%s%s", dashes, label, dashes, eol);
        put_str(b, line);
    }
}

/* Stands in for the console: loading trust material must never ask for a
 * pass phrase (OpenSSL's default callback would prompt there). */
static int console_prompt(UI *ui, UI_STRING *uis)
{
    (void)ui;
    fuzz_fail(__FILE__, __LINE__, "no pass phrase prompt",
              "a loader asked for a pass phrase: %s", UI_get0_output_string(uis));
}

static void install_console(void)
{
    static UI_METHOD *console;

    if (console == NULL) {
        console = UI_create_method("fuzz console");
        if (console == NULL || UI_method_set_reader(console, console_prompt) != 0) {
            abort();
        }
        UI_set_default_method(console);
    }
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

static void check_reason(apr_status_t rv, const char *why, const char *what)
{
    if (rv != APR_SUCCESS) {
        FUZZ_CHECK(why != NULL && *why != '\0', "%s failed without a reason", what);
        FUZZ_CHECK(is_printable_ascii(why), "%s: reason not printable: %s", what, why);
    }
}

/* What the module does with a device certificate: describe it for the log
 * and re-validate it. */
static void check_certificate(X509 *cert, const provauth_trust_t *trust, apr_pool_t *p)
{
    provauth_verdict_t verdict;
    time_t now = time(NULL);
    apr_status_t rv;

    if (provauth_describe_leaf(&verdict, cert, now, p) == APR_SUCCESS) {
        FUZZ_CHECK(is_printable_ascii(verdict.subject), "subject not printable: %s",
                   verdict.subject);
        FUZZ_CHECK(is_printable_ascii(verdict.issuer), "issuer not printable: %s",
                   verdict.issuer);
        FUZZ_CHECK(is_printable_ascii(verdict.serial), "serial not printable: %s",
                   verdict.serial);
    }
    rv = provauth_verify_chain(&verdict, trust, cert, NULL, now, p);
    if (rv != APR_SUCCESS) {
        return; /* an internal error: the module denies */
    }
    FUZZ_CHECK(verdict.status == PROVAUTH_STATUS_VALID
               || verdict.status == PROVAUTH_STATUS_EXPIRED
               || verdict.status == PROVAUTH_STATUS_NOT_YET_VALID
               || verdict.status == PROVAUTH_STATUS_FAILED,
               "verdict status %d", (int)verdict.status);
    FUZZ_CHECK((verdict.status == PROVAUTH_STATUS_FAILED) == (verdict.reason != NULL),
               "status %s with reason %s", provauth_status_name(verdict.status),
               verdict.reason ? verdict.reason : "(null)");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    provauth_trust_t trust = { NULL, NULL, NULL, 0, PROVAUTH_CRL_CHECK_DEFAULT, NULL };
    STACK_OF(X509_CRL) *crls = NULL;
    STACK_OF(X509) *certs = NULL;
    X509_STORE *anchors = NULL;
    buffer_t file = { NULL, 0, 0 };
    const char *path, *why = NULL;
    apr_pool_t *p;
    apr_status_t rv_certs, rv_anchors, rv_crls;

    if (size < 1) {
        return 0;
    }
    install_console();
    if (data[0] & 1) {
        path = fuzz_file_with(data + 1, size - 1);
    }
    else {
        size_t pos;

        put(&file, "", 0);
        for (pos = 1; pos + 3 <= size;) {
            unsigned flags = data[pos];
            size_t len = ((size_t)data[pos + 1] << 8) | data[pos + 2];

            pos += 3;
            if (len > size - pos) {
                len = size - pos;
            }
            put_pem(&file, flags, data + pos, len);
            pos += len;
        }
        path = fuzz_file_with((const uint8_t *)file.text, file.len);
    }

    p = fuzz_pool();
    rv_certs = provauth_load_certs(&certs, path, p, &why);
    check_reason(rv_certs, why, "provauth_load_certs");
    FUZZ_CHECK(rv_certs != APR_SUCCESS || sk_X509_num(certs) > 0,
               "certificates loaded: none");
    why = NULL;
    rv_anchors = provauth_load_anchors(&anchors, path, p, &why);
    check_reason(rv_anchors, why, "provauth_load_anchors");
    FUZZ_CHECK((rv_anchors == APR_SUCCESS) == (rv_certs == APR_SUCCESS),
               "anchors load %d, certificates %d", rv_anchors, rv_certs);
    why = NULL;
    rv_crls = provauth_load_crls(&crls, path, p, &why);
    check_reason(rv_crls, why, "provauth_load_crls");
    FUZZ_CHECK(rv_crls != APR_SUCCESS || sk_X509_CRL_num(crls) > 0,
               "CRLs loaded: none");

    if (rv_crls == APR_SUCCESS) {
        const char *stale = provauth_crls_first_stale(crls, time(NULL), p);
        FUZZ_CHECK(stale == NULL || is_printable_ascii(stale),
                   "stale CRL issuer not printable: %s", stale);
        trust.crls = crls;
    }
    if (rv_certs == APR_SUCCESS && rv_anchors == APR_SUCCESS) {
        trust.anchors = anchors;
        int i;

        trust.intermediates = certs;
        for (i = 0; i < sk_X509_num(certs); i++) {
            FUZZ_CHECK(provauth_anchors_contain(anchors, sk_X509_value(certs, i)),
                       "certificate %d of the file is not among its anchors", i);
            if (i < 4) {
                check_certificate(sk_X509_value(certs, i), &trust, p);
            }
        }
    }
    fuzz_pool_done(p);
    free(file.text);
    ERR_clear_error();
    return 0;
}
