/* test_cache.c — the render cache: entries read back as written (samples,
 * sentences, loudness), misses, a damaged entry caught and removed whatever
 * part is damaged, a rate mismatch, trimming oldest first. */
#include "mq_test.h"
#include "speech/mq_cache.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int n_seen;
static int seen(void *user, const char *text, size_t start, size_t end)
{
    (void)user;
    n_seen++;
    return !(text && start < end);
}

static char *entry_file(const char *dir, const char *key)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%.2s/%s.mqs", dir, key, key);
    return path;
}

static void poke(const char *path, long at)
{
    FILE *f = fopen(path, "r+b");
    fseek(f, at, SEEK_SET);
    int c = fgetc(f);
    fseek(f, at, SEEK_SET);
    fputc(c ^ 0x40, f);
    fclose(f);
}

/* The default folder follows XDG_CACHE_HOME when it is absolute, HOME
 * otherwise (a relative XDG_CACHE_HOME is invalid: XDG Base Directory
 * Specification), and there is none without either. */
static void test_default_dir(void)
{
    char buf[4096];
    setenv("HOME", "/home/h", 1);
    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    CHECK_STR(mq_cache_default_dir(buf, sizeof buf), "/x/cache/muqir", "XDG_CACHE_HOME first");
    setenv("XDG_CACHE_HOME", "rel/cache", 1);
    CHECK_STR(mq_cache_default_dir(buf, sizeof buf), "/home/h/.cache/muqir",
              "a relative XDG_CACHE_HOME is ignored");
    unsetenv("XDG_CACHE_HOME");
    CHECK_STR(mq_cache_default_dir(buf, sizeof buf), "/home/h/.cache/muqir", "then HOME");
    unsetenv("HOME");
    CHECK(mq_cache_default_dir(buf, sizeof buf) == NULL, "without either, none");
}

