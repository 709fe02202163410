/* mod_provauth_crl.c: at startup, walk a virtual host's sections as httpd
 * merges them and warn (PA00061) about each CA whose devices a strict CRL
 * check would refuse for want of its CRL, before the first phone is.
 *
 * Licensed under the Apache License, Version 2.0 (see LICENSE). */
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"

#include "provauth_crl.h"
#include "provauth_verify.h"
#include "provauth_log.h"

#include "mod_provauth_private.h"

/* Log lines of this file carry the module's name ([provauth:...]), so
 * that LogLevel provauth:... applies to them. */
APLOG_USE_MODULE(provauth);

#define KEY_CRL_WARNED "mod_provauth:crl-warned"
#define KEY_CRL_CHECKED "mod_provauth:crl-checked"

typedef struct {
    server_rec *s;
    apr_pool_t *p;
    const provauth_server_conf_t *sconf;
    apr_hash_t *warned;            /* "CA|CRL source": said already */
    apr_hash_t *checked;           /* trust configurations looked at already */
    const char *vhost_name;        /* "the virtual host host (file:line)" or
                                    * "the main server host" */
} walk_t;

/* The name's text, "?" also when out of memory (for messages). */
static const char *name_text(const X509_NAME *name, apr_pool_t *p)
{
    const char *text = provauth_name_text(name, p);

    return text ? text : "?";
}

/* Where the CRLs of a section come from, for the message. */
static const char *crl_source(const walk_t *w, const provauth_dir_conf_t *conf)
{
    if (conf->crl_file != NULL) {
        return apr_psprintf(w->p, DIR_CRL_FILE " '%s'", conf->crl_file);
    }
    if (conf->anchors == NULL) {
        return "mod_ssl's SSLCARevocationFile/Path (no " DIR_CRL_FILE ")";
    }
    return "no CRL file at all (no " DIR_CRL_FILE ")";
}

/* How the section came to check CRLs strictly, for the message. */
static const char *mode_text(const provauth_dir_conf_t *conf, int chain)
{
    if (conf->crl_check != PROVAUTH_CRL_CHECK_DEFAULT) {
        return chain ? DIR_CRL_CHECK " chain" : DIR_CRL_CHECK " leaf";
    }
    return chain ? "no " DIR_CRL_CHECK ": " DIR_CRL_FILE " with mod_ssl's "
                   "SSLCARevocationCheck chain"
                 : "no " DIR_CRL_CHECK ": leaf, the default with " DIR_CRL_FILE;
}

static void check_section(walk_t *w, const provauth_dir_conf_t *conf, const char *where)
{
    provauth_trust_t trust;
    apr_array_header_t *missing;
    const char *key;
    int i;

    provauth_dir_trust(w->sconf, conf, &trust);
    /* Sections and virtual hosts share files: each trust configuration
     * once (its CAs are checked by verifying them). */
    key = apr_psprintf(w->p, "%pp %pp %pp %d %d", (void *)trust.anchors,
                       (void *)trust.intermediates, (void *)trust.crls,
                       (int)trust.crl_check, trust.missing_crl_ok);
    if (apr_hash_get(w->checked, key, APR_HASH_KEY_STRING) != NULL) {
        return;
    }
    apr_hash_set(w->checked, key, APR_HASH_KEY_STRING, key);
    missing = provauth_cas_without_crl(&trust, w->p);
    for (i = 0; i < missing->nelts; i++) {
        const char *ca = name_text(X509_get_subject_name(APR_ARRAY_IDX(missing, i, X509 *)),
                                   w->p);
        const char *source = crl_source(w, conf);
        const char *said = apr_pstrcat(w->p, ca, "|", source, NULL);
        int chain = provauth_crl_check_chain(&trust);

        if (apr_hash_get(w->warned, said, APR_HASH_KEY_STRING) != NULL) {
            continue;
        }
        apr_hash_set(w->warned, said, APR_HASH_KEY_STRING, said);
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, w->s, PROVAUTH_LOGNO(00061)
                     "%s: CRLs are checked strictly (%s) but %s has "
                     "no CRL issued by '%s': %s it is refused with \"unable to get "
                     "certificate CRL\"; add that CA's CRL from the vendor, or use "
                     DIR_CRL_CHECK " %s no_crl_for_cert_ok", where,
                     mode_text(conf, chain), source, ca,
                     chain ? "every device whose chain includes"
                           : "every device certificate issued by",
                     chain ? "chain" : "leaf");
    }
}

static const provauth_dir_conf_t *merged(walk_t *w, const provauth_dir_conf_t *base,
                                         const ap_conf_vector_t *section)
{
    provauth_dir_conf_t *own = ap_get_module_config(section, &provauth_module);

    return own ? provauth_merge_dir_conf(w->p, (void *)base, own) : base;
}

