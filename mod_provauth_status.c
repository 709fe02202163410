/* mod_provauth_status.c: what the device registry knows, for people and
 * scripts: `SetHandler provauth-status` (an HTML page, `?json` the whole
 * registry) and a section in mod_status's server-status (and `?auto`).
 *
 * Licensed under the Apache License, Version 2.0 (see LICENSE). */
#include <stdlib.h>
#include <string.h>

#include <apr_atomic.h>
#include <apr_strings.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_status.h"

#include "provauth_log.h"
#include "provauth_registry.h"

#include "mod_provauth_private.h"

APLOG_USE_MODULE(provauth);

#define DAY_SECONDS ((apr_int64_t)86400)
#define ROWS_MAX 200              /* rows per list on the HTML page */
#define RECENT_SECONDS (7 * DAY_SECONDS)

static const char *const denial_names[PROVAUTH_DENIAL_KINDS] = {
    "NoCertificate", "Untrusted", "NoMAC", "MACNotInPath", "NotInAllowList", "Negated"
};
static const char *const denial_text[PROVAUTH_DENIAL_KINDS] = {
    "no client certificate", "untrusted certificate", "no MAC in the certificate",
    "MAC not in the requested path", "MAC not in the allow-list", "negated Require"
};
/* Statuses in the order the page shows them (PROVAUTH_REC_* values). */
static const unsigned shown_statuses[] = {
    PROVAUTH_REC_VALID, PROVAUTH_REC_EXPIRED, PROVAUTH_REC_NOT_YET_VALID,
    PROVAUTH_REC_PINNED, PROVAUTH_REC_FAILED
};
#define STATUSES (sizeof(shown_statuses) / sizeof(shown_statuses[0]))

static apr_uint64_t read_counter(apr_uint64_t *counter)
{
    return apr_atomic_read64(counter);
}

/* ---------------------------------------------------------------------
 * mod_status section
 * ------------------------------------------------------------------ */

static int status_hook(request_rec *r, int flags)
{
    provauth_counters_t *counters = provauth_counters();
    apr_uint64_t *requests;
    unsigned records = 0;
    int listed, i;

    if (counters == NULL) {
        return OK;   /* the module is not used by this server */
    }
    requests = counters->requests;
    listed = provauth_registry_count(r->server, r->pool, &records) == APR_SUCCESS;
    if (flags & AP_STATUS_SHORT) {
        ap_rprintf(r, "ProvAuthHandshakesRescued: %" APR_UINT64_T_FMT "\n",
                   read_counter(&counters->rescued_handshakes));
        for (i = 0; i <= PROVAUTH_REC_PINNED; i++) {
            const char *name = i == PROVAUTH_REC_NONE ? "NoCertificate"
                             : i == PROVAUTH_REC_VALID ? "Valid"
                             : i == PROVAUTH_REC_EXPIRED ? "Expired"
                             : i == PROVAUTH_REC_NOT_YET_VALID ? "NotYetValid"
                             : i == PROVAUTH_REC_FAILED ? "Failed" : "Pinned";
            ap_rprintf(r, "ProvAuthRequests%s: %" APR_UINT64_T_FMT "\n", name,
                       read_counter(&requests[i]));
        }
        for (i = 0; i < PROVAUTH_DENIAL_KINDS; i++) {
            ap_rprintf(r, "ProvAuthDenials%s: %" APR_UINT64_T_FMT "\n", denial_names[i],
                       read_counter(&counters->denials[i]));
        }
        ap_rprintf(r, "ProvAuthWouldDeny: %" APR_UINT64_T_FMT "\n",
                   read_counter(&counters->would_deny));
        ap_rprintf(r, "ProvAuthRegistry: %s\n",
                   provauth_registry_enabled() ? "on" : "off");
        if (listed) {
            ap_rprintf(r, "ProvAuthRegistryRecords: %u\n", records);
        }
        ap_rprintf(r, "ProvAuthRegistryWrites: %" APR_UINT64_T_FMT "\n",
                   read_counter(&counters->registry_writes));
        ap_rprintf(r, "ProvAuthRegistryMisses: %" APR_UINT64_T_FMT "\n",
                   read_counter(&counters->registry_misses));
        return OK;
    }
    ap_rputs("<hr />\n<h2>mod_provauth</h2>\n<table border=\"0\">\n", r);
    ap_rprintf(r, "<tr><td>TLS handshakes rescued from expiry</td><td>%" APR_UINT64_T_FMT
               "</td></tr>\n", read_counter(&counters->rescued_handshakes));
    for (i = 0; i <= PROVAUTH_REC_PINNED; i++) {
        ap_rprintf(r, "<tr><td>requests, status %s</td><td>%" APR_UINT64_T_FMT
                   "</td></tr>\n", provauth_record_status_name((unsigned)i),
                   read_counter(&requests[i]));
    }
    for (i = 0; i < PROVAUTH_DENIAL_KINDS; i++) {
        ap_rprintf(r, "<tr><td>denials: %s</td><td>%" APR_UINT64_T_FMT "</td></tr>\n",
                   denial_text[i], read_counter(&counters->denials[i]));
    }
    ap_rprintf(r, "<tr><td>would-be denials (report-only)</td><td>%" APR_UINT64_T_FMT
               "</td></tr>\n", read_counter(&counters->would_deny));
    ap_rprintf(r, "<tr><td>device registry</td><td>%s</td></tr>\n",
               ap_escape_html(r->pool, provauth_registry_description()));
    if (listed) {
        ap_rprintf(r, "<tr><td>registry records</td><td>%u</td></tr>\n", records);
    }
    ap_rprintf(r, "<tr><td>registry writes / misses</td><td>%" APR_UINT64_T_FMT " / %"
               APR_UINT64_T_FMT "</td></tr>\n</table>\n",
               read_counter(&counters->registry_writes),
               read_counter(&counters->registry_misses));
    return OK;
}

