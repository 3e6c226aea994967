/*
 * test_program.c — the program loader: units, parsed values, diagnostics
 * (exact positions and wording), limits, and the catalogue of broken programs
 * in tests/programs/bad (each NAME.yaml with the lines NAME.expect promises).
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mq_test.h"
#include "program/mq_program.h"
#include "util/mq_suggest.h"

static const char *const voices[] = { "announcer", "elder-slow", "host-female", "narrator" };
static const mq_program_opts opts = { voices, 4, NULL };
static char tmp[64];
static char fmt_buf[2048];

static void write_file(const char *rel, const char *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmp, rel);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len)
        printf("FAIL: cannot write %s\n", path);
    if (f)
        fclose(f);
}

#define WRITE(rel, literal) write_file((rel), (literal), sizeof(literal) - 1)

/* Loads YAML from an exactly-sized heap copy (no NUL after it, so ASan sees
 * any read past the end), as "t.yaml" in the temp folder. */
static int load(const char *yaml, const mq_program_opts *o, mq_program **p, mq_diags **d,
                mq_error *err)
{
    size_t len = strlen(yaml);
    char *copy = malloc(len ? len : 1);
    memcpy(copy, yaml, len);
    *d = mq_diags_create();
    int r = mq_program_load_buffer(copy, len, "t.yaml", tmp, o, p, *d, err);
    free(copy);
    return r;
}

static const char *diag(const mq_diags *d, size_t i)
{
    const mq_diag *g = mq_diags_get(d, i);
    return g ? mq_diag_format(g, fmt_buf, sizeof fmt_buf) : "(none)";
}

/* Loads YAML that must fail with exactly one diagnostic, and returns it. */
static const char *one_error(const char *yaml)
{
    static char out[2048];
    mq_program *p = (mq_program *)1;
    mq_diags *d;
    mq_error err;
    int r = load(yaml, &opts, &p, &d, &err);
    snprintf(out, sizeof out, "%s", mq_diags_stored(d) == 1 ? diag(d, 0) : "(not one error)");
    if (r != MQ_EINPUT || p != NULL || mq_diags_stored(d) != 1) {
        printf("FAIL: one_error: r=%d, %zu diagnostics for:\n%s\n", r, mq_diags_count(d), yaml);
        for (size_t i = 0; i < mq_diags_stored(d); i++)
            printf("    %s\n", diag(d, i));
        mq_test_failed++;
    }
    mq_diags_free(d);
    mq_program_free(r == MQ_OK ? p : NULL);
    return out;
}

static void test_durations(void)
{
    static const struct { const char *s; double v; } good[] = {
        { "1.5s", 1.5 }, { "500ms", 0.5 }, { "1:30", 90 }, { "1:02:03.5", 3723.5 },
        { "2", 2 }, { " 2.25 ", 2.25 }, { "0", 0 }, { ".5", 0.5 }, { "3 s", 3 },
        { "2min", 120 }, { "1h", 3600 }, { "0:05", 5 }, { "90:00", 5400 }, { "24:00:00", 86400 },
    };
    static const char *const bad[] = {
        "", "-1s", "-0.5", "soon", "nan", "inf", "1e3", "0x10", "1:5", "1:60", "1:02:60",
        "1.5:30", "1::30", "1:30:", "s", "1.2.3", "25h", "100000", "1 2", "--1", "+1s",
        "１秒", "99999999999999999999",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double v = -1;
        char desc[96];
        snprintf(desc, sizeof desc, "duration '%s'", good[i].s);
        CHECK_INT(mq_parse_duration(good[i].s, &v, NULL), MQ_OK, desc);
        CHECK_NEAR(v, good[i].v, 1e-9, desc);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v = 42;
        mq_error e;
        char desc[96];
        snprintf(desc, sizeof desc, "bad duration '%s' is refused", bad[i]);
        CHECK_INT(mq_parse_duration(bad[i], &v, &e), MQ_EINPUT, desc);
        CHECK_NEAR(v, 42, 0, "a refused duration leaves the output alone");
    }
    mq_error e;
    double v;
    mq_parse_duration("-2s", &v, &e);
    CHECK_STR(e.msg, "negative duration '-2s'", "negative duration message");
    mq_parse_duration("nan", &v, &e);
    CHECK_STR(e.msg, "'nan' is not a duration (write e.g. 1.5s, 500ms, 1:30 or 2)",
              "unparseable duration message names the value");
    mq_parse_duration("25h", &v, &e);
    CHECK_STR(e.msg, "duration '25h' is longer than 24 hours", "absurd duration message");
}

