/* provauth_allowlist.c: MAC allow-lists as open-addressing hash sets of
 * 48-bit values, built once from a text file. */
#include <stdint.h>
#include <string.h>

#include <apr_strings.h>

#include "provauth_allowlist.h"
#include "provauth_lines.h"

struct provauth_allowlist {
    uint64_t *slots;      /* MAC + 1, so that 0 marks an empty slot */
    apr_size_t mask;      /* slot count - 1, a power of two minus one */
    apr_size_t count;
};

/* The MAC's value + 1, so that 0 marks an empty slot. */
static uint64_t mac_key(const provauth_mac_t *mac)
{
    return provauth_mac_value(mac) + 1;
}

static void insert(provauth_allowlist_t *list, uint64_t key)
{
    apr_size_t slot = provauth_hash_slot(key, list->mask);

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
    apr_size_t slot = provauth_hash_slot(key, list->mask);

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
    rv = provauth_read_file(&text, &len, path, scratch, why);
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
                                provauth_printable_excerpt(line, line_len, p));
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
