/* provauth-report: the fleet view across provisioning servers.  Reads the
 * status handlers' JSON (files or URLs, fetched with curl) and access logs
 * in the provauth_fleet format, merges per device (latest seen wins) and
 * prints the readiness table, CSV, JSON or an HTML page; with --warn and
 * --crit it is a Nagios/Icinga plugin.  Built on the module's pure code.
 *
 * Licensed under the Apache License, Version 2.0 (see LICENSE). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "provauth_fleet.h"
#include "provauth_report.h"

#define VERSION "0.1.0"

typedef struct {
    const char *format;                 /* table, csv, json, html */
    long warn, crit;                    /* -1: not a plugin run */
    int ignore_expired;
    apr_int64_t now;
    const char *curl, *cacert, *cert, *key;
    long timeout;
    apr_array_header_t *sources;        /* const char *: JSON files or URLs */
    apr_array_header_t *logs;           /* const char *: access logs */
} options_t;

static void usage(FILE *out)
{
    (void)fputs("Usage: provauth-report [OPTION]... [SOURCE]...\n"
          "Merge the device registries of provisioning servers running mod_provauth\n"
          "and print the fleet's readiness, most urgent device first.\n"
          "\n"
          "A SOURCE is the JSON of a status handler (SetHandler provauth-status):\n"
          "a file, '-' for standard input, or an http:// or https:// URL (fetched\n"
          "with curl; '?json' is added when the URL has no query).\n"
          "\n"
          "Inputs:\n"
          "  -l, --log FILE        an access log in the provauth_fleet LogFormat\n"
          "                        ('-': standard input); may be repeated\n"
          "      --cacert FILE     CA certificates to verify the servers (curl --cacert)\n"
          "      --cert FILE       client certificate for the servers (curl --cert)\n"
          "      --key FILE        its private key (curl --key)\n"
          "      --curl PROGRAM    the curl to run (default: curl)\n"
          "      --timeout SECONDS for each URL (default: 30)\n"
          "Output (default: a table):\n"
          "      --csv             comma-separated values, one device per line\n"
          "      --json            one JSON document\n"
          "      --html            a self-contained HTML page with an expiry chart per vendor\n"
          "Monitoring plugin (Nagios/Icinga exit codes: 0 OK, 1 WARNING, 2 CRITICAL,\n"
          "3 UNKNOWN; one status line with performance data):\n"
          "  -w, --warn DAYS       WARNING when a trusted device has at most DAYS left\n"
          "  -c, --crit DAYS       CRITICAL when one has at most DAYS left (or expired)\n"
          "      --ignore-expired  devices already expired do not make it CRITICAL\n"
          "Other:\n"
          "      --now TIME        evaluate as of TIME (2026-11-30T12:00:00Z, 2026-11-30,\n"
"                        @SECONDS, +DAYS or -DAYS from now)\n"
          "  -h, --help            this help\n"
          "  -V, --version         the version\n"
          "\n"
          "Exit status (without --warn/--crit): 0 all sources read, 1 some source\n"
          "could not be read, 2 usage error.  See provauth-report(1).\n", out);
}

/* Everything a file or pipe holds; NULL with *why on error. */
static char *read_all(FILE *in, apr_size_t *len, const char **why, apr_pool_t *p)
{
    apr_size_t size = 1 << 16, used = 0;
    char *buf = malloc(size), *copy;

    while (buf != NULL) {
        apr_size_t got = fread(buf + used, 1, size - used - 1, in);
        used += got;
        if (got == 0) {
            break;
        }
        if (size - used - 1 == 0) {
            char *grown = realloc(buf, size * 2);
            if (grown == NULL) {
                break;
            }
            buf = grown;
            size *= 2;
        }
    }
    if (buf == NULL || ferror(in)) {
        *why = buf == NULL ? "out of memory" : strerror(errno);
        free(buf);
        return NULL;
    }
    buf[used] = '\0';
    copy = apr_pmemdup(p, buf, used + 1);
    free(buf);
    *len = used;
    return copy;
}

