/* mod_provauth.c: httpd glue for device-certificate authentication of
 * provisioning clients: directives, mod_ssl hooks, authz providers, variables.
 *
 * Licensed under the Apache License, Version 2.0 (see LICENSE). */
#include <time.h>

#include <apr_allocator.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_auth.h"
#include "mod_ssl_openssl.h"

#include "provauth_allowlist.h"
#include "provauth_handshake.h"
#include "provauth_log.h"
#include "provauth_mac.h"
#include "provauth_verify.h"

module AP_MODULE_DECLARE_DATA provauth_module;

#define PROVAUTH_UNSET (-1)

/* Directive and provider names, spelled once. */
#define DIR_ACCEPT_EXPIRED   "ProvAuthAcceptExpired"
#define DIR_CA_FILE          "ProvAuthCACertificateFile"
#define DIR_INTERMEDIATE     "ProvAuthIntermediateFile"
#define DIR_CRL_FILE         "ProvAuthCRLFile"
#define DIR_MAC_FROM         "ProvAuthMACFrom"
#define PROVIDER_DEVICE      "provauth-device"
#define PROVIDER_MAC         "provauth-mac"
#define PROVIDER_ALLOWLIST   "provauth-allowlist"

/* pconf userdata keys */
#define KEY_FIRST_USE        "mod_provauth:first-use"
#define KEY_LOADED_FILES     "mod_provauth:loaded-files"
#define KEY_SERVERS_IN_USE   "mod_provauth:servers-in-use"

/* ---------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------ */

typedef struct {
    int accept_expired;          /* PROVAUTH_UNSET, 0 or 1 */
    X509_STORE *ssl_anchors;     /* mod_ssl's client CA store for this vhost,
                                  * set by init_server; not merged */
} provauth_server_conf_t;

/* Each file directive keeps its path (for messages) beside what was loaded. */
typedef struct {
    const char *ca_file;                  /* NULL: unset */
    X509_STORE *anchors;
    const char *intermediate_file;        /* NULL: unset */
    STACK_OF(X509) *intermediates;
    const char *crl_file;                 /* NULL: unset */
    STACK_OF(X509_CRL) *crls;
    const provauth_mac_rule_t *mac_rule;  /* NULL: unset (CN is the MAC) */
} provauth_dir_conf_t;

static void *create_server_conf(apr_pool_t *p, server_rec *s)
{
    provauth_server_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    (void)s;
    conf->accept_expired = PROVAUTH_UNSET;
    return conf;
}

static void *merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    const provauth_server_conf_t *base = basev, *add = addv;
    provauth_server_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    conf->accept_expired = (add->accept_expired != PROVAUTH_UNSET)
                           ? add->accept_expired : base->accept_expired;
    return conf;
}

static void *create_dir_conf(apr_pool_t *p, char *dir)
{
    (void)dir;
    return apr_pcalloc(p, sizeof(provauth_dir_conf_t));
}

static void *merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    const provauth_dir_conf_t *base = basev, *add = addv;
    provauth_dir_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    /* Each file with what it loaded: a pair is inherited or replaced whole. */
    *conf = *base;
    if (add->ca_file) {
        conf->ca_file = add->ca_file;
        conf->anchors = add->anchors;
    }
    if (add->intermediate_file) {
        conf->intermediate_file = add->intermediate_file;
        conf->intermediates = add->intermediates;
    }
    if (add->crl_file) {
        conf->crl_file = add->crl_file;
        conf->crls = add->crls;
    }
    if (add->mac_rule) {
        conf->mac_rule = add->mac_rule;
    }
    return conf;
}

static provauth_server_conf_t *server_conf_get(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &provauth_module);
}

static provauth_dir_conf_t *dir_conf_get(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &provauth_module);
}

/* The directory defaults of a virtual host (its top-level directives). */
static provauth_dir_conf_t *vhost_dir_conf_get(const server_rec *s)
{
    return ap_get_module_config(s->lookup_defaults, &provauth_module);
}

/* Servers are told apart by address (the hash keeps its key's memory). */
static const char *server_key(const server_rec *s, apr_pool_t *p)
{
    return apr_psprintf(p, "%pp", (const void *)s);
}

/* Is the module configured for this server, or for the main server whose
 * directory settings every virtual host inherits? */
