/* test_registry.c: device records of the registry: the binary form (round
 * trip, every malformed form refused), keys and socache ids, merging (latest
 * seen wins, an untrusted certificate never overwrites a trusted device's
 * record), urgency, times and JSON. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provauth_registry.h"
#include "test_pki.h"

#define T0 1764000000   /* 2025-11-24T16:00:00Z */

/* A trusted device's record, as one connection would write it. */
static provauth_record_t trusted_record(const char *mac, apr_int64_t seen)
{
    provauth_record_t rec;

    provauth_record_init(&rec);
    rec.status = PROVAUTH_REC_VALID;
    rec.flags = PROVAUTH_REC_HAS_MAC;
    PROVAUTH_RECORD_SET(&rec, mac, mac);
    memset(rec.fingerprint, 0xab, sizeof(rec.fingerprint));
    rec.first_seen = rec.last_seen = seen;
    rec.not_after = seen + 100L * 86400;
    rec.granted = 1;
    PROVAUTH_RECORD_SET(&rec, subject, "CN=0004f2000001,O=Poly");
    PROVAUTH_RECORD_SET(&rec, issuer, "CN=Poly Issuing CA,O=Poly");
    PROVAUTH_RECORD_SET(&rec, root, "CN=Poly Root CA,O=Poly");
    PROVAUTH_RECORD_SET(&rec, vendor, "Poly");
    PROVAUTH_RECORD_SET(&rec, serial, "1A2B3C");
    PROVAUTH_RECORD_SET(&rec, client, "192.0.2.10");
    provauth_record_choose_key(&rec);
    return rec;
}

static unsigned encode_ok(const provauth_record_t *rec, unsigned char *buf)
{
    unsigned len = provauth_record_encode(rec, buf, PROVAUTH_RECORD_MAX_ENCODED);

    ck_assert_msg(len > 0, "encode failed");
    return len;
}

static void assert_same(const provauth_record_t *a, const provauth_record_t *b)
{
    ck_assert_int_eq(a->key_kind, b->key_kind);
    ck_assert_str_eq(a->mac, b->mac);
    ck_assert(memcmp(a->fingerprint, b->fingerprint, sizeof(a->fingerprint)) == 0);
    ck_assert(a->first_seen == b->first_seen);
    ck_assert(a->last_seen == b->last_seen);
    ck_assert(a->last_denied == b->last_denied);
    ck_assert(a->not_after == b->not_after);
    ck_assert_uint_eq(a->status, b->status);
    ck_assert_uint_eq(a->flags, b->flags);
    ck_assert_uint_eq(a->granted, b->granted);
    ck_assert_uint_eq(a->denied, b->denied);
    ck_assert_uint_eq(a->would_deny, b->would_deny);
    ck_assert_str_eq(a->last_reason, b->last_reason);
    ck_assert_str_eq(a->subject, b->subject);
    ck_assert_str_eq(a->issuer, b->issuer);
    ck_assert_str_eq(a->root, b->root);
    ck_assert_str_eq(a->vendor, b->vendor);
    ck_assert_str_eq(a->serial, b->serial);
    ck_assert_str_eq(a->client, b->client);
}

/* ---- binary form ---- */

START_TEST(test_trusted_record_round_trips_through_the_binary_form)
{
    provauth_record_t rec = trusted_record("0004f2000001", T0), back;
    unsigned char buf[PROVAUTH_RECORD_MAX_ENCODED];
    unsigned len;

    rec.denied = 7;
    rec.would_deny = 3;
    rec.last_denied = T0 - 10;
    rec.flags |= PROVAUTH_REC_FORGAVE_EXPIRY;
    PROVAUTH_RECORD_SET(&rec, last_reason, "MAC 0004f2000001 is not in the requested file name");
    len = encode_ok(&rec, buf);
    ck_assert_msg(len < 400, "a typical record should stay small, got %u bytes", len);
    ck_assert_int_eq(provauth_record_decode(&back, buf, len), 1);
    assert_same(&rec, &back);
}
END_TEST

START_TEST(test_untrusted_record_round_trips_with_its_claimed_mac)
{
    provauth_record_t rec = trusted_record("0004f2000004", T0), back;
    unsigned char buf[PROVAUTH_RECORD_MAX_ENCODED];
    unsigned len;

    rec.status = PROVAUTH_REC_FAILED;
    rec.flags |= PROVAUTH_REC_SELF_SIGNED;
    provauth_record_choose_key(&rec);
    ck_assert_int_eq(rec.key_kind, PROVAUTH_KEY_FINGERPRINT);
    len = encode_ok(&rec, buf);
    ck_assert_int_eq(provauth_record_decode(&back, buf, len), 1);
    assert_same(&rec, &back);
    ck_assert_str_eq(back.mac, "0004f2000004");
}
END_TEST

