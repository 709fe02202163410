/* provauth_report_html.c: provauth-report --html: one self-contained page
 * (no script, no outside resource) with an expiry timeline per vendor, an
 * inline SVG bar chart of trusted devices by the month their certificate
 * expires, and the readiness table.
 *
 * Licensed under the Apache License, Version 2.0 (see LICENSE). */
#include <string.h>
#include <time.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "provauth_report.h"

#define DAY ((apr_int64_t)86400)
#define CHART_W 960
#define CHART_H 230
#define LEFT 44
#define RIGHT 12
#define TOP 14
#define BOTTOM 36
#define PAST_MONTHS 24            /* how far back the chart goes at most */
#define FUTURE_MONTHS 60          /* and forward */
#define ROWS_MAX 5000

static void html_text(FILE *out, const char *text)
{
    const char *c;

    for (c = text; *c; c++) {
        switch (*c) {
        case '<': (void)fputs("&lt;", out); break;
        case '>': (void)fputs("&gt;", out); break;
        case '&': (void)fputs("&amp;", out); break;
        case '"': (void)fputs("&quot;", out); break;
        case '\'': (void)fputs("&#39;", out); break;
        default:
            if ((unsigned char)*c < 0x20) {
                (void)fputc(' ', out);
            }
            else {
                (void)fputc(*c, out);
            }
        }
    }
}

/* Months since year 0 of a time. */
static int month_of(apr_int64_t when)
{
    time_t t = (time_t)when;
    struct tm tm;

    gmtime_r(&t, &tm);
    return (tm.tm_year + 1900) * 12 + tm.tm_mon;
}

/* The first second of a month. */
static apr_int64_t month_start(int month)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = month / 12 - 1900;
    tm.tm_mon = month % 12;
    tm.tm_mday = 1;
    return (apr_int64_t)timegm(&tm);
}

/* The color of a month's bar: how urgent its devices are at its worst. */
static const char *bar_color(int month, apr_int64_t now)
{
    apr_int64_t start = month_start(month), end = month_start(month + 1);

    if (end <= now) {
        return "#8c1c13";                     /* expired */
    }
    if (start <= now + 14 * DAY) {
        return "#d7301f";
    }
    if (start <= now + 30 * DAY) {
        return "#fc8d59";
    }
    if (start <= now + 90 * DAY) {
        return "#fdcc8a";
    }
    return "#4d9221";
}

typedef struct {
    const char *vendor;
    apr_hash_t *months;           /* int month -> int count */
    int first, last, devices, expired, within90;
} vendor_t;

static double x_of(int month, int first, int span)
{
    return LEFT + (double)(month - first) * (CHART_W - LEFT - RIGHT) / span;
}

/* A dashed line at a time, with its label. */
static void marker(FILE *out, apr_int64_t when, int first, int span, const char *label,
                   const char *color)
{
    time_t t = (time_t)when;
    struct tm tm;
    double x, month_fraction;

    gmtime_r(&t, &tm);
    month_fraction = (tm.tm_mday - 1) / 31.0;
    x = x_of(month_of(when), first, span)
        + month_fraction * (CHART_W - LEFT - RIGHT) / span;
    (void)fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" "
            "stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%d\" font-size=\"10\" "
            "fill=\"%s\">%s</text>\n", x, TOP, x, CHART_H - BOTTOM, color, x + 2, TOP + 9,
            color, label);
}

/* What the colours mean, under the axis. */
static void legend(FILE *out)
{
    static const struct {
        const char *color, *text;
    } keys[] = {
        { "#8c1c13", "expired (works by ProvAuthAcceptExpired)" },
        { "#d7301f", "within 14 days" }, { "#fc8d59", "within 30 days" },
        { "#fdcc8a", "within 90 days" }, { "#4d9221", "later" },
    };
    unsigned i;
    int x = LEFT;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        (void)fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                      "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#444\">%s</text>\n",
                      x, CHART_H - 15, keys[i].color, x + 14, CHART_H - 6, keys[i].text);
        x += 24 + 6 * (int)strlen(keys[i].text);
    }
    (void)fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#444\">"
                  "(by month of notAfter)</text>\n", x, CHART_H - 6);
}

