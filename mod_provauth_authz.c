/* mod_provauth_authz.c: the per-request decision, the variables for
 * applications and logs, the denial log line and the authz providers.
 *
 * Licensed under the Apache License, Version 2.0 (see LICENSE). */
#include <apr_strings.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_auth.h"

#include "provauth_allowlist.h"
#include "provauth_hint.h"
#include "provauth_log.h"

#include "mod_provauth_private.h"

/* ---------------------------------------------------------------------
 * Per-request decision, variables and the denial log line
 * ------------------------------------------------------------------ */

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
} provauth_request_t;

static int device_trusted(const provauth_request_t *state)
{
    return !state->internal_error && PROVAUTH_STATUS_IS_TRUSTED(state->status);
}

static void set_variables(request_rec *r, const provauth_request_t *state)
{
    apr_table_t *env = r->subprocess_env;

    apr_table_setn(env, "PROVAUTH_STATUS", provauth_status_name(state->status));
    if (state->status == PROVAUTH_STATUS_FAILED) {
        apr_table_setn(env, "PROVAUTH_ERROR", state->denial_reason);
    }
    else {
        apr_table_unset(env, "PROVAUTH_ERROR");
    }
    if (state->verdict != NULL) {
        apr_table_setn(env, "PROVAUTH_DAYS_LEFT",
                       apr_ltoa(r->pool, state->verdict->days_left));
    }
    else {
        apr_table_unset(env, "PROVAUTH_DAYS_LEFT");
    }
    /* Only a trusted certificate's MAC: applications use it as identity. */
    if (state->has_mac && device_trusted(state)) {
        apr_table_setn(env, "PROVAUTH_MAC", state->mac.hex);
    }
    else {
        apr_table_unset(env, "PROVAUTH_MAC");
    }
}

static provauth_request_t *request_state(request_rec *r)
{
    provauth_request_t *state = ap_get_module_config(r->request_config,
                                                     &provauth_module);
    const provauth_server_conf_t *sconf;
    const provauth_dir_conf_t *dconf;
    const provauth_cached_verdict_t *cached;
    const provauth_cached_mac_t *mac = NULL;
    provauth_conn_t *conn;
    provauth_trust_t trust;

    if (state != NULL) {
        return state;
    }
    state = apr_pcalloc(r->pool, sizeof(*state));
    ap_set_module_config(r->request_config, &provauth_module, state);
    state->status = PROVAUTH_STATUS_NONE;

    conn = provauth_conn_get(r->connection);
    if (conn == NULL) {
        state->denial_reason = "not a TLS connection";
        goto done;
    }
    sconf = provauth_server_conf(r->server);
    dconf = provauth_dir_conf(r);
    trust.anchors = dconf->anchors ? dconf->anchors : sconf->ssl_anchors;
    trust.intermediates = dconf->intermediates;
    trust.crls = dconf->crls;
    /* mod_ssl's own CRL settings come with its store; the handshake has
     * applied its no_crl_for_cert_ok already. */
    trust.missing_crl_ok = (dconf->anchors == NULL && dconf->crls == NULL);

    cached = provauth_conn_verdict(conn, &trust,
                          dconf->mac_rule ? dconf->mac_rule : provauth_mac_rule_default(),
                          &mac);
    if (cached == NULL || cached->rv != APR_SUCCESS) {
        state->internal_error = 1;
        state->status = PROVAUTH_STATUS_FAILED;
        state->denial_reason = "internal error while verifying the certificate";
        goto done;
    }
    state->verdict = &cached->verdict;
    state->status = cached->verdict.status;
    if (state->status == PROVAUTH_STATUS_NONE) {
        state->verdict = NULL;
        state->denial_reason = "no client certificate";
    }
    else if (state->status == PROVAUTH_STATUS_FAILED) {
        state->denial_reason = cached->verdict.reason;
    }
    if (mac != NULL) {
        state->has_mac = mac->has_mac;
        state->mac = mac->mac;
        state->no_mac_reason = mac->no_mac_reason;
    }
    else {
        state->no_mac_reason = state->denial_reason;
    }

done:
    set_variables(r, state);
    return state;
}

