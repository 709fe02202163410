/* mod_provauth_authz.c: the per-request decision, the variables for
 * applications and logs, and the authz providers (enforcing, or under
 * ProvAuthReportOnly reporting what they would refuse); the refusal lines
 * are mod_provauth_refusal.c's.
 *
 * Licensed under the Apache License, Version 2.0 (see LICENSE). */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_auth.h"

#include "provauth_allowlist.h"
#include "provauth_decision.h"
#include "provauth_log.h"

#include "mod_provauth_private.h"
#include "mod_provauth_request.h"

/* Log lines of this file carry the module's name ([provauth:...]), so
 * that LogLevel provauth:... applies to them. */
APLOG_USE_MODULE(provauth);

/* ---------------------------------------------------------------------
 * Per-request decision, variables and the denial log line
 * ------------------------------------------------------------------ */


/* The variables of a request's verdict: added to env, which holds none of
 * them yet. */
static void add_variables(apr_table_t *env, provauth_status_e status, const char *error,
                          const char *days_left, const provauth_mac_t *mac)
{
    apr_table_addn(env, "PROVAUTH_STATUS", provauth_status_name(status));
    if (status == PROVAUTH_STATUS_FAILED) {
        apr_table_addn(env, "PROVAUTH_ERROR", error);
    }
    if (days_left != NULL) {
        apr_table_addn(env, "PROVAUTH_DAYS_LEFT", days_left);
    }
    if (mac != NULL) {
        apr_table_addn(env, "PROVAUTH_MAC", mac->hex);
    }
}

const apr_table_t *provauth_verdict_variables(apr_pool_t *p,
                                              const provauth_cached_verdict_t *cached,
                                              const provauth_cached_mac_t *mac)
{
    /* as large as httpd makes a request's table: the copies of it are
     * request tables, which other modules go on filling */
    apr_table_t *variables = apr_table_make(p, 25);
    provauth_status_e status = cached->verdict.status;

    /* What request_state gives a request of this verdict (a leaf, so a
     * status other than NONE); only a trusted certificate's MAC, which
     * applications use as identity. */
    add_variables(variables, status, cached->verdict.reason,
                  status != PROVAUTH_STATUS_NONE ? cached->days_left_text : NULL,
                  mac->has_mac && PROVAUTH_STATUS_IS_TRUSTED(status) ? &mac->mac : NULL);
    return variables;
}

static void set_variables(request_rec *r, const provauth_request_t *state)
{
    apr_table_t *env = r->subprocess_env;
    const char *days_left = NULL;
    /* Only a trusted certificate's MAC: applications use it as identity. */
    int mac = state->has_mac && provauth_device_trusted(state);

    /* Authorization usually runs before any module fills the table: then
     * nothing is there to replace, and a copy of the connection's
     * ready-made variables becomes the table (per request, that is most of
     * what the variables cost: a copy is two allocations and two memcpy,
     * adding them one by one is a lookup and an index update each). */
    if (apr_is_empty_table(env)) {
        if (state->variables != NULL) {
            r->subprocess_env = apr_table_copy(r->pool, state->variables);
            return;
        }
        if (state->verdict != NULL) {
            days_left = apr_ltoa(r->pool, state->verdict->days_left);
        }
        add_variables(env, state->status, state->denial_reason, days_left,
                      mac ? &state->mac : NULL);
        return;
    }
    if (state->verdict != NULL) {
        days_left = state->cached ? state->cached->days_left_text
                                  : apr_ltoa(r->pool, state->verdict->days_left);
    }
    apr_table_setn(env, "PROVAUTH_STATUS", provauth_status_name(state->status));
    if (state->status == PROVAUTH_STATUS_FAILED) {
        apr_table_setn(env, "PROVAUTH_ERROR", state->denial_reason);
    }
    else {
        apr_table_unset(env, "PROVAUTH_ERROR");
    }
    if (days_left != NULL) {
        apr_table_setn(env, "PROVAUTH_DAYS_LEFT", days_left);
    }
    else {
        apr_table_unset(env, "PROVAUTH_DAYS_LEFT");
    }
    if (mac) {
        apr_table_setn(env, "PROVAUTH_MAC", state->mac.hex);
    }
    else {
        apr_table_unset(env, "PROVAUTH_MAC");
    }
    apr_table_unset(env, "PROVAUTH_WOULD_DENY"); /* a sub-request's own */
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
    state->conn = conn;
    if (conn == NULL) {
        state->denial_reason = "not a TLS connection";
        goto done;
    }
    if (provauth_conn_failed(conn)) {
        state->internal_error = 1;
        state->status = PROVAUTH_STATUS_FAILED;
        state->denial_reason = "internal error while setting up the TLS connection";
        goto done;
    }
    sconf = provauth_server_conf(r->server);
    dconf = provauth_dir_conf(r);
    provauth_dir_trust(sconf, dconf, &trust);

    cached = provauth_conn_verdict(conn, &trust,
                          dconf->mac_rule ? dconf->mac_rule : provauth_mac_rule_default(),
                          &mac);
    if (cached == NULL || cached->rv != APR_SUCCESS) {
        state->internal_error = 1;
        state->status = PROVAUTH_STATUS_FAILED;
        state->denial_reason = "internal error while verifying the certificate";
        goto done;
    }
    state->cached = cached;
    state->verdict = &cached->verdict;
    state->status = cached->verdict.status;
    if (cached->pin_line != NULL) {
        state->pin_line = cached->pin_line;
        state->pin_file = dconf->pin_file;
    }
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
        state->variables = mac->variables;
    }
    else {
        state->no_mac_reason = state->denial_reason;
    }