static int is_url(const char *source)
{
    return strncmp(source, "http://", 7) == 0 || strncmp(source, "https://", 8) == 0;
}

/* Fetch a URL with curl (no shell: the arguments go to curl as they are). */
static char *fetch(const options_t *opts, const char *url, apr_size_t *len,
                   const char **why, apr_pool_t *p)
{
    const char *argv[20];
    int argc = 0, fds[2], status = 0;
    pid_t pid;
    FILE *in;
    char *text;

    if (strchr(url, '?') == NULL) {
        url = apr_pstrcat(p, url, "?json", NULL);
    }
    argv[argc++] = opts->curl;
    argv[argc++] = "--silent";
    argv[argc++] = "--show-error";
    argv[argc++] = "--fail";
    argv[argc++] = "--max-time";
    argv[argc++] = apr_ltoa(p, opts->timeout);
    if (opts->cacert) {
        argv[argc++] = "--cacert";
        argv[argc++] = opts->cacert;
    }
    if (opts->cert) {
        argv[argc++] = "--cert";
        argv[argc++] = opts->cert;
    }
    if (opts->key) {
        argv[argc++] = "--key";
        argv[argc++] = opts->key;
    }
    argv[argc++] = "--";
    argv[argc++] = url;
    argv[argc] = NULL;
    if (pipe(fds) != 0) {
        *why = strerror(errno);
        return NULL;
    }
    (void)fflush(NULL);
    pid = fork();
    if (pid < 0) {
        *why = strerror(errno);
        close(fds[0]);
        close(fds[1]);
        return NULL;
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execvp(opts->curl, (char *const *)argv);
        (void)fprintf(stderr, "provauth-report: cannot run %s: %s\n", opts->curl, strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    in = fdopen(fds[0], "r");
    text = in ? read_all(in, len, why, p) : NULL;
    if (in) {
        (void)fclose(in);
    }
    else {
        close(fds[0]);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        *why = WIFEXITED(status) && WEXITSTATUS(status) == 127
            ? apr_psprintf(p, "cannot run %s", opts->curl)
            : apr_psprintf(p, "%s failed (exit %d; its message is above)", opts->curl,
                           WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return NULL;
    }
    return text;
}

static char *read_source(const options_t *opts, const char *source, apr_size_t *len,
                         const char **why, apr_pool_t *p)
{
    FILE *in;
    char *text;

    if (is_url(source)) {
        return fetch(opts, source, len, why, p);
    }
    in = strcmp(source, "-") == 0 ? stdin : fopen(source, "r");
    if (in == NULL) {
        *why = strerror(errno);
        return NULL;
    }
    text = read_all(in, len, why, p);
    if (in != stdin) {
        (void)fclose(in);
    }
    return text;
}

/* Every line of an access log; lines in another format are counted. */
static int read_log(provauth_fleet_t *fleet, const char *path, unsigned *skipped,
                    const char **why, apr_pool_t *p)
{
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    apr_pool_t *line_pool;
    char *line = NULL;
    size_t size = 0;
    ssize_t got;

    if (in == NULL) {
        *why = strerror(errno);
        return 0;
    }
    apr_pool_create(&line_pool, p);
    while ((got = getline(&line, &size, in)) >= 0) {
        provauth_record_t rec;
        const char *line_why = NULL;

        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r')) {
            line[--got] = '\0';
        }
        if (got == 0) {
            continue;
        }
        switch (provauth_fleet_parse_log_line(line, &rec, &line_why, line_pool)) {
        case 1:
            provauth_fleet_add(fleet, &rec);
            break;
        case -1:
            (*skipped)++;
            break;
        default:
            break;
        }
        apr_pool_clear(line_pool);
    }
    free(line);
    if (in != stdin) {
        (void)fclose(in);
    }
    apr_pool_destroy(line_pool);
    return 1;
}

static int parse_days(const char *text, long *days)
{
    char *end;

    errno = 0;
    *days = strtol(text, &end, 10);
    return errno == 0 && *end == '\0' && end != text && *days >= 0 && *days < 100000;
}

/* 2 on a usage error (message printed), else 0. */
static int parse_options(int argc, char **argv, options_t *opts, apr_pool_t *p)
{
    enum { OPT_CSV = 256, OPT_JSON, OPT_HTML, OPT_CACERT, OPT_CERT, OPT_KEY, OPT_CURL,
           OPT_TIMEOUT, OPT_NOW, OPT_IGNORE_EXPIRED };
    static const struct option long_options[] = {
        { "log", required_argument, NULL, 'l' },
        { "warn", required_argument, NULL, 'w' },
        { "crit", required_argument, NULL, 'c' },
        { "csv", no_argument, NULL, OPT_CSV },
        { "json", no_argument, NULL, OPT_JSON },
        { "html", no_argument, NULL, OPT_HTML },
        { "cacert", required_argument, NULL, OPT_CACERT },
        { "cert", required_argument, NULL, OPT_CERT },
        { "key", required_argument, NULL, OPT_KEY },
        { "curl", required_argument, NULL, OPT_CURL },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "now", required_argument, NULL, OPT_NOW },
        { "ignore-expired", no_argument, NULL, OPT_IGNORE_EXPIRED },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 }
    };
    int c, now_given = 0;

    memset(opts, 0, sizeof(*opts));
    opts->format = "table";
    opts->warn = opts->crit = -1;
    opts->now = (apr_int64_t)time(NULL);
    opts->curl = "curl";
    opts->timeout = 30;
    opts->sources = apr_array_make(p, 4, sizeof(const char *));
    opts->logs = apr_array_make(p, 4, sizeof(const char *));
    opterr = 0;
    while ((c = getopt_long(argc, argv, "l:w:c:hV", long_options, NULL)) != -1) {
        switch (c) {
        case 'l': APR_ARRAY_PUSH(opts->logs, const char *) = optarg; break;
        case 'w':
        case 'c':
            if (!parse_days(optarg, c == 'w' ? &opts->warn : &opts->crit)) {
                (void)fprintf(stderr, "provauth-report: --%s wants a number of days, not '%s'\n",
                        c == 'w' ? "warn" : "crit", optarg);
                return 2;
            }
            break;
        case OPT_CSV: opts->format = "csv"; break;
        case OPT_JSON: opts->format = "json"; break;
        case OPT_HTML: opts->format = "html"; break;
        case OPT_CACERT: opts->cacert = optarg; break;
        case OPT_CERT: opts->cert = optarg; break;
        case OPT_KEY: opts->key = optarg; break;
        case OPT_CURL: opts->curl = optarg; break;
        case OPT_TIMEOUT:
            if (!parse_days(optarg, &opts->timeout) || opts->timeout == 0) {
                (void)fprintf(stderr, "provauth-report: --timeout wants seconds, not '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_NOW:
            /* a second --now would count from the first */
            if (now_given++) {
                (void)fprintf(stderr, "provauth-report: --now given twice\n");
                return 2;
            }
            if (!provauth_time_parse_arg(optarg, opts->now, &opts->now)) {
                (void)fprintf(stderr, "provauth-report: --now wants a time such as "
                        "2026-11-30T12:00:00Z, @SECONDS or +DAYS, not '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_IGNORE_EXPIRED: opts->ignore_expired = 1; break;
        case 'h': usage(stdout); exit(fflush(stdout) == 0 ? 0 : 1);
        case 'V':
            (void)printf("provauth-report " VERSION "\n");
            exit(fflush(stdout) == 0 ? 0 : 1);
        default:
            (void)fprintf(stderr, "provauth-report: unknown option or missing value: %s\n"
                    "Try 'provauth-report --help'.\n", argv[optind - 1]);
            return 2;
        }
    }
    for (; optind < argc; optind++) {
        APR_ARRAY_PUSH(opts->sources, const char *) = argv[optind];
    }
    if ((opts->warn < 0) != (opts->crit < 0)) {
        (void)fputs("provauth-report: --warn and --crit go together\n", stderr);
        return 2;
    }
    if (opts->warn >= 0 && opts->crit > opts->warn) {
        (void)fputs("provauth-report: --crit must not be more days than --warn\n", stderr);
        return 2;
    }
    if (opts->sources->nelts == 0 && opts->logs->nelts == 0) {
        (void)fputs("provauth-report: name at least one source or --log\n"
              "Try 'provauth-report --help'.\n", stderr);
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    apr_pool_t *pool;
    options_t opts;
    provauth_fleet_t *fleet;
    apr_array_header_t *records, *names, *failures;
    unsigned skipped = 0;
    int i, rc;

    if (apr_app_initialize(&argc, (const char *const **)&argv, NULL) != APR_SUCCESS
        || apr_pool_create(&pool, NULL) != APR_SUCCESS) {
        (void)fputs("provauth-report: cannot initialize APR\n", stderr);
        return 3;
    }
    (void)atexit(apr_terminate);
    rc = parse_options(argc, argv, &opts, pool);
    if (rc != 0) {
        return opts.warn >= 0 ? PROVAUTH_CHECK_UNKNOWN : rc;
    }
    fleet = provauth_fleet_make(pool);
    names = apr_array_make(pool, 4, sizeof(const char *));
    failures = apr_array_make(pool, 4, sizeof(const char *));
    for (i = 0; i < opts.sources->nelts; i++) {
        const char *source = APR_ARRAY_IDX(opts.sources, i, const char *);
        const char *why = NULL, *server = NULL;
        apr_size_t len = 0;
        char *text = read_source(&opts, source, &len, &why, pool);

        if (text == NULL
            || provauth_fleet_add_json(fleet, text, len, &server, &why, pool) != APR_SUCCESS) {
            int json = text != NULL && text[strspn(text, " \t\r\n")] == '{';
            (void)fprintf(stderr, "provauth-report: %s: %s%s\n", source, why ? why : "?",
                    text != NULL && !json ? " (an access log goes with --log)" : "");
            APR_ARRAY_PUSH(failures, const char *) = source;
            continue;
        }
        APR_ARRAY_PUSH(names, const char *) =
            server ? apr_psprintf(pool, "%s (%s)", source, server) : source;
    }
    for (i = 0; i < opts.logs->nelts; i++) {
        const char *log = APR_ARRAY_IDX(opts.logs, i, const char *);
        const char *why = NULL;

        if (!read_log(fleet, log, &skipped, &why, pool)) {
            (void)fprintf(stderr, "provauth-report: %s: %s\n", log, why);
            APR_ARRAY_PUSH(failures, const char *) = log;
            continue;
        }
        APR_ARRAY_PUSH(names, const char *) = apr_pstrcat(pool, log, " (access log)", NULL);
    }
    if (skipped > 0) {
        (void)fprintf(stderr, "provauth-report: %u access log lines are not in the "
                "provauth_fleet format and were skipped\n", skipped);
    }
    records = provauth_fleet_sorted(fleet, pool);
    if (opts.warn >= 0) {
        rc = provauth_report_plugin(stdout, (const provauth_record_t *const *)records->elts,
                                    records->nelts, opts.now, opts.warn, opts.crit,
                                    opts.ignore_expired, names->nelts, failures, pool);
    }
    else {
        provauth_report_write(stdout, opts.format,
                              (const provauth_record_t *const *)records->elts,
                              records->nelts, opts.now, names, pool);
        rc = failures->nelts > 0 ? 1 : 0;
    }
    /* Output is checked once, here: a full disk or a closed pipe fails. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        (void)fprintf(stderr, "provauth-report: cannot write the output: %s\n",
                      strerror(errno));
        return opts.warn >= 0 ? PROVAUTH_CHECK_UNKNOWN : 1;
    }
    return rc;
}
