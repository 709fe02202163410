/* provauth_fleet.h: the fleet view across servers: device records read from
 * status handlers' JSON and from access logs in the provauth_fleet format,
 * merged per device (latest seen wins), sorted by urgency, and the expiry
 * check of a monitoring plugin.  Pure: used by provauth-report. */
#ifndef PROVAUTH_FLEET_H
#define PROVAUTH_FLEET_H

#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_tables.h>

#include "provauth_json.h"
#include "provauth_registry.h"

typedef struct provauth_fleet {
    apr_pool_t *pool;
    apr_hash_t *devices;          /* fleet key -> provauth_record_t * */
    unsigned records_read;        /* before merging */
} provauth_fleet_t;

provauth_fleet_t *provauth_fleet_make(apr_pool_t *p);

/* The key a device is merged by across servers and logs: a trusted device's
 * MAC, or an untrusted certificate's issuer and serial number (both in the
 * JSON and in the log; a fingerprint when there is no serial). */
const char *provauth_fleet_key(const provauth_record_t *rec, apr_pool_t *p);

/* Merge one record into the fleet (provauth_record_merge_device). */
void provauth_fleet_add(provauth_fleet_t *fleet, const provauth_record_t *rec);

/* A device object of the status handler's JSON as a record; 0 (with *why)
 * when it is not one. */
int provauth_record_from_json(provauth_record_t *rec, const provauth_json_t *device,
                              const char **why, apr_pool_t *p);

/* Every device of a status handler's JSON document into the fleet.
 * Returns APR_SUCCESS, or an error with *why (the devices read before the
 * error are kept).  *server is the document's server name (may be NULL). */
apr_status_t provauth_fleet_add_json(provauth_fleet_t *fleet, const char *text,
                                     apr_size_t len, const char **server,
                                     const char **why, apr_pool_t *p);

/* One access log line in the provauth_fleet format as a record: 1, or 0
 * for a line about no device (no certificate, or the module not involved),
 * -1 (with *why) for a line that is not in the format. */
int provauth_fleet_parse_log_line(const char *line, provauth_record_t *rec,
                                  const char **why, apr_pool_t *p);

/* The fleet's records, most urgent first (provauth_record_urgency_cmp). */
apr_array_header_t *provauth_fleet_sorted(const provauth_fleet_t *fleet, apr_pool_t *p);

/* The expiry check (Nagios/Icinga plugin conventions). */
typedef enum {
    PROVAUTH_CHECK_OK = 0,
    PROVAUTH_CHECK_WARNING = 1,
    PROVAUTH_CHECK_CRITICAL = 2,
    PROVAUTH_CHECK_UNKNOWN = 3
} provauth_check_state_e;

typedef struct {
    provauth_check_state_e state;
    unsigned devices;             /* all records */
    unsigned trusted;             /* trusted devices */
    unsigned expired;             /* trusted, past notAfter */
    unsigned critical;            /* trusted, 0 <= days left <= crit */
    unsigned warning;             /* trusted, crit < days left <= warn */
    unsigned refused;             /* urgency "refused" */
    unsigned would_deny;          /* urgency "would-be-refused" */
    unsigned untrusted;           /* untrusted certificates */
    long min_days_left;           /* over trusted devices (0 when none) */
    int has_min;
} provauth_check_t;

/* Evaluate records[0..n): CRITICAL when a trusted device has at most crit
 * days left (already expired ones too, unless ignore_expired), WARNING at
 * most warn, else OK. */
void provauth_fleet_check(const provauth_record_t *const *records, int n, apr_int64_t now,
                          long warn, long crit, int ignore_expired,
                          provauth_check_t *check);

const char *provauth_check_state_name(provauth_check_state_e state);

#endif /* PROVAUTH_FLEET_H */
