/* mod_provauth_config.c: the directives, per-server and per-directory
 * configuration with its create/merge functions, and load-once trust files.
 *
 * Licensed under the Apache License, Version 2.0 (see LICENSE). */
#include <string.h>
#include <time.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_main.h"

#include "provauth_allowlist.h"
#include "provauth_log.h"
#include "provauth_pin.h"

#include "mod_provauth_private.h"

/* Log lines of this file carry the module's name ([provauth:...]), so
 * that LogLevel provauth:... applies to them. */
APLOG_USE_MODULE(provauth);

/* pconf userdata keys */
#define KEY_FIRST_USE        "mod_provauth:first-use"
#define KEY_LOADED_FILES     "mod_provauth:loaded-files"
#define KEY_SERVERS_IN_USE   "mod_provauth:servers-in-use"
#define KEY_SINGLE_SEEN      "mod_provauth:single-valued-seen"
#define KEY_WARNINGS         "mod_provauth:config-warnings"
#define KEY_REQUIRES         "mod_provauth:first-require-by-server"

void *provauth_create_server_conf(apr_pool_t *p, server_rec *s)
{
    provauth_server_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    (void)s;
    conf->accept_expired = PROVAUTH_UNSET;
    return conf;
}

void *provauth_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    const provauth_server_conf_t *base = basev, *add = addv;
    provauth_server_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    conf->accept_expired = (add->accept_expired != PROVAUTH_UNSET)
                           ? add->accept_expired : base->accept_expired;
    /* A virtual host's handshake knows the pins of its own sections and of
     * the main server's, which its requests inherit. */
    if (base->pinned == NULL || add->pinned == NULL) {
        conf->pinned = base->pinned ? base->pinned : add->pinned;
    }
    else {
        conf->pinned = apr_array_append(p, base->pinned, add->pinned);
    }
    return conf;
}

/* A section's configuration before any directive of ours: what create
 * returns. */
static const provauth_dir_conf_t nothing_set = { .report_only = PROVAUTH_UNSET };

void *provauth_create_dir_conf(apr_pool_t *p, char *dir)
{
    provauth_dir_conf_t *conf = apr_palloc(p, sizeof(*conf));

    (void)dir;
    memcpy(conf, &nothing_set, sizeof(*conf));
    return conf;
}

/* Every directive of a section's configuration marks it through here, so
 * that merge can tell a section without one at a glance (a directive that
 * did not would be lost where merge skips the section: every directive's
 * e2e test in a nested section would show it). */
static provauth_dir_conf_t *being_set(void *dconf)
{
    provauth_dir_conf_t *conf = dconf;

    conf->set = 1;
    return conf;
}

void *provauth_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    const provauth_dir_conf_t *base = basev, *add = addv;
    provauth_dir_conf_t *conf;

    /* Sections are merged on every request: one without a directive of
     * ours adds nothing, and a section's own settings over nothing are
     * just its own (merged configurations are read-only). */
    if (!add->set) {
        return basev;
    }
    if (!base->set) {
        return addv;
    }
    conf = apr_palloc(p, sizeof(*conf));

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
    if (add->pin_file) {
        conf->pin_file = add->pin_file;
        conf->pins = add->pins;
    }
    if (add->crl_check != PROVAUTH_CRL_CHECK_DEFAULT) {
        conf->crl_check = add->crl_check;
        conf->crl_missing_ok = add->crl_missing_ok;
    }
    conf->has_provider = base->has_provider || add->has_provider;
    conf->report_only = (add->report_only != PROVAUTH_UNSET) ? add->report_only
                                                              : base->report_only;
    return conf;
}

void provauth_dir_trust(const provauth_server_conf_t *sconf,
                        const provauth_dir_conf_t *dconf, provauth_trust_t *trust)
{
    memset(trust, 0, sizeof(*trust));
    trust->anchors = dconf->anchors ? dconf->anchors : sconf->ssl_anchors;
    trust->intermediates = dconf->intermediates;
    trust->crls = dconf->crls;
    trust->crl_check = dconf->crl_check;
    if (dconf->crl_check == PROVAUTH_CRL_CHECK_DEFAULT) {
        /* mod_ssl's own CRL settings come with its store; the handshake
         * has applied its no_crl_for_cert_ok already. */
        trust->missing_crl_ok = (dconf->anchors == NULL && dconf->crls == NULL);
    }
    else {
        trust->missing_crl_ok = dconf->crl_missing_ok;
    }
    trust->pins = dconf->pins;
}

