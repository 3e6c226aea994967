/* mq_clip.c — streaming audio-file decode, channel mapping and resampling;
 * see mq_clip.h. */
#include "mq_clip.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <sndfile.h>
#include <soxr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Source frames decoded per libsndfile call. */
#define CLIP_BLOCK 4096
/* -3 dB, the BS.775 coefficient for centre and surround channels. */
#define CLIP_M3DB 0.70710678f
/* MP3 lengths without a LAME/Xing frame count are estimates from mpg123:
 * allow this many frames (two MPEG frames) short before calling it truncated. */
#define CLIP_MPEG_SLACK 2304

struct mq_clip {
    SNDFILE *sf;
    SF_INFO info;
    int fd;
    char *path;
    int rate, channels;     /* output */
    int mid;                /* channels through the resampler: min(source, output) */
    float *mat;             /* mid x source down-mix matrix; NULL when source == mid */
    soxr_t rs;              /* NULL when the rates match */
    float *in;              /* CLIP_BLOCK x source channels */
    float *mixed;           /* CLIP_BLOCK x mid (only with a matrix) */
    const float *midp;      /* the current block at mid channels: in or mixed */
    size_t mid_pos, mid_len;
    float *pend;            /* resampler output, pend_cap x mid */
    const float *pendp;     /* frames ready for the caller: pend or midp */
    size_t pend_cap, pend_pos, pend_len;
    sf_count_t pos;         /* source frame of the next sf_readf_float */
    sf_count_t start;       /* source frame where this run began (open or seek) */
    unsigned long long produced; /* output frames produced since start */
    int src_eof, flushed, finished;
};

static const char *kind_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return "audio";
    static const char *const names[][2] = {
        { ".wav", "WAV" },   { ".wave", "WAV" }, { ".bwf", "WAV" },  { ".rf64", "RF64" },
        { ".flac", "FLAC" }, { ".ogg", "Ogg" },  { ".oga", "Ogg" },  { ".opus", "Opus" },
        { ".mp3", "MP3" },   { ".aif", "AIFF" }, { ".aiff", "AIFF" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcasecmp(dot, names[i][0]))
            return names[i][1];
    return "audio";
}

/* Stereo coefficients (to L', to R') of a channel at position POS. */
static void coeffs(int pos, float *l, float *r)
{
    *l = *r = 0;
    switch (pos) {
    case SF_CHANNEL_MAP_LEFT:
    case SF_CHANNEL_MAP_FRONT_LEFT:
    case SF_CHANNEL_MAP_FRONT_LEFT_OF_CENTER:
        *l = 1;
        break;
    case SF_CHANNEL_MAP_RIGHT:
    case SF_CHANNEL_MAP_FRONT_RIGHT:
    case SF_CHANNEL_MAP_FRONT_RIGHT_OF_CENTER:
        *r = 1;
        break;
    case SF_CHANNEL_MAP_MONO:
    case SF_CHANNEL_MAP_CENTER:
    case SF_CHANNEL_MAP_FRONT_CENTER:
        *l = *r = CLIP_M3DB;
        break;
    case SF_CHANNEL_MAP_REAR_LEFT:
    case SF_CHANNEL_MAP_SIDE_LEFT:
        *l = CLIP_M3DB;
        break;
    case SF_CHANNEL_MAP_REAR_RIGHT:
    case SF_CHANNEL_MAP_SIDE_RIGHT:
        *r = CLIP_M3DB;
        break;
    case SF_CHANNEL_MAP_REAR_CENTER: /* a single surround feeds Ls and Rs at -3 dB */
        *l = *r = 0.5f;
        break;
    default: /* LFE, height, ambisonic, unknown: dropped */
        break;
    }
}

/* Position of channel I of N when the file does not describe its layout. */
static int default_position(const SF_INFO *info, int i, int n)
{
    enum { L = SF_CHANNEL_MAP_FRONT_LEFT, R = SF_CHANNEL_MAP_FRONT_RIGHT,
           C = SF_CHANNEL_MAP_FRONT_CENTER, LFE = SF_CHANNEL_MAP_LFE,
           RL = SF_CHANNEL_MAP_REAR_LEFT, RR = SF_CHANNEL_MAP_REAR_RIGHT,
           SL = SF_CHANNEL_MAP_SIDE_LEFT, SR = SF_CHANNEL_MAP_SIDE_RIGHT,
           RC = SF_CHANNEL_MAP_REAR_CENTER };
    int sub = info->format & SF_FORMAT_SUBMASK;
    if ((sub == SF_FORMAT_VORBIS || sub == SF_FORMAT_OPUS) && n >= 3 && n <= 8) {
        /* Vorbis I specification, section 4.3.9 (Opus mapping family 1 is the same). */
        static const int vorbis[6][8] = {
            { L, C, R },
            { L, R, RL, RR },
            { L, C, R, RL, RR },
            { L, C, R, RL, RR, LFE },
            { L, C, R, SL, SR, RC, LFE },
            { L, C, R, SL, SR, RL, RR, LFE },
        };
        return vorbis[n - 3][i];
    }
    static const int wav[8] = { L, R, C, LFE, RL, RR, SL, SR };
    return i < 8 ? wav[i] : SF_CHANNEL_MAP_INVALID;
}

