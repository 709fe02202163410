/* mod_provauth_request.h: a request's state as mod_provauth_authz.c
 * decides it and mod_provauth_refusal.c reports it (glue only).
 *
 * Licensed under the Apache License, Version 2.0 (see LICENSE). */
#ifndef MOD_PROVAUTH_REQUEST_H
#define MOD_PROVAUTH_REQUEST_H

#include "mod_auth.h"

#include "provauth_allowlist.h"
#include "provauth_decision.h"

#include "mod_provauth_private.h"

/* A Require provauth-* line as parsed. */
typedef struct {
    provauth_requirement_e requirement;
    int negated;                          /* its grant refuses the request */
    const char *list_path;                /* provauth-allowlist */
    const provauth_allowlist_t *list;
} provauth_require_t;

/* What the module established for a request (its request_config). */
typedef struct {
    provauth_status_e status;
    const provauth_verdict_t *verdict;   /* NULL without a certificate */
    const char *denial_reason;           /* why a provider would deny */
    int internal_error;
    const char *denied_by;               /* first provider that denied */
    const char *denied_because;          /* and why */
    int has_mac;                         /* mac holds the device's MAC */
    provauth_mac_t mac;
    const char *no_mac_reason;           /* why not, when !has_mac */
    int inner_denial_watched;            /* sub-request/redirect: log registered */
    int error_logged;                    /* PA00102 written */
    const provauth_cached_verdict_t *cached;   /* the verdict's cache entry */
    int provider_ran;                    /* a Require provauth-* line was asked */
    const char *pin_line;                /* unpinned self-signed device: how to pin it */
    const char *pin_file;                /* and where */
    const char *would_deny;              /* ProvAuthReportOnly: the first refusal
                                          * not enforced (PA00120 written) */
    const apr_table_t *variables;        /* the verdict's ready-made variables */
    provauth_conn_t *conn;               /* the TLS connection's state, or NULL */
    const provauth_require_t *mac_grant; /* a provauth-mac line that granted */
    const char *mac_grant_provider;      /* its provider's name */
    const char *mac_grant_file;          /* r->filename it granted */
} provauth_request_t;

static APR_INLINE int provauth_device_trusted(const provauth_request_t *state)
{
    return !state->internal_error && PROVAUTH_STATUS_IS_TRUSTED(state->status);
}

/* A provider's refusal, noted for the PA00101 line (written if the request
 * ends up refused; a RequireAny may still grant it). */
void provauth_note_denial(request_rec *r, provauth_request_t *state,
                          const char *provider, const char *reason);

/* ProvAuthReportOnly: what would have refused the request, reported
 * (PA00120) at once and in PROVAUTH_WOULD_DENY; once per request. */
void provauth_note_would_deny(request_rec *r, provauth_request_t *state,
                              const char *provider, const char *reason);

/* An internal error (PA00102, once per request): AUTHZ_GENERAL_ERROR, which
 * mod_authz_core ends with 500 and no negation can turn into a grant. */
authz_status provauth_internal_error(request_rec *r, provauth_request_t *state,
                                     const char *provider, const char *reason);

#endif /* MOD_PROVAUTH_REQUEST_H */