START_TEST(test_record_without_mac_round_trips_with_empty_mac)
{
    provauth_record_t rec, back;
    unsigned char buf[PROVAUTH_RECORD_MAX_ENCODED];
    unsigned len;

    provauth_record_init(&rec);
    rec.status = PROVAUTH_REC_FAILED;
    rec.last_seen = T0;
    len = encode_ok(&rec, buf);
    ck_assert_int_eq(provauth_record_decode(&back, buf, len), 1);
    ck_assert_str_eq(back.mac, "");
    assert_same(&rec, &back);
}
END_TEST

START_TEST(test_longest_fields_fit_the_maximum_encoded_size)
{
    provauth_record_t rec = trusted_record("0004f2000001", T0), back;
    unsigned char buf[PROVAUTH_RECORD_MAX_ENCODED];
    char long_text[1000];
    unsigned len;

    memset(long_text, 'x', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    PROVAUTH_RECORD_SET(&rec, last_reason, long_text);
    PROVAUTH_RECORD_SET(&rec, subject, long_text);
    PROVAUTH_RECORD_SET(&rec, issuer, long_text);
    PROVAUTH_RECORD_SET(&rec, root, long_text);
    PROVAUTH_RECORD_SET(&rec, vendor, long_text);
    PROVAUTH_RECORD_SET(&rec, serial, long_text);
    PROVAUTH_RECORD_SET(&rec, client, long_text);
    ck_assert_uint_eq(strlen(rec.last_reason), PROVAUTH_REC_REASON_MAX);
    ck_assert_uint_eq(strlen(rec.subject), PROVAUTH_REC_NAME_MAX);
    len = encode_ok(&rec, buf);
    ck_assert_int_eq(provauth_record_decode(&back, buf, len), 1);
    assert_same(&rec, &back);
}
END_TEST

START_TEST(test_encode_into_a_short_buffer_fails)
{
    provauth_record_t rec = trusted_record("0004f2000001", T0);
    unsigned char buf[PROVAUTH_RECORD_MAX_ENCODED];
    unsigned len = encode_ok(&rec, buf);

    ck_assert_uint_eq(provauth_record_encode(&rec, buf, len - 1), 0);
    ck_assert_uint_eq(provauth_record_encode(&rec, buf, len), len);
}
END_TEST

START_TEST(test_every_truncation_of_a_record_is_refused)
{
    provauth_record_t rec = trusted_record("0004f2000001", T0), back;
    unsigned char buf[PROVAUTH_RECORD_MAX_ENCODED];
    unsigned len = encode_ok(&rec, buf), cut;

    for (cut = 0; cut < len; cut++) {
        ck_assert_msg(provauth_record_decode(&back, buf, cut) == 0,
                      "a record cut to %u of %u bytes decoded", cut, len);
        ck_assert_str_eq(back.mac, "");   /* left empty, not half-filled */
    }
}
END_TEST

START_TEST(test_trailing_bytes_other_version_and_bad_key_kind_are_refused)
{
    provauth_record_t rec = trusted_record("0004f2000001", T0), back;
    unsigned char buf[PROVAUTH_RECORD_MAX_ENCODED + 1];
    unsigned len = encode_ok(&rec, buf);

    buf[len] = 0;
    ck_assert_int_eq(provauth_record_decode(&back, buf, len + 1), 0);
    buf[0] = PROVAUTH_RECORD_VERSION + 1;
    ck_assert_int_eq(provauth_record_decode(&back, buf, len), 0);
    buf[0] = PROVAUTH_RECORD_VERSION;
    buf[3] = 9;   /* key kind */
    ck_assert_int_eq(provauth_record_decode(&back, buf, len), 0);
    buf[3] = PROVAUTH_KEY_MAC;
    buf[1] = 200; /* status */
    ck_assert_int_eq(provauth_record_decode(&back, buf, len), 0);
    buf[1] = PROVAUTH_REC_VALID;
    buf[2] = 0;   /* keyed by a MAC it does not have */
    ck_assert_int_eq(provauth_record_decode(&back, buf, len), 0);
    buf[2] = PROVAUTH_REC_HAS_MAC;
    ck_assert_int_eq(provauth_record_decode(&back, buf, len), 1);
}
END_TEST

START_TEST(test_nul_inside_a_text_field_is_refused)
{
    provauth_record_t rec = trusted_record("0004f2000001", T0), back;
    unsigned char buf[PROVAUTH_RECORD_MAX_ENCODED];
    unsigned len = encode_ok(&rec, buf);
    unsigned char *client = buf + len - strlen(rec.client);

    ck_assert(memcmp(client, "192.0.2.10", 10) == 0);
    client[3] = '\0';
    ck_assert_int_eq(provauth_record_decode(&back, buf, len), 0);
}
END_TEST

START_TEST(test_text_is_cut_at_a_character_boundary)
{
    char field[5];

    provauth_record_set_text(field, sizeof(field), "abcdef");
    ck_assert_str_eq(field, "abcd");
    /* "ab" then U+00E9 (2 bytes) then U+20AC (3 bytes): the euro sign
     * would be cut, so it goes whole. */
    provauth_record_set_text(field, sizeof(field), "ab\xc3\xa9\xe2\x82\xac");
    ck_assert_str_eq(field, "ab\xc3\xa9");
    provauth_record_set_text(field, sizeof(field), NULL);
    ck_assert_str_eq(field, "");
}
END_TEST

/* ---- keys and ids ---- */

START_TEST(test_only_a_trusted_status_with_a_mac_is_keyed_by_the_mac)
{
    provauth_record_t rec = trusted_record("0004f2000001", T0);
    unsigned statuses[] = { PROVAUTH_REC_VALID, PROVAUTH_REC_EXPIRED,
                            PROVAUTH_REC_NOT_YET_VALID, PROVAUTH_REC_PINNED };
    unsigned i;

    for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        rec.status = statuses[i];
        provauth_record_choose_key(&rec);
        ck_assert_int_eq(rec.key_kind, PROVAUTH_KEY_MAC);
    }
    rec.status = PROVAUTH_REC_FAILED;
    provauth_record_choose_key(&rec);
    ck_assert_int_eq(rec.key_kind, PROVAUTH_KEY_FINGERPRINT);
    rec.status = PROVAUTH_REC_VALID;
    rec.flags &= ~(unsigned)PROVAUTH_REC_HAS_MAC;
    provauth_record_choose_key(&rec);
    ck_assert_int_eq(rec.key_kind, PROVAUTH_KEY_FINGERPRINT);
}
END_TEST

