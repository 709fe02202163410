/* provauth_registry.c: device records of the registry: keys, the compact
 * binary form kept in a socache, merging, urgency and JSON.  Pure: no httpd. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <apr_strings.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "provauth_lines.h"
#include "provauth_registry.h"

#define DAY_SECONDS 86400

void provauth_record_init(provauth_record_t *rec)
{
    memset(rec, 0, sizeof(*rec));
    rec->key_kind = PROVAUTH_KEY_FINGERPRINT;
}

/* Cut at size - 1 bytes, never inside a UTF-8 sequence. */
void provauth_record_set_text(char *field, apr_size_t size, const char *value)
{
    apr_size_t len = value ? strlen(value) : 0;

    if (size == 0) {
        return;
    }
    if (len >= size) {
        len = size - 1;
        while (len > 0 && ((unsigned char)value[len] & 0xC0) == 0x80) {
            len--;
        }
    }
    if (len > 0) {
        memcpy(field, value, len);
    }
    field[len] = '\0';
}

unsigned provauth_record_status_of(provauth_status_e status)
{
    switch (status) {
    case PROVAUTH_STATUS_VALID:         return PROVAUTH_REC_VALID;
    case PROVAUTH_STATUS_EXPIRED:       return PROVAUTH_REC_EXPIRED;
    case PROVAUTH_STATUS_NOT_YET_VALID: return PROVAUTH_REC_NOT_YET_VALID;
    case PROVAUTH_STATUS_FAILED:        return PROVAUTH_REC_FAILED;
    case PROVAUTH_STATUS_PINNED:        return PROVAUTH_REC_PINNED;
    case PROVAUTH_STATUS_NONE:          break;
    }
    return PROVAUTH_REC_NONE;
}

static const char *const status_names[] = {
    "NONE", "VALID", "EXPIRED", "NOT_YET_VALID", "FAILED", "PINNED"
};

const char *provauth_record_status_name(unsigned status)
{
    return status < sizeof(status_names) / sizeof(status_names[0])
        ? status_names[status] : "NONE";
}

unsigned provauth_record_status_from_name(const char *name)
{
    unsigned i;

    for (i = 0; name != NULL && i < sizeof(status_names) / sizeof(status_names[0]); i++) {
        if (strcmp(name, status_names[i]) == 0) {
            return i;
        }
    }
    return PROVAUTH_REC_NONE;
}

int provauth_record_status_trusted(unsigned status)
{
    return status == PROVAUTH_REC_VALID || status == PROVAUTH_REC_EXPIRED
        || status == PROVAUTH_REC_NOT_YET_VALID || status == PROVAUTH_REC_PINNED;
}

/* ---------------------------------------------------------------------
 * Certificate fields
 * ------------------------------------------------------------------ */

static void name_into(char *field, apr_size_t size, const X509_NAME *name)
{
    BIO *out = BIO_new(BIO_s_mem());
    char *data = NULL;
    long len;

    field[0] = '\0';
    if (out == NULL) {
        return;
    }
    if (X509_NAME_print_ex(out, name, 0, XN_FLAG_RFC2253) >= 0
        && (len = BIO_get_mem_data(out, &data)) > 0) {
        apr_size_t copy = (apr_size_t)len < size ? (apr_size_t)len : size - 1;
        memcpy(field, data, copy);
        field[copy] = '\0';
        provauth_record_set_text(field, size, field);
    }
    BIO_free(out);
}

/* The organization (or else the common name) of a name, as UTF-8. */
static void vendor_into(char *field, apr_size_t size, const X509_NAME *name)
{
    int nids[] = { NID_organizationName, NID_commonName };
    unsigned i;

    field[0] = '\0';
    for (i = 0; i < sizeof(nids) / sizeof(nids[0]); i++) {
        int index = X509_NAME_get_index_by_NID(name, nids[i], -1);
        unsigned char *utf8 = NULL;
        int len;

        if (index < 0) {
            continue;
        }
        len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
                                             X509_NAME_get_entry(name, index)));
        if (len > 0) {
            char *text = (char *)utf8;
            int j;
            for (j = 0; j < len; j++) {   /* no control characters */
                if ((unsigned char)text[j] < 0x20 || text[j] == 0x7f) {
                    text[j] = '?';
                }
            }
            text[len] = '\0';
            provauth_record_set_text(field, size, text);
        }
        OPENSSL_free(utf8);
        if (field[0] != '\0') {
            return;
        }
    }
}

