/* provauth_lines.c: the helpers the library's file and hex readers share:
 * list-file entries, whole-file reading, hex digits, excerpts, hashing. */
#include <string.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>

#include "provauth_lines.h"

int provauth_is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

int provauth_next_entry(const char **cursor, const char *limit, apr_size_t *line_no,
                        const char **entry, apr_size_t *entry_len)
{
    while (*cursor < limit) {
        const char *line = *cursor, *end, *next, *hash;

        (*line_no)++;
        next = memchr(line, '\n', (apr_size_t)(limit - line));
        end = next ? next : limit;
        *cursor = next ? next + 1 : limit;
        hash = memchr(line, '#', (apr_size_t)(end - line));
        if (hash) {
            end = hash;
        }
        while (line < end && provauth_is_blank(*line)) {
            line++;
        }
        while (end > line && provauth_is_blank(end[-1])) {
            end--;
        }
        if (end > line) {
            *entry = line;
            *entry_len = (apr_size_t)(end - line);
            return 1;
        }
    }
    return 0;
}

apr_status_t provauth_read_file(char **text, apr_size_t *len, const char *path,
                                apr_pool_t *p, const char **why)
{
    apr_file_t *file;
    apr_finfo_t info;
    const char *problem = NULL;
    apr_status_t rv;

    /* A FIFO or device has no size to read (it would pass as empty), and
     * opening a FIFO waits for a writer: look before opening, and again at
     * what was opened. */
    rv = apr_stat(&info, path, APR_FINFO_TYPE, p);
    if (rv == APR_SUCCESS && info.filetype != APR_REG) {
        rv = APR_EINVAL;
        problem = "not a regular file";
    }
    else if (rv == APR_SUCCESS) {
        rv = apr_file_open(&file, path, APR_FOPEN_READ | APR_FOPEN_BUFFERED,
                           APR_OS_DEFAULT, p);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_file_info_get(&info, APR_FINFO_SIZE | APR_FINFO_TYPE, file);
        if (rv == APR_SUCCESS && info.filetype != APR_REG) {
            rv = APR_EINVAL;
            problem = "not a regular file";
        }
        else if (rv == APR_SUCCESS) {
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
                            problem ? problem : apr_strerror(rv, buf, sizeof(buf)));
    }
    return rv;
}

const signed char provauth_hex_digits[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
    ['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
    ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15,
    ['F'] = 16
};

int provauth_hex_decode(const char *text, apr_size_t len, char sep, unsigned char *out,
                        apr_size_t n)
{
    apr_size_t i, step = sep ? 3 : 2;

    if (text == NULL || n == 0 || len != step * n - (sep ? 1 : 0)) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        const char *pair = text + i * step;

        if (provauth_hex_value(pair[0]) < 0 || provauth_hex_value(pair[1]) < 0
            || (sep && i > 0 && pair[-1] != sep)) {
            return 0;
        }
    }
    for (i = 0; i < n; i++) {
        const char *pair = text + i * step;

        out[i] = (unsigned char)(provauth_hex_value(pair[0]) << 4
                                 | provauth_hex_value(pair[1]));
    }
    return 1;
}

const char *provauth_printable_excerpt(const char *text, apr_size_t len, apr_pool_t *p)
{
    char *out = apr_palloc(p, PROVAUTH_EXCERPT_MAX * 4 + 4), *o = out;
    apr_size_t i;

    for (i = 0; i < len && i < PROVAUTH_EXCERPT_MAX; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c > 0x7e || c == '\'' || c == '\\') {
            o += apr_snprintf(o, 5, "\\x%02X", c);
        }
        else {
            *o++ = (char)c;
        }
    }
    if (len > PROVAUTH_EXCERPT_MAX) {
        memcpy(o, "...", 3);
        o += 3;
    }
    *o = '\0';
    return out;
}

apr_size_t provauth_hash_slot(uint64_t key, apr_size_t mask)
{
    key ^= key >> 30;
    key *= UINT64_C(0xbf58476d1ce4e5b9);
    key ^= key >> 27;
    key *= UINT64_C(0x94d049bb133111eb);
    key ^= key >> 31;
    return (apr_size_t)key & mask;
}
