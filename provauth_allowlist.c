/* provauth_allowlist.c: MAC allow-lists as open-addressing hash sets of
 * 48-bit values, built once from a text file. */
#include <stdint.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include "provauth_allowlist.h"
#include "provauth_lines.h"

struct provauth_allowlist {
    uint64_t *slots;      /* MAC + 1, so that 0 marks an empty slot */
    apr_size_t mask;      /* slot count - 1, a power of two minus one */
    apr_size_t count;
};

static uint64_t mac_key(const provauth_mac_t *mac)
{
    uint64_t value = 0;
    int i;

    for (i = 0; i < PROVAUTH_MAC_LEN; i++) {
        char c = mac->hex[i];
        value = (value << 4) | (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    return value + 1;
}

/* A 64-bit finalizer (splitmix64): sequential MACs of one vendor spread
 * evenly over the table. */
static apr_size_t slot_of(uint64_t key, apr_size_t mask)
{
    key ^= key >> 30;
    key *= UINT64_C(0xbf58476d1ce4e5b9);
    key ^= key >> 27;
    key *= UINT64_C(0x94d049bb133111eb);
    key ^= key >> 31;
    return (apr_size_t)key & mask;
}

static void insert(provauth_allowlist_t *list, uint64_t key)
{
    apr_size_t slot = slot_of(key, list->mask);

    while (list->slots[slot] != 0) {
        if (list->slots[slot] == key) {
            return;
        }
        slot = (slot + 1) & list->mask;
    }
    list->slots[slot] = key;
    list->count++;
}

int provauth_allowlist_contains(const provauth_allowlist_t *list,
                                const provauth_mac_t *mac)
{
    uint64_t key = mac_key(mac);
    apr_size_t slot = slot_of(key, list->mask);

    while (list->slots[slot] != 0) {
        if (list->slots[slot] == key) {
            return 1;
        }
        slot = (slot + 1) & list->mask;
    }
    return 0;
}

apr_size_t provauth_allowlist_size(const provauth_allowlist_t *list)
{
    return list->count;
}

/* At most 40 bytes of a rejected line, safe to print: anything but plain
 * ASCII (and the quote) as \xHH, so NULs and escapes cannot forge the log. */
static const char *printable_excerpt(const char *text, apr_size_t len, apr_pool_t *p)
{
    char *out = apr_palloc(p, 40 * 4 + 1), *o = out;
    apr_size_t i;

    for (i = 0; i < len && i < 40; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c > 0x7e || c == '\'' || c == '\\') {
            o += apr_snprintf(o, 5, "\\x%02X", c);
        }
        else {
            *o++ = (char)c;
        }
    }
    *o = '\0';
    return out;
}

static apr_status_t read_whole_file(char **text, apr_size_t *len, const char *path,
                                    apr_pool_t *p, const char **why)
{
    apr_file_t *file;
    apr_finfo_t info;
    apr_status_t rv;

    rv = apr_file_open(&file, path, APR_FOPEN_READ | APR_FOPEN_BUFFERED,
                       APR_OS_DEFAULT, p);
    if (rv == APR_SUCCESS) {
        rv = apr_file_info_get(&info, APR_FINFO_SIZE, file);
        if (rv == APR_SUCCESS) {
            *len = (apr_size_t)info.size;
            *text = apr_palloc(p, *len + 1);
            rv = *len ? apr_file_read_full(file, *text, *len, NULL) : APR_SUCCESS;
            (*text)[*len] = '\0';
        }
        apr_file_close(file);
    }
    if (rv != APR_SUCCESS) {
        char buf[120];
        *why = apr_psprintf(p, "cannot read '%s': %s", path,
                            apr_strerror(rv, buf, sizeof(buf)));
    }
    return rv;
}

apr_status_t provauth_allowlist_load(provauth_allowlist_t **list, const char *path,
                                     apr_pool_t *p, const char **why)
{
    provauth_allowlist_t *loaded;
    apr_pool_t *scratch, *table_pool;
    apr_size_t len, lines = 0, slots = 16, line_no = 0, line_len = 0;
    char *text, *next;
    const char *cursor, *line = NULL;
    apr_status_t rv;

    rv = apr_pool_create(&scratch, p);
    if (rv != APR_SUCCESS) {
        *why = "out of memory";
        return rv;
    }
    rv = read_whole_file(&text, &len, path, scratch, why);
    if (rv != APR_SUCCESS) {
        *why = apr_pstrdup(p, *why);
        apr_pool_destroy(scratch);
        return rv;
    }
    for (next = text; (next = memchr(next, '\n', len - (apr_size_t)(next - text)));
         next++) {
        lines++;
    }
    while (slots < 2 * (lines + 1)) {
        slots <<= 1;
    }
    /* The table lives in a subpool of p, so a failed load gives it back. */
    rv = apr_pool_create(&table_pool, p);
    if (rv != APR_SUCCESS) {
        *why = "out of memory";
        apr_pool_destroy(scratch);
        return rv;
    }
    loaded = apr_pcalloc(table_pool, sizeof(*loaded));
    loaded->slots = apr_pcalloc(table_pool, slots * sizeof(*loaded->slots));
    loaded->mask = slots - 1;

    cursor = text;
    while (provauth_next_entry(&cursor, text + len, &line_no, &line, &line_len)) {
        provauth_mac_t mac;

        if (memchr(line, '\0', line_len) || !provauth_mac_parse(line, line_len, &mac)) {
            *why = apr_psprintf(p, "'%s' line %" APR_SIZE_T_FMT ": '%s' is not a "
                                "MAC address", path, line_no,
                                printable_excerpt(line, line_len, p));
            apr_pool_destroy(scratch);
            apr_pool_destroy(table_pool);
            return APR_EINVAL;
        }
        insert(loaded, mac_key(&mac));
    }
    apr_pool_destroy(scratch);
    *list = loaded;
    return APR_SUCCESS;
}