int main(void)
{
    test_default_dir();
    char dir[] = "/tmp/muqir-test-cache.XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "temporary folder");
    mq_cache *c;
    mq_error err = { 0 };
    CHECK_INT(mq_cache_open(dir, 0, &c, &err), MQ_OK, "cache opened");

    float x[1000];
    for (int i = 0; i < 1000; i++)
        x[i] = (float)(i % 50) / 100.0f;
    mq_cache_sentence s[2] = { { "第一句。", 0, 400 }, { "第二句。", 500, 1000 } };
    const char *key = "ab12cd34";
    CHECK_INT(mq_cache_put(c, key, 48000, x, 1000, -21.25, s, 2, &err), MQ_OK, "entry stored");

    mq_buf b = { .channels = 1 };
    double lufs = 0;
    n_seen = 0;
    CHECK_INT(mq_cache_get(c, key, 48000, &b, &lufs, seen, NULL, &err), 1, "entry found");
    CHECK_INT((int)b.frames, 1000, "all its frames");
    CHECK(b.frames == 1000 && memcmp(b.data, x, sizeof x) == 0, "the samples as stored");
    CHECK_INT(n_seen, 2, "both sentences reported");
    CHECK_NEAR(lufs, -21.25, 0, "the loudness as stored");
    mq_buf_free(&b);

    b = (mq_buf){ .channels = 1 };
    CHECK_INT(mq_cache_get(c, "ffff0000", 48000, &b, NULL, NULL, NULL, &err), 0, "unknown key: miss");
    CHECK_INT(mq_cache_get(c, key, 44100, &b, NULL, NULL, NULL, &err), 0, "other rate: miss");
    CHECK_INT((int)b.frames, 0, "a miss adds nothing");

    /* Damage in the loudness, in a sentence, in the samples: each caught. */
    static const struct { long at; const char *what; } spots[] = {
        { 42, "the loudness" }, { 48 + 4000 + 22, "a sentence" }, { 2000, "the samples" } };
    for (size_t k = 0; k < sizeof spots / sizeof *spots; k++) {
        mq_cache_put(c, key, 48000, x, 1000, -21.25, s, 2, &err);
        poke(entry_file(dir, key), spots[k].at);
        char d[128];
        snprintf(d, sizeof d, "damage in %s is caught", spots[k].what);
        b = (mq_buf){ .channels = 1 };
        CHECK_INT(mq_cache_get(c, key, 48000, &b, &lufs, NULL, NULL, &err), MQ_EINPUT, d);
        snprintf(d, sizeof d, "and the entry damaged in %s is removed", spots[k].what);
        CHECK(access(entry_file(dir, key), F_OK) != 0, d);
        mq_buf_free(&b);
    }

    /* Written as it is made, in pieces: the very file mq_cache_put writes,
     * seen by nobody until it is committed. */
    mq_cache_put(c, key, 48000, x, 1000, -21.25, s, 2, &err);
    char whole[8192];
    FILE *f = fopen(entry_file(dir, key), "rb");
    size_t nwhole = f ? fread(whole, 1, sizeof whole, f) : 0;
    if (f)
        fclose(f);
    const char *key2 = "ef56ab78";
    mq_cache_writer *w = NULL;
    CHECK_INT(mq_cache_writer_open(c, key2, 48000, &w, &err), MQ_OK, "a writer opens");
    CHECK_INT(mq_cache_writer_add(w, x, 1, &err), MQ_OK, "one sample");
    CHECK_INT(mq_cache_writer_add(w, x + 1, 0, &err), MQ_OK, "none");
    CHECK_INT(mq_cache_writer_add(w, x + 1, 999, &err), MQ_OK, "the rest");
    b = (mq_buf){ .channels = 1 };
    CHECK_INT(mq_cache_get(c, key2, 48000, &b, NULL, NULL, NULL, &err), 0,
              "an entry being written is a miss");
    CHECK_INT(mq_cache_writer_commit(w, -21.25, s, 2, &err), MQ_OK, "and is committed");
    char streamed[8192];
    f = fopen(entry_file(dir, key2), "rb");
    size_t nstreamed = f ? fread(streamed, 1, sizeof streamed, f) : 0;
    if (f)
        fclose(f);
    CHECK(nwhole > 4000 && nstreamed == nwhole && memcmp(whole, streamed, nwhole) == 0,
          "byte for byte what mq_cache_put writes");
    CHECK_INT(mq_cache_get(c, key2, 48000, &b, &lufs, NULL, NULL, &err), 1,
              "and reads back");
    CHECK(b.frames == 1000 && memcmp(b.data, x, sizeof x) == 0, "with its samples");
    mq_buf_free(&b);
    CHECK_INT(mq_cache_writer_open(c, "0123abcd", 48000, &w, &err), MQ_OK, "another writer");
    mq_cache_writer_add(w, x, 1000, &err);
    mq_cache_writer_abort(w);
    char sub[4200];
    snprintf(sub, sizeof sub, "test -d %s/01 && test -z \"$(ls -A %s/01)\"", dir, dir);
    CHECK(system(sub) == 0, "an aborted entry leaves no file behind (its folder is empty)");
    mq_cache_writer_abort(NULL);

    /* An entry this run's worker has just written: taken as it is, mapped,
     * without summing its samples again; its header is still checked. */
    mq_cache_put(c, key, 48000, x, 1000, -21.25, s, 2, &err);
    b = (mq_buf){ .channels = 1 };
    n_seen = 0;
    CHECK_INT(mq_cache_get_fresh(c, key, 48000, &b, &lufs, seen, NULL, &err), 1,
              "a fresh entry is found");
    CHECK(b.frames == 1000 && memcmp(b.data, x, sizeof x) == 0, "with the samples as stored");
    CHECK_INT(n_seen, 2, "and its sentences");
    mq_buf_free(&b);
    poke(entry_file(dir, key), 3);
    b = (mq_buf){ .channels = 1 };
    CHECK_INT(mq_cache_get_fresh(c, key, 48000, &b, &lufs, NULL, NULL, &err), MQ_EINPUT,
              "a fresh entry with a damaged header is caught");
    CHECK(access(entry_file(dir, key), F_OK) != 0, "and removed");
    mq_buf_free(&b);

    /* Trimming: a bound of two entries' size keeps the two used last. */
    mq_cache_free(c);
    struct stat st;
    CHECK_INT(mq_cache_open(dir, 0, &c, &err), MQ_OK, "cache reopened");
    const char *keys[3] = { "aa000001", "bb000002", "cc000003" };
    for (int k = 0; k < 3; k++) {
        mq_cache_put(c, keys[k], 48000, x, 1000, -20, s, 2, &err);
        /* Distinct ages: trimming goes by modification time. */
        struct timespec ts[2] = { { 1000000 + k, 0 }, { 1000000 + k, 0 } };
        utimensat(AT_FDCWD, entry_file(dir, keys[k]), ts, 0);
    }
    stat(entry_file(dir, keys[0]), &st);
    mq_cache_free(c);
    CHECK_INT(mq_cache_open(dir, (size_t)st.st_size * 2 + 10, &c, &err), MQ_OK,
              "cache opened with a small bound");
    CHECK_INT(mq_cache_trim(c, &err), MQ_OK, "trimmed");
    CHECK(access(entry_file(dir, keys[0]), F_OK) != 0, "the oldest entry is gone");
    CHECK(access(entry_file(dir, keys[2]), F_OK) == 0, "the newest is kept");

    /* Temporary files a killed writer left go once 10 minutes old; one being
     * written (fresh) and files of any other shape stay. */
    const char *temps[] = { "cc/cc000003.mqs.Ab12Cd", "cc/cc000003.0.mqd.4242",
                            "lexicon-0011223344556677.mqx.Zz9Yy8", "cc/cc000003.mqs.Fresh1",
                            "cc/notes.txt" };
    for (size_t k = 0; k < sizeof temps / sizeof temps[0]; k++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, temps[k]);
        FILE *tf = fopen(p, "wb");
        if (tf)
            fclose(tf);
        struct timespec old_ts[2] = { { 1000000, 0 }, { 1000000, 0 } };
        if (k < 3 || k == 4)
            utimensat(AT_FDCWD, p, old_ts, 0);
    }
    CHECK_INT(mq_cache_trim(c, &err), MQ_OK, "trimmed again");
    for (size_t k = 0; k < sizeof temps / sizeof temps[0]; k++) {
        char p[4096], d[160];
        snprintf(p, sizeof p, "%s/%s", dir, temps[k]);
        snprintf(d, sizeof d, "%s %s", temps[k], k < 3 ? "(stale) is removed" : "stays");
        CHECK((access(p, F_OK) == 0) == (k >= 3), d);
    }
    mq_cache_free(c);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0, "cleaned up");
    MQ_TEST_END();
}
