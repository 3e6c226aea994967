/*
 * fuzz_bundle.c — libFuzzer target: a bundle's lists (mq_bundle). The input
 * is written as both manifest.json and playlist.m3u of a scratch folder, so
 * the manifest's JSON parser reads it and, when it refuses it, the playlist
 * reader reads the same bytes (the fallback path).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../engine/live/mq_bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void cleanup(void)
{
    char p[128];
    snprintf(p, sizeof p, "%s/manifest.json", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/playlist.m3u", dir);
    unlink(p);
    rmdir(dir);
}

static int put(const char *name, const uint8_t *data, size_t size)
{
    char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, size, f);
    return fclose(f) || w != size ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/mq_fuzz_bundle_XXXXXX");
        if (!mkdtemp(dir))
            abort();
        atexit(cleanup);
    }
    if (put("manifest.json", data, size) || put("playlist.m3u", data, size))
        abort();
    mq_bundle *b = NULL;
    mq_error err;
    mq_error_clear(&err);
    if (mq_bundle_open(dir, &b, &err) == MQ_OK) {
        size_t total = strlen(mq_bundle_title(b)) + strlen(mq_bundle_list(b));
        for (size_t i = 0; i < mq_bundle_count(b); i++) {
            const mq_bundle_item *it = mq_bundle_get(b, i);
            total += strlen(it->path) + strlen(it->file) + strlen(it->title) + strlen(it->kind);
        }
        if (!total)
            abort();
        mq_bundle_free(b);
    }
    return 0;
}
