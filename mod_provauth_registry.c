/* mod_provauth_registry.c: the device registry, kept in a socache as mod_ssl
 * keeps its session cache: its life across restarts, the per-request
 * counting, the one write per connection and device, and shared counters.
 *
 * Licensed under the Apache License, Version 2.0 (see LICENSE). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_global_mutex.h>
#include <apr_shm.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include "httpd.h"
#include "http_config.h"
#include "http_connection.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "ap_provider.h"
#include "ap_socache.h"
#include "util_mutex.h"

#include "provauth_log.h"
#include "provauth_registry.h"

#include "mod_provauth_private.h"

APLOG_USE_MODULE(provauth);

#define MUTEX_TYPE        "provauth-registry"
#define DEFAULT_PROVIDER  "shmcb"
/* 32 MiB: about 120,000 records of ~280 bytes with shmcb's index. */
#define DEFAULT_ARGS      "provauth-registry(33554432)"
#define CACHE_NAME        "provauth_devices"       /* socache instance name: at most 16 characters */
#define RECORD_LIFETIME   apr_time_from_sec(366 * 86400)
#define KEY_COUNTERS      "mod_provauth:counters"
#define KEY_SNAPSHOT      "mod_provauth:registry-snapshot"

typedef struct {
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *instance;
    apr_global_mutex_t *mutex;        /* NULL: the provider needs none */
    const char *description;
    server_rec *s;
    pid_t parent;                     /* the process that created it */
} registry_t;

static registry_t *registry;          /* this generation's; NULL: off */
static provauth_counters_t *counters;
static int logged_busy, logged_failure;   /* per process: log once */

/* Records copied out of one generation's registry, put back into the next
 * (a restart destroys a socache; mod_ssl's session cache starts empty). */
typedef struct {
    unsigned char *data;              /* malloc'd: [u8 idlen][u16 len][id][data]... */
    apr_size_t used, size;
    unsigned count;
    int overflow;
} snapshot_t;

/* Counters are added to on every request: the compiler's atomics inline. */
#define INCREMENT(counter) __atomic_fetch_add(&(counter), 1, __ATOMIC_RELAXED)
#define COUNT(field) \
    do { if (counters != NULL) { INCREMENT(counters->field); } } while (0)

provauth_counters_t *provauth_counters(void)
{
    return counters;
}

int provauth_registry_enabled(void)
{
    return registry != NULL;
}

const char *provauth_registry_description(void)
{
    return registry ? registry->description : "off";
}

int provauth_registry_can_list(void)
{
    return registry != NULL && registry->provider->iterate != NULL;
}

/* ---------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------ */

const char *provauth_registry_configure(cmd_parms *cmd, provauth_server_conf_t *conf,
                                        const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    char *name, *args;
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *instance = NULL;

    if (err != NULL) {
        return err;
    }
    conf->registry_spec = arg;
    conf->registry_off = 0;
    conf->registry_provider = NULL;
    conf->registry_instance = NULL;
    if (strcasecmp(arg, "none") == 0) {
        conf->registry_off = 1;
        return NULL;
    }
    name = apr_pstrdup(cmd->temp_pool, arg);
    args = strchr(name, ':');
    if (args != NULL) {
        *args++ = '\0';
    }
    provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                  AP_SOCACHE_PROVIDER_VERSION);
    if (provider == NULL) {
        return apr_psprintf(cmd->pool, DIR_DEVICE_REGISTRY ": no socache provider "
                            "'%s': load its module (mod_socache_%s) before this "
                            "line, or use 'none'", name, name);
    }
    err = provider->create(&instance, args, cmd->temp_pool, cmd->pool);
    if (err != NULL) {
        return apr_psprintf(cmd->pool, DIR_DEVICE_REGISTRY " %s: %s", arg, err);
    }
    conf->registry_provider = provider;
    conf->registry_instance = instance;
    return NULL;
}

/* ---------------------------------------------------------------------
 * Counters: one shared segment for the life of the server process, so that
 * every child of every generation adds to the same numbers
 * ------------------------------------------------------------------ */

