/* mq_speech.c — eSpeak NG in synchronous mode; see mq_speech.h. */
#include "mq_speech.h"

#include <espeak-ng/speak_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MQ_ESPEAK_VOICE "cmn-latn-pinyin"

struct mq_speech {
    int rate;
    const char *version;
    /* Where the synth callback appends: a phrase's samples until the next one. */
    float *buf;
    size_t len, cap;
    int oom;
    char voice_key[128]; /* the voice+variant last selected, to skip re-selecting */
    int spoke;           /* something was synthesized since it was selected */
};

static int g_alive;  /* eSpeak NG has process-global state: one handle at a time. */
static int g_rate;   /* its sample rate once initialized; 0 before */

/* eSpeak NG 1.51 deadlocks in espeak_Terminate after a second
 * espeak_Initialize (seen here: its internal thread waits forever), so it is
 * initialized once per process and terminated once, at exit. */
static void terminate_at_exit(void)
{
    espeak_Terminate();
}

static int synth_cb(short *wav, int n, espeak_EVENT *events)
{
    mq_speech *sp = events ? events->user_data : NULL;
    if (!sp || !wav || n <= 0)
        return 0;
    if (sp->len + (size_t)n > sp->cap) {
        size_t cap = sp->cap ? sp->cap : 16384;
        while (cap < sp->len + (size_t)n)
            cap *= 2;
        float *nb = realloc(sp->buf, cap * sizeof *nb);
        if (!nb) {
            sp->oom = 1;
            return 1; /* abort synthesis */
        }
        sp->buf = nb;
        sp->cap = cap;
    }
    for (int i = 0; i < n; i++)
        sp->buf[sp->len++] = wav[i] / 32768.0f;
    return 0;
}

int mq_speech_create(const char *data_path, mq_speech **out, mq_error *err)
{
    *out = NULL;
    if (g_alive)
        return mq_error_set(err, MQ_EINVAL, "eSpeak NG is already in use in this process");
    mq_speech *sp = calloc(1, sizeof *sp);
    if (!sp)
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    if (!g_rate) {
        /* DONT_EXIT: without it eSpeak NG calls exit() when its data is missing. */
        int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 200, data_path,
                                     espeakINITIALIZE_DONT_EXIT);
        if (rate <= 0) {
            free(sp);
            return mq_error_set(err, MQ_ESYNTH,
                                "eSpeak NG could not start (data folder %s missing or unreadable)",
                                data_path ? data_path : "default");
        }
        g_rate = rate;
        atexit(terminate_at_exit);
    }
    if (espeak_SetVoiceByName(MQ_ESPEAK_VOICE) != EE_OK) {
        free(sp);
        return mq_error_set(err, MQ_ESYNTH,
                            "eSpeak NG has no '%s' voice (package espeak-ng-data)", MQ_ESPEAK_VOICE);
    }
    snprintf(sp->voice_key, sizeof sp->voice_key, "%s", MQ_ESPEAK_VOICE);
    espeak_SetSynthCallback(synth_cb);
    espeak_Info(&sp->version);
    sp->rate = g_rate;
    g_alive = 1;
    *out = sp;
    return MQ_OK;
}

void mq_speech_free(mq_speech *sp)
{
    if (!sp)
        return;
    free(sp->buf);
    free(sp);
    g_alive = 0;
}

int mq_speech_rate(const mq_speech *sp) { return sp->rate; }
const char *mq_speech_version(const mq_speech *sp) { return sp->version ? sp->version : "?"; }

const char *mq_speech_engine_version(void)
{
    const char *v = espeak_Info(NULL);
    return v ? v : "?";
}

void mq_speech_reset(mq_speech *sp)
{
    /* A voice selected and not yet used is the state its selection gave:
     * selecting it again would give that state again (a synthesis process
     * finds the voice its parent chose for it, mq_speech_select, 2 ms a
     * process). */
    if (sp->spoke)
        sp->voice_key[0] = '\0';
}

static int select_voice(mq_speech *sp, const mq_voice *v, const mq_speech_params *par,
                        mq_error *err)
{
    char key[128];
    snprintf(key, sizeof key, "%s%s%s", MQ_ESPEAK_VOICE, v->variant ? "+" : "",
             v->variant ? v->variant : "");
    if (strcmp(key, sp->voice_key)) {
        if (espeak_SetVoiceByName(key) != EE_OK)
            return mq_error_set(err, MQ_ESYNTH, "voice '%s': eSpeak NG has no voice '%s'",
                                v->name, key);
        snprintf(sp->voice_key, sizeof sp->voice_key, "%s", key);
        sp->spoke = 0;
    }
    int rate = par && par->rate > 0 ? par->rate : v->rate;
    int pitch = par && par->pitch > 0 ? par->pitch : v->pitch;
    espeak_SetParameter(espeakRATE, rate, 0);
    espeak_SetParameter(espeakPITCH, pitch, 0);
    espeak_SetParameter(espeakRANGE, v->range, 0);
    espeak_SetParameter(espeakVOLUME, v->volume, 0);
    espeak_SetParameter(espeakWORDGAP, v->word_gap, 0);
    return MQ_OK;
}