provauth_dir_conf_t *provauth_vhost_dir_conf(const server_rec *s)
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
int provauth_server_uses_module(server_rec *s, apr_pool_t *pconf)
{
    apr_hash_t *servers = NULL;

    apr_pool_userdata_get((void **)&servers, KEY_SERVERS_IN_USE, pconf);
    return servers != NULL
        && (apr_hash_get(servers, server_key(s, pconf), APR_HASH_KEY_STRING) != NULL
            || apr_hash_get(servers, server_key(ap_server_conf, pconf),
                            APR_HASH_KEY_STRING) != NULL);
}

int provauth_dir_conf_is_set(const provauth_dir_conf_t *conf)
{
    return conf->ca_file || conf->intermediate_file || conf->crl_file
        || conf->mac_rule || conf->pin_file
        || conf->crl_check != PROVAUTH_CRL_CHECK_DEFAULT;
}

/* The first Require provauth-* line of each server, for the checks. */
static void note_require(cmd_parms *cmd, const char *what)
{
    apr_hash_t *requires = provauth_pool_hash(cmd->pool, KEY_REQUIRES);
    const char *key = server_key(cmd->server, cmd->pool);

    if (cmd->directive != NULL && apr_hash_get(requires, key, APR_HASH_KEY_STRING) == NULL) {
        apr_hash_set(requires, key, APR_HASH_KEY_STRING,
                     apr_psprintf(cmd->pool, "%s (%s:%d)", what, cmd->directive->filename,
                                  cmd->directive->line_num));
    }
}

const char *provauth_first_require(const server_rec *s, apr_pool_t *pconf)
{
    apr_hash_t *requires = NULL;

    apr_pool_userdata_get((void **)&requires, KEY_REQUIRES, pconf);
    return requires ? apr_hash_get(requires, server_key(s, pconf), APR_HASH_KEY_STRING)
                    : NULL;
}

/* Remember that the module is used by this server, and where it was first
 * configured, so that check_config can name it when mod_ssl is missing. */
void provauth_note_use(cmd_parms *cmd, const char *what)
{
    void *seen = NULL;

    if (cmd->pool != cmd->server->process->pconf) {
        return; /* .htaccess, at request time: nothing to note */
    }
    /* Our server config may not exist yet in a vhost that only has our
     * Require lines, so the servers using us are noted apart. */
    apr_hash_set(provauth_pool_hash(cmd->pool, KEY_SERVERS_IN_USE),
                 server_key(cmd->server, cmd->pool), APR_HASH_KEY_STRING, cmd->server);

    apr_pool_userdata_get(&seen, KEY_FIRST_USE, cmd->pool);
    if (seen == NULL && cmd->directive != NULL) {
        apr_pool_userdata_set(apr_psprintf(cmd->pool, "%s (%s:%d)", what,
                                           cmd->directive->filename,
                                           cmd->directive->line_num),
                              KEY_FIRST_USE, apr_pool_cleanup_null, cmd->pool);
    }
    if (strncmp(what, "Require ", 8) == 0) {
        note_require(cmd, what);
    }
}

/* Keep a warning about the configuration being read until it can be seen.
 * Logged at once, it would reach a start's stderr, which httpd has already
 * detached on the pass that runs; provauth_log_config_warnings writes them
 * where the other startup messages go. */
static void config_warning(cmd_parms *cmd, const char *message)
{
    apr_array_header_t *warnings = provauth_pool_array(cmd->pool, KEY_WARNINGS,
                                                       sizeof(const char *));

    APR_ARRAY_PUSH(warnings, const char *) = message;
}

void provauth_config_warning(cmd_parms *cmd, const char *message)
{
    config_warning(cmd, message);
}

