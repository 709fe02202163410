/* mod_provauth_conn.c: per-connection state and verification cache: a
 * certificate is verified once per connection and trust configuration, and
 * HTTP/2 streams share the primary connection's results under a lock; and
 * the line for a phone the handshake refused for its dates alone.
 *
 * Licensed under the Apache License, Version 2.0 (see LICENSE). */
#include <string.h>
#include <time.h>

#include <apr_allocator.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_request.h"

#include "provauth_log.h"
#include "provauth_pin.h"

#include "mod_provauth_private.h"

/* Log lines of this file carry the module's name ([provauth:...]), so
 * that LogLevel provauth:... applies to them. */
APLOG_USE_MODULE(provauth);

struct provauth_conn {
    int failed;                    /* set-up failed: every request is an error */
    conn_rec *c;
    SSL *ssl;
    provauth_handshake_record_t handshake;   /* what the handshake verified */
    apr_pool_t *pool;              /* verdicts, allocated under lock */
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;      /* HTTP/2 streams share this connection */
#endif
    apr_uint32_t shared;           /* an HTTP/2 stream asked: lock from now on */
    provauth_cached_verdict_t *verdicts;
};

/* The TLS state of a request's connection: HTTP/2 streams run on secondary
 * connections whose TLS lives on the primary one. */
provauth_conn_t *provauth_conn_get(conn_rec *c)
{
    provauth_conn_t *conn;

    if (c->master == NULL) {
        return ap_get_module_config(c->conn_config, &provauth_module);
    }
    while (c->master) {
        c = c->master;
    }
    conn = ap_get_module_config(c->conn_config, &provauth_module);
    /* Streams run on several threads at once: from the first one on, the
     * connection's state is used under its lock.  (HTTP/1 requests come one
     * at a time on the connection itself and need none; the flag is set by
     * the very thread that then relies on it.) */
    if (conn != NULL && !__atomic_load_n(&conn->shared, __ATOMIC_RELAXED)) {
        __atomic_store_n(&conn->shared, 1, __ATOMIC_RELAXED);
    }
    return conn;
}

/* The lock is taken once streams share the connection; whether this
 * caller took it is decided once (in locked), so that it unlocks exactly
 * what it locked even if a stream marks the connection shared meanwhile. */
#if APR_HAS_THREADS
#define LOCK_IF_SHARED(conn, locked, failed) \
    do { \
        (locked) = __atomic_load_n(&(conn)->shared, __ATOMIC_RELAXED) != 0; \
        if ((locked) && apr_thread_mutex_lock((conn)->lock) != APR_SUCCESS) { \
            failed; \
        } \
    } while (0)
#define UNLOCK_IF_SHARED(conn, locked) \
    do { \
        if (locked) { \
            apr_thread_mutex_unlock((conn)->lock); \
        } \
    } while (0)
#else
#define LOCK_IF_SHARED(conn, locked, failed) do { (locked) = 0; } while (0)
#define UNLOCK_IF_SHARED(conn, locked) do { (void)(locked); } while (0)
#endif

static int trust_equal(const provauth_trust_t *a, const provauth_trust_t *b)
{
    return a->anchors == b->anchors && a->intermediates == b->intermediates
        && a->crls == b->crls && a->missing_crl_ok == b->missing_crl_ok
        && a->crl_check == b->crl_check && a->pins == b->pins;
}

/* Does this cached verdict hold for trust and (where pins apply, which
 * read the MAC) rule? */
static int verdict_matches(const provauth_cached_verdict_t *cached, const X509 *leaf,
                           const provauth_trust_t *trust, const provauth_mac_rule_t *rule)
{
    return cached->leaf == leaf && trust_equal(&cached->trust, trust)
        && (trust->pins == NULL || cached->pin_rule == rule);
}

/* May the handshake's verification stand in for re-validation?  Only when
 * our observer saw it verify this very leaf with no error but forgiven
 * time errors (never mod_ssl's verify result, which optional_no_ca and
 * per-request resets make worthless as proof), to an anchor this
 * directory trusts, with no extra CRLs of ours.  Saves the signature
 * checks on every new connection in the common setups. */