static apr_int64_t asn1_time_seconds(const ASN1_TIME *when)
{
    struct tm tm;

    if (when == NULL || !ASN1_TIME_to_tm(when, &tm)) {
        return 0;
    }
    return (apr_int64_t)timegm(&tm);
}

apr_status_t provauth_record_describe_cert(provauth_record_t *rec, X509 *leaf,
                                           X509 *root, apr_pool_t *p)
{
    provauth_fingerprint_t fp;

    (void)p;
    if (leaf == NULL) {
        return APR_EINVAL;
    }
    if (provauth_cert_fingerprint(leaf, &fp) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    memcpy(rec->fingerprint, fp.bytes, sizeof(rec->fingerprint));
    rec->not_after = asn1_time_seconds(X509_get0_notAfter(leaf));
    if (X509_self_signed(leaf, 0) == 1) {
        rec->flags |= PROVAUTH_REC_SELF_SIGNED;
    }
    else {
        rec->flags &= ~(unsigned)PROVAUTH_REC_SELF_SIGNED;
    }
    if (root != NULL) {
        name_into(rec->root, sizeof(rec->root), X509_get_subject_name(root));
        vendor_into(rec->vendor, sizeof(rec->vendor), X509_get_subject_name(root));
    }
    return APR_SUCCESS;
}

void provauth_record_choose_key(provauth_record_t *rec)
{
    rec->key_kind = (provauth_record_status_trusted(rec->status)
                     && (rec->flags & PROVAUTH_REC_HAS_MAC))
        ? PROVAUTH_KEY_MAC : PROVAUTH_KEY_FINGERPRINT;
}

/* ---------------------------------------------------------------------
 * Socache id and binary form
 * ------------------------------------------------------------------ */

/* The 6 bytes of a 12-digit MAC; zeros for anything else. */
static void mac_bytes(const char *mac, unsigned char *out)
{
    memset(out, 0, 6);
    (void)provauth_hex_decode(mac, strlen(mac), 0, out, 6);
}

static void mac_text(const unsigned char *bytes, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < 6; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 0x0f];
    }
    out[12] = '\0';
}

unsigned provauth_record_id(const provauth_record_t *rec, unsigned char *id)
{
    unsigned len, i;
    apr_uint32_t hash = 2166136261u;     /* FNV-1a */

    id[1] = (unsigned char)rec->key_kind;
    if (rec->key_kind == PROVAUTH_KEY_MAC) {
        mac_bytes(rec->mac, id + 2);
        len = 2 + 6;
    }
    else {
        memcpy(id + 2, rec->fingerprint, PROVAUTH_FINGERPRINT_LEN);
        len = 2 + PROVAUTH_FINGERPRINT_LEN;
    }
    for (i = 1; i < len; i++) {
        hash = (hash ^ id[i]) * 16777619u;
    }
    id[0] = (unsigned char)(hash ^ hash >> 8 ^ hash >> 16 ^ hash >> 24);
    return len;
}

typedef struct {
    unsigned char *buf;
    unsigned size, len;
    int overflow;
} writer_t;

static void put(writer_t *w, const void *data, unsigned len)
{
    if (w->overflow || len > w->size - w->len) {
        w->overflow = 1;
        return;
    }
    memcpy(w->buf + w->len, data, len);
    w->len += len;
}

static void put_u8(writer_t *w, unsigned value)
{
    unsigned char byte = (unsigned char)value;
    put(w, &byte, 1);
}

static void put_u32(writer_t *w, apr_uint32_t value)
{
    unsigned char bytes[4];
    int i;

    for (i = 0; i < 4; i++) {
        bytes[i] = (unsigned char)(value >> (8 * i));
    }
    put(w, bytes, 4);
}

static void put_i64(writer_t *w, apr_int64_t value)
{
    unsigned char bytes[8];
    apr_uint64_t bits = (apr_uint64_t)value;
    int i;

    for (i = 0; i < 8; i++) {
        bytes[i] = (unsigned char)(bits >> (8 * i));
    }
    put(w, bytes, 8);
}

static void put_text(writer_t *w, const char *text)
{
    apr_size_t len = strlen(text);

    if (len > 0xffff) {
        len = 0xffff;
    }
    put_u8(w, (unsigned)(len >> 8));
    put_u8(w, (unsigned)(len & 0xff));
    put(w, text, (unsigned)len);
}

