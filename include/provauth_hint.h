/* provauth_hint.h: denial reasons that say what to fix in the configuration:
 * a MAC inside a longer subject value, a shared file under provauth-mac. */
#ifndef PROVAUTH_HINT_H
#define PROVAUTH_HINT_H

#include <stddef.h>
#include <apr_pools.h>

#include "provauth_mac.h"

/* Where text holds a MAC in one of provauth_mac_parse's forms, not glued to
 * other hex digits: 1 with *start, *len and *mac set, or 0.  MACs whose first
 * ten digits are zero (000000000000.cfg, Yealink's y000000000028.cfg) are
 * placeholders of shared files, not devices, and are skipped. */
int provauth_find_mac(const char *text, size_t text_len, size_t *start, size_t *len,
                      provauth_mac_t *mac);

/* For a subject attribute value that is not a MAC: when it holds one inside
 * (Cisco's CP-7945G-SEP001122334455), the ProvAuthMACFrom line that reads
 * it, as " (...)" to append to the reason; otherwise "". */
const char *provauth_hint_mac_inside(const char *attribute, const char *value,
                                     size_t len, apr_pool_t *p);

/* Why Require provauth-mac refuses mac for url_path (whole_path: the MAC
 * may be anywhere in the path): "MAC <mac> is not in the requested file
 * name" (or "path"), and when the path names no device at all (a file every
 * phone reads, such as 000000000000.cfg), how to open it to every trusted
 * phone with a <Files> section and Require provauth-device; when only a
 * directory carries the device's own MAC, Require provauth-mac path. */
const char *provauth_reason_mac_not_in_path(const provauth_mac_t *mac,
                                            const char *url_path, int whole_path,
                                            apr_pool_t *p);

#endif /* PROVAUTH_HINT_H */
