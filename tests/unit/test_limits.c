/*
 * test_limits.c — inputs built to exhaust memory or time are refused with a
 * clear message, quickly: YAML alias expansion ("billion laughs"), nesting
 * depth, value count, item count, value length, oversized voice presets;
 * numbers with hundreds of digits and absurdly long runs of text are read in
 * bounded time with bounded phrases. Run from the repository root (tests/run).
 */
#include "mq_test.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "program/mq_program.h"
#include "speech/mq_voice.h"
#include "text/mq_text.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A growing string. */
typedef struct sbuf {
    char *s;
    size_t n, cap;
} sbuf;

static void put(sbuf *b, const char *s)
{
    size_t k = strlen(s);
    if (b->n + k + 1 > b->cap) {
        b->cap = (b->n + k + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s)
            abort();
    }
    memcpy(b->s + b->n, s, k + 1);
    b->n += k;
}

static void repeat(sbuf *b, const char *s, size_t times)
{
    for (size_t i = 0; i < times; i++)
        put(b, s);
}

/* Loads YAML as a program; returns the code and leaves every diagnostic,
 * one a line, in ALL. */
static int load(const sbuf *b, char *all, size_t size)
{
    mq_diags *d = mq_diags_create();
    mq_error err;
    mq_program *p = NULL;
    int rc = mq_program_load_buffer(b->s, b->n, "limits.yaml", ".", NULL, &p, d, &err);
    all[0] = '\0';
    for (size_t i = 0; i < mq_diags_stored(d); i++) {
        char line[MQ_ERROR_MSG_MAX + 256];
        mq_diag_format(mq_diags_get(d, i), line, sizeof line);
        strncat(all, line, size - strlen(all) - 2);
        strcat(all, "\n");
    }
    mq_program_free(p);
    mq_diags_free(d);
    return rc;
}

