/* provauth_decision.h: the answer of one Require provauth-* line, from what
 * the request established: grant, deny, or an error no negation may invert. */
#ifndef PROVAUTH_DECISION_H
#define PROVAUTH_DECISION_H

#include <apr_pools.h>

#include "provauth_allowlist.h"
#include "provauth_mac.h"
#include "provauth_verify.h"

typedef enum {
    PROVAUTH_DECISION_GRANT = 0,
    PROVAUTH_DECISION_DENY,      /* a "no" that `Require not` may turn into neutral */
    PROVAUTH_DECISION_ERROR      /* could not decide: must end as 500, never as a "no" */
} provauth_decision_e;

/* What a Require line asks for. */
typedef enum {
    PROVAUTH_REQUIRE_DEVICE = 0,   /* a trusted device */
    PROVAUTH_REQUIRE_MAC,          /* ... whose MAC is in the last path segment */
    PROVAUTH_REQUIRE_MAC_PATH,     /* ... whose MAC is anywhere in the path */
    PROVAUTH_REQUIRE_ALLOWLIST     /* ... whose MAC is in an allow-list */
} provauth_requirement_e;

/* What is known about the request when a Require line is evaluated. */
typedef struct provauth_facts {
    int check_failed;            /* the certificate could not be checked at all */
    provauth_status_e status;    /* its status when it could */
    const char *status_reason;   /* why an untrusted status is untrusted */
    const provauth_mac_t *mac;   /* the device's MAC, NULL when it has none */
    const char *no_mac_reason;   /* why it has none */
    const char *url_path;        /* the path served (MAC requirements); NULL:
                                  * it could not be determined */
    const char *served_file;     /* the file system path it is mapped to, NULL
                                  * when none (a proxy, a handler of its own):
                                  * if its name names a device, that must be
                                  * this one (MAC requirements) */
    const provauth_allowlist_t *allowlist;   /* PROVAUTH_REQUIRE_ALLOWLIST; NULL:
                                              * not loaded */
    const char *allowlist_name;  /* the list's file, for reasons */
} provauth_facts_t;

/* Decide one requirement.  *reason (allocated from p, or static) says why
 * for DENY and ERROR, and is NULL for GRANT.  Whatever the facts cannot
 * settle (an unchecked certificate, an unknown path or list, an unknown
 * requirement) is an ERROR, never a DENY. */
provauth_decision_e provauth_decide(const provauth_facts_t *facts,
                                    provauth_requirement_e requirement,
                                    const char **reason, apr_pool_t *p);

#endif /* PROVAUTH_DECISION_H */