static void chart(FILE *out, const vendor_t *v, apr_int64_t now)
{
    int first = v->first, last = v->last, today = month_of(now);
    int span, month, max = 1, height = CHART_H - TOP - BOTTOM;

    /* From at most two years back to at most five years on, today and the
     * next year always shown. */
    if (first < today - PAST_MONTHS) {
        first = today - PAST_MONTHS;
    }
    if (first > today) {
        first = today;
    }
    if (last > today + FUTURE_MONTHS) {
        last = today + FUTURE_MONTHS;
    }
    if (last < today + 12) {
        last = today + 12;
    }
    span = last - first + 1;
    for (month = first; month <= last; month++) {
        int *count = apr_hash_get(v->months, &month, sizeof(month));
        if (count && *count > max) {
            max = *count;
        }
    }
    (void)fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n",
            CHART_W, CHART_H, CHART_W, CHART_H);
    (void)fputs("<title>", out);
    html_text(out, v->vendor);
    (void)fputs(": devices by the month their certificate expires</title>\n", out);
    (void)fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>\n",
            LEFT, CHART_H - BOTTOM, CHART_W - RIGHT, CHART_H - BOTTOM);
    (void)fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%d</text>\n"
            "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">0</text>\n",
            LEFT - 4, TOP + 8, max, LEFT - 4, CHART_H - BOTTOM);
    for (month = first; month <= last; month++) {
        int *count = apr_hash_get(v->months, &month, sizeof(month));
        double x = x_of(month, first, span), w = (double)(CHART_W - LEFT - RIGHT) / span;

        if (count && *count > 0) {
            double h = (double)*count * height / max;
            (void)fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                    "fill=\"%s\"><title>%04d-%02d: %d device%s</title></rect>\n",
                    x + 0.5, CHART_H - BOTTOM - h, w > 2 ? w - 1 : w, h,
                    bar_color(month, now), month / 12, month % 12 + 1, *count,
                    *count == 1 ? "" : "s");
        }
        if (month % 12 == 0 || (span <= 24 && month % 3 == 0)) {
            (void)fprintf(out, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\">%04d-%02d</text>\n",
                    x, CHART_H - BOTTOM + 14, month / 12, month % 12 + 1);
        }
    }
    marker(out, now, first, span, "today", "#222");
    marker(out, now + 30 * DAY, first, span, "+30 d", "#c05000");
    marker(out, now + 90 * DAY, first, span, "+90 d", "#8a6d00");
    legend(out);
    (void)fputs("</svg>\n", out);
}

static apr_array_header_t *vendors_of(const provauth_record_t *const *records, int n,
                                      apr_int64_t now, apr_pool_t *p)
{
    apr_hash_t *by_name = apr_hash_make(p);
    apr_array_header_t *list = apr_array_make(p, 4, sizeof(vendor_t *));
    int i;

    for (i = 0; i < n; i++) {
        const provauth_record_t *rec = records[i];
        const char *name = rec->vendor[0] ? rec->vendor : "(unknown vendor)";
        vendor_t *v;
        int month, *count;
        long days;

        if (!provauth_record_status_trusted(rec->status) || rec->not_after == 0) {
            continue;
        }
        v = apr_hash_get(by_name, name, APR_HASH_KEY_STRING);
        if (v == NULL) {
            v = apr_pcalloc(p, sizeof(*v));
            v->vendor = name;
            v->months = apr_hash_make(p);
            v->first = v->last = month_of(rec->not_after);
            apr_hash_set(by_name, name, APR_HASH_KEY_STRING, v);
            APR_ARRAY_PUSH(list, vendor_t *) = v;
        }
        month = month_of(rec->not_after);
        count = apr_hash_get(v->months, &month, sizeof(month));
        if (count == NULL) {
            int *key = apr_pmemdup(p, &month, sizeof(month));
            count = apr_pcalloc(p, sizeof(*count));
            apr_hash_set(v->months, key, sizeof(*key), count);
        }
        (*count)++;
        v->first = month < v->first ? month : v->first;
        v->last = month > v->last ? month : v->last;
        v->devices++;
        days = provauth_record_days_left(rec, now);
        v->expired += days < 0;
        v->within90 += days >= 0 && days <= 90;
    }
    return list;
}

static const char page_style[] =
    "body{font-family:sans-serif;margin:1.5em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}"
    "th{background:#eee}td.num{text-align:right}td.t{white-space:nowrap}"
    "tr.refused td{background:#fde0e0}tr.expired td{background:#fff1d6}"
    "tr.would-be-refused td{background:#fdf3c0}tr.not-yet-valid td{background:#e6eefc}"
    "figure{margin:0 0 1.5em}figcaption{font-weight:bold;margin-bottom:.3em}"
    "small{color:#555}";

