/* provauth_registry.h: one device's record in the device registry: what it
 * holds, its compact binary form (as stored in a socache), merging and JSON. */
#ifndef PROVAUTH_REGISTRY_H
#define PROVAUTH_REGISTRY_H

#include <apr_pools.h>
#include <openssl/x509.h>

#include "provauth_json.h"
#include "provauth_pin.h"
#include "provauth_verify.h"

/* Version byte of the binary form; a record of another version is dropped. */
#define PROVAUTH_RECORD_VERSION 2

/* How a record is keyed: a trusted device by its MAC, anything else by its
 * certificate's SHA-256 fingerprint, so that an untrusted certificate can
 * never land on a trusted device's record. */
typedef enum {
    PROVAUTH_KEY_MAC = 1,
    PROVAUTH_KEY_FINGERPRINT = 2
} provauth_key_kind_e;

/* Statuses as stored: stable numbers of the registry's own, so that records
 * outlive a reordering of provauth_status_e. */
typedef enum {
    PROVAUTH_REC_NONE = 0,
    PROVAUTH_REC_VALID = 1,
    PROVAUTH_REC_EXPIRED = 2,
    PROVAUTH_REC_NOT_YET_VALID = 3,
    PROVAUTH_REC_FAILED = 4,
    PROVAUTH_REC_PINNED = 5        /* trusted by a pin of their key (provauth_pin.h) */
} provauth_rec_status_e;

/* Record flags. */
#define PROVAUTH_REC_HAS_MAC        0x01  /* mac holds a MAC (for an untrusted
                                           * record: the MAC it claims) */
#define PROVAUTH_REC_FORGAVE_EXPIRY 0x02  /* a handshake needed the module's
                                           * expiry forgiveness */
#define PROVAUTH_REC_SELF_SIGNED    0x04  /* the leaf is self-signed */
#define PROVAUTH_REC_PARTIAL        0x80  /* read from an access log: no
                                           * fingerprint, root or flags, and
                                           * notAfter to the day */

/* Text fields are cut to these lengths (bytes, the NUL excluded). */
#define PROVAUTH_REC_REASON_MAX  512      /* reasons carry hints */
#define PROVAUTH_REC_NAME_MAX    128      /* subject, issuer, root */
#define PROVAUTH_REC_VENDOR_MAX  64
#define PROVAUTH_REC_SERIAL_MAX  64
#define PROVAUTH_REC_CLIENT_MAX  64

/* Largest binary form and socache id. */
#define PROVAUTH_RECORD_MAX_ENCODED 2048
#define PROVAUTH_RECORD_ID_MAX (2 + PROVAUTH_FINGERPRINT_LEN)
/* Largest JSON object of one record (every byte escaped as \u00XX). */
#define PROVAUTH_RECORD_JSON_MAX 12288

/* Times are seconds since the epoch (UTC); 0 means never or unknown. */
typedef struct provauth_record {
    provauth_key_kind_e key_kind;
    char mac[13];                           /* 12 lowercase hex digits, or "" */
    unsigned char fingerprint[PROVAUTH_FINGERPRINT_LEN];   /* provauth_cert_fingerprint */
    apr_int64_t first_seen;
    apr_int64_t last_seen;
    apr_int64_t last_denied;                /* latest refusal: last_reason's time */
    apr_int64_t not_after;                  /* the leaf's notAfter */
    unsigned status;                        /* provauth_rec_status_e of the latest request */
    unsigned flags;                         /* PROVAUTH_REC_* */
    apr_uint32_t granted;                   /* requests granted */
    apr_uint32_t denied;                    /* requests refused by a provauth Require */
    apr_uint32_t would_deny;                /* ProvAuthReportOnly would-be denials */
    char last_reason[PROVAUTH_REC_REASON_MAX + 1];  /* why refused at last_denied */
    char subject[PROVAUTH_REC_NAME_MAX + 1];
    char issuer[PROVAUTH_REC_NAME_MAX + 1];
    char root[PROVAUTH_REC_NAME_MAX + 1];   /* where the chain ended */
    char vendor[PROVAUTH_REC_VENDOR_MAX + 1];   /* that root's O (or CN) */
    char serial[PROVAUTH_REC_SERIAL_MAX + 1];
    char client[PROVAUTH_REC_CLIENT_MAX + 1];   /* latest client address */
} provauth_record_t;

/* An empty record (every field zero or ""). */
void provauth_record_init(provauth_record_t *rec);

/* Copy value (NULL: "") into a field of size bytes, cut to fit. */
void provauth_record_set_text(char *field, apr_size_t size, const char *value);
#define PROVAUTH_RECORD_SET(rec, field, value) \
    provauth_record_set_text((rec)->field, sizeof((rec)->field), (value))