static int is_prefix(const core_dir_config *outer, const core_dir_config *inner)
{
    return outer != inner && outer->r == NULL && !outer->d_is_fnmatch && outer->d != NULL
        && inner->d != NULL && strlen(outer->d) < strlen(inner->d)
        && strncmp(outer->d, inner->d, strlen(outer->d)) == 0;
}

/* The <Directory> or <Location> sections of an array, each merged with
 * the ones of the array that enclose it (shortest first), and the <Files>
 * sections inside them. */
static void walk_sections(walk_t *w, const apr_array_header_t *sections,
                          const provauth_dir_conf_t *vhost, const char *kind)
{
    int i, j;

    for (i = 0; sections != NULL && i < sections->nelts; i++) {
        ap_conf_vector_t *section = APR_ARRAY_IDX(sections, i, ap_conf_vector_t *);
        const core_dir_config *core = ap_get_core_module_config(section);
        const provauth_dir_conf_t *conf = vhost;
        const char *where;
        apr_size_t done = 0;

        if (core == NULL) {
            continue;
        }
        /* Enclosing sections, shortest path first. */
        for (;;) {
            const core_dir_config *next_core = NULL;
            ap_conf_vector_t *next = NULL;

            for (j = 0; j < sections->nelts; j++) {
                ap_conf_vector_t *other = APR_ARRAY_IDX(sections, j, ap_conf_vector_t *);
                const core_dir_config *other_core = ap_get_core_module_config(other);

                if (other_core != NULL && is_prefix(other_core, core)
                    && strlen(other_core->d) > done
                    && (next_core == NULL || strlen(other_core->d) < strlen(next_core->d))) {
                    next_core = other_core;
                    next = other;
                }
            }
            if (next == NULL) {
                break;
            }
            conf = merged(w, conf, next);
            done = strlen(next_core->d);
        }
        conf = merged(w, conf, section);
        where = apr_psprintf(w->p, "<%s %s> (%s)", kind,
                             core->d ? core->d : "?", w->vhost_name);
        if (ap_get_module_config(section, &provauth_module) != NULL) {
            check_section(w, conf, where);
        }
        for (j = 0; core->sec_file != NULL && j < core->sec_file->nelts; j++) {
            ap_conf_vector_t *files = APR_ARRAY_IDX(core->sec_file, j, ap_conf_vector_t *);
            const core_dir_config *files_core = ap_get_core_module_config(files);

            if (ap_get_module_config(files, &provauth_module) != NULL) {
                check_section(w, merged(w, conf, files),
                              apr_psprintf(w->p, "<Files %s> in %s",
                                           files_core && files_core->d ? files_core->d
                                                                       : "?", where));
            }
        }
    }
}

void provauth_warn_cas_without_crl(server_rec *s, apr_pool_t *ignored)
{
    /* Keys of the warned-about hash live as long as the generation. */
    apr_pool_t *pconf = s->process->pconf, *p = pconf;
    const core_server_config *core = ap_get_core_module_config(s->module_config);
    const provauth_dir_conf_t *vhost = provauth_vhost_dir_conf(s);
    const core_dir_config *vhost_core = ap_get_core_module_config(s->lookup_defaults);
    walk_t w;
    int i;

    (void)ignored;
    if (vhost == NULL || core == NULL || !provauth_server_uses_module(s, pconf)) {
        return;
    }
    w.s = s;
    w.p = p;
    w.sconf = provauth_server_conf(s);
    w.vhost_name = provauth_describe_server(s, p);
    w.warned = provauth_pool_hash(pconf, KEY_CRL_WARNED);
    w.checked = provauth_pool_hash(pconf, KEY_CRL_CHECKED);
    check_section(&w, vhost, provauth_describe_server(s, p));
    for (i = 0; vhost_core && vhost_core->sec_file && i < vhost_core->sec_file->nelts;
         i++) {
        ap_conf_vector_t *files = APR_ARRAY_IDX(vhost_core->sec_file, i,
                                                ap_conf_vector_t *);
        const core_dir_config *files_core = ap_get_core_module_config(files);

        if (ap_get_module_config(files, &provauth_module) != NULL) {
            check_section(&w, merged(&w, vhost, files),
                          apr_psprintf(p, "<Files %s> (%s)",
                                       files_core && files_core->d ? files_core->d : "?",
                                       w.vhost_name));
        }
    }
    walk_sections(&w, core->sec_dir, vhost, "Directory");
    walk_sections(&w, core->sec_url, vhost, "Location");
}
