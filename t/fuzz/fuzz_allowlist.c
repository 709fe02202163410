/* fuzz_allowlist.c: provauth_allowlist_load on any file content, checked
 * against a reference reading of the documented format (one MAC per line,
 * '#' to the end of the line a comment, blanks around, empty lines skipped,
 * anything else fails the load naming its line). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provauth_allowlist.h"
#include "fuzz.h"

static int is_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static int compare_macs(const void *a, const void *b)
{
    return strcmp(((const provauth_mac_t *)a)->hex, ((const provauth_mac_t *)b)->hex);
}

/* Parse like the documentation says.  Returns 0 when every line is fine
 * (macs[0..*count) sorted and distinct), else the first bad line number. */
static size_t reference_load(const uint8_t *data, size_t size, provauth_mac_t *macs,
                             size_t *count)
{
    size_t start = 0, line_no = 0, n = 0, i, distinct = 0;

    while (start < size) {
        const uint8_t *nl = memchr(data + start, '\n', size - start);
        size_t end = nl ? (size_t)(nl - data) : size, from = start, to;
        const uint8_t *hash = memchr(data + from, '#', end - from);

        line_no++;
        to = hash ? (size_t)(hash - data) : end;
        while (from < to && is_blank(data[from])) {
            from++;
        }
        while (to > from && is_blank(data[to - 1])) {
            to--;
        }
        if (to > from && !provauth_mac_parse((const char *)data + from, to - from,
                                             &macs[n++])) {
            return line_no;
        }
        start = end + 1;
    }
    qsort(macs, n, sizeof(*macs), compare_macs);
    for (i = 0; i < n; i++) {
        if (distinct == 0 || strcmp(macs[distinct - 1].hex, macs[i].hex) != 0) {
            macs[distinct++] = macs[i];
        }
    }
    *count = distinct;
    return 0;
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    provauth_allowlist_t *list = NULL;
    provauth_mac_t *macs = malloc((size + 1) * sizeof(*macs));
    const char *path, *why = NULL;
    apr_pool_t *p = fuzz_pool();
    size_t count = 0, bad_line;
    apr_status_t rv;

    if (macs == NULL) {
        abort();
    }
    path = fuzz_file_with(data, size);
    rv = provauth_allowlist_load(&list, path, p, &why);
    bad_line = reference_load(data, size, macs, &count);
    if (bad_line) {
        char where[64];

        (void)snprintf(where, sizeof(where), "line %zu:", bad_line);
        FUZZ_CHECK(rv != APR_SUCCESS, "loaded, the reference fails line %zu", bad_line);
        FUZZ_CHECK(why != NULL && strstr(why, where) != NULL,
                   "reason '%s' does not name %s", why ? why : "(null)", where);
        FUZZ_CHECK(is_printable_ascii(why), "reason not printable: %s", why);
    }
    else {
        FUZZ_CHECK(rv == APR_SUCCESS && list != NULL, "failed (%s), the reference loads",
                   why ? why : "(null)");
        FUZZ_CHECK(provauth_allowlist_size(list) == count, "size %lu, the reference %zu",
                   (unsigned long)provauth_allowlist_size(list), count);
        size_t i;

        for (i = 0; i < count; i++) {
            provauth_mac_t neighbour = macs[i];

            FUZZ_CHECK(provauth_allowlist_contains(list, &macs[i]), "%s listed but "
                       "not contained", macs[i].hex);
            /* A MAC one digit away is contained only when listed itself. */
            neighbour.hex[11] = neighbour.hex[11] == '0' ? '1' : '0';
            FUZZ_CHECK(provauth_allowlist_contains(list, &neighbour)
                       == (bsearch(&neighbour, macs, count, sizeof(*macs), compare_macs)
                           != NULL), "%s: membership differs from the reference",
                       neighbour.hex);
        }
    }
    free(macs);
    fuzz_pool_done(p);
    return 0;
}
