/* provauth_lines.h: the line format shared by the module's list files
 * (allow-lists, pin files): one entry a line, '#' starts a comment, blanks
 * around an entry and blank lines are ignored. */
#ifndef PROVAUTH_LINES_H
#define PROVAUTH_LINES_H

#include <apr.h>

/* The next entry of text[*cursor..limit): sets *entry and *entry_len
 * (without comment and surrounding blanks) and the 1-based *line_no it is
 * on, advances *cursor past its line, and returns 1; returns 0 at the end. */
int provauth_next_entry(const char **cursor, const char *limit, apr_size_t *line_no,
                        const char **entry, apr_size_t *entry_len);

/* Is c a blank inside an entry line (space, tab, CR)? */
int provauth_is_blank(char c);

#endif /* PROVAUTH_LINES_H */
