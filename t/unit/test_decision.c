/* test_decision.c: provauth_decide, the answer of one Require provauth-*
 * line: grants, denials with their reasons, and the internal errors that
 * must stay errors (500) so that `Require not` cannot turn them into a grant. */
#include <stdlib.h>
#include <string.h>

#include "provauth_decision.h"
#include "test_pki.h"

static provauth_allowlist_t *list;   /* holds OWN_MAC only */

#define OWN_MAC   "0004f2abcdef"
#define OTHER_MAC "0004f2000001"

static provauth_mac_t own_mac;

static void setup(void)
{
    char *path;
    const char *why = NULL;

    test_pool_setup();
    ck_assert(provauth_mac_parse(OWN_MAC, strlen(OWN_MAC), &own_mac) == 1);
    path = pki_write_text(test_dir, "list.txt", OWN_MAC "\n");
    list = NULL;
    ck_assert_msg(provauth_allowlist_load(&list, path, test_pool, &why) == APR_SUCCESS,
                  "allow-list: %s", why ? why : "?");
    free(path);
}

/* ---- helpers ---- */

/* A trusted device with OWN_MAC asking for its own file. */
static provauth_facts_t trusted_facts(void)
{
    provauth_facts_t facts;

    memset(&facts, 0, sizeof(facts));
    facts.status = PROVAUTH_STATUS_VALID;
    facts.mac = &own_mac;
    facts.url_path = "/polycom/" OWN_MAC ".cfg";
    facts.allowlist = list;
    facts.allowlist_name = "/etc/list.txt";
    return facts;
}

static const char *decision_name(provauth_decision_e decision)
{
    switch (decision) {
    case PROVAUTH_DECISION_GRANT: return "GRANT";
    case PROVAUTH_DECISION_DENY: return "DENY";
    case PROVAUTH_DECISION_ERROR: return "ERROR";
    }
    return "(out of range)";
}

static const provauth_requirement_e every_requirement[] = {
    PROVAUTH_REQUIRE_DEVICE, PROVAUTH_REQUIRE_MAC, PROVAUTH_REQUIRE_MAC_PATH,
    PROVAUTH_REQUIRE_ALLOWLIST
};
#define N_REQUIREMENTS (sizeof(every_requirement) / sizeof(every_requirement[0]))

/* decide must answer expected (DENY or ERROR) with a reason mentioning text. */
#define ck_assert_decides(facts, requirement, expected, text)                 \
    do {                                                                       \
        const char *reason_ = "untouched";                                     \
        provauth_decision_e got_ = provauth_decide((facts), (requirement),     \
                                                   &reason_, test_pool);       \
        ck_assert_msg(got_ == (expected),                                      \
                      "requirement %d: expected %s, got %s (reason: %s)",      \
                      (int)(requirement), decision_name(expected),             \
                      decision_name(got_), reason_ ? reason_ : "(null)");      \
        ck_assert_why_mentions(reason_, (text));                               \
    } while (0)

/* decide must grant, with no reason. */
#define ck_assert_grants(facts, requirement)                                   \
    do {                                                                       \
        const char *reason_ = "untouched";                                     \
        provauth_decision_e got_ = provauth_decide((facts), (requirement),     \
                                                   &reason_, test_pool);       \
        ck_assert_msg(got_ == PROVAUTH_DECISION_GRANT,                         \
                      "requirement %d: expected GRANT, got %s (reason: %s)",   \
                      (int)(requirement), decision_name(got_),                 \
                      reason_ ? reason_ : "(null)");                           \
        ck_assert_msg(reason_ == NULL, "a grant with a reason: '%s'", reason_); \
    } while (0)

/* ---- internal errors: never a denial ---- */