/* Providers note why they deny; the line is logged only if the request
 * ends up refused (a RequireAny may still grant it). */
static void note_denial(request_rec *r, provauth_request_t *state,
                        const char *provider, const char *reason)
{
    if (state->denied_by == NULL) {
        state->denied_by = provider;
        state->denied_because = reason;
        /* A trusted device refused for its MAC: say why, as for FAILED. */
        if (device_trusted(state)) {
            apr_table_setn(r->subprocess_env, "PROVAUTH_ERROR", reason);
        }
    }
}

/* One line per refused request, after authorization has decided. */
int provauth_log_denial(request_rec *r)
{
    const provauth_request_t *state = ap_get_module_config(r->request_config,
                                                           &provauth_module);
    const provauth_verdict_t *verdict;

    if (state == NULL || state->denied_by == NULL || r->status != HTTP_FORBIDDEN) {
        return DECLINED;
    }
    verdict = state->verdict;
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  "%sdenied by Require %s: %s; client %s, status %s, "
                  "subject \"%s\", issuer \"%s\", serial %s, uri \"%s\"",
                  state->internal_error ? PROVAUTH_LOGNO(00102)
                                        : PROVAUTH_LOGNO(00101),
                  state->denied_by, ap_escape_logitem(r->pool, state->denied_because),
                  r->useragent_ip, provauth_status_name(state->status),
                  verdict ? ap_escape_logitem(r->pool, verdict->subject) : "-",
                  verdict ? ap_escape_logitem(r->pool, verdict->issuer) : "-",
                  verdict ? verdict->serial : "-",
                  ap_escape_logitem(r->pool, r->uri));
    return OK;
}

/* ---------------------------------------------------------------------
 * Authorization providers
 * ------------------------------------------------------------------ */

static const char *device_parse(cmd_parms *cmd, const char *require_line,
                                const void **parsed)
{
    (void)parsed;
    if (require_line != NULL && *require_line != '\0') {
        return "Require " PROVIDER_DEVICE " takes no arguments";
    }
    provauth_note_use(cmd, "Require " PROVIDER_DEVICE);
    return NULL;
}

static authz_status device_check(request_rec *r, const char *require_line,
                                 const void *parsed)
{
    provauth_request_t *state = request_state(r);

    (void)require_line;
    (void)parsed;
    if (device_trusted(state)) {
        return AUTHZ_GRANTED;
    }
    note_denial(r, state, PROVIDER_DEVICE, state->denial_reason);
    return AUTHZ_DENIED;
}

static const authz_provider device_provider = {
    &device_check,
    &device_parse,
};

/* Parsed form of "Require provauth-mac [path]": where the MAC must occur. */
static const int match_last_segment = 0;
static const int match_whole_path = 1;

static const char *mac_parse(cmd_parms *cmd, const char *require_line,
                             const void **parsed)
{
    const char *word = ap_getword_conf(cmd->temp_pool, &require_line);

    if (*word == '\0') {
        *parsed = &match_last_segment;
    }
    else if (strcasecmp(word, "path") == 0 && *require_line == '\0') {
        *parsed = &match_whole_path;
    }
    else {
        return "Require " PROVIDER_MAC " takes no argument or 'path'";
    }
    provauth_note_use(cmd, "Require " PROVIDER_MAC);
    return NULL;
}

/* Deny with the MAC's absence as PROVAUTH_ERROR and in the log. */
static authz_status deny_without_mac(request_rec *r, provauth_request_t *state,
                                     const char *provider)
{
    const char *reason = apr_pstrcat(r->pool, "no MAC: ", state->no_mac_reason, NULL);

    note_denial(r, state, provider, reason);
    return AUTHZ_DENIED;
}

/* The URL path of what is actually served: r->uri without its PATH_INFO,
 * so that /victim.cfg/<own MAC> (AcceptPathInfo, CGI, PHP) is the victim's
 * file.  NULL (deny) when the two do not line up. */
static const char *mapped_path(request_rec *r)
{
    apr_size_t uri_len, info_len;

    if (r->path_info == NULL || *r->path_info == '\0') {
        return r->uri;
    }
    uri_len = strlen(r->uri);
    info_len = strlen(r->path_info);
    if (info_len > uri_len || strcmp(r->uri + uri_len - info_len, r->path_info) != 0) {
        return NULL;
    }
    return apr_pstrmemdup(r->pool, r->uri, uri_len - info_len);
}