/* Builds the mid x source matrix; MQ_OK or MQ_ENOMEM. */
static int build_matrix(mq_clip *c)
{
    int n = c->info.channels;
    if (n == c->mid)
        return MQ_OK;
    c->mat = calloc((size_t)n * (size_t)c->mid, sizeof *c->mat);
    if (!c->mat)
        return MQ_ENOMEM;
    if (n == 2) { /* stereo -> mono */
        c->mat[0] = c->mat[1] = 0.5f;
        return MQ_OK;
    }
    int *map = calloc((size_t)n, sizeof *map);
    float *cl = calloc((size_t)n, sizeof *cl), *cr = calloc((size_t)n, sizeof *cr);
    if (!map || !cl || !cr) {
        free(map), free(cl), free(cr);
        return MQ_ENOMEM;
    }
    int have_map = sf_command(c->sf, SFC_GET_CHANNEL_MAP_INFO, map,
                              (int)((size_t)n * sizeof *map)) == SF_TRUE;
    float suml = 0, sumr = 0;
    for (int i = 0; i < n; i++) {
        coeffs(have_map ? map[i] : default_position(&c->info, i, n), &cl[i], &cr[i]);
        suml += cl[i];
        sumr += cr[i];
    }
    /* Peak-safe: a full-scale signal on every channel stays within full scale. */
    float peak = suml > sumr ? suml : sumr;
    float g = peak > 1 ? 1 / peak : 1;
    for (int i = 0; i < n; i++) {
        if (c->mid == 2) {
            c->mat[i] = cl[i] * g;
            c->mat[n + i] = cr[i] * g;
        } else {
            c->mat[i] = (cl[i] + cr[i]) * 0.5f * g;
        }
    }
    free(map), free(cl), free(cr);
    return MQ_OK;
}

/* libsndfile's log for the open file (a static-size copy). */
static void sf_log(SNDFILE *sf, char *buf, size_t size)
{
    buf[0] = 0;
    sf_command(sf, SFC_GET_LOG_INFO, buf, (int)size);
    buf[size - 1] = 0;
}

/* Checks what libsndfile only logs: a WAV data chunk longer than the file
 * (cut short by a crash or a partial copy) or an Ogg stream without its end
 * page. libsndfile then plays what is there without an error, but a broadcast
 * must not go out with half a jingle. */
