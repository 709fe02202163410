/* mod_provauth_refusal.c: what a request's refusal writes (PA00101 and
 * PA00130 when it ends refused, PA00120 under ProvAuthReportOnly, PA00102
 * for an internal error) and what the request tells the registry and the
 * counters when it is logged.
 *
 * Licensed under the Apache License, Version 2.0 (see LICENSE). */
#include <string.h>

#include <apr_strings.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "provauth_log.h"

#include "mod_provauth_request.h"

/* Log lines of this file carry the module's name ([provauth:...]), so
 * that LogLevel provauth:... applies to them. */
APLOG_USE_MODULE(provauth);

/* The line of a refusal, enforced (PA00101) or only reported (PA00120):
 * the provider and reason, the device, and for a sub-request or an internal
 * redirect what it was reached from. */
/* "; sub-request of METHOD URI" or "; internal redirect from URI", or "". */
static const char *request_origin(request_rec *r)
{
    if (r->main != NULL) {
        return apr_psprintf(r->pool, "; sub-request of %s \"%s\"",
                            ap_escape_logitem(r->pool, r->main->method),
                            ap_escape_logitem(r->pool, r->main->uri));
    }
    if (r->prev != NULL) {
        return apr_psprintf(r->pool, "; internal redirect from \"%s\"",
                            ap_escape_logitem(r->pool, r->prev->uri));
    }
    return "";
}

static void log_refusal(request_rec *r, const provauth_request_t *state, int level,
                        const char *refused, const char *provider, const char *reason)
{
    const provauth_verdict_t *verdict = state->verdict;
    const char *via = request_origin(r);

    ap_log_rerror(APLOG_MARK, level, 0, r,
                  "%s by Require %s: %s; client %s, status %s, "
                  "subject \"%s\", issuer \"%s\", serial %s, uri \"%s\"%s",
                  refused, provider, ap_escape_logitem(r->pool, reason),
                  r->useragent_ip, provauth_status_name(state->status),
                  verdict ? ap_escape_logitem(r->pool, verdict->subject) : "-",
                  verdict ? ap_escape_logitem(r->pool, verdict->issuer) : "-",
                  verdict ? verdict->serial : "-",
                  ap_escape_logitem(r->pool, r->uri), via);
}

/* The enrollment line (PA00130) instead of PA00101 for an unpinned
 * self-signed device: it ends with the exact line that would pin it. */
static void log_enrollment_line(request_rec *r, const provauth_request_t *state)
{
    const provauth_verdict_t *verdict = state->verdict;
    const char *fingerprint = strchr(state->pin_line, ' ');

    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  PROVAUTH_LOGNO(00130) "denied by Require %s: %s, not pinned; "
                  "client %s, MAC %.12s, SHA-256 fingerprint %s, subject \"%s\", "
                  "serial %s, uri \"%s\"%s; to admit it once its MAC is checked "
                  "against your inventory, add to %s the line: %s", state->denied_by,
                  ap_escape_logitem(r->pool, state->denied_because), r->useragent_ip,
                  state->pin_line, fingerprint ? fingerprint + 1 : "?",
                  verdict ? ap_escape_logitem(r->pool, verdict->subject) : "-",
                  verdict ? verdict->serial : "-",
                  ap_escape_logitem(r->pool, r->uri), request_origin(r),
                  state->pin_file, state->pin_line);
}

/* One PA00101 line: the request refused. */
static void log_denial_line(request_rec *r, const provauth_request_t *state)
{
    if (state->pin_line != NULL) {
        log_enrollment_line(r, state);
        return;
    }
    log_refusal(r, state, APLOG_ERR, PROVAUTH_LOGNO(00101) "denied", state->denied_by,
                state->denied_because);
}

/* A sub-request or internal redirect gets no log_transaction of its own:
 * its denial is logged when httpd releases it, if it was refused (fixups,
 * which run once it is granted, clear the note). */
static apr_status_t log_denial_of_inner_request(void *data)
{
    request_rec *r = data;
    const provauth_request_t *state = ap_get_module_config(r->request_config,
                                                           &provauth_module);

    if (state != NULL && state->denied_by != NULL && r->status == HTTP_FORBIDDEN) {
        log_denial_line(r, state);
    }
    return APR_SUCCESS;
}

/* Providers note why they deny; the line is logged only if the request
 * ends up refused (a RequireAny may still grant it). */
