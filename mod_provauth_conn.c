/* mod_provauth_conn.c: per-connection state and verification cache: a
 * certificate is verified once per connection and trust configuration, and
 * HTTP/2 streams share the primary connection's results under a lock.
 *
 * Licensed under the Apache License, Version 2.0 (see LICENSE). */
#include <time.h>

#include <apr_allocator.h>
#include <apr_thread_mutex.h>

#include "httpd.h"
#include "http_config.h"

#include "mod_provauth_private.h"

struct provauth_conn {
    SSL *ssl;
    provauth_handshake_record_t handshake;   /* what the handshake verified */
    apr_pool_t *pool;              /* verdicts, allocated under lock */
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;      /* HTTP/2 streams share this connection */
#endif
    provauth_cached_verdict_t *verdicts;
};

/* The TLS state of a request's connection: HTTP/2 streams run on secondary
 * connections whose TLS lives on the primary one. */
provauth_conn_t *provauth_conn_get(conn_rec *c)
{
    while (c->master) {
        c = c->master;
    }
    return ap_get_module_config(c->conn_config, &provauth_module);
}

static int trust_equal(const provauth_trust_t *a, const provauth_trust_t *b)
{
    return a->anchors == b->anchors && a->intermediates == b->intermediates
        && a->crls == b->crls && a->missing_crl_ok == b->missing_crl_ok;
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

    *mac = NULL;
#if APR_HAS_THREADS
    if (apr_thread_mutex_lock(conn->lock) != APR_SUCCESS) {
        return NULL;
    }
#endif
    leaf = SSL_get0_peer_certificate(conn->ssl);
    for (cached = conn->verdicts; cached; cached = cached->next) {
        if (cached->leaf == leaf && trust_equal(&cached->trust, trust)) {
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
    if (handshake_verdict_applies(conn, leaf, trust)) {
        cached->rv = provauth_classify_verified_chain(
            &cached->verdict, leaf, SSL_get0_verified_chain(conn->ssl), time(NULL),
            conn->pool);
    }
    else {
        cached->rv = provauth_verify_chain(&cached->verdict, trust, leaf,
                                           SSL_get_peer_cert_chain(conn->ssl),
                                           time(NULL), conn->pool);
    }
#ifdef PROVAUTH_TEST_HOOKS
    cached->rv = provauth_test_fault_verify(cached->rv);  /* t/hooks: tests only */
#endif
    if (cached->rv == APR_SUCCESS) {
        /* An internal error denies this request only; the next one retries. */
        cached->next = conn->verdicts;
        conn->verdicts = cached;
    }

leave:
    if (cached->rv == APR_SUCCESS && cached->leaf != NULL) {
        *mac = cached_mac(conn, cached, rule);
    }
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(conn->lock);
#endif
    return cached;
}

static apr_status_t release_handshake_record(void *record)
{
    provauth_handshake_record_release(record);
    return APR_SUCCESS;
}

int provauth_conn_pre_handshake(conn_rec *c, SSL *ssl, int is_proxy)
{
    provauth_conn_t *conn;
    apr_allocator_t *allocator;

    if (is_proxy) {
        return OK;
    }
    conn = apr_pcalloc(c->pool, sizeof(*conn));
    conn->ssl = ssl;
    /* HTTP/2 streams allocate verdicts from worker threads while the
     * connection's own thread uses c->pool's allocator, which the event MPM
     * creates without a mutex: our pool gets an allocator of its own, used
     * only under conn->lock. */
    if (apr_allocator_create(&allocator) != APR_SUCCESS) {
        return OK; /* no state: every provauth requirement denies */
    }
    if (apr_pool_create_ex(&conn->pool, c->pool, NULL, allocator) != APR_SUCCESS) {
        apr_allocator_destroy(allocator);
        return OK;
    }
    apr_allocator_owner_set(allocator, conn->pool);
    provauth_handshake_track(ssl, &conn->handshake);
    apr_pool_cleanup_register(c->pool, &conn->handshake, release_handshake_record,
                              apr_pool_cleanup_null);
    apr_pool_tag(conn->pool, "mod_provauth_conn");
#if APR_HAS_THREADS
    if (apr_thread_mutex_create(&conn->lock, APR_THREAD_MUTEX_DEFAULT, c->pool)
        != APR_SUCCESS) {
        return OK;
    }
#endif
    ap_set_module_config(c->conn_config, &provauth_module, conn);
    return OK;
}
