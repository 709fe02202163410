/* replay.c: runs a fuzz target without libFuzzer, over the files and
 * directories named on the command line (the seed corpus in `make check`,
 * or a crash file from a long run).  A violated property aborts. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Feed one file to the target; returns 0, or -1 when it cannot be read. */
static int replay_file(const char *path)
{
    FILE *in = fopen(path, "rb");
    uint8_t *data = NULL;
    long size;

    if (in == NULL || fseek(in, 0, SEEK_END) != 0 || (size = ftell(in)) < 0
        || fseek(in, 0, SEEK_SET) != 0) {
        perror(path);
        if (in) {
            (void)fclose(in);
        }
        return -1;
    }
    /* Exactly size bytes (at least one to allocate): a read past the end
     * is a read past the allocation. */
    data = malloc(size ? (size_t)size : 1);
    if (data == NULL || fread(data, 1, (size_t)size, in) != (size_t)size) {
        perror(path);
        free(data);
        (void)fclose(in);
        return -1;
    }
    (void)fclose(in);
    fuzz_current_input = path;
    LLVMFuzzerTestOneInput(data, (size_t)size);
    fuzz_current_input = NULL;
    free(data);
    return 0;
}

static int not_hidden(const struct dirent *entry)
{
    return entry->d_name[0] != '.';
}

int main(int argc, char **argv)
{
    long replayed = 0;
    int i, failed = 0;

    for (i = 1; i < argc; i++) {
        struct stat st;

        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            failed = 1;
        }
        else if (S_ISDIR(st.st_mode)) {
            struct dirent **entries;
            int n = scandir(argv[i], &entries, not_hidden, alphasort), j;

            if (n < 0) {
                perror(argv[i]);
                failed = 1;
                continue;
            }
            for (j = 0; j < n; j++) {
                size_t len = strlen(argv[i]) + strlen(entries[j]->d_name) + 2;
                char *path = malloc(len);

                if (path == NULL) {
                    abort();
                }
                (void)snprintf(path, len, "%s/%s", argv[i], entries[j]->d_name);
                if (replay_file(path) == 0) {
                    replayed++;
                }
                else {
                    failed = 1;
                }
                free(path);
                free(entries[j]);
            }
            free(entries);
        }
        else if (replay_file(argv[i]) == 0) {
            replayed++;
        }
        else {
            failed = 1;
        }
    }
    printf("%s: replayed %ld inputs\n", argv[0], replayed);
    return failed || replayed == 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
