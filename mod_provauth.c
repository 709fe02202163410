/* mod_provauth.c: the module record and its hooks: mod_ssl's init_server
 * (attach to each TLS context) and the startup checks.  Directives live in
 * mod_provauth_config.c, the connection cache in mod_provauth_conn.c, the
 * authz providers in mod_provauth_authz.c.  Also the small helpers all glue
 * files share (a server's name for messages, pool-kept state).
 *
 * Licensed under the Apache License, Version 2.0 (see LICENSE). */
#include <apr_strings.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_ssl_openssl.h"

#include "provauth_handshake.h"
#include "provauth_log.h"

#include "mod_provauth_private.h"

static int provauth_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp, server_rec *s)
{
    const char *first_use = provauth_first_use(pconf);

    (void)plog;
    (void)ptemp;
    if (first_use != NULL && ap_find_linked_module("mod_ssl.c") == NULL) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, PROVAUTH_LOGNO(00001)
                     "%s is configured but mod_ssl is not loaded: "
                     "load it first (a2enmod ssl, or LoadModule ssl_module)",
                     first_use);
        return !OK;
    }
    return OK;
}

/* Configuration warnings: under `apachectl -t` now, at a start or restart
 * once the error log is open (the pass that runs, as for PA00020). */
static void provauth_test_config(apr_pool_t *pconf, server_rec *s)
{
    apr_pool_t *ptemp;

    provauth_log_config_warnings(pconf, s);
    if (apr_pool_create(&ptemp, pconf) == APR_SUCCESS) {
        provauth_check_servers(pconf, ptemp, s);
        apr_pool_destroy(ptemp);
    }
}

static apr_status_t release_store(void *store)
{
    X509_STORE_free(store);
    return APR_SUCCESS;
}

const char *provauth_server_name(const server_rec *s, apr_pool_t *p)
{
    const char *name = s->server_hostname;

    if (name == NULL && s->addrs != NULL) {
        name = s->addrs->virthost;
    }
    if (name == NULL) {
        name = "?";
    }
    if (!s->is_virtual) {
        return name; /* it has no <VirtualHost> line to name */
    }
    return apr_psprintf(p, "%s (%s:%u)", name, s->defn_name ? s->defn_name : "?",
                        s->defn_line_number);
}

apr_hash_t *provauth_pool_hash(apr_pool_t *p, const char *key)
{
    void *kept = NULL;

    apr_pool_userdata_get(&kept, key, p);
    if (kept == NULL) {
        kept = apr_hash_make(p);
        apr_pool_userdata_set(kept, key, apr_pool_cleanup_null, p);
    }
    return kept;
}

apr_array_header_t *provauth_pool_array(apr_pool_t *p, const char *key, int elt_size)
{
    void *kept = NULL;

    apr_pool_userdata_get(&kept, key, p);
    if (kept == NULL) {
        kept = apr_array_make(p, 4, elt_size);
        apr_pool_userdata_set(kept, key, apr_pool_cleanup_null, p);
    }
    return kept;
}

/* OpenSSL ex_data indices: once per process, however often httpd reloads
 * this module (on every restart), so that per-connection arrays do not grow
 * with the number of restarts.  Runs before mod_ssl's post_config, which
 * calls provauth_init_server.  Also logs the configuration warnings. */
static int provauth_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp, server_rec *s)
{
    const provauth_handshake_indices_t *indices = NULL;
    apr_status_t rv = provauth_handshake_init(s->process->pool, &indices);
    server_rec *server;

    (void)plog;
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, PROVAUTH_LOGNO(00016)
                     "cannot allocate OpenSSL ex_data indices");
        return !OK;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, PROVAUTH_LOGNO(00015)
                 "OpenSSL ex_data indices: SSL_CTX %d, X509_STORE_CTX %d, SSL %d",
                 indices->policy, indices->observer, indices->record);
    /* Device files are kept out of mod_cache only where it is loaded:
     * r->no_cache also makes httpd add an Expires header to every answer. */
    for (server = s; server != NULL; server = server->next) {
        provauth_server_conf(server)->mod_cache_loaded
            = ap_find_linked_module("mod_cache.c") != NULL;
    }
    /* Configuration warnings, once the error log is open (the pass that
     * runs, as for PA00020); under `apachectl -t` test_config logs them. */
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
        provauth_log_config_warnings(pconf, s);
        provauth_check_servers(pconf, ptemp, s);
    }
    return OK;
}