static int handshake_verdict_applies(const provauth_conn_t *conn, const X509 *leaf,
                                     const provauth_trust_t *trust)
{
    STACK_OF(X509) *chain = SSL_get0_verified_chain(conn->ssl);

    if (leaf == NULL || trust->crls != NULL || chain == NULL || sk_X509_num(chain) < 1
        || (trust->crl_check != PROVAUTH_CRL_CHECK_DEFAULT
            && trust->crl_check != PROVAUTH_CRL_CHECK_NONE)
        || !provauth_handshake_verified_cleanly(&conn->handshake, leaf)) {
        return 0;
    }
    /* The very store of the handshake, or a directory's own anchors that
     * hold the root this chain ended at (vendor pinning): the same chain
     * verifies against them, for the same purpose. */
    return trust->anchors == SSL_CTX_get_cert_store(SSL_get_SSL_CTX(conn->ssl))
        || provauth_anchors_contain(trust->anchors,
                                    sk_X509_value(chain, sk_X509_num(chain) - 1));
}

static apr_status_t release_cert(void *cert)
{
    X509_free(cert);
    return APR_SUCCESS;
}

/* The leaf's MAC by rule, extracted once per connection (under the lock). */
static const provauth_cached_mac_t *cached_mac(provauth_conn_t *conn,
                                               provauth_cached_verdict_t *cached,
                                               const provauth_mac_rule_t *rule)
{
    provauth_cached_mac_t *entry;

    for (entry = cached->macs; entry; entry = entry->next) {
        if (entry->rule == rule) {
            return entry;
        }
    }
    entry = apr_pcalloc(conn->pool, sizeof(*entry));
    entry->rule = rule;
    entry->has_mac = provauth_mac_from_cert(cached->leaf, rule, &entry->mac,
                                            &entry->no_mac_reason, conn->pool);
    entry->variables = provauth_verdict_variables(conn->pool, cached, entry);
    entry->next = cached->macs;
    cached->macs = entry;
    return entry;
}

/* Verify once per connection and trust configuration, and read the MAC
 * once per connection and rule; keep-alive requests and HTTP/2 streams
 * reuse the results.  *mac is set when the verdict has a leaf. */
const provauth_cached_verdict_t *provauth_conn_verdict(
    provauth_conn_t *conn, const provauth_trust_t *trust,
    const provauth_mac_rule_t *rule, const provauth_cached_mac_t **mac)
{
    provauth_cached_verdict_t *cached;
    X509 *leaf;
    int locked;

    *mac = NULL;
    LOCK_IF_SHARED(conn, locked, return NULL);
    leaf = SSL_get0_peer_certificate(conn->ssl);
    for (cached = conn->verdicts; cached; cached = cached->next) {
        if (verdict_matches(cached, leaf, trust, rule)) {
            goto leave;
        }
    }
    cached = apr_pcalloc(conn->pool, sizeof(*cached));
    if (leaf != NULL && X509_up_ref(leaf)) {
        /* Held so that a renegotiated peer certificate cannot reuse the
         * address this entry is keyed by. */
        apr_pool_cleanup_register(conn->pool, leaf, release_cert,
                                  apr_pool_cleanup_null);
    }
    cached->leaf = leaf;
    cached->trust = *trust;
    cached->pin_rule = rule;
    if (handshake_verdict_applies(conn, leaf, trust)) {
        /* Trusted by its chain: pins do not change that. */
        cached->rv = provauth_classify_verified_chain(
            &cached->verdict, leaf, SSL_get0_verified_chain(conn->ssl), time(NULL),
            conn->pool);
    }
    else {
        provauth_pin_outcome_e outcome;

        cached->rv = provauth_verify_with_pins(&cached->verdict, trust, rule, leaf,
                                               SSL_get_peer_cert_chain(conn->ssl),
                                               time(NULL), &outcome, &cached->pin_line,
                                               conn->pool);
        cached->pin_outcome = (int)outcome;
    }
#ifdef PROVAUTH_TEST_HOOKS
    cached->rv = provauth_test_fault_verify(cached->rv);  /* t/hooks: tests only */
#endif
    if (cached->rv == APR_SUCCESS) {
        /* An internal error denies this request only; the next one retries. */
        cached->days_left_text = apr_ltoa(conn->pool, cached->verdict.days_left);
        cached->next = conn->verdicts;
        conn->verdicts = cached;
    }

leave:
    if (cached->rv == APR_SUCCESS && cached->leaf != NULL) {
        *mac = cached_mac(conn, cached, rule);
    }
    UNLOCK_IF_SHARED(conn, locked);
    return cached;
}

