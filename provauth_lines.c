/* provauth_lines.c: reads the entries of a list file (allow-lists, pin
 * files) one line at a time, without comments and blanks. */
#include <string.h>

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
