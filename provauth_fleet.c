/* provauth_fleet.c: records of many servers merged into one fleet view:
 * reading the status handler's JSON and provauth_fleet access log lines,
 * merging per device, and the expiry check of a monitoring plugin. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "provauth_fleet.h"
#include "provauth_lines.h"

#define DAY_SECONDS ((apr_int64_t)86400)

provauth_fleet_t *provauth_fleet_make(apr_pool_t *p)
{
    provauth_fleet_t *fleet = apr_pcalloc(p, sizeof(*fleet));

    fleet->pool = p;
    fleet->devices = apr_hash_make(p);
    return fleet;
}

/* Serial numbers as upper-case hex without leading zeros. */
static const char *serial_key(const char *serial, apr_pool_t *p)
{
    char *key;
    apr_size_t i;

    while (*serial == '0' && serial[1] != '\0') {
        serial++;
    }
    key = apr_pstrdup(p, serial);
    for (i = 0; key[i]; i++) {
        if (key[i] >= 'a' && key[i] <= 'f') {
            key[i] = (char)(key[i] - 'a' + 'A');
        }
    }
    return key;
}

const char *provauth_fleet_key(const provauth_record_t *rec, apr_pool_t *p)
{
    char fingerprint[2 * PROVAUTH_FINGERPRINT_LEN + 1];
    provauth_record_t by_fingerprint;

    if (provauth_record_status_trusted(rec->status) && (rec->flags & PROVAUTH_REC_HAS_MAC)) {
        return apr_pstrcat(p, "mac:", rec->mac, NULL);
    }
    if (rec->serial[0] != '\0') {
        return apr_pstrcat(p, "cert:", rec->issuer, "|", serial_key(rec->serial, p), NULL);
    }
    by_fingerprint = *rec;
    by_fingerprint.key_kind = PROVAUTH_KEY_FINGERPRINT;
    return apr_pstrcat(p, "fp:", provauth_record_key_text(&by_fingerprint, fingerprint,
                                                          sizeof(fingerprint)), NULL);
}

void provauth_fleet_add(provauth_fleet_t *fleet, const provauth_record_t *rec)
{
    const char *key = provauth_fleet_key(rec, fleet->pool);
    provauth_record_t *stored = apr_hash_get(fleet->devices, key, APR_HASH_KEY_STRING);

    fleet->records_read++;
    if (stored == NULL) {
        stored = apr_pmemdup(fleet->pool, rec, sizeof(*rec));
        apr_hash_set(fleet->devices, key, APR_HASH_KEY_STRING, stored);
        return;
    }
    /* One device by the fleet key, whatever its registry key. */
    (void)provauth_record_merge_device(stored, rec);
}

/* ---------------------------------------------------------------------
 * The status handler's JSON
 * ------------------------------------------------------------------ */

static apr_int64_t json_time(const provauth_json_t *device, const char *key)
{
    apr_int64_t when = 0;
    const char *text = provauth_json_get_string(device, key);

    return text != NULL && provauth_time_parse(text, &when) ? when : 0;
}

static apr_uint32_t json_count(const provauth_json_t *device, const char *key)
{
    double value = provauth_json_get_number(device, key, 0);

    return value <= 0 ? 0 : value >= 4294967295.0 ? 0xffffffffu : (apr_uint32_t)value;
}

/* Is text a MAC in the normalized form (12 lowercase hex digits)? */
static int is_mac(const char *text)
{
    provauth_mac_t mac;

    return text != NULL && provauth_mac_parse(text, strlen(text), &mac)
        && strcmp(mac.hex, text) == 0;
}