static apr_status_t release_handshake_record(void *record)
{
    provauth_handshake_record_release(record);
    return APR_SUCCESS;
}

/* "2024-12-01 00:00:00 UTC" */
static const char *time_text(const ASN1_TIME *when, apr_pool_t *p)
{
    struct tm tm;
    char text[32];

    if (when == NULL || !ASN1_TIME_to_tm(when, &tm)
        || strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
        return "?";
    }
    return apr_pstrdup(p, text);
}

/* What failed: "the device certificate has expired", or "its CA \"...\"
 * (depth n) has expired (notAfter ...)", or the same for notBefore. */
static const char *time_fault(const provauth_handshake_record_t *record, apr_pool_t *p)
{
    const X509 *cert = record->time_refused_cert ? record->time_refused_cert
                                                 : record->time_refused_leaf;
    int expired = (record->time_refused_error == X509_V_ERR_CERT_HAS_EXPIRED);
    provauth_verdict_t ca;

    if (record->time_refused_depth <= 0 || record->time_refused_cert == NULL
        || provauth_describe_leaf(&ca, record->time_refused_cert, time(NULL), p)
           != APR_SUCCESS) {
        /* the device's own notAfter follows in the line */
        return expired ? "the device certificate has expired"
                       : apr_psprintf(p, "the device certificate is not yet valid "
                                      "(notBefore %s)",
                                      time_text(X509_get0_notBefore(cert), p));
    }
    return apr_psprintf(p, "its CA \"%s\" (depth %d) %s", ap_escape_logitem(p, ca.subject),
                        record->time_refused_depth,
                        expired ? apr_psprintf(p, "has expired (notAfter %s)",
                                               time_text(X509_get0_notAfter(cert), p))
                                : apr_psprintf(p, "is not yet valid (notBefore %s)",
                                               time_text(X509_get0_notBefore(cert), p)));
}

/* One line for a phone the handshake refused for its dates alone, on a
 * virtual host that uses the module and whose ProvAuthAcceptExpired would
 * admit it (PA00121): mod_ssl's own line names neither the device nor the
 * fix.  Written when the connection is released (never touching the SSL,
 * which mod_ssl may have freed by then). */
static apr_status_t log_time_refusal(void *data)
{
    const provauth_conn_t *conn = data;
    const provauth_handshake_record_t *record = &conn->handshake;
    const provauth_vhost_policy_t *vhost_policy =
        (const provauth_vhost_policy_t *)record->time_refused_policy;
    const server_rec *s = vhost_policy ? vhost_policy->server : NULL;
    const provauth_dir_conf_t *vhost_dconf;
    provauth_verdict_t device;
    provauth_mac_t mac;
    const char *no_mac = NULL, *mac_text = "";
    apr_pool_t *p = conn->c->pool;

    if (record->time_refused_leaf == NULL || s == NULL
        || !vhost_policy->log_time_refusals
        || provauth_describe_leaf(&device, record->time_refused_leaf, time(NULL), p)
           != APR_SUCCESS) {
        return APR_SUCCESS;
    }
    vhost_dconf = provauth_vhost_dir_conf(s);
    if (provauth_mac_from_cert(record->time_refused_leaf,
                               (vhost_dconf && vhost_dconf->mac_rule)
                                   ? vhost_dconf->mac_rule : provauth_mac_rule_default(),
                               &mac, &no_mac, p)) {
        mac_text = apr_psprintf(p, ", MAC %s", mac.hex);
    }
    ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, conn->c, PROVAUTH_LOGNO(00121)
                  "TLS handshake refused: %s; device subject \"%s\"%s, issuer \"%s\", "
                  "serial %s, notAfter %s, client %s; " DIR_ACCEPT_EXPIRED " On in %s "
                  "would let it through the handshake (it is still re-validated per "
                  "request)", time_fault(record, p),
                  ap_escape_logitem(p, device.subject), mac_text,
                  ap_escape_logitem(p, device.issuer), device.serial,
                  time_text(X509_get0_notAfter(record->time_refused_leaf), p),
                  conn->c->client_ip, provauth_describe_server(s, p));
    return APR_SUCCESS;
}