START_TEST(test_ids_tell_devices_and_key_kinds_apart)
{
    provauth_record_t a = trusted_record("0004f2000001", T0);
    provauth_record_t b = trusted_record("0004f2000002", T0);
    provauth_record_t untrusted = a;
    unsigned char ida[PROVAUTH_RECORD_ID_MAX], idb[PROVAUTH_RECORD_ID_MAX],
                  idu[PROVAUTH_RECORD_ID_MAX];
    unsigned la = provauth_record_id(&a, ida), lb = provauth_record_id(&b, idb), lu;

    ck_assert_uint_eq(la, 8);
    ck_assert(la != lb || memcmp(ida, idb, la) != 0);
    untrusted.status = PROVAUTH_REC_FAILED;
    provauth_record_choose_key(&untrusted);
    lu = provauth_record_id(&untrusted, idu);
    ck_assert_uint_eq(lu, PROVAUTH_RECORD_ID_MAX);
    ck_assert_int_eq(idu[1], PROVAUTH_KEY_FINGERPRINT);
    ck_assert_int_eq(ida[1], PROVAUTH_KEY_MAC);
}
END_TEST

START_TEST(test_sequential_macs_of_one_vendor_spread_over_first_id_bytes)
{
    /* socache_shmcb picks a sub-cache by an id's first byte: a vendor's
     * consecutive MACs must not all land in one. */
    int seen[256] = { 0 }, distinct = 0, i;

    for (i = 0; i < 1024; i++) {
        char mac[13];
        provauth_record_t rec;
        unsigned char id[PROVAUTH_RECORD_ID_MAX];

        snprintf(mac, sizeof(mac), "0004f2%06x", i);
        rec = trusted_record(mac, T0);
        provauth_record_id(&rec, id);
        if (!seen[id[0]]++) {
            distinct++;
        }
    }
    ck_assert_msg(distinct > 200, "1024 MACs use only %d first bytes", distinct);
}
END_TEST

/* ---- merging ---- */

START_TEST(test_latest_seen_wins_and_counts_add_up)
{
    provauth_record_t stored = trusted_record("0004f2000001", T0);
    provauth_record_t update = trusted_record("0004f2000001", T0 + 3600);

    update.status = PROVAUTH_REC_EXPIRED;
    update.not_after = T0 - 86400;
    PROVAUTH_RECORD_SET(&update, client, "198.51.100.7");
    PROVAUTH_RECORD_SET(&update, serial, "FFEE");
    update.granted = 4;
    update.denied = 2;
    update.last_denied = T0 + 3500;
    PROVAUTH_RECORD_SET(&update, last_reason, "MAC 0004f2000001 is not in the requested file name");
    ck_assert_int_eq(provauth_record_merge(&stored, &update), PROVAUTH_MERGE_DONE);
    ck_assert_uint_eq(stored.status, PROVAUTH_REC_EXPIRED);
    ck_assert_str_eq(stored.client, "198.51.100.7");
    ck_assert_str_eq(stored.serial, "FFEE");
    ck_assert(stored.first_seen == T0);
    ck_assert(stored.last_seen == T0 + 3600);
    ck_assert(stored.not_after == T0 - 86400);
    ck_assert_uint_eq(stored.granted, 5);
    ck_assert_uint_eq(stored.denied, 2);
    ck_assert(stored.last_denied == T0 + 3500);
    ck_assert_str_eq(stored.last_reason, "MAC 0004f2000001 is not in the requested file name");
}
END_TEST