/* ---------------------------------------------------------------------
 * JSON
 * ------------------------------------------------------------------ */

static void json_counters(request_rec *r, provauth_counters_t *counters)
{
    int i;

    if (counters == NULL) {
        ap_rputs("null", r);
        return;
    }
    ap_rprintf(r, "{\"handshakes_rescued\":%" APR_UINT64_T_FMT ",\"requests\":{",
               read_counter(&counters->rescued_handshakes));
    for (i = 0; i <= PROVAUTH_REC_PINNED; i++) {
        ap_rprintf(r, "%s\"%s\":%" APR_UINT64_T_FMT, i ? "," : "",
                   provauth_record_status_name((unsigned)i),
                   read_counter(&counters->requests[i]));
    }
    ap_rputs("},\"denials\":{", r);
    for (i = 0; i < PROVAUTH_DENIAL_KINDS; i++) {
        ap_rprintf(r, "%s\"%s\":%" APR_UINT64_T_FMT, i ? "," : "", denial_names[i],
                   read_counter(&counters->denials[i]));
    }
    ap_rprintf(r, "},\"would_deny\":%" APR_UINT64_T_FMT ",\"registry_writes\":%"
               APR_UINT64_T_FMT ",\"registry_misses\":%" APR_UINT64_T_FMT "}",
               read_counter(&counters->would_deny),
               read_counter(&counters->registry_writes),
               read_counter(&counters->registry_misses));
}

static int send_json(request_rec *r, const provauth_registry_copy_t *copy,
                     apr_status_t listed, apr_int64_t now)
{
    char text[PROVAUTH_RECORD_JSON_MAX], when[32];
    apr_size_t pos = 0;
    const unsigned char *data;
    unsigned len;
    provauth_record_t rec;
    int first = 1;

    ap_set_content_type(r, "application/json");
    provauth_json_escape(r->server->server_hostname, text, sizeof(text));
    ap_rprintf(r, "{\"server\":\"%s\",\"generated\":\"%s\",\"registry\":\"", text,
               provauth_time_text(now, when, sizeof(when)));
    provauth_json_escape(provauth_registry_description(), text, sizeof(text));
    ap_rprintf(r, "%s\",\"complete\":%s,\"counters\":", text,
               listed == APR_SUCCESS ? "true" : "false");
    json_counters(r, provauth_counters());
    ap_rputs(",\"devices\":[", r);
    while (listed == APR_SUCCESS && provauth_registry_copy_next(copy, &pos, &data, &len)) {
        if (!provauth_record_decode(&rec, data, len)
            || provauth_record_json(&rec, now, text, sizeof(text)) == 0) {
            continue;
        }
        ap_rputs(first ? "\n" : ",\n", r);
        ap_rputs(text, r);
        first = 0;
    }
    ap_rputs("\n]}\n", r);
    return OK;
}