static int server_uses_module(server_rec *s, apr_pool_t *pconf)
{
    apr_hash_t *servers = NULL;

    apr_pool_userdata_get((void **)&servers, KEY_SERVERS_IN_USE, pconf);
    return servers != NULL
        && (apr_hash_get(servers, server_key(s, pconf), APR_HASH_KEY_STRING) != NULL
            || apr_hash_get(servers, server_key(ap_server_conf, pconf),
                            APR_HASH_KEY_STRING) != NULL);
}

static int dir_conf_is_set(const provauth_dir_conf_t *conf)
{
    return conf->ca_file || conf->intermediate_file || conf->crl_file
        || conf->mac_rule;
}

/* Remember that the module is used by this server, and where it was first
 * configured, so that check_config can name it when mod_ssl is missing. */
static void note_first_use(cmd_parms *cmd, const char *what)
{
    void *seen = NULL;

    apr_hash_t *servers = NULL;

    if (cmd->pool != cmd->server->process->pconf) {
        return; /* .htaccess, at request time: nothing to note */
    }
    /* Our server config may not exist yet in a vhost that only has our
     * Require lines, so the servers using us are noted apart. */
    apr_pool_userdata_get((void **)&servers, KEY_SERVERS_IN_USE, cmd->pool);
    if (servers == NULL) {
        servers = apr_hash_make(cmd->pool);
        apr_pool_userdata_set(servers, KEY_SERVERS_IN_USE, apr_pool_cleanup_null,
                              cmd->pool);
    }
    apr_hash_set(servers, server_key(cmd->server, cmd->pool), APR_HASH_KEY_STRING,
                 cmd->server);

    apr_pool_userdata_get(&seen, KEY_FIRST_USE, cmd->pool);
    if (seen == NULL && cmd->directive != NULL) {
        apr_pool_userdata_set(apr_psprintf(cmd->pool, "%s (%s:%d)", what,
                                           cmd->directive->filename,
                                           cmd->directive->line_num),
                              KEY_FIRST_USE, apr_pool_cleanup_null, cmd->pool);
    }
}

/* What a file directive loads: one loader per kind of file. */
typedef apr_status_t (*file_loader_fn)(void **object, const char *path,
                                       apr_pool_t *p, const char **why);

static apr_status_t load_anchors(void **object, const char *path, apr_pool_t *p,
                                 const char **why)
{
    X509_STORE *anchors = NULL;
    apr_status_t rv = provauth_load_anchors(&anchors, path, p, why);

    *object = anchors;
    return rv;
}

static apr_status_t load_certs(void **object, const char *path, apr_pool_t *p,
                               const char **why)
{
    STACK_OF(X509) *certs = NULL;
    apr_status_t rv = provauth_load_certs(&certs, path, p, why);

    *object = certs;
    return rv;
}

static apr_status_t load_crls(void **object, const char *path, apr_pool_t *p,
                              const char **why)
{
    STACK_OF(X509_CRL) *crls = NULL;
    apr_status_t rv = provauth_load_crls(&crls, path, p, why);

    if (rv == APR_SUCCESS) {
        const char *stale = provauth_crls_first_stale(crls, time(NULL), p);
        if (stale != NULL) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, NULL,
                         PROVAUTH_LOGNO(00004) "%s: '%s': the CRL of %s is past its "
                         "nextUpdate; it is still applied (revocation does not "
                         "expire), but fetch a current one from the vendor",
                         DIR_CRL_FILE, path, stale);
        }
    }
    *object = crls;
    return rv;
}

static apr_status_t load_allowlist(void **object, const char *path, apr_pool_t *p,
                                   const char **why)
{
    provauth_allowlist_t *list = NULL;
    apr_status_t rv = provauth_allowlist_load(&list, path, p, why);

    *object = list;
    return rv;
}

/* Load a file named in the configuration, once per configuration
 * generation however many sections name it: equal paths share objects
 * (and so per-connection results).  Errors name what (the directive) and
 * the file.  Never at request time: loading is startup work. */