unsigned provauth_record_encode(const provauth_record_t *rec, unsigned char *buf,
                                unsigned size)
{
    writer_t w = { buf, size, 0, 0 };
    unsigned char mac[6];

    put_u8(&w, PROVAUTH_RECORD_VERSION);
    put_u8(&w, rec->status);
    put_u8(&w, rec->flags);
    put_u8(&w, (unsigned)rec->key_kind);
    put(&w, rec->fingerprint, PROVAUTH_FINGERPRINT_LEN);
    mac_bytes(rec->mac, mac);
    put(&w, mac, 6);
    put_i64(&w, rec->first_seen);
    put_i64(&w, rec->last_seen);
    put_i64(&w, rec->last_denied);
    put_i64(&w, rec->not_after);
    put_u32(&w, rec->granted);
    put_u32(&w, rec->denied);
    put_u32(&w, rec->would_deny);
    put_text(&w, rec->last_reason);
    put_text(&w, rec->subject);
    put_text(&w, rec->issuer);
    put_text(&w, rec->root);
    put_text(&w, rec->vendor);
    put_text(&w, rec->serial);
    put_text(&w, rec->client);
    return w.overflow ? 0 : w.len;
}

typedef struct {
    const unsigned char *buf;
    unsigned len, pos;
    int bad;
} reader_t;

static const unsigned char *take(reader_t *r, unsigned len)
{
    const unsigned char *at;

    if (r->bad || len > r->len - r->pos) {
        r->bad = 1;
        return NULL;
    }
    at = r->buf + r->pos;
    r->pos += len;
    return at;
}

static unsigned get_u8(reader_t *r)
{
    const unsigned char *at = take(r, 1);
    return at ? *at : 0;
}

static apr_uint32_t get_u32(reader_t *r)
{
    const unsigned char *at = take(r, 4);
    apr_uint32_t value = 0;
    int i;

    for (i = 3; at != NULL && i >= 0; i--) {
        value = value << 8 | at[i];
    }
    return value;
}

static apr_int64_t get_i64(reader_t *r)
{
    const unsigned char *at = take(r, 8);
    apr_uint64_t value = 0;
    int i;

    for (i = 7; at != NULL && i >= 0; i--) {
        value = value << 8 | at[i];
    }
    return (apr_int64_t)value;
}

/* A text field: its length byte and bytes, none of them NUL. */
static void get_text(reader_t *r, char *field, apr_size_t size)
{
    unsigned high = get_u8(r);
    unsigned len = high << 8 | get_u8(r);
    const unsigned char *at = take(r, len);

    field[0] = '\0';
    if (at == NULL) {
        return;
    }
    if (len >= size || memchr(at, '\0', len) != NULL) {
        r->bad = 1;
        return;
    }
    memcpy(field, at, len);
    field[len] = '\0';
}

