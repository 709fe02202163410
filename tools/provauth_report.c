/* provauth_report.c: provauth-report's text outputs: the readiness table,
 * CSV, JSON, and the monitoring plugin's status line.
 *
 * Licensed under the Apache License, Version 2.0 (see LICENSE). */
#include <string.h>

#include <apr_strings.h>

#include "provauth_report.h"

const char *provauth_report_time(apr_int64_t when, apr_pool_t *p)
{
    char text[32];

    if (when == 0) {
        return "-";
    }
    provauth_time_text(when, text, sizeof(text));
    text[10] = ' ';
    text[16] = '\0';
    return apr_pstrdup(p, text);
}

/* Printable ASCII only, for a terminal: anything else becomes '?'. */
static const char *printable(const char *text, apr_pool_t *p)
{
    char *copy = apr_pstrdup(p, text);
    char *c;

    for (c = copy; *c; c++) {
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f) {
            *c = '?';
        }
    }
    return copy;
}

const char *provauth_report_device(const provauth_record_t *rec, apr_pool_t *p)
{
    if (provauth_record_status_trusted(rec->status) && (rec->flags & PROVAUTH_REC_HAS_MAC)) {
        return rec->mac;
    }
    if (rec->flags & PROVAUTH_REC_HAS_MAC) {
        return apr_pstrcat(p, "~", rec->mac, NULL);   /* claimed, not proven */
    }
    return apr_pstrcat(p, "serial ", printable(rec->serial[0] ? rec->serial : "?", p), NULL);
}

static const char *days_text(const provauth_record_t *rec, apr_int64_t now, apr_pool_t *p)
{
    return rec->not_after ? apr_ltoa(p, provauth_record_days_left(rec, now)) : "-";
}

static void write_table(FILE *out, const provauth_record_t *const *records, int n,
                        apr_int64_t now, const apr_array_header_t *sources, apr_pool_t *p)
{
    int i;

    (void)fprintf(out, "%-16s %-12s %-14s %-16s %6s  %-16s  %s\n", "DEVICE", "VENDOR", "STATUS",
            "URGENCY", "DAYS", "LAST SEEN", "LAST REASON");
    for (i = 0; i < n; i++) {
        const provauth_record_t *rec = records[i];
        const char *vendor = printable(rec->vendor[0] ? rec->vendor : "-", p);

        (void)fprintf(out, "%-16s %-12.12s %-14s %-16s %6s  %-16s  %s\n",
                provauth_report_device(rec, p), vendor,
                provauth_record_status_name(rec->status),
                provauth_urgency_name(provauth_record_urgency(rec)),
                days_text(rec, now, p), provauth_report_time(rec->last_seen, p),
                rec->last_reason[0] ? printable(rec->last_reason, p) : "-");
    }
    (void)fprintf(out, "%d devices from %d sources\n", n, sources->nelts);
}

/* A CSV cell, quoted; text a spreadsheet would run as a formula (= + - @)
 * gets a leading apostrophe. */
static void csv_text(FILE *out, const char *text, int last)
{
    const char *c;

    (void)fputc('"', out);
    if (*text == '=' || *text == '+' || *text == '-' || *text == '@') {
        (void)fputc('\'', out);
    }
    for (c = text; *c; c++) {
        if (*c == '"') {
            (void)fputc('"', out);
        }
        (void)fputc((unsigned char)*c < 0x20 ? ' ' : *c, out);
    }
    (void)fputc('"', out);
    (void)fputc(last ? '\n' : ',', out);
}

static void csv_number(FILE *out, const char *number)
{
    (void)fputs(number, out);
    (void)fputc(',', out);
}

