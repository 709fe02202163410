/* mod_provauth_checks.c: the configuration mistakes that load fine and then
 * refuse phones, found under `apachectl -t` and at every start and graceful
 * restart: trust files that anchor nothing, and virtual hosts whose mod_ssl
 * settings (read from the configuration tree, since mod_ssl sets up nothing
 * under -t) cannot serve phones.  Warnings only: each has a legitimate or
 * transitional use.
 *
 * Licensed under the Apache License, Version 2.0 (see LICENSE). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "util_cfgtree.h"

#include "provauth_lint.h"
#include "provauth_log.h"

#include "mod_provauth_private.h"

APLOG_USE_MODULE(provauth);

#define KEY_LINTED_FILES "mod_provauth:linted-files"
#define KEY_PINNED       "mod_provauth:pinned-anchors"

/* A ProvAuthCACertificateFile as read, for the check against the
 * handshake's anchors of the server whose section names it. */
typedef struct {
    const server_rec *server;
    const char *path;
    const char *where;                 /* "line N of FILE" */
    X509_STORE *anchors;
} pinned_anchors_t;

const char *provauth_describe_server(const server_rec *s, apr_pool_t *p)
{
    return apr_pstrcat(p, s->is_virtual ? "the virtual host " : "the main server ",
                       provauth_server_name(s, p), NULL);
}

/* "line N of FILE" of a directive being read, and its virtual host. */
static const char *where_read(const cmd_parms *cmd)
{
    const char *where = cmd->directive
        ? apr_psprintf(cmd->pool, "line %d of %s", cmd->directive->line_num,
                       cmd->directive->filename)
        : "?";

    if (cmd->server->is_virtual) {
        where = apr_psprintf(cmd->pool, "%s, in the <VirtualHost> of %s:%u", where,
                             cmd->server->defn_name ? cmd->server->defn_name : "?",
                             cmd->server->defn_line_number);
    }
    return where;
}

/* Each file is looked at once per configuration, however many sections
 * name it (as it is loaded once). */
static int first_look(cmd_parms *cmd, const char *what, const char *path)
{
    apr_hash_t *linted = provauth_pool_hash(cmd->pool, KEY_LINTED_FILES);
    const char *key = apr_pstrcat(cmd->pool, what, ":", path, NULL);

    if (apr_hash_get(linted, key, APR_HASH_KEY_STRING) != NULL) {
        return 0;
    }
    apr_hash_set(linted, key, APR_HASH_KEY_STRING, key);
    return 1;
}

/* The subjects of the findings of one kind, quoted, with their issuers
 * when asked: "A" (issued by "B"), "C" (issued by "D"); NULL for none. */
static const char *subjects_of(const apr_array_header_t *findings,
                               provauth_lint_kind_e kind, int with_issuer, apr_pool_t *p)
{
    const char *list = NULL;
    int i;

    for (i = 0; findings != NULL && i < findings->nelts; i++) {
        const provauth_lint_finding_t *finding =
            &APR_ARRAY_IDX(findings, i, provauth_lint_finding_t);
        const char *item;

        if (finding->kind != kind) {
            continue;
        }
        item = with_issuer ? apr_psprintf(p, "\"%s\" (issued by \"%s\")",
                                          finding->subject, finding->issuer)
                           : apr_psprintf(p, "\"%s\"", finding->subject);
        list = list ? apr_pstrcat(p, list, ", ", item, NULL) : item;
    }
    return list;
}

/* PA00040 for a CA file (ours or mod_ssl's), or NULL when it is fine. */
static const char *anchors_without_root(const char *what, const char *path,
                                        const char *where, X509_STORE *anchors,
                                        apr_pool_t *p)
{
    const char *certs = subjects_of(provauth_lint_anchors(anchors, p),
                                    PROVAUTH_LINT_ANCHOR_NOT_ROOT, 1, p);

    if (certs == NULL) {
        return NULL;
    }
    return apr_psprintf(p, PROVAUTH_LOGNO(00040) "%s '%s' (%s): no self-signed root "
                        "above %s in the file; a device chain must end at "
                        "a self-signed root, so every device issued under these is "
                        "refused (\"unable to get issuer certificate\"); put the "
                        "vendor's root certificate into this file, and the "
                        "intermediate CAs into " DIR_INTERMEDIATE, what, path, where,
                        certs);
}

