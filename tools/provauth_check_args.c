/* provauth_check_args.c: provauth-check's command line: options and their
 * values (--at dates by provauth_time_parse_arg).  Touches no file. */
#include <string.h>

#include <apr_strings.h>

#include "provauth_check_args.h"
#include "provauth_json.h"

/* The options that take a value, and where it goes. */
typedef enum {
    OPT_CA, OPT_INTERMEDIATES, OPT_CRL, OPT_MAC_FROM, OPT_MAC_REGEX, OPT_PATH,
    OPT_AT, OPT_JSON, OPT_WHOLE_PATH, OPT_HELP, OPT_VERSION, OPT_PINNED,
    OPT_CRL_CHECK, OPT_PIN, OPT_UNKNOWN
} option_e;

typedef struct {
    const char *name;
    option_e option;
    int takes_value;
} option_t;

static const option_t options[] = {
    { "--ca", OPT_CA, 1 },
    { "--intermediates", OPT_INTERMEDIATES, 1 },
    { "--crl", OPT_CRL, 1 },
    { "--mac-from", OPT_MAC_FROM, 1 },
    { "--mac-regex", OPT_MAC_REGEX, 1 },
    { "--path", OPT_PATH, 1 },
    { "--at", OPT_AT, 1 },
    { "--json", OPT_JSON, 0 },
    { "--whole-path", OPT_WHOLE_PATH, 0 },
    { "--help", OPT_HELP, 0 },
    { "-h", OPT_HELP, 0 },
    { "--version", OPT_VERSION, 0 },
    { "-V", OPT_VERSION, 0 },
    { "--pinned", OPT_PINNED, 1 },
    { "--crl-check", OPT_CRL_CHECK, 1 },
    { "--pin", OPT_PIN, 0 },
};

/* The option named by arg ("--ca" or "--ca=FILE"); *inline_value points
 * after the '=' when there is one. */
static const option_t *find_option(const char *arg, const char **inline_value)
{
    size_t i, len = strcspn(arg, "=");

    *inline_value = arg[len] == '=' ? arg + len + 1 : NULL;
    for (i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
        if (strlen(options[i].name) == len && strncmp(options[i].name, arg, len) == 0) {
            return &options[i];
        }
    }
    return NULL;
}

/* Set a single-valued option once. */
static int set_once(const char **slot, const char *value, const char *name,
                    apr_pool_t *p, const char **error)
{
    if (*slot != NULL) {
        *error = apr_psprintf(p, "%s given twice", name);
        return -1;
    }
    if (*value == '\0') {
        *error = apr_psprintf(p, "%s needs a non-empty value", name);
        return -1;
    }
    *slot = value;
    return 0;
}

/* A REGEX after --mac-from ATTR is recognized by its capture group: a
 * ProvAuthMACFrom regex must have one, a certificate file name rarely does. */
static int looks_like_regex(const char *arg)
{
    return arg != NULL && arg[0] != '-' && strchr(arg, '(') != NULL;
}

