/* test_mac.h: what the MAC suites share (test_mac.c, test_mac_cert.c): the
 * bytes an output holds before a call that must not touch it, and rules. */
#ifndef TEST_MAC_H
#define TEST_MAC_H

#include "provauth_mac.h"
#include "test_pki.h"

/* What a pre-filled provauth_mac_t holds before a call that must not touch it. */
#define UNTOUCHED "untouched!!!"

/* The rule for attribute (and pattern, NULL: the value exactly a MAC), made in
 * test_pool; fails the test when it cannot be made.  Defined in test_mac.c. */
const provauth_mac_rule_t *mac_rule(const char *attribute, const char *pattern);

#endif /* TEST_MAC_H */