/* Remember which server's sections pin which anchors (PA00046). */
static void note_pinned(cmd_parms *cmd, const char *path, X509_STORE *anchors)
{
    apr_array_header_t *pinned = provauth_pool_array(cmd->pool, KEY_PINNED,
                                                     sizeof(pinned_anchors_t));
    pinned_anchors_t *entry = apr_array_push(pinned);

    entry->server = cmd->server;
    entry->path = path;
    entry->where = cmd->directive
        ? apr_psprintf(cmd->pool, "line %d of %s", cmd->directive->line_num,
                       cmd->directive->filename)
        : "?";
    entry->anchors = anchors;
}

void provauth_lint_anchors_file(cmd_parms *cmd, const char *path, X509_STORE *anchors)
{
    const char *warning;

    if (anchors == NULL || cmd->pool != cmd->server->process->pconf) {
        return;
    }
    note_pinned(cmd, path, anchors);
    if (!first_look(cmd, DIR_CA_FILE, path)) {
        return;
    }
    warning = anchors_without_root(DIR_CA_FILE, path, where_read(cmd), anchors,
                                   cmd->pool);
    if (warning != NULL) {
        provauth_config_warning(cmd, warning);
    }
}

void provauth_lint_intermediates_file(cmd_parms *cmd, const char *path,
                                      STACK_OF(X509) *intermediates)
{
    const apr_array_header_t *findings;
    const char *certs;

    if (intermediates == NULL || cmd->pool != cmd->server->process->pconf
        || !first_look(cmd, DIR_INTERMEDIATE, path)) {
        return;
    }
    findings = provauth_lint_intermediates(intermediates, cmd->pool);
    certs = subjects_of(findings, PROVAUTH_LINT_INTERMEDIATE_IS_ROOT, 0, cmd->pool);
    if (certs != NULL) {
        provauth_config_warning(cmd, apr_psprintf(cmd->pool, PROVAUTH_LOGNO(00043)
            "%s '%s' (%s): self-signed root: %s; intermediates are never trusted as "
            "roots, so a root anchors nothing here; put roots into " DIR_CA_FILE
            " (or the virtual host's SSLCACertificateFile) and keep only the vendor's "
            "intermediate CAs in this file", DIR_INTERMEDIATE, path, where_read(cmd),
            certs));
    }
    certs = subjects_of(findings, PROVAUTH_LINT_INTERMEDIATE_NOT_CA, 1, cmd->pool);
    if (certs != NULL) {
        provauth_config_warning(cmd, apr_psprintf(cmd->pool, PROVAUTH_LOGNO(00044)
            "%s '%s' (%s): not a CA certificate: %s; perhaps a device's, it cannot "
            "issue anything and is of no use here; remove it and keep only the "
            "vendor's intermediate CAs in this file", DIR_INTERMEDIATE, path,
            where_read(cmd), certs));
    }
}

/* ---------------------------------------------------------------------
 * A server's TLS settings, read from the configuration tree
 * ------------------------------------------------------------------ */

typedef struct {
    const ap_directive_t *engine;          /* SSLEngine */
    const ap_directive_t *verify_client;   /* server-level SSLVerifyClient */
    const ap_directive_t *verify_depth;    /* server-level SSLVerifyDepth */
    const ap_directive_t *ca_file;         /* SSLCACertificateFile */
    const ap_directive_t *ca_path;         /* SSLCACertificatePath */
    const ap_directive_t *cert_file;       /* SSLCertificateFile */
    const ap_directive_t *dir_verify;      /* a per-directory SSLVerifyClient
                                            * asking for a certificate */
} tls_settings_t;