int provauth_conn_failed(const provauth_conn_t *conn)
{
    return conn->failed;
}

int provauth_conn_pre_handshake(conn_rec *c, SSL *ssl, int is_proxy)
{
    provauth_conn_t *conn;
    apr_allocator_t *allocator;

    if (is_proxy) {
        return OK;
    }
    conn = apr_pcalloc(c->pool, sizeof(*conn));
    conn->c = c;
    conn->ssl = ssl;
    /* Until set up, a TLS connection whose requests end in an internal
     * error (500), never one that looks like plain HTTP: a "no certificate"
     * would be a denial that `Require not` turns into a grant. */
    conn->failed = 1;
    ap_set_module_config(c->conn_config, &provauth_module, conn);
    /* HTTP/2 streams allocate verdicts from worker threads while the
     * connection's own thread uses c->pool's allocator, which the event MPM
     * creates without a mutex: our pool gets an allocator of its own, used
     * only under conn->lock. */
    if (apr_allocator_create(&allocator) != APR_SUCCESS) {
        return OK;
    }
    if (apr_pool_create_ex(&conn->pool, c->pool, NULL, allocator) != APR_SUCCESS) {
        apr_allocator_destroy(allocator);
        return OK;
    }
    apr_allocator_owner_set(allocator, conn->pool);
    provauth_handshake_track(ssl, &conn->handshake);
    apr_pool_cleanup_register(c->pool, &conn->handshake, release_handshake_record,
                              apr_pool_cleanup_null);
    apr_pool_pre_cleanup_register(c->pool, conn, log_time_refusal);
    apr_pool_tag(conn->pool, "mod_provauth_conn");
#if APR_HAS_THREADS
    if (apr_thread_mutex_create(&conn->lock, APR_THREAD_MUTEX_DEFAULT, c->pool)
        != APR_SUCCESS) {
        return OK;
    }
#endif
    conn->failed = 0;
    return OK;
}

/* ---------------------------------------------------------------------
 * What the connection's requests tell the device registry: counted here,
 * per verdict, and written once when the connection closes
 * ------------------------------------------------------------------ */

/* A contribution older than this is written at the next request rather than
 * at close, so that long-lived connections (HTTP/2) show up meanwhile. */
#define PENDING_MAX_AGE 60

int provauth_conn_forgave_expiry(const provauth_conn_t *conn)
{
    return conn->handshake.forgave_time_error;
}

int provauth_conn_note_request(provauth_conn_t *conn, const provauth_cached_verdict_t *cached,
                               const provauth_request_report_t *report, apr_int64_t when)
{
    /* The entry is this connection's own (its verdict list). */
    provauth_cached_verdict_t *entry = (provauth_cached_verdict_t *)cached;
    provauth_registry_pending_t *pending;
    int due, locked;

    LOCK_IF_SHARED(conn, locked, return 0);
    pending = entry->pending;
    if (pending == NULL) {
        pending = apr_pcalloc(conn->pool, sizeof(*pending));
        entry->pending = pending;
    }
    if (pending->requests++ == 0) {
        pending->first_request = when;
    }
    pending->last_request = when;
    switch (report->outcome) {
    case PROVAUTH_OUTCOME_GRANTED:
        pending->granted++;
        break;
    case PROVAUTH_OUTCOME_DENIED:
        pending->denied++;
        pending->last_denied = when;
        provauth_record_set_text(pending->last_reason, sizeof(pending->last_reason),
                                 report->reason);
        break;
    case PROVAUTH_OUTCOME_WOULD_DENY:
        /* a would-be denial keeps its reason, not a denial time */
        pending->would_deny++;
        provauth_record_set_text(pending->last_reason, sizeof(pending->last_reason),
                                 report->reason);
        break;
    case PROVAUTH_OUTCOME_SEEN:
        break;
    }
    if (report->mac != NULL) {
        /* the latest request's (sections may read the MAC by other rules) */
        pending->has_mac = 1;
        pending->mac = *report->mac;
    }
    due = when - pending->first_request >= PENDING_MAX_AGE;
    UNLOCK_IF_SHARED(conn, locked);
    return due;
}

