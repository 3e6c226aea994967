/*
 * replay.c — runs a fuzz target without libFuzzer: every file of
 * tests/fuzz/corpus/TARGET/ and tests/fuzz/regressions/TARGET/ goes once
 * through the target's LLVMFuzzerTestOneInput. Built with the unit tests (and
 * under ASan/UBSan by `make test`), so every seed and every crash input the
 * fuzzers ever found is tested in CI. Run from the repository root. A crash
 * or sanitizer report kills the run; the last "replay:" line names the input.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_TARGET
#error "define FUZZ_TARGET"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns the number of files replayed, or -1 when DIR cannot be read. */
static long replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn)
                abort();
            names = nn;
        }
        if (!(names[n++] = strdup(e->d_name)))
            abort();
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    long count = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        free(names[i]);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        size_t len = 0, sz = 1 << 16;
        uint8_t *buf = malloc(sz);
        size_t got;
        while (buf && (got = fread(buf + len, 1, sz - len, f)) > 0) {
            len += got;
            if (len == sz) {
                uint8_t *nb = realloc(buf, sz * 2);
                if (!nb)
                    abort();
                buf = nb;
                sz *= 2;
            }
        }
        fclose(f);
        if (!buf)
            abort();
        printf("replay: %s\n", path);
        fflush(stdout);
        /* Exactly LEN bytes, as libFuzzer passes them: an exact-size copy. */
        uint8_t *exact = malloc(len ? len : 1);
        if (!exact)
            abort();
        memcpy(exact, buf, len);
        free(buf);
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
        count++;
    }
    free(names);
    return count;
}

int main(void)
{
    int failed = 0;
    const char *kinds[] = { "corpus", "regressions" };
    for (int k = 0; k < 2; k++) {
        char dir[256];
        snprintf(dir, sizeof dir, "tests/fuzz/%s/%s", kinds[k], FUZZ_TARGET);
        long n = replay_dir(dir);
        if (n < 0 && k == 0) {
            printf("FAIL: %s: cannot be read (run from the repository root)\n", dir);
            failed = 1;
        } else if (n >= 0) {
            printf("PASS: fuzz target %s survives the %ld inputs of %s\n", FUZZ_TARGET, n, dir);
        }
    }
    return failed;
}