static void counters_attach(server_rec *s)
{
    apr_pool_t *pool = s->process->pool;
    void *kept = NULL;
    apr_shm_t *shm = NULL;

    apr_pool_userdata_get(&kept, KEY_COUNTERS, pool);
    if (kept == NULL) {
        if (apr_shm_create(&shm, sizeof(provauth_counters_t), NULL, pool) == APR_SUCCESS) {
            kept = apr_shm_baseaddr_get(shm);
        }
        else {   /* no anonymous shared memory: this process's own numbers */
            kept = apr_palloc(pool, sizeof(provauth_counters_t));
        }
        memset(kept, 0, sizeof(provauth_counters_t));
        apr_pool_userdata_set(kept, KEY_COUNTERS, apr_pool_cleanup_null, pool);
    }
    counters = kept;
}

/* ---------------------------------------------------------------------
 * Lifecycle: created in post_config, reattached in child_init, copied to
 * the next generation on restart
 * ------------------------------------------------------------------ */

/* Lock for a write at request time: never wait long (a few tries, 2 ms at
 * most, after the response has gone). */
static int lock_briefly(void)
{
    int attempt;
    apr_status_t rv;

    if (registry->mutex == NULL) {
        return 1;
    }
    for (attempt = 0; attempt < 14; attempt++) {
        rv = apr_global_mutex_trylock(registry->mutex);
        if (rv == APR_SUCCESS) {
            return 1;
        }
        if (!APR_STATUS_IS_EBUSY(rv)) {
            return 0;
        }
        if (attempt < 4) {
            apr_thread_yield();
        }
        else {
            apr_sleep(200);
        }
    }
    return 0;
}

static int lock_waiting(void)
{
    return registry->mutex == NULL || apr_global_mutex_lock(registry->mutex) == APR_SUCCESS;
}

static void unlock(void)
{
    if (registry->mutex != NULL) {
        apr_global_mutex_unlock(registry->mutex);
    }
}

static snapshot_t *snapshot_kept(server_rec *s)
{
    void *kept = NULL;

    apr_pool_userdata_get(&kept, KEY_SNAPSHOT, s->process->pool);
    if (kept == NULL) {
        kept = apr_pcalloc(s->process->pool, sizeof(snapshot_t));
        apr_pool_userdata_set(kept, KEY_SNAPSHOT, apr_pool_cleanup_null, s->process->pool);
    }
    return kept;
}

static void snapshot_drop(snapshot_t *snap)
{
    free(snap->data);
    memset(snap, 0, sizeof(*snap));
}

static apr_status_t snapshot_add(ap_socache_instance_t *instance, server_rec *s,
                                 void *baton, const unsigned char *id, unsigned int idlen,
                                 const unsigned char *data, unsigned int len,
                                 apr_pool_t *pool)
{
    snapshot_t *snap = baton;
    apr_size_t need = 3 + (apr_size_t)idlen + len;

    (void)instance;
    (void)s;
    (void)pool;
    if (idlen > 255 || len > 0xffff) {
        return APR_SUCCESS;   /* not one of ours */
    }
    if (snap->used + need > snap->size) {
        apr_size_t size = snap->size ? snap->size * 2 : 1 << 20;
        unsigned char *grown;

        while (size < snap->used + need) {
            size *= 2;
        }
        grown = realloc(snap->data, size);
        if (grown == NULL) {
            snap->overflow = 1;
            return APR_ENOMEM;
        }
        snap->data = grown;
        snap->size = size;
    }
    snap->data[snap->used] = (unsigned char)idlen;
    snap->data[snap->used + 1] = (unsigned char)(len >> 8);
    snap->data[snap->used + 2] = (unsigned char)len;
    memcpy(snap->data + snap->used + 3, id, idlen);
    memcpy(snap->data + snap->used + 3 + idlen, data, len);
    snap->used += need;
    snap->count++;
    return APR_SUCCESS;
}

