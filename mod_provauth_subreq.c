/* mod_provauth_subreq.c: sub-requests and internal redirects.  httpd skips
 * authorization for one whose directory configuration equals its parent's
 * (server/request.c, ap_process_request_internal), so mod_dav's Destination
 * check, DirectoryIndex, MultiViews, mod_include, ErrorDocument and a
 * per-directory mod_rewrite would reach another device's file on the
 * parent's grant.  Under a Require provauth-* line they are authorized
 * again here, for the URI they serve.
 *
 * Licensed under the Apache License, Version 2.0 (see LICENSE). */
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_request.h"

#include "provauth_log.h"

#include "mod_provauth_private.h"

APLOG_USE_MODULE(provauth);

/* The very test httpd makes before it skips authorization: the parent's or
 * prior request's merged configuration is reused as it is. */
static int authorization_was_skipped(const request_rec *r)
{
    return (r->prev != NULL && r->prev->per_dir_config == r->per_dir_config)
        || (r->main != NULL && r->main->per_dir_config == r->per_dir_config);
}

/* mod_authz_core's authorization as httpd runs it for a request of its own
 * (the Require lines; authentication only when they want a user and the
 * parent had none).  Any result but OK refuses the request. */
static int authorize_again(request_rec *r)
{
    int status;

    if (ap_satisfies(r) == SATISFY_ANY && ap_run_access_checker(r) == OK) {
        return OK; /* "Satisfy Any" and an access rule allows it */
    }
    status = ap_run_access_checker_ex(r);
    if (status == OK || status != DECLINED) {
        return status;
    }
    if (r->user == NULL) {
        status = ap_run_check_user_id(r);
        if (status != OK) {
            return status == DECLINED ? HTTP_INTERNAL_SERVER_ERROR : status;
        }
        if (r->user == NULL) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    status = ap_run_auth_checker(r);
    return status == DECLINED ? HTTP_INTERNAL_SERVER_ERROR : status;
}

int provauth_subreq_fixups(request_rec *r)
{
    const provauth_dir_conf_t *dconf;
    int status;

    if (ap_is_initial_req(r) || !authorization_was_skipped(r)) {
        return DECLINED; /* httpd authorized it, or it is the request itself */
    }
    dconf = provauth_dir_conf(r);
    if (dconf == NULL || !dconf->has_provider) {
        return DECLINED; /* no Require provauth-* applies: not ours */
    }
    status = authorize_again(r);
    if (status == OK) {
        return DECLINED;
    }
    if (status == HTTP_INTERNAL_SERVER_ERROR) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PROVAUTH_LOGNO(00103)
                      "authorizing the %s \"%s\" again failed (an authentication "
                      "or authorization module answered nothing or an error): "
                      "refused with 500",
                      r->main ? "sub-request" : "internal redirect",
                      ap_escape_logitem(r->pool, r->uri));
    }
    return status;
}