START_TEST(test_an_older_update_adds_counts_but_changes_no_latest_field)
{
    provauth_record_t stored = trusted_record("0004f2000001", T0 + 3600);
    provauth_record_t update = trusted_record("0004f2000001", T0);

    update.status = PROVAUTH_REC_EXPIRED;
    PROVAUTH_RECORD_SET(&update, client, "198.51.100.7");
    update.granted = 2;
    ck_assert_int_eq(provauth_record_merge(&stored, &update), PROVAUTH_MERGE_DONE);
    ck_assert_uint_eq(stored.status, PROVAUTH_REC_VALID);
    ck_assert_str_eq(stored.client, "192.0.2.10");
    ck_assert(stored.first_seen == T0);          /* earliest first seen */
    ck_assert(stored.last_seen == T0 + 3600);
    ck_assert_uint_eq(stored.granted, 3);
}
END_TEST

START_TEST(test_an_older_denial_keeps_the_latest_reason)
{
    provauth_record_t stored = trusted_record("0004f2000001", T0);
    provauth_record_t update = trusted_record("0004f2000001", T0 + 10);

    stored.last_denied = T0;
    PROVAUTH_RECORD_SET(&stored, last_reason, "newer reason");
    update.last_denied = T0 - 100;
    PROVAUTH_RECORD_SET(&update, last_reason, "older reason");
    ck_assert_int_eq(provauth_record_merge(&stored, &update), PROVAUTH_MERGE_DONE);
    ck_assert_str_eq(stored.last_reason, "newer reason");
    ck_assert(stored.last_denied == T0);
}
END_TEST

START_TEST(test_an_untrusted_certificate_never_overwrites_a_trusted_devices_record)
{
    provauth_record_t stored = trusted_record("0004f2000001", T0);
    provauth_record_t before = stored;
    provauth_record_t impostor = trusted_record("0004f2000001", T0 + 60);

    /* Even were it keyed by the victim's MAC (it never is). */
    impostor.status = PROVAUTH_REC_FAILED;
    impostor.flags |= PROVAUTH_REC_SELF_SIGNED;
    impostor.denied = 1;
    impostor.last_denied = T0 + 60;
    PROVAUTH_RECORD_SET(&impostor, client, "203.0.113.66");
    PROVAUTH_RECORD_SET(&impostor, last_reason, "self-signed certificate");
    ck_assert_int_eq(provauth_record_merge(&stored, &impostor), PROVAUTH_MERGE_UNTRUSTED);
    assert_same(&stored, &before);
    /* As keyed for real, it is another record altogether. */
    provauth_record_choose_key(&impostor);
    ck_assert_int_eq(provauth_record_merge(&stored, &impostor), PROVAUTH_MERGE_OTHER_KEY);
    assert_same(&stored, &before);
}
END_TEST

START_TEST(test_a_trusted_update_of_an_untrusted_record_is_merged)
{
    provauth_record_t stored = trusted_record("0004f2000001", T0);
    provauth_record_t update = trusted_record("0004f2000001", T0 + 5);

    stored.status = PROVAUTH_REC_NONE;   /* e.g. an unknown status */
    ck_assert_int_eq(provauth_record_merge(&stored, &update), PROVAUTH_MERGE_DONE);
    ck_assert_uint_eq(stored.status, PROVAUTH_REC_VALID);
}
END_TEST

START_TEST(test_different_devices_are_not_merged)
{
    provauth_record_t stored = trusted_record("0004f2000001", T0);
    provauth_record_t other = trusted_record("0004f2000002", T0 + 5);

    ck_assert_int_eq(provauth_record_merge(&stored, &other), PROVAUTH_MERGE_OTHER_KEY);
    ck_assert(stored.last_seen == T0);
}
END_TEST

START_TEST(test_counts_saturate)
{
    provauth_record_t stored = trusted_record("0004f2000001", T0);
    provauth_record_t update = trusted_record("0004f2000001", T0 + 5);

    stored.granted = 0xfffffff0u;
    update.granted = 0x100;
    ck_assert_int_eq(provauth_record_merge(&stored, &update), PROVAUTH_MERGE_DONE);
    ck_assert_uint_eq(stored.granted, 0xffffffffu);
}
END_TEST

/* ---- merging one device found by other means (the fleet) ---- */