START_TEST(test_unchecked_certificate_is_an_error_for_every_requirement)
{
    provauth_facts_t facts = trusted_facts();
    size_t i;

    facts.check_failed = 1;
    facts.status = PROVAUTH_STATUS_FAILED;
    facts.status_reason = "internal error while verifying the certificate";
    for (i = 0; i < N_REQUIREMENTS; i++) {
        ck_assert_decides(&facts, every_requirement[i], PROVAUTH_DECISION_ERROR,
                          "internal error while verifying");
    }
}
END_TEST

START_TEST(test_unchecked_certificate_is_an_error_even_with_facts_that_would_grant)
{
    provauth_facts_t facts = trusted_facts();
    size_t i;

    facts.check_failed = 1;   /* status VALID and the own MAC: still an error */
    for (i = 0; i < N_REQUIREMENTS; i++) {
        ck_assert_decides(&facts, every_requirement[i], PROVAUTH_DECISION_ERROR,
                          "could not be checked");
    }
}
END_TEST

START_TEST(test_unknown_path_is_an_error_for_mac_requirements)
{
    provauth_facts_t facts = trusted_facts();

    facts.url_path = NULL;
    ck_assert_decides(&facts, PROVAUTH_REQUIRE_MAC, PROVAUTH_DECISION_ERROR,
                      "path served could not be determined");
    ck_assert_decides(&facts, PROVAUTH_REQUIRE_MAC_PATH, PROVAUTH_DECISION_ERROR,
                      "path served could not be determined");
    /* The other requirements do not look at the path. */
    ck_assert_grants(&facts, PROVAUTH_REQUIRE_DEVICE);
    ck_assert_grants(&facts, PROVAUTH_REQUIRE_ALLOWLIST);
}
END_TEST

START_TEST(test_missing_allowlist_is_an_error)
{
    provauth_facts_t facts = trusted_facts();

    facts.allowlist = NULL;
    ck_assert_decides(&facts, PROVAUTH_REQUIRE_ALLOWLIST, PROVAUTH_DECISION_ERROR,
                      "allow-list is not loaded");
}
END_TEST

START_TEST(test_unknown_requirement_and_missing_facts_are_errors)
{
    provauth_facts_t facts = trusted_facts();
    const char *reason = NULL;

    ck_assert_decides(&facts, (provauth_requirement_e)(PROVAUTH_REQUIRE_ALLOWLIST + 1),
                      PROVAUTH_DECISION_ERROR, "unknown requirement");
    ck_assert_int_eq(provauth_decide(NULL, PROVAUTH_REQUIRE_DEVICE, &reason, test_pool),
                     PROVAUTH_DECISION_ERROR);
    ck_assert_ptr_nonnull(reason);
}
END_TEST

START_TEST(test_no_combination_of_unsettled_facts_yields_a_denial)
{
    /* Every status, with and without a MAC, path and list, for every
     * requirement: when the certificate could not be checked the answer
     * is ERROR, whatever else is known. */
    static const provauth_status_e statuses[] = {
        PROVAUTH_STATUS_NONE, PROVAUTH_STATUS_VALID, PROVAUTH_STATUS_EXPIRED,
        PROVAUTH_STATUS_NOT_YET_VALID, PROVAUTH_STATUS_FAILED
    };
    size_t s, i;
    int variant;

    for (s = 0; s < sizeof(statuses) / sizeof(statuses[0]); s++) {
        for (variant = 0; variant < 8; variant++) {
            provauth_facts_t facts = trusted_facts();

            facts.check_failed = 1;
            facts.status = statuses[s];
            facts.mac = (variant & 1) ? NULL : &own_mac;
            facts.url_path = (variant & 2) ? NULL : facts.url_path;
            facts.allowlist = (variant & 4) ? NULL : list;
            for (i = 0; i < N_REQUIREMENTS; i++) {
                const char *reason = NULL;
                ck_assert_msg(provauth_decide(&facts, every_requirement[i], &reason,
                                              test_pool) == PROVAUTH_DECISION_ERROR,
                              "status %d variant %d requirement %d: not an error",
                              (int)statuses[s], variant, (int)every_requirement[i]);
            }
        }
    }
}
END_TEST

/* ---- denials and grants ---- */