void provauth_log_config_warnings(apr_pool_t *pconf, server_rec *s)
{
    apr_array_header_t *warnings = NULL;
    int i;

    apr_pool_userdata_get((void **)&warnings, KEY_WARNINGS, pconf);
    for (i = 0; warnings != NULL && i < warnings->nelts; i++) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "%s",
                     APR_ARRAY_IDX(warnings, i, const char *));
    }
}

void provauth_note_provider_in_section(cmd_parms *cmd)
{
    provauth_dir_conf_t *conf;

    if (cmd->context == NULL) {
        return;
    }
    /* Our configuration of the section exists only once one of our
     * directives was read in it: create it as httpd would. */
    conf = ap_get_module_config(cmd->context, &provauth_module);
    if (conf == NULL) {
        conf = provauth_create_dir_conf(cmd->pool, cmd->path);
        ap_set_module_config(cmd->context, &provauth_module, conf);
    }
    being_set(conf)->has_provider = 1;
}

/* What a file directive loads: one loader per kind of file. */
typedef apr_status_t (*file_loader_fn)(void **object, const char *path,
                                       apr_pool_t *p, const char **why);

/* A kind of file: its loader and, for lists whose emptiness loads fine but
 * is almost surely a mistake (an allow-list, a pin file), how to count the
 * entries and what an empty one does. */
typedef struct {
    file_loader_fn load;
    apr_size_t (*entries)(const void *object);   /* NULL: no emptiness check */
    const char *if_empty;                        /* consequence, for the warning */
    const char *empty_id;                        /* the warning's log id */
    /* NULL, or the warning about a file that loaded but is out of date
     * (NULL if it is not) */
    const char *(*outdated)(void *object, const char *what, const char *path,
                            apr_pool_t *p);
} file_kind_t;

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

    *object = crls;
    return rv;
}

/* A CRL past its nextUpdate still loads (and applies): say so. */
static const char *crls_outdated(void *crls, const char *what, const char *path,
                                 apr_pool_t *p)
{
    const char *issuer = provauth_crls_first_stale(crls, time(NULL), p);

    if (issuer == NULL) {
        return NULL;
    }
    return apr_psprintf(p, PROVAUTH_LOGNO(00004) "%s: '%s': the CRL of %s is past its "
                        "nextUpdate; it is still applied (revocation does not "
                        "expire), but fetch a current one from the vendor",
                        what, path, issuer);
}

static apr_status_t load_allowlist(void **object, const char *path, apr_pool_t *p,
                                   const char **why)
{
    provauth_allowlist_t *list = NULL;
    apr_status_t rv = provauth_allowlist_load(&list, path, p, why);

    *object = list;
    return rv;
}

static apr_size_t allowlist_entries(const void *list)
{
    return provauth_allowlist_size(list);
}

static apr_status_t load_pins(void **object, const char *path, apr_pool_t *p,
                              const char **why)
{
    provauth_pins_t *pins = NULL;
    apr_status_t rv = provauth_pins_load(&pins, path, p, why);

    *object = pins;
    return rv;
}

static apr_size_t pins_entries(const void *pins)
{
    return provauth_pins_size(pins);
}

static const file_kind_t anchors_file = { load_anchors, NULL, NULL, NULL, NULL };
static const file_kind_t certs_file = { load_certs, NULL, NULL, NULL, NULL };
static const file_kind_t crls_file = { load_crls, NULL, NULL, NULL, crls_outdated };
static const file_kind_t allowlist_file = {
    load_allowlist, allowlist_entries, "every device is refused by it",
    PROVAUTH_LOGNO(00020), NULL
};
static const file_kind_t pins_file = {
    load_pins, pins_entries, "no device is pinned by it (self-signed phones are "
    "refused, and logged with PA00130 for enrollment)", PROVAUTH_LOGNO(00060), NULL
};

/* A list that loaded but holds no entry: say so at startup, naming the file
 * and where the configuration names it. */