static const char *load_file_once(cmd_parms *cmd, const char *what, const char *arg,
                                  file_loader_fn load, const char **path,
                                  void **object)
{
    apr_hash_t *loaded = NULL;
    const char *key, *why = NULL;

    if (cmd->pool != cmd->server->process->pconf) { /* parsing .htaccess */
        return apr_psprintf(cmd->pool, "%s cannot be used in .htaccess files", what);
    }
    *path = ap_server_root_relative(cmd->pool, arg);
    if (*path == NULL) {
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'", what, arg);
    }
    apr_pool_userdata_get((void **)&loaded, KEY_LOADED_FILES, cmd->pool);
    if (loaded == NULL) {
        loaded = apr_hash_make(cmd->pool);
        apr_pool_userdata_set(loaded, KEY_LOADED_FILES, apr_pool_cleanup_null,
                              cmd->pool);
    }
    key = apr_pstrcat(cmd->pool, what, ":", *path, NULL);
    *object = apr_hash_get(loaded, key, APR_HASH_KEY_STRING);
    if (*object == NULL) {
        if (load(object, *path, cmd->pool, &why) != APR_SUCCESS) {
            return apr_psprintf(cmd->pool, "%s: %s", what, why);
        }
        apr_hash_set(loaded, key, APR_HASH_KEY_STRING, *object);
    }
    note_first_use(cmd, what);
    return NULL;
}

static const char *set_accept_expired(cmd_parms *cmd, void *dconf, int on)
{
    provauth_server_conf_t *conf = server_conf_get(cmd->server);

    (void)dconf;
    note_first_use(cmd, DIR_ACCEPT_EXPIRED);
    conf->accept_expired = on ? 1 : 0;
    return NULL;
}

static const char *set_ca_file(cmd_parms *cmd, void *dconf, const char *arg)
{
    provauth_dir_conf_t *conf = dconf;
    void *anchors = NULL;
    const char *err = load_file_once(cmd, DIR_CA_FILE, arg, load_anchors,
                                     &conf->ca_file, &anchors);

    conf->anchors = anchors;
    return err;
}

static const char *set_intermediate_file(cmd_parms *cmd, void *dconf,
                                         const char *arg)
{
    provauth_dir_conf_t *conf = dconf;
    void *intermediates = NULL;
    const char *err = load_file_once(cmd, DIR_INTERMEDIATE, arg, load_certs,
                                     &conf->intermediate_file, &intermediates);

    conf->intermediates = intermediates;
    return err;
}

static const char *set_crl_file(cmd_parms *cmd, void *dconf, const char *arg)
{
    provauth_dir_conf_t *conf = dconf;
    void *crls = NULL;
    const char *err = load_file_once(cmd, DIR_CRL_FILE, arg, load_crls,
                                     &conf->crl_file, &crls);

    conf->crls = crls;
    return err;
}

static const char *set_mac_from(cmd_parms *cmd, void *dconf, const char *attribute,
                                const char *pattern)
{
    provauth_dir_conf_t *conf = dconf;
    provauth_mac_rule_t *rule = NULL;
    const char *why = NULL;

    note_first_use(cmd, DIR_MAC_FROM);
    if (provauth_mac_rule_make(&rule, attribute, pattern, cmd->pool, &why)
        != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, why);
    }
    conf->mac_rule = rule;
    return NULL;
}

static const command_rec provauth_cmds[] = {
    AP_INIT_FLAG(DIR_ACCEPT_EXPIRED, set_accept_expired, NULL, RSRC_CONF,
                 "On: let client certificates whose only fault is their validity "
                 "period complete the TLS handshake (default Off)"),
    AP_INIT_TAKE1(DIR_CA_FILE, set_ca_file, NULL, RSRC_CONF | ACCESS_CONF,
                  "PEM file of trust anchors for re-validating device certificates "
                  "(default: the virtual host's SSLCACertificateFile/Path)"),
    AP_INIT_TAKE1(DIR_INTERMEDIATE, set_intermediate_file, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "PEM file of untrusted intermediate CA certificates for chain "
                  "building"),
    AP_INIT_TAKE1(DIR_CRL_FILE, set_crl_file, NULL, RSRC_CONF | ACCESS_CONF,
                  "PEM file of CRLs checked against device certificates"),
    AP_INIT_TAKE12(DIR_MAC_FROM, set_mac_from, NULL, RSRC_CONF | ACCESS_CONF,
                   "certificate subject attribute carrying the device MAC, and an "
                   "optional regex whose first group is the MAC (default: CN)"),
    { NULL }
};

/* ---------------------------------------------------------------------
 * Connection state and per-connection verdict cache
 * ------------------------------------------------------------------ */

