/* mod_provauth_private.h: what the httpd glue files share (not installed):
 * configuration types, the connection cache and the request decision.
 * The pure provauth_*.h headers never include this one. */
#ifndef MOD_PROVAUTH_PRIVATE_H
#define MOD_PROVAUTH_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "mod_auth.h"

#include <openssl/ssl.h>

#include "provauth_handshake.h"
#include "provauth_mac.h"
#include "provauth_registry.h"
#include "provauth_verify.h"

extern module AP_MODULE_DECLARE_DATA provauth_module;

#define PROVAUTH_UNSET (-1)

/* Directive and provider names, spelled once. */
#define DIR_ACCEPT_EXPIRED   "ProvAuthAcceptExpired"
#define DIR_CA_FILE          "ProvAuthCACertificateFile"
#define DIR_INTERMEDIATE     "ProvAuthIntermediateFile"
#define DIR_CRL_FILE         "ProvAuthCRLFile"
#define DIR_MAC_FROM         "ProvAuthMACFrom"
#define DIR_PINNED_FILE      "ProvAuthPinnedDeviceFile"
#define DIR_CRL_CHECK        "ProvAuthCRLCheck"
#define DIR_REPORT_ONLY      "ProvAuthReportOnly"
#define PROVIDER_DEVICE      "provauth-device"
#define PROVIDER_MAC         "provauth-mac"
#define PROVIDER_ALLOWLIST   "provauth-allowlist"
#define DIR_DEVICE_REGISTRY  "ProvAuthDeviceRegistry"
#define HANDLER_STATUS       "provauth-status"

/* ---- configuration (mod_provauth_config.c) ---- */

struct ap_socache_provider_t;
struct ap_socache_instance_t;

typedef struct {
    int accept_expired;          /* PROVAUTH_UNSET, 0 or 1 */
    X509_STORE *ssl_anchors;     /* mod_ssl's client CA store for this vhost,
                                  * set by init_server; not merged */
    apr_array_header_t *pinned;  /* const provauth_pins_t * of every
                                  * ProvAuthPinnedDeviceFile in the server's
                                  * sections (a vhost's: with the main
                                  * server's), for the handshake; may be NULL */
    /* ProvAuthDeviceRegistry (main server only; not merged) */
    const char *registry_spec;   /* as configured, NULL: the default */
    int registry_off;            /* "none" */
    const struct ap_socache_provider_t *registry_provider;
    struct ap_socache_instance_t *registry_instance;
    int mod_cache_loaded;        /* set by post_config: keep device files out
                                  * of mod_cache (r->no_cache) */
} provauth_server_conf_t;

/* Each file directive keeps its path (for messages) beside what was loaded. */
typedef struct {
    int set;                              /* a directive of ours was read here:
                                           * 0 lets merge skip the section */
    const char *ca_file;                  /* NULL: unset */
    X509_STORE *anchors;
    const char *intermediate_file;        /* NULL: unset */
    STACK_OF(X509) *intermediates;
    const char *crl_file;                 /* NULL: unset */
    STACK_OF(X509_CRL) *crls;
    const provauth_mac_rule_t *mac_rule;  /* NULL: unset (CN is the MAC) */
    int has_provider;                     /* a Require provauth-* line applies here
                                           * (merged by OR: never lost) */
    const char *pin_file;                 /* NULL: unset */
    const struct provauth_pins *pins;
    provauth_crl_check_e crl_check;       /* PROVAUTH_CRL_CHECK_DEFAULT: unset */
    int crl_missing_ok;                   /* no_crl_for_cert_ok, with crl_check */
    int report_only;                      /* PROVAUTH_UNSET, 0 or 1 */
} provauth_dir_conf_t;

extern const command_rec provauth_cmds[];

void *provauth_create_server_conf(apr_pool_t *p, server_rec *s);
void *provauth_merge_server_conf(apr_pool_t *p, void *basev, void *addv);
void *provauth_create_dir_conf(apr_pool_t *p, char *dir);
void *provauth_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);

/* Every request reads them several times: inline, not a call each. */
static APR_INLINE provauth_server_conf_t *provauth_server_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &provauth_module);
}

static APR_INLINE provauth_dir_conf_t *provauth_dir_conf(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &provauth_module);
}
/* The directory defaults of a virtual host (its top-level directives). */
provauth_dir_conf_t *provauth_vhost_dir_conf(const server_rec *s);

/* Is any ProvAuth directory directive set in this configuration? */
int provauth_dir_conf_is_set(const provauth_dir_conf_t *conf);