done:
    set_variables(r, state);
    return state;
}

/* The facts a Require line is decided on. */
static void request_facts(const provauth_request_t *state, provauth_facts_t *facts)
{
    memset(facts, 0, sizeof(*facts));
    facts->check_failed = state->internal_error;
    facts->status = state->status;
    facts->status_reason = state->denial_reason;
    facts->mac = state->has_mac ? &state->mac : NULL;
    facts->no_mac_reason = state->no_mac_reason;
}

/* ---------------------------------------------------------------------
 * Authorization providers
 * ------------------------------------------------------------------ */

/* Does this line's grant refuse the request: "Require not ..." or inside
 * an odd number of <RequireNone> sections?  (Only for the log line: the
 * logic itself is mod_authz_core's.) */
static int require_is_negated(const cmd_parms *cmd)
{
    const ap_directive_t *line = cmd->directive;
    const ap_directive_t *section;
    int negated = 0;

    if (line == NULL) {
        return 0;
    }
    if (line->args != NULL && strncasecmp(line->args, "not", 3) == 0
        && apr_isspace(line->args[3])) {
        negated = 1;
    }
    for (section = line->parent; section != NULL; section = section->parent) {
        if (strcasecmp(section->directive, "<RequireNone") == 0) {
            negated = !negated;
        }
    }
    return negated;
}

static provauth_require_t *make_require(cmd_parms *cmd,
                                        provauth_requirement_e requirement)
{
    provauth_require_t *require = apr_pcalloc(cmd->pool, sizeof(*require));

    require->requirement = requirement;
    require->negated = require_is_negated(cmd);
    provauth_note_provider_in_section(cmd);
    return require;
}

/* Why a negated line refused: what it granted. */
static const char *negated_grant_reason(request_rec *r, const provauth_request_t *state,
                                        const provauth_require_t *require)
{
    switch (require->requirement) {
    case PROVAUTH_REQUIRE_DEVICE:
        return apr_psprintf(r->pool, "negated: a trusted device (%s)",
                            provauth_status_name(state->status));
    case PROVAUTH_REQUIRE_ALLOWLIST:
        return apr_psprintf(r->pool, "negated: MAC %s is in the allow-list %s",
                            state->mac.hex, require->list_path);
    default:
        return apr_psprintf(r->pool, "negated: MAC %s is in the requested %s",
                            state->mac.hex,
                            require->requirement == PROVAUTH_REQUIRE_MAC_PATH
                                ? "path" : "file name");
    }
}

/* The one place where a line's refusal becomes its answer: noted for the
 * log (a DENY, or for a negated line a GRANT); under ProvAuthReportOnly
 * reported instead and answered with what refuses nothing, a grant (for a
 * negated line a denial, which negation makes neutral).  Errors never get
 * here: report-only does not turn them into grants. */
static authz_status refuse(request_rec *r, provauth_request_t *state,
                           const char *provider, const provauth_require_t *require,
                           const char *reason)
{
    const provauth_dir_conf_t *dconf = provauth_dir_conf(r);

    if (dconf != NULL && dconf->report_only == 1) {
        provauth_note_would_deny(r, state, provider, reason);
        return require->negated ? AUTHZ_DENIED : AUTHZ_GRANTED;
    }
    provauth_note_denial(r, state, provider, reason);
    return require->negated ? AUTHZ_GRANTED : AUTHZ_DENIED;
}

/* What a device may read is decided per request: never stored in
 * mod_cache, whose quick handler would answer the next client from it
 * before any authorization.  Also the requests r is part of: a
 * sub-request's content is its parent's answer, and
 * ap_internal_fast_redirect (DirectoryIndex, MultiViews) keeps no_cache
 * only where both had it. */
static void keep_out_of_cache(request_rec *r)
{
    if (!provauth_server_conf(r->server)->mod_cache_loaded) {
        return;   /* and no Expires header on every answer */
    }
    for (; r != NULL; r = r->main) {
        r->no_cache = 1;
    }
}