int provauth_record_decode(provauth_record_t *rec, const unsigned char *buf,
                           unsigned len)
{
    reader_t r = { buf, len, 0, 0 };
    const unsigned char *at;
    unsigned kind;

    provauth_record_init(rec);
    if (get_u8(&r) != PROVAUTH_RECORD_VERSION) {
        return 0;
    }
    rec->status = get_u8(&r);
    rec->flags = get_u8(&r);
    kind = get_u8(&r);
    if (kind != PROVAUTH_KEY_MAC && kind != PROVAUTH_KEY_FINGERPRINT) {
        return 0;
    }
    rec->key_kind = (provauth_key_kind_e)kind;
    if ((at = take(&r, PROVAUTH_FINGERPRINT_LEN)) != NULL) {
        memcpy(rec->fingerprint, at, PROVAUTH_FINGERPRINT_LEN);
    }
    if ((at = take(&r, 6)) != NULL && (rec->flags & PROVAUTH_REC_HAS_MAC)) {
        mac_text(at, rec->mac);
    }
    rec->first_seen = get_i64(&r);
    rec->last_seen = get_i64(&r);
    rec->last_denied = get_i64(&r);
    rec->not_after = get_i64(&r);
    rec->granted = get_u32(&r);
    rec->denied = get_u32(&r);
    rec->would_deny = get_u32(&r);
    get_text(&r, rec->last_reason, sizeof(rec->last_reason));
    get_text(&r, rec->subject, sizeof(rec->subject));
    get_text(&r, rec->issuer, sizeof(rec->issuer));
    get_text(&r, rec->root, sizeof(rec->root));
    get_text(&r, rec->vendor, sizeof(rec->vendor));
    get_text(&r, rec->serial, sizeof(rec->serial));
    get_text(&r, rec->client, sizeof(rec->client));
    if (r.bad || r.pos != r.len || rec->status > PROVAUTH_REC_PINNED
        || (rec->key_kind == PROVAUTH_KEY_MAC && !(rec->flags & PROVAUTH_REC_HAS_MAC))) {
        provauth_record_init(rec);
        return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------------
 * Merging and urgency
 * ------------------------------------------------------------------ */

static int same_key(const provauth_record_t *a, const provauth_record_t *b)
{
    if (a->key_kind != b->key_kind) {
        return 0;
    }
    return a->key_kind == PROVAUTH_KEY_MAC
        ? strcmp(a->mac, b->mac) == 0
        : memcmp(a->fingerprint, b->fingerprint, PROVAUTH_FINGERPRINT_LEN) == 0;
}

static apr_uint32_t add_saturating(apr_uint32_t a, apr_uint32_t b)
{
    return a > 0xffffffffu - b ? 0xffffffffu : a + b;
}

static int has_fingerprint(const provauth_record_t *rec)
{
    static const unsigned char zero[PROVAUTH_FINGERPRINT_LEN];

    return memcmp(rec->fingerprint, zero, sizeof(zero)) != 0;
}

/* Do two serial numbers, as the JSON and the log write them, match? */
static int same_serial(const char *a, const char *b)
{
    while (*a == '0' && a[1] != '\0') {
        a++;
    }
    while (*b == '0' && b[1] != '\0') {
        b++;
    }
    return strcasecmp(a, b) == 0;
}

/* After stored took the latest update (provauth_record_merge_device): give
 * back from kept (stored before) what update did not know. */
static void keep_what_update_lacks(provauth_record_t *stored, const provauth_record_t *kept,
                                   const provauth_record_t *update)
{
    int same_cert;

    if (!has_fingerprint(update)) {
        memcpy(stored->fingerprint, kept->fingerprint, sizeof(stored->fingerprint));
    }
    if (!(update->flags & PROVAUTH_REC_HAS_MAC)) {
        memcpy(stored->mac, kept->mac, sizeof(stored->mac));
    }
    if (!(update->flags & PROVAUTH_REC_PARTIAL)) {
        return;
    }
    same_cert = same_serial(update->serial, kept->serial);
    stored->flags = (kept->flags & ~(unsigned)PROVAUTH_REC_PARTIAL)
                  | (update->flags & PROVAUTH_REC_HAS_MAC)
                  | (kept->flags & update->flags & PROVAUTH_REC_PARTIAL);
    if (update->not_after == 0 || (same_cert && kept->not_after != 0)) {
        stored->not_after = kept->not_after;
    }
    if (kept->root[0] != '\0' && (same_cert || update->root[0] == '\0')) {
        memcpy(stored->root, kept->root, sizeof(stored->root));
    }
    if (kept->vendor[0] != '\0') {
        memcpy(stored->vendor, kept->vendor, sizeof(stored->vendor));
    }
    if (update->subject[0] == '\0') {
        memcpy(stored->subject, kept->subject, sizeof(stored->subject));
    }
}

static provauth_merge_e merge(provauth_record_t *stored, const provauth_record_t *update,
                              int one_device)
{
    provauth_record_t kept;

    if (!one_device && !same_key(stored, update)) {
        return PROVAUTH_MERGE_OTHER_KEY;
    }
    if (provauth_record_status_trusted(stored->status)
        && !provauth_record_status_trusted(update->status)) {
        return PROVAUTH_MERGE_UNTRUSTED;
    }
    if (update->first_seen != 0
        && (stored->first_seen == 0 || update->first_seen < stored->first_seen)) {
        stored->first_seen = update->first_seen;
    }
    if (update->last_denied > stored->last_denied) {
        stored->last_denied = update->last_denied;
        memcpy(stored->last_reason, update->last_reason, sizeof(stored->last_reason));
    }
    stored->granted = add_saturating(stored->granted, update->granted);
    stored->denied = add_saturating(stored->denied, update->denied);
    stored->would_deny = add_saturating(stored->would_deny, update->would_deny);
    if (update->last_seen < stored->last_seen) {
        return PROVAUTH_MERGE_DONE;
    }
    kept = *stored;
    stored->last_seen = update->last_seen;
    stored->status = update->status;
    stored->flags = update->flags;
    memcpy(stored->mac, update->mac, sizeof(stored->mac));
    memcpy(stored->fingerprint, update->fingerprint, sizeof(stored->fingerprint));
    stored->not_after = update->not_after;
    memcpy(stored->subject, update->subject, sizeof(stored->subject));
    memcpy(stored->issuer, update->issuer, sizeof(stored->issuer));
    memcpy(stored->root, update->root, sizeof(stored->root));
    memcpy(stored->vendor, update->vendor, sizeof(stored->vendor));
    memcpy(stored->serial, update->serial, sizeof(stored->serial));
    memcpy(stored->client, update->client, sizeof(stored->client));
    if (one_device) {
        keep_what_update_lacks(stored, &kept, update);
    }
    return PROVAUTH_MERGE_DONE;
}

provauth_merge_e provauth_record_merge(provauth_record_t *stored,
                                       const provauth_record_t *update)
{
    return merge(stored, update, 0);
}

provauth_merge_e provauth_record_merge_device(provauth_record_t *stored,
                                              const provauth_record_t *update)
{
    return merge(stored, update, 1);
}

long provauth_record_days_left(const provauth_record_t *rec, apr_int64_t now)
{
    apr_int64_t diff;

    if (rec->not_after == 0) {
        return 0;
    }
    diff = rec->not_after - now;
    return (long)(diff >= 0 ? diff / DAY_SECONDS : -((-diff + DAY_SECONDS - 1) / DAY_SECONDS));
}

provauth_urgency_e provauth_record_urgency(const provauth_record_t *rec)
{
    if (!provauth_record_status_trusted(rec->status)
        || (rec->last_denied != 0 && rec->last_denied >= rec->last_seen)) {
        return PROVAUTH_URGENCY_REFUSED;
    }
    if (rec->would_deny > 0) {
        return PROVAUTH_URGENCY_WOULD_DENY;
    }
    if (rec->status == PROVAUTH_REC_EXPIRED) {
        return PROVAUTH_URGENCY_EXPIRED;
    }
    if (rec->status == PROVAUTH_REC_NOT_YET_VALID) {
        return PROVAUTH_URGENCY_NOT_YET_VALID;
    }
    return PROVAUTH_URGENCY_OK;
}

const char *provauth_urgency_name(provauth_urgency_e urgency)
{
    switch (urgency) {
    case PROVAUTH_URGENCY_REFUSED:       return "refused";
    case PROVAUTH_URGENCY_WOULD_DENY:    return "would-be-refused";
    case PROVAUTH_URGENCY_EXPIRED:       return "expired";
    case PROVAUTH_URGENCY_NOT_YET_VALID: return "not-yet-valid";
    case PROVAUTH_URGENCY_OK:            break;
    }
    return "ok";
}

int provauth_record_urgency_cmp(const provauth_record_t *a, const provauth_record_t *b)
{
    provauth_urgency_e ua = provauth_record_urgency(a), ub = provauth_record_urgency(b);
    char ka[2 * PROVAUTH_FINGERPRINT_LEN + 1], kb[2 * PROVAUTH_FINGERPRINT_LEN + 1];

    if (ua != ub) {
        return ua < ub ? -1 : 1;
    }
    /* Fewest days left first; an unknown notAfter last. */
    if (a->not_after != b->not_after) {
        if (a->not_after == 0 || b->not_after == 0) {
            return a->not_after == 0 ? 1 : -1;
        }
        return a->not_after < b->not_after ? -1 : 1;
    }
    return strcmp(provauth_record_key_text(a, ka, sizeof(ka)),
                  provauth_record_key_text(b, kb, sizeof(kb)));
}

const char *provauth_record_key_text(const provauth_record_t *rec, char *buf,
                                     apr_size_t size)
{
    static const char digits[] = "0123456789abcdef";
    apr_size_t i;

    if (size == 0) {
        return buf;
    }
    if (rec->key_kind == PROVAUTH_KEY_MAC) {
        provauth_record_set_text(buf, size, rec->mac);
        return buf;
    }
    for (i = 0; i < PROVAUTH_FINGERPRINT_LEN && 2 * i + 2 < size; i++) {
        buf[2 * i] = digits[rec->fingerprint[i] >> 4];
        buf[2 * i + 1] = digits[rec->fingerprint[i] & 0x0f];
    }
    buf[2 * i] = '\0';
    return buf;
}

/* ---------------------------------------------------------------------
 * JSON (escaping and times: provauth_json.c)
 * ------------------------------------------------------------------ */

typedef struct {
    char *buf;
    apr_size_t size, len;
    int overflow;
} text_t;

static void add(text_t *t, const char *text)
{
    apr_size_t len = strlen(text);

    if (t->overflow || len >= t->size - t->len) {
        t->overflow = 1;
        return;
    }
    memcpy(t->buf + t->len, text, len + 1);
    t->len += len;
}

static void add_string(text_t *t, const char *name, const char *value, int comma)
{
    char escaped[6 * (PROVAUTH_REC_REASON_MAX + 1)];

    add(t, comma ? ",\"" : "\"");
    add(t, name);
    if (value == NULL) {
        add(t, "\":null");
        return;
    }
    add(t, "\":\"");
    provauth_json_escape(value, escaped, sizeof(escaped));
    add(t, escaped);
    add(t, "\"");
}

static void add_number(text_t *t, const char *name, long value)
{
    char number[32];

    (void)snprintf(number, sizeof(number), "%ld", value);
    add(t, ",\"");
    add(t, name);
    add(t, "\":");
    add(t, number);
}

static void add_bool(text_t *t, const char *name, int value)
{
    add(t, ",\"");
    add(t, name);
    add(t, value ? "\":true" : "\":false");
}

static void add_time(text_t *t, const char *name, apr_int64_t when)
{
    char text[32];

    add_string(t, name, when ? provauth_time_text(when, text, sizeof(text)) : NULL, 1);
}

apr_size_t provauth_record_json(const provauth_record_t *rec, apr_int64_t now,
                                char *buf, apr_size_t size)
{
    text_t t = { buf, size, 0, 0 };
    char key[2 * PROVAUTH_FINGERPRINT_LEN + 1];
    provauth_record_t by_fingerprint = *rec;
    int has_mac = (rec->flags & PROVAUTH_REC_HAS_MAC) != 0;

    if (size == 0) {
        return 0;
    }
    buf[0] = '\0';
    by_fingerprint.key_kind = PROVAUTH_KEY_FINGERPRINT;
    add(&t, "{");
    add_string(&t, "key", provauth_record_key_text(rec, key, sizeof(key)), 0);
    add_string(&t, "key_kind", rec->key_kind == PROVAUTH_KEY_MAC ? "mac" : "fingerprint", 1);
    add_string(&t, "mac", has_mac ? rec->mac : NULL, 1);
    add_string(&t, "fingerprint",
               provauth_record_key_text(&by_fingerprint, key, sizeof(key)), 1);
    add_string(&t, "status", provauth_record_status_name(rec->status), 1);
    add_bool(&t, "trusted", provauth_record_status_trusted(rec->status));
    add_string(&t, "urgency", provauth_urgency_name(provauth_record_urgency(rec)), 1);
    add_time(&t, "first_seen", rec->first_seen);
    add_time(&t, "last_seen", rec->last_seen);
    if (rec->not_after != 0) {
        add_number(&t, "days_left", provauth_record_days_left(rec, now));
    }
    else {
        add(&t, ",\"days_left\":null");
    }
    add_time(&t, "not_after", rec->not_after);
    add_string(&t, "subject", rec->subject, 1);
    add_string(&t, "issuer", rec->issuer, 1);
    add_string(&t, "root", rec->root, 1);
    add_string(&t, "vendor", rec->vendor, 1);
    add_string(&t, "serial", rec->serial, 1);
    add_number(&t, "granted", (long)rec->granted);
    add_number(&t, "denied", (long)rec->denied);
    add_number(&t, "would_deny", (long)rec->would_deny);
    add_time(&t, "last_denied", rec->last_denied);
    add_string(&t, "last_reason", rec->last_reason[0] ? rec->last_reason : NULL, 1);
    add_string(&t, "client", rec->client, 1);
    add_bool(&t, "forgave_expiry", (rec->flags & PROVAUTH_REC_FORGAVE_EXPIRY) != 0);
    add_bool(&t, "self_signed", (rec->flags & PROVAUTH_REC_SELF_SIGNED) != 0);
    add(&t, "}");
    if (t.overflow) {
        buf[0] = '\0';
        return 0;
    }
    return t.len;
}