/* Sections whose directives are per-directory for mod_ssl (cmd->path set). */
static int is_path_section(const char *name)
{
    static const char *const sections[] = {
        "<Directory", "<DirectoryMatch", "<Location", "<LocationMatch", "<Files",
        "<FilesMatch", "<If", "<ElseIf", "<Else", "<Proxy", "<ProxyMatch", NULL
    };
    int i;

    for (i = 0; sections[i] != NULL; i++) {
        if (strcasecmp(name, sections[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The first word of a directive's arguments, lower-cased. */
static const char *first_arg(const ap_directive_t *directive, apr_pool_t *p)
{
    const char *args = directive->args ? directive->args : "";
    char *word = ap_getword_conf(p, &args);

    ap_str_tolower(word);
    return word;
}

static int asks_for_certificate(const ap_directive_t *verify_client, apr_pool_t *p)
{
    const char *mode = verify_client ? first_arg(verify_client, p) : "none";

    return strcmp(mode, "none") != 0;
}

/* Read the settings of one server level: the directives in list and in the
 * sections below it (<IfModule> and Include are already spliced in by
 * httpd; <VirtualHost> sections are other servers).  The last one wins, as
 * in mod_ssl. */
static void read_settings(const ap_directive_t *list, int per_dir, tls_settings_t *tls,
                          apr_pool_t *p)
{
    const ap_directive_t *d;

    for (d = list; d != NULL; d = d->next) {
        const char *name = d->directive;

        if (name[0] == '<') {
            if (strcasecmp(name, "<VirtualHost") != 0) {
                read_settings(d->first_child, per_dir || is_path_section(name), tls, p);
            }
        }
        else if (per_dir) {
            if (tls->dir_verify == NULL && strcasecmp(name, "SSLVerifyClient") == 0
                && asks_for_certificate(d, p)) {
                tls->dir_verify = d;
            }
        }
        else if (strcasecmp(name, "SSLEngine") == 0) {
            tls->engine = d;
        }
        else if (strcasecmp(name, "SSLVerifyClient") == 0) {
            tls->verify_client = d;
        }
        else if (strcasecmp(name, "SSLVerifyDepth") == 0) {
            tls->verify_depth = d;
        }
        else if (strcasecmp(name, "SSLCACertificateFile") == 0) {
            tls->ca_file = d;
        }
        else if (strcasecmp(name, "SSLCACertificatePath") == 0) {
            tls->ca_path = d;
        }
        else if (strcasecmp(name, "SSLCertificateFile") == 0 && tls->cert_file == NULL) {
            tls->cert_file = d;
        }
    }
}

/* The <VirtualHost> section that defined s, or NULL. */
static const ap_directive_t *vhost_section(const server_rec *s)
{
    const ap_directive_t *d;

    if (!s->is_virtual || s->defn_name == NULL) {
        return NULL;
    }
    for (d = ap_conftree; d != NULL; d = d->next) {
        if (strcasecmp(d->directive, "<VirtualHost") == 0
            && d->line_num == (int)s->defn_line_number && d->filename != NULL
            && strcmp(d->filename, s->defn_name) == 0) {
            return d;
        }
    }
    return NULL;
}

/* What mod_ssl will use for s: its own server-level settings, else the
 * main server's (mod_ssl merges them so). */
static void server_settings(const server_rec *s, const tls_settings_t *main_tls,
                            tls_settings_t *tls, apr_pool_t *p)
{
    const ap_directive_t *section = vhost_section(s);

    memset(tls, 0, sizeof(*tls));
    if (section == NULL) {
        *tls = *main_tls;
        return;
    }
    read_settings(section->first_child, 0, tls, p);
    tls->engine = tls->engine ? tls->engine : main_tls->engine;
    tls->verify_client = tls->verify_client ? tls->verify_client : main_tls->verify_client;
    tls->verify_depth = tls->verify_depth ? tls->verify_depth : main_tls->verify_depth;
    tls->ca_file = tls->ca_file ? tls->ca_file : main_tls->ca_file;
    tls->ca_path = tls->ca_path ? tls->ca_path : main_tls->ca_path;
    tls->cert_file = tls->cert_file ? tls->cert_file : main_tls->cert_file;
    tls->dir_verify = tls->dir_verify ? tls->dir_verify : main_tls->dir_verify;
}

/* Does mod_ssl serve TLS on s?  SSLEngine on (or optional), or, unset, a
 * server certificate on an https server (mod_ssl's default). */
static int serves_tls(server_rec *s, const tls_settings_t *tls, apr_pool_t *p)
{
    const char *protocol;

    if (tls->engine != NULL) {
        const char *engine = first_arg(tls->engine, p);
        return strcmp(engine, "on") == 0 || strcmp(engine, "optional") == 0;
    }
    protocol = ap_get_server_protocol(s);
    return tls->cert_file != NULL && protocol != NULL && strcmp(protocol, "https") == 0;
}

static const char *where_set(const ap_directive_t *d, apr_pool_t *p)
{
    return apr_psprintf(p, "line %d of %s", d->line_num, d->filename);
}

/* ---------------------------------------------------------------------
 * The checks of one server
 * ------------------------------------------------------------------ */

static void check_accept_expired(server_rec *s, const tls_settings_t *tls,
                                 const char *name, apr_pool_t *p)
{
    const provauth_server_conf_t *sconf = provauth_server_conf(s);

    if (sconf->accept_expired == 1 && !asks_for_certificate(tls->verify_client, p)) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, PROVAUTH_LOGNO(00003)
                     DIR_ACCEPT_EXPIRED " On for %s has no effect on the handshake: "
                     "SSLVerifyClient is %s for the virtual host (per-directory "
                     "SSLVerifyClient is handled by mod_ssl alone); set "
                     "SSLVerifyClient optional_no_ca (or optional, require) in the "
                     "virtual host, or remove " DIR_ACCEPT_EXPIRED, name,
                     tls->verify_client
                         ? apr_psprintf(p, "none (%s)", where_set(tls->verify_client, p))
                         : "not set");
    }
    if (sconf->accept_expired == PROVAUTH_UNSET
        && asks_for_certificate(tls->verify_client, p)) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, PROVAUTH_LOGNO(00041)
                     "%s asks for client certificates (SSLVerifyClient %s, %s) and "
                     "uses mod_provauth, but " DIR_ACCEPT_EXPIRED " is not set: mod_ssl "
                     "refuses a phone whose factory certificate has expired during "
                     "the handshake, under every SSLVerifyClient mode; add "
                     DIR_ACCEPT_EXPIRED " On to the virtual host to admit such phones "
                     "(they are still re-validated), or " DIR_ACCEPT_EXPIRED " Off to "
                     "keep refusing them", name, first_arg(tls->verify_client, p),
                     where_set(tls->verify_client, p));
    }
}

static void check_certificate_requested(server_rec *s, const tls_settings_t *tls,
                                        const char *name, apr_pool_t *pconf,
                                        apr_pool_t *p)
{
    const char *require = provauth_first_require(s, pconf);

    if (require == NULL || asks_for_certificate(tls->verify_client, p)
        || tls->dir_verify != NULL) {
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, PROVAUTH_LOGNO(00042)
                 "%s never asks for a client certificate (SSLVerifyClient %s), but "
                 "%s needs one: phones send none, and every request there is "
                 "refused with status NONE; set SSLVerifyClient optional_no_ca "
                 "(or optional, require) in the virtual host", name,
                 tls->verify_client
                     ? apr_psprintf(p, "none, %s", where_set(tls->verify_client, p))
                     : "is not set", require);
}

static void check_intermediates(server_rec *s, const tls_settings_t *tls,
                                const char *name, apr_pool_t *p)
{
    const provauth_dir_conf_t *vhost_dconf = provauth_vhost_dir_conf(s);
    int needed, depth = 1;

    if (vhost_dconf == NULL || vhost_dconf->intermediates == NULL) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, PROVAUTH_LOGNO(00005)
                     "%s has no " DIR_INTERMEDIATE ": a resumed TLS session does not "
                     "carry the intermediate CAs a phone sent, so such phones are "
                     "refused after resumption unless their intermediates are "
                     "configured; add " DIR_INTERMEDIATE " with the vendors' "
                     "intermediate CAs to the virtual host", name);
        return;
    }
    if (!asks_for_certificate(tls->verify_client, p)) {
        return;
    }
    needed = provauth_lint_depth_needed(vhost_dconf->intermediates);
    if (tls->verify_depth != NULL) {
        depth = atoi(first_arg(tls->verify_depth, p));
    }
    if (needed > depth) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, PROVAUTH_LOGNO(00045)
                     "%s verifies client chains %d deep (%s), but the intermediate "
                     "CAs in " DIR_INTERMEDIATE " '%s' make device chains %d deep: "
                     "mod_ssl refuses such phones in the handshake (AH02040, "
                     "\"Certificate Chain too long\") under every SSLVerifyClient "
                     "mode; set SSLVerifyDepth %d (or more) in the virtual host",
                     name, depth,
                     tls->verify_depth
                         ? apr_psprintf(p, "SSLVerifyDepth, %s",
                                        where_set(tls->verify_depth, p))
                         : "SSLVerifyDepth is not set: mod_ssl's default is 1",
                     vhost_dconf->intermediate_file, needed, needed);
    }
}

