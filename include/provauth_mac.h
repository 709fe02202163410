/* provauth_mac.h: the device MAC: parsing and normalizing its written forms,
 * reading it from a certificate subject, and finding it in a URL path. */
#ifndef PROVAUTH_MAC_H
#define PROVAUTH_MAC_H

#include <stdint.h>

#include <apr_pools.h>
#include <openssl/x509.h>

/* A normalized MAC: 12 lowercase hex digits and a NUL. */
#define PROVAUTH_MAC_LEN 12
typedef struct {
    char hex[PROVAUTH_MAC_LEN + 1];
} provauth_mac_t;

/* A compiled ProvAuthMACFrom pattern (PCRE2, kept inside provauth_mac.c). */
typedef struct provauth_mac_regex provauth_mac_regex_t;

/* Where a certificate carries its MAC: one subject attribute, either being
 * exactly a MAC or holding one in a regex's first capture group. */
typedef struct provauth_mac_rule {
    int attribute_nid;            /* NID of the subject attribute, e.g. NID_commonName */
    const char *attribute_name;   /* as configured, for messages */
    const char *pattern;          /* NULL: the value must be exactly one MAC */
    provauth_mac_regex_t *regex;  /* compiled pattern, when pattern != NULL */
} provauth_mac_rule_t;

/* Bounds on a ProvAuthMACFrom pattern, so that neither reading the
 * configuration nor matching a certificate can run away. */
#define PROVAUTH_MAC_REGEX_MAX_LENGTH  1024   /* characters of pattern */
#define PROVAUTH_MAC_REGEX_MAX_NESTING 32     /* nested parentheses */
#define PROVAUTH_MAC_REGEX_MATCH_LIMIT 100000 /* backtracking steps per match */
#define PROVAUTH_MAC_REGEX_DEPTH_LIMIT 1000   /* backtracking depth per match */

/* Parse one MAC written as 12 hex digits, as six pairs separated by all ':'
 * or all '-', or as three groups of four separated by '.'; any case.
 * Nothing else: no blanks, no other characters.  Returns 1 and fills *mac,
 * or 0. */
int provauth_mac_parse(const char *text, size_t len, provauth_mac_t *mac);

/* A normalized MAC as its 48-bit value (for hash tables), and back. */
uint64_t provauth_mac_value(const provauth_mac_t *mac);
void provauth_mac_of_value(uint64_t value, provauth_mac_t *mac);

/* The built-in rule: the CN is exactly one MAC. */
const provauth_mac_rule_t *provauth_mac_rule_default(void);

/* Make a rule from an attribute name (OpenSSL short or long name) and an
 * optional regex (PCRE2 syntax, as httpd's own directives) with at least
 * one capture group.  Compiling is bounded (length, nesting, PCRE2's size
 * limit): a pattern beyond the bounds is refused, never slow.  The
 * compiled regex is freed with the pool.  On failure returns an APR error
 * with *why set. */
apr_status_t provauth_mac_rule_make(provauth_mac_rule_t **rule, const char *attribute,
                                    const char *pattern, apr_pool_t *p,
                                    const char **why);

/* Read the device MAC from the leaf's subject by rule.  The attribute must
 * be present exactly once, non-empty, printable ASCII, and yield exactly
 * one MAC.  A regex match that hits the match limits yields no MAC (fail
 * closed).  Returns 1 with *mac filled, or 0 with *why (allocated from p). */
int provauth_mac_from_cert(const X509 *leaf, const provauth_mac_rule_t *rule,
                           provauth_mac_t *mac, const char **why, apr_pool_t *p);

/* Does the URL path name the device with this MAC?  The path is read as
 * maximal runs of hex digits (any case); a run of 12 or more names one
 * device, the one whose MAC is its LAST 12 digits, and shorter runs name
 * none.  So "spa001122334455.xml" names 001122334455 and never
 * a00112233445.  Only the last path segment counts (whole_path = 0), or
 * every segment (whole_path = 1); '/' always ends a run.  A segment's
 * path parameters (from its first ';' on) name nobody: back ends strip
 * them before they look up a file. */
int provauth_mac_in_path(const provauth_mac_t *mac, const char *url_path,
                         int whole_path);

/* Does text (a file name or path) name any device by the rules above?  The
 * placeholders vendors give shared files (000000000000.cfg,
 * y000000000028.cfg: ten leading zeros) name none. */
int provauth_path_names_a_device(const char *text);

#endif /* PROVAUTH_MAC_H */
