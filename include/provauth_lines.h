/* provauth_lines.h: what the library's readers of list files (allow-lists,
 * pin files) and of hex fields share: the line format (one entry a line,
 * '#' starts a comment, blanks around an entry and blank lines are
 * ignored), reading a whole file, hex digits, printable excerpts of
 * rejected text, and the hash that places 64-bit keys in a table. */
#ifndef PROVAUTH_LINES_H
#define PROVAUTH_LINES_H

#include <stdint.h>

#include <apr.h>
#include <apr_errno.h>
#include <apr_pools.h>

/* The next entry of text[*cursor..limit): sets *entry and *entry_len
 * (without comment and surrounding blanks) and the 1-based *line_no it is
 * on, advances *cursor past its line, and returns 1; returns 0 at the end. */
int provauth_next_entry(const char **cursor, const char *limit, apr_size_t *line_no,
                        const char **entry, apr_size_t *entry_len);

/* Is c a blank inside an entry line (space, tab, CR)? */
int provauth_is_blank(char c);

/* Read the regular file at path whole: *text (NUL-terminated, from p) and
 * *len.  Anything but a regular file (a directory, a FIFO, a device) is
 * refused.  On failure returns the error with *why "cannot read '<path>':
 * ..." (from p). */
apr_status_t provauth_read_file(char **text, apr_size_t *len, const char *path,
                                apr_pool_t *p, const char **why);

/* The value of the hex digit c (either case), or -1: inline through a
 * table, since every MAC and fingerprint parsed goes through it. */
extern const signed char provauth_hex_digits[256];   /* value + 1; 0: no digit */
static inline int provauth_hex_value(char c)
{
    return provauth_hex_digits[(unsigned char)c] - 1;
}

/* Decode n bytes written as exactly 2n hex digits (sep == 0), or as n
 * pairs of hex digits separated by sep; either case, nothing else (len is
 * the whole text).  Returns 1 with out[0..n) filled, or 0 (out unchanged). */
int provauth_hex_decode(const char *text, apr_size_t len, char sep, unsigned char *out,
                        apr_size_t n);

/* At most PROVAUTH_EXCERPT_MAX bytes of text, safe to put in a message in
 * quotes: every byte but printable ASCII (and the quote and backslash) as
 * \xHH, so NULs and escapes cannot forge a log line; "..." marks a cut. */
#define PROVAUTH_EXCERPT_MAX 100
const char *provauth_printable_excerpt(const char *text, apr_size_t len, apr_pool_t *p);

/* The slot of key in a table of mask + 1 slots (a power of two), through
 * splitmix64's finalizer: keys that differ in few low bits, as the MACs of
 * one vendor do, spread evenly. */
apr_size_t provauth_hash_slot(uint64_t key, apr_size_t mask);

#endif /* PROVAUTH_LINES_H */