/* The handshake's CA file, loaded (NULL when unset or unreadable: a file
 * mod_ssl cannot read is mod_ssl's to report when it starts). */
static X509_STORE *ssl_anchors(const tls_settings_t *tls, const char **path,
                               apr_hash_t *loaded, apr_pool_t *p)
{
    X509_STORE *anchors = NULL;
    const char *why = NULL;

    *path = tls->ca_file ? ap_server_root_relative(p, first_arg(tls->ca_file, p)) : NULL;
    if (*path == NULL) {
        return NULL;
    }
    /* Virtual hosts often share one file: read it once per check. */
    anchors = apr_hash_get(loaded, *path, APR_HASH_KEY_STRING);
    if (anchors == NULL
        && provauth_load_anchors(&anchors, *path, p, &why) == APR_SUCCESS) {
        apr_hash_set(loaded, *path, APR_HASH_KEY_STRING, anchors);
    }
    return anchors;
}

/* The handshake's CA file, for vhosts whose re-validation may use it. */
static void check_ssl_ca_file(server_rec *s, const tls_settings_t *tls,
                              const char *name, const char *path, X509_STORE *anchors,
                              apr_pool_t *pconf, apr_pool_t *p)
{
    apr_hash_t *seen;
    const char *warning;

    if (anchors == NULL) {
        return;
    }
    /* Once per file and configuration, as for our own files. */
    seen = provauth_pool_hash(pconf, KEY_LINTED_FILES ":ssl");
    if (apr_hash_get(seen, path, APR_HASH_KEY_STRING) != NULL) {
        return;
    }
    apr_hash_set(seen, apr_pstrdup(pconf, path), APR_HASH_KEY_STRING, "");
    warning = anchors_without_root(
        "SSLCACertificateFile", path,
        apr_psprintf(p, "%s, used by %s", where_set(tls->ca_file, p), name), anchors, p);
    if (warning != NULL) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "%s", warning);
    }
}

