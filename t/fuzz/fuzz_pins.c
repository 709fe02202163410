/* fuzz_pins.c: the pin-file reader of ProvAuthPinnedDeviceFile
 * (provauth_pins_load, provauth_pins_parse) on any file content, checked
 * against a reference reading of the documented format: one "<MAC>
 * <fingerprint>" a line, blanks (space, tab, CR) between and around, '#' to
 * the end of the line a comment, empty lines skipped; the fingerprint 64
 * hex digits or 32 pairs joined by ':'.  The first malformed line, MAC
 * pinned to a second fingerprint or fingerprint pinned for a second MAC
 * fails the load naming its line (and, for a contradiction, the earlier
 * line: the MAC's if both are pinned); the same pin again is harmless.
 *
 * Checked: the load and the parse of the same bytes agree; success exactly
 * when the reference succeeds; the reason names the line and is printable;
 * after success the size is the number of distinct pins, each pin is found
 * both ways and a neighbour (another MAC digit or fingerprint byte) only
 * when pinned itself; the pin line and the fingerprint text a pin is
 * printed with read back as the same pin. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "provauth_pin.h"
#include "fuzz.h"

typedef struct {
    provauth_mac_t mac;
    provauth_fingerprint_t fp;
    size_t line;
} ref_pin_t;

typedef struct {
    ref_pin_t *pins;
    size_t count;
    size_t bad_line;     /* 0: the file loads */
    size_t earlier_line; /* a contradiction: the line of the pin it contradicts */
} reference_t;

static int is_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* The value of an ASCII hex digit, or -1. */
static int nibble(uint8_t c)
{
    static const char digits[] = "0123456789abcdefABCDEF";
    const char *at = c ? memchr(digits, c, sizeof(digits) - 1) : NULL;

    if (at == NULL) {
        return -1;
    }
    return at - digits < 16 ? (int)(at - digits) : (int)(at - digits) - 6;
}

static int reference_fingerprint(const uint8_t *text, size_t len, provauth_fingerprint_t *fp)
{
    int colons = len == 3 * PROVAUTH_FINGERPRINT_LEN - 1;
    size_t i;

    if (len != 2 * PROVAUTH_FINGERPRINT_LEN && !colons) {
        return 0;
    }
    for (i = 0; i < PROVAUTH_FINGERPRINT_LEN; i++) {
        const uint8_t *pair = text + (colons ? 3 * i : 2 * i);

        if (nibble(pair[0]) < 0 || nibble(pair[1]) < 0
            || (colons && i + 1 < PROVAUTH_FINGERPRINT_LEN && pair[2] != ':')) {
            return 0;
        }
        fp->bytes[i] = (unsigned char)(nibble(pair[0]) << 4 | nibble(pair[1]));
    }
    return 1;
}

/* The entry data[from..to) (comment and outer blanks cut) as a pin: 1, or
 * 0 when it is not exactly two blank-separated fields that parse. */
static int reference_pin(const uint8_t *data, size_t from, size_t to, ref_pin_t *pin)
{
    size_t mac_end = from, fp_start;

    while (mac_end < to && !is_blank(data[mac_end])) {
        mac_end++;
    }
    fp_start = mac_end;
    while (fp_start < to && is_blank(data[fp_start])) {
        fp_start++;
    }
    return fp_start < to
        && provauth_mac_parse((const char *)data + from, mac_end - from, &pin->mac)
        && reference_fingerprint(data + fp_start, to - fp_start, &pin->fp);
}

