/* provauth_pin.h: pinned devices: one certificate (by its SHA-256
 * fingerprint) approved for one MAC, loaded from a file at startup, and what
 * a pin makes of a re-validation verdict. */
#ifndef PROVAUTH_PIN_H
#define PROVAUTH_PIN_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <openssl/x509.h>

#include "provauth_mac.h"
#include "provauth_verify.h"

/* The SHA-256 fingerprint of a certificate (of its DER encoding), as
 * `openssl x509 -fingerprint -sha256` prints it. */
#define PROVAUTH_FINGERPRINT_LEN ((size_t)32)
typedef struct {
    unsigned char bytes[PROVAUTH_FINGERPRINT_LEN];
} provauth_fingerprint_t;

typedef struct provauth_pins provauth_pins_t;

/* Parse a fingerprint written as 64 hex digits, or as 32 pairs of hex
 * digits separated by ':'; any case, nothing else.  Returns 1 and fills
 * *fp, or 0. */
int provauth_fingerprint_parse(const char *text, size_t len, provauth_fingerprint_t *fp);

/* The fingerprint of cert.  APR_SUCCESS, or an error (OpenSSL failure). */
apr_status_t provauth_cert_fingerprint(const X509 *cert, provauth_fingerprint_t *fp);

/* "AB:CD:...": upper case, colon-separated, as OpenSSL prints it. */
const char *provauth_fingerprint_text(const provauth_fingerprint_t *fp, apr_pool_t *p);

/* The line of a pin file that pins this certificate for this MAC. */
const char *provauth_pin_line(const provauth_mac_t *mac, const provauth_fingerprint_t *fp,
                              apr_pool_t *p);

/* Load a pin file: one "<MAC> <fingerprint>" per line (the MAC in any form
 * provauth_mac_parse accepts, the fingerprint in either form above,
 * separated by blanks), '#' starts a comment, blank lines are skipped.  A
 * malformed line, a MAC pinned to two fingerprints or a fingerprint pinned
 * to two MACs fails the load with *why naming the file and the line; the
 * same pin given twice is harmless.  Lookups cost the same whatever the
 * size. */
apr_status_t provauth_pins_load(provauth_pins_t **pins, const char *path,
                                apr_pool_t *p, const char **why);

/* The same from text in memory; name stands for the file in messages. */
apr_status_t provauth_pins_parse(provauth_pins_t **pins, const char *text,
                                 apr_size_t len, const char *name, apr_pool_t *p,
                                 const char **why);

/* Distinct pins. */
apr_size_t provauth_pins_size(const provauth_pins_t *pins);

/* The file the pins were loaded from (the name given to _parse). */
const char *provauth_pins_name(const provauth_pins_t *pins);

/* The MAC this fingerprint is pinned for: 1 with *mac filled, or 0. */
int provauth_pins_mac_of(const provauth_pins_t *pins, const provauth_fingerprint_t *fp,
                         provauth_mac_t *mac);

/* The fingerprint this MAC is pinned to: 1 with *fp filled, or 0. */
int provauth_pins_fingerprint_of(const provauth_pins_t *pins, const provauth_mac_t *mac,
                                 provauth_fingerprint_t *fp);

/* What the pins of a directory made of a verdict. */
typedef enum {
    PROVAUTH_PIN_NOT_INVOLVED = 0, /* neither its fingerprint nor its MAC is pinned */
    PROVAUTH_PIN_KEPT,             /* pinned, but the verdict stands (trusted
                                    * by its chain, or revoked) */
    PROVAUTH_PIN_PINNED,           /* now PINNED */
    PROVAUTH_PIN_WRONG_MAC,        /* fingerprint pinned for another MAC: FAILED */
    PROVAUTH_PIN_OTHER_CERT,       /* MAC pinned to another certificate: FAILED */
    PROVAUTH_PIN_CANDIDATE         /* self-signed, with a MAC, nothing pinned:
                                    * may be enrolled with *pin_line */
} provauth_pin_outcome_e;

/* Apply a directory's pins to the verdict re-validation gave leaf.  mac is
 * the leaf's MAC by the directory's ProvAuthMACFrom rule (NULL when it has
 * none, with no_mac_reason saying why).
 *
 * A chain that verified (VALID, EXPIRED, NOT_YET_VALID) keeps its status,
 * and a revoked certificate stays FAILED: a pin never overrides either.
 * Otherwise a certificate whose fingerprint is pinned for its own MAC, and
 * which may be used for TLS client authentication, becomes PINNED (whatever
 * its issuer and dates); one pinned for another MAC (or yielding none), or
 * one claiming a MAC pinned to another certificate, is FAILED with a
 * reason saying so.  *pin_line (may be NULL) is set for a CANDIDATE.
 * Returns APR_SUCCESS, or an error (the fingerprint could not be made). */
apr_status_t provauth_pin_apply(provauth_verdict_t *verdict, const provauth_pins_t *pins,
                                X509 *leaf, const provauth_mac_t *mac,
                                const char *no_mac_reason,
                                provauth_pin_outcome_e *outcome, const char **pin_line,
                                apr_pool_t *p);

/* Re-validate leaf as provauth_verify_chain does, then apply trust->pins
 * (if any) with the leaf's MAC by rule (NULL: the default rule): the
 * verdict mod_provauth gives a request. */
apr_status_t provauth_verify_with_pins(provauth_verdict_t *verdict,
                                       const provauth_trust_t *trust,
                                       const provauth_mac_rule_t *rule, X509 *leaf,
                                       STACK_OF(X509) *peer_chain, time_t now,
                                       provauth_pin_outcome_e *outcome,
                                       const char **pin_line, apr_pool_t *p);

/* Is this fingerprint pinned in any of the pin sets of an array of
 * const provauth_pins_t * (may be NULL)? */
int provauth_pins_any(const apr_array_header_t *sets, const provauth_fingerprint_t *fp);

#endif /* PROVAUTH_PIN_H */