/* A directory pinned to a root the handshake does not trust: under
 * SSLVerifyClient require or optional mod_ssl refuses its devices before
 * any request (ProvAuthCACertificateFile does not affect the handshake). */
static void check_pinned_roots(server_rec *s, const tls_settings_t *tls,
                               const char *name, const char *ssl_path,
                               X509_STORE *ssl_store, apr_pool_t *pconf, apr_pool_t *p)
{
    const apr_array_header_t *pinned = NULL;
    const char *mode = tls->verify_client ? first_arg(tls->verify_client, p) : "none";
    apr_hash_t *done = apr_hash_make(p);
    int i;

    if ((strcmp(mode, "require") != 0 && strcmp(mode, "optional") != 0)
        || ssl_store == NULL || tls->ca_path != NULL) {
        return; /* nothing refused for it, or the anchors are not all known */
    }
    apr_pool_userdata_get((void **)&pinned, KEY_PINNED, pconf);
    for (i = 0; pinned != NULL && i < pinned->nelts; i++) {
        const pinned_anchors_t *entry = &APR_ARRAY_IDX(pinned, i, pinned_anchors_t);
        const char *roots;

        if (entry->server != s || apr_hash_get(done, entry->path, APR_HASH_KEY_STRING)) {
            continue;
        }
        apr_hash_set(done, entry->path, APR_HASH_KEY_STRING, entry);
        roots = subjects_of(provauth_lint_roots_missing(entry->anchors, ssl_store, p),
                            PROVAUTH_LINT_ROOT_NOT_IN_HANDSHAKE, 0, p);
        if (roots != NULL) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, PROVAUTH_LOGNO(00046)
                         DIR_CA_FILE " '%s' (%s) trusts %s, which the handshake of %s "
                         "does not (not in SSLCACertificateFile '%s', %s): under "
                         "SSLVerifyClient %s mod_ssl refuses those devices before any "
                         "request (" DIR_CA_FILE " does not affect the handshake); add "
                         "the root to SSLCACertificateFile too, or use SSLVerifyClient "
                         "optional_no_ca", entry->path, entry->where, roots, name,
                         ssl_path, where_set(tls->ca_file, p), mode);
        }
    }
}