int mq_speech_select(mq_speech *sp, const mq_voice *v, mq_error *err)
{
    if (!sp || !v)
        return mq_error_set(err, MQ_EINVAL, "no synthesizer or no voice");
    return select_voice(sp, v, NULL, err);
}

/* Samples below this are silence for trimming: about -54 dBFS. */
#define MQ_SILENCE 0.002f
/* Kept around the voiced part so that onsets and releases are not clipped. */
#define MQ_EDGE_MS 15

int mq_speech_phrase(mq_speech *sp, const mq_voice *v, const mq_speech_params *par,
                     const char *pinyin, char end, const float **x, size_t *n, mq_error *err)
{
    *x = NULL;
    *n = 0;
    int rc = select_voice(sp, v, par, err);
    if (rc != MQ_OK)
        return rc;
    size_t len = strlen(pinyin);
    char *text = malloc(len + 3);
    if (!text)
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    memcpy(text, pinyin, len);
    text[len] = strchr(".,?!", end) && end ? end : '.';
    text[len + 1] = '\0';
    sp->len = 0;
    sp->oom = 0;
    espeak_ERROR e = espeak_Synth(text, len + 2, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, NULL, sp);
    sp->spoke = 1;
    free(text);
    if (sp->oom)
        return mq_error_set(err, MQ_ENOMEM, "out of memory during synthesis");
    if (e != EE_OK)
        return mq_error_set(err, MQ_ESYNTH, "eSpeak NG failed to speak \"%.60s\" (error %d)",
                            pinyin, (int)e);
    size_t a = 0, b = sp->len, edge = (size_t)sp->rate * MQ_EDGE_MS / 1000;
    while (a < b && sp->buf[a] < MQ_SILENCE && sp->buf[a] > -MQ_SILENCE)
        a++;
    while (b > a && sp->buf[b - 1] < MQ_SILENCE && sp->buf[b - 1] > -MQ_SILENCE)
        b--;
    a = a > edge ? a - edge : 0;
    b = b + edge < sp->len ? b + edge : sp->len;
    *x = sp->buf ? sp->buf + a : NULL;
    *n = b - a;
    return MQ_OK;
}

int mq_speech_phonemes(mq_speech *sp, const mq_voice *v, const char *pinyin,
                       char *out, size_t size, mq_error *err)
{
    if (!size)
        return mq_error_set(err, MQ_EINVAL, "no room for phonemes");
    out[0] = '\0';
    int rc = select_voice(sp, v, NULL, err);
    if (rc != MQ_OK)
        return rc;
    /* The phoneme trace of a real synthesis, as `espeak-ng -x` prints it:
     * espeak_TextToPhonemes would show the phonemes before the synthesizer's
     * own tone sandhi, not what is heard. */
    char *trace = NULL;
    size_t tlen = 0;
    FILE *f = open_memstream(&trace, &tlen);
    if (!f)
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    espeak_SetPhonemeTrace(espeakPHONEMES_SHOW, f);
    sp->len = 0;
    sp->oom = 0;
    espeak_ERROR e = espeak_Synth(pinyin, strlen(pinyin) + 1, 0, POS_CHARACTER, 0,
                                  espeakCHARS_UTF8, NULL, sp);
    sp->spoke = 1;
    espeak_SetPhonemeTrace(0, NULL);
    fclose(f);
    if (e != EE_OK || sp->oom) {
        free(trace);
        return mq_error_set(err, MQ_ESYNTH, "eSpeak NG failed on \"%.60s\"", pinyin);
    }
    /* Clauses come one a line; fold all white space to single spaces. */
    size_t w = 0;
    for (size_t i = 0; i < tlen && w + 1 < size; i++) {
        int space = trace[i] == ' ' || trace[i] == '\n' || trace[i] == '\t';
        if (space && (w == 0 || out[w - 1] == ' '))
            continue;
        out[w++] = space ? ' ' : trace[i];
    }
    while (w > 0 && out[w - 1] == ' ')
        w--;
    out[w] = '\0';
    free(trace);
    return MQ_OK;
}