int provauth_record_from_json(provauth_record_t *rec, const provauth_json_t *device,
                              const char **why, apr_pool_t *p)
{
    const char *status = provauth_json_get_string(device, "status");
    const char *mac = provauth_json_get_string(device, "mac");
    const char *kind = provauth_json_get_string(device, "key_kind");
    const char *fingerprint;

    provauth_record_init(rec);
    if (device == NULL || device->type != PROVAUTH_JSON_OBJECT) {
        *why = "a device is not a JSON object";
        return 0;
    }
    rec->status = provauth_record_status_from_name(status);
    if (rec->status == PROVAUTH_REC_NONE) {
        *why = apr_psprintf(p, "a device has no known status (%s)", status ? status : "none");
        return 0;
    }
    if (mac != NULL) {
        if (!is_mac(mac)) {
            *why = apr_psprintf(p, "a device has a malformed MAC '%s'", mac);
            return 0;
        }
        rec->flags |= PROVAUTH_REC_HAS_MAC;
        PROVAUTH_RECORD_SET(rec, mac, mac);
    }
    fingerprint = provauth_json_get_string(device, "fingerprint");
    if (fingerprint != NULL) {
        /* 64 hex digits, as provauth_record_json writes it; else none (zeros). */
        (void)provauth_hex_decode(fingerprint, strlen(fingerprint), 0, rec->fingerprint,
                                  PROVAUTH_FINGERPRINT_LEN);
    }
    rec->key_kind = (kind != NULL && strcmp(kind, "mac") == 0 && mac != NULL)
        ? PROVAUTH_KEY_MAC : PROVAUTH_KEY_FINGERPRINT;
    rec->first_seen = json_time(device, "first_seen");
    rec->last_seen = json_time(device, "last_seen");
    rec->last_denied = json_time(device, "last_denied");
    rec->not_after = json_time(device, "not_after");
    rec->granted = json_count(device, "granted");
    rec->denied = json_count(device, "denied");
    rec->would_deny = json_count(device, "would_deny");
    if (provauth_json_get_bool(device, "forgave_expiry", 0)) {
        rec->flags |= PROVAUTH_REC_FORGAVE_EXPIRY;
    }
    if (provauth_json_get_bool(device, "self_signed", 0)) {
        rec->flags |= PROVAUTH_REC_SELF_SIGNED;
    }
    PROVAUTH_RECORD_SET(rec, last_reason, provauth_json_get_string(device, "last_reason"));
    PROVAUTH_RECORD_SET(rec, subject, provauth_json_get_string(device, "subject"));
    PROVAUTH_RECORD_SET(rec, issuer, provauth_json_get_string(device, "issuer"));
    PROVAUTH_RECORD_SET(rec, root, provauth_json_get_string(device, "root"));
    PROVAUTH_RECORD_SET(rec, vendor, provauth_json_get_string(device, "vendor"));
    PROVAUTH_RECORD_SET(rec, serial, provauth_json_get_string(device, "serial"));
    PROVAUTH_RECORD_SET(rec, client, provauth_json_get_string(device, "client"));
    if (rec->last_seen == 0) {
        *why = "a device has no last_seen time";
        return 0;
    }
    return 1;
}

