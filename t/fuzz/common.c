/* common.c: helpers shared by the fuzz targets (see fuzz.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <apr_general.h>

#include "fuzz.h"

const char *fuzz_current_input;

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    va_list args;

    if (fuzz_current_input != NULL) {
        (void)fprintf(stderr, "input %s:\n", fuzz_current_input);
    }
    (void)fprintf(stderr, "%s:%d: property violated: %s\n  ", file, line, cond);
    va_start(args, fmt);
    (void)vfprintf(stderr, fmt, args);
    va_end(args);
    (void)fputc('\n', stderr);
    abort();
}

static apr_pool_t *root_pool;

apr_pool_t *fuzz_pool(void)
{
    apr_pool_t *p;

    if (root_pool == NULL) {
        if (apr_initialize() != APR_SUCCESS
            || apr_pool_create(&root_pool, NULL) != APR_SUCCESS) {
            (void)fprintf(stderr, "fuzz: cannot initialize APR\n");
            abort();
        }
    }
    if (apr_pool_create(&p, root_pool) != APR_SUCCESS) {
        (void)fprintf(stderr, "fuzz: out of memory\n");
        abort();
    }
    return p;
}

void fuzz_pool_done(apr_pool_t *p)
{
    apr_pool_destroy(p);
}

const char *fuzz_file_with(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    size_t done = 0;

    if (fd < 0) {
        fd = memfd_create("provauth-fuzz", 0);
        if (fd < 0) {
            perror("fuzz: memfd_create");
            abort();
        }
        (void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0) {
        perror("fuzz: ftruncate");
        abort();
    }
    while (done < size) {
        ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
        if (n <= 0) {
            perror("fuzz: pwrite");
            abort();
        }
        done += (size_t)n;
    }
    return path;
}