/* Is the module configured for this server (or the main server)? */
int provauth_server_uses_module(server_rec *s, apr_pool_t *pconf);

/* Where the module was first configured ("what (file:line)"), or NULL. */
const char *provauth_first_use(apr_pool_t *pconf);

/* Note that cmd's server uses the module (for startup checks). */
void provauth_note_use(cmd_parms *cmd, const char *what);

/* Log the warnings found while reading the configuration (an allow-list
 * without entries, a single-valued directive repeated in one section):
 * from test_config under `apachectl -t`, from post_config otherwise. */
void provauth_log_config_warnings(apr_pool_t *pconf, server_rec *s);

/* Note, from a Require provauth-* line's parser, that the section being
 * read (cmd->context) holds one, so that sub-requests and internal
 * redirects under it are authorized again (mod_provauth_subreq.c). */
void provauth_note_provider_in_section(cmd_parms *cmd);

/* An allow-list file, loaded once per configuration however often named.
 * Returns an error message, or NULL with *path and *list set. */
const char *provauth_allowlist_load_once(cmd_parms *cmd, const char *what,
                                         const char *arg, const char **path,
                                         const void **list);

/* The trust configuration re-validation uses for a directory. */
void provauth_dir_trust(const provauth_server_conf_t *sconf,
                        const provauth_dir_conf_t *dconf, provauth_trust_t *trust);

/* ---- startup checks of the configured sections (mod_provauth_crl.c) ---- */

/* Warn (PA00061) once per CA that has no CRL where a section of s checks
 * CRLs strictly; call from init_server, once sconf->ssl_anchors is set. */
void provauth_warn_cas_without_crl(server_rec *s, apr_pool_t *p);

/* A warning about the configuration being read (the line of cmd), logged
 * with the others by provauth_log_config_warnings. */
void provauth_config_warning(cmd_parms *cmd, const char *message);

/* The first Require provauth-* line read in the sections of s itself (not
 * those it inherits): "Require provauth-device (file:line)", or NULL. */
const char *provauth_first_require(const server_rec *s, apr_pool_t *pconf);

/* ---- configuration checks (mod_provauth_checks.c) ---- */

/* "the virtual host NAME (file:line)" or "the main server NAME". */
const char *provauth_describe_server(const server_rec *s, apr_pool_t *p);

/* Warn about a trust file just loaded for cmd's directive: anchors that
 * lead to no root; intermediates that are roots or not CAs. */
void provauth_lint_anchors_file(cmd_parms *cmd, const char *path, X509_STORE *anchors);
void provauth_lint_intermediates_file(cmd_parms *cmd, const char *path,
                                      STACK_OF(X509) *intermediates);

/* Warn about each server whose mod_ssl settings, read from the
 * configuration tree, cannot serve phones as its mod_provauth settings
 * intend.  From test_config under `apachectl -t`, from post_config
 * otherwise (as provauth_log_config_warnings). */
void provauth_check_servers(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *main);

/* A virtual host's handshake policy (first, so that the policy a
 * handshake record names leads back to it), the virtual host, and whether
 * a phone it refuses for its dates alone is logged (PA00121). */
typedef struct {
    provauth_handshake_t policy;
    server_rec *server;
    int log_time_refusals;
} provauth_vhost_policy_t;

/* ---- per-connection verification cache (mod_provauth_conn.c) ---- */

/* The device MAC a leaf yields by one ProvAuthMACFrom rule. */
typedef struct provauth_cached_mac {
    struct provauth_cached_mac *next;
    const provauth_mac_rule_t *rule;
    int has_mac;
    provauth_mac_t mac;
    const char *no_mac_reason;            /* why not, when !has_mac */
    const apr_table_t *variables;         /* the PROVAUTH_* variables of this
                                           * verdict and MAC, for requests */
} provauth_cached_mac_t;

struct provauth_registry_pending;

typedef struct provauth_cached_verdict {
    struct provauth_cached_verdict *next;
    const X509 *leaf;                     /* peer certificate it is about */
    provauth_trust_t trust;               /* trust configuration it holds for */
    apr_status_t rv;
    provauth_verdict_t verdict;
    provauth_cached_mac_t *macs;          /* by rule, for this leaf */
    const provauth_mac_rule_t *pin_rule;  /* the rule pins were applied with
                                           * (trust.pins != NULL) */
    int pin_outcome;                      /* provauth_pin_outcome_e */
    const char *pin_line;                 /* for an enrollment candidate */
    struct provauth_registry_pending *pending;   /* requests not yet written
                                                 * to the device registry */
    const char *days_left_text;           /* verdict.days_left, for PROVAUTH_DAYS_LEFT */
} provauth_cached_verdict_t;