static void test_levels(void)
{
    static const struct { const char *s; double v; } good[] = {
        { "-14 dB", -14 }, { "-14dB", -14 }, { "-14", -14 }, { "+3 dB", 3 }, { "0", 0 },
        { "-3.5db", -3.5 }, { " 6 DB ", 6 },
    };
    static const char *const bad[] = { "", "loud", "-14 dBFS", "nan", "-inf", "--3", "3 d B",
                                       "dB", "-", "1e2" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double v = 99;
        char desc[96];
        snprintf(desc, sizeof desc, "level '%s'", good[i].s);
        CHECK_INT(mq_parse_level(good[i].s, &v, NULL), MQ_OK, desc);
        CHECK_NEAR(v, good[i].v, 1e-9, desc);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v;
        char desc[96];
        snprintf(desc, sizeof desc, "bad level '%s' is refused", bad[i]);
        CHECK_INT(mq_parse_level(bad[i], &v, NULL), MQ_EINPUT, desc);
    }
    mq_error e;
    double v;
    mq_parse_level("loud", &v, &e);
    CHECK_STR(e.msg, "'loud' is not a level (write e.g. -3 dB or -3)", "bad level message");
}

static void test_suggest(void)
{
    static const char *const keys[] = { "fade_in", "fade_out", "gain", "name", NULL };
    CHECK_INT(mq_edit_distance("fade_ot", "fade_out"), 1, "one deletion");
    CHECK_INT(mq_edit_distance("gian", "gain"), 1, "a swap counts once");
    CHECK_INT(mq_edit_distance("", "abc"), 3, "empty string");
    CHECK_STR(mq_suggest("fade_ot", keys, (size_t)-1), "fade_out", "suggests fade_out");
    CHECK_STR(mq_suggest("Gain", keys, (size_t)-1), "gain", "case is ignored");
    CHECK_STR(mq_suggest("author", keys, (size_t)-1), NULL, "nothing close");
    CHECK_STR(mq_suggest("gain", keys, (size_t)-1), NULL, "an exact match is no suggestion");
    CHECK_STR(mq_suggest("narator", (const char *const *)voices, 4), "narrator", "voices");
}

