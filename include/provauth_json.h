/* provauth_json.h: a small pull parser for the JSON of status handlers
 * (walk a document member by member, parse one value, a device, at a time
 * into a tree, so that a large registry never sits in memory twice), and
 * the writing side's string escaping and times. */
#ifndef PROVAUTH_JSON_H
#define PROVAUTH_JSON_H

#include <apr_pools.h>

typedef enum {
    PROVAUTH_JSON_NULL = 0,
    PROVAUTH_JSON_FALSE,
    PROVAUTH_JSON_TRUE,
    PROVAUTH_JSON_NUMBER,
    PROVAUTH_JSON_STRING,
    PROVAUTH_JSON_ARRAY,
    PROVAUTH_JSON_OBJECT
} provauth_json_type_e;

/* A parsed value.  Strings are UTF-8 and NUL-terminated (a \u0000 inside
 * one makes the document invalid); members and elements are linked. */
typedef struct provauth_json {
    provauth_json_type_e type;
    const char *key;                /* member name, inside an object */
    const char *string;             /* PROVAUTH_JSON_STRING */
    double number;                  /* PROVAUTH_JSON_NUMBER */
    struct provauth_json *first;    /* first member or element */
    struct provauth_json *next;     /* next sibling */
} provauth_json_t;

/* Nesting deeper than this is refused. */
#define PROVAUTH_JSON_MAX_DEPTH 64

/* A cursor over a whole document held in memory. */
typedef struct provauth_json_reader {
    const char *text;
    apr_size_t len, pos;
    const char *error;              /* the first error, with its offset */
    apr_pool_t *error_pool;
    int depth;                      /* containers entered by the pull calls */
    unsigned char first[PROVAUTH_JSON_MAX_DEPTH + 1];   /* no item read yet */
} provauth_json_reader_t;

void provauth_json_reader_init(provauth_json_reader_t *reader, const char *text,
                               apr_size_t len, apr_pool_t *error_pool);

/* Parse the next value into a tree allocated from p; NULL on error. */
provauth_json_t *provauth_json_parse(provauth_json_reader_t *reader, apr_pool_t *p);

/* Skip the next value; returns 0 on error. */
int provauth_json_skip(provauth_json_reader_t *reader);

/* Enter the object or array that comes next (open is '{' or '['); 0 when
 * something else comes. */
int provauth_json_enter(provauth_json_reader_t *reader, char open);

/* Inside an object: 1 with *key set (allocated from p) and the cursor on
 * its value; 0 at the closing brace (consumed); -1 on error. */
int provauth_json_next_member(provauth_json_reader_t *reader, apr_pool_t *p,
                              const char **key);

/* Inside an array: 1 with the cursor on the next element; 0 at the
 * closing bracket (consumed); -1 on error. */
int provauth_json_next_element(provauth_json_reader_t *reader);

/* After the top-level value: 1 when only blanks remain. */
int provauth_json_at_end(provauth_json_reader_t *reader);

/* A member of an object, or NULL. */
const provauth_json_t *provauth_json_get(const provauth_json_t *object, const char *key);
/* Its string, or NULL when missing, null or not a string. */
const char *provauth_json_get_string(const provauth_json_t *object, const char *key);
/* Its number, or fallback when missing or not a number. */
double provauth_json_get_number(const provauth_json_t *object, const char *key,
                                double fallback);
/* 1 for true, 0 for false, fallback otherwise. */
int provauth_json_get_bool(const provauth_json_t *object, const char *key, int fallback);

/* Escape value as the inside of a JSON string into out (size bytes, NUL
 * terminated); returns the length written, cut at a whole escape. */
apr_size_t provauth_json_escape(const char *value, char *out, apr_size_t size);

/* An ISO 8601 UTC time ("2026-11-30T07:13:00Z") into buf (21 bytes), or ""
 * for 0. */
const char *provauth_time_text(apr_int64_t when, char *buf, apr_size_t size);
/* Parse an exact time, as records and log lines write it: YYYY-MM-DD,
 * 'T' or a blank, HH:MM or HH:MM:SS, and the zone: 'Z', +HHMM, +HH:MM,
 * -HHMM or -HH:MM.  Exact digit counts, real calendar days, seconds 00-59,
 * nothing before or after.  Returns 1 with *when (seconds since the
 * epoch), or 0. */
int provauth_time_parse(const char *text, apr_int64_t *when);

/* A time given on a command line (provauth-check --at, provauth-report
 * --now): the forms above, where the time of day and the zone may also be
 * left out (midnight, UTC), and "now", @SECONDS since the epoch, and +DAYS
 * or -DAYS from now (a "d" may follow; at most 36600 days). */
int provauth_time_parse_arg(const char *text, apr_int64_t now, apr_int64_t *when);

#endif /* PROVAUTH_JSON_H */