/* The device MAC a leaf yields by one ProvAuthMACFrom rule. */
typedef struct provauth_cached_mac {
    struct provauth_cached_mac *next;
    const provauth_mac_rule_t *rule;
    int has_mac;
    provauth_mac_t mac;
    const char *no_mac_reason;            /* why not, when !has_mac */
} provauth_cached_mac_t;

typedef struct provauth_cached_verdict {
    struct provauth_cached_verdict *next;
    const X509 *leaf;                     /* peer certificate it is about */
    provauth_trust_t trust;               /* trust configuration it holds for */
    apr_status_t rv;
    provauth_verdict_t verdict;
    provauth_cached_mac_t *macs;          /* by rule, for this leaf */
} provauth_cached_verdict_t;

typedef struct {
    SSL *ssl;
    provauth_handshake_record_t handshake;   /* what the handshake verified */
    apr_pool_t *pool;              /* verdicts, allocated under lock */
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;      /* HTTP/2 streams share this connection */
#endif
    provauth_cached_verdict_t *verdicts;
} provauth_conn_t;

/* The TLS state of a request's connection: HTTP/2 streams run on secondary
 * connections whose TLS lives on the primary one. */
static provauth_conn_t *conn_get(conn_rec *c)
{
    while (c->master) {
        c = c->master;
    }
    return ap_get_module_config(c->conn_config, &provauth_module);
}

static int trust_equal(const provauth_trust_t *a, const provauth_trust_t *b)
{
    return a->anchors == b->anchors && a->intermediates == b->intermediates
        && a->crls == b->crls && a->missing_crl_ok == b->missing_crl_ok;
}

/* May the handshake's verification stand in for re-validation?  Only when
 * our observer saw it verify this very leaf with no error but forgiven
 * time errors (never mod_ssl's verify result, which optional_no_ca and
 * per-request resets make worthless as proof), to an anchor this
 * directory trusts, with no extra CRLs of ours.  Saves the signature
 * checks on every new connection in the common setups. */
static int handshake_verdict_applies(const provauth_conn_t *conn, const X509 *leaf,
                                     const provauth_trust_t *trust)
{
    STACK_OF(X509) *chain = SSL_get0_verified_chain(conn->ssl);

    if (leaf == NULL || trust->crls != NULL || chain == NULL || sk_X509_num(chain) < 1
        || !provauth_handshake_verified_cleanly(&conn->handshake, leaf)) {
        return 0;
    }
    /* The very store of the handshake, or a directory's own anchors that
     * hold the root this chain ended at (vendor pinning): the same chain
     * verifies against them, for the same purpose. */
    return trust->anchors == SSL_CTX_get_cert_store(SSL_get_SSL_CTX(conn->ssl))
        || provauth_anchors_contain(trust->anchors,
                                    sk_X509_value(chain, sk_X509_num(chain) - 1));
}

static apr_status_t release_cert(void *cert)
{
    X509_free(cert);
    return APR_SUCCESS;
}

/* The leaf's MAC by rule, extracted once per connection (under the lock). */
static const provauth_cached_mac_t *cached_mac(provauth_conn_t *conn,
                                               provauth_cached_verdict_t *cached,
                                               const provauth_mac_rule_t *rule)
{
    provauth_cached_mac_t *entry;

    for (entry = cached->macs; entry; entry = entry->next) {
        if (entry->rule == rule) {
            return entry;
        }
    }
    entry = apr_pcalloc(conn->pool, sizeof(*entry));
    entry->rule = rule;
    entry->has_mac = provauth_mac_from_cert(cached->leaf, rule, &entry->mac,
                                            &entry->no_mac_reason, conn->pool);
    entry->next = cached->macs;
    cached->macs = entry;
    return entry;
}

/* Verify once per connection and trust configuration, and read the MAC
 * once per connection and rule; keep-alive requests and HTTP/2 streams
 * reuse the results.  *mac is set when the verdict has a leaf. */