START_TEST(test_merge_device_ignores_the_registry_key_and_keeps_stored_s)
{
    provauth_record_t stored = trusted_record("0004f2000001", T0);
    provauth_record_t update = trusted_record("0004f2000001", T0 + 60);
    provauth_record_t copy;

    stored.key_kind = PROVAUTH_KEY_FINGERPRINT;
    memset(update.fingerprint, 0, sizeof(update.fingerprint));   /* unknown */
    update.flags = 0;                                             /* no MAC */
    PROVAUTH_RECORD_SET(&update, mac, "");
    copy = stored;
    ck_assert_int_eq(provauth_record_merge(&copy, &update), PROVAUTH_MERGE_OTHER_KEY);
    ck_assert_int_eq(provauth_record_merge_device(&stored, &update), PROVAUTH_MERGE_DONE);
    ck_assert_int_eq(stored.key_kind, PROVAUTH_KEY_FINGERPRINT);
    ck_assert_uint_eq(stored.fingerprint[0], 0xab);   /* what update did not know */
    ck_assert_str_eq(stored.mac, "0004f2000001");
    ck_assert_uint_eq(stored.flags, 0);               /* a full update's flags */
    ck_assert(stored.last_seen == T0 + 60);
    ck_assert_uint_eq(stored.granted, 2);
    /* What the update knows, it wins. */
    update = trusted_record("0004f2000009", T0 + 120);
    memset(update.fingerprint, 0xcd, sizeof(update.fingerprint));
    ck_assert_int_eq(provauth_record_merge_device(&stored, &update), PROVAUTH_MERGE_DONE);
    ck_assert_uint_eq(stored.fingerprint[31], 0xcd);
    ck_assert_str_eq(stored.mac, "0004f2000009");
    ck_assert_uint_eq(stored.flags, PROVAUTH_REC_HAS_MAC);
}
END_TEST

START_TEST(test_merge_device_refuses_untrusted_and_older_updates_as_merge_does)
{
    provauth_record_t stored = trusted_record("0004f2000001", T0);
    provauth_record_t before = stored, update = trusted_record("0004f2000002", T0 + 60);

    update.status = PROVAUTH_REC_FAILED;
    ck_assert_int_eq(provauth_record_merge_device(&stored, &update), PROVAUTH_MERGE_UNTRUSTED);
    assert_same(&stored, &before);
    update = trusted_record("0004f2000002", T0 - 60);
    update.granted = 2;
    ck_assert_int_eq(provauth_record_merge_device(&stored, &update), PROVAUTH_MERGE_DONE);
    ck_assert_str_eq(stored.mac, "0004f2000001");
    ck_assert(stored.first_seen == T0 - 60 && stored.last_seen == T0);
    ck_assert_uint_eq(stored.granted, 3);
}
END_TEST

/* An access log's view of the device of stored: no fingerprint, root or
 * flags but its MAC, notAfter to the day, the issuer's O as vendor. */
static provauth_record_t log_record(const char *serial, apr_int64_t seen,
                                    apr_int64_t not_after)
{
    provauth_record_t rec = trusted_record("0004f2000001", seen);

    memset(rec.fingerprint, 0, sizeof(rec.fingerprint));
    rec.flags = PROVAUTH_REC_PARTIAL | PROVAUTH_REC_HAS_MAC;
    rec.not_after = not_after;
    PROVAUTH_RECORD_SET(&rec, root, "");
    PROVAUTH_RECORD_SET(&rec, vendor, "Poly Issuing");
    PROVAUTH_RECORD_SET(&rec, subject, "");
    PROVAUTH_RECORD_SET(&rec, serial, serial);
    return rec;
}

START_TEST(test_merge_device_an_access_log_never_erases_what_stored_knew)
{
    provauth_record_t stored = trusted_record("0004f2000001", T0);
    provauth_record_t update = log_record("01a2b3c", T0 + 60, T0 + 101L * 86400);
    apr_int64_t exact = stored.not_after;

    stored.flags |= PROVAUTH_REC_FORGAVE_EXPIRY;
    ck_assert_int_eq(provauth_record_merge_device(&stored, &update), PROVAUTH_MERGE_DONE);
    ck_assert(stored.last_seen == T0 + 60);
    ck_assert(stored.not_after == exact);             /* same serial: to the second */
    ck_assert_str_eq(stored.root, "CN=Poly Root CA,O=Poly");
    ck_assert_str_eq(stored.vendor, "Poly");
    ck_assert_str_eq(stored.subject, "CN=0004f2000001,O=Poly");
    ck_assert_str_eq(stored.serial, "01a2b3c");
    ck_assert_uint_eq(stored.fingerprint[0], 0xab);
    ck_assert_uint_eq(stored.flags, PROVAUTH_REC_HAS_MAC | PROVAUTH_REC_FORGAVE_EXPIRY);
    /* A renewed certificate (another serial): the log's notAfter. */
    update = log_record("99", T0 + 120, T0 + 400L * 86400);
    ck_assert_int_eq(provauth_record_merge_device(&stored, &update), PROVAUTH_MERGE_DONE);
    ck_assert(stored.not_after == T0 + 400L * 86400);
    ck_assert_str_eq(stored.root, "CN=Poly Root CA,O=Poly");   /* the log has none */
    /* ... or none: stored's stays. */
    update = log_record("99", T0 + 180, 0);
    ck_assert_int_eq(provauth_record_merge_device(&stored, &update), PROVAUTH_MERGE_DONE);
    ck_assert(stored.not_after == T0 + 400L * 86400);
}
END_TEST

