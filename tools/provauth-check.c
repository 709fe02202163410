/* provauth-check: mod_provauth's verdict on device certificates from the
 * command line, computed by the same library the module links. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "provauth_check_args.h"
#include "provauth_decision.h"
#include "provauth_json.h"
#include "provauth_mac.h"
#include "provauth_pin.h"
#include "provauth_verify.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define PROGRAM "provauth-check"

/* Exit statuses. */
#define EXIT_GRANTED 0
#define EXIT_DENIED  1
#define EXIT_TROUBLE 2

static const char usage_text[] =
"Usage: " PROGRAM " --ca FILE [OPTION]... CERT...\n"
"   or: " PROGRAM " --pin [--mac-from ATTR [REGEX]] CERT...\n"
"Re-validate device certificates exactly as mod_provauth does and say whether\n"
"Require provauth-device (with --path: Require provauth-mac) would grant them.\n"
"\n"
"  --ca FILE              trust anchors: the directory's ProvAuthCACertificateFile\n"
"                         (or the virtual host's SSLCACertificateFile)\n"
"  --intermediates FILE   intermediate CAs: ProvAuthIntermediateFile\n"
"  --crl FILE             CRLs: ProvAuthCRLFile\n"
"  --crl-check MODE [no_crl_for_cert_ok]\n"
"                         none, leaf or chain, as ProvAuthCRLCheck\n"
"  --pinned FILE          pinned devices: ProvAuthPinnedDeviceFile\n"
"  --pin                  print the line of a ProvAuthPinnedDeviceFile that\n"
"                         pins each CERT for its MAC (no --ca needed)\n"
"  --mac-from ATTR [REGEX]\n"
"                         where the MAC is, as ProvAuthMACFrom (default: the CN\n"
"                         is the MAC); REGEX is taken when it holds a '('\n"
"  --mac-regex REGEX      the REGEX of --mac-from, given on its own\n"
"  --path URL-PATH        also decide Require provauth-mac for this URL path\n"
"  --whole-path           ... as Require provauth-mac path (MAC anywhere in it)\n"
"  --at DATE              judge dates at DATE, not now: YYYY-MM-DD,\n"
"                         YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM], @SECONDS, +DAYS,\n"
"                         -DAYS\n"
"  --json                 one JSON object on standard output, for scripts\n"
"  -h, --help             show this help\n"
"  -V, --version          show the version\n"
"\n"
"Files are PEM or DER. CERT is a device certificate, alone or followed by the\n"
"chain the phone sends (leaf first); '-' reads standard input.\n"
"\n"
"Exit status: 0 every certificate granted, 1 one or more denied,\n"
"2 usage error, unreadable file or internal error.\n"
"See provauth-check(1).\n";

/* Standard output, with any write error remembered for the exit status. */
static int output_failed;

static void out(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    if (vprintf(format, ap) < 0) {
        output_failed = 1;
    }
    va_end(ap);
}