/* The answer to mod_authz_core.  An ERROR is AUTHZ_GENERAL_ERROR, never a
 * "denied" that `Require not` would invert.  What refuses the request is
 * noted for the log: a DENY, or under negation a GRANT (a negated DENY is
 * only neutral). */
static authz_status answer(request_rec *r, const char *provider,
                           const provauth_require_t *require, const char *url_path,
                           const char *file_path)
{
    provauth_request_t *state = request_state(r);
    provauth_facts_t facts;
    const char *reason = NULL;

    if (require == NULL) {
        return provauth_internal_error(r, state, provider, "the Require line was not parsed");
    }
    state->provider_ran = 1;
    keep_out_of_cache(r);
    request_facts(state, &facts);
    facts.url_path = url_path;
    facts.served_file = file_path;
    facts.allowlist = require->list;
    facts.allowlist_name = require->list_path;
    switch (provauth_decide(&facts, require->requirement, &reason, r->pool)) {
    case PROVAUTH_DECISION_GRANT:
        if (require->negated) {
            return refuse(r, state, provider, require,
                          negated_grant_reason(r, state, require));
        }
        if (require->requirement == PROVAUTH_REQUIRE_MAC
            || require->requirement == PROVAUTH_REQUIRE_MAC_PATH) {
            /* the target it granted, checked again in the fixups */
            state->mac_grant = require;
            state->mac_grant_provider = provider;
            state->mac_grant_file = r->filename;
        }
        return AUTHZ_GRANTED;
    case PROVAUTH_DECISION_DENY:
        if (!require->negated) {
            return refuse(r, state, provider, require, reason);
        }
        return AUTHZ_DENIED;
    default:
        return provauth_internal_error(r, state, provider, reason ? reason : "undecided");
    }
}

static const char *device_parse(cmd_parms *cmd, const char *require_line,
                                const void **parsed)
{
    if (require_line != NULL && *require_line != '\0') {
        return "Require " PROVIDER_DEVICE " takes no arguments";
    }
    provauth_note_use(cmd, "Require " PROVIDER_DEVICE);
    *parsed = make_require(cmd, PROVAUTH_REQUIRE_DEVICE);
    return NULL;
}

static authz_status device_check(request_rec *r, const char *require_line,
                                 const void *parsed)
{
    (void)require_line;
    return answer(r, PROVIDER_DEVICE, parsed, NULL, NULL);
}

static const authz_provider device_provider = {
    &device_check,
    &device_parse,
};

static const char *mac_parse(cmd_parms *cmd, const char *require_line,
                             const void **parsed)
{
    const char *word = ap_getword_conf(cmd->temp_pool, &require_line);
    provauth_requirement_e requirement;

    if (*word == '\0') {
        requirement = PROVAUTH_REQUIRE_MAC;
    }
    else if (strcasecmp(word, "path") == 0 && *require_line == '\0') {
        requirement = PROVAUTH_REQUIRE_MAC_PATH;
    }
    else {
        return "Require " PROVIDER_MAC " takes no argument or 'path'";
    }
    provauth_note_use(cmd, "Require " PROVIDER_MAC);
    *parsed = make_require(cmd, requirement);
    return NULL;
}

/* The URL path of what is actually served: r->uri without its PATH_INFO,
 * so that /victim.cfg/<own MAC> (AcceptPathInfo, CGI, PHP) is the victim's
 * file.  NULL (an error, not a grant) when the two do not line up. */
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

/* The path a proxied request asks its back end for: of
 * "proxy:SCHEME://HOST[:PORT]/PATH[?QUERY]" (also after "unix:SOCKET|"),
 * PATH with its escapes decoded as the back end decodes them (an encoded
 * '/' stays encoded); NULL without one. */
static const char *proxied_path(request_rec *r)
{
    const char *authority = strstr(r->filename, "://");
    const char *path = authority ? strchr(authority + 3, '/') : NULL;
    char *decoded;

    if (path == NULL) {
        return NULL;
    }
    decoded = apr_pstrmemdup(r->pool, path, strcspn(path, "?#"));
    if (ap_unescape_url_keep2f(decoded, 0) != OK) {
        /* the back end refuses it; its text is all there is to check */
        return apr_pstrmemdup(r->pool, path, strcspn(path, "?#"));
    }
    return decoded;
}

/* The name the request is served under: the file system path it is mapped
 * to (what a server-level RewriteRule or AliasMatch made of the URL), the
 * back end's path of a proxied request (ProxyPassMatch, RewriteRule [P]),
 * or NULL for a handler of its own. */