static void test_values(void)
{
    WRITE("story.txt", "\xEF\xBB\xBF第一段。\n\n第二段。\n");
    WRITE("lex.txt", "# fixes\n乌兰牧骑\twu1 lan2 mu4 qi2\r\n\n 好来宝 hao3  lai2 bao3\n");
    mkdir(strcat(strcpy(fmt_buf, tmp), "/music"), 0755);
    WRITE("music/bed.ogg", "x");
    WRITE("music/song.ogg", "x");
    const char *yaml =
        "title: 晚会\n"
        "voice: narrator\n"
        "output: { rate: 44100, channels: 1, loudness: -16 LUFS, true_peak: -2 }\n"
        "lexicon:\n"
        "  - 绿色: lü4  se4\n"
        "  - lex.txt\n"
        "items:\n"
        "  - announce: 各位乡亲，晚上好！\n"
        "    name: 开场\n"
        "    voice: host-female\n"
        "    rate: 170\n"
        "    pitch: 55\n"
        "    gain: -3 dB\n"
        "    bed: music/bed.ogg\n"
        "    duck: -12dB\n"
        "    follow: auto\n"
        "  - read: story.txt\n"
        "    fade_in: 500ms\n"
        "  - music: ./music/song.ogg\n"
        "    start: 1:30\n"
        "    length: 12s\n"
        "    fade_out: 3\n"
        "    overlap: 0.25\n"
        "  - clip: music/song.ogg\n"
        "  - pause: 1:02:03.5\n"
        "    follow: manual\n";
    mq_program *p;
    mq_diags *d;
    mq_error err;
    int r = load(yaml, &opts, &p, &d, &err);
    CHECK_INT(r, MQ_OK, "full program loads");
    CHECK_INT(mq_diags_count(d), 0, "no diagnostics");
    mq_diags_free(d);
    if (r != MQ_OK)
        return;
    char path[512];
    CHECK_STR(mq_program_title(p), "晚会", "title");
    CHECK_STR(mq_program_file(p), "t.yaml", "file as named");
    CHECK_STR(mq_program_voice(p), "narrator", "program voice");
    const mq_output_opts *o = mq_program_output(p);
    CHECK_INT(o->rate, 44100, "output rate");
    CHECK_INT(o->channels, 1, "output channels");
    CHECK_NEAR(o->loudness, -16, 0, "output loudness");
    CHECK_NEAR(o->true_peak, -2, 0, "output true peak");

    CHECK_INT(mq_program_lexicon_count(p), 3, "three lexicon entries");
    const mq_lex_entry *l = mq_program_lexicon(p, 0);
    CHECK_STR(l->text, "绿色", "inline entry text");
    CHECK_STR(l->pinyin, "lv4 se4", "ü becomes v, spaces collapse");
    CHECK_STR(l->file, "t.yaml", "inline entry file");
    CHECK_INT(l->line, 5, "inline entry line");
    CHECK_INT(l->column, 5, "inline entry column");
    snprintf(path, sizeof path, "%s/lex.txt", tmp);
    l = mq_program_lexicon(p, 1);
    CHECK_STR(l->text, "乌兰牧骑", "file entry (tab) text");
    CHECK_STR(l->pinyin, "wu1 lan2 mu4 qi2", "file entry pinyin, CR dropped");
    CHECK_STR(l->file, path, "file entry file is the resolved path");
    CHECK_INT(l->line, 2, "file entry line");
    l = mq_program_lexicon(p, 2);
    CHECK_STR(l->text, "好来宝", "file entry (space) text");
    CHECK_STR(l->pinyin, "hao3 lai2 bao3", "file entry (space) pinyin");
    CHECK_INT(l->line, 4, "file entry line after a blank line");
    CHECK_INT(l->column, 2, "file entry column after leading space");
    CHECK(mq_program_lexicon(p, 3) == NULL, "lexicon index past the end");

    CHECK_INT(mq_program_item_count(p), 5, "five items");
    const mq_item *it = mq_program_item(p, 0);
    CHECK_INT(it->kind, MQ_ITEM_ANNOUNCE, "item 0 kind");
    CHECK_INT(it->line, 8, "item 0 line");
    CHECK_INT(it->column, 5, "item 0 column");
    CHECK_STR(it->text, "各位乡亲，晚上好！", "announce text");
    CHECK_STR(it->name, "开场", "name");
    CHECK_STR(it->voice, "host-female", "item voice");
    CHECK_NEAR(it->rate, 170, 0, "rate");
    CHECK_NEAR(it->pitch, 55, 0, "pitch");
    CHECK_NEAR(it->gain, -3, 0, "gain");
    CHECK_NEAR(it->duck, -12, 0, "duck");
    snprintf(path, sizeof path, "%s/music/bed.ogg", tmp);
    CHECK_STR(it->bed, path, "bed resolved");
    CHECK_STR(it->bed_source, "music/bed.ogg", "bed as written");
    CHECK_INT(it->follow, MQ_FOLLOW_AUTO, "follow auto");
    CHECK(it->path == NULL && it->source == NULL, "announce has no path");
    CHECK(isnan(it->fade_in) && isnan(it->fade_out) && isnan(it->start) && isnan(it->length) &&
              isnan(it->overlap) && isnan(it->duration), "unset fields are NAN");

    it = mq_program_item(p, 1);
    CHECK_INT(it->kind, MQ_ITEM_READ, "item 1 kind");
    CHECK_STR(it->text, "第一段。\n\n第二段。\n", "read text loaded, BOM removed");
    snprintf(path, sizeof path, "%s/story.txt", tmp);
    CHECK_STR(it->path, path, "read path resolved");
    CHECK_STR(it->source, "story.txt", "read path as written");
    CHECK_STR(it->voice, "narrator", "read gets the program voice");
    CHECK_NEAR(it->fade_in, 0.5, 1e-12, "fade_in 500ms");
    CHECK(isnan(it->rate) && isnan(it->gain) && isnan(it->duck), "read defaults NAN");
    CHECK_INT(it->follow, MQ_FOLLOW_MANUAL, "follow defaults to manual");

    it = mq_program_item(p, 2);
    CHECK_INT(it->kind, MQ_ITEM_MUSIC, "item 2 kind");
    snprintf(path, sizeof path, "%s/./music/song.ogg", tmp);
    CHECK_STR(it->path, path, "music path joined as written");
    CHECK(it->voice == NULL && it->text == NULL, "music has no voice or text");
    CHECK_NEAR(it->start, 90, 0, "start 1:30");
    CHECK_NEAR(it->length, 12, 0, "length 12s");
    CHECK_NEAR(it->fade_out, 3, 0, "fade_out bare number");
    CHECK_NEAR(it->overlap, 0.25, 0, "overlap");

    it = mq_program_item(p, 3);
    CHECK_INT(it->kind, MQ_ITEM_CLIP, "item 3 kind");
    CHECK(isnan(it->fade_in) && isnan(it->gain), "clip defaults NAN");
    it = mq_program_item(p, 4);
    CHECK_INT(it->kind, MQ_ITEM_PAUSE, "item 4 kind");
    CHECK_NEAR(it->duration, 3723.5, 1e-9, "pause 1:02:03.5");
    CHECK(it->voice == NULL, "pause has no voice");
    CHECK(mq_program_item(p, 5) == NULL, "item index past the end");
    CHECK_STR(mq_item_kind_name(MQ_ITEM_CLIP), "clip", "kind name");
    mq_program_free(p);
}

