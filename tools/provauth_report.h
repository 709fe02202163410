/* provauth_report.h: the outputs of provauth-report: the readiness table,
 * CSV, JSON, the HTML page with its expiry charts, and the plugin line. */
#ifndef PROVAUTH_REPORT_H
#define PROVAUTH_REPORT_H

#include <stdio.h>

#include <apr_pools.h>
#include <apr_tables.h>

#include "provauth_fleet.h"

/* Write records[0..n) (most urgent first) as format: "table", "csv",
 * "json" or "html".  sources names what was read. */
void provauth_report_write(FILE *out, const char *format,
                           const provauth_record_t *const *records, int n,
                           apr_int64_t now, const apr_array_header_t *sources,
                           apr_pool_t *p);

/* The HTML page (provauth_report_html.c). */
void provauth_report_html(FILE *out, const provauth_record_t *const *records, int n,
                          apr_int64_t now, const apr_array_header_t *sources,
                          apr_pool_t *p);

/* The monitoring plugin's status line with performance data; returns the
 * exit status (provauth_check_state_e).  failures names the sources that
 * could not be read (UNKNOWN, unless the devices read are CRITICAL). */
int provauth_report_plugin(FILE *out, const provauth_record_t *const *records, int n,
                           apr_int64_t now, long warn, long crit, int ignore_expired,
                           int sources_read, const apr_array_header_t *failures,
                           apr_pool_t *p);

/* Text for people: a device's name (its MAC, or what an untrusted
 * certificate claims) and a time ("2026-11-30 07:13", "-" for none). */
const char *provauth_report_device(const provauth_record_t *rec, apr_pool_t *p);
const char *provauth_report_time(apr_int64_t when, apr_pool_t *p);

#endif /* PROVAUTH_REPORT_H */
