/* provauth_log.h: stable message ids for mod_provauth's log lines.
 * One id per message, never reused; docs/log-messages.md lists them and
 * the next free number. */
#ifndef PROVAUTH_LOG_H
#define PROVAUTH_LOG_H

/* Like httpd's APLOGNO, with our own prefix: PROVAUTH_LOGNO(00101) -> "PA00101: " */
#define PROVAUTH_LOGNO(n) "PA" #n ": "

#endif /* PROVAUTH_LOG_H */
