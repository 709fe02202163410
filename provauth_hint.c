/* provauth_hint.c: denial reasons that say what to fix: a MAC inside a
 * longer subject value (ProvAuthMACFrom), a shared file under provauth-mac. */
#include <ctype.h>
#include <string.h>

#include <apr_strings.h>

#include "provauth_hint.h"

/* The written lengths of a MAC provauth_mac_parse knows: 00:04:f2:00:00:01
 * (or with '-'), 0004.f200.0001, 0004f2000001; the longest first. */
static const size_t mac_lengths[] = { 17, 14, 12 };

static int is_placeholder(const provauth_mac_t *mac)
{
    return strncmp(mac->hex, "0000000000", 10) == 0;
}

int provauth_find_mac(const char *text, size_t text_len, size_t *start, size_t *len,
                      provauth_mac_t *mac)
{
    size_t i, k;

    for (i = 0; text != NULL && i < text_len; i++) {
        if (i > 0 && isxdigit((unsigned char)text[i - 1])) {
            continue;
        }
        for (k = 0; k < sizeof(mac_lengths) / sizeof(mac_lengths[0]); k++) {
            size_t end = i + mac_lengths[k];
            provauth_mac_t found;

            if (end > text_len
                || (end < text_len && isxdigit((unsigned char)text[end]))
                || !provauth_mac_parse(text + i, mac_lengths[k], &found)
                || is_placeholder(&found)) {
                continue;
            }
            *start = i;
            *len = mac_lengths[k];
            *mac = found;
            return 1;
        }
    }
    return 0;
}

/* The regex group that captures a MAC written in length characters, its
 * separator (if any) being sep. */
static const char *mac_group(size_t length, char sep)
{
    if (length == 12) {
        return "([0-9A-Fa-f]{12})";
    }
    if (length == 14) {
        return "([0-9A-Fa-f]{4}([.][0-9A-Fa-f]{4}){2})";
    }
    return sep == ':' ? "([0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5})"
                      : "([0-9A-Fa-f]{2}(-[0-9A-Fa-f]{2}){5})";
}

/* What a regex needs before the MAC's group: the letters just before it
 * ("SEP"), else the one punctuation character before it, else "^".  Never a
 * blank, quote or backslash: the hint's regex needs no quoting in the
 * configuration, nor escaping in the error log. */
static const char *mac_prefix(const char *value, size_t start, apr_pool_t *p)
{
    size_t letters = 0;
    char c;

    if (start == 0) {
        return "^";
    }
    while (letters < start && letters < 16
           && isalpha((unsigned char)value[start - letters - 1])) {
        letters++;
    }
    if (letters > 0) {
        return apr_pstrmemdup(p, value + start - letters, letters);
    }
    c = value[start - 1];
    if (!ispunct((unsigned char)c) || strchr("\"'\\^", c) != NULL) {
        return "";
    }
    return strchr(".[]()*+?{}|$", c) ? apr_psprintf(p, "[%c]", c)
                                      : apr_psprintf(p, "%c", c);
}

const char *provauth_hint_mac_inside(const char *attribute, const char *value,
                                     size_t len, apr_pool_t *p)
{
    provauth_mac_t mac;
    size_t start = 0, mac_len = 0;

    if (!provauth_find_mac(value, len, &start, &mac_len, &mac)) {
        return "";
    }
    return apr_psprintf(p, " (it holds MAC %s: read it with ProvAuthMACFrom %s "
                        "%s%s%s)", mac.hex, attribute,
                        mac_prefix(value, start, p),
                        mac_group(mac_len, value[start + 2]),
                        start + mac_len == len ? "$" : "");
}

/* A file name safe to quote back in a reason: what provisioning files are
 * called, nothing a client could use to forge log lines or headers. */
static int plain_file_name(const char *name)
{
    size_t len = strlen(name), i;

    if (len == 0 || len > 96 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i])) {
            return 0;
        }
    }
    return 1;
}

const char *provauth_reason_mac_not_in_path(const provauth_mac_t *mac,
                                            const char *url_path, int whole_path,
                                            apr_pool_t *p)
{
    const char *reason = apr_psprintf(p, "MAC %s is not in the requested %s", mac->hex,
                                      whole_path ? "path" : "file name");
    const char *slash, *name;

    if (url_path == NULL) {
        return reason;
    }
    slash = strrchr(url_path, '/');
    name = slash ? slash + 1 : url_path;
    if (provauth_path_names_a_device(name)) {
        return reason; /* another device's file */
    }
    if (provauth_path_names_a_device(url_path)) {
        /* A directory per device: opening the name to every phone would
         * open every device's copy of it. */
        if (!whole_path && provauth_mac_in_path(mac, url_path, 1)) {
            return apr_psprintf(p, "%s (the MAC is in a directory of the path: "
                                "for a directory per device use Require "
                                "provauth-mac path)", reason);
        }
        return reason;
    }
    if (!plain_file_name(name)) {
        return reason; /* nothing safe to quote back */
    }
    return apr_psprintf(p, "%s ('%s' names no device: if every phone may read it, "
                        "allow it with <Files %s> Require provauth-device </Files>)",
                        reason, name, name);
}