void provauth_conn_take_pending(provauth_conn_t *conn, provauth_pending_fn fn,
                                void *baton)
{
    provauth_cached_verdict_t *cached;
    provauth_registry_pending_t *taken = NULL;
    const provauth_cached_verdict_t **owners = NULL;
    int count = 0, i;

#if APR_HAS_THREADS
    if (apr_thread_mutex_lock(conn->lock) != APR_SUCCESS) {
        return;
    }
#endif
    for (cached = conn->verdicts; cached; cached = cached->next) {
        count += (cached->pending != NULL && cached->pending->requests > 0);
    }
    if (count > 0) {
        taken = apr_palloc(conn->pool, sizeof(*taken) * (apr_size_t)count);
        owners = apr_palloc(conn->pool,
                            sizeof(const provauth_cached_verdict_t *) * (apr_size_t)count);
        i = 0;
        for (cached = conn->verdicts; cached; cached = cached->next) {
            if (cached->pending != NULL && cached->pending->requests > 0) {
                owners[i] = cached;
                taken[i++] = *cached->pending;
                memset(cached->pending, 0, sizeof(*cached->pending));
            }
        }
    }
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(conn->lock);
#endif
    /* Written outside the lock: other streams go on meanwhile. */
    for (i = 0; i < count; i++) {
        fn(baton, owners[i], &taken[i]);
    }
}

/* ---------------------------------------------------------------------
 * The accept-expired policy of the virtual host that serves a request
 * ------------------------------------------------------------------ */

/* A resumed connection verified nothing, and the handshake that made its
 * session ran under the same virtual host's policy (mod_ssl ties sessions
 * to the SNI virtual host), which forgives time errors.  Whether it forgave
 * one is not recorded anywhere that survives resumption, so find out from
 * the chain: only a chain that verifies against that virtual host's
 * anchors and is within every validity period passes.  Returns NULL when
 * it does, else why not. */
static const char *resumed_chain_problem(provauth_conn_t *conn,
                                         const provauth_handshake_t *policy,
                                         apr_pool_t *p)
{
    const provauth_cached_verdict_t *cached;
    const provauth_cached_mac_t *mac;
    provauth_trust_t trust;

    memset(&trust, 0, sizeof(trust));
    trust.anchors = SSL_CTX_get_cert_store(SSL_get_SSL_CTX(conn->ssl));
    trust.intermediates = policy->intermediates;
    trust.crls = NULL;
    trust.missing_crl_ok = 1;   /* the handshake's CRL settings: mod_ssl's */
    cached = provauth_conn_verdict(conn, &trust, provauth_mac_rule_default(), &mac);
    if (cached == NULL || cached->rv != APR_SUCCESS) {
        return "could not be checked (internal error)";
    }
    switch (cached->verdict.status) {
    case PROVAUTH_STATUS_VALID:
        return NULL;
    case PROVAUTH_STATUS_EXPIRED:
    case PROVAUTH_STATUS_NOT_YET_VALID:
        return apr_pstrcat(p, "is ", provauth_status_name(cached->verdict.status),
                           NULL);
    default:
        return apr_pstrcat(p, "does not verify against that virtual host's CAs (",
                           cached->verdict.reason ? cached->verdict.reason : "?",
                           ")", NULL);
    }
}

/* The PA00110/PA00111 line: why the request is refused. */
static void log_refusal(request_rec *r, provauth_conn_t *conn,
                        const provauth_handshake_t *policy, X509 *peer,
                        const char *resumed_problem)
{
    const char *sni = SSL_get_servername(conn->ssl, TLSEXT_NAMETYPE_host_name);
    const char *handshake_vhost = (policy && policy->vhost_name) ? policy->vhost_name : "?";
    const char *host = r->hostname ? ap_escape_logitem(r->pool, r->hostname) : "(none)";
    provauth_verdict_t leaf;

    sni = sni ? ap_escape_logitem(r->pool, sni) : "(none)";
    if (provauth_describe_leaf(&leaf, peer, time(NULL), r->pool) != APR_SUCCESS) {
        leaf.subject = "?";
    }
    if (resumed_problem == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PROVAUTH_LOGNO(00110)
                      "refused with 421: the TLS handshake (SNI %s, virtual host "
                      "%s) accepted a certificate outside its validity period by "
                      DIR_ACCEPT_EXPIRED " On, but the request (Host %s) is for "
                      "the virtual host %s, which does not accept expired "
                      "certificates; subject \"%s\", uri \"%s\"",
                      sni, handshake_vhost, host, provauth_server_name(r->server, r->pool),
                      ap_escape_logitem(r->pool, leaf.subject),
                      ap_escape_logitem(r->pool, r->uri));
    }
    else {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PROVAUTH_LOGNO(00111)
                      "refused with 421: the TLS session was resumed (SNI %s, "
                      "virtual host %s, which accepts expired certificates) and "
                      "the client's certificate chain %s, but the request (Host "
                      "%s) is for the virtual host %s, which does not accept "
                      "expired certificates; subject \"%s\", uri \"%s\"",
                      sni, handshake_vhost, resumed_problem, host,
                      provauth_server_name(r->server, r->pool),
                      ap_escape_logitem(r->pool, leaf.subject),
                      ap_escape_logitem(r->pool, r->uri));
    }
}