/* At the end of a generation (restart, graceful restart, stop), in the
 * parent: keep the records for the next one, then destroy the cache. */
static apr_status_t registry_cleanup(void *data)
{
    registry_t *reg = data;
    snapshot_t *snap = snapshot_kept(reg->s);

    if (getpid() == reg->parent && reg->provider->iterate != NULL) {
        /* Children of this generation may be writing (a graceful restart):
         * wait for the lock, but not forever. */
        int attempt, locked = (reg->mutex == NULL);

        snapshot_drop(snap);
        for (attempt = 0; !locked && attempt < 500; attempt++) {
            locked = apr_global_mutex_trylock(reg->mutex) == APR_SUCCESS;
            if (!locked) {
                apr_sleep(2000);
            }
        }
        if (locked) {
            reg->provider->iterate(reg->instance, reg->s, snap, snapshot_add,
                                   reg->s->process->pool);
            if (reg->mutex != NULL) {
                apr_global_mutex_unlock(reg->mutex);
            }
        }
        if (!locked || snap->overflow) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, reg->s, PROVAUTH_LOGNO(00074)
                         "device registry: the records could not be kept for the "
                         "restart (%s); it starts with %u", locked ? "out of memory"
                         : "locked for over a second", snap->count);
        }
    }
    reg->provider->destroy(reg->instance, reg->s);
    if (registry == reg) {
        registry = NULL;
    }
    return APR_SUCCESS;
}

/* Put the previous generation's records into the new, empty cache. */
static unsigned restore(registry_t *reg, apr_pool_t *ptemp)
{
    snapshot_t *snap = snapshot_kept(reg->s);
    apr_size_t at = 0;
    apr_time_t expiry = apr_time_now() + RECORD_LIFETIME;
    unsigned restored = 0;

    while (snap->data != NULL && at + 3 <= snap->used) {
        unsigned idlen = snap->data[at];
        unsigned len = (unsigned)snap->data[at + 1] << 8 | snap->data[at + 2];
        unsigned char *id = snap->data + at + 3;

        if (at + 3 + idlen + len > snap->used) {
            break;
        }
        if (reg->provider->store(reg->instance, reg->s, id, idlen, expiry,
                                 id + idlen, len, ptemp) == APR_SUCCESS) {
            restored++;
        }
        at += 3 + idlen + len;
    }
    snapshot_drop(snap);
    return restored;
}

/* An explicitly configured registry that cannot work stops the server (as
 * mod_ssl's session cache does); the default one is left off. */
static int registry_failed(server_rec *s, int configured, apr_status_t rv,
                           const char *what)
{
    ap_log_error(APLOG_MARK, configured ? APLOG_EMERG : APLOG_WARNING, rv, s,
                 PROVAUTH_LOGNO(00070) "device registry: %s%s", what,
                 configured ? "" : "; the server runs without it (set "
                 DIR_DEVICE_REGISTRY " to choose another, or none)");
    snapshot_drop(snapshot_kept(s));
    return configured ? !OK : OK;
}

static int registry_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    registry = NULL;
    return ap_mutex_register(pconf, MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0);
}