static void complain(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void complain(const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    (void)fputs(PROGRAM ": ", stderr);
    (void)vfprintf(stderr, format, ap);
    (void)fputc('\n', stderr);
    va_end(ap);
}

/* What the module would decide about one certificate file. */
typedef struct {
    const char *file;
    const char *file_error;       /* the file could not be used: no verdict */
    provauth_verdict_t verdict;
    const char *not_after;        /* the leaf's, "YYYY-MM-DDTHH:MM:SSZ" */
    int has_mac;
    provauth_mac_t mac;
    const char *no_mac_reason;
    int trusted;                  /* Require provauth-device grants */
    int path_granted;             /* Require provauth-mac grants --path */
    const char *path_reason;      /* why not */
    const char *error;            /* what PROVAUTH_ERROR would hold */
    int granted;
    const char *pin_line;         /* unpinned self-signed: the line to pin it */
} check_result_t;

typedef struct {
    const provauth_check_opts_t *opts;
    provauth_trust_t trust;
    const provauth_mac_rule_t *rule;
} checker_t;

static const char *iso_time(const ASN1_TIME *when, apr_pool_t *p)
{
    struct tm tm;
    char buf[32];

    if (when == NULL || !ASN1_TIME_to_tm(when, &tm)
        || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        return NULL;
    }
    return apr_pstrdup(p, buf);
}

/* Require provauth-mac for --path: the module's own decision function. */
static void decide_path(check_result_t *result, const provauth_check_opts_t *opts,
                        apr_pool_t *p)
{
    provauth_facts_t facts;
    const char *reason = NULL;

    memset(&facts, 0, sizeof(facts));
    facts.status = result->verdict.status;
    facts.status_reason = result->verdict.reason ? result->verdict.reason
                                                 : "no client certificate";
    facts.mac = result->has_mac ? &result->mac : NULL;
    facts.no_mac_reason = result->no_mac_reason;
    facts.url_path = opts->url_path;
    result->path_granted = provauth_decide(&facts, opts->whole_path ? PROVAUTH_REQUIRE_MAC_PATH
                                                                    : PROVAUTH_REQUIRE_MAC,
                                           &reason, p) == PROVAUTH_DECISION_GRANT;
    result->path_reason = result->path_granted ? NULL : reason;
}

/* Returns APR_SUCCESS with a verdict, or an error with result->file_error. */
static apr_status_t check_one(check_result_t *result, const checker_t *checker,
                              const char *file, apr_pool_t *p)
{
    const provauth_check_opts_t *opts = checker->opts;
    STACK_OF(X509) *certs = NULL, *chain = NULL;
    const char *why = NULL;
    apr_status_t rv;
    X509 *leaf;

    memset(result, 0, sizeof(*result));
    result->file = file;
    rv = provauth_load_device_certs(&certs, strcmp(file, "-") == 0 ? "/dev/stdin" : file,
                                    p, &why);
    if (rv != APR_SUCCESS) {
        result->file_error = why;
        return rv;
    }
    leaf = sk_X509_value(certs, 0);
    /* What a TLS server gets from the peer: the chain after the leaf. */
    chain = sk_X509_dup(certs);
    if (chain == NULL) {
        result->file_error = "out of memory";
        return APR_ENOMEM;
    }
    (void)sk_X509_shift(chain);
    {
        provauth_pin_outcome_e outcome;

        rv = provauth_verify_with_pins(&result->verdict, &checker->trust, checker->rule,
                                       leaf, chain, opts->at, &outcome,
                                       &result->pin_line, p);
    }
    sk_X509_free(chain);
    if (rv != APR_SUCCESS) {
        result->file_error = "internal error while verifying the certificate";
        return rv;
    }
    result->not_after = iso_time(X509_get0_notAfter(leaf), p);
    result->trusted = PROVAUTH_STATUS_IS_TRUSTED(result->verdict.status);
    result->has_mac = provauth_mac_from_cert(leaf, checker->rule, &result->mac,
                                             &result->no_mac_reason, p);
    if (result->verdict.status == PROVAUTH_STATUS_FAILED) {
        result->error = result->verdict.reason;
    }
    if (opts->url_path != NULL) {
        decide_path(result, opts, p);
        result->granted = result->path_granted;
        if (result->trusted && !result->path_granted) {
            result->error = result->path_reason;
        }
    }
    else {
        result->granted = result->trusted;
    }
    return APR_SUCCESS;
}

/* ---- text output ---- */

static void print_text(const check_result_t *r, const provauth_check_opts_t *opts)
{
    const provauth_verdict_t *v = &r->verdict;

    if (r->file_error != NULL) {
        out("%s: ERROR\n  error:      %s\n", r->file, r->file_error);
        return;
    }
    out("%s: %s\n", r->file, r->granted ? "GRANTED" : "DENIED");
    out("  status:     %s\n", provauth_status_name(v->status));
    if (v->reason != NULL) {
        out("  reason:     %s\n", v->reason);
    }
    out("  subject:    %s\n  issuer:     %s\n  serial:     %s\n",
           v->subject, v->issuer, v->serial);
    out("  days left:  %ld (notAfter %s)\n", v->days_left,
           r->not_after ? r->not_after : "?");
    if (r->pin_line != NULL) {
        out("  pin line:   %s (for %s, once the MAC is checked)\n", r->pin_line,
            opts->pinned_file);
    }
    if (r->has_mac) {
        out("  MAC:        %s%s\n", r->mac.hex,
               r->trusted ? "" : " (not used: the certificate is not trusted)");
    }
    else {
        out("  MAC:        none (%s)\n", r->no_mac_reason);
    }
    if (opts->url_path != NULL) {
        if (r->path_granted) {
            out("  path:       %s: granted by Require provauth-mac%s\n",
                   opts->url_path, opts->whole_path ? " path" : "");
        }
        else {
            out("  path:       %s: denied by Require provauth-mac%s: %s\n",
                opts->url_path, opts->whole_path ? " path" : "",
                r->trusted ? r->path_reason : "the certificate is not trusted");
        }
    }
}

/* ---- JSON output ---- */

/* text as a JSON string (or null), from pool p: the registry's escaping,
 * which also replaces what is not UTF-8 (a T61String subject may hold
 * Latin-1). */
static const char *json_string(const char *text, apr_pool_t *p)
{
    apr_size_t size;
    char *quoted;

    if (text == NULL) {
        return "null";
    }
    size = strlen(text) * 6 + 1;
    quoted = apr_palloc(p, size + 2);
    quoted[0] = '"';
    size = provauth_json_escape(text, quoted + 1, size);
    quoted[size + 1] = '"';
    quoted[size + 2] = '\0';
    return quoted;
}

static void json_field(const char *name, const char *value, int last, apr_pool_t *p)
{
    out("\"%s\": %s%s", name, json_string(value, p), last ? "" : ", ");
}

static void json_bool(const char *name, int value, int last)
{
    out("\"%s\": %s%s", name, value ? "true" : "false", last ? "" : ", ");
}

static void print_json_result(const check_result_t *r,
                              const provauth_check_opts_t *opts, apr_pool_t *p)
{
    const provauth_verdict_t *v = &r->verdict;

    out("    {");
    json_field("file", r->file, 0, p);
    if (r->file_error != NULL) {
        json_bool("granted", 0, 0);
        json_field("file_error", r->file_error, 1, p);
        out("}");
        return;
    }
    json_bool("granted", r->granted, 0);
    json_field("status", provauth_status_name(v->status), 0, p);
    json_field("error", r->error, 0, p);
    json_field("reason", v->reason, 0, p);
    json_field("hint", v->hint, 0, p);
    if (v->status == PROVAUTH_STATUS_FAILED) {
        out("\"verify_error\": %d, \"error_depth\": %d, ", v->verify_error,
               v->error_depth);
    }
    else {
        out("\"verify_error\": null, \"error_depth\": null, ");
    }
    json_field("subject", v->subject, 0, p);
    json_field("issuer", v->issuer, 0, p);
    json_field("serial", v->serial, 0, p);
    json_field("not_after", r->not_after, 0, p);
    out("\"days_left\": %ld, ", v->days_left);
    json_field("mac", r->has_mac ? r->mac.hex : NULL, 0, p);
    json_field("mac_error", r->has_mac ? NULL : r->no_mac_reason, 0, p);
    json_field("pin_line", r->pin_line, 0, p);
    out("\"path\": ");
    if (opts->url_path == NULL) {
        out("null");
    }
    else {
        out("{");
        json_field("url", opts->url_path, 0, p);
        json_bool("whole_path", opts->whole_path, 0);
        json_bool("granted", r->path_granted, 0);
        json_field("reason", r->path_granted ? NULL : r->path_reason, 1, p);
        out("}");
    }
    out("}");
}

/* ---- main ---- */

/* The MAC rule of --mac-from; 0, or -1 after printing why. */
static int load_rule(checker_t *checker, const provauth_check_opts_t *opts,
                     apr_pool_t *p)
{
    provauth_mac_rule_t *rule = NULL;
    const char *why = NULL;

    if (opts->mac_attribute == NULL && opts->mac_regex == NULL) {
        checker->rule = provauth_mac_rule_default();
        return 0;
    }
    if (provauth_mac_rule_make(&rule, opts->mac_attribute ? opts->mac_attribute : "CN",
                               opts->mac_regex, p, &why) != APR_SUCCESS) {
        complain("--mac-from: %s", why);
        return -1;
    }
    checker->rule = rule;
    return 0;
}

/* Load the trust files; 0, or -1 after printing why. */
static int load_trust(checker_t *checker, const provauth_check_opts_t *opts,
                      apr_pool_t *p)
{
    const char *why = NULL;

    memset(&checker->trust, 0, sizeof(checker->trust));
    checker->opts = opts;
    if (provauth_load_anchors(&checker->trust.anchors, opts->ca_file, p, &why)
        != APR_SUCCESS) {
        complain("--ca: %s", why);
        return -1;
    }
    if (opts->intermediate_file != NULL
        && provauth_load_certs(&checker->trust.intermediates, opts->intermediate_file,
                               p, &why) != APR_SUCCESS) {
        complain("--intermediates: %s", why);
        return -1;
    }
    if (opts->crl_file != NULL
        && provauth_load_crls(&checker->trust.crls, opts->crl_file, p, &why)
           != APR_SUCCESS) {
        complain("--crl: %s", why);
        return -1;
    }
    if (opts->pinned_file != NULL) {
        provauth_pins_t *pins = NULL;

        if (provauth_pins_load(&pins, opts->pinned_file, p, &why) != APR_SUCCESS) {
            complain("--pinned: %s", why);
            return -1;
        }
        checker->trust.pins = pins;
    }
    if (opts->crl_check != NULL) {
        checker->trust.crl_check = strcmp(opts->crl_check, "none") == 0
                                       ? PROVAUTH_CRL_CHECK_NONE
                                 : strcmp(opts->crl_check, "leaf") == 0
                                       ? PROVAUTH_CRL_CHECK_LEAF
                                       : PROVAUTH_CRL_CHECK_CHAIN;
        checker->trust.missing_crl_ok = opts->crl_missing_ok;
    }
    return load_rule(checker, opts, p);
}

/* --pin: one pin line per certificate, exactly as the module's PA00130
 * line gives it.  EXIT_GRANTED, or EXIT_TROUBLE when one cannot be made. */
static int print_pin_lines(const checker_t *checker, const provauth_check_opts_t *opts,
                           apr_pool_t *p)
{
    int i, status = EXIT_GRANTED;

    for (i = 0; i < opts->ncerts; i++) {
        const char *file = opts->certs[i], *why = NULL;
        STACK_OF(X509) *certs = NULL;
        provauth_fingerprint_t fp;
        provauth_mac_t mac;

        if (provauth_load_device_certs(&certs, strcmp(file, "-") == 0 ? "/dev/stdin"
                                                                       : file,
                                       p, &why) != APR_SUCCESS) {
            complain("%s", why);
            status = EXIT_TROUBLE;
        }
        else if (!provauth_mac_from_cert(sk_X509_value(certs, 0), checker->rule, &mac,
                                         &why, p)) {
            complain("%s: no MAC to pin it for: %s", file, why);
            status = EXIT_TROUBLE;
        }
        else if (provauth_cert_fingerprint(sk_X509_value(certs, 0), &fp)
                 != APR_SUCCESS) {
            complain("%s: cannot compute the SHA-256 fingerprint", file);
            status = EXIT_TROUBLE;
        }
        else {
            out("%s\n", provauth_pin_line(&mac, &fp, p));
        }
    }
    return status;
}

static int run(int argc, const char *const *argv, apr_pool_t *p)
{
    provauth_check_opts_t opts;
    checker_t checker;
    const char *error = NULL;
    int i, status = EXIT_GRANTED;

    if (provauth_check_parse_args(&opts, argc, argv, time(NULL), p, &error) != 0) {
        complain("%s\nTry '" PROGRAM " --help'.", error);
        return EXIT_TROUBLE;
    }
    if (opts.help) {
        out("%s", usage_text);
        return EXIT_GRANTED;
    }
    if (opts.version) {
        out(PROGRAM " %s (mod_provauth, %s)\n", PACKAGE_VERSION,
               OpenSSL_version(OPENSSL_VERSION));
        return EXIT_GRANTED;
    }
    if (opts.pin) {
        memset(&checker, 0, sizeof(checker));
        checker.opts = &opts;
        return load_rule(&checker, &opts, p) != 0 ? EXIT_TROUBLE
                                                  : print_pin_lines(&checker, &opts, p);
    }
    if (load_trust(&checker, &opts, p) != 0) {
        return EXIT_TROUBLE;
    }
    if (opts.json) {
        char at_text[32];

        out("{\n  \"at\": \"%s\",\n  \"results\": [\n",
            provauth_time_text((apr_int64_t)opts.at, at_text, sizeof(at_text)));
    }
    for (i = 0; i < opts.ncerts; i++) {
        check_result_t result;

        if (check_one(&result, &checker, opts.certs[i], p) != APR_SUCCESS) {
            status = EXIT_TROUBLE;
        }
        else if (!result.granted && status == EXIT_GRANTED) {
            status = EXIT_DENIED;
        }
        if (opts.json) {
            print_json_result(&result, &opts, p);
            out("%s", i + 1 < opts.ncerts ? ",\n" : "\n");
        }
        else {
            if (i > 0) {
                out("\n");
            }
            print_text(&result, &opts);
        }
    }
    if (opts.json) {
        out("  ],\n  \"exit_status\": %d\n}\n", status);
    }
    return status;
}

int main(int argc, char **argv)
{
    apr_pool_t *pool = NULL;
    int status;

    if (apr_initialize() != APR_SUCCESS || apr_pool_create(&pool, NULL) != APR_SUCCESS) {
        complain("cannot initialize APR");
        return EXIT_TROUBLE;
    }
    status = run(argc, (const char *const *)argv, pool);
    apr_pool_destroy(pool);
    apr_terminate();
    if (fflush(stdout) != 0 || ferror(stdout) || output_failed) {
        return EXIT_TROUBLE;
    }
    return status;
}