static void warn_if_empty(cmd_parms *cmd, const char *what, const char *path,
                          const file_kind_t *kind, const void *object)
{
    if (kind->entries == NULL || kind->entries(object) > 0) {
        return;
    }
    config_warning(cmd, apr_psprintf(cmd->pool, "%s%s: '%s' "
                                     "(line %d of %s) has no entries, only blank or "
                                     "comment lines: %s", kind->empty_id, what, path,
                                     cmd->directive ? cmd->directive->line_num : 0,
                                     cmd->directive ? cmd->directive->filename : "?",
                                     kind->if_empty));
}

/* Load a file named in the configuration, once per configuration
 * generation however many sections name it: equal paths share objects
 * (and so per-connection results).  Errors name what (the directive) and
 * the file.  Never at request time: loading is startup work. */
static const char *load_file_once(cmd_parms *cmd, const char *what, const char *arg,
                                  const file_kind_t *kind, const char **path,
                                  void **object)
{
    apr_hash_t *loaded;
    const char *key, *why = NULL;

    if (cmd->pool != cmd->server->process->pconf) { /* parsing .htaccess */
        return apr_psprintf(cmd->pool, "%s cannot be used in .htaccess files", what);
    }
    *path = ap_server_root_relative(cmd->pool, arg);
    if (*path == NULL) {
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'", what, arg);
    }
    loaded = provauth_pool_hash(cmd->pool, KEY_LOADED_FILES);
    key = apr_pstrcat(cmd->pool, what, ":", *path, NULL);
    *object = apr_hash_get(loaded, key, APR_HASH_KEY_STRING);
    if (*object == NULL) {
        if (kind->load(object, *path, cmd->pool, &why) != APR_SUCCESS) {
            return apr_psprintf(cmd->pool, "%s: %s", what, why);
        }
        warn_if_empty(cmd, what, *path, kind, *object);
        if (kind->outdated != NULL) {
            const char *warning = kind->outdated(*object, what, *path, cmd->pool);
            if (warning != NULL) {
                config_warning(cmd, warning);
            }
        }
        apr_hash_set(loaded, key, APR_HASH_KEY_STRING, *object);
    }
    provauth_note_use(cmd, what);
    return NULL;
}

/* A single-valued directive given twice in one section: the last one
 * applies, which is rarely what was meant, so say where both are.
 * `section` is the section's configuration record (per-directory or
 * per-server), unique to the section within a configuration generation. */
static void warn_if_repeated(cmd_parms *cmd, const void *section)
{
    apr_hash_t *seen;
    const char *key, *earlier, *here;

    if (cmd->directive == NULL || cmd->pool != cmd->server->process->pconf) {
        return;
    }
    seen = provauth_pool_hash(cmd->pool, KEY_SINGLE_SEEN);
    key = apr_psprintf(cmd->pool, "%pp %s", section, cmd->cmd->name);
    here = apr_psprintf(cmd->pool, "line %d of %s", cmd->directive->line_num,
                        cmd->directive->filename);
    earlier = apr_hash_get(seen, key, APR_HASH_KEY_STRING);
    if (earlier != NULL) {
        config_warning(cmd, apr_psprintf(cmd->pool, PROVAUTH_LOGNO(00021) "%s on %s "
                                         "repeats the one on %s in the same section: "
                                         "only the last one applies; remove one",
                                         cmd->cmd->name, here, earlier));
    }
    apr_hash_set(seen, key, APR_HASH_KEY_STRING, here);
}

/* mod_authz_core applies an <AuthzProviderAlias>'s directives only while
 * the aliased provider runs; the module decides a request once, with the
 * settings of its section (the variables are set before authorization),
 * so a directive of ours there would silently not apply: refused. */
static const char *outside_provider_alias(const cmd_parms *cmd)
{
    const ap_directive_t *section;

    for (section = cmd->directive ? cmd->directive->parent : NULL; section != NULL;
         section = section->parent) {
        if (strcasecmp(section->directive, "<AuthzProviderAlias") == 0) {
            return apr_psprintf(cmd->pool,
                                "%s (line %d of %s) inside <AuthzProviderAlias> would "
                                "not apply: mod_provauth decides a request once, with "
                                "the settings of its <Directory>, <Location> or <Files> "
                                "section; put %s in the section that holds the Require "
                                "line, and keep only the provider and its argument in "
                                "the alias", cmd->cmd->name, cmd->directive->line_num,
                                cmd->directive->filename, cmd->cmd->name);
        }
    }
    return NULL;
}