static const char *served_file(request_rec *r)
{
    if (r->filename == NULL) {
        return NULL;
    }
#ifdef WIN32
    if (ap_os_is_path_absolute(r->pool, r->filename)) {
        return r->filename;
    }
#else
    /* What ap_os_is_path_absolute says on Unix, without its allocation:
     * this runs on every request. */
    if (r->filename[0] == '/') {
        return r->filename;
    }
#endif
    if (strncmp(r->filename, "proxy:", 6) == 0) {
        return proxied_path(r);
    }
    return NULL;
}

static authz_status mac_check(request_rec *r, const char *require_line,
                              const void *parsed)
{
    (void)require_line;
    return answer(r, PROVIDER_MAC, parsed, mapped_path(r), served_file(r));
}

static const authz_provider mac_provider = {
    &mac_check,
    &mac_parse,
};

static const char *allowlist_parse(cmd_parms *cmd, const char *require_line,
                                   const void **parsed)
{
    const char *word = ap_getword_conf(cmd->temp_pool, &require_line);
    provauth_require_t *require;
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
    require = make_require(cmd, PROVAUTH_REQUIRE_ALLOWLIST);
    require->list_path = path;
    require->list = list;
    *parsed = require;
    return NULL;
}

static authz_status allowlist_check(request_rec *r, const char *require_line,
                                    const void *parsed)
{
    (void)require_line;
    return answer(r, PROVIDER_ALLOWLIST, parsed, NULL, NULL);
}

static const authz_provider allowlist_provider = {
    &allowlist_check,
    &allowlist_parse,
};

/* Is r's section the module's: a Require provauth-* line or a ProvAuth
 * directive in it, or a virtual host that forgives expiry?  Then its
 * requests carry the variables whatever mod_authz_core asks. */
static int section_is_ours(request_rec *r)
{
    const provauth_dir_conf_t *dconf;

    if (provauth_conn_get(r->connection) == NULL) {
        return 0;
    }
    if (provauth_server_conf(r->server)->accept_expired == 1) {
        return 1;
    }
    dconf = provauth_dir_conf(r);
    return dconf->has_provider || provauth_dir_conf_is_set(dconf);
}

/* The variables before authorization, once the request's section is
 * known and its client certificate final (mod_ssl's access check, which
 * may renegotiate for one, has run): also where mod_authz_core never asks
 * a provauth line (a <RequireAny> granted by another line, a <RequireAll>
 * refused by another), and in place of what modules that run earlier put
 * under these names (SetEnvIf, mod_rewrite in server context).  Never
 * refuses anything itself. */
int provauth_access_checker(request_rec *r)
{
    if (provauth_dir_conf(r)->has_provider) {
        keep_out_of_cache(r);   /* also when another line decides */
    }
    if (ap_get_module_config(r->request_config, &provauth_module) == NULL
        && section_is_ours(r)) {
        request_state(r);
    }
    return DECLINED;
}

/* A provauth-mac grant holds for the target the request had then.  A
 * RewriteRule of the section runs in the fixups, after authorization, and
 * may map the request elsewhere without an internal redirect that would
 * be authorized again ([P] to a back end): a changed target is decided
 * again, as the line would have decided it. */
static int served_target_again(request_rec *r, provauth_request_t *state)
{
    const provauth_require_t *require = state->mac_grant;
    provauth_facts_t facts;
    const char *reason = NULL;

    if (require == NULL || r->filename == state->mac_grant_file
        || (r->filename != NULL && state->mac_grant_file != NULL
            && strcmp(r->filename, state->mac_grant_file) == 0)) {
        return DECLINED;   /* the usual case: the same target */
    }
    request_facts(state, &facts);
    facts.url_path = mapped_path(r);
    facts.served_file = served_file(r);
    switch (provauth_decide(&facts, require->requirement, &reason, r->pool)) {
    case PROVAUTH_DECISION_GRANT:
        state->mac_grant_file = r->filename;
        return DECLINED;
    case PROVAUTH_DECISION_DENY:
        /* under ProvAuthReportOnly reported, and served */
        return refuse(r, state, state->mac_grant_provider, require, reason)
               == AUTHZ_GRANTED ? DECLINED : HTTP_FORBIDDEN;
    default:
        provauth_internal_error(r, state, state->mac_grant_provider,
                       reason ? reason : "undecided");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
}

/* Requests whose access checks httpd skipped (sub-requests, internal
 * redirects with their parent's configuration) get their variables here;
 * granted ones, their target checked again. */
int provauth_fixups(request_rec *r)
{
    provauth_request_t *state = ap_get_module_config(r->request_config,
                                                     &provauth_module);

    /* Fixups run only once authorization granted: a provider's noted
     * denial was overridden, and a later 403 (say, from the handler) is
     * not ours to explain. */
    if (state != NULL) {
        state->denied_by = NULL;
        return served_target_again(r, state);   /* its variables are set already */
    }
    if (section_is_ours(r)) {
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