static int check_complete(mq_clip *c, mq_error *err)
{
    char log[8192];
    sf_log(c->sf, log, sizeof log);
    int major = c->info.format & SF_FORMAT_TYPEMASK;
    if (major == SF_FORMAT_OGG && (c->info.frames == SF_COUNT_MAX || c->info.frames < 0) &&
        strstr(log, "ended unexpectedly"))
        return mq_error_set(err, MQ_EINPUT,
                            "%s: the file is truncated or damaged: the Ogg stream stops "
                            "without its end (libsndfile: File ended unexpectedly without "
                            "an End-Of-Stream flag set)", c->path);
    for (const char *line = log; line && *line;) {
        unsigned long long said, real;
        /* A data size of 0 or 0xFFFFFFFF is a streaming writer's "unknown",
         * not a truncation; a missing pad byte is not either. */
        if (sscanf(line, "data : %llu (should be %llu)", &said, &real) == 2 && said > real &&
            said != 0xFFFFFFFFull && said - real >= 4ull * (unsigned)c->info.channels) {
            return mq_error_set(err, MQ_EINPUT,
                                "%s: the file is truncated: its header announces %llu bytes "
                                "of audio but only %llu are there (%.3f s of audio)",
                                c->path, said, real,
                                (double)c->info.frames / c->info.samplerate);
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return MQ_OK;
}

int mq_clip_open(const char *path, int rate, int channels, mq_clip **out, mq_error *err)
{
    if (!out)
        return mq_error_set(err, MQ_EINVAL, "mq_clip_open: OUT is NULL");
    *out = NULL;
    if (!path)
        return mq_error_set(err, MQ_EINVAL, "mq_clip_open: PATH is NULL");
    if (rate < 1000 || rate > 384000 || channels < 1 || channels > 2)
        return mq_error_set(err, MQ_EINVAL, "%s: cannot decode to %d Hz, %d channels "
                            "(1000..384000 Hz, 1 or 2 channels)", path, rate, channels);
    mq_clip *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(path))) {
        free(c);
        return mq_error_set(err, MQ_ENOMEM, "%s: out of memory", path);
    }
    c->fd = -1;
    c->rate = rate;
    c->channels = channels;
    int rc = MQ_OK;
    struct stat st;
    c->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (c->fd < 0) {
        rc = mq_error_set(err, MQ_EIO, "%s: cannot open: %s", path, strerror(errno));
        goto fail;
    }
    if (fstat(c->fd, &st)) {
        rc = mq_error_set(err, MQ_EIO, "%s: cannot open: %s", path, strerror(errno));
        goto fail;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = mq_error_set(err, MQ_EINPUT, "%s: is a folder, not an audio file", path);
        goto fail;
    }
    if (S_ISREG(st.st_mode) && st.st_size == 0) {
        rc = mq_error_set(err, MQ_EINPUT, "%s: the file is empty (0 bytes), not %s audio",
                          path, kind_of(path));
        goto fail;
    }
    c->sf = sf_open_fd(c->fd, SFM_READ, &c->info, SF_FALSE);
    if (!c->sf) {
        int e = sf_error(NULL);
        if (e == SF_ERR_MALFORMED_FILE)
            rc = mq_error_set(err, MQ_EINPUT, "%s: the %s file is truncated or damaged "
                              "(libsndfile: %s)", path, kind_of(path), sf_strerror(NULL));
        else if (e == SF_ERR_UNSUPPORTED_ENCODING)
            rc = mq_error_set(err, MQ_EINPUT, "%s: this kind of %s file is not supported "
                              "(libsndfile: %s)", path, kind_of(path), sf_strerror(NULL));
        else
            rc = mq_error_set(err, MQ_EINPUT, "%s: not a valid %s file (libsndfile: %s)",
                              path, kind_of(path), sf_strerror(NULL));
        goto fail;
    }
    if (c->info.channels < 1 || c->info.samplerate < 1000 || c->info.samplerate > 384000) {
        rc = mq_error_set(err, MQ_EINPUT,
                          "%s: unsupported audio: %d Hz, %d channels (muqir reads "
                          "1000..384000 Hz)", path, c->info.samplerate, c->info.channels);
        goto fail;
    }
    if (c->info.frames == 0) {
        rc = mq_error_set(err, MQ_EINPUT, "%s: the file contains no audio (0 frames)", path);
        goto fail;
    }
    if ((rc = check_complete(c, err)) != MQ_OK)
        goto fail;

    c->mid = c->info.channels < channels ? c->info.channels : channels;
    if (build_matrix(c) != MQ_OK) {
        rc = mq_error_set(err, MQ_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    c->in = malloc((size_t)CLIP_BLOCK * (size_t)c->info.channels * sizeof *c->in);
    if (c->mat)
        c->mixed = malloc((size_t)CLIP_BLOCK * (size_t)c->mid * sizeof *c->mixed);
    if (!c->in || (c->mat && !c->mixed)) {
        rc = mq_error_set(err, MQ_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (c->info.samplerate != rate) {
        soxr_error_t e = NULL;
        soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
        soxr_quality_spec_t q = soxr_quality_spec(SOXR_VHQ, 0);
        /* One thread: soxr's OpenMP path would make the output timing-dependent. */
        soxr_runtime_spec_t rt = soxr_runtime_spec(1);
        c->rs = soxr_create(c->info.samplerate, rate, (unsigned)c->mid, &e, &io, &q, &rt);
        if (!c->rs || e) {
            rc = mq_error_set(err, MQ_EINTERNAL, "%s: resampler setup failed (%d -> %d Hz): %s",
                              path, c->info.samplerate, rate, e ? e : "unknown error");
            goto fail;
        }
        c->pend_cap = (size_t)((double)CLIP_BLOCK * rate / c->info.samplerate) + 256;
        c->pend = malloc(c->pend_cap * (size_t)c->mid * sizeof *c->pend);
        if (!c->pend) {
            rc = mq_error_set(err, MQ_ENOMEM, "%s: out of memory", path);
            goto fail;
        }
    }
    *out = c;
    return MQ_OK;
fail:
    mq_clip_free(c);
    return rc;
}

void mq_clip_free(mq_clip *c)
{
    if (!c)
        return;
    if (c->sf)
        sf_close(c->sf);
    if (c->fd >= 0)
        close(c->fd);
    if (c->rs)
        soxr_delete(c->rs);
    free(c->mat);
    free(c->in);
    free(c->mixed);
    free(c->pend);
    free(c->path);
    free(c);
}

double mq_clip_duration(const mq_clip *c)
{
    if (c->info.frames < 0 || c->info.frames == SF_COUNT_MAX)
        return -1.0;
    return (double)c->info.frames / c->info.samplerate;
}

int mq_clip_source_rate(const mq_clip *c) { return c->info.samplerate; }
int mq_clip_source_channels(const mq_clip *c) { return c->info.channels; }
int mq_clip_rate(const mq_clip *c) { return c->rate; }
int mq_clip_channels(const mq_clip *c) { return c->channels; }

static int known_length(const mq_clip *c)
{
    return c->info.frames > 0 && c->info.frames != SF_COUNT_MAX;
}

static void restart(mq_clip *c, sf_count_t at)
{
    c->pos = c->start = at;
    c->mid_pos = c->mid_len = 0;
    c->pend_pos = c->pend_len = 0;
    c->produced = 0;
    c->src_eof = c->flushed = c->finished = 0;
    if (c->rs)
        soxr_clear(c->rs);
}

int mq_clip_seek(mq_clip *c, double seconds, mq_error *err)
{
    if (!c || !(seconds >= 0) || isinf(seconds))
        return mq_error_set(err, MQ_EINVAL, "%s: cannot seek to %g s", c ? c->path : "clip",
                            seconds);
    double frames = floor(seconds * c->info.samplerate + 0.5);
    if (known_length(c) && frames > (double)c->info.frames)
        return mq_error_set(err, MQ_EINPUT, "%s: cannot start at %.3f s: the file is only "
                            "%.3f s long", c->path, seconds, mq_clip_duration(c));
    if (frames > (double)(SF_COUNT_MAX / 2))
        return mq_error_set(err, MQ_EINPUT, "%s: cannot start at %.3f s", c->path, seconds);
    sf_count_t at = (sf_count_t)frames;
    if (known_length(c) && at == c->info.frames) {
        restart(c, at);
        c->src_eof = 1;
        return MQ_OK;
    }
    sf_count_t got = sf_seek(c->sf, at, SEEK_SET);
    if (got != at) {
        int code = sf_error(c->sf) == SF_ERR_SYSTEM ? MQ_EIO : MQ_EINPUT;
        return mq_error_set(err, code, "%s: cannot seek to %.3f s (libsndfile: %s)", c->path,
                            seconds, sf_strerror(c->sf));
    }
    restart(c, at);
    return MQ_OK;
}

/* Decodes the next block into midp/mid_len, or sets src_eof. */
static int read_block(mq_clip *c, mq_error *err)
{
    sf_count_t got = sf_readf_float(c->sf, c->in, CLIP_BLOCK);
    if (got < 0)
        got = 0;
    int e = sf_error(c->sf);
    if (e != SF_ERR_NO_ERROR)
        return mq_error_set(err, e == SF_ERR_SYSTEM ? MQ_EIO : MQ_EINPUT,
                            "%s: the file is truncated or damaged at %.3f s (libsndfile: %s)", c->path,
                            (double)(c->pos + got) / c->info.samplerate, sf_strerror(c->sf));
    if (got == 0) {
        if (!known_length(c) && (c->info.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_OGG) {
            /* libsndfile's Opus reader only notices the missing end page here. */
            char log[8192];
            sf_log(c->sf, log, sizeof log);
            if (strstr(log, "ended unexpectedly"))
                return mq_error_set(err, MQ_EINPUT,
                                    "%s: the audio stops at %.3f s: the file is truncated or "
                                    "damaged (libsndfile: File ended unexpectedly without an "
                                    "End-Of-Stream flag set)",
                                    c->path, (double)c->pos / c->info.samplerate);
        }
        if (known_length(c)) {
            sf_count_t slack = (c->info.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_MPEG
                                   ? CLIP_MPEG_SLACK : 0;
            if (c->pos + slack < c->info.frames)
                return mq_error_set(err, MQ_EINPUT,
                                    "%s: the audio ends at %.3f s but the file says it is "
                                    "%.3f s long: the file is truncated or damaged",
                                    c->path, (double)c->pos / c->info.samplerate,
                                    mq_clip_duration(c));
        }
        c->src_eof = 1;
        return MQ_OK;
    }
    c->pos += got;
    c->mid_pos = 0;
    c->mid_len = (size_t)got;
    if (!c->mat) {
        c->midp = c->in;
        return MQ_OK;
    }
    int n = c->info.channels, m = c->mid;
    for (size_t f = 0; f < (size_t)got; f++) {
        const float *x = c->in + f * (size_t)n;
        for (int o = 0; o < m; o++) {
            const float *row = c->mat + (size_t)o * (size_t)n;
            float s = 0;
            for (int i = 0; i < n; i++)
                s += row[i] * x[i];
            c->mixed[f * (size_t)m + (size_t)o] = s;
        }
    }
    c->midp = c->mixed;
    return MQ_OK;
}

/* Output frames this run must produce in all, once the source has ended. */
static unsigned long long expected_out(const mq_clip *c)
{
    unsigned long long in = (unsigned long long)(c->pos - c->start);
    if (!c->rs)
        return in;
    return (in * (unsigned long long)c->rate + (unsigned long long)c->info.samplerate / 2) /
           (unsigned long long)c->info.samplerate;
}

/* Makes frames ready in pendp/pend_len, or sets finished. */
static int fill(mq_clip *c, mq_error *err)
{
    c->pend_pos = c->pend_len = 0;
    while (c->pend_len == 0 && !c->finished) {
        if (c->mid_pos == c->mid_len && !c->src_eof) {
            int rc = read_block(c, err);
            if (rc != MQ_OK)
                return rc;
        }
        size_t avail = c->mid_len - c->mid_pos;
        if (!c->rs) {
            if (avail) {
                c->pendp = c->midp + c->mid_pos * (size_t)c->mid;
                c->pend_len = avail;
                c->mid_pos = c->mid_len;
                c->produced += avail;
            } else if (c->src_eof) {
                c->finished = 1;
            }
            continue;
        }
        size_t idone = 0, odone = 0;
        soxr_error_t e;
        if (avail)
            e = soxr_process(c->rs, c->midp + c->mid_pos * (size_t)c->mid, avail, &idone,
                             c->pend, c->pend_cap, &odone);
        else if (c->src_eof && !c->flushed)
            e = soxr_process(c->rs, NULL, 0, NULL, c->pend, c->pend_cap, &odone);
        else
            e = NULL;
        if (e)
            return mq_error_set(err, MQ_EINTERNAL, "%s: resampling failed: %s", c->path, e);
        c->mid_pos += idone;
        c->pendp = c->pend;
        if (!avail && c->src_eof && odone == 0)
            c->flushed = 1;
        if (c->src_eof) {
            /* Trim the flushed tail to the exact length, or pad if soxr gave less. */
            unsigned long long want = expected_out(c);
            unsigned long long left = want > c->produced ? want - c->produced : 0;
            if (odone > left)
                odone = (size_t)left;
            if (c->flushed && odone < left) {
                size_t pad = c->pend_cap - odone;
                if (pad > left - odone)
                    pad = (size_t)(left - odone);
                memset(c->pend + odone * (size_t)c->mid, 0, pad * (size_t)c->mid * sizeof *c->pend);
                odone += pad;
            }
            if (odone == 0 && (left == 0 || c->flushed))
                c->finished = 1;
        }
        c->pend_len = odone;
        c->produced += odone;
    }
    return MQ_OK;
}

long mq_clip_read(mq_clip *c, float *buf, size_t n, mq_error *err)
{
    if (!c || (!buf && n))
        return mq_error_set(err, MQ_EINVAL, "mq_clip_read: NULL argument");
    if (n > (size_t)LONG_MAX)
        n = (size_t)LONG_MAX;
    size_t done = 0;
    while (done < n) {
        if (c->pend_pos == c->pend_len) {
            if (c->finished)
                break;
            int rc = fill(c, err);
            if (rc != MQ_OK) {
                c->finished = 1;
                c->src_eof = 1;
                c->pend_pos = c->pend_len = 0;
                return rc;
            }
            continue;
        }
        size_t k = c->pend_len - c->pend_pos;
        if (k > n - done)
            k = n - done;
        const float *src = c->pendp + c->pend_pos * (size_t)c->mid;
        float *dst = buf + done * (size_t)c->channels;
        if (c->mid == c->channels) {
            memcpy(dst, src, k * (size_t)c->channels * sizeof *dst);
        } else { /* mono -> stereo at equal level */
            for (size_t i = 0; i < k; i++)
                dst[2 * i] = dst[2 * i + 1] = src[i];
        }
        done += k;
        c->pend_pos += k;
    }
    return (long)done;
}