static int registry_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp, server_rec *s)
{
    const provauth_server_conf_t *conf = provauth_server_conf(s);
    const ap_socache_provider_t *provider = conf->registry_provider;
    ap_socache_instance_t *instance = conf->registry_instance;
    struct ap_socache_hints hints;
    apr_global_mutex_t *mutex = NULL;
    int configured = (provider != NULL);
    registry_t *reg;
    apr_status_t rv;

    (void)plog;
    registry = NULL;
    /* httpd reads its configuration twice at startup: the first pass only
     * checks it. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    if (provauth_first_use(pconf) == NULL) {
        snapshot_drop(snapshot_kept(s));   /* the module is loaded, not used */
        return OK;
    }
    counters_attach(s);
    if (conf->registry_off) {
        snapshot_drop(snapshot_kept(s));
        return OK;
    }
    if (provider == NULL) {
        const char *err;

        provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, DEFAULT_PROVIDER,
                                      AP_SOCACHE_PROVIDER_VERSION);
        if (provider == NULL) {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, PROVAUTH_LOGNO(00071)
                         "device registry off: mod_socache_shmcb is not loaded "
                         "(a2enmod socache_shmcb, or set " DIR_DEVICE_REGISTRY ")");
            snapshot_drop(snapshot_kept(s));
            return OK;
        }
        err = provider->create(&instance, DEFAULT_ARGS, ptemp, pconf);
        if (err != NULL) {
            return registry_failed(s, 0, APR_EINVAL, err);
        }
    }
    if (provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) {
        rv = ap_global_mutex_create(&mutex, NULL, MUTEX_TYPE, NULL, s, pconf, 0);
        if (rv != APR_SUCCESS) {
            return registry_failed(s, configured, rv, "cannot create its mutex");
        }
    }
    memset(&hints, 0, sizeof(hints));
    hints.avg_id_len = 8;
    hints.avg_obj_size = 256;
    hints.expiry_interval = apr_time_from_sec(3600);
    rv = provider->init(instance, CACHE_NAME, &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        return registry_failed(s, configured, rv,
                               apr_psprintf(ptemp, "cannot initialize the %s cache",
                                            provider->name));
    }
    reg = apr_pcalloc(pconf, sizeof(*reg));
    reg->provider = provider;
    reg->instance = instance;
    reg->mutex = mutex;
    reg->s = s;
    reg->parent = getpid();
    reg->description = apr_pstrdup(pconf, configured ? conf->registry_spec
                                                     : DEFAULT_PROVIDER ":" DEFAULT_ARGS);
    apr_pool_cleanup_register(pconf, reg, registry_cleanup, apr_pool_cleanup_null);
    registry = reg;
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, PROVAUTH_LOGNO(00073)
                 "device registry: %s, %u records kept from before the restart",
                 reg->description, restore(reg, ptemp));
    return OK;
}

static void registry_child_init(apr_pool_t *p, server_rec *s)
{
    apr_status_t rv;

    if (registry == NULL || registry->mutex == NULL) {
        return;
    }
    rv = apr_global_mutex_child_init(&registry->mutex,
                                     apr_global_mutex_lockfile(registry->mutex), p);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, PROVAUTH_LOGNO(00075)
                     "device registry: cannot attach to its mutex; this child "
                     "process records nothing");
        registry = NULL;
    }
}

/* ---------------------------------------------------------------------
 * Writing records
 * ------------------------------------------------------------------ */

static void miss(server_rec *s, int busy, apr_status_t rv)
{
    COUNT(registry_misses);
    if (busy && !logged_busy) {
        logged_busy = 1;
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, PROVAUTH_LOGNO(00140)
                     "device registry: busy, a record update was skipped (counted "
                     "as a miss in server-status; said once per process)");
    }
    else if (!busy && !logged_failure) {
        logged_failure = 1;
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, PROVAUTH_LOGNO(00141)
                     "device registry: %s failed, a record update was skipped "
                     "(counted as a miss in server-status; said once per process)",
                     registry->provider->name);
    }
}

/* Merge update into the device's stored record, under the registry's lock. */
static void store_record(const provauth_record_t *update, server_rec *s, apr_pool_t *p)
{
    unsigned char id[PROVAUTH_RECORD_ID_MAX], buf[PROVAUTH_RECORD_MAX_ENCODED];
    unsigned id_len = provauth_record_id(update, id), len = sizeof(buf);
    provauth_record_t stored;
    const provauth_record_t *result = update;
    apr_status_t rv;

    if (!lock_briefly()) {
        miss(s, 1, APR_EBUSY);
        return;
    }
    rv = registry->provider->retrieve(registry->instance, s, id, id_len, buf, &len, p);
    if (rv == APR_SUCCESS && provauth_record_decode(&stored, buf, len)) {
        switch (provauth_record_merge(&stored, update)) {
        case PROVAUTH_MERGE_DONE:
            result = &stored;
            break;
        case PROVAUTH_MERGE_UNTRUSTED:
            unlock();
            COUNT(registry_refused);
            return;
        case PROVAUTH_MERGE_OTHER_KEY:
            break;
        }
    }
    else if (rv != APR_SUCCESS && !APR_STATUS_IS_NOTFOUND(rv)) {
        unlock();
        miss(s, 0, rv);
        return;
    }
    len = provauth_record_encode(result, buf, sizeof(buf));
    rv = len ? registry->provider->store(registry->instance, s, id, id_len,
                                         apr_time_now() + RECORD_LIFETIME, buf, len, p)
             : APR_EGENERAL;
    unlock();
    if (rv != APR_SUCCESS) {
        miss(s, 0, rv);
        return;
    }
    COUNT(registry_writes);
}