static void test_program_limits(void)
{
    static char all[65536];
    sbuf b = { 0 };

    /* Billion laughs: refused at the first alias, before any expansion. */
    put(&b, "title: x\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    static const char *const names = "abcdefghij";
    for (int i = 1; i < 10; i++) {
        char line[128];
        snprintf(line, sizeof line, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", names[i],
                 names[i], names[i - 1], names[i - 1], names[i - 1], names[i - 1], names[i - 1],
                 names[i - 1], names[i - 1], names[i - 1], names[i - 1]);
        put(&b, line);
    }
    put(&b, "items: [*j]\n");
    double t0 = now();
    CHECK_INT(load(&b, all, sizeof all), MQ_EINPUT, "billion laughs is refused");
    CHECK_HAS(all, "limits.yaml:3:8: aliases (*a) are not allowed", "at its first alias");
    CHECK(now() - t0 < 1.0, "billion laughs is refused at once");

    /* Nesting depth: a list nested 100000 deep. */
    b.n = 0;
    put(&b, "title: x\nitems: ");
    repeat(&b, "[", 100000);
    repeat(&b, "]", 100000);
    put(&b, "\n");
    t0 = now();
    CHECK_INT(load(&b, all, sizeof all), MQ_EINPUT, "100000 nested lists are refused");
    CHECK_HAS(all, "nested too deeply (more than 64 levels)", "as nested too deeply");
    CHECK(now() - t0 < 2.0, "deep nesting is refused quickly");
    /* ... and block mappings nested 1000 deep. */
    b.n = 0;
    put(&b, "title: x\nitems:\n");
    for (int i = 0; i < 1000; i++) {
        char line[4096];
        snprintf(line, sizeof line, "%*sk%d:\n", 2 * (i + 1), "", i);
        put(&b, line);
    }
    CHECK_INT(load(&b, all, sizeof all), MQ_EINPUT, "1000 nested mappings are refused");
    CHECK_HAS(all, "nested too deeply", "as nested too deeply");

    /* Item count. */
    b.n = 0;
    put(&b, "title: x\nitems:\n");
    repeat(&b, "  - pause: 1s\n", 10001);
    CHECK_INT(load(&b, all, sizeof all), MQ_EINPUT, "10001 items are refused");
    CHECK_HAS(all, "too many items (10001; at most 10000)", "as too many items");

    /* Value count: half a million values in one flow list. */
    b.n = 0;
    put(&b, "title: x\nitems: [{pause: 1}]\nextra: [");
    repeat(&b, "1,", 600000);
    put(&b, "1]\n");
    t0 = now();
    CHECK_INT(load(&b, all, sizeof all), MQ_EINPUT, "600000 values are refused");
    CHECK_HAS(all, "too many values in the program (more than 500000)", "as too many values");
    CHECK(now() - t0 < 5.0, "too many values are refused in a few seconds");

    /* One value over 1 MB. */
    b.n = 0;
    put(&b, "title: x\nitems:\n  - announce: ");
    repeat(&b, "好", 400000);
    put(&b, "\n");
    CHECK_INT(load(&b, all, sizeof all), MQ_EINPUT, "a 1.2 MB announcement is refused");
    CHECK_HAS(all, "value is longer than 1 MB", "as too long");

    /* Numbers with hundreds of digits where the program wants a number. */
    static const char *const huge[] = { "pause", "gain", "fade_in", "duck", "rate", "pitch" };
    for (size_t k = 0; k < sizeof huge / sizeof huge[0]; k++) {
        int pause = !strcmp(huge[k], "pause");
        b.n = 0;
        put(&b, pause ? "title: x\nitems:\n  - "
                      : "title: x\nitems:\n  - announce: 你好\n    bed: x.ogg\n    ");
        put(&b, huge[k]);
        put(&b, ": ");
        repeat(&b, "9", 400);
        put(&b, "\n");
        char desc[96];
        snprintf(desc, sizeof desc, "'%s' with 400 digits is refused", huge[k]);
        CHECK_INT(load(&b, all, sizeof all), MQ_EINPUT, desc);
        char want[64];
        snprintf(want, sizeof want, "limits.yaml:%d:%d: '%s'", pause ? 3 : 5,
                 7 + (int)strlen(huge[k]), huge[k]);
        snprintf(desc, sizeof desc, "'%s' with 400 digits: the value is named", huge[k]);
        CHECK_HAS(all, want, desc);
    }
    /* Durations and levels just out of range. */
    static const struct { const char *yaml, *msg; } range[] = {
        { "  - pause: 24:00:01\n", "longer than 24 hours" },
        { "  - pause: 1e3\n", "is not a duration" },
        { "  - pause: nan\n", "is not a duration" },
        { "  - pause: -1s\n", "pause" },
        { "  - announce: x\n    gain: 25 dB\n", "'gain' must be from -60 to +24 dB" },
        { "  - announce: x\n    gain: -61 dB\n", "'gain' must be from -60 to +24 dB" },
        { "  - announce: x\n    fade_out: 601s\n", "'fade_out' must be from 0 to 600 seconds" },
        { "  - announce: x\n    rate: 79\n", "'rate' must be from 80 to 450" },
        { "  - announce: x\n    pitch: 101\n", "'pitch'" },
    };
    for (size_t k = 0; k < sizeof range / sizeof range[0]; k++) {
        b.n = 0;
        put(&b, "title: x\nitems:\n");
        put(&b, range[k].yaml);
        char desc[160];
        snprintf(desc, sizeof desc, "out of range is refused: %s", range[k].yaml + 4);
        for (char *q = desc; *q; q++)
            if (*q == '\n')
                *q = ' ';
        CHECK_INT(load(&b, all, sizeof all), MQ_EINPUT, desc);
        CHECK_HAS(all, range[k].msg, desc);
    }
    free(b.s);
}

static int voice(const sbuf *b, char *all, size_t size)
{
    mq_diags *d = mq_diags_create();
    mq_error err;
    mq_voice *v = NULL;
    int rc = mq_voice_load_buffer(b->s, b->n, "voices/limits.yaml", &v, d, &err);
    all[0] = '\0';
    for (size_t i = 0; i < mq_diags_stored(d); i++) {
        char line[MQ_ERROR_MSG_MAX + 256];
        mq_diag_format(mq_diags_get(d, i), line, sizeof line);
        strncat(all, line, size - strlen(all) - 2);
        strcat(all, "\n");
    }
    mq_voice_free(v);
    mq_diags_free(d);
    return rc;
}

static void test_voice_limits(void)
{
    static char all[16384];
    sbuf b = { 0 };
    put(&b, "description: 测试\nrate: 200\npause: { comma: 200ms }\n");
    CHECK_INT(voice(&b, all, sizeof all), MQ_OK, "a preset loads from a buffer");

    b.n = 0;
    put(&b, "description: x\n# ");
    repeat(&b, "x", (1u << 20) + 1);
    put(&b, "\n");
    CHECK_INT(voice(&b, all, sizeof all), MQ_EINPUT, "a preset over 1 MB is refused");
    CHECK_HAS(all, "a voice preset is at most 1 MB", "as too large");

    /* Aliases in a preset are not expanded: a billion laughs costs nothing. */
    b.n = 0;
    put(&b, "a: &a [x,x,x,x,x,x,x,x,x]\n");
    for (int i = 1; i < 10; i++) {
        char line[128];
        snprintf(line, sizeof line, "%c%d: &%c%d [*%c%d,*%c%d,*%c%d,*%c%d,*%c%d,*%c%d]\n", 'a', i,
                 'a', i, 'a', i - 1, 'a', i - 1, 'a', i - 1, 'a', i - 1, 'a', i - 1, 'a', i - 1);
        put(&b, line);
    }
    char *fix = strstr(b.s, "*a0");
    while (fix) { /* the first level refers to &a */
        memmove(fix + 2, fix + 3, strlen(fix + 3) + 1);
        b.n--;
        fix = strstr(b.s, "*a0");
    }
    put(&b, "pause: *a9\n");
    double t0 = now();
    CHECK_INT(voice(&b, all, sizeof all), MQ_EINPUT, "an alias bomb in a preset is refused");
    CHECK(now() - t0 < 1.0, "at once");

    b.n = 0;
    put(&b, "pause: ");
    repeat(&b, "[", 50000);
    repeat(&b, "]", 50000);
    put(&b, "\n");
    t0 = now();
    int rc = voice(&b, all, sizeof all);
    CHECK_INT(rc, MQ_EINPUT, "a preset nested 50000 deep is refused");
    CHECK(now() - t0 < 2.0, "quickly");

    b.n = 0;
    put(&b, "rate: ");
    repeat(&b, "9", 300);
    put(&b, "\npause: { comma: ");
    repeat(&b, "9", 300);
    put(&b, "s }\n");
    CHECK_INT(voice(&b, all, sizeof all), MQ_EINPUT, "numbers of 300 digits in a preset");
    CHECK_HAS(all, "'rate' must be a whole number from 80 to 450", "rate named");
    CHECK_HAS(all, "pause 'comma' must be a duration from 0 to 10 s", "pause named");
    free(b.s);
}

/* Reads TEXT; returns the reading (or NULL) and the time taken in *SECS. */
static mq_reading *read_text(mq_reader *rd, const char *text, size_t len, double *secs,
                             mq_error *err)
{
    double t0 = now();
    mq_reading *r = NULL;
    char *clean = mq_text_clean(text, len, err);
    if (clean) {
        if (mq_reader_read(rd, clean, strlen(clean), &r, err) != MQ_OK)
            r = NULL;
        free(clean);
    }
    *secs = now() - t0;
    return r;
}

static size_t longest_phrase(const mq_reading *r)
{
    size_t most = 0;
    for (size_t i = 0; i < mq_reading_phrase_count(r); i++) {
        const char *p = mq_reading_phrase(r, i)->pinyin;
        size_t n = 1;
        for (; *p; p++)
            n += *p == ' ';
        if (n > most)
            most = n;
    }
    return most;
}

static void test_text_limits(void)
{
    mq_reader *rd = NULL;
    mq_error err;
    if (mq_reader_create("voices/lexicon", &rd, &err) != MQ_OK) {
        CHECK(0, "the lexicon opens (run from the repository root)");
        return;
    }
    sbuf b = { 0 };
    double secs;

    /* A number of 500 digits: read digit by digit, quickly. */
    put(&b, "共有");
    repeat(&b, "9", 500);
    put(&b, "个人。");
    mq_reading *r = read_text(rd, b.s, b.n, &secs, &err);
    CHECK(r != NULL, "a 500-digit number is read");
    CHECK(secs < 1.0, "a 500-digit number is read at once");
    if (r) {
        char *s = mq_reading_format(r);
        CHECK_HAS(s, "jiu3 jiu3 jiu3 jiu3", "digit by digit");
        free(s);
        mq_reading_free(r);
    }
    /* Hundreds of digits around every sign the number reader knows. */
    static const char *const around[] = { ":", "：", ".", "%", "‰", "-", "/", "~", "年",
                                          "-01-01", "℃", "km", "后", "室" };
    for (size_t k = 0; k < sizeof around / sizeof around[0]; k++) {
        b.n = 0;
        put(&b, "¥-");
        repeat(&b, "7", 300);
        put(&b, around[k]);
        repeat(&b, "3", 300);
        put(&b, around[k]);
        repeat(&b, "1", 300);
        r = read_text(rd, b.s, b.n, &secs, &err);
        char desc[96];
        snprintf(desc, sizeof desc, "300-digit numbers around '%s' are read", around[k]);
        CHECK(r != NULL && mq_reading_syllables(r) > 0, desc);
        mq_reading_free(r);
    }
    /* The fuzzer's first find: an hour of 11 digits in H:MM. */
    r = read_text(rd, "99999999999:30", 14, &secs, &err);
    CHECK(r != NULL, "99999999999:30 is read (not as a time)");
    mq_reading_free(r);

    /* Absurdly long runs: 200,000 characters without punctuation, a line of
     * 的, a line of Latin letters — bounded phrases, a few seconds at most. */
    static const char *const runs[] = { "乌兰牧骑深入基层演出宣讲", "的", "abc" };
    for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
        b.n = 0;
        repeat(&b, runs[k], 200000 / strlen(runs[k]) * 3 / (k == 2 ? 3 : 1));
        r = read_text(rd, b.s, b.n, &secs, &err);
        char desc[96];
        snprintf(desc, sizeof desc, "a long run of '%s' is read", runs[k]);
        CHECK(r != NULL, desc);
        snprintf(desc, sizeof desc, "a long run of '%s' takes under 10 s (%.2f s)", runs[k], secs);
        CHECK(secs < 10.0, desc);
        if (r) {
            size_t most = longest_phrase(r);
            snprintf(desc, sizeof desc, "a long run of '%s' is split for breath (longest %zu)",
                     runs[k], most);
            CHECK(most <= 64, desc);
        }
        mq_reading_free(r);
    }
    /* An inline reading of absurd length is refused or read, never a crash. */
    b.n = 0;
    put(&b, "{");
    repeat(&b, "中", 5000);
    put(&b, "|");
    repeat(&b, "zhong1 ", 5000);
    put(&b, "}");
    r = read_text(rd, b.s, b.n, &secs, &err);
    CHECK(r != NULL || err.code == MQ_EINPUT, "a 5000-syllable inline reading");
    mq_reading_free(r);
    b.n = 0;
    put(&b, "中{");
    repeat(&b, "zhong", 100000);
    put(&b, "1}");
    r = read_text(rd, b.s, b.n, &secs, &err);
    CHECK(r == NULL && err.code == MQ_EINPUT, "a 500 KB syllable in braces is refused");
    mq_reading_free(r);
    free(b.s);
    mq_reader_free(rd);
}

int main(void)
{
    test_program_limits();
    test_voice_limits();
    test_text_limits();
    MQ_TEST_END();
}