static const char *set_accept_expired(cmd_parms *cmd, void *dconf, int on)
{
    provauth_server_conf_t *conf = provauth_server_conf(cmd->server);

    (void)dconf;
    warn_if_repeated(cmd, conf);
    provauth_note_use(cmd, DIR_ACCEPT_EXPIRED);
    conf->accept_expired = on ? 1 : 0;
    return NULL;
}

static const char *set_ca_file(cmd_parms *cmd, void *dconf, const char *arg)
{
    const char *alias_err = outside_provider_alias(cmd);
    provauth_dir_conf_t *conf = being_set(dconf);
    void *anchors = NULL;
    const char *err;

    if (alias_err != NULL) {
        return alias_err;
    }
    warn_if_repeated(cmd, dconf);
    err = load_file_once(cmd, DIR_CA_FILE, arg, &anchors_file, &conf->ca_file,
                         &anchors);
    conf->anchors = anchors;
    if (err == NULL) {
        provauth_lint_anchors_file(cmd, conf->ca_file, conf->anchors);
    }
    return err;
}

static const char *set_intermediate_file(cmd_parms *cmd, void *dconf,
                                         const char *arg)
{
    const char *alias_err = outside_provider_alias(cmd);
    provauth_dir_conf_t *conf = being_set(dconf);
    void *intermediates = NULL;
    const char *err;

    if (alias_err != NULL) {
        return alias_err;
    }
    warn_if_repeated(cmd, dconf);
    err = load_file_once(cmd, DIR_INTERMEDIATE, arg, &certs_file,
                         &conf->intermediate_file, &intermediates);
    conf->intermediates = intermediates;
    if (err == NULL) {
        provauth_lint_intermediates_file(cmd, conf->intermediate_file,
                                         conf->intermediates);
    }
    return err;
}

static const char *set_crl_file(cmd_parms *cmd, void *dconf, const char *arg)
{
    const char *alias_err = outside_provider_alias(cmd);
    provauth_dir_conf_t *conf = being_set(dconf);
    void *crls = NULL;
    const char *err;

    if (alias_err != NULL) {
        return alias_err;
    }
    warn_if_repeated(cmd, dconf);
    err = load_file_once(cmd, DIR_CRL_FILE, arg, &crls_file, &conf->crl_file, &crls);
    conf->crls = crls;
    return err;
}

static const char *set_report_only(cmd_parms *cmd, void *dconf, int on)
{
    const char *alias_err = outside_provider_alias(cmd);
    provauth_dir_conf_t *conf = being_set(dconf);

    if (alias_err != NULL) {
        return alias_err;
    }
    warn_if_repeated(cmd, dconf);
    provauth_note_use(cmd, DIR_REPORT_ONLY);
    conf->report_only = on ? 1 : 0;
    return NULL;
}

static const char *set_mac_from(cmd_parms *cmd, void *dconf, const char *attribute,
                                const char *pattern)
{
    const char *alias_err = outside_provider_alias(cmd);
    provauth_dir_conf_t *conf = being_set(dconf);
    provauth_mac_rule_t *rule = NULL;
    const char *why = NULL;

    if (alias_err != NULL) {
        return alias_err;
    }
    warn_if_repeated(cmd, dconf);
    provauth_note_use(cmd, DIR_MAC_FROM);
    if (provauth_mac_rule_make(&rule, attribute, pattern, cmd->pool, &why)
        != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, why);
    }
    conf->mac_rule = rule;
    return NULL;
}

static const char *set_device_registry(cmd_parms *cmd, void *dconf, const char *arg)
{
    provauth_server_conf_t *conf = provauth_server_conf(cmd->server);

    (void)dconf;
    warn_if_repeated(cmd, conf);
    return provauth_registry_configure(cmd, conf, arg);
}