typedef struct {
    conn_rec *c;                  /* the primary connection */
    provauth_conn_t *conn;
} flush_t;

/* One verdict's pending requests as a record update. */
static void write_pending(void *baton, const provauth_cached_verdict_t *cached,
                          const provauth_registry_pending_t *pending)
{
    const flush_t *flush = baton;
    const provauth_verdict_t *verdict = &cached->verdict;
    provauth_record_t rec;

    if (registry == NULL || cached->leaf == NULL) {
        return;
    }
    provauth_record_init(&rec);
    rec.status = provauth_record_status_of(verdict->status);
    if (rec.status == PROVAUTH_REC_NONE) {
        return;
    }
    if (pending->has_mac) {
        rec.flags |= PROVAUTH_REC_HAS_MAC;
        PROVAUTH_RECORD_SET(&rec, mac, pending->mac.hex);
    }
    /* The leaf is the connection's, held by it (the cast drops the const
     * of a cache key, for OpenSSL's non-const self-signed check). */
    if (provauth_record_describe_cert(&rec, (X509 *)cached->leaf, verdict->root,
                                      flush->c->pool) != APR_SUCCESS) {
        miss(flush->c->base_server, 0, APR_EGENERAL);
        return;
    }
    if (provauth_conn_forgave_expiry(flush->conn)) {
        rec.flags |= PROVAUTH_REC_FORGAVE_EXPIRY;
    }
    rec.first_seen = pending->first_request;
    rec.last_seen = pending->last_request;
    rec.last_denied = pending->last_denied;
    rec.granted = pending->granted;
    rec.denied = pending->denied;
    rec.would_deny = pending->would_deny;
    PROVAUTH_RECORD_SET(&rec, last_reason,
                        pending->last_reason[0] ? pending->last_reason : verdict->reason);
    PROVAUTH_RECORD_SET(&rec, subject, verdict->subject);
    PROVAUTH_RECORD_SET(&rec, issuer, verdict->issuer);
    PROVAUTH_RECORD_SET(&rec, serial, verdict->serial);
    PROVAUTH_RECORD_SET(&rec, client, flush->c->client_ip);
    provauth_record_choose_key(&rec);
    store_record(&rec, flush->c->base_server, flush->c->pool);
}

static void flush_connection(conn_rec *c, provauth_conn_t *conn)
{
    flush_t flush;

    flush.c = c;
    flush.conn = conn;
    provauth_conn_take_pending(conn, write_pending, &flush);
}

void provauth_registry_note_request(request_rec *r, provauth_conn_t *conn,
                                    const provauth_request_report_t *report)
{
    conn_rec *primary;

    /* A request without certificate that no provauth Require looked at
     * (a status page, say) is no device's business. */
    if (report->outcome == PROVAUTH_OUTCOME_SEEN && report->status == PROVAUTH_STATUS_NONE) {
        return;
    }
    if (counters != NULL) {
        INCREMENT(counters->requests[provauth_record_status_of(report->status)]);
        if (report->outcome == PROVAUTH_OUTCOME_DENIED) {
            INCREMENT(counters->denials[report->denial]);
        }
        else if (report->outcome == PROVAUTH_OUTCOME_WOULD_DENY) {
            INCREMENT(counters->would_deny);
        }
    }
    if (registry == NULL || report->cached == NULL || report->cached->leaf == NULL
        || conn == NULL) {
        return;
    }
    if (provauth_conn_note_request(conn, report->cached, report,
                                   (apr_int64_t)apr_time_sec(r->request_time))) {
        for (primary = r->connection; primary->master; primary = primary->master) {
        }
        flush_connection(primary, conn);
    }
}