apr_status_t provauth_fleet_add_json(provauth_fleet_t *fleet, const char *text,
                                     apr_size_t len, const char **server,
                                     const char **why, apr_pool_t *p)
{
    provauth_json_reader_t reader;
    apr_pool_t *scratch;
    const char *key;
    int member, devices_seen = 0;

    *server = NULL;
    provauth_json_reader_init(&reader, text, len, p);
    if (!provauth_json_enter(&reader, '{')) {
        *why = apr_pstrcat(p, "not a provauth-status JSON document: ", reader.error, NULL);
        return APR_EINVAL;
    }
    apr_pool_create(&scratch, p);
    while ((member = provauth_json_next_member(&reader, p, &key)) > 0) {
        if (strcmp(key, "server") == 0) {
            provauth_json_t *value = provauth_json_parse(&reader, p);
            if (value != NULL && value->type == PROVAUTH_JSON_STRING) {
                *server = value->string;
            }
        }
        else if (strcmp(key, "devices") == 0) {
            int element;

            devices_seen = 1;
            if (!provauth_json_enter(&reader, '[')) {
                break;
            }
            /* One device at a time, in a pool cleared after each. */
            while ((element = provauth_json_next_element(&reader)) > 0) {
                provauth_record_t rec;
                const provauth_json_t *device = provauth_json_parse(&reader, scratch);

                if (device == NULL) {
                    break;
                }
                if (!provauth_record_from_json(&rec, device, why, p)) {
                    apr_pool_destroy(scratch);
                    return APR_EINVAL;
                }
                provauth_fleet_add(fleet, &rec);
                apr_pool_clear(scratch);
            }
            if (element < 0) {
                break;
            }
        }
        else if (!provauth_json_skip(&reader)) {
            break;
        }
    }
    apr_pool_destroy(scratch);
    if (reader.error != NULL || member < 0 || !provauth_json_at_end(&reader)) {
        *why = apr_pstrcat(p, "invalid JSON: ",
                           reader.error ? reader.error : "text after the document", NULL);
        return APR_EINVAL;
    }
    if (!devices_seen) {
        *why = "not a provauth-status JSON document: no \"devices\"";
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* ---------------------------------------------------------------------
 * Access log lines (LogFormat provauth_fleet, debian/provauth.conf):
 * TIME CLIENT STATUS "PROVAUTH_STATUS" "MAC" "DAYS" "SERIAL" "ISSUER"
 * "SUBJECT" "ERROR" "WOULD_DENY" "REQUEST"
 * ------------------------------------------------------------------ */

/* The next blank-separated word. */
static const char *word(const char **line, apr_pool_t *p)
{
    const char *start, *s = *line;

    while (*s == ' ') {
        s++;
    }
    start = s;
    while (*s != '\0' && *s != ' ') {
        s++;
    }
    *line = s;
    return s > start ? apr_pstrmemdup(p, start, (apr_size_t)(s - start)) : NULL;
}

/* The next quoted field, as mod_log_config escapes it (\" \\ \xhh); "-"
 * (unset) is returned as "". */
static const char *quoted(const char **line, apr_pool_t *p)
{
    const char *s = *line;
    char *out, *o;

    while (*s == ' ') {
        s++;
    }
    if (*s != '"') {
        return NULL;
    }
    out = o = apr_palloc(p, strlen(s));
    for (s++; *s != '\0' && *s != '"'; s++) {
        if (*s == '\\' && s[1] != '\0') {
            unsigned char byte;

            s++;
            if (*s == 'x' && s[1] != '\0' && provauth_hex_decode(s + 1, 2, 0, &byte, 1)) {
                *o++ = (char)(byte >= 0x20 && byte != 0x7f ? byte : '?');
                s += 2;
                continue;
            }
            if (*s == 'n' || *s == 't') {
                *o++ = ' ';
            }
            else {
                *o++ = *s;
            }
            continue;
        }
        *o++ = *s;
    }
    if (*s != '"') {
        return NULL;
    }
    *o = '\0';
    *line = s + 1;
    return strcmp(out, "-") == 0 ? "" : out;
}

/* The O= (or else CN=) attribute of an RFC 2253 name. */
static const char *name_vendor(const char *dn, apr_pool_t *p)
{
    const char *keys[] = { "O=", "CN=" };
    unsigned k;

    for (k = 0; k < 2; k++) {
        const char *at = dn;
        while ((at = strstr(at, keys[k])) != NULL) {
            if (at == dn || at[-1] == ',') {
                const char *value = at + strlen(keys[k]), *end = value;
                while (*end != '\0' && (*end != ',' || end[-1] == '\\')) {
                    end++;
                }
                return apr_pstrmemdup(p, value, (apr_size_t)(end - value));
            }
            at++;
        }
    }
    return "";
}

int provauth_fleet_parse_log_line(const char *line, provauth_record_t *rec,
                                  const char **why, apr_pool_t *p)
{
    const char *when_text = word(&line, p), *client = word(&line, p);
    const char *http = word(&line, p);
    const char *status = quoted(&line, p), *mac = quoted(&line, p);
    const char *days = quoted(&line, p), *serial = quoted(&line, p);
    const char *issuer = quoted(&line, p), *subject = quoted(&line, p);
    const char *error = quoted(&line, p), *would_deny = quoted(&line, p);
    const char *request = quoted(&line, p);
    apr_int64_t when = 0;
    int code;

    provauth_record_init(rec);
    if (when_text == NULL || client == NULL || http == NULL || request == NULL
        || !provauth_time_parse(when_text, &when)) {
        *why = "not a provauth_fleet access log line";
        return -1;
    }
    code = atoi(http);
    rec->status = provauth_record_status_from_name(status);
    if (rec->status == PROVAUTH_REC_NONE) {
        return 0;   /* no certificate, or a request the module did not see */
    }
    rec->flags = PROVAUTH_REC_PARTIAL;
    rec->first_seen = rec->last_seen = when;
    if (mac[0] != '\0' && is_mac(mac)) {
        rec->flags |= PROVAUTH_REC_HAS_MAC;
        PROVAUTH_RECORD_SET(rec, mac, mac);
    }
    if (days[0] != '\0') {
        rec->not_after = when + DAY_SECONDS * atol(days);
    }
    if (code == 403) {
        rec->denied = 1;
        rec->last_denied = when;
        PROVAUTH_RECORD_SET(rec, last_reason, error[0] ? error : "refused (403)");
    }
    else if (code < 400) {
        rec->granted = 1;
        if (rec->status == PROVAUTH_REC_FAILED && error[0] != '\0') {
            PROVAUTH_RECORD_SET(rec, last_reason, error);
        }
    }
    /* a report-only would-be denial (ProvAuthReportOnly): PROVAUTH_WOULD_DENY
     * holds why */
    if (would_deny[0] != '\0') {
        rec->would_deny = 1;
        PROVAUTH_RECORD_SET(rec, last_reason, would_deny);
    }
    if (rec->status == PROVAUTH_REC_FAILED && rec->last_reason[0] == '\0') {
        PROVAUTH_RECORD_SET(rec, last_reason, error);
    }
    PROVAUTH_RECORD_SET(rec, serial, serial);
    PROVAUTH_RECORD_SET(rec, issuer, issuer);
    PROVAUTH_RECORD_SET(rec, subject, subject);
    PROVAUTH_RECORD_SET(rec, client, client);
    /* The log names the issuing CA, not the root: its organization stands
     * in for the vendor. */
    PROVAUTH_RECORD_SET(rec, vendor, name_vendor(issuer, p));
    provauth_record_choose_key(rec);
    return 1;
}

/* ---------------------------------------------------------------------
 * Order and the expiry check
 * ------------------------------------------------------------------ */

static int by_urgency(const void *a, const void *b)
{
    return provauth_record_urgency_cmp(*(const provauth_record_t *const *)a,
                                       *(const provauth_record_t *const *)b);
}

apr_array_header_t *provauth_fleet_sorted(const provauth_fleet_t *fleet, apr_pool_t *p)
{
    apr_array_header_t *records = apr_array_make(p, (int)apr_hash_count(fleet->devices) + 1,
                                                 sizeof(provauth_record_t *));
    apr_hash_index_t *hi;

    for (hi = apr_hash_first(p, fleet->devices); hi; hi = apr_hash_next(hi)) {
        APR_ARRAY_PUSH(records, provauth_record_t *) = apr_hash_this_val(hi);
    }
    qsort(records->elts, (size_t)records->nelts, sizeof(provauth_record_t *), by_urgency);
    return records;
}

void provauth_fleet_check(const provauth_record_t *const *records, int n, apr_int64_t now,
                          long warn, long crit, int ignore_expired,
                          provauth_check_t *check)
{
    int i;

    memset(check, 0, sizeof(*check));
    for (i = 0; i < n; i++) {
        const provauth_record_t *rec = records[i];
        provauth_urgency_e urgency = provauth_record_urgency(rec);
        long days;

        check->devices++;
        check->refused += (urgency == PROVAUTH_URGENCY_REFUSED);
        check->would_deny += (urgency == PROVAUTH_URGENCY_WOULD_DENY);
        if (!provauth_record_status_trusted(rec->status)) {
            check->untrusted++;
            continue;
        }
        check->trusted++;
        if (rec->not_after == 0) {
            continue;
        }
        days = provauth_record_days_left(rec, now);
        if (!check->has_min || days < check->min_days_left) {
            check->min_days_left = days;
            check->has_min = 1;
        }
        if (days < 0) {
            check->expired++;
        }
        else if (days <= crit) {
            check->critical++;
        }
        else if (days <= warn) {
            check->warning++;
        }
    }
    check->state = (check->critical > 0 || (!ignore_expired && check->expired > 0))
                   ? PROVAUTH_CHECK_CRITICAL
                   : check->warning > 0 ? PROVAUTH_CHECK_WARNING : PROVAUTH_CHECK_OK;
}

const char *provauth_check_state_name(provauth_check_state_e state)
{
    switch (state) {
    case PROVAUTH_CHECK_OK:       return "OK";
    case PROVAUTH_CHECK_WARNING:  return "WARNING";
    case PROVAUTH_CHECK_CRITICAL: return "CRITICAL";
    case PROVAUTH_CHECK_UNKNOWN:  break;
    }
    return "UNKNOWN";
}
