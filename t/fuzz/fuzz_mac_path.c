/* fuzz_mac_path.c: provauth_mac_in_path on any MAC and URL path.
 * Input: one flags byte (bit 0: whole_path), 12 bytes that make the MAC
 * (a hex digit stands for itself, any other byte for the hex digit of its
 * low four bits), then the path (up to its first NUL, as httpd's are).
 *
 * Always checked, true under the substring rule and the hex-run rule alike:
 * a match means the MAC's 12 digits occur in the searched part (last
 * segment or whole path), case-insensitively; a last-segment match is a
 * whole-path match; swapping the case of the path's letters, or putting a
 * directory in front of it, changes nothing.
 * Built with -DFUZZ_REFERENCE_HEXRUN, the answer must also equal a
 * reference of the hex-run rule: in each maximal run of hex digits only
 * its last 12 digits can identify a device, and a segment's path
 * parameter (from its first ';') names nothing. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "provauth_mac.h"
#include "fuzz.h"

#ifndef FUZZ_REFERENCE_HEXRUN
#define FUZZ_REFERENCE_HEXRUN 1
#endif

static int is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static const char *searched_part(const char *path, int whole_path)
{
    const char *slash = whole_path ? NULL : strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int occurs(const char *haystack, const char *hex)
{
    size_t len = strlen(haystack), i;

    for (i = 0; i + PROVAUTH_MAC_LEN <= len; i++) {
        if (strncasecmp(haystack + i, hex, PROVAUTH_MAC_LEN) == 0) {
            return 1;
        }
    }
    return 0;
}

#if FUZZ_REFERENCE_HEXRUN
/* Does some maximal run of hex digits end with the MAC? */
static int reference_hexrun(const char *haystack, const char *hex)
{
    const char *run = haystack, *end;

    for (;;) {
        while (*run && !is_hex((unsigned char)*run)) {
            run++;
        }
        if (*run == '\0') {
            return 0;
        }
        for (end = run; is_hex((unsigned char)*end); end++) {
        }
        if (end - run >= PROVAUTH_MAC_LEN
            && strncasecmp(end - PROVAUTH_MAC_LEN, hex, PROVAUTH_MAC_LEN) == 0) {
            return 1;
        }
        run = end;
    }
}
#endif

#if FUZZ_REFERENCE_HEXRUN
/* text with each segment's ";..." removed (the '/' kept). */
static char *without_parameters(const char *text)
{
    char *copy = strdup(text), *out = copy;
    const char *in = text;
    int in_parameter = 0;

    if (copy == NULL) {
        abort();
    }
    for (; *in; in++) {
        if (*in == '/') {
            in_parameter = 0;
        }
        else if (*in == ';') {
            in_parameter = 1;
        }
        if (!in_parameter) {
            *out++ = *in;
        }
    }
    *out = '\0';
    return copy;
}
#endif

static char *swap_case(const char *text)
{
    char *copy = strdup(text), *c;

    for (c = copy; c && *c; c++) {
        *c = (char)(islower((unsigned char)*c) ? toupper((unsigned char)*c)
                                              : tolower((unsigned char)*c));
    }
    return copy;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    provauth_mac_t mac;
    char *path, *swapped, *prefixed;
    int whole_path, found, found_whole;
    size_t i, path_len;

    if (size < 1 + PROVAUTH_MAC_LEN) {
        return 0;
    }
    whole_path = data[0] & 1;
    for (i = 0; i < PROVAUTH_MAC_LEN; i++) {
        uint8_t b = data[1 + i];
        mac.hex[i] = (char)(is_hex(b) ? tolower(b) : "0123456789abcdef"[b & 15]);
    }
    mac.hex[PROVAUTH_MAC_LEN] = '\0';
    path_len = size - 1 - PROVAUTH_MAC_LEN;
    path = malloc(path_len + 1);
    prefixed = malloc(path_len + 3);
    if (path == NULL || prefixed == NULL) {
        abort();
    }
    memcpy(path, data + 1 + PROVAUTH_MAC_LEN, path_len);
    path[path_len] = '\0';

    found = provauth_mac_in_path(&mac, path, whole_path);
    FUZZ_CHECK(found == 0 || found == 1, "answer %d is not 0 or 1", found);
    FUZZ_CHECK(!found || occurs(searched_part(path, whole_path), mac.hex),
               "MAC %s matched in '%s' (whole_path %d) where its digits do not occur",
               mac.hex, path, whole_path);
    found_whole = provauth_mac_in_path(&mac, path, 1);
    FUZZ_CHECK(whole_path || !found || found_whole,
               "MAC %s matches the last segment of '%s' but not the whole path",
               mac.hex, path);
    swapped = swap_case(path);
    if (swapped == NULL) {
        abort();
    }
    FUZZ_CHECK(provauth_mac_in_path(&mac, swapped, whole_path) == found,
               "MAC %s: '%s' and '%s' answer differently", mac.hex, path, swapped);
    free(swapped);
    memcpy(prefixed, "d/", 2);
    memcpy(prefixed + 2, path, path_len + 1);
    FUZZ_CHECK(provauth_mac_in_path(&mac, prefixed, whole_path) == found,
               "MAC %s: a directory in front of '%s' changes the answer", mac.hex, path);
#if FUZZ_REFERENCE_HEXRUN
    {
        char *plain = without_parameters(searched_part(path, whole_path));
        int expected = reference_hexrun(plain, mac.hex);

        FUZZ_CHECK(found == expected,
                   "MAC %s in '%s' (whole_path %d): %d, the hex-run reference says %d",
                   mac.hex, path, whole_path, found, expected);
        free(plain);
    }
#endif
    free(prefixed);
    free(path);
    return 0;
}