static int apply_option(provauth_check_opts_t *opts, const option_t *opt,
                        const char *given, apr_pool_t *p, const char **error)
{
    const char *value = given ? given : "";
    apr_int64_t when = 0;

    switch (opt->option) {
    case OPT_CA:
        return set_once(&opts->ca_file, value, opt->name, p, error);
    case OPT_INTERMEDIATES:
        return set_once(&opts->intermediate_file, value, opt->name, p, error);
    case OPT_CRL:
        return set_once(&opts->crl_file, value, opt->name, p, error);
    case OPT_MAC_FROM:
        return set_once(&opts->mac_attribute, value, opt->name, p, error);
    case OPT_MAC_REGEX:
        return set_once(&opts->mac_regex, value, "a MAC regex", p, error);
    case OPT_PATH:
        if (value[0] != '/') {
            *error = apr_psprintf(p, "--path needs a URL path starting with '/', "
                                  "not '%s'", value);
            return -1;
        }
        return set_once(&opts->url_path, value, opt->name, p, error);
    case OPT_AT:
        if (set_once(&opts->at_text, value, opt->name, p, error) != 0) {
            return -1;
        }
        if (!provauth_time_parse_arg(value, (apr_int64_t)opts->at, &when)) {
            *error = apr_psprintf(p, "--at: '%s' is not a date (YYYY-MM-DD, "
                                  "YYYY-MM-DDTHH:MM:SSZ, @SECONDS, +DAYS, -DAYS "
                                  "or now)", value);
            return -1;
        }
        opts->at = (time_t)when;
        return 0;
    case OPT_JSON:
        opts->json = 1;
        return 0;
    case OPT_WHOLE_PATH:
        opts->whole_path = 1;
        return 0;
    case OPT_HELP:
        opts->help = 1;
        return 0;
    case OPT_VERSION:
        opts->version = 1;
        return 0;
    case OPT_PINNED:
        return set_once(&opts->pinned_file, value, opt->name, p, error);
    case OPT_CRL_CHECK:
        if (strcmp(value, "none") != 0 && strcmp(value, "leaf") != 0
            && strcmp(value, "chain") != 0) {
            *error = apr_psprintf(p, "--crl-check: '%s' is not none, leaf or chain",
                                  value);
            return -1;
        }
        return set_once(&opts->crl_check, value, opt->name, p, error);
    case OPT_PIN:
        opts->pin = 1;
        return 0;
    case OPT_UNKNOWN:
        break;
    }
    *error = apr_psprintf(p, "unknown option '%s'", opt->name);
    return -1;
}

int provauth_check_parse_args(provauth_check_opts_t *opts, int argc,
                              const char *const *argv, time_t now,
                              apr_pool_t *p, const char **error)
{
    int i, options_done = 0;

    memset(opts, 0, sizeof(*opts));
    opts->at = now;
    opts->certs = apr_pcalloc(p, sizeof(*opts->certs) * (size_t)(argc > 0 ? argc : 1));
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        const option_t *opt;

        if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
            opts->certs[opts->ncerts++] = arg; /* "-": standard input */
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = 1;
            continue;
        }
        opt = find_option(arg, &value);
        if (opt == NULL) {
            *error = apr_psprintf(p, "unknown option '%s'", arg);
            return -1;
        }
        if (!opt->takes_value && value != NULL) {
            *error = apr_psprintf(p, "%s takes no value", opt->name);
            return -1;
        }
        if (opt->takes_value && value == NULL) {
            if (i + 1 >= argc) {
                *error = apr_psprintf(p, "%s needs a value", opt->name);
                return -1;
            }
            value = argv[++i];
        }
        if (apply_option(opts, opt, value, p, error) != 0) {
            return -1;
        }
        if (opt->option == OPT_CRL_CHECK && i + 1 < argc
            && strcmp(argv[i + 1], "no_crl_for_cert_ok") == 0) {
            opts->crl_missing_ok = 1; /* as in ProvAuthCRLCheck */
            i++;
        }
        if (opt->option == OPT_MAC_FROM && i + 1 < argc
            && looks_like_regex(argv[i + 1])) {
            if (set_once(&opts->mac_regex, argv[++i], "a MAC regex", p, error) != 0) {
                return -1;
            }
        }
    }
    if (opts->help || opts->version) {
        return 0;
    }
    if (opts->pin) {
        if (opts->ncerts == 0) {
            *error = "--pin needs one or more CERT files";
            return -1;
        }
        if (opts->json || opts->url_path != NULL) {
            *error = "--pin prints pin lines only: no --json or --path with it";
            return -1;
        }
        return 0;
    }
    if (opts->ca_file == NULL) {
        *error = "--ca FILE is required (the trust anchors: the vendor's root CA)";
        return -1;
    }
    if (opts->ncerts == 0) {
        *error = "no certificate to check (give one or more CERT files)";
        return -1;
    }
    if (opts->whole_path && opts->url_path == NULL) {
        *error = "--whole-path needs --path";
        return -1;
    }
    return 0;
}