static void test_defaults(void)
{
    mq_program *p;
    mq_diags *d;
    mq_error err;
    const char *yaml = "title: t\nitems:\n  - announce: 好\n";
    CHECK_INT(load(yaml, NULL, &p, &d, &err), MQ_OK, "minimal program, no opts");
    CHECK_STR(mq_program_voice(p), "announcer", "default voice is announcer");
    CHECK_STR(mq_program_item(p, 0)->voice, "announcer", "item gets announcer");
    const mq_output_opts *o = mq_program_output(p);
    CHECK_INT(o->rate, 48000, "default rate");
    CHECK_INT(o->channels, 2, "default channels");
    CHECK_NEAR(o->loudness, -23, 0, "default loudness");
    CHECK_NEAR(o->true_peak, -1, 0, "default true peak");
    CHECK_INT(mq_program_lexicon_count(p), 0, "no lexicon");
    mq_program_free(p);
    mq_diags_free(d);

    mq_program_opts o2 = { NULL, 0, "elder-slow" };
    CHECK_INT(load(yaml, &o2, &p, &d, &err), MQ_OK, "with a default voice");
    CHECK_STR(mq_program_item(p, 0)->voice, "elder-slow", "opts default voice used");
    mq_program_free(p);
    mq_diags_free(d);

    CHECK_INT(load("title: t\noutput: {loudness: off}\nitems: [{pause: 1}]\n", &opts, &p, &d,
                   &err), MQ_OK, "loudness off");
    CHECK(isnan(mq_program_output(p)->loudness), "loudness off is NAN");
    mq_program_free(p);
    mq_diags_free(d);
}

static void test_errors(void)
{
    CHECK_STR(one_error("title: t\nitems:\n  - announce: a\n    fade_ot: 2s\n"),
              "t.yaml:4:5: unknown key 'fade_ot'; did you mean 'fade_out'?", "misspelled key");
    CHECK_STR(one_error("title: t\nitems:\n  - announce: a\n    gain: [1]\n"),
              "t.yaml:4:11: 'gain' must be a level such as -3 dB, not a list", "wrong type");
    CHECK_STR(one_error("title: t\nitems:\n  - announce: a\n    gain:\n"),
              "t.yaml:4:10: 'gain' has no value; expected a level such as -3 dB", "no value");
    CHECK_STR(one_error("title: t\nitems:\n  - announce: a\n    voice: narator\n"),
              "t.yaml:4:12: unknown voice 'narator'; did you mean 'narrator'?", "unknown voice");
    CHECK_STR(one_error("title: t\nvoice: bob\nitems:\n  - pause: 1\n"),
              "t.yaml:2:8: unknown voice 'bob'; available voices: announcer, elder-slow, "
              "host-female, narrator", "unknown voice lists the voices");
    CHECK_STR(one_error("title: t\nitems:\n  - announce: a\n    music: b.ogg\n"),
              "t.yaml:4:5: item has two kinds ('announce' and 'music'); an item is one thing",
              "two kinds");
    CHECK_STR(one_error("title: t\nitems:\n  - name: x\n"),
              "t.yaml:3:5: item has no kind; expected one of announce, read, music, clip, pause",
              "no kind");
    CHECK_STR(one_error("title: t\nitems:\n  - anounce: x\n"),
              "t.yaml:3:5: unknown key 'anounce'; did you mean 'announce'?",
              "misspelled kind: one error, not two");
}