static void write_csv(FILE *out, const provauth_record_t *const *records, int n,
                      apr_int64_t now, apr_pool_t *p)
{
    int i;

    (void)fputs("device,mac,status,trusted,urgency,vendor,days_left,not_after,first_seen,"
          "last_seen,granted,denied,would_deny,last_denied,last_reason,client,issuer,"
          "root,serial,subject,fingerprint,forgave_expiry,self_signed\n", out);
    for (i = 0; i < n; i++) {
        const provauth_record_t *rec = records[i];
        provauth_record_t by_fingerprint = *rec;
        char key[2 * PROVAUTH_FINGERPRINT_LEN + 1], when[32];

        by_fingerprint.key_kind = PROVAUTH_KEY_FINGERPRINT;
        csv_text(out, provauth_report_device(rec, p), 0);
        csv_text(out, rec->mac, 0);
        csv_text(out, provauth_record_status_name(rec->status), 0);
        csv_number(out, provauth_record_status_trusted(rec->status) ? "1" : "0");
        csv_text(out, provauth_urgency_name(provauth_record_urgency(rec)), 0);
        csv_text(out, rec->vendor, 0);
        csv_number(out, rec->not_after ? apr_ltoa(p, provauth_record_days_left(rec, now)) : "");
        csv_text(out, provauth_time_text(rec->not_after, when, sizeof(when)), 0);
        csv_text(out, provauth_time_text(rec->first_seen, when, sizeof(when)), 0);
        csv_text(out, provauth_time_text(rec->last_seen, when, sizeof(when)), 0);
        csv_number(out, apr_ltoa(p, (long)rec->granted));
        csv_number(out, apr_ltoa(p, (long)rec->denied));
        csv_number(out, apr_ltoa(p, (long)rec->would_deny));
        csv_text(out, provauth_time_text(rec->last_denied, when, sizeof(when)), 0);
        csv_text(out, rec->last_reason, 0);
        csv_text(out, rec->client, 0);
        csv_text(out, rec->issuer, 0);
        csv_text(out, rec->root, 0);
        csv_text(out, rec->serial, 0);
        csv_text(out, rec->subject, 0);
        csv_text(out, (rec->flags & PROVAUTH_REC_PARTIAL) ? ""
                 : provauth_record_key_text(&by_fingerprint, key, sizeof(key)), 0);
        csv_number(out, (rec->flags & PROVAUTH_REC_FORGAVE_EXPIRY) ? "1" : "0");
        (void)fputs((rec->flags & PROVAUTH_REC_SELF_SIGNED) ? "1\n" : "0\n", out);
    }
}

static void write_json(FILE *out, const provauth_record_t *const *records, int n,
                       apr_int64_t now, const apr_array_header_t *sources)
{
    char text[PROVAUTH_RECORD_JSON_MAX], when[32];
    int i;

    (void)fprintf(out, "{\"generated\":\"%s\",\"sources\":[",
            provauth_time_text(now, when, sizeof(when)));
    for (i = 0; i < sources->nelts; i++) {
        provauth_json_escape(APR_ARRAY_IDX(sources, i, const char *), text, sizeof(text));
        (void)fprintf(out, "%s\"%s\"", i ? "," : "", text);
    }
    (void)fputs("],\"devices\":[", out);
    for (i = 0; i < n; i++) {
        if (provauth_record_json(records[i], now, text, sizeof(text)) > 0) {
            (void)fputs(i ? ",\n" : "\n", out);
            (void)fputs(text, out);
        }
    }
    (void)fputs("\n]}\n", out);
}

void provauth_report_write(FILE *out, const char *format,
                           const provauth_record_t *const *records, int n,
                           apr_int64_t now, const apr_array_header_t *sources,
                           apr_pool_t *p)
{
    if (strcmp(format, "csv") == 0) {
        write_csv(out, records, n, now, p);
    }
    else if (strcmp(format, "json") == 0) {
        write_json(out, records, n, now, sources);
    }
    else if (strcmp(format, "html") == 0) {
        provauth_report_html(out, records, n, now, sources, p);
    }
    else {
        write_table(out, records, n, now, sources, p);
    }
}

int provauth_report_plugin(FILE *out, const provauth_record_t *const *records, int n,
                           apr_int64_t now, long warn, long crit, int ignore_expired,
                           int sources_read, const apr_array_header_t *failures,
                           apr_pool_t *p)
{
    provauth_check_t check;
    provauth_check_state_e state;
    const char *what;

    provauth_fleet_check(records, n, now, warn, crit, ignore_expired, &check);
    state = check.state;
    if (failures->nelts > 0 && state != PROVAUTH_CHECK_CRITICAL) {
        state = PROVAUTH_CHECK_UNKNOWN;
    }
    if (sources_read == 0) {
        state = PROVAUTH_CHECK_UNKNOWN;
    }
    what = apr_psprintf(p, "%u %s %ld days, %u within %ld days, %u expired%s; "
                        "%u devices (%u trusted) from %d sources",
                        check.critical, check.critical == 1 ? "device expires within"
                                                            : "devices expire within",
                        crit, check.warning, warn, check.expired,
                        ignore_expired && check.expired ? " (ignored)" : "",
                        check.devices, check.trusted, sources_read);
    if (failures->nelts > 0) {
        what = apr_psprintf(p, "%s; could not read %s", what,
                            apr_array_pstrcat(p, failures, ' '));
    }
    (void)fprintf(out, "PROVAUTH %s - %s | devices=%u;;;0 trusted=%u;;;0 expired=%u;;;0 "
            "expiring_crit=%u;;;0 expiring_warn=%u;;;0 refused=%u;;;0 would_deny=%u;;;0 "
            "untrusted=%u;;;0", provauth_check_state_name(state), what, check.devices,
            check.trusted, check.expired, check.critical, check.warning, check.refused,
            check.would_deny, check.untrusted);
    if (check.has_min) {
        (void)fprintf(out, " min_days_left=%ld;%ld:;%ld:", check.min_days_left, warn, crit);
    }
    (void)fputc('\n', out);
    return (int)state;
}