/* ---------------------------------------------------------------------
 * HTML page
 * ------------------------------------------------------------------ */

/* A row of a list: the record's place in the copy and its order. */
typedef struct {
    apr_int64_t order;            /* ascending */
    apr_size_t pos;
} row_t;

typedef struct {
    apr_array_header_t *rows;     /* row_t */
} list_t;

/* Vendor x status counts. */
typedef struct {
    const char *vendor;
    unsigned counts[STATUSES];
} vendor_row_t;

typedef struct {
    apr_array_header_t *vendors;  /* vendor_row_t */
    unsigned totals[STATUSES];
    unsigned within[4];           /* expiring in 14/30/60/90 days */
    unsigned expired;             /* trusted, past notAfter */
    unsigned forgiven;            /* handshakes needed expiry forgiveness */
    list_t expiring, denials, candidates, would_deny;
    unsigned records;
} summary_t;

static const int within_days[4] = { 14, 30, 60, 90 };

static void add_row(list_t *list, apr_int64_t order, apr_size_t pos)
{
    row_t *row = apr_array_push(list->rows);

    row->order = order;
    row->pos = pos;
}

static int row_cmp(const void *a, const void *b)
{
    const row_t *x = a, *y = b;

    return x->order < y->order ? -1 : x->order > y->order ? 1
         : x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void count_vendor(summary_t *sum, const provauth_record_t *rec, apr_pool_t *p)
{
    vendor_row_t *row = NULL;
    /* A self-signed certificate names whatever vendor it likes. */
    const char *vendor = (rec->flags & PROVAUTH_REC_SELF_SIGNED)
                             && !provauth_record_status_trusted(rec->status)
                         ? "(self-signed)" : rec->vendor[0] ? rec->vendor : "(unknown)";
    unsigned i;
    int v;

    for (v = 0; v < sum->vendors->nelts; v++) {
        vendor_row_t *candidate = &APR_ARRAY_IDX(sum->vendors, v, vendor_row_t);
        if (strcmp(candidate->vendor, vendor) == 0) {
            row = candidate;
            break;
        }
    }
    if (row == NULL) {
        row = apr_array_push(sum->vendors);
        memset(row, 0, sizeof(*row));
        row->vendor = apr_pstrdup(p, vendor);
    }
    for (i = 0; i < STATUSES; i++) {
        if (shown_statuses[i] == rec->status) {
            row->counts[i]++;
            sum->totals[i]++;
        }
    }
}

static void summarize(summary_t *sum, const provauth_registry_copy_t *copy,
                      apr_int64_t now, apr_pool_t *p)
{
    apr_size_t pos = 0, at;
    const unsigned char *data;
    unsigned len;
    provauth_record_t rec;
    int i;

    memset(sum, 0, sizeof(*sum));
    sum->vendors = apr_array_make(p, 8, sizeof(vendor_row_t));
    sum->expiring.rows = apr_array_make(p, 64, sizeof(row_t));
    sum->denials.rows = apr_array_make(p, 64, sizeof(row_t));
    sum->candidates.rows = apr_array_make(p, 16, sizeof(row_t));
    sum->would_deny.rows = apr_array_make(p, 16, sizeof(row_t));
    for (at = pos; provauth_registry_copy_next(copy, &pos, &data, &len); at = pos) {
        int trusted;
        long days;

        if (!provauth_record_decode(&rec, data, len)) {
            continue;
        }
        sum->records++;
        trusted = provauth_record_status_trusted(rec.status);
        days = provauth_record_days_left(&rec, now);
        count_vendor(sum, &rec, p);
        if (rec.flags & PROVAUTH_REC_FORGAVE_EXPIRY) {
            sum->forgiven++;
        }
        if (trusted && rec.not_after != 0) {
            if (days < 0) {
                sum->expired++;
            }
            for (i = 0; i < 4; i++) {
                sum->within[i] += (days >= 0 && days <= within_days[i]);
            }
            if (days <= within_days[3]) {
                add_row(&sum->expiring, rec.not_after, at);
            }
        }
        if (rec.last_denied != 0 && now - rec.last_denied <= RECENT_SECONDS) {
            add_row(&sum->denials, -rec.last_denied, at);
        }
        /* Enrollment candidates: untrusted self-signed certificates that
         * carry a MAC, as PA00130 reports them (ProvAuthPinnedDeviceFile). */
        if (!trusted && (rec.flags & PROVAUTH_REC_SELF_SIGNED)
            && (rec.flags & PROVAUTH_REC_HAS_MAC)) {
            add_row(&sum->candidates, -rec.last_seen, at);
        }
        if (rec.would_deny > 0) {
            add_row(&sum->would_deny, -(apr_int64_t)rec.would_deny, at);
        }
    }
}

static const char *escape(request_rec *r, const char *text)
{
    return ap_escape_html(r->pool, text ? text : "");
}

/* "2026-11-30 07:13Z": minutes are enough on a page; "-" for never, "?"
 * for a time beyond what APR can convert. */
static const char *when_text(request_rec *r, apr_int64_t when)
{
    apr_time_exp_t tm;
    apr_size_t len = 0;
    char text[32];

    if (when == 0) {
        return "-";
    }
    if (when > APR_INT64_MAX / APR_USEC_PER_SEC || when < APR_INT64_MIN / APR_USEC_PER_SEC
        || apr_time_exp_gmt(&tm, apr_time_from_sec(when)) != APR_SUCCESS
        || apr_strftime(text, &len, sizeof(text), "%Y-%m-%d %H:%MZ", &tm) != APR_SUCCESS
        || len == 0) {
        return "?";
    }
    return apr_pstrmemdup(r->pool, text, len);
}

/* A trusted device by its MAC; an untrusted certificate by the MAC it
 * claims, its subject and its fingerprint. */
static const char *device_name(request_rec *r, const provauth_record_t *rec)
{
    char key[2 * PROVAUTH_FINGERPRINT_LEN + 1];

    if (rec->key_kind == PROVAUTH_KEY_MAC) {
        return apr_pstrdup(r->pool, rec->mac);
    }
    provauth_record_key_text(rec, key, sizeof(key));
    return apr_psprintf(r->pool, "%s<br /><small>%s<br />SHA-256 %.16s&hellip;</small>",
                        (rec->flags & PROVAUTH_REC_HAS_MAC)
                            ? apr_pstrcat(r->pool, "claims ", rec->mac, NULL)
                            : "(no MAC)", escape(r, rec->subject), key);
}

/* The rows of a list, sorted, at most ROWS_MAX; cols: which columns. */
static void list_rows(request_rec *r, const provauth_registry_copy_t *copy,
                      list_t *list, apr_int64_t now, const char *caption,
                      const char *empty, int kind)
{
    provauth_record_t rec;
    int i, shown = 0;

    ap_rprintf(r, "<h2>%s (%d)</h2>\n", caption, list->rows->nelts);
    if (list->rows->nelts == 0) {
        ap_rprintf(r, "<p class=\"none\">%s</p>\n", empty);
        return;
    }
    qsort(list->rows->elts, (size_t)list->rows->nelts, sizeof(row_t), row_cmp);
    ap_rputs("<table>\n<tr><th>device</th><th>vendor</th><th>status</th>", r);
    ap_rputs(kind == 0 ? "<th>days left</th><th>not after</th><th>expiry forgiven</th>"
             : kind == 1 ? "<th>denied at</th><th>reason</th><th>denied</th>"
             : kind == 2 ? "<th>pin line</th><th>subject</th>"
             : "<th>would-be denials</th><th>reason</th>", r);
    ap_rputs("<th>last seen</th><th>client</th></tr>\n", r);
    for (i = 0; i < list->rows->nelts && shown < ROWS_MAX; i++) {
        apr_size_t pos = APR_ARRAY_IDX(list->rows, i, row_t).pos;
        const unsigned char *data;
        unsigned len;
        long days;

        if (!provauth_registry_copy_next(copy, &pos, &data, &len)
            || !provauth_record_decode(&rec, data, len)) {
            continue;
        }
        shown++;
        days = provauth_record_days_left(&rec, now);
        ap_rprintf(r, "<tr class=\"%s\"><td>%s</td><td>%s</td><td>%s</td>",
                   provauth_urgency_name(provauth_record_urgency(&rec)),
                   device_name(r, &rec), escape(r, rec.vendor),
                   provauth_record_status_name(rec.status));
        if (kind == 0) {
            ap_rprintf(r, "<td class=\"num\">%ld</td><td class=\"t\">%s</td><td>%s</td>", days,
                       when_text(r, rec.not_after),
                       (rec.flags & PROVAUTH_REC_FORGAVE_EXPIRY) ? "yes" : "no");
        }
        else if (kind == 1) {
            ap_rprintf(r, "<td class=\"t\">%s</td><td>%s</td><td class=\"num\">%u</td>",
                       when_text(r, rec.last_denied), escape(r, rec.last_reason),
                       rec.denied);
        }
        else if (kind == 2) {
            char key[2 * PROVAUTH_FINGERPRINT_LEN + 1];
            provauth_record_t by_fingerprint = rec;

            by_fingerprint.key_kind = PROVAUTH_KEY_FINGERPRINT;
            ap_rprintf(r, "<td><code>%s %s</code></td><td>%s</td>", rec.mac,
                       provauth_record_key_text(&by_fingerprint, key, sizeof(key)),
                       escape(r, rec.subject));
        }
        else {
            ap_rprintf(r, "<td class=\"num\">%u</td><td>%s</td>", rec.would_deny,
                       escape(r, rec.last_reason));
        }
        ap_rprintf(r, "<td class=\"t\">%s</td><td>%s</td></tr>\n", when_text(r, rec.last_seen),
                   escape(r, rec.client));
    }
    ap_rputs("</table>\n", r);
    if (list->rows->nelts > shown) {
        ap_rprintf(r, "<p class=\"more\">%d more: see <a href=\"?json\">the JSON</a> "
                   "or provauth-report.</p>\n", list->rows->nelts - shown);
    }
}

static const char page_style[] =
    "body{font-family:sans-serif;margin:1.5em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}"
    "th{background:#eee}td.num{text-align:right}td.t{white-space:nowrap}"
    "tr.refused td{background:#fde0e0}tr.expired td{background:#fff1d6}"
    "tr.would-be-refused td{background:#fdf3c0}tr.not-yet-valid td{background:#e6eefc}"
    "p.none{color:#666}p.more{font-style:italic}"
    "code{font-size:90%}small{color:#555}";

static void send_summary(request_rec *r, const summary_t *sum)
{
    unsigned i;
    int v;

    ap_rputs("<h2>Devices by vendor and status</h2>\n<table>\n<tr><th>vendor</th>", r);
    for (i = 0; i < STATUSES; i++) {
        ap_rprintf(r, "<th>%s</th>", provauth_record_status_name(shown_statuses[i]));
    }
    ap_rputs("</tr>\n", r);
    for (v = 0; v < sum->vendors->nelts; v++) {
        const vendor_row_t *row = &APR_ARRAY_IDX(sum->vendors, v, vendor_row_t);
        ap_rprintf(r, "<tr><td>%s</td>", escape(r, row->vendor));
        for (i = 0; i < STATUSES; i++) {
            ap_rprintf(r, "<td class=\"num\">%u</td>", row->counts[i]);
        }
        ap_rputs("</tr>\n", r);
    }
    ap_rputs("<tr><th>all</th>", r);
    for (i = 0; i < STATUSES; i++) {
        ap_rprintf(r, "<th class=\"num\">%u</th>", sum->totals[i]);
    }
    ap_rputs("</tr>\n</table>\n", r);
    ap_rputs("<h2>Certificate expiry (trusted devices)</h2>\n<table>\n<tr>", r);
    ap_rputs("<th>expired</th>", r);
    for (i = 0; i < 4; i++) {
        ap_rprintf(r, "<th>within %d days</th>", within_days[i]);
    }
    ap_rprintf(r, "<th>handshake needed expiry forgiveness</th></tr>\n"
               "<tr><td class=\"num\">%u</td>", sum->expired);
    for (i = 0; i < 4; i++) {
        ap_rprintf(r, "<td class=\"num\">%u</td>", sum->within[i]);
    }
    ap_rprintf(r, "<td class=\"num\">%u</td></tr>\n</table>\n", sum->forgiven);
}

static int send_html(request_rec *r, const provauth_registry_copy_t *copy,
                     apr_status_t listed, apr_int64_t now)
{
    summary_t sum;
    char when[32];

    ap_set_content_type(r, "text/html; charset=utf-8");
    /* No script, no outside resource: the page only styles itself. */
    apr_table_setn(r->headers_out, "Content-Security-Policy",
                   "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
                   "form-action 'none'; frame-ancestors 'none'");
    ap_rprintf(r, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
               "<title>mod_provauth devices: %s</title><style>%s</style></head><body>\n"
               "<h1>mod_provauth devices on %s</h1>\n",
               escape(r, r->server->server_hostname), page_style,
               escape(r, r->server->server_hostname));
    ap_rprintf(r, "<p>Generated %s. Device registry: %s. <a href=\"?json\">JSON</a>.</p>\n",
               provauth_time_text(now, when, sizeof(when)),
               escape(r, provauth_registry_description()));
    if (listed != APR_SUCCESS) {
        ap_rprintf(r, "<p class=\"none\">%s</p>\n</body></html>\n",
                   listed == APR_EINIT ? "The device registry is off "
                   "(" DIR_DEVICE_REGISTRY " none, or the module is not used)."
                   : listed == APR_ENOTIMPL ? "This registry's provider cannot list "
                   "its records; use shmcb (the default) for this page."
                   : "The device registry could not be read.");
        return OK;
    }
    summarize(&sum, copy, now, r->pool);
    ap_rprintf(r, "<p>%u devices.</p>\n", sum.records);
    send_summary(r, &sum);
    list_rows(r, copy, &sum.expiring, now, "Expired or expiring within 90 days",
              "No trusted device is expired or expires within 90 days.", 0);
    list_rows(r, copy, &sum.denials, now, "Denials in the last 7 days",
              "No denial in the last 7 days.", 1);
    list_rows(r, copy, &sum.candidates, now, "Enrollment candidates (untrusted "
              "self-signed certificates carrying a MAC)",
              "No untrusted self-signed certificate carrying a MAC was seen.", 2);
    list_rows(r, copy, &sum.would_deny, now, "Would-be denials (report-only)",
              "No would-be denial.", 3);
    ap_rputs("</body></html>\n", r);
    return OK;
}

static int status_handler(request_rec *r)
{
    provauth_registry_copy_t *copy = NULL;
    apr_status_t listed;
    apr_int64_t now;

    /* Asked of every request: the first character settles most. */
    if (r->handler == NULL || r->handler[0] != 'p' || strcmp(r->handler, HANDLER_STATUS) != 0) {
        return DECLINED;
    }
    r->allowed |= (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    now = (apr_int64_t)apr_time_sec(apr_time_now());
    listed = provauth_registry_copy(r->server, r->pool, &copy);
    if (listed != APR_SUCCESS && listed != APR_EINIT && listed != APR_ENOTIMPL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, listed, r, PROVAUTH_LOGNO(00143)
                      "device registry: could not be read for the status page");
    }
    if (r->args != NULL && strcmp(r->args, "json") == 0) {
        return send_json(r, copy, listed, now);
    }
    return send_html(r, copy, listed, now);
}

void provauth_status_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_handler(status_handler, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, status_hook, NULL, NULL, APR_HOOK_MIDDLE);
}