START_TEST(test_merge_device_of_two_access_log_views_stays_partial)
{
    provauth_record_t stored = log_record("1A2B3C", T0, T0 + 86400);
    provauth_record_t update = log_record("1A2B3C", T0 + 60, T0 + 2 * 86400);

    stored.flags = PROVAUTH_REC_PARTIAL;   /* no MAC yet */
    PROVAUTH_RECORD_SET(&stored, vendor, "");
    ck_assert_int_eq(provauth_record_merge_device(&stored, &update), PROVAUTH_MERGE_DONE);
    ck_assert_uint_eq(stored.flags, PROVAUTH_REC_PARTIAL | PROVAUTH_REC_HAS_MAC);
    ck_assert_str_eq(stored.vendor, "Poly Issuing");
    ck_assert(stored.not_after == T0 + 86400);   /* the same certificate: stored's */
}
END_TEST

/* ---- days, urgency ---- */

START_TEST(test_days_left_round_towards_minus_infinity)
{
    provauth_record_t rec = trusted_record("0004f2000001", T0);

    rec.not_after = T0 + 86400 * 3 + 5;
    ck_assert_int_eq(provauth_record_days_left(&rec, T0), 3);
    rec.not_after = T0 - 1;
    ck_assert_int_eq(provauth_record_days_left(&rec, T0), -1);
    rec.not_after = T0 - 86400;
    ck_assert_int_eq(provauth_record_days_left(&rec, T0), -1);
    rec.not_after = T0 - 86401;
    ck_assert_int_eq(provauth_record_days_left(&rec, T0), -2);
}
END_TEST

static int cmp_records(const void *a, const void *b)
{
    return provauth_record_urgency_cmp(a, b);
}

START_TEST(test_urgency_puts_refused_then_would_deny_then_expired_then_fewest_days)
{
    provauth_record_t recs[6];

    recs[0] = trusted_record("000000000005", T0);          /* VALID, 100 days */
    recs[1] = trusted_record("000000000004", T0);          /* VALID, 20 days */
    recs[1].not_after = T0 + 20L * 86400;
    recs[2] = trusted_record("000000000003", T0);          /* EXPIRED */
    recs[2].status = PROVAUTH_REC_EXPIRED;
    recs[3] = trusted_record("000000000002", T0);          /* would be denied */
    recs[3].would_deny = 1;
    recs[4] = trusted_record("000000000001", T0);          /* latest request denied */
    recs[4].last_denied = T0;
    recs[5] = trusted_record("000000000000", T0);          /* untrusted */
    recs[5].status = PROVAUTH_REC_FAILED;
    provauth_record_choose_key(&recs[5]);
    qsort(recs, 6, sizeof(recs[0]), cmp_records);
    ck_assert_int_eq(provauth_record_urgency(&recs[0]), PROVAUTH_URGENCY_REFUSED);
    ck_assert_int_eq(provauth_record_urgency(&recs[1]), PROVAUTH_URGENCY_REFUSED);
    ck_assert_str_eq(recs[2].mac, "000000000002");
    ck_assert_str_eq(recs[3].mac, "000000000003");
    ck_assert_str_eq(recs[4].mac, "000000000004");
    ck_assert_str_eq(recs[5].mac, "000000000005");
}
END_TEST

START_TEST(test_a_later_grant_ends_the_refused_urgency)
{
    provauth_record_t rec = trusted_record("0004f2000001", T0);

    rec.last_denied = T0 - 60;
    ck_assert_int_eq(provauth_record_urgency(&rec), PROVAUTH_URGENCY_OK);
    rec.last_denied = T0;
    ck_assert_int_eq(provauth_record_urgency(&rec), PROVAUTH_URGENCY_REFUSED);
}
END_TEST

/* ---- times and JSON ---- */

START_TEST(test_times_format_and_parse_with_offsets)
{
    char text[32];
    apr_int64_t when = 0;

    ck_assert_str_eq(provauth_time_text(T0, text, sizeof(text)), "2025-11-24T16:00:00Z");
    ck_assert_str_eq(provauth_time_text(0, text, sizeof(text)), "");
    /* What provauth_time_text writes reads back, "" (never) does not; every
     * form provauth_time_parse takes: test_json.c. */
    ck_assert_int_eq(provauth_time_parse(text, &when), 0);
    ck_assert_int_eq(provauth_time_parse(provauth_time_text(T0, text, sizeof(text)), &when), 1);
    ck_assert(when == T0);
}
END_TEST