/* Read like the documentation says, into ref (pins room for a pin a line). */
static void reference_load(const uint8_t *data, size_t size, reference_t *ref)
{
    size_t start = 0, line_no = 0;

    while (start < size) {
        const uint8_t *nl = memchr(data + start, '\n', size - start);
        size_t end = nl ? (size_t)(nl - data) : size, from = start, to, i;
        const uint8_t *hash = memchr(data + from, '#', end - from);
        ref_pin_t pin;
        const ref_pin_t *same_mac = NULL, *same_fp = NULL;

        line_no++;
        start = end + 1;
        to = hash ? (size_t)(hash - data) : end;
        while (from < to && is_blank(data[from])) {
            from++;
        }
        while (to > from && is_blank(data[to - 1])) {
            to--;
        }
        if (to == from) {
            continue;
        }
        if (!reference_pin(data, from, to, &pin)) {
            ref->bad_line = line_no;
            return;
        }
        for (i = 0; i < ref->count; i++) {
            if (strcmp(ref->pins[i].mac.hex, pin.mac.hex) == 0) {
                same_mac = &ref->pins[i];
            }
            if (memcmp(ref->pins[i].fp.bytes, pin.fp.bytes, PROVAUTH_FINGERPRINT_LEN) == 0) {
                same_fp = &ref->pins[i];
            }
        }
        if (same_mac != NULL && same_mac == same_fp) {
            continue;
        }
        if (same_mac != NULL || same_fp != NULL) {
            ref->bad_line = line_no;
            ref->earlier_line = (same_mac != NULL ? same_mac : same_fp)->line;
            return;
        }
        pin.line = line_no;
        ref->pins[ref->count++] = pin;
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

static const ref_pin_t *reference_by_mac(const reference_t *ref, const provauth_mac_t *mac)
{
    size_t i;

    for (i = 0; i < ref->count; i++) {
        if (strcmp(ref->pins[i].mac.hex, mac->hex) == 0) {
            return &ref->pins[i];
        }
    }
    return NULL;
}

static const ref_pin_t *reference_by_fp(const reference_t *ref,
                                        const provauth_fingerprint_t *fp)
{
    size_t i;

    for (i = 0; i < ref->count; i++) {
        if (memcmp(ref->pins[i].fp.bytes, fp->bytes, PROVAUTH_FINGERPRINT_LEN) == 0) {
            return &ref->pins[i];
        }
    }
    return NULL;
}

/* A failed load: the reason names the file and the line, then quotes what
 * is malformed or names the earlier line contradicted (file text is quoted,
 * so only the start of the reason tells the two apart). */
static void check_failure(const reference_t *ref, apr_status_t rv, const char *why,
                          const char *name, apr_pool_t *p)
{
    const char *where = apr_psprintf(p, "'%s' line %" APR_SIZE_T_FMT ": ", name,
                                     (apr_size_t)ref->bad_line), *problem;

    FUZZ_CHECK(rv != APR_SUCCESS, "loaded, the reference fails line %zu", ref->bad_line);
    FUZZ_CHECK(why != NULL && strncmp(why, where, strlen(where)) == 0,
               "reason '%s' does not start %s", why ? why : "(null)", where);
    FUZZ_CHECK(is_printable_ascii(why), "reason not printable: %s", why);
    problem = why + strlen(where);
    if (ref->earlier_line) {
        const char *earlier = apr_psprintf(p, " on line %" APR_SIZE_T_FMT,
                                           (apr_size_t)ref->earlier_line);
        size_t len = strlen(problem), tail = strlen(earlier);

        FUZZ_CHECK(problem[0] != '\'' && len > tail
                   && strcmp(problem + len - tail, earlier) == 0,
                   "reason '%s' does not end%s", why, earlier);
    }
    else {
        FUZZ_CHECK(problem[0] == '\'', "reason '%s' does not quote the line", why);
    }
}

/* The pin line of pin, read back, is that pin alone. */
static void check_round_trip(const ref_pin_t *pin, apr_pool_t *p)
{
    const char *line = provauth_pin_line(&pin->mac, &pin->fp, p);
    const char *text = provauth_fingerprint_text(&pin->fp, p), *why = NULL;
    provauth_fingerprint_t fp;
    provauth_pins_t *alone = NULL;

    FUZZ_CHECK(reference_fingerprint((const uint8_t *)text, strlen(text), &fp)
               && memcmp(fp.bytes, pin->fp.bytes, PROVAUTH_FINGERPRINT_LEN) == 0,
               "fingerprint text '%s' does not read back", text);
    FUZZ_CHECK(provauth_pins_parse(&alone, line, strlen(line), "line", p, &why)
               == APR_SUCCESS && provauth_pins_size(alone) == 1
               && provauth_pins_fingerprint_of(alone, &pin->mac, &fp)
               && memcmp(fp.bytes, pin->fp.bytes, PROVAUTH_FINGERPRINT_LEN) == 0,
               "pin line '%s' does not read back (%s)", line, why ? why : "(null)");
}

/* Loaded: the same pins as the reference, found both ways, nothing else. */
static void check_pins(const reference_t *ref, const provauth_pins_t *pins,
                       const char *name, apr_pool_t *p)
{
    apr_array_header_t *sets = apr_array_make(p, 1, sizeof(const provauth_pins_t *));
    size_t i;

    APR_ARRAY_PUSH(sets, const provauth_pins_t *) = pins;
    FUZZ_CHECK(strcmp(provauth_pins_name(pins), name) == 0, "named '%s'",
               provauth_pins_name(pins));
    FUZZ_CHECK(provauth_pins_size(pins) == ref->count, "size %lu, the reference %zu",
               (unsigned long)provauth_pins_size(pins), ref->count);
    for (i = 0; i < ref->count; i++) {
        const ref_pin_t *pin = &ref->pins[i];
        provauth_mac_t mac, other_mac = pin->mac;
        provauth_fingerprint_t fp, other_fp = pin->fp;
        const ref_pin_t *pinned;

        FUZZ_CHECK(provauth_pins_mac_of(pins, &pin->fp, &mac)
                   && strcmp(mac.hex, pin->mac.hex) == 0,
                   "line %zu: fingerprint not found for MAC %s", pin->line, pin->mac.hex);
        FUZZ_CHECK(provauth_pins_fingerprint_of(pins, &pin->mac, &fp)
                   && memcmp(fp.bytes, pin->fp.bytes, PROVAUTH_FINGERPRINT_LEN) == 0,
                   "line %zu: MAC %s not found", pin->line, pin->mac.hex);
        FUZZ_CHECK(provauth_pins_any(sets, &pin->fp), "line %zu: not in the sets",
                   pin->line);
        /* A neighbour is pinned only when the reference pins it itself. */
        other_mac.hex[11] = other_mac.hex[11] == '0' ? '1' : '0';
        pinned = reference_by_mac(ref, &other_mac);
        FUZZ_CHECK(provauth_pins_fingerprint_of(pins, &other_mac, &fp) == (pinned != NULL)
                   && (pinned == NULL
                       || memcmp(fp.bytes, pinned->fp.bytes, PROVAUTH_FINGERPRINT_LEN) == 0),
                   "MAC %s: differs from the reference", other_mac.hex);
        other_fp.bytes[PROVAUTH_FINGERPRINT_LEN - 1] ^= 1;
        pinned = reference_by_fp(ref, &other_fp);
        FUZZ_CHECK(provauth_pins_mac_of(pins, &other_fp, &mac) == (pinned != NULL)
                   && (pinned == NULL || strcmp(mac.hex, pinned->mac.hex) == 0),
                   "a neighbour of line %zu's fingerprint differs from the reference",
                   pin->line);
        FUZZ_CHECK(provauth_pins_any(sets, &other_fp) == (pinned != NULL),
                   "a neighbour of line %zu's fingerprint: the sets differ", pin->line);
        check_round_trip(pin, p);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reference_t ref = { NULL, 0, 0, 0 };
    provauth_pins_t *loaded = NULL, *parsed = NULL;
    const char *path, *load_why = NULL, *parse_why = NULL;
    apr_pool_t *p = fuzz_pool();
    apr_status_t load_rv, parse_rv;

    ref.pins = malloc((size + 1) * sizeof(*ref.pins));
    if (ref.pins == NULL) {
        abort();
    }
    path = fuzz_file_with(data, size);
    load_rv = provauth_pins_load(&loaded, path, p, &load_why);
    parse_rv = provauth_pins_parse(&parsed, (const char *)data, size, path, p, &parse_why);
    FUZZ_CHECK(load_rv == parse_rv, "load %d, parse %d", load_rv, parse_rv);
    FUZZ_CHECK((load_why == NULL) == (parse_why == NULL)
               && (load_why == NULL || strcmp(load_why, parse_why) == 0),
               "load says '%s', parse '%s'", load_why ? load_why : "(null)",
               parse_why ? parse_why : "(null)");
    reference_load(data, size, &ref);
    if (ref.bad_line) {
        check_failure(&ref, load_rv, load_why, path, p);
    }
    else {
        FUZZ_CHECK(load_rv == APR_SUCCESS && loaded != NULL && parsed != NULL,
                   "failed (%s), the reference loads", load_why ? load_why : "(null)");
        check_pins(&ref, loaded, path, p);
        check_pins(&ref, parsed, path, p);
    }
    free(ref.pins);
    fuzz_pool_done(p);
    return 0;
}