void provauth_report_html(FILE *out, const provauth_record_t *const *records, int n,
                          apr_int64_t now, const apr_array_header_t *sources,
                          apr_pool_t *p)
{
    apr_array_header_t *vendors = vendors_of(records, n, now, p);
    unsigned urgency[PROVAUTH_URGENCY_OK + 1] = { 0 };
    char when[32];
    int i;

    for (i = 0; i < n; i++) {
        urgency[provauth_record_urgency(records[i])]++;
    }
    (void)fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'\">\n<title>Device fleet readiness</title>\n"
            "<style>%s</style></head><body>\n<h1>Device fleet readiness</h1>\n", page_style);
    (void)fprintf(out, "<p>%d devices, as of %s, from:</p>\n<ul>\n", n,
            provauth_time_text(now, when, sizeof(when)));
    for (i = 0; i < sources->nelts; i++) {
        (void)fputs("<li>", out);
        html_text(out, APR_ARRAY_IDX(sources, i, const char *));
        (void)fputs("</li>\n", out);
    }
    (void)fprintf(out, "</ul>\n<table><tr><th>refused</th><th>would be refused</th>"
            "<th>expired</th><th>not yet valid</th><th>ready</th></tr>\n<tr>"
            "<td class=\"num\">%u</td><td class=\"num\">%u</td><td class=\"num\">%u</td>"
            "<td class=\"num\">%u</td><td class=\"num\">%u</td></tr></table>\n",
            urgency[PROVAUTH_URGENCY_REFUSED], urgency[PROVAUTH_URGENCY_WOULD_DENY],
            urgency[PROVAUTH_URGENCY_EXPIRED], urgency[PROVAUTH_URGENCY_NOT_YET_VALID],
            urgency[PROVAUTH_URGENCY_OK]);
    (void)fputs("<h2>Certificate expiry by vendor</h2>\n", out);
    if (vendors->nelts == 0) {
        (void)fputs("<p>No trusted device.</p>\n", out);
    }
    for (i = 0; i < vendors->nelts; i++) {
        const vendor_t *v = APR_ARRAY_IDX(vendors, i, vendor_t *);
        (void)fputs("<figure><figcaption>", out);
        html_text(out, v->vendor);
        (void)fprintf(out, ": %d trusted devices, %d expired, %d expiring within 90 days"
                "</figcaption>\n", v->devices, v->expired, v->within90);
        chart(out, v, now);
        (void)fputs("</figure>\n", out);
    }
    (void)fputs("<h2>Readiness, most urgent first</h2>\n<table>\n<tr><th>device</th><th>vendor"
          "</th><th>status</th><th>days left</th><th>not after</th><th>last seen</th>"
          "<th>last reason</th><th>client</th></tr>\n", out);
    for (i = 0; i < n && i < ROWS_MAX; i++) {
        const provauth_record_t *rec = records[i];

        (void)fprintf(out, "<tr class=\"%s\"><td>", provauth_urgency_name(provauth_record_urgency(rec)));
        html_text(out, provauth_report_device(rec, p));
        if (!provauth_record_status_trusted(rec->status)) {
            (void)fputs("<br><small>", out);
            html_text(out, rec->subject);
            (void)fputs("</small>", out);
        }
        (void)fputs("</td><td>", out);
        html_text(out, rec->vendor);
        (void)fprintf(out, "</td><td>%s</td><td class=\"num\">%s</td><td class=\"t\">%s</td>"
                "<td class=\"t\">%s</td><td>", provauth_record_status_name(rec->status),
                rec->not_after ? apr_ltoa(p, provauth_record_days_left(rec, now)) : "-",
                provauth_report_time(rec->not_after, p),
                provauth_report_time(rec->last_seen, p));
        html_text(out, rec->last_reason);
        (void)fputs("</td><td>", out);
        html_text(out, rec->client);
        (void)fputs("</td></tr>\n", out);
    }
    (void)fputs("</table>\n", out);
    if (n > ROWS_MAX) {
        (void)fprintf(out, "<p>%d more devices: see --csv or --json.</p>\n", n - ROWS_MAX);
    }
    (void)fputs("</body></html>\n", out);
}