/* The connection is closing, its responses sent: write its records. */
static int registry_pre_close(conn_rec *c)
{
    provauth_conn_t *conn;

    if (c->master != NULL || (conn = provauth_conn_get(c)) == NULL
        || provauth_conn_failed(conn)) {
        return DECLINED;
    }
    if (provauth_conn_forgave_expiry(conn)) {
        COUNT(rescued_handshakes);
    }
    if (registry != NULL) {
        flush_connection(c, conn);
    }
    return DECLINED;
}

/* ---------------------------------------------------------------------
 * Reading every record (status page, mod_status)
 * ------------------------------------------------------------------ */

struct provauth_registry_copy {
    snapshot_t records;
    int copying;                  /* 0: count only */
};

static apr_status_t list_one(ap_socache_instance_t *instance, server_rec *s, void *baton,
                             const unsigned char *id, unsigned int idlen,
                             const unsigned char *data, unsigned int len, apr_pool_t *pool)
{
    provauth_registry_copy_t *copy = baton;

    if (!copy->copying) {
        copy->records.count++;
        return APR_SUCCESS;
    }
    return snapshot_add(instance, s, &copy->records, id, idlen, data, len, pool);
}

static apr_status_t free_copy(void *data)
{
    provauth_registry_copy_t *copy = data;

    snapshot_drop(&copy->records);
    return APR_SUCCESS;
}

static apr_status_t list(server_rec *s, apr_pool_t *p, provauth_registry_copy_t *copy)
{
    apr_status_t rv;

    if (registry == NULL) {
        return APR_EINIT;
    }
    if (registry->provider->iterate == NULL) {
        return APR_ENOTIMPL;
    }
    if (!lock_waiting()) {
        return APR_EGENERAL;
    }
    rv = registry->provider->iterate(registry->instance, s, copy, list_one, p);
    unlock();
    return rv;
}

apr_status_t provauth_registry_copy(server_rec *s, apr_pool_t *p,
                                    provauth_registry_copy_t **copy)
{
    *copy = apr_pcalloc(p, sizeof(**copy));
    (*copy)->copying = 1;
    apr_pool_cleanup_register(p, *copy, free_copy, apr_pool_cleanup_null);
    return list(s, p, *copy);
}

int provauth_registry_copy_next(const provauth_registry_copy_t *copy, apr_size_t *pos,
                                const unsigned char **data, unsigned *len)
{
    const snapshot_t *records = &copy->records;
    apr_size_t at = *pos;
    unsigned idlen;

    if (records->data == NULL || at + 3 > records->used) {
        return 0;
    }
    idlen = records->data[at];
    *len = (unsigned)records->data[at + 1] << 8 | records->data[at + 2];
    if (at + 3 + idlen + *len > records->used) {
        return 0;
    }
    *data = records->data + at + 3 + idlen;
    *pos = at + 3 + idlen + *len;
    return 1;
}

unsigned provauth_registry_copy_count(const provauth_registry_copy_t *copy)
{
    return copy->records.count;
}

apr_status_t provauth_registry_count(server_rec *s, apr_pool_t *p, unsigned *count)
{
    provauth_registry_copy_t copy;
    apr_status_t rv;

    memset(&copy, 0, sizeof(copy));
    rv = list(s, p, &copy);
    *count = copy.records.count;
    return rv;
}

void provauth_registry_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_pre_config(registry_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(registry_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(registry_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_pre_close_connection(registry_pre_close, NULL, NULL, APR_HOOK_MIDDLE);
}
