/* provauth_json.c: a strict JSON pull parser (RFC 8259) for the status
 * handler's documents, with bounded nesting; JSON string escaping and the
 * ISO 8601 times of the documents.  Pure: APR only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_strings.h>

#include "provauth_json.h"

void provauth_json_reader_init(provauth_json_reader_t *reader, const char *text,
                               apr_size_t len, apr_pool_t *error_pool)
{
    memset(reader, 0, sizeof(*reader));
    reader->text = text;
    reader->len = len;
    reader->error_pool = error_pool;
}

static void fail(provauth_json_reader_t *reader, const char *what)
{
    if (reader->error == NULL) {
        reader->error = apr_psprintf(reader->error_pool, "%s at byte %" APR_SIZE_T_FMT,
                                     what, reader->pos);
    }
}

static void blanks(provauth_json_reader_t *reader)
{
    while (reader->pos < reader->len) {
        char c = reader->text[reader->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            break;
        }
        reader->pos++;
    }
}

/* The next character after blanks, or 0 at the end. */
static char peek(provauth_json_reader_t *reader)
{
    blanks(reader);
    if (reader->pos >= reader->len) {
        return 0;
    }
    return reader->text[reader->pos];
}

static int literal(provauth_json_reader_t *reader, const char *word)
{
    apr_size_t len = strlen(word);

    if (reader->len - reader->pos < len || memcmp(reader->text + reader->pos, word, len) != 0) {
        fail(reader, "invalid literal");
        return 0;
    }
    reader->pos += len;
    return 1;
}

static int hex4(const char *s, unsigned *value)
{
    int i;

    *value = 0;
    for (i = 0; i < 4; i++) {
        char c = s[i];
        int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (digit < 0) {
            return 0;
        }
        *value = *value << 4 | (unsigned)digit;
    }
    return 1;
}

