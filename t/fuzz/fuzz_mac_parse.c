/* fuzz_mac_parse.c: provauth_mac_parse on any bytes, checked against a
 * reference written from the documented forms (12 hex digits; six pairs
 * joined by all ':' or all '-'; three groups of four joined by '.'). */
#include <ctype.h>
#include <string.h>

#include "provauth_mac.h"
#include "fuzz.h"

#define UNTOUCHED "untouched!!!"

static int is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Separator positions by length; every other position a hex digit. */
static int reference_parse(const uint8_t *text, size_t len, char out[13])
{
    size_t i, n = 0;
    char sep;

    switch (len) {
    case 12:
        sep = 0;
        break;
    case 14:
        sep = '.';
        break;
    case 17:
        sep = (char)text[2];
        if (sep != ':' && sep != '-') {
            return 0;
        }
        break;
    default:
        return 0;
    }
    for (i = 0; i < len; i++) {
        int sep_here = (len == 14 && (i == 4 || i == 9))
                       || (len == 17 && i % 3 == 2);
        if (sep_here) {
            if (text[i] != (uint8_t)sep) {
                return 0;
            }
        }
        else if (!is_hex(text[i])) {
            return 0;
        }
        else {
            out[n++] = (char)tolower(text[i]);
        }
    }
    out[n] = '\0';
    return n == 12;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    provauth_mac_t mac, again;
    char expected[13];
    int accepted, reference;

    memcpy(mac.hex, UNTOUCHED, sizeof(mac.hex));
    accepted = provauth_mac_parse((const char *)data, size, &mac);
    reference = reference_parse(data, size, expected);
    FUZZ_CHECK(accepted == reference, "provauth_mac_parse says %d, the reference %d "
               "(input of %zu bytes)", accepted, reference, size);
    if (!accepted) {
        FUZZ_CHECK(memcmp(mac.hex, UNTOUCHED, sizeof(mac.hex)) == 0,
                   "a rejected input changed the output to '%.12s'", mac.hex);
        return 0;
    }
    FUZZ_CHECK(strcmp(mac.hex, expected) == 0, "normalized to '%.13s', expected '%s'",
               mac.hex, expected);
    /* The normal form is itself a MAC, and normalizes to itself. */
    FUZZ_CHECK(provauth_mac_parse(mac.hex, PROVAUTH_MAC_LEN, &again) == 1
               && strcmp(again.hex, mac.hex) == 0, "'%s' does not reparse to itself",
               mac.hex);
    return 0;
}
