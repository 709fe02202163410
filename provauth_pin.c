/* provauth_pin.c: pin files (MAC -> certificate fingerprint) as two
 * open-addressing indexes built once, and what a pin makes of a verdict. */
#include <stdint.h>
#include <string.h>

#include <apr_strings.h>
#include <openssl/evp.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "provauth_pin.h"
#include "provauth_lines.h"

typedef struct {
    uint64_t mac;                   /* the 48-bit MAC */
    provauth_fingerprint_t fp;
    apr_size_t line;                /* where it is pinned, for messages */
} pin_t;

struct provauth_pins {
    const char *name;
    pin_t *pins;
    apr_size_t count;
    uint32_t *by_mac;               /* index into pins + 1; 0: empty slot */
    uint32_t *by_fp;
    apr_size_t mask;                /* slots - 1, slots a power of two */
};

int provauth_fingerprint_parse(const char *text, size_t len, provauth_fingerprint_t *fp)
{
    return provauth_hex_decode(text, len, 0, fp->bytes, PROVAUTH_FINGERPRINT_LEN)
        || provauth_hex_decode(text, len, ':', fp->bytes, PROVAUTH_FINGERPRINT_LEN);
}

apr_status_t provauth_cert_fingerprint(const X509 *cert, provauth_fingerprint_t *fp)
{
    unsigned int len = 0;

    if (cert == NULL || !X509_digest(cert, EVP_sha256(), fp->bytes, &len)
        || len != PROVAUTH_FINGERPRINT_LEN) {
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

const char *provauth_fingerprint_text(const provauth_fingerprint_t *fp, apr_pool_t *p)
{
    char *text = apr_palloc(p, 3 * PROVAUTH_FINGERPRINT_LEN);
    size_t i;

    for (i = 0; i < PROVAUTH_FINGERPRINT_LEN; i++) {
        text[3 * i] = "0123456789ABCDEF"[fp->bytes[i] >> 4];
        text[3 * i + 1] = "0123456789ABCDEF"[fp->bytes[i] & 0x0f];
        text[3 * i + 2] = (i + 1 < PROVAUTH_FINGERPRINT_LEN) ? ':' : '\0';
    }
    return text;
}

const char *provauth_pin_line(const provauth_mac_t *mac, const provauth_fingerprint_t *fp,
                              apr_pool_t *p)
{
    return apr_pstrcat(p, mac->hex, " ", provauth_fingerprint_text(fp, p), NULL);
}

/* ---- the indexes ---- */

static apr_size_t fp_slot(const provauth_fingerprint_t *fp, apr_size_t mask)
{
    uint64_t key;

    memcpy(&key, fp->bytes, sizeof(key));
    return provauth_hash_slot(key, mask);
}

/* The pin with this MAC, or NULL. */
static const pin_t *find_mac(const provauth_pins_t *pins, uint64_t mac)
{
    apr_size_t slot = provauth_hash_slot(mac, pins->mask);

    while (pins->by_mac[slot] != 0) {
        const pin_t *pin = &pins->pins[pins->by_mac[slot] - 1];
        if (pin->mac == mac) {
            return pin;
        }
        slot = (slot + 1) & pins->mask;
    }
    return NULL;
}

static const pin_t *find_fp(const provauth_pins_t *pins, const provauth_fingerprint_t *fp)
{
    apr_size_t slot = fp_slot(fp, pins->mask);

    while (pins->by_fp[slot] != 0) {
        const pin_t *pin = &pins->pins[pins->by_fp[slot] - 1];
        if (memcmp(pin->fp.bytes, fp->bytes, PROVAUTH_FINGERPRINT_LEN) == 0) {
            return pin;
        }
        slot = (slot + 1) & pins->mask;
    }
    return NULL;
}

/* Add the last pin of pins->pins to both indexes (it is in neither). */
static void index_last(provauth_pins_t *pins)
{
    const pin_t *pin = &pins->pins[pins->count - 1];
    apr_size_t slot = provauth_hash_slot(pin->mac, pins->mask);

    while (pins->by_mac[slot] != 0) {
        slot = (slot + 1) & pins->mask;
    }
    pins->by_mac[slot] = (uint32_t)pins->count;
    slot = fp_slot(&pin->fp, pins->mask);
    while (pins->by_fp[slot] != 0) {
        slot = (slot + 1) & pins->mask;
    }
    pins->by_fp[slot] = (uint32_t)pins->count;
}

apr_size_t provauth_pins_size(const provauth_pins_t *pins)
{
    return pins->count;
}

const char *provauth_pins_name(const provauth_pins_t *pins)
{
    return pins->name;
}

int provauth_pins_mac_of(const provauth_pins_t *pins, const provauth_fingerprint_t *fp,
                         provauth_mac_t *mac)
{
    const pin_t *pin = find_fp(pins, fp);

    if (pin != NULL) {
        provauth_mac_of_value(pin->mac, mac);
    }
    return pin != NULL;
}

int provauth_pins_fingerprint_of(const provauth_pins_t *pins, const provauth_mac_t *mac,
                                 provauth_fingerprint_t *fp)
{
    const pin_t *pin = find_mac(pins, provauth_mac_value(mac));

    if (pin != NULL) {
        *fp = pin->fp;
    }
    return pin != NULL;
}

int provauth_pins_any(const apr_array_header_t *sets, const provauth_fingerprint_t *fp)
{
    int i;

    for (i = 0; sets != NULL && i < sets->nelts; i++) {
        const provauth_pins_t *pins = APR_ARRAY_IDX(sets, i, const provauth_pins_t *);
        if (pins != NULL && find_fp(pins, fp) != NULL) {
            return 1;
        }
    }
    return 0;
}

/* ---- reading a pin file ---- */

/* One line of a pin file, comment and blanks already cut off: the pin, or
 * why not (*why from p). */
static int parse_pin(const char *line, apr_size_t len, provauth_mac_t *mac,
                     provauth_fingerprint_t *fp, const char **why, apr_pool_t *p)
{
    apr_size_t mac_len = 0, fp_start, fp_len;

    while (mac_len < len && !provauth_is_blank(line[mac_len])) {
        mac_len++;
    }
    fp_start = mac_len;
    while (fp_start < len && provauth_is_blank(line[fp_start])) {
        fp_start++;
    }
    fp_len = len - fp_start;
    if (fp_len == 0 || memchr(line + fp_start, ' ', fp_len) != NULL
        || memchr(line + fp_start, '\t', fp_len) != NULL) {
        *why = apr_psprintf(p, "'%s' is not '<MAC> <SHA-256 fingerprint>'",
                            provauth_printable_excerpt(line, len, p));
        return 0;
    }
    if (memchr(line, '\0', mac_len) != NULL || !provauth_mac_parse(line, mac_len, mac)) {
        *why = apr_psprintf(p, "'%s' is not a MAC address",
                            provauth_printable_excerpt(line, mac_len, p));
        return 0;
    }
    if (memchr(line + fp_start, '\0', fp_len) != NULL
        || !provauth_fingerprint_parse(line + fp_start, fp_len, fp)) {
        *why = apr_psprintf(p, "'%s' is not a SHA-256 fingerprint (64 hex digits, or "
                            "32 pairs of them separated by ':')",
                            provauth_printable_excerpt(line + fp_start, fp_len, p));
        return 0;
    }
    return 1;
}

/* Add a pin read on line_no; 0 with *why when it contradicts an earlier one. */
static int add_pin(provauth_pins_t *pins, const provauth_mac_t *mac,
                   const provauth_fingerprint_t *fp, apr_size_t line_no,
                   const char **why, apr_pool_t *p)
{
    uint64_t value = provauth_mac_value(mac);
    const pin_t *same_mac = find_mac(pins, value), *same_fp = find_fp(pins, fp);
    pin_t *pin;

    if (same_mac != NULL && same_mac == same_fp) {
        return 1; /* the same pin again */
    }
    if (same_mac != NULL) {
        *why = apr_psprintf(p, "MAC %s is already pinned to another fingerprint on line %"
                            APR_SIZE_T_FMT, mac->hex, same_mac->line);
        return 0;
    }
    if (same_fp != NULL) {
        provauth_mac_t other;

        provauth_mac_of_value(same_fp->mac, &other);
        *why = apr_psprintf(p, "fingerprint %s is already pinned for MAC %s on line %"
                            APR_SIZE_T_FMT, provauth_fingerprint_text(fp, p), other.hex,
                            same_fp->line);
        return 0;
    }
    pin = &pins->pins[pins->count++];
    pin->mac = value;
    pin->fp = *fp;
    pin->line = line_no;
    index_last(pins);
    return 1;
}

apr_status_t provauth_pins_parse(provauth_pins_t **loaded, const char *text,
                                 apr_size_t len, const char *name, apr_pool_t *p,
                                 const char **why)
{
    provauth_pins_t *pins;
    apr_pool_t *table_pool;
    apr_size_t lines = 1, slots = 16, line_no = 0, line_len = 0;
    const char *cursor, *line = NULL, *next, *limit = text + len;
    apr_status_t rv;

    for (next = text; (next = memchr(next, '\n', (apr_size_t)(limit - next))); next++) {
        lines++;
    }
    if (lines >= UINT32_MAX / 2) {
        *why = apr_psprintf(p, "'%s': too many lines", name);
        return APR_EINVAL;
    }
    while (slots < 2 * lines) {
        slots <<= 1;
    }
    /* In a subpool of p, so that a failed load gives the memory back. */
    rv = apr_pool_create(&table_pool, p);
    if (rv != APR_SUCCESS) {
        *why = "out of memory";
        return rv;
    }
    pins = apr_pcalloc(table_pool, sizeof(*pins));
    pins->name = apr_pstrdup(table_pool, name);
    pins->pins = apr_palloc(table_pool, lines * sizeof(*pins->pins));
    pins->by_mac = apr_pcalloc(table_pool, slots * sizeof(*pins->by_mac));
    pins->by_fp = apr_pcalloc(table_pool, slots * sizeof(*pins->by_fp));
    pins->mask = slots - 1;

    cursor = text;
    while (provauth_next_entry(&cursor, limit, &line_no, &line, &line_len)) {
        const char *problem = NULL;
        provauth_mac_t mac;
        provauth_fingerprint_t fp;

        if (!parse_pin(line, line_len, &mac, &fp, &problem, p)
            || !add_pin(pins, &mac, &fp, line_no, &problem, p)) {
            *why = apr_psprintf(p, "'%s' line %" APR_SIZE_T_FMT ": %s", name, line_no,
                                problem);
            apr_pool_destroy(table_pool);
            return APR_EINVAL;
        }
    }
    *loaded = pins;
    return APR_SUCCESS;
}

apr_status_t provauth_pins_load(provauth_pins_t **pins, const char *path,
                                apr_pool_t *p, const char **why)
{
    apr_pool_t *scratch;
    apr_size_t len = 0;
    char *text = NULL;
    apr_status_t rv;

    rv = apr_pool_create(&scratch, p);
    if (rv != APR_SUCCESS) {
        *why = "out of memory";
        return rv;
    }
    rv = provauth_read_file(&text, &len, path, scratch, why);
    if (rv != APR_SUCCESS) {
        *why = apr_pstrdup(p, *why);
    }
    else {
        rv = provauth_pins_parse(pins, text, len, path, p, why);
    }
    apr_pool_destroy(scratch);
    return rv;
}

/* ---- what a pin makes of a verdict ---- */

static void pin_failure(provauth_verdict_t *verdict, const char *reason)
{
    verdict->status = PROVAUTH_STATUS_FAILED;
    verdict->verify_error = X509_V_ERR_APPLICATION_VERIFICATION;
    verdict->error_depth = 0;
    verdict->reason = reason;
    verdict->hint = NULL;
}

apr_status_t provauth_pin_apply(provauth_verdict_t *verdict, const provauth_pins_t *pins,
                                X509 *leaf, const provauth_mac_t *mac,
                                const char *no_mac_reason,
                                provauth_pin_outcome_e *outcome, const char **pin_line,
                                apr_pool_t *p)
{
    provauth_fingerprint_t fp, other;
    provauth_mac_t pinned_mac;
    int settled;

    *outcome = PROVAUTH_PIN_NOT_INVOLVED;
    if (pin_line != NULL) {
        *pin_line = NULL;
    }
    if (pins == NULL || leaf == NULL || verdict->status == PROVAUTH_STATUS_NONE) {
        return APR_SUCCESS;
    }
    if (provauth_cert_fingerprint(leaf, &fp) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    /* What its chain settled stands: trusted, or revoked by its issuer. */
    settled = PROVAUTH_STATUS_IS_TRUSTED(verdict->status)
              || verdict->verify_error == X509_V_ERR_CERT_REVOKED;
    if (provauth_pins_mac_of(pins, &fp, &pinned_mac)) {
        if (settled) {
            *outcome = PROVAUTH_PIN_KEPT;
        }
        else if (mac == NULL) {
            *outcome = PROVAUTH_PIN_WRONG_MAC;
            pin_failure(verdict, apr_psprintf(p, "certificate pinned for MAC %s in %s, "
                                              "but it yields no MAC here: %s",
                                              pinned_mac.hex, pins->name,
                                              no_mac_reason ? no_mac_reason : "?"));
        }
        else if (strcmp(mac->hex, pinned_mac.hex) != 0) {
            *outcome = PROVAUTH_PIN_WRONG_MAC;
            pin_failure(verdict, apr_psprintf(p, "certificate pinned for MAC %s in %s, "
                                              "but it carries MAC %s", pinned_mac.hex,
                                              pins->name, mac->hex));
        }
        else if (X509_check_purpose(leaf, X509_PURPOSE_SSL_CLIENT, 0) != 1) {
            /* A pin forgives the issuer and the dates, nothing else. */
            *outcome = PROVAUTH_PIN_KEPT;
            verdict->status = PROVAUTH_STATUS_FAILED;
            verdict->verify_error = X509_V_ERR_INVALID_PURPOSE;
            verdict->error_depth = 0;
            verdict->reason = X509_verify_cert_error_string(X509_V_ERR_INVALID_PURPOSE);
            verdict->hint = NULL;
        }
        else {
            *outcome = PROVAUTH_PIN_PINNED;
            verdict->status = PROVAUTH_STATUS_PINNED;
            verdict->verify_error = X509_V_OK;
            verdict->error_depth = -1;
            verdict->reason = NULL;
            verdict->hint = NULL;
        }
        return APR_SUCCESS;
    }
    if (settled || mac == NULL) {
        return APR_SUCCESS;
    }
    if (provauth_pins_fingerprint_of(pins, mac, &other)) {
        *outcome = PROVAUTH_PIN_OTHER_CERT;
        pin_failure(verdict, apr_psprintf(p, "MAC %s is pinned to another certificate in "
                                          "%s (this one's SHA-256 fingerprint is %s)",
                                          mac->hex, pins->name,
                                          provauth_fingerprint_text(&fp, p)));
        return APR_SUCCESS;
    }
    if (verdict->verify_error == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT) {
        *outcome = PROVAUTH_PIN_CANDIDATE;
        if (pin_line != NULL) {
            *pin_line = provauth_pin_line(mac, &fp, p);
        }
    }
    return APR_SUCCESS;
}

apr_status_t provauth_verify_with_pins(provauth_verdict_t *verdict,
                                       const provauth_trust_t *trust,
                                       const provauth_mac_rule_t *rule, X509 *leaf,
                                       STACK_OF(X509) *peer_chain, time_t now,
                                       provauth_pin_outcome_e *outcome,
                                       const char **pin_line, apr_pool_t *p)
{
    provauth_mac_t mac;
    const char *no_mac_reason = NULL;
    apr_status_t rv;
    int has_mac;

    *outcome = PROVAUTH_PIN_NOT_INVOLVED;
    if (pin_line != NULL) {
        *pin_line = NULL;
    }
    rv = provauth_verify_chain(verdict, trust, leaf, peer_chain, now, p);
    if (rv != APR_SUCCESS || trust == NULL || trust->pins == NULL || leaf == NULL) {
        return rv;
    }
    has_mac = provauth_mac_from_cert(leaf, rule ? rule : provauth_mac_rule_default(),
                                     &mac, &no_mac_reason, p);
    return provauth_pin_apply(verdict, trust->pins, leaf, has_mac ? &mac : NULL,
                              no_mac_reason, outcome, pin_line, p);
}