static void test_errors_more(void)
{
    char want[512];
    snprintf(want, sizeof want, "t.yaml:3:12: no such file 'x.ogg' (resolved to '%s/x.ogg')",
             tmp);
    CHECK_STR(one_error("title: t\nitems:\n  - music: x.ogg\n"), want, "missing file");
    snprintf(want, sizeof want,
             "t.yaml:3:11: 'music' is a directory, not a file (resolved to '%s/music')", tmp);
    CHECK_STR(one_error("title: t\nitems:\n  - read: music\n"), want, "directory");
    CHECK_STR(one_error("title: t\nitems:\n  - music: music/song.ogg\n    bed: music/bed.ogg\n"),
              "t.yaml:4:5: 'bed' does not apply to a music item (only to announce and read)",
              "bed on music");
    CHECK_STR(one_error("title: t\nitems:\n  - pause: 1\n    gain: -3\n"),
              "t.yaml:4:5: 'gain' does not apply to a pause item (only to announce, read, music "
              "and clip)", "gain on pause");
    CHECK_STR(one_error("title: t\nitems:\n  - announce: a\n    start: 2s\n"),
              "t.yaml:4:5: 'start' does not apply to an announce item (only to music and clip)",
              "start on announce");
    CHECK_STR(one_error("title: t\nitems:\n  - announce: a\n    gain: 30 dB\n"),
              "t.yaml:4:11: 'gain' must be from -60 to +24 dB, not '30 dB'", "gain range");
    CHECK_STR(one_error("title: t\nitems:\n  - announce: a\n    rate: 500\n"),
              "t.yaml:4:11: 'rate' must be from 80 to 450 words per minute, not '500'",
              "rate range");
    CHECK_STR(one_error("title: t\nitems:\n  - announce: a\n    rate: fast\n"),
              "t.yaml:4:11: 'rate' must be a number from 80 to 450 words per minute, not 'fast'",
              "rate not a number");
    CHECK_STR(one_error("title: t\nitems:\n  - pause: -2s\n"),
              "t.yaml:3:12: 'pause': negative duration '-2s'", "negative pause");
    CHECK_STR(one_error("title: t\nitems:\n  - pause: 0\n"),
              "t.yaml:3:12: 'pause' must be longer than 0 seconds and at most 24 hours, not '0'",
              "zero pause");
    CHECK_STR(one_error("title: t\nitems:\n  - announce: a\n    fade_in: 11:00\n"),
              "t.yaml:4:14: 'fade_in' must be from 0 to 600 seconds, not '11:00'", "fade range");
    CHECK_STR(one_error("title: t\nitems:\n  - announce: a\n    follow: automatic\n"),
              "t.yaml:4:13: 'follow' must be manual or auto, not 'automatic'", "bad follow");
    CHECK_STR(one_error("title: t\nitems:\n  - announce: a\n    duck: -12 dB\n"),
              "t.yaml:4:5: 'duck' needs a 'bed' to apply to", "duck without bed");
    CHECK_STR(one_error("title: t\nitems:\n  - announce: '  '\n"),
              "t.yaml:3:15: 'announce' text is empty", "empty announce");
    CHECK_STR(one_error("title: t\nitems:\n  - pause\n"),
              "t.yaml:3:5: item 'pause' needs a value ('- pause: ...')", "bare kind");
    CHECK_STR(one_error("title: t\nitems:\n  - announce: \"a\\0b\"\n"),
              "t.yaml:3:15: 'announce' contains a NUL character", "NUL in a YAML string");
    CHECK_STR(one_error("title: t\noutput: {rate: 4410}\nitems: [{pause: 1}]\n"),
              "t.yaml:2:16: 'rate' must be from 8000 to 192000 Hz, not '4410'", "output rate");
    CHECK_STR(one_error("title: t\noutput: {chanels: 2}\nitems: [{pause: 1}]\n"),
              "t.yaml:2:10: unknown key 'chanels'; did you mean 'channels'?", "output key");
    CHECK_STR(one_error("title: t\noutput: {loudness: -60}\nitems: [{pause: 1}]\n"),
              "t.yaml:2:20: 'loudness' must be from -40 to -5 LUFS, not '-60'", "loudness range");
    CHECK_STR(one_error("title: t\nlexicon: {好: hao}\nitems: [{pause: 1}]\n"),
              "t.yaml:2:14: bad pinyin for '好': 'hao' has no tone digit 1-5", "pinyin tone");
    CHECK_STR(one_error("title: t\nlexicon: {好: Hao3}\nitems: [{pause: 1}]\n"),
              "t.yaml:2:14: bad pinyin for '好': 'Hao3' is not lower-case letters followed by a "
              "tone digit 1-5", "pinyin case");
    CHECK_STR(one_error("title: t\nlexicon: {好: hao6}\nitems: [{pause: 1}]\n"),
              "t.yaml:2:14: bad pinyin for '好': 'hao6' has tone 6; tones are 1-5", "pinyin 6");
    CHECK_STR(one_error("title: t\nlexicon: [[a]]\nitems: [{pause: 1}]\n"),
              "t.yaml:2:11: a lexicon list holds mappings of text to pinyin and lexicon file "
              "paths, not a list", "lexicon nesting");
    CHECK_STR(one_error("title: t\ntitle: u\nitems: [{pause: 1}]\n"),
              "t.yaml:2:1: duplicate key 'title' (first given at line 1)", "duplicate key");
    CHECK_STR(one_error("title: t\nitems: [{pause: 1}]\nitems: [{pause: 2}, {pause: 3}]\n"),
              "t.yaml:3:1: duplicate key 'items' (first given at line 2)",
              "duplicate items: only the first is loaded (found by fuzzing)");
    CHECK_STR(one_error("title: t\nitems:\n  - announce: a\n    announce: b\n"),
              "t.yaml:4:5: duplicate key 'announce' (first given at line 3)",
              "a repeated kind is a duplicate, not two kinds");
    CHECK_STR(one_error("title: t\nitems:\n  - announce: a\n\tvoice: narrator\n"),
              "t.yaml:4:1: tab characters cannot be used for indentation; indent with spaces",
              "tab indentation");
    CHECK_STR(one_error("title: t\nitems: [a\n"),
              "t.yaml:3:1: YAML syntax error: did not find expected ',' or ']' (while parsing a "
              "flow sequence at line 2, column 8)", "syntax error");
    CHECK_STR(one_error("title: 好\nitems:\n  - announce: 各位\xff\n"),
              "t.yaml:3:17: invalid UTF-8 (byte 0xff); a program must be UTF-8 text",
              "invalid UTF-8: column counts characters");
    CHECK_STR(one_error("title: t\nitems:\n  - announce: \xe4\xb8\n"),
              "t.yaml:3:15: invalid UTF-8 (byte 0xe4); a program must be UTF-8 text",
              "truncated sequence at the end");
    CHECK_STR(one_error("title: t\nitems:\n  - announce: \xc0\xaf\n"),
              "t.yaml:3:15: invalid UTF-8 (byte 0xc0); a program must be UTF-8 text", "overlong");
    CHECK_STR(one_error("title: t\nitems:\n  - announce: \xed\xa0\x80\n"),
              "t.yaml:3:15: invalid UTF-8 (byte 0xed); a program must be UTF-8 text",
              "surrogate");
    CHECK_STR(one_error("title: &a t\nitems: [{announce: *a}]\n"),
              "t.yaml:2:20: aliases (*a) are not allowed in a program; write the value out",
              "alias");
    CHECK_STR(one_error("title: t\nitems: [{pause: 1}]\n---\ntitle: u\n"),
              "t.yaml:3:1: a program is a single YAML document; found a second one",
              "two documents");
    CHECK_STR(one_error("items: [{pause: 1}]\n"), "t.yaml:1:1: missing required key 'title'",
              "missing title");
    CHECK_STR(one_error("title: t\n"),
              "t.yaml:1:1: missing required key 'items' (the running order)", "missing items");
    CHECK_STR(one_error("title: t\nitems: []\n"),
              "t.yaml:2:8: 'items' is empty; a program needs at least one item", "empty items");
    CHECK_STR(one_error("title: ''\nitems: [{pause: 1}]\n"), "t.yaml:1:8: 'title' is empty",
              "empty title");
    CHECK_STR(one_error(""), "t.yaml:1:1: the program is empty; it needs a 'title' and 'items'",
              "empty file");
    CHECK_STR(one_error("- a\n"),
              "t.yaml:1:1: a program must be a mapping with 'title' and 'items', not a list",
              "root not a mapping");
    CHECK_STR(one_error("title: t\n? [a]\n: b\nitems: [{pause: 1}]\n"),
              "t.yaml:2:3: a key must be a plain name, not a list", "complex key");
}