typedef struct provauth_conn provauth_conn_t;

/* The PROVAUTH_* variables a verdict and its MAC give every request, made
 * once per connection (mod_provauth_authz.c). */
const apr_table_t *provauth_verdict_variables(apr_pool_t *p,
                                              const provauth_cached_verdict_t *cached,
                                              const provauth_cached_mac_t *mac);

/* mod_ssl's pre_handshake hook: set up the connection's state. */
int provauth_conn_pre_handshake(conn_rec *c, SSL *ssl, int is_proxy);

/* The TLS state of a connection (the primary one for HTTP/2 streams), or
 * NULL when it is not a TLS connection of ours. */
provauth_conn_t *provauth_conn_get(conn_rec *c);

/* Did setting up the connection's state fail?  Its requests are then
 * internal errors. */
int provauth_conn_failed(const provauth_conn_t *conn);

/* The verdict for the connection's peer certificate under trust, computed
 * once per connection and trust; *mac is the leaf's MAC by rule.  NULL or
 * rv != APR_SUCCESS: internal error. */
const provauth_cached_verdict_t *provauth_conn_verdict(
    provauth_conn_t *conn, const provauth_trust_t *trust,
    const provauth_mac_rule_t *rule, const provauth_cached_mac_t **mac);

/* ---- sub-requests and internal redirects (mod_provauth_subreq.c) ---- */

/* fixups, first of all: authorize again what httpd did not. */
int provauth_subreq_fixups(request_rec *r);

/* post_read_request, after mod_ssl's: refuse with 421 a request whose
 * virtual host would not forgive a validity-period error that the
 * handshake's virtual host forgave (or, resumed, may have forgiven). */
int provauth_conn_check_vhost(request_rec *r);

/* ---- requests and authorization (mod_provauth_authz.c) ---- */

void provauth_authz_register(apr_pool_t *p);
int provauth_fixups(request_rec *r);
int provauth_access_checker(request_rec *r);
/* log_transaction: the refusal's line, the registry's and counters' share. */
int provauth_log_transaction(request_rec *r);

/* ---- device registry (mod_provauth_registry.c) and status
 *      (mod_provauth_status.c) ---- */

/* What a request got, for its device's record and the counters. */
typedef enum {
    PROVAUTH_OUTCOME_SEEN = 0,     /* variables only: no provauth Require ran */
    PROVAUTH_OUTCOME_GRANTED,      /* a provauth Require ran and did not refuse */
    PROVAUTH_OUTCOME_DENIED,       /* refused by a provauth Require (PA00101) */
    PROVAUTH_OUTCOME_WOULD_DENY    /* ProvAuthReportOnly: would have been refused */
} provauth_outcome_e;

/* Why a request was refused, for the mod_status counters. */
typedef enum {
    PROVAUTH_DENIAL_NO_CERTIFICATE = 0,
    PROVAUTH_DENIAL_UNTRUSTED,
    PROVAUTH_DENIAL_NO_MAC,
    PROVAUTH_DENIAL_MAC_NOT_IN_PATH,
    PROVAUTH_DENIAL_NOT_IN_ALLOWLIST,
    PROVAUTH_DENIAL_NEGATED,
    PROVAUTH_DENIAL_KINDS
} provauth_denial_e;

/* What a request tells the registry, from mod_provauth_authz.c. */
typedef struct {
    provauth_outcome_e outcome;
    provauth_status_e status;
    const provauth_cached_verdict_t *cached;  /* NULL: no certificate/verdict */
    const provauth_mac_t *mac;                /* the device's MAC, or NULL */
    const char *reason;                       /* why refused (DENIED, WOULD_DENY) */
    provauth_denial_e denial;                 /* DENIED */
} provauth_request_report_t;

/* Count a request the module established something for, and add it to
 * its device's pending contribution (conn: the request's TLS state, or
 * NULL); mod_provauth_registry.c. */
void provauth_registry_note_request(request_rec *r, provauth_conn_t *conn,
                                    const provauth_request_report_t *report);

/* A connection's requests not yet written to a device record (one per
 * verdict, kept by mod_provauth_conn.c; times in seconds). */
