/* provauth_check_args.h: the command line of provauth-check, parsed into
 * options without touching files (so that it can be unit-tested). */
#ifndef PROVAUTH_CHECK_ARGS_H
#define PROVAUTH_CHECK_ARGS_H

#include <time.h>
#include <apr_pools.h>

typedef struct provauth_check_opts {
    const char *ca_file;            /* --ca (required) */
    const char *intermediate_file;  /* --intermediates, NULL when absent */
    const char *crl_file;           /* --crl, NULL when absent */
    const char *pinned_file;        /* --pinned, NULL when absent */
    const char *crl_check;          /* --crl-check MODE, NULL when absent */
    int crl_missing_ok;             /* ... no_crl_for_cert_ok */
    int pin;                        /* --pin: print the pin lines of the CERTs */
    const char *mac_attribute;      /* --mac-from ATTR, NULL: CN is the MAC */
    const char *mac_regex;          /* its REGEX, NULL when none */
    const char *url_path;           /* --path, NULL when absent */
    int whole_path;                 /* --whole-path: Require provauth-mac path */
    time_t at;                      /* --at, or the time of parsing */
    const char *at_text;            /* --at as given, NULL when absent */
    int json;                       /* --json */
    int help;                       /* --help: nothing else is required */
    int version;                    /* --version: likewise */
    int ncerts;
    const char **certs;             /* the CERT arguments, in order */
} provauth_check_opts_t;

/* Parse argv[1..argc) into *opts, with now as the default --at.  Returns 0,
 * or -1 with *error set to a one-line message naming the argument. */
int provauth_check_parse_args(provauth_check_opts_t *opts, int argc,
                              const char *const *argv, time_t now,
                              apr_pool_t *p, const char **error);


#endif /* PROVAUTH_CHECK_ARGS_H */