static void test_text_files(void)
{
    WRITE("bad.txt", "第一行\n第二\xff行\n");
    WRITE("nul.txt", "ab\0c\n");
    WRITE("blank.txt", "\xEF\xBB\xBF \n\n");
    char want[512];
    snprintf(want, sizeof want, "%s/bad.txt:2:3: invalid UTF-8 (byte 0xff); the file must be "
             "UTF-8 text", tmp);
    CHECK_STR(one_error("title: t\nitems:\n  - read: bad.txt\n"), want, "bad UTF-8 in a text");
    snprintf(want, sizeof want, "%s/nul.txt:1:3: NUL byte in a text file", tmp);
    CHECK_STR(one_error("title: t\nitems:\n  - read: nul.txt\n"), want, "NUL in a text");
    CHECK_STR(one_error("title: t\nitems:\n  - read: blank.txt\n"),
              "t.yaml:3:11: text file 'blank.txt' is empty", "blank text");
    WRITE("badlex.txt", "好\n");
    snprintf(want, sizeof want, "%s/badlex.txt:1:1: lexicon entry '好' has no pinyin", tmp);
    CHECK_STR(one_error("title: t\nlexicon: badlex.txt\nitems: [{pause: 1}]\n"), want,
              "lexicon line without pinyin");
}