static const char *set_pinned_file(cmd_parms *cmd, void *dconf, const char *arg)
{
    const char *alias_err = outside_provider_alias(cmd);
    provauth_dir_conf_t *conf = being_set(dconf);
    provauth_server_conf_t *sconf = provauth_server_conf(cmd->server);
    void *pins = NULL;
    const char *err;
    int i;

    if (alias_err != NULL) {
        return alias_err;
    }
    warn_if_repeated(cmd, dconf);
    err = load_file_once(cmd, DIR_PINNED_FILE, arg, &pins_file, &conf->pin_file, &pins);
    if (err != NULL) {
        return err;
    }
    conf->pins = pins;
    /* The handshake knows no directory: it forgives the issuer errors of a
     * leaf pinned in any section of the virtual host. */
    if (sconf->pinned == NULL) {
        sconf->pinned = apr_array_make(cmd->pool, 2, sizeof(const provauth_pins_t *));
    }
    for (i = 0; i < sconf->pinned->nelts; i++) {
        if (APR_ARRAY_IDX(sconf->pinned, i, const provauth_pins_t *) == pins) {
            return NULL;
        }
    }
    APR_ARRAY_PUSH(sconf->pinned, const provauth_pins_t *) = pins;
    return NULL;
}

/* ProvAuthCRLCheck none|leaf|chain [no_crl_for_cert_ok], as mod_ssl's
 * SSLCARevocationCheck. */
static const char *set_crl_check(cmd_parms *cmd, void *dconf, const char *mode,
                                 const char *flag)
{
    const char *alias_err = outside_provider_alias(cmd);
    provauth_dir_conf_t *conf = being_set(dconf);

    if (alias_err != NULL) {
        return alias_err;
    }
    warn_if_repeated(cmd, dconf);
    provauth_note_use(cmd, DIR_CRL_CHECK);
    if (strcasecmp(mode, "none") == 0) {
        conf->crl_check = PROVAUTH_CRL_CHECK_NONE;
    }
    else if (strcasecmp(mode, "leaf") == 0) {
        conf->crl_check = PROVAUTH_CRL_CHECK_LEAF;
    }
    else if (strcasecmp(mode, "chain") == 0) {
        conf->crl_check = PROVAUTH_CRL_CHECK_CHAIN;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is not none, leaf or chain",
                            cmd->cmd->name, mode);
    }
    if (flag != NULL && strcasecmp(flag, "no_crl_for_cert_ok") != 0) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not no_crl_for_cert_ok",
                            cmd->cmd->name, flag);
    }
    conf->crl_missing_ok = (flag != NULL);
    return NULL;
}

const command_rec provauth_cmds[] = {
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
    AP_INIT_TAKE1(DIR_DEVICE_REGISTRY, set_device_registry, NULL, RSRC_CONF,
                  "socache provider[:arguments] keeping a record per device, or none "
                  "(default: shmcb in the runtime directory, for about 10^5 devices)"),
    AP_INIT_TAKE1(DIR_PINNED_FILE, set_pinned_file, NULL, RSRC_CONF | ACCESS_CONF,
                  "file of pinned devices, one '<MAC> <SHA-256 fingerprint>' per "
                  "line: those certificates are trusted for those MACs"),
    AP_INIT_TAKE12(DIR_CRL_CHECK, set_crl_check, NULL, RSRC_CONF | ACCESS_CONF,
                   "none, leaf or chain, and optionally no_crl_for_cert_ok: which "
                   "certificates are checked against CRLs (default leaf with "
                   "ProvAuthCRLFile)"),
    AP_INIT_FLAG(DIR_REPORT_ONLY, set_report_only, NULL, RSRC_CONF | ACCESS_CONF,
                 "On: Require provauth-* lines that would refuse a request grant it "
                 "and log what they would have refused (default Off)"),
    { NULL }
};

const char *provauth_first_use(apr_pool_t *pconf)
{
    const char *first_use = NULL;

    apr_pool_userdata_get((void **)&first_use, KEY_FIRST_USE, pconf);
    return first_use;
}

const char *provauth_allowlist_load_once(cmd_parms *cmd, const char *what,
                                         const char *arg, const char **path,
                                         const void **list)
{
    void *loaded = NULL;
    const char *err = load_file_once(cmd, what, arg, &allowlist_file, path,
                                      &loaded);

    *list = loaded;
    return err;
}
