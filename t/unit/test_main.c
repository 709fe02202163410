/* test_main.c: the single Check runner of mod_provauth's unit suites, and the
 * APR fixture pool they share; exits nonzero when any test fails. */
#include <stdlib.h>

#include <apr_general.h>

#include "test_pki.h"

apr_pool_t *test_pool;

void test_pool_setup(void)
{
    ck_assert_int_eq(apr_initialize(), APR_SUCCESS);
    ck_assert_int_eq(apr_pool_create(&test_pool, NULL), APR_SUCCESS);
}

void test_pool_teardown(void)
{
    apr_pool_destroy(test_pool);
    test_pool = NULL;
    apr_terminate();
}

int main(void)
{
    SRunner *runner = srunner_create(verify_suite());
    int failed;

    srunner_add_suite(runner, load_suite());
    srunner_add_suite(runner, load_errors_suite());
    srunner_add_suite(runner, handshake_suite());
    srunner_add_suite(runner, mac_suite());
    srunner_add_suite(runner, mac_cert_suite());
    srunner_add_suite(runner, allowlist_suite());
    srunner_add_suite(runner, mac_path_suite());
    srunner_add_suite(runner, decision_suite());
    srunner_add_suite(runner, hint_suite());
    srunner_add_suite(runner, check_args_suite());
    srunner_add_suite(runner, pin_suite());
    srunner_add_suite(runner, pin_handshake_suite());
    srunner_add_suite(runner, crl_check_suite());
    srunner_add_suite(runner, lint_suite());
    srunner_add_suite(runner, registry_suite());
    srunner_add_suite(runner, json_suite());
    srunner_add_suite(runner, fleet_suite());
    srunner_add_suite(runner, lines_suite());
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