static void test_many_errors(void)
{
    mq_program *p = (mq_program *)1;
    mq_diags *d;
    mq_error err;
    const char *yaml =
        "title: t\n"
        "colour: red\n"
        "items:\n"
        "  - announce: a\n"
        "    fade_ot: 2s\n"
        "  - pause: soon\n"
        "  - announce: b\n"
        "    voice: narator\n";
    int r = load(yaml, &opts, &p, &d, &err);
    CHECK_INT(r, MQ_EINPUT, "several errors: MQ_EINPUT");
    CHECK(p == NULL, "several errors: *out is NULL");
    CHECK_INT(mq_diags_count(d), 4, "every error is reported");
    CHECK_STR(diag(d, 0), "t.yaml:2:1: unknown key 'colour'", "first error");
    CHECK_STR(diag(d, 1), "t.yaml:5:5: unknown key 'fade_ot'; did you mean 'fade_out'?",
              "second error");
    CHECK_STR(diag(d, 2), "t.yaml:6:12: 'pause': 'soon' is not a duration (write e.g. 1.5s, "
              "500ms, 1:30 or 2)", "third error");
    CHECK_STR(diag(d, 3), "t.yaml:8:12: unknown voice 'narator'; did you mean 'narrator'?",
              "fourth error");
    CHECK_STR(err.msg, "t.yaml: 4 errors", "summary");
    mq_diags_free(d);
}

static void test_limits(void)
{
    mq_program *p;
    mq_diags *d;
    mq_error err;
    /* 100 nested lists. */
    char deep[512] = "title: t\nitems: ";
    for (int i = 0; i < 100; i++)
        strcat(deep, "[");
    CHECK_STR(one_error(deep), "t.yaml:2:71: lists and mappings are nested too deeply (more "
              "than 64 levels)", "depth cap");

    size_t n = 10001, cap = 64 + n * 12;
    char *big = malloc(cap);
    strcpy(big, "title: t\nitems:\n");
    size_t len = strlen(big);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(big + len, cap - len, "- pause: 1\n");
    CHECK_STR(one_error(big), "t.yaml:3:1: too many items (10001; at most 10000)", "item cap");
    big[len - 11] = '\0';   /* drop the last item: 10000 is fine */
    CHECK_INT(load(big, &opts, &p, &d, &err), MQ_OK, "10000 items load");
    CHECK_INT(mq_program_item_count(p), 10000, "10000 items");
    mq_program_free(p);
    mq_diags_free(d);
    free(big);

    /* A value over 1 MB. */
    size_t vlen = (1u << 20) + 10;
    char *lv = malloc(vlen + 64);
    strcpy(lv, "title: t\nitems:\n  - announce: ");
    len = strlen(lv);
    memset(lv + len, 'a', vlen);
    lv[len + vlen] = '\0';
    CHECK_STR(one_error(lv), "t.yaml:3:15: value is longer than 1 MB", "value length cap");
    free(lv);

    /* Billion laughs is stopped at its first alias. */
    CHECK_HAS(one_error("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a]\n"),
              "aliases (*a) are not allowed", "alias bomb");

    /* The buffer is not read past its length: "title: t" then garbage that
     * is never looked at. */
    const char *src = "title: t\nitems: [{pause: 1}]\n!!!garbage";
    CHECK_INT(mq_program_load_buffer(src, 29, "t.yaml", tmp, &opts, &p, d = mq_diags_create(),
                                     &err), MQ_OK, "only LEN bytes are read");
    mq_program_free(p);
    mq_diags_free(d);
}

static void test_load_file(void)
{
    mq_program *p = (mq_program *)1;
    mq_diags *d = mq_diags_create();
    mq_error err;
    char path[512];
    snprintf(path, sizeof path, "%s/nope.yaml", tmp);
    CHECK_INT(mq_program_load(path, &opts, &p, d, &err), MQ_EINPUT, "missing program: MQ_EINPUT");
    CHECK(p == NULL, "missing program: *out NULL");
    CHECK_HAS(err.msg, "nope.yaml: no such file", "missing program message");
    CHECK_INT(mq_program_load(tmp, &opts, &p, d, &err), MQ_EINPUT, "directory: MQ_EINPUT");
    CHECK_HAS(err.msg, "is a directory, not a file", "directory message");
    mq_diags_free(d);
}

