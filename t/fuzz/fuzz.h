/* fuzz.h: what the fuzz targets share: the libFuzzer entry point, a check
 * that aborts with a message (libFuzzer and the replay both report aborts),
 * a per-input APR pool and file contents handed to path-based loaders. */
#ifndef PROVAUTH_FUZZ_H
#define PROVAUTH_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include <apr_pools.h>

/* Each target defines it; libFuzzer or t/fuzz/replay.c calls it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property the code under test must keep: abort, naming it, when not. */
#define FUZZ_CHECK(cond, ...)                                                  \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                 \
        }                                                                      \
    } while (0)

/* The input being replayed (set by replay.c), named when a check fails. */
extern const char *fuzz_current_input;

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

/* A fresh pool for one input (APR is initialized on first use); give it
 * back with fuzz_pool_done. */
apr_pool_t *fuzz_pool(void);
void fuzz_pool_done(apr_pool_t *p);

/* A path whose file holds exactly data[0..size): an in-memory file
 * (memfd) rewritten for each input, so nothing is left on disk. */
const char *fuzz_file_with(const uint8_t *data, size_t size);

#endif /* PROVAUTH_FUZZ_H */
