/* provauth_test_hooks.c: fault injection for the end-to-end tests, linked
 * only into mod_provauth_testhooks.so, which `make check` builds with
 * -DPROVAUTH_TEST_HOOKS beside the real module and never installs.
 *
 * The fault is chosen by the environment httpd is started with, read once
 * when the module is loaded; the installed module has neither this file nor
 * the call sites, so no configuration or client can reach it.
 *   PROVAUTH_TEST_FAULT=verify   every verification of a connection's
 *       certificate reports an internal error AFTER filling its verdict
 *       (which may well read VALID): whatever looks at a verdict whose
 *       result is an error would grant, so the tests see it.
 *
 * Licensed under the Apache License, Version 2.0 (see LICENSE). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mod_provauth_private.h"

static int fault_verify;

/* At load time, before httpd reads the configuration (and again after each
 * restart, which loads the module anew). */
__attribute__((constructor)) static void read_test_fault(void)
{
    const char *fault = getenv("PROVAUTH_TEST_FAULT");

    if (fault == NULL || *fault == '\0') {
        return;
    }
    if (strcmp(fault, "verify") == 0) {
        fault_verify = 1;
        return;
    }
    /* A misspelt fault must not pass for a working one: refuse to load. */
    (void)fprintf(stderr, "mod_provauth_testhooks: unknown PROVAUTH_TEST_FAULT '%s'\n", fault);
    abort();
}

apr_status_t provauth_test_fault_verify(apr_status_t rv)
{
    return fault_verify ? APR_EGENERAL : rv;
}