START_TEST(test_untrusted_device_is_denied_with_the_status_reason)
{
    provauth_facts_t facts = trusted_facts();
    size_t i;

    facts.status = PROVAUTH_STATUS_FAILED;
    facts.status_reason = "self-signed certificate";
    for (i = 0; i < N_REQUIREMENTS; i++) {
        ck_assert_decides(&facts, every_requirement[i], PROVAUTH_DECISION_DENY,
                          "self-signed certificate");
    }
    facts.status = PROVAUTH_STATUS_NONE;
    facts.status_reason = "no client certificate";
    for (i = 0; i < N_REQUIREMENTS; i++) {
        ck_assert_decides(&facts, every_requirement[i], PROVAUTH_DECISION_DENY,
                          "no client certificate");
    }
}
END_TEST

START_TEST(test_trusted_statuses_grant_the_device_requirement)
{
    provauth_facts_t facts = trusted_facts();

    facts.mac = NULL;   /* a device needs no MAC */
    facts.status = PROVAUTH_STATUS_VALID;
    ck_assert_grants(&facts, PROVAUTH_REQUIRE_DEVICE);
    facts.status = PROVAUTH_STATUS_EXPIRED;
    ck_assert_grants(&facts, PROVAUTH_REQUIRE_DEVICE);
    facts.status = PROVAUTH_STATUS_NOT_YET_VALID;
    ck_assert_grants(&facts, PROVAUTH_REQUIRE_DEVICE);
}
END_TEST

START_TEST(test_own_file_is_granted_and_another_is_denied)
{
    provauth_facts_t facts = trusted_facts();

    ck_assert_grants(&facts, PROVAUTH_REQUIRE_MAC);
    facts.url_path = "/polycom/" OTHER_MAC ".cfg";
    ck_assert_decides(&facts, PROVAUTH_REQUIRE_MAC, PROVAUTH_DECISION_DENY,
                      "MAC " OWN_MAC " is not in the requested file name");
}
END_TEST

START_TEST(test_path_requirement_looks_at_the_whole_path)
{
    provauth_facts_t facts = trusted_facts();

    facts.url_path = "/devices/" OWN_MAC "/phone.cfg";
    ck_assert_grants(&facts, PROVAUTH_REQUIRE_MAC_PATH);
    ck_assert_decides(&facts, PROVAUTH_REQUIRE_MAC, PROVAUTH_DECISION_DENY,
                      "file name");
    facts.url_path = "/devices/" OTHER_MAC "/phone.cfg";
    ck_assert_decides(&facts, PROVAUTH_REQUIRE_MAC_PATH, PROVAUTH_DECISION_DENY,
                      "MAC " OWN_MAC " is not in the requested path");
}
END_TEST

START_TEST(test_url_of_the_own_name_mapped_to_another_devices_file_is_denied)
{
    /* RewriteRule ^/drop/([0-9a-f]{12})/ /srv/cfg/$1.cfg, asked for
     * /drop/<other>/<own>: the URL names this device, the file another. */
    provauth_facts_t facts = trusted_facts();

    facts.url_path = "/drop/" OTHER_MAC "/" OWN_MAC;
    facts.served_file = "/srv/cfg/" OTHER_MAC ".cfg";
    ck_assert_decides(&facts, PROVAUTH_REQUIRE_MAC, PROVAUTH_DECISION_DENY,
                      "the file it is mapped to is named after another device");
    facts.url_path = "/drop/" OWN_MAC;
    facts.served_file = "/srv/devices/" OTHER_MAC "/phone.cfg";
    ck_assert_decides(&facts, PROVAUTH_REQUIRE_MAC_PATH, PROVAUTH_DECISION_DENY,
                      "MAC " OWN_MAC " is in the requested path, but the file");
}
END_TEST