void provauth_note_denial(request_rec *r, provauth_request_t *state,
                          const char *provider, const char *reason)
{
    if (state->denied_by == NULL) {
        state->denied_by = provider;
        state->denied_because = reason;
        /* A trusted device refused for its MAC: say why, as for FAILED. */
        if (provauth_device_trusted(state)) {
            apr_table_setn(r->subprocess_env, "PROVAUTH_ERROR", reason);
        }
        if (!ap_is_initial_req(r) && !state->inner_denial_watched) {
            state->inner_denial_watched = 1;
            apr_pool_pre_cleanup_register(r->pool, r, log_denial_of_inner_request);
        }
    }
}

/* ProvAuthReportOnly: what would have refused the request is reported,
 * once per request and at once (the request goes on, and may be granted
 * by this very line); variables as when enforced, and PROVAUTH_WOULD_DENY. */
void provauth_note_would_deny(request_rec *r, provauth_request_t *state,
                              const char *provider, const char *reason)
{
    if (state->would_deny != NULL) {
        return;
    }
    state->would_deny = reason;
    apr_table_setn(r->subprocess_env, "PROVAUTH_WOULD_DENY", reason);
    if (provauth_device_trusted(state)) {
        apr_table_setn(r->subprocess_env, "PROVAUTH_ERROR", reason);
    }
    log_refusal(r, state, APLOG_WARNING,
                PROVAUTH_LOGNO(00120) "report only (ProvAuthReportOnly On), not "
                "enforced: would be denied", provider, reason);
}

/* Why a provider refused, in the categories mod_status counts. */
static provauth_denial_e denial_kind(const provauth_request_t *state)
{
    if (state->status == PROVAUTH_STATUS_NONE) {
        return PROVAUTH_DENIAL_NO_CERTIFICATE;
    }
    if (!provauth_device_trusted(state)) {
        return PROVAUTH_DENIAL_UNTRUSTED;
    }
    if (state->denied_because != NULL && strncmp(state->denied_because, "negated", 7) == 0) {
        return PROVAUTH_DENIAL_NEGATED;
    }
    if (!state->has_mac) {
        return PROVAUTH_DENIAL_NO_MAC;
    }
    return strcmp(state->denied_by, PROVIDER_ALLOWLIST) == 0
        ? PROVAUTH_DENIAL_NOT_IN_ALLOWLIST : PROVAUTH_DENIAL_MAC_NOT_IN_PATH;
}

/* After the request, one hook: the line of its refusal, and what it got
 * for its device's record and the counters. */
int provauth_log_transaction(request_rec *r)
{
    const provauth_request_t *state = ap_get_module_config(r->request_config,
                                                           &provauth_module);
    provauth_request_report_t report;

    if (state == NULL) {
        return DECLINED;   /* the module established nothing for it */
    }
    report.status = state->status;
    report.cached = state->internal_error ? NULL : state->cached;
    /* For an untrusted certificate: the MAC it claims (its record is keyed
     * by fingerprint all the same). */
    report.mac = state->has_mac ? &state->mac : NULL;
    report.reason = NULL;
    report.denial = PROVAUTH_DENIAL_KINDS;
    if (state->denied_by != NULL && r->status == HTTP_FORBIDDEN) {
        log_denial_line(r, state);
        report.outcome = PROVAUTH_OUTCOME_DENIED;
        report.reason = state->denied_because;
        report.denial = denial_kind(state);
    }
    else if (state->would_deny != NULL) {
        /* ProvAuthReportOnly: granted, but enforcement would refuse it */
        report.outcome = PROVAUTH_OUTCOME_WOULD_DENY;
        report.reason = state->would_deny;
    }
    else if (state->provider_ran) {
        report.outcome = PROVAUTH_OUTCOME_GRANTED;
    }
    else {
        report.outcome = PROVAUTH_OUTCOME_SEEN;
    }
    provauth_registry_note_request(r, state->conn, &report);
    return DECLINED;
}

/* An internal error ends authorization with 500 at once (mod_authz_core
 * expects the provider to have logged why); once per request. */
authz_status provauth_internal_error(request_rec *r, provauth_request_t *state,
                                     const char *provider, const char *reason)
{
    const provauth_verdict_t *verdict = state->verdict;

    if (!state->error_logged) {
        state->error_logged = 1;
        apr_table_setn(r->subprocess_env, "PROVAUTH_ERROR", reason);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      PROVAUTH_LOGNO(00102) "internal error in Require %s: %s; "
                      "answered 500 (a negation cannot turn this into a grant); "
                      "client %s, subject \"%s\", uri \"%s\"",
                      provider, ap_escape_logitem(r->pool, reason), r->useragent_ip,
                      verdict ? ap_escape_logitem(r->pool, verdict->subject) : "-",
                      ap_escape_logitem(r->pool, r->uri));
    }
    return AUTHZ_GENERAL_ERROR;
}