static const provauth_cached_verdict_t *conn_verdict(provauth_conn_t *conn,
                                                     const provauth_trust_t *trust,
                                                     const provauth_mac_rule_t *rule,
                                                     const provauth_cached_mac_t **mac)
{
    provauth_cached_verdict_t *cached;
    X509 *leaf;

    *mac = NULL;
#if APR_HAS_THREADS
    if (apr_thread_mutex_lock(conn->lock) != APR_SUCCESS) {
        return NULL;
    }
#endif
    leaf = SSL_get0_peer_certificate(conn->ssl);
    for (cached = conn->verdicts; cached; cached = cached->next) {
        if (cached->leaf == leaf && trust_equal(&cached->trust, trust)) {
            goto leave;
        }
    }
    cached = apr_pcalloc(conn->pool, sizeof(*cached));
    if (leaf != NULL && X509_up_ref(leaf)) {
        /* Held so that a renegotiated peer certificate cannot reuse the
         * address this entry is keyed by. */
        apr_pool_cleanup_register(conn->pool, leaf, release_cert,
                                  apr_pool_cleanup_null);
    }
    cached->leaf = leaf;
    cached->trust = *trust;
    if (handshake_verdict_applies(conn, leaf, trust)) {
        cached->rv = provauth_classify_verified_chain(
            &cached->verdict, leaf, SSL_get0_verified_chain(conn->ssl), time(NULL),
            conn->pool);
    }
    else {
        cached->rv = provauth_verify_chain(&cached->verdict, trust, leaf,
                                           SSL_get_peer_cert_chain(conn->ssl),
                                           time(NULL), conn->pool);
    }
    if (cached->rv == APR_SUCCESS) {
        /* An internal error denies this request only; the next one retries. */
        cached->next = conn->verdicts;
        conn->verdicts = cached;
    }

leave:
    if (cached->rv == APR_SUCCESS && cached->leaf != NULL) {
        *mac = cached_mac(conn, cached, rule);
    }
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(conn->lock);
#endif
    return cached;
}

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

    conn = conn_get(r->connection);
    if (conn == NULL) {
        state->denial_reason = "not a TLS connection";
        goto done;
    }
    sconf = server_conf_get(r->server);
    dconf = dir_conf_get(r);
    trust.anchors = dconf->anchors ? dconf->anchors : sconf->ssl_anchors;
    trust.intermediates = dconf->intermediates;
    trust.crls = dconf->crls;
    /* mod_ssl's own CRL settings come with its store; the handshake has
     * applied its no_crl_for_cert_ok already. */
    trust.missing_crl_ok = (dconf->anchors == NULL && dconf->crls == NULL);

    cached = conn_verdict(conn, &trust,
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
static int provauth_log_denial(request_rec *r)
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
    note_first_use(cmd, "Require " PROVIDER_DEVICE);
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
    note_first_use(cmd, "Require " PROVIDER_MAC);
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
        note_denial(r, state, PROVIDER_MAC,
                   apr_psprintf(r->pool, "MAC %s is not in the requested %s",
                                state->mac.hex, whole_path ? "path" : "file name"));
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
    void *list = NULL;
    const char *path = NULL, *err;

    if (*word == '\0' || *require_line != '\0') {
        return "Require " PROVIDER_ALLOWLIST " takes one file name";
    }
    /* Lists can be large: loaded once at startup, never per request (so not
     * from .htaccess files either). */
    err = load_file_once(cmd, "Require " PROVIDER_ALLOWLIST, word, load_allowlist,
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

/* ---------------------------------------------------------------------
 * Hooks
 * ------------------------------------------------------------------ */

/* Variables for applications and logs also where no provauth Require ran. */
static int provauth_fixups(request_rec *r)
{
    const provauth_server_conf_t *sconf = server_conf_get(r->server);
    provauth_request_t *state = ap_get_module_config(r->request_config,
                                                     &provauth_module);

    /* Fixups run only once authorization granted: a provider's noted
     * denial was overridden, and a later 403 (say, from the handler) is
     * not ours to explain. */
    if (state != NULL) {
        state->denied_by = NULL;
    }

    if (conn_get(r->connection) != NULL
        && (sconf->accept_expired == 1 || dir_conf_is_set(dir_conf_get(r)))) {
        request_state(r);
    }
    return DECLINED;
}

static int provauth_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp, server_rec *s)
{
    const char *first_use = NULL;

    (void)plog;
    (void)ptemp;
    apr_pool_userdata_get((void **)&first_use, KEY_FIRST_USE, pconf);
    if (first_use != NULL && ap_find_linked_module("mod_ssl.c") == NULL) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, PROVAUTH_LOGNO(00001)
                     "%s is configured but mod_ssl is not loaded: "
                     "load it first (a2enmod ssl, or LoadModule ssl_module)",
                     first_use);
        return !OK;
    }
    return OK;
}

static apr_status_t release_store(void *store)
{
    X509_STORE_free(store);
    return APR_SUCCESS;
}