/* Is the leaf pinned in a pin file of the virtual host serving r? */
static int vhost_pins(const request_rec *r, const provauth_conn_t *conn)
{
    /* the fingerprint the handshake computed, not one per request */
    return provauth_pins_any(provauth_server_conf(r->server)->pinned,
                             &conn->handshake.pinned_fp);
}

/* The PA00131 line: a pin of the handshake's virtual host borrowed. */
static void log_pin_refusal(request_rec *r, provauth_conn_t *conn,
                            const provauth_handshake_t *policy, X509 *peer)
{
    const char *sni = SSL_get_servername(conn->ssl, TLSEXT_NAMETYPE_host_name);
    const char *host = r->hostname ? ap_escape_logitem(r->pool, r->hostname) : "(none)";
    provauth_verdict_t leaf;

    sni = sni ? ap_escape_logitem(r->pool, sni) : "(none)";
    if (provauth_describe_leaf(&leaf, peer, time(NULL), r->pool) != APR_SUCCESS) {
        leaf.subject = "?";
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, PROVAUTH_LOGNO(00131)
                  "refused with 421: the TLS handshake (SNI %s, virtual host %s) "
                  "accepted the certificate because it is pinned there by a "
                  DIR_PINNED_FILE ", but the request (Host %s) is for the virtual "
                  "host %s, where no " DIR_PINNED_FILE " pins it; subject \"%s\", "
                  "uri \"%s\"", sni,
                  (policy && policy->vhost_name) ? policy->vhost_name : "?", host,
                  provauth_server_name(r->server, r->pool),
                  ap_escape_logitem(r->pool, leaf.subject),
                  ap_escape_logitem(r->pool, r->uri));
}

int provauth_conn_check_vhost(request_rec *r)
{
    provauth_conn_t *conn;
    const provauth_handshake_t *policy;
    const char *problem;
    X509 *peer;
    int accepts_expired;

    /* Initial requests only, as mod_ssl: an ErrorDocument for our own 421
     * must not be refused again. */
    if (!ap_is_initial_req(r) || (conn = provauth_conn_get(r->connection)) == NULL) {
        return DECLINED;
    }
    /* The usual case, every request: this virtual host forgives dates and
     * the handshake forgave nothing else. */
    accepts_expired = provauth_server_conf(r->server)->accept_expired == 1;
    if ((accepts_expired && !conn->handshake.forgave_pin)
        || (peer = SSL_get0_peer_certificate(conn->ssl)) == NULL) {
        return DECLINED;
    }
    /* Sessions of pinned leaves are never resumed: the record says it all. */
    if (conn->handshake.forgave_pin && !vhost_pins(r, conn)) {
        log_pin_refusal(r, conn, provauth_handshake_policy(conn->ssl), peer);
        return HTTP_MISDIRECTED_REQUEST;
    }
    if (accepts_expired) {
        return DECLINED;
    }
    policy = provauth_handshake_policy(conn->ssl);
    if (conn->handshake.forgave_time_error) {
        log_refusal(r, conn, policy, peer, NULL);
        return HTTP_MISDIRECTED_REQUEST;
    }
    if (!SSL_session_reused(conn->ssl) || policy == NULL || !policy->accept_time_errors
        || (problem = resumed_chain_problem(conn, policy, r->pool)) == NULL) {
        return DECLINED;
    }
    log_refusal(r, conn, policy, peer, problem);
    return HTTP_MISDIRECTED_REQUEST;
}