static apr_size_t utf8_encode(unsigned code, char *out)
{
    if (code < 0x80) {
        out[0] = (char)code;
        return 1;
    }
    if (code < 0x800) {
        out[0] = (char)(0xC0 | code >> 6);
        out[1] = (char)(0x80 | (code & 0x3F));
        return 2;
    }
    if (code < 0x10000) {
        out[0] = (char)(0xE0 | code >> 12);
        out[1] = (char)(0x80 | (code >> 6 & 0x3F));
        out[2] = (char)(0x80 | (code & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | code >> 18);
    out[1] = (char)(0x80 | (code >> 12 & 0x3F));
    out[2] = (char)(0x80 | (code >> 6 & 0x3F));
    out[3] = (char)(0x80 | (code & 0x3F));
    return 4;
}

/* A string at the cursor (on its opening quote), decoded; NULL on error
 * (p NULL: only checked and skipped, "" returned). */
static const char *string(provauth_json_reader_t *reader, apr_pool_t *p)
{
    apr_size_t start = ++reader->pos, end, out_len = 0;
    char *out = NULL;

    /* The decoded string is never longer than the raw one. */
    for (end = start; end < reader->len && reader->text[end] != '"'; end++) {
        if (reader->text[end] == '\\') {
            end++;
        }
    }
    if (end >= reader->len) {
        fail(reader, "unterminated string");
        return NULL;
    }
    if (p != NULL) {
        out = apr_palloc(p, end - start + 1);
    }
    while (reader->pos < end) {
        unsigned char c = (unsigned char)reader->text[reader->pos];
        char buf[4];
        apr_size_t n = 1;

        if (c < 0x20) {
            fail(reader, "control character in a string");
            return NULL;
        }
        if (c != '\\') {
            buf[0] = (char)c;
            reader->pos++;
        }
        else {
            char e = reader->text[reader->pos + 1];
            unsigned code, low;

            reader->pos += 2;
            switch (e) {
            case '"': buf[0] = '"'; break;
            case '\\': buf[0] = '\\'; break;
            case '/': buf[0] = '/'; break;
            case 'b': buf[0] = '\b'; break;
            case 'f': buf[0] = '\f'; break;
            case 'n': buf[0] = '\n'; break;
            case 'r': buf[0] = '\r'; break;
            case 't': buf[0] = '\t'; break;
            case 'u':
                if (end - reader->pos < 4 || !hex4(reader->text + reader->pos, &code)) {
                    fail(reader, "bad \\u escape");
                    return NULL;
                }
                reader->pos += 4;
                if (code >= 0xD800 && code <= 0xDBFF) {   /* a surrogate pair */
                    if (end - reader->pos < 6 || reader->text[reader->pos] != '\\'
                        || reader->text[reader->pos + 1] != 'u'
                        || !hex4(reader->text + reader->pos + 2, &low)
                        || low < 0xDC00 || low > 0xDFFF) {
                        fail(reader, "unpaired surrogate");
                        return NULL;
                    }
                    reader->pos += 6;
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                }
                else if (code >= 0xDC00 && code <= 0xDFFF) {
                    fail(reader, "unpaired surrogate");
                    return NULL;
                }
                if (code == 0) {
                    fail(reader, "NUL in a string");
                    return NULL;
                }
                n = utf8_encode(code, buf);
                break;
            default:
                fail(reader, "bad escape");
                return NULL;
            }
        }
        if (out != NULL) {
            memcpy(out + out_len, buf, n);
        }
        out_len += n;
    }
    reader->pos = end + 1;
    if (out == NULL) {
        return "";
    }
    out[out_len] = '\0';
    return out;
}

static int number(provauth_json_reader_t *reader, double *value)
{
    apr_size_t start = reader->pos;
    const char *s = reader->text;
    apr_size_t i = start;
    char buf[64];

    if (i < reader->len && s[i] == '-') {
        i++;
    }
    if (i < reader->len && s[i] == '0') {
        i++;
    }
    else if (i < reader->len && s[i] >= '1' && s[i] <= '9') {
        while (i < reader->len && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
    }
    else {
        fail(reader, "invalid number");
        return 0;
    }
    if (i < reader->len && s[i] == '.') {
        apr_size_t digits = ++i;
        while (i < reader->len && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
        if (i == digits) {
            fail(reader, "invalid number");
            return 0;
        }
    }
    if (i < reader->len && (s[i] == 'e' || s[i] == 'E')) {
        apr_size_t digits;
        i++;
        if (i < reader->len && (s[i] == '+' || s[i] == '-')) {
            i++;
        }
        digits = i;
        while (i < reader->len && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
        if (i == digits) {
            fail(reader, "invalid number");
            return 0;
        }
    }
    if (i - start >= sizeof(buf)) {
        fail(reader, "number too long");
        return 0;
    }
    memcpy(buf, s + start, i - start);
    buf[i - start] = '\0';
    *value = strtod(buf, NULL);
    reader->pos = i;
    return 1;
}

static provauth_json_t *value(provauth_json_reader_t *reader, apr_pool_t *p, int depth);

/* The members or elements of a container whose opening character has been
 * consumed. */
static int members(provauth_json_reader_t *reader, apr_pool_t *p, int depth,
                   provauth_json_t *container, char close)
{
    provauth_json_t **link = container ? &container->first : NULL;
    int first = 1;

    for (;;) {
        const char *key = NULL;
        provauth_json_t *child;
        char c = peek(reader);

        if (c == close && first) {
            reader->pos++;
            return 1;
        }
        if (!first) {
            if (c == close) {
                reader->pos++;
                return 1;
            }
            if (c != ',') {
                fail(reader, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
                return 0;
            }
            reader->pos++;
            c = peek(reader);
        }
        first = 0;
        if (close == '}') {
            if (c != '"' || (key = string(reader, p)) == NULL) {
                fail(reader, "expected a member name");
                return 0;
            }
            if (peek(reader) != ':') {
                fail(reader, "expected ':'");
                return 0;
            }
            reader->pos++;
        }
        child = value(reader, p, depth + 1);
        if (reader->error != NULL) {
            return 0;
        }
        if (link != NULL && child != NULL) {
            child->key = key;
            *link = child;
            link = &child->next;
        }
    }
}

/* A value; with p NULL it is only checked and skipped (returns NULL). */
static provauth_json_t *value(provauth_json_reader_t *reader, apr_pool_t *p, int depth)
{
    provauth_json_t *v = NULL;
    char c = peek(reader);

    if (depth > PROVAUTH_JSON_MAX_DEPTH) {
        fail(reader, "nested too deeply");
        return NULL;
    }
    if (p != NULL) {
        v = apr_pcalloc(p, sizeof(*v));
    }
    switch (c) {
    case '{':
    case '[':
        reader->pos++;
        if (v != NULL) {
            v->type = c == '{' ? PROVAUTH_JSON_OBJECT : PROVAUTH_JSON_ARRAY;
        }
        if (!members(reader, p, depth, v, c == '{' ? '}' : ']')) {
            return NULL;
        }
        return v;
    case '"': {
        const char *text = string(reader, p);
        if (text == NULL) {
            return NULL;
        }
        if (v != NULL) {
            v->type = PROVAUTH_JSON_STRING;
            v->string = text;
        }
        return v;
    }
    case 't':
        if (!literal(reader, "true")) {
            return NULL;
        }
        if (v != NULL) {
            v->type = PROVAUTH_JSON_TRUE;
        }
        return v;
    case 'f':
        if (!literal(reader, "false")) {
            return NULL;
        }
        if (v != NULL) {
            v->type = PROVAUTH_JSON_FALSE;
        }
        return v;
    case 'n':
        if (!literal(reader, "null")) {
            return NULL;
        }
        return v;   /* PROVAUTH_JSON_NULL */
    default: {
        double number_value = 0;
        if (!number(reader, &number_value)) {
            return NULL;
        }
        if (v != NULL) {
            v->type = PROVAUTH_JSON_NUMBER;
            v->number = number_value;
        }
        return v;
    }
    }
}

provauth_json_t *provauth_json_parse(provauth_json_reader_t *reader, apr_pool_t *p)
{
    provauth_json_t *v = value(reader, p, 0);

    return reader->error ? NULL : v;
}

int provauth_json_skip(provauth_json_reader_t *reader)
{
    value(reader, NULL, 0);
    return reader->error == NULL;
}

int provauth_json_enter(provauth_json_reader_t *reader, char open)
{
    if (peek(reader) != open) {
        fail(reader, open == '{' ? "expected an object" : "expected an array");
        return 0;
    }
    if (reader->depth >= PROVAUTH_JSON_MAX_DEPTH) {
        fail(reader, "nested too deeply");
        return 0;
    }
    reader->pos++;
    reader->first[++reader->depth] = 1;
    return 1;
}

/* Inside a container entered with provauth_json_enter: consume the ','
 * before all but the first item.  1 for an item, 0 at the close (left),
 * -1 on error. */
static int next_item(provauth_json_reader_t *reader, char close)
{
    char c = peek(reader);

    if (reader->error != NULL || reader->depth < 1) {
        fail(reader, "not inside a container");
        return -1;
    }
    if (c == close) {
        reader->pos++;
        reader->depth--;
        return 0;
    }
    if (reader->first[reader->depth]) {
        reader->first[reader->depth] = 0;
        return 1;
    }
    if (c != ',') {
        fail(reader, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
        return -1;
    }
    reader->pos++;
    if (peek(reader) == close) {
        fail(reader, "trailing ','");
        return -1;
    }
    return 1;
}

int provauth_json_next_member(provauth_json_reader_t *reader, apr_pool_t *p,
                              const char **key)
{
    int item = next_item(reader, '}');

    if (item <= 0) {
        return item;
    }
    if (peek(reader) != '"' || (*key = string(reader, p)) == NULL) {
        fail(reader, "expected a member name");
        return -1;
    }
    if (peek(reader) != ':') {
        fail(reader, "expected ':'");
        return -1;
    }
    reader->pos++;
    return 1;
}

int provauth_json_next_element(provauth_json_reader_t *reader)
{
    return next_item(reader, ']');
}

int provauth_json_at_end(provauth_json_reader_t *reader)
{
    return peek(reader) == 0 && reader->pos == reader->len;
}

const provauth_json_t *provauth_json_get(const provauth_json_t *object, const char *key)
{
    const provauth_json_t *member;

    if (object == NULL || object->type != PROVAUTH_JSON_OBJECT) {
        return NULL;
    }
    for (member = object->first; member; member = member->next) {
        if (member->key != NULL && strcmp(member->key, key) == 0) {
            return member;
        }
    }
    return NULL;
}

const char *provauth_json_get_string(const provauth_json_t *object, const char *key)
{
    const provauth_json_t *member = provauth_json_get(object, key);

    return member && member->type == PROVAUTH_JSON_STRING ? member->string : NULL;
}

double provauth_json_get_number(const provauth_json_t *object, const char *key,
                                double fallback)
{
    const provauth_json_t *member = provauth_json_get(object, key);

    return member && member->type == PROVAUTH_JSON_NUMBER ? member->number : fallback;
}

int provauth_json_get_bool(const provauth_json_t *object, const char *key, int fallback)
{
    const provauth_json_t *member = provauth_json_get(object, key);

    return member == NULL ? fallback : member->type == PROVAUTH_JSON_TRUE ? 1
         : member->type == PROVAUTH_JSON_FALSE ? 0 : fallback;
}

/* ---------------------------------------------------------------------
 * Writing: escaping and times
 * ------------------------------------------------------------------ */

const char *provauth_time_text(apr_int64_t when, char *buf, apr_size_t size)
{
    time_t seconds = (time_t)when;
    struct tm tm;

    if (size == 0) {
        return buf;
    }
    buf[0] = '\0';
    if (when != 0 && gmtime_r(&seconds, &tm) != NULL) {
        if (strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
            buf[0] = '\0';
        }
    }
    return buf;
}

/* Exactly n digits at *text, advancing it past them. */
static int take_digits(const char **text, int n, int *value)
{
    int i;

    *value = 0;
    for (i = 0; i < n; i++) {
        if ((*text)[i] < '0' || (*text)[i] > '9') {
            return 0;
        }
        *value = *value * 10 + ((*text)[i] - '0');
    }
    *text += n;
    return 1;
}

/* "Z", "+HHMM", "+HH:MM", "-HHMM" or "-HH:MM" (and nothing after): the
 * offset from UTC in seconds. */
static int take_zone(const char *text, int *offset)
{
    int sign, hh, mm;

    if (text[0] == 'Z') {
        *offset = 0;
        return text[1] == '\0';
    }
    if (text[0] != '+' && text[0] != '-') {
        return 0;
    }
    sign = text[0] == '-' ? -1 : 1;
    text++;
    if (!take_digits(&text, 2, &hh)) {
        return 0;
    }
    if (*text == ':') {
        text++;
    }
    if (!take_digits(&text, 2, &mm) || *text != '\0' || hh > 23 || mm > 59) {
        return 0;
    }
    *offset = sign * (hh * 60 + mm) * 60;
    return 1;
}

/* The one parser; exact (a record's or a log line's time): the time of
 * day and the zone are required, for a time without its zone would be
 * read in the wrong one without a word. */
static int parse_time(const char *text, int exact, apr_int64_t *when)
{
    int year, month, day, hour = 0, minute = 0, second = 0, offset = 0;
    struct tm tm, check;
    time_t t;

    if (text == NULL || !take_digits(&text, 4, &year) || *text++ != '-'
        || !take_digits(&text, 2, &month) || *text++ != '-'
        || !take_digits(&text, 2, &day)) {
        return 0;
    }
    if (*text == 'T' || *text == ' ') {
        text++;
        if (!take_digits(&text, 2, &hour) || *text++ != ':'
            || !take_digits(&text, 2, &minute)
            || (*text == ':' && (text++, !take_digits(&text, 2, &second)))) {
            return 0;
        }
    }
    else if (exact) {
        return 0;
    }
    if ((exact && *text == '\0') || (*text != '\0' && !take_zone(text, &offset))
        || month < 1 || month > 12
        || day < 1 || hour > 23 || minute > 59 || second > 59) {
        return 0;
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    t = timegm(&tm);
    /* timegm normalizes 2025-02-30 into March: refuse what moved. */
    if (t == (time_t)-1 || gmtime_r(&t, &check) == NULL || check.tm_mday != day
        || check.tm_mon != month - 1) {
        return 0;
    }
    *when = (apr_int64_t)t - offset;
    return 1;
}

int provauth_time_parse(const char *text, apr_int64_t *when)
{
    return parse_time(text, 1, when);
}

int provauth_time_parse_arg(const char *text, apr_int64_t now, apr_int64_t *when)
{
    apr_int64_t count = 0;
    const char *digits;

    if (text == NULL) {
        return 0;
    }
    if (strcmp(text, "now") == 0) {
        *when = now;
        return 1;
    }
    if (text[0] != '@' && text[0] != '+' && text[0] != '-') {
        return parse_time(text, 0, when);
    }
    for (digits = text + 1; *digits >= '0' && *digits <= '9'; digits++) {
        if (count > (APR_INT64_MAX - 9) / 10) {
            return 0;
        }
        count = count * 10 + (*digits - '0');
    }
    if (digits == text + 1) {
        return 0;
    }
    if (text[0] == '@') {
        if (*digits != '\0') {
            return 0;
        }
        *when = count;
        return 1;
    }
    /* Days; 100 years either way is plenty and keeps the sum in range. */
    if ((*digits != '\0' && strcmp(digits, "d") != 0) || count > 36600) {
        return 0;
    }
    *when = now + (text[0] == '-' ? -1 : 1) * count * 86400;
    return 1;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static int utf8_sequence(const unsigned char *s)
{
    int len, i;
    apr_uint32_t code;

    if (s[0] < 0x80) {
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2;
        code = s[0] & 0x1F;
    }
    else if ((s[0] & 0xF0) == 0xE0) {
        len = 3;
        code = s[0] & 0x0F;
    }
    else if ((s[0] & 0xF8) == 0xF0) {
        len = 4;
        code = s[0] & 0x07;
    }
    else {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        code = code << 6 | (s[i] & 0x3F);
    }
    if ((len == 2 && code < 0x80) || (len == 3 && code < 0x800)
        || (len == 4 && (code < 0x10000 || code > 0x10FFFF))
        || (code >= 0xD800 && code <= 0xDFFF)) {
        return 0;   /* overlong, out of range or a surrogate */
    }
    return len;
}

apr_size_t provauth_json_escape(const char *value, char *out, apr_size_t size)
{
    static const char hex[] = "0123456789abcdef";
    static const char replacement[6] = { '\\', 'u', 'f', 'f', 'f', 'd' };
    const unsigned char *s = (const unsigned char *)(value ? value : "");
    apr_size_t len = 0;

    if (size == 0) {
        return 0;
    }
    while (*s) {
        int seq = utf8_sequence(s);
        int quote = (*s == '"' || *s == '\\');
        int control = (*s < 0x20 || *s == 0x7f);
        apr_size_t need = quote ? 2 : (control || seq == 0) ? 6 : (apr_size_t)seq;

        if (len + need >= size) {
            break;
        }
        if (quote) {
            out[len] = '\\';
            out[len + 1] = (char)*s;
            seq = 1;
        }
        else if (control) {
            memcpy(out + len, replacement, 2);     /* \u */
            out[len + 2] = '0';
            out[len + 3] = '0';
            out[len + 4] = hex[*s >> 4];
            out[len + 5] = hex[*s & 0x0f];
            seq = 1;
        }
        else if (seq == 0) {          /* not UTF-8: the replacement character */
            memcpy(out + len, replacement, sizeof(replacement));
            seq = 1;
        }
        else {
            memcpy(out + len, s, (apr_size_t)seq);
        }
        len += need;
        s += seq;
    }
    out[len] = '\0';
    return len;
}