/* ---------------------------------------------------------------------
 * Directives that write the module's variables
 * ------------------------------------------------------------------ */

/* Is name (a variable a directive sets or unsets, "!" for unset allowed)
 * one of ours?  Names are case-insensitive in httpd's tables. */
static int is_our_variable(const char *name)
{
    if (*name == '!') {
        name++;
    }
    return strncasecmp(name, "PROVAUTH_", 9) == 0;
}

/* "[!]name[=value]": is name ours? */
static int assignment_is_ours(const char *word, apr_pool_t *p)
{
    const char *equals = strchr(word, '=');

    return is_our_variable(equals ? apr_pstrmemdup(p, word, (apr_size_t)(equals - word))
                                  : word);
}

/* A RewriteRule's flags: does an E= (env=) flag set or unset one of ours,
 * or a variable whose name is made at request time ($1, %1: a client may
 * choose it)? */
static int rewrite_flags_write_ours(const char *flags, apr_pool_t *p)
{
    char *list, *flag, *state = NULL;
    size_t len = strlen(flags);

    if (len < 2 || flags[0] != '[' || flags[len - 1] != ']') {
        return 0;
    }
    list = apr_pstrmemdup(p, flags + 1, len - 2);
    for (flag = apr_strtok(list, ",", &state); flag != NULL;
         flag = apr_strtok(NULL, ",", &state)) {
        const char *name = NULL;
        const char *colon;

        if (strncasecmp(flag, "E=", 2) == 0) {
            name = flag + 2;
        }
        else if (strncasecmp(flag, "env=", 4) == 0) {
            name = flag + 4;
        }
        if (name == NULL) {
            continue;
        }
        colon = strchr(name, ':');
        name = colon ? apr_pstrmemdup(p, name, (apr_size_t)(colon - name)) : name;
        if (is_our_variable(name) || strpbrk(name, "$%") != NULL) {
            return 1;
        }
    }
    return 0;
}

/* Does directive d (of mod_env, mod_setenvif, mod_rewrite or
 * mod_authnz_ldap) set or unset
 * a PROVAUTH_* variable?  Only the names it writes are read: a directive
 * that merely reads one (RewriteRule ... %{ENV:PROVAUTH_MAC}) or mentions
 * the word in a value is none. */
