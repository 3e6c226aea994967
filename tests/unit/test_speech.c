/* test_speech.c — voice presets and eSpeak NG: presets load and are checked,
 * pinyin is spoken as Mandarin, phrases are trimmed, pauses are the preset's. */
#include "mq_test.h"
#include "speech/mq_speak.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_presets(void)
{
    mq_voiceset *vs = NULL;
    mq_error err = { 0 };
    CHECK_INT(mq_voiceset_open("voices", &vs, NULL, &err), MQ_OK, "the shipped presets load");
    CHECK(mq_voiceset_count(vs) >= 4, "at least four presets");
    const char *want[] = { "announcer", "narrator", "host-female", "elder-slow" };
    for (int i = 0; i < 4; i++)
        CHECK(mq_voiceset_find(vs, want[i]) != NULL, want[i]);
    const mq_voice *slow = mq_voiceset_find(vs, "elder-slow");
    const mq_voice *news = mq_voiceset_find(vs, "announcer");
    CHECK(slow && news && slow->rate < news->rate, "elder-slow speaks slower than announcer");
    CHECK(slow && news && slow->pause_sentence > news->pause_sentence,
          "elder-slow pauses longer");
    mq_voiceset_free(vs);

    char dir[] = "/tmp/mq_test_voice_XXXXXX";
    mkdtemp(dir);
    char path[256];
    snprintf(path, sizeof path, "%s/bad.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs("rate: 9000\npitch: high\nspeed: 3\npause: { comma: forever }\n", f);
    fclose(f);
    mq_diags *d = mq_diags_create();
    mq_voice *v = NULL;
    CHECK_INT(mq_voice_load(path, &v, d, &err), MQ_EINPUT, "a broken preset is refused");
    CHECK_INT(mq_diags_count(d), 4, "with one message per problem");
    CHECK_HAS(mq_diags_get(d, 0)->message, "from 80 to 450", "rate range stated");
    CHECK_INT(mq_diags_get(d, 0)->line, 1, "rate error on line 1");
    CHECK_HAS(mq_diags_get(d, 2)->message, "unknown key 'speed'", "unknown key named");
    mq_diags_free(d);
    unlink(path);
    rmdir(dir);
}

static void test_synthesis(void)
{
    mq_speech *sp = NULL, *sp2 = NULL;
    mq_error err = { 0 };
    CHECK_INT(mq_speech_create(NULL, &sp, &err), MQ_OK, "eSpeak NG starts");
    CHECK_INT(mq_speech_create(NULL, &sp2, &err), MQ_EINVAL, "a second synthesizer is refused");
    CHECK_INT(mq_speech_rate(sp), 22050, "eSpeak NG speaks at 22050 Hz");
    mq_voice v = { .name = "t", .rate = 175, .pitch = 50, .range = 50, .volume = 100,
                   .pause_comma = 0.2, .pause_sentence = 0.5, .pause_paragraph = 1.0 };
    const float *buf = NULL;
    size_t len = 0;
    CHECK_INT(mq_speech_phrase(sp, &v, NULL, "ni3 hao3", '.', &buf, &len, &err), MQ_OK,
              "a phrase is spoken");
    CHECK(len > 22050 / 4 && len < 22050, "ni3 hao3 lasts a quarter to one second");
    CHECK(len && fabs(buf[0]) < 0.05 && fabs(buf[len - 1]) < 0.05,
          "trimmed edges start and end quietly");
    size_t one = len;
    mq_speech_params fast = { .rate = 350 };
    mq_speech_phrase(sp, &v, &fast, "ni3 hao3", '.', &buf, &len, &err);
    CHECK(len < one, "a faster rate gives a shorter phrase");
    char ph[512];
    CHECK_INT(mq_speech_phonemes(sp, &v, "ni3 hao3", ph, sizeof ph, &err), MQ_OK, "phonemes");
    CHECK_STR(ph, "n'i35_| X'Au214_|", "ni3 hao3 is Mandarin with eSpeak NG's 3-3 sandhi");

    /* A reading spoken with pauses: sentence times come back in order. */
    mq_reader *rd = NULL;
    CHECK_INT(mq_reader_create("voices/lexicon", &rd, &err), MQ_OK, "reader");
    mq_reading *r = NULL;
    const char *t = "你好。再见。";
    mq_reader_read(rd, t, strlen(t), &r, &err);
    mq_buf out = { .channels = 1 };
    struct { size_t n, start[4], end[4]; } times = { 0 };
    mq_sentence_cb cb = NULL;
    (void)cb;
    mq_speak_opts so = { .rate = 48000 };
    CHECK_INT(mq_speak_reading(sp, &v, r, &so, &out, &err), MQ_OK, "a reading is spoken");
    size_t total = out.frames;
    out.frames = 0;
    volatile sig_atomic_t stop = 1;
    so.stop = &stop;
    CHECK_INT(mq_speak_reading(sp, &v, r, &so, &out, &err), MQ_EINTERRUPTED,
              "a stop request interrupts");
    (void)times;
    CHECK(total > (size_t)(0.5 * 48000), "two sentences and a 0.5 s pause last over 0.5 s");
    mq_buf_free(&out);
    mq_reading_free(r);
    mq_reader_free(rd);
    mq_speech_free(sp);
    CHECK_INT(mq_speech_create(NULL, &sp, &err), MQ_OK, "eSpeak NG restarts after free");
    mq_speech_free(sp);
}

/* FNV-1a of N bytes at P, continuing from H. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}
#define FNV_START 1469598103934665603ull

/* Runs FN(ARG, MSG) in a process forked from this one (as a synthesis worker
 * is forked from the process holding the synthesizer) and brings back the
 * four numbers it sets; all 0 when it fails. */
static void in_child(int (*fn)(void *arg, uint64_t msg[4]), void *arg, uint64_t msg[4])
{
    int fd[2];
    msg[0] = msg[1] = msg[2] = msg[3] = 0;
    if (pipe(fd))
        return;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        uint64_t m[4] = { 0, 0, 0, 0 };
        _exit(fn(arg, m) || write(fd[1], m, sizeof m) != (ssize_t)sizeof m);
    }
    close(fd[1]);
    if (pid < 0 || read(fd[0], msg, 4 * sizeof *msg) != (ssize_t)(4 * sizeof *msg))
        msg[0] = msg[1] = msg[2] = msg[3] = 0;
    close(fd[0]);
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

/* PRE, when not NULL, selected first (as the background synthesis does
 * before it forks), then a reading's reset and a phrase with V: the
 * samples' checksum and count. */
typedef struct phrase_job {
    mq_speech *sp;
    const mq_voice *pre, *v;
} phrase_job;

static int speak_phrase(void *arg, uint64_t msg[4])
{
    phrase_job *j = arg;
    const float *buf = NULL;
    size_t len = 0;
    if (j->pre)
        mq_speech_select(j->sp, j->pre, NULL);
    mq_speech_reset(j->sp);
    if (mq_speech_phrase(j->sp, j->v, NULL, "ge4 wei4 xiang1 qin1", ',', &buf, &len, NULL))
        return 1;
    msg[0] = fnv(FNV_START, buf, len * sizeof *buf);
    msg[1] = len;
    return 0;
}

static uint64_t speak_forked(mq_speech *sp, const mq_voice *pre, const mq_voice *v, size_t *n)
{
    phrase_job j = { sp, pre, v };
    uint64_t msg[4];
    in_child(speak_phrase, &j, msg);
    *n = (size_t)msg[1];
    return msg[0];
}

/* A worker speaks as if it had selected its voice itself, whatever its
 * parent selected before forking it (mq_speech_select): the voice it uses,
 * another one, or none. */
static void test_preselected_voice(void)
{
    mq_speech *sp = NULL;
    if (mq_speech_create(NULL, &sp, NULL) != MQ_OK) {
        CHECK(0, "eSpeak NG starts");
        return;
    }
    mq_voice m3 = { .name = "m3", .variant = "m3", .rate = 160, .pitch = 45, .range = 50,
                    .volume = 100 };
    mq_voice f2 = { .name = "f2", .variant = "f2", .rate = 170, .pitch = 60, .range = 60,
                    .volume = 100 };
    size_t n0, n1, n2;
    uint64_t own = speak_forked(sp, NULL, &m3, &n0), same = speak_forked(sp, &m3, &m3, &n1),
             other = speak_forked(sp, &f2, &m3, &n2);
    CHECK(own != 0 && n0 > 22050 / 4, "a worker speaks");
    CHECK(same == own && n1 == n0, "with its voice selected before the fork: the same samples");
    CHECK(other == own && n2 == n0, "with another voice selected before it: the same samples");
    CHECK_INT(mq_speech_select(sp, NULL, NULL), MQ_EINVAL, "no voice: refused");
    mq_speech_free(sp);
}

/* A reading spoken (through a sink, in pieces, when SINK is set): the
 * checksums of its samples and of its sentence times, its frame count, and
 * what OUT still holds at the end (with a sink) or the pieces (without). */
typedef struct sunk {
    uint64_t h;
    size_t n, pieces;
} sunk;

static int to_sunk(void *user, const float *x, size_t n, mq_error *err)
{
    (void)err;
    sunk *k = user;
    k->h = fnv(k->h, x, n * sizeof *x);
    k->n += n;
    k->pieces++;
    return MQ_OK;
}

static int note_times(void *user, const char *text, size_t start, size_t end)
{
    (void)text;
    uint64_t *h = user;
    *h = fnv(fnv(*h, &start, sizeof start), &end, sizeof end);
    return 0;
}

typedef struct reading_job {
    mq_speech *sp;
    const mq_voice *v;
    const mq_reading *r;
    int sink;
} reading_job;

static int speak_reading(void *arg, uint64_t msg[4])
{
    reading_job *j = arg;
    uint64_t times = FNV_START;
    sunk k = { FNV_START, 0, 0 };
    mq_buf out = { .channels = 1 };
    mq_speak_opts so = { .rate = 48000, .on_sentence = note_times, .user = &times,
                         .sink = j->sink ? to_sunk : NULL, .sink_user = &k };
    if (mq_speak_reading(j->sp, j->v, j->r, &so, &out, NULL) != MQ_OK)
        return 1;
    if (!j->sink)
        to_sunk(&k, out.data, out.frames, NULL);
    msg[0] = k.h;
    msg[1] = times;
    msg[2] = k.n;
    msg[3] = j->sink ? out.frames : k.pieces;
    return 0;
}

/* Through a sink (as a synthesis process writes the cache), a reading gives
 * the samples and sentence times it gives in a buffer, in pieces. */
static void test_sink(void)
{
    mq_speech *sp = NULL;
    mq_reader *rd = NULL;
    mq_reading *r = NULL;
    mq_error err = { 0 };
    const char *t = "各位乡亲，晚上好。今天的节目，现在开始。";
    if (mq_speech_create(NULL, &sp, &err) != MQ_OK ||
        mq_reader_create("voices/lexicon", &rd, &err) != MQ_OK ||
        mq_reader_read(rd, t, strlen(t), &r, &err) != MQ_OK) {
        CHECK(0, "eSpeak NG and the reader start");
        mq_speech_free(sp);
        mq_reader_free(rd);
        return;
    }
    mq_voice v = { .name = "t", .rate = 175, .pitch = 50, .range = 50, .volume = 100,
                   .pause_comma = 0.2, .pause_sentence = 0.5, .pause_paragraph = 1.0 };
    uint64_t whole[4], piece[4];
    reading_job jw = { sp, &v, r, 0 }, jp = { sp, &v, r, 1 };
    in_child(speak_reading, &jw, whole);
    in_child(speak_reading, &jp, piece);
    CHECK(whole[0] != 0 && whole[2] > 48000, "a reading is spoken into a buffer");
    CHECK(piece[0] == whole[0] && piece[2] == whole[2], "through a sink: the same samples");
    CHECK(piece[1] == whole[1], "and the same sentence times");
    CHECK(piece[3] == 0, "the sink has them all: the buffer holds none at the end");
    mq_reading_free(r);
    mq_reader_free(rd);
    mq_speech_free(sp);
}

int main(void)
{
    test_presets();
    test_synthesis();
    test_preselected_voice();
    test_sink();
    MQ_TEST_END();
}