START_TEST(test_file_named_after_this_device_or_no_device_is_granted)
{
    provauth_facts_t facts = trusted_facts();

    facts.served_file = "/srv/polycom/" OWN_MAC ".cfg";
    ck_assert_grants(&facts, PROVAUTH_REQUIRE_MAC);
    facts.served_file = "/srv/generated/main.cfg";      /* names no device */
    ck_assert_grants(&facts, PROVAUTH_REQUIRE_MAC);
    facts.served_file = "/srv/" OTHER_MAC "/" OWN_MAC ".cfg";   /* only the name counts */
    ck_assert_grants(&facts, PROVAUTH_REQUIRE_MAC);
    facts.url_path = "/devices/" OWN_MAC "/phone.cfg";
    facts.served_file = "/srv/3f2a9c1e-0a1b-4c2d-9e3f-0123456789ab/devices/" OWN_MAC
                        "/phone.cfg";                   /* a UUID above the tree */
    ck_assert_grants(&facts, PROVAUTH_REQUIRE_MAC_PATH);
}
END_TEST

START_TEST(test_device_without_a_mac_is_denied_for_mac_requirements)
{
    provauth_facts_t facts = trusted_facts();

    facts.mac = NULL;
    facts.no_mac_reason = "empty CN in the certificate subject";
    ck_assert_decides(&facts, PROVAUTH_REQUIRE_MAC, PROVAUTH_DECISION_DENY,
                      "no MAC: empty CN");
    ck_assert_decides(&facts, PROVAUTH_REQUIRE_MAC_PATH, PROVAUTH_DECISION_DENY,
                      "no MAC: empty CN");
    ck_assert_decides(&facts, PROVAUTH_REQUIRE_ALLOWLIST, PROVAUTH_DECISION_DENY,
                      "no MAC: empty CN");
}
END_TEST

START_TEST(test_allowlist_grants_listed_and_denies_unlisted_devices)
{
    provauth_facts_t facts = trusted_facts();
    provauth_mac_t other;

    ck_assert_grants(&facts, PROVAUTH_REQUIRE_ALLOWLIST);
    ck_assert(provauth_mac_parse(OTHER_MAC, strlen(OTHER_MAC), &other) == 1);
    facts.mac = &other;
    ck_assert_decides(&facts, PROVAUTH_REQUIRE_ALLOWLIST, PROVAUTH_DECISION_DENY,
                      "MAC " OTHER_MAC " is not in the allow-list /etc/list.txt");
}
END_TEST

Suite *decision_suite(void)
{
    Suite *s = suite_create("decision");
    TCase *tc = tcase_create("decision");

    tcase_add_unchecked_fixture(tc, test_dir_make, test_dir_remove);
    tcase_add_checked_fixture(tc, setup, test_pool_teardown);
    tcase_add_test(tc, test_unchecked_certificate_is_an_error_for_every_requirement);
    tcase_add_test(tc, test_unchecked_certificate_is_an_error_even_with_facts_that_would_grant);
    tcase_add_test(tc, test_unknown_path_is_an_error_for_mac_requirements);
    tcase_add_test(tc, test_missing_allowlist_is_an_error);
    tcase_add_test(tc, test_unknown_requirement_and_missing_facts_are_errors);
    tcase_add_test(tc, test_no_combination_of_unsettled_facts_yields_a_denial);
    tcase_add_test(tc, test_untrusted_device_is_denied_with_the_status_reason);
    tcase_add_test(tc, test_trusted_statuses_grant_the_device_requirement);
    tcase_add_test(tc, test_own_file_is_granted_and_another_is_denied);
    tcase_add_test(tc, test_path_requirement_looks_at_the_whole_path);
    tcase_add_test(tc, test_url_of_the_own_name_mapped_to_another_devices_file_is_denied);
    tcase_add_test(tc, test_file_named_after_this_device_or_no_device_is_granted);
    tcase_add_test(tc, test_device_without_a_mac_is_denied_for_mac_requirements);
    tcase_add_test(tc, test_allowlist_grants_listed_and_denies_unlisted_devices);
    suite_add_tcase(s, tc);
    return s;
}