START_TEST(test_json_escape_handles_quotes_controls_and_invalid_utf8)
{
    char out[128];

    provauth_json_escape("a\"b\\c\n\x01", out, sizeof(out));
    ck_assert_str_eq(out, "a\\\"b\\\\c\\u000a\\u0001");
    provauth_json_escape("caf\xc3\xa9", out, sizeof(out));       /* valid UTF-8 */
    ck_assert_str_eq(out, "caf\xc3\xa9");
    provauth_json_escape("x\xc3(\xff\xc0\xaf", out, sizeof(out)); /* invalid, overlong */
    ck_assert_str_eq(out, "x\\ufffd(\\ufffd\\ufffd\\ufffd");
    provauth_json_escape("</script>", out, sizeof(out));
    ck_assert_str_eq(out, "</script>");
    /* cut at a whole escape */
    provauth_json_escape("ab\n", out, 6);
    ck_assert_str_eq(out, "ab");
}
END_TEST

START_TEST(test_record_json_has_every_field)
{
    provauth_record_t rec = trusted_record("0004f2000001", T0);
    char json[PROVAUTH_RECORD_JSON_MAX];
    const char *expected[] = {
        "\"key\":\"0004f2000001\"", "\"key_kind\":\"mac\"", "\"mac\":\"0004f2000001\"",
        "\"fingerprint\":\"abababab", "\"status\":\"VALID\"", "\"trusted\":true",
        "\"urgency\":\"ok\"", "\"first_seen\":\"2025-11-24T16:00:00Z\"",
        "\"last_seen\":\"2025-11-24T16:00:00Z\"", "\"days_left\":90",
        "\"not_after\":\"2026-03-04T16:00:00Z\"", "\"issuer\":\"CN=Poly Issuing CA,O=Poly\"",
        "\"root\":\"CN=Poly Root CA,O=Poly\"", "\"vendor\":\"Poly\"", "\"serial\":\"1A2B3C\"",
        "\"granted\":1", "\"denied\":0", "\"would_deny\":0", "\"last_denied\":null",
        "\"last_reason\":null", "\"client\":\"192.0.2.10\"", "\"forgave_expiry\":false",
        "\"self_signed\":false",
    };
    unsigned i;

    ck_assert_uint_gt(provauth_record_json(&rec, T0 + 10L * 86400, json, sizeof(json)), 0);
    ck_assert(json[0] == '{');
    for (i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        ck_assert_msg(strstr(json, expected[i]) != NULL, "%s not in %s", expected[i], json);
    }
}
END_TEST

START_TEST(test_record_json_of_an_untrusted_certificate_escapes_its_fields)
{
    provauth_record_t rec = trusted_record("0004f2000001", T0);
    char json[PROVAUTH_RECORD_JSON_MAX];

    rec.status = PROVAUTH_REC_FAILED;
    PROVAUTH_RECORD_SET(&rec, subject, "CN=\"<b>x</b>\\\n");
    provauth_record_choose_key(&rec);
    ck_assert_uint_gt(provauth_record_json(&rec, T0, json, sizeof(json)), 0);
    ck_assert(strstr(json, "\"key_kind\":\"fingerprint\"") != NULL);
    ck_assert(strstr(json, "\"mac\":\"0004f2000001\"") != NULL);   /* claimed */
    ck_assert(strstr(json, "\"trusted\":false") != NULL);
    ck_assert(strstr(json, "\"urgency\":\"refused\"") != NULL);
    ck_assert(strstr(json, "\"subject\":\"CN=\\\"<b>x</b>\\\\\\u000a\"") != NULL);
    ck_assert_uint_eq(provauth_record_json(&rec, T0, json, 40), 0);
}
END_TEST

START_TEST(test_statuses_have_names_both_ways)
{
    unsigned s;

    for (s = PROVAUTH_REC_NONE; s <= PROVAUTH_REC_PINNED; s++) {
        ck_assert_uint_eq(provauth_record_status_from_name(provauth_record_status_name(s)), s);
    }
    ck_assert_uint_eq(provauth_record_status_of(PROVAUTH_STATUS_EXPIRED), PROVAUTH_REC_EXPIRED);
    ck_assert_uint_eq(provauth_record_status_from_name("bogus"), PROVAUTH_REC_NONE);
    ck_assert_str_eq(provauth_record_status_name(99), "NONE");
}
END_TEST

/* ---- certificate fields ---- */

