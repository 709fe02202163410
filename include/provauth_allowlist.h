/* provauth_allowlist.h: a set of device MACs loaded from a file at startup,
 * answering membership in constant time. */
#ifndef PROVAUTH_ALLOWLIST_H
#define PROVAUTH_ALLOWLIST_H

#include <apr_pools.h>

#include "provauth_mac.h"

typedef struct provauth_allowlist provauth_allowlist_t;

/* Load a list: one MAC per line in any form provauth_mac_parse accepts,
 * '#' starts a comment, blank lines are skipped.  Any other line fails the
 * load with *why naming the file and the line number. */
apr_status_t provauth_allowlist_load(provauth_allowlist_t **list, const char *path,
                                     apr_pool_t *p, const char **why);

int provauth_allowlist_contains(const provauth_allowlist_t *list,
                                const provauth_mac_t *mac);

/* Distinct MACs in the list. */
apr_size_t provauth_allowlist_size(const provauth_allowlist_t *list);

#endif /* PROVAUTH_ALLOWLIST_H */