/* "host (file:line)" of a virtual host, for startup messages. */
static const char *vhost_name(const server_rec *s, apr_pool_t *p)
{
    return apr_psprintf(p, "%s (%s:%u)", s->server_hostname,
                        s->defn_name ? s->defn_name : "?", s->defn_line_number);
}

static int provauth_init_server(server_rec *s, apr_pool_t *p, int is_proxy,
                                SSL_CTX *ctx)
{
    provauth_server_conf_t *sconf = server_conf_get(s);
    const provauth_dir_conf_t *vhost_dconf = vhost_dir_conf_get(s);
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

    policy = apr_pcalloc(p, sizeof(*policy));
    policy->accept_time_errors = (sconf->accept_expired == 1);
    policy->intermediates = vhost_dconf->intermediates;
    policy->inner_verify = SSL_CTX_get_verify_callback(ctx);
    if (policy->intermediates == NULL && server_uses_module(s, s->process->pconf)
        && ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, PROVAUTH_LOGNO(00005)
                     "the virtual host %s has no " DIR_INTERMEDIATE ": a "
                     "resumed TLS session does not carry the intermediate CAs a "
                     "phone sent, so such phones are refused after resumption "
                     "unless their intermediates are configured", vhost_name(s, p));
    }
    /* httpd configures twice at startup: warn once, on the pass that runs. */
    if (policy->accept_time_errors
        && SSL_CTX_get_verify_mode(ctx) == SSL_VERIFY_NONE
        && ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, PROVAUTH_LOGNO(00003)
                     DIR_ACCEPT_EXPIRED " On for the virtual host %s has "
                     "no effect on the handshake: SSLVerifyClient is not set for "
                     "the virtual host (per-directory SSLVerifyClient is handled "
                     "by mod_ssl alone)", vhost_name(s, p));
    }
    rv = provauth_handshake_attach(ctx, policy);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, PROVAUTH_LOGNO(00002)
                     "cannot attach to the TLS context of the virtual host %s",
                     vhost_name(s, p));
        return rv;
    }
    return OK;
}

static apr_status_t release_handshake_record(void *record)
{
    provauth_handshake_record_release(record);
    return APR_SUCCESS;
}

static int provauth_pre_handshake(conn_rec *c, SSL *ssl, int is_proxy)
{
    provauth_conn_t *conn;
    apr_allocator_t *allocator;

    if (is_proxy) {
        return OK;
    }
    conn = apr_pcalloc(c->pool, sizeof(*conn));
    conn->ssl = ssl;
    /* HTTP/2 streams allocate verdicts from worker threads while the
     * connection's own thread uses c->pool's allocator, which the event MPM
     * creates without a mutex: our pool gets an allocator of its own, used
     * only under conn->lock. */
    if (apr_allocator_create(&allocator) != APR_SUCCESS) {
        return OK; /* no state: every provauth requirement denies */
    }
    if (apr_pool_create_ex(&conn->pool, c->pool, NULL, allocator) != APR_SUCCESS) {
        apr_allocator_destroy(allocator);
        return OK;
    }
    apr_allocator_owner_set(allocator, conn->pool);
    provauth_handshake_track(ssl, &conn->handshake);
    apr_pool_cleanup_register(c->pool, &conn->handshake, release_handshake_record,
                              apr_pool_cleanup_null);
    apr_pool_tag(conn->pool, "mod_provauth_conn");
#if APR_HAS_THREADS
    if (apr_thread_mutex_create(&conn->lock, APR_THREAD_MUTEX_DEFAULT, c->pool)
        != APR_SUCCESS) {
        return OK;
    }
#endif
    ap_set_module_config(c->conn_config, &provauth_module, conn);
    return OK;
}

static void register_hooks(apr_pool_t *p)
{
    ap_hook_check_config(provauth_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_fixups(provauth_fixups, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_log_transaction(provauth_log_denial, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ssl, init_server, provauth_init_server, NULL, NULL,
                      APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ssl, pre_handshake, provauth_pre_handshake, NULL, NULL,
                      APR_HOOK_MIDDLE);
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

AP_DECLARE_MODULE(provauth) = {
    STANDARD20_MODULE_STUFF,
    create_dir_conf,
    merge_dir_conf,
    create_server_conf,
    merge_server_conf,
    provauth_cmds,
    register_hooks,
    AP_MODULE_FLAG_NONE
};