static int writes_our_variable(const ap_directive_t *d, apr_pool_t *p)
{
    const char *name = d->directive, *args = d->args;
    int skip, all = 0;
    const char *word;

    if (strcasecmp(name, "SetEnv") == 0) {
        return is_our_variable(ap_getword_conf(p, &args));
    }
    if (strcasecmp(name, "AuthLDAPAuthorizePrefix") == 0) {
        /* mod_authnz_ldap writes prefix + the name of each attribute its
         * AuthLDAPURL asks for: ours when the prefix is (attribute names
         * have no '_', RFC 4512, so a shorter prefix reaches ours only
         * through a URL that names an attribute against the RFC) */
        return is_our_variable(ap_getword_conf(p, &args));
    }
    if (strcasecmp(name, "RewriteRule") == 0) {
        ap_getword_conf(p, &args);                 /* pattern */
        ap_getword_conf(p, &args);                 /* substitution */
        return rewrite_flags_write_ours(ap_getword_conf(p, &args), p);
    }
    if (strcasecmp(name, "UnsetEnv") == 0 || strcasecmp(name, "PassEnv") == 0) {
        skip = 0;
        all = 1;
    }
    else if (strcasecmp(name, "SetEnvIf") == 0 || strcasecmp(name, "SetEnvIfNoCase") == 0) {
        skip = 2;                                  /* attribute, regex */
    }
    else if (strcasecmp(name, "SetEnvIfExpr") == 0 || strcasecmp(name, "BrowserMatch") == 0
             || strcasecmp(name, "BrowserMatchNoCase") == 0) {
        skip = 1;                                  /* expression or regex */
    }
    else {
        return 0;
    }
    for (; skip > 0; skip--) {
        ap_getword_conf(p, &args);
    }
    while (*(word = ap_getword_conf(p, &args)) != '\0') {
        if (all ? is_our_variable(word) : assignment_is_ours(word, p)) {
            return 1;
        }
    }
    return 0;
}

/* Warn (PA00047) of each directive in the configuration files that writes
 * a PROVAUTH_* variable: applications and logs take those for the module's
 * decision.  Before authorization the module replaces them; after it (a
 * SetEnv, UnsetEnv or a RewriteRule of a <Directory> run in fixups) they
 * would stand in for it. */
static void check_variable_writers(const ap_directive_t *list, server_rec *main,
                                   apr_pool_t *p)
{
    const ap_directive_t *d;

    for (d = list; d != NULL; d = d->next) {
        if (d->first_child != NULL) {
            check_variable_writers(d->first_child, main, p);
        }
        if (d->args != NULL && writes_our_variable(d, p)) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, main, PROVAUTH_LOGNO(00047)
                         "%s (line %d of %s) writes a PROVAUTH_* variable (or one "
                         "whose name the request chooses): applications and logs take "
                         "these for mod_provauth's decision; set before authorization "
                         "it is replaced, set after it (SetEnv, UnsetEnv, a RewriteRule "
                         "in a <Directory> or .htaccess) it would stand in for the "
                         "decision; remove it, or use a name of your own",
                         d->directive, d->line_num, d->filename);
        }
    }
}

void provauth_check_servers(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *main)
{
    tls_settings_t main_tls, tls;
    apr_hash_t *loaded = apr_hash_make(ptemp);
    server_rec *s;

    if (provauth_first_use(pconf) != NULL) {
        check_variable_writers(ap_conftree, main, ptemp);
    }
    memset(&main_tls, 0, sizeof(main_tls));
    read_settings(ap_conftree, 0, &main_tls, ptemp);
    for (s = main; s != NULL; s = s->next) {
        const char *name, *ssl_path = NULL;
        X509_STORE *ssl_store;

        server_settings(s, &main_tls, &tls, ptemp);
        if (!serves_tls(s, &tls, ptemp)) {
            continue; /* plain HTTP: nothing of mod_ssl's to check */
        }
        if (!provauth_server_uses_module(s, pconf)) {
            continue;
        }
        name = provauth_describe_server(s, ptemp);
        check_accept_expired(s, &tls, name, ptemp);
        check_certificate_requested(s, &tls, name, pconf, ptemp);
        check_intermediates(s, &tls, name, ptemp);
        ssl_store = ssl_anchors(&tls, &ssl_path, loaded, ptemp);
        check_ssl_ca_file(s, &tls, name, ssl_path, ssl_store, pconf, ptemp);
        check_pinned_roots(s, &tls, name, ssl_path, ssl_store, pconf, ptemp);
    }
}