/* The registry's status for a verdict's status. */
unsigned provauth_record_status_of(provauth_status_e status);
const char *provauth_record_status_name(unsigned status);
/* The status named (as provauth_record_status_name spells it), or
 * PROVAUTH_REC_NONE. */
unsigned provauth_record_status_from_name(const char *name);
/* Is a device with this status trusted (granted by provauth-device)? */
int provauth_record_status_trusted(unsigned status);

/* Fill the certificate fields of rec from the leaf and the root its chain
 * ended at (may be NULL): fingerprint, notAfter, self-signed flag, root and
 * vendor.  Subject, issuer and serial come from the verdict. */
apr_status_t provauth_record_describe_cert(provauth_record_t *rec, X509 *leaf,
                                           X509 *root, apr_pool_t *p);

/* Key rec by its trust: a trusted status with a MAC by the MAC, anything
 * else by the fingerprint. */
void provauth_record_choose_key(provauth_record_t *rec);

/* The socache id of rec: a spreading byte (socache_shmcb picks its
 * sub-cache by the first byte of an id), the key kind and the key.  Returns
 * its length (at most PROVAUTH_RECORD_ID_MAX). */
unsigned provauth_record_id(const provauth_record_t *rec, unsigned char *id);

/* The binary form: returns its length, 0 if buf is too small. */
unsigned provauth_record_encode(const provauth_record_t *rec, unsigned char *buf,
                                unsigned size);
/* Decode; returns 1, or 0 for a malformed record or another version. */
int provauth_record_decode(provauth_record_t *rec, const unsigned char *buf,
                           unsigned len);

typedef enum {
    PROVAUTH_MERGE_DONE = 0,       /* stored now holds both */
    PROVAUTH_MERGE_OTHER_KEY,      /* different devices: nothing changed */
    PROVAUTH_MERGE_UNTRUSTED       /* an untrusted update of a trusted device's
                                    * record: refused, nothing changed */
} provauth_merge_e;

/* Merge update into stored, the record of the same device: the latest seen
 * wins the fields that describe the latest request (status, certificate,
 * client), the latest refusal wins last_reason, first_seen is the earliest
 * and the counts add up (saturating).  An update whose status is not
 * trusted never changes a record whose status is. */
provauth_merge_e provauth_record_merge(provauth_record_t *stored,
                                       const provauth_record_t *update);

/* The same for two records the caller has found to be of one device by
 * other means than the registry key (provauth-report's fleet key: a MAC,
 * or issuer and serial), so never PROVAUTH_MERGE_OTHER_KEY: stored keeps
 * its key kind, and what the latest update does not know never erases what
 * stored knew: a fingerprint (all zero in update), a MAC (update without
 * PROVAUTH_REC_HAS_MAC), and from a PROVAUTH_REC_PARTIAL update (an access
 * log's view) the flags, the root, the vendor (the log's is the issuer's),
 * the subject when it has none, and the notAfter when it has none or it is
 * the same certificate (same serial: stored's is to the second). */
provauth_merge_e provauth_record_merge_device(provauth_record_t *stored,
                                              const provauth_record_t *update);

/* Whole days from now to notAfter, rounded towards minus infinity. */
long provauth_record_days_left(const provauth_record_t *rec, apr_int64_t now);

/* How urgent a device is for an operator, most urgent first:
 * refused now (an untrusted certificate, or its latest request denied),
 * would be refused (report-only), living on expiry forgiveness (EXPIRED),
 * NOT_YET_VALID, then the rest; within a class by days left. */
typedef enum {
    PROVAUTH_URGENCY_REFUSED = 0,
    PROVAUTH_URGENCY_WOULD_DENY,
    PROVAUTH_URGENCY_EXPIRED,
    PROVAUTH_URGENCY_NOT_YET_VALID,
    PROVAUTH_URGENCY_OK
} provauth_urgency_e;

provauth_urgency_e provauth_record_urgency(const provauth_record_t *rec);
const char *provauth_urgency_name(provauth_urgency_e urgency);
/* qsort-style order: most urgent first, then fewest days left, then key. */
int provauth_record_urgency_cmp(const provauth_record_t *a, const provauth_record_t *b);

/* The key as text: the MAC, or the fingerprint in hex (65 bytes). */
const char *provauth_record_key_text(const provauth_record_t *rec, char *buf,
                                     apr_size_t size);

/* One record as a JSON object (no newline); returns its length, 0 if buf is
 * too small (PROVAUTH_RECORD_JSON_MAX always suffices). */
apr_size_t provauth_record_json(const provauth_record_t *rec, apr_int64_t now,
                                char *buf, apr_size_t size);

#endif /* PROVAUTH_REGISTRY_H */