static authz_status mac_check(request_rec *r, const char *require_line,
                              const void *parsed)
{
    provauth_request_t *state = request_state(r);
    int whole_path = (parsed == &match_whole_path);

    (void)require_line;
    if (!device_trusted(state)) {
        note_denial(r, state, PROVIDER_MAC, state->denial_reason);
        return AUTHZ_DENIED;
    }
    if (!state->has_mac) {
        return deny_without_mac(r, state, PROVIDER_MAC);
    }
    if (!provauth_mac_in_path(&state->mac, mapped_path(r), whole_path)) {
        note_denial(r, state, PROVIDER_MAC, provauth_reason_mac_not_in_path(
                        &state->mac, mapped_path(r), whole_path, r->pool));
        return AUTHZ_DENIED;
    }
    return AUTHZ_GRANTED;
}

static const authz_provider mac_provider = {
    &mac_check,
    &mac_parse,
};

typedef struct {
    const char *path;
    const provauth_allowlist_t *list;
} provauth_allowlist_ref_t;

static const char *allowlist_parse(cmd_parms *cmd, const char *require_line,
                                   const void **parsed)
{
    const char *word = ap_getword_conf(cmd->temp_pool, &require_line);
    provauth_allowlist_ref_t *ref;
    const void *list = NULL;
    const char *path = NULL, *err;

    if (*word == '\0' || *require_line != '\0') {
        return "Require " PROVIDER_ALLOWLIST " takes one file name";
    }
    /* Lists can be large: loaded once at startup, never per request (so not
     * from .htaccess files either). */
    err = provauth_allowlist_load_once(cmd, "Require " PROVIDER_ALLOWLIST, word,
                                       &path, &list);
    if (err != NULL) {
        return err;
    }
    ref = apr_palloc(cmd->pool, sizeof(*ref));
    ref->path = path;
    ref->list = list;
    *parsed = ref;
    return NULL;
}

static authz_status allowlist_check(request_rec *r, const char *require_line,
                                    const void *parsed)
{
    provauth_request_t *state = request_state(r);
    const provauth_allowlist_ref_t *ref = parsed;

    (void)require_line;
    if (!device_trusted(state)) {
        note_denial(r, state, PROVIDER_ALLOWLIST, state->denial_reason);
        return AUTHZ_DENIED;
    }
    if (!state->has_mac) {
        return deny_without_mac(r, state, PROVIDER_ALLOWLIST);
    }
    if (ref == NULL || !provauth_allowlist_contains(ref->list, &state->mac)) {
        note_denial(r, state, PROVIDER_ALLOWLIST,
                   apr_psprintf(r->pool, "MAC %s is not in the allow-list %s",
                                state->mac.hex, ref ? ref->path : "(none)"));
        return AUTHZ_DENIED;
    }
    return AUTHZ_GRANTED;
}

static const authz_provider allowlist_provider = {
    &allowlist_check,
    &allowlist_parse,
};

/* Variables for applications and logs also where no provauth Require ran. */
int provauth_fixups(request_rec *r)
{
    const provauth_server_conf_t *sconf = provauth_server_conf(r->server);
    provauth_request_t *state = ap_get_module_config(r->request_config,
                                                     &provauth_module);

    /* Fixups run only once authorization granted: a provider's noted
     * denial was overridden, and a later 403 (say, from the handler) is
     * not ours to explain. */
    if (state != NULL) {
        state->denied_by = NULL;
    }

    if (provauth_conn_get(r->connection) != NULL
        && (sconf->accept_expired == 1 || provauth_dir_conf_is_set(provauth_dir_conf(r)))) {
        request_state(r);
    }
    return DECLINED;
}

void provauth_authz_register(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, PROVIDER_DEVICE,
                              AUTHZ_PROVIDER_VERSION, &device_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, PROVIDER_MAC,
                              AUTHZ_PROVIDER_VERSION, &mac_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, PROVIDER_ALLOWLIST,
                              AUTHZ_PROVIDER_VERSION, &allowlist_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
}