/* Runs from the repository root (tests/run and make do); finds it otherwise. */
static int find_root(void)
{
    struct stat st;
    for (int i = 0; i < 4; i++) {
        if (stat("tests/programs/bad", &st) == 0)
            return 0;
        if (chdir("..") != 0)
            break;
    }
    return -1;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_catalogue(void)
{
    if (find_root() < 0) {
        CHECK(0, "tests/programs/bad found");
        return;
    }
    DIR *dir = opendir("tests/programs/bad");
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while (dir && (e = readdir(dir)) && n < 256) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".yaml") == 0)
            names[n++] = strdup(e->d_name);
    }
    if (dir)
        closedir(dir);
    qsort(names, n, sizeof *names, cmp_str);
    CHECK(n >= 20, "at least 20 broken programs");
    for (size_t i = 0; i < n; i++) {
        char path[512], expect[512], all[16384] = "", desc[600];
        snprintf(path, sizeof path, "tests/programs/bad/%s", names[i]);
        snprintf(expect, sizeof expect, "%.*s.expect", (int)strlen(path) - 5, path);
        mq_program *p = NULL;
        mq_diags *d = mq_diags_create();
        mq_error err;
        int r = mq_program_load(path, &opts, &p, d, &err);
        snprintf(desc, sizeof desc, "%s is refused as bad input", path);
        CHECK_INT(r, MQ_EINPUT, desc);
        for (size_t k = 0; k < mq_diags_stored(d); k++) {
            strncat(all, diag(d, k), sizeof all - strlen(all) - 2);
            strcat(all, "\n");
        }
        char *ex = read_all(expect);
        snprintf(desc, sizeof desc, "%s exists", expect);
        CHECK(ex != NULL, desc);
        char *save = NULL, *line = ex ? strtok_r(ex, "\n", &save) : NULL;
        snprintf(desc, sizeof desc, "%s: exit status 2", expect);
        CHECK_STR(line, "2", desc);
        while (line && (line = strtok_r(NULL, "\n", &save))) {
            snprintf(desc, sizeof desc, "%s: %.400s", names[i], line);
            CHECK_HAS(all, line, desc);
        }
        free(ex);
        mq_program_free(p);
        mq_diags_free(d);
        free(names[i]);
    }

    static const char *const good[] = { "tests/programs/good/minimal.yaml",
                                         "tests/programs/good/evening.yaml",
                                         "tests/programs/good/bulletin.yaml" };
    for (size_t i = 0; i < 3; i++) {
        mq_program *p = NULL;
        mq_diags *d = mq_diags_create();
        mq_error err;
        char desc[256];
        snprintf(desc, sizeof desc, "%s loads", good[i]);
        CHECK_INT(mq_program_load(good[i], &opts, &p, d, &err), MQ_OK, desc);
        for (size_t k = 0; k < mq_diags_stored(d); k++)
            printf("    %s\n", diag(d, k));
        if (p && i == 1) {
            CHECK_INT(mq_program_item_count(p), 5, "evening: five items");
            CHECK_INT(mq_program_lexicon_count(p), 4, "evening: four lexicon entries");
            CHECK_STR(mq_program_item(p, 2)->path, "tests/programs/good/files/dandang.txt",
                      "evening: read path resolved against the program's folder");
            CHECK_NEAR(mq_program_item(p, 3)->duration, 90, 0, "evening: pause 1:30");
        }
        mq_program_free(p);
        mq_diags_free(d);
    }
}

static void cleanup(void)
{
    static const char *const files[] = { "story.txt", "lex.txt", "music/bed.ogg",
                                         "music/song.ogg", "bad.txt", "nul.txt", "blank.txt",
                                         "badlex.txt" };
    char path[512];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tmp, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/music", tmp);
    rmdir(path);
    rmdir(tmp);
}

int main(void)
{
    strcpy(tmp, "/tmp/mq_test_program.XXXXXX");
    if (!mkdtemp(tmp)) {
        printf("FAIL: mkdtemp\n");
        return 1;
    }
    test_durations();
    test_levels();
    test_suggest();
    test_values();
    test_defaults();
    test_errors();
    test_errors_more();
    test_text_files();
    test_many_errors();
    test_limits();
    test_load_file();
    cleanup();
    test_catalogue();
    MQ_TEST_END();
}
