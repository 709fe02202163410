/* provauth_decision.c: grant, deny or error for one Require provauth-* line;
 * pure, so that every branch (the internal errors included) is unit tested. */
#include <string.h>

#include <apr_strings.h>

#include "provauth_decision.h"
#include "provauth_hint.h"

static provauth_decision_e deny(const char **reason, const char *why)
{
    *reason = why;
    return PROVAUTH_DECISION_DENY;
}

static provauth_decision_e error(const char **reason, const char *why)
{
    *reason = why;
    return PROVAUTH_DECISION_ERROR;
}

/* Is the file a URL is mapped to named after a device, and not this one?
 * Its name (with whole_path, its whole path) is read as a URL path is: a
 * server-level RewriteRule or AliasMatch may map a URL that names this
 * device to another device's file. */
static int served_file_names_another_device(const provauth_mac_t *mac,
                                            const char *served_file, int whole_path,
                                            const char *url_path)
{
    const char *name = served_file;

    if (served_file == NULL) {
        return 0;
    }
    if (!whole_path) {
        const char *slash = strrchr(served_file, '/');
        const char *url_slash = strrchr(url_path, '/');

        name = slash ? slash + 1 : served_file;
        /* The usual case, on every request: the file has the URL's name,
         * whose check has just passed, and the same name reads the same. */
        if (strcmp(name, url_slash ? url_slash + 1 : url_path) == 0) {
            return 0;
        }
    }
    return provauth_path_names_a_device(name)
        && !provauth_mac_in_path(mac, name, whole_path);
}

provauth_decision_e provauth_decide(const provauth_facts_t *facts,
                                    provauth_requirement_e requirement,
                                    const char **reason, apr_pool_t *p)
{
    *reason = NULL;
    if (facts == NULL) {
        return error(reason, "no facts about the request");
    }
    if (requirement != PROVAUTH_REQUIRE_DEVICE && requirement != PROVAUTH_REQUIRE_MAC
        && requirement != PROVAUTH_REQUIRE_MAC_PATH
        && requirement != PROVAUTH_REQUIRE_ALLOWLIST) {
        return error(reason, "unknown requirement");
    }
    if (facts->check_failed) {
        return error(reason, facts->status_reason ? facts->status_reason
                                                  : "the certificate could not be checked");
    }
    if (!PROVAUTH_STATUS_IS_TRUSTED(facts->status)) {
        return deny(reason, facts->status_reason ? facts->status_reason
                                                 : "untrusted certificate");
    }
    if (requirement == PROVAUTH_REQUIRE_DEVICE) {
        return PROVAUTH_DECISION_GRANT;
    }
    if (facts->mac == NULL) {
        return deny(reason, apr_pstrcat(p, "no MAC: ",
                                        facts->no_mac_reason ? facts->no_mac_reason
                                                             : "unknown reason",
                                        NULL));
    }
    if (requirement == PROVAUTH_REQUIRE_ALLOWLIST) {
        if (facts->allowlist == NULL) {
            return error(reason, "the allow-list is not loaded");
        }
        if (!provauth_allowlist_contains(facts->allowlist, facts->mac)) {
            return deny(reason, apr_psprintf(p, "MAC %s is not in the allow-list %s",
                                             facts->mac->hex,
                                             facts->allowlist_name ? facts->allowlist_name
                                                                   : "(unnamed)"));
        }
        return PROVAUTH_DECISION_GRANT;
    }
    if (facts->url_path == NULL) {
        return error(reason, "the path served could not be determined");
    }
    if (!provauth_mac_in_path(facts->mac, facts->url_path,
                              requirement == PROVAUTH_REQUIRE_MAC_PATH)) {
        return deny(reason, provauth_reason_mac_not_in_path(
                                facts->mac, facts->url_path,
                                requirement == PROVAUTH_REQUIRE_MAC_PATH, p));
    }
    if (served_file_names_another_device(facts->mac, facts->served_file,
                                         requirement == PROVAUTH_REQUIRE_MAC_PATH,
                                         facts->url_path)) {
        return deny(reason, apr_psprintf(p, "MAC %s is in the requested %s, but the "
                                         "file it is mapped to is named after another "
                                         "device (a RewriteRule, AliasMatch or the "
                                         "like maps this URL to another phone's file)",
                                         facts->mac->hex,
                                         requirement == PROVAUTH_REQUIRE_MAC_PATH
                                             ? "path" : "file name"));
    }
    return PROVAUTH_DECISION_GRANT;
}