static int provauth_init_server(server_rec *s, apr_pool_t *p, int is_proxy,
                                SSL_CTX *ctx)
{
    provauth_server_conf_t *sconf = provauth_server_conf(s);
    const provauth_dir_conf_t *vhost_dconf = provauth_vhost_dir_conf(s);
    provauth_vhost_policy_t *vhost_policy;
    provauth_handshake_t *policy;
    X509_STORE *store;
    apr_status_t rv;

    if (is_proxy) {
        return OK; /* backend connections are not ours */
    }
    /* Default trust anchors for re-validation: mod_ssl's for this vhost. */
    store = SSL_CTX_get_cert_store(ctx);
    if (store != NULL && X509_STORE_up_ref(store)) {
        sconf->ssl_anchors = store;
        apr_pool_cleanup_register(p, store, release_store, apr_pool_cleanup_null);
    }

    /* The policy knows its server, for the line about refused phones. */
    vhost_policy = apr_pcalloc(p, sizeof(*vhost_policy));
    vhost_policy->server = s;
    vhost_policy->log_time_refusals = (sconf->accept_expired != 1
                                       && provauth_server_uses_module(s, s->process->pconf));
    policy = &vhost_policy->policy;
    policy->accept_time_errors = (sconf->accept_expired == 1);
    policy->intermediates = vhost_dconf->intermediates;
    policy->inner_verify = SSL_CTX_get_verify_callback(ctx);
    policy->vhost_name = provauth_server_name(s, p);
    policy->pinned = sconf->pinned;
    /* PA00003 and PA00005, about this context's settings, come from
     * provauth_check_servers (also under apachectl -t). */
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
        provauth_warn_cas_without_crl(s, p);
    }
    /* Normally done in provauth_post_config already; cheap and idempotent. */
    rv = provauth_handshake_init(s->process->pool, NULL);
    if (rv == APR_SUCCESS) {
        rv = provauth_handshake_attach(ctx, policy);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, PROVAUTH_LOGNO(00002)
                     "cannot attach to the TLS context of %s",
                     provauth_describe_server(s, p));
        return rv;
    }
    return OK;
}

static void register_hooks(apr_pool_t *p)
{
    static const char *const before_ssl[] = { "mod_ssl.c", NULL };
    static const char *const after_ssl[] = { "mod_ssl.c", NULL };

    ap_hook_check_config(provauth_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_test_config(provauth_test_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(provauth_post_config, NULL, before_ssl, APR_HOOK_MIDDLE);
    /* After mod_ssl's own SNI/Host check (AH02032). */
    ap_hook_post_read_request(provauth_conn_check_vhost, after_ssl, NULL,
                              APR_HOOK_MIDDLE);
    /* Before mod_rewrite's and mod_dir's fixups act on the request. */
    ap_hook_fixups(provauth_subreq_fixups, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_fixups(provauth_fixups, NULL, NULL, APR_HOOK_MIDDLE);
    /* After mod_setenvif (header_parser), whose values under our names are
     * replaced, and after mod_ssl's access check (middle), which may
     * renegotiate for a client certificate; before authorization. */
    ap_hook_check_access(provauth_access_checker, NULL, NULL, APR_HOOK_REALLY_LAST,
                         AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_log_transaction(provauth_log_transaction, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ssl, init_server, provauth_init_server, NULL, NULL,
                      APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ssl, pre_handshake, provauth_conn_pre_handshake, NULL, NULL,
                      APR_HOOK_MIDDLE);
    provauth_authz_register(p);
    provauth_registry_register_hooks(p);
    provauth_status_register_hooks(p);
}

AP_DECLARE_MODULE(provauth) = {
    STANDARD20_MODULE_STUFF,
    provauth_create_dir_conf,
    provauth_merge_dir_conf,
    provauth_create_server_conf,
    provauth_merge_server_conf,
    provauth_cmds,
    register_hooks,
    AP_MODULE_FLAG_NONE
};