START_TEST(test_describe_cert_fills_fingerprint_dates_root_and_vendor)
{
    pki_vendor_t *vendor = pki_vendor_new("Acme");
    EVP_PKEY *key = pki_make_key();
    time_t not_after = pki_now_plus(30 * PKI_DAY);
    X509 *leaf = pki_make_leaf("0004f2000001", key, vendor->issuing, vendor->issuing_key,
                               pki_now_plus(-PKI_DAY), not_after, PKI_EKU_CLIENT_AUTH);
    X509 *self = pki_make_leaf("0004f2000001", key, NULL, NULL, pki_now_plus(-PKI_DAY),
                               not_after, PKI_EKU_CLIENT_AUTH);
    unsigned char md[32];
    unsigned int md_len = 0;
    provauth_fingerprint_t fp;
    provauth_record_t rec;

    provauth_record_init(&rec);
    ck_assert_int_eq(provauth_record_describe_cert(&rec, leaf, vendor->root, test_pool),
                     APR_SUCCESS);
    ck_assert(X509_digest(leaf, EVP_sha256(), md, &md_len) == 1);
    ck_assert(memcmp(rec.fingerprint, md, sizeof(md)) == 0);
    ck_assert_int_eq(provauth_cert_fingerprint(leaf, &fp), APR_SUCCESS);
    ck_assert(memcmp(rec.fingerprint, fp.bytes, PROVAUTH_FINGERPRINT_LEN) == 0);
    ck_assert(rec.not_after == (apr_int64_t)not_after);
    ck_assert_str_eq(rec.root, "CN=Acme Root CA");
    ck_assert_str_eq(rec.vendor, "Acme Root CA");   /* no O: the CN */
    ck_assert_uint_eq(rec.flags & PROVAUTH_REC_SELF_SIGNED, 0);

    provauth_record_init(&rec);
    ck_assert_int_eq(provauth_record_describe_cert(&rec, self, self, test_pool), APR_SUCCESS);
    ck_assert_uint_eq(rec.flags & PROVAUTH_REC_SELF_SIGNED, PROVAUTH_REC_SELF_SIGNED);
    ck_assert_int_eq(provauth_record_describe_cert(&rec, NULL, NULL, test_pool), APR_EINVAL);
    pki_free_cert(leaf);
    pki_free_cert(self);
    pki_free_key(key);
    pki_vendor_free(vendor);
}
END_TEST

Suite *registry_suite(void)
{
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("records");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, test_trusted_record_round_trips_through_the_binary_form);
    tcase_add_test(tc, test_untrusted_record_round_trips_with_its_claimed_mac);
    tcase_add_test(tc, test_record_without_mac_round_trips_with_empty_mac);
    tcase_add_test(tc, test_longest_fields_fit_the_maximum_encoded_size);
    tcase_add_test(tc, test_encode_into_a_short_buffer_fails);
    tcase_add_test(tc, test_every_truncation_of_a_record_is_refused);
    tcase_add_test(tc, test_trailing_bytes_other_version_and_bad_key_kind_are_refused);
    tcase_add_test(tc, test_nul_inside_a_text_field_is_refused);
    tcase_add_test(tc, test_text_is_cut_at_a_character_boundary);
    tcase_add_test(tc, test_only_a_trusted_status_with_a_mac_is_keyed_by_the_mac);
    tcase_add_test(tc, test_ids_tell_devices_and_key_kinds_apart);
    tcase_add_test(tc, test_sequential_macs_of_one_vendor_spread_over_first_id_bytes);
    tcase_add_test(tc, test_latest_seen_wins_and_counts_add_up);
    tcase_add_test(tc, test_an_older_update_adds_counts_but_changes_no_latest_field);
    tcase_add_test(tc, test_an_older_denial_keeps_the_latest_reason);
    tcase_add_test(tc, test_an_untrusted_certificate_never_overwrites_a_trusted_devices_record);
    tcase_add_test(tc, test_a_trusted_update_of_an_untrusted_record_is_merged);
    tcase_add_test(tc, test_different_devices_are_not_merged);
    tcase_add_test(tc, test_counts_saturate);
    tcase_add_test(tc, test_merge_device_ignores_the_registry_key_and_keeps_stored_s);
    tcase_add_test(tc, test_merge_device_refuses_untrusted_and_older_updates_as_merge_does);
    tcase_add_test(tc, test_merge_device_an_access_log_never_erases_what_stored_knew);
    tcase_add_test(tc, test_merge_device_of_two_access_log_views_stays_partial);
    tcase_add_test(tc, test_days_left_round_towards_minus_infinity);
    tcase_add_test(tc, test_urgency_puts_refused_then_would_deny_then_expired_then_fewest_days);
    tcase_add_test(tc, test_a_later_grant_ends_the_refused_urgency);
    tcase_add_test(tc, test_times_format_and_parse_with_offsets);
    tcase_add_test(tc, test_json_escape_handles_quotes_controls_and_invalid_utf8);
    tcase_add_test(tc, test_record_json_has_every_field);
    tcase_add_test(tc, test_record_json_of_an_untrusted_certificate_escapes_its_fields);
    tcase_add_test(tc, test_statuses_have_names_both_ways);
    tcase_add_test(tc, test_describe_cert_fills_fingerprint_dates_root_and_vendor);
    suite_add_tcase(s, tc);
    return s;
}