typedef struct provauth_registry_pending {
    apr_uint32_t granted, denied, would_deny, requests;
    apr_int64_t first_request, last_request, last_denied;
    int has_mac;
    provauth_mac_t mac;
    char last_reason[PROVAUTH_REC_REASON_MAX + 1];
} provauth_registry_pending_t;

/* Add a request to its verdict's pending contribution (mod_provauth_conn.c).
 * Returns 1 when the contribution has waited long enough (a long-lived
 * connection) to be written now rather than when the connection closes. */
int provauth_conn_note_request(provauth_conn_t *conn, const provauth_cached_verdict_t *cached,
                               const provauth_request_report_t *report, apr_int64_t when);

/* Hand each pending contribution of the connection to fn and clear it. */
typedef void (*provauth_pending_fn)(void *baton, const provauth_cached_verdict_t *cached,
                                    const provauth_registry_pending_t *pending);
void provauth_conn_take_pending(provauth_conn_t *conn, provauth_pending_fn fn,
                                void *baton);

/* Did this connection's handshake need the module's expiry forgiveness? */
int provauth_conn_forgave_expiry(const provauth_conn_t *conn);

/* ProvAuthDeviceRegistry: parse "provider[:arguments]" or "none". */
const char *provauth_registry_configure(cmd_parms *cmd, provauth_server_conf_t *conf,
                                        const char *arg);

/* Hooks of the registry: pre_config, post_config, child_init, the request
 * counting (log_transaction) and the write at connection close. */
void provauth_registry_register_hooks(apr_pool_t *p);

/* Counters shared by every child, since the server started (they survive
 * graceful restarts); mod_status shows them. */
typedef struct {
    apr_uint64_t rescued_handshakes;       /* TLS handshakes whose client
                                            * certificate only passed by expiry
                                            * forgiveness */
    apr_uint64_t requests[8];              /* by provauth_rec_status_e */
    apr_uint64_t denials[PROVAUTH_DENIAL_KINDS];
    apr_uint64_t would_deny;               /* ProvAuthReportOnly would-be denials */
    apr_uint64_t registry_writes;          /* records written */
    apr_uint64_t registry_misses;          /* updates skipped: the registry was
                                            * busy or failed */
    apr_uint64_t registry_refused;         /* untrusted updates of trusted records */
} provauth_counters_t;

/* The counters, or NULL before post_config. */
provauth_counters_t *provauth_counters(void);

/* Is the registry on in this generation?  Its description for pages. */
int provauth_registry_enabled(void);
const char *provauth_registry_description(void);
/* Can the registry list its records (the provider iterates)? */
int provauth_registry_can_list(void);

/* Every record, copied out under the registry's lock (freed with p):
 * APR_ENOTIMPL when the provider cannot list its records, APR_EINIT when
 * the registry is off. */
typedef struct provauth_registry_copy provauth_registry_copy_t;
apr_status_t provauth_registry_copy(server_rec *s, apr_pool_t *p,
                                    provauth_registry_copy_t **copy);
/* The record at *pos (start at 0), advancing *pos; 0 after the last. */
int provauth_registry_copy_next(const provauth_registry_copy_t *copy, apr_size_t *pos,
                                const unsigned char **data, unsigned *len);
unsigned provauth_registry_copy_count(const provauth_registry_copy_t *copy);
/* How many records there are (without copying them). */
apr_status_t provauth_registry_count(server_rec *s, apr_pool_t *p, unsigned *count);

/* The status handler and the mod_status section (mod_provauth_status.c). */
void provauth_status_register_hooks(apr_pool_t *p);

/* ---- small helpers the glue files share (mod_provauth.c) ---- */

/* A server for messages: "NAME (file:line)" of a virtual host (the file
 * and line of its <VirtualHost>), "NAME" of the main server; NAME is its
 * ServerName, else its first address. */
const char *provauth_server_name(const server_rec *s, apr_pool_t *p);

/* The hash (array) kept in p's userdata under key, made empty by the
 * first call: state shared by the calls over one configuration. */
apr_hash_t *provauth_pool_hash(apr_pool_t *p, const char *key);
apr_array_header_t *provauth_pool_array(apr_pool_t *p, const char *key, int elt_size);

/* ---- fault injection, test builds only (t/hooks/provauth_test_hooks.c) ---- */

#ifdef PROVAUTH_TEST_HOOKS
/* The result a verification reports: rv, or an internal error when the
 * test build was started with PROVAUTH_TEST_FAULT=verify. */
apr_status_t provauth_test_fault_verify(apr_status_t rv);
#endif

#endif /* MOD_PROVAUTH_PRIVATE_H */
