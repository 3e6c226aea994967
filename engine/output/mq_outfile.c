/* mq_outfile.c — safe audio export with libsndfile; see mq_outfile.h. */
#define _GNU_SOURCE /* sync_file_range */
#include "mq_outfile.h"
#include "../util/mq_release.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

struct mq_outfile {
    SNDFILE *sf;
    int fd;
    size_t frames;
    size_t max_frames;   /* a plain WAV's 4 GB limit in frames; 0 = none */
    char path[PATH_MAX];
    char tmp[PATH_MAX];
    int bext;            /* a bext chunk was written at open */
    struct tm tm;        /* its origination date and time */
    char title[256];     /* and its description */
    size_t unsynced;     /* frames written since the disk was last asked to start */
    int pcm16;           /* 16-bit PCM: converted here (mq_float_to_pcm16) */
    int channels;
    short *conv;         /* room for CONV_FRAMES frames of 16-bit samples */
    XXH3_state_t *sum;   /* pcm16 on a little-endian machine: of the bytes in
                            the data chunk, as they are written */
};

#define CONV_FRAMES 4096

/* 1M frames: 4 MB of 16-bit stereo. */
#define SYNC_EVERY_FRAMES ((size_t)1 << 20)

/* A RIFF size field is 32 bits; keep 1 MiB for the header chunks. */
#define WAV_DATA_LIMIT (0xFFFFFFFFull - (1ull << 20))

enum kind { K_WAV, K_FLAC, K_OGG, K_OPUS, K_MP3 };

static int kind_for(const char *path, enum kind *k)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return -1;
    static const struct { const char *ext; enum kind k; } exts[] = {
        { ".wav", K_WAV }, { ".flac", K_FLAC }, { ".ogg", K_OGG },
        { ".opus", K_OPUS }, { ".mp3", K_MP3 },
    };
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (!strcasecmp(dot, exts[i].ext)) {
            *k = exts[i].k;
            return 0;
        }
    return -1;
}

static int bytes_per_sample(mq_sample_format fmt)
{
    return fmt == MQ_PCM_24 ? 3 : fmt == MQ_FLOAT_32 ? 4 : 2;
}

/* The libsndfile format for K, or a negative code with ERR set when the
 * format cannot hold RATE / CHANNELS. */
static int sf_format_for(const char *path, enum kind k, mq_sample_format fmt, int rate,
                         int channels, size_t expected, int *sf_format, mq_error *err)
{
    int sub = fmt == MQ_PCM_24 ? SF_FORMAT_PCM_24 : fmt == MQ_FLOAT_32 ? SF_FORMAT_FLOAT
                                                                       : SF_FORMAT_PCM_16;
    switch (k) {
    case K_WAV: {
        unsigned long long bytes = (unsigned long long)expected * (unsigned)channels *
                                   (unsigned)bytes_per_sample(fmt);
        *sf_format = (bytes > WAV_DATA_LIMIT ? SF_FORMAT_RF64 : SF_FORMAT_WAV) | sub;
        return MQ_OK;
    }
    case K_FLAC:
        *sf_format = SF_FORMAT_FLAC | (fmt == MQ_PCM_16 ? SF_FORMAT_PCM_16 : SF_FORMAT_PCM_24);
        return MQ_OK;
    case K_OGG:
        *sf_format = SF_FORMAT_OGG | SF_FORMAT_VORBIS;
        return MQ_OK;
    case K_OPUS:
        if (rate != 48000 && rate != 24000 && rate != 16000 && rate != 12000 && rate != 8000)
            return mq_error_set(err, MQ_EUNSUPPORTED,
                                "%s: Opus cannot be written at %d Hz; it takes only 48000, "
                                "24000, 16000, 12000 or 8000 Hz (use 48000)", path, rate);
        *sf_format = SF_FORMAT_OGG | SF_FORMAT_OPUS;
        return MQ_OK;
    case K_MP3:
        if (rate != 48000 && rate != 44100 && rate != 32000 && rate != 24000 &&
            rate != 22050 && rate != 16000 && rate != 12000 && rate != 11025 && rate != 8000)
            return mq_error_set(err, MQ_EUNSUPPORTED,
                                "%s: MP3 cannot be written at %d Hz; it takes 48000, 44100, "
                                "32000, 24000, 22050, 16000, 12000, 11025 or 8000 Hz", path,
                                rate);
        if (channels > 2)
            return mq_error_set(err, MQ_EUNSUPPORTED,
                                "%s: MP3 holds 1 or 2 channels, not %d; use .flac, .ogg, "
                                ".opus or .wav", path, channels);
        *sf_format = SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III;
        return MQ_OK;
    }
    return mq_error_set(err, MQ_EINTERNAL, "%s: no libsndfile format for this name", path);
}

/* Copies the first bytes of S into DST[SIZE] (not NUL-terminated when full),
 * cutting at a UTF-8 character boundary; the rest of DST is zeroed. */
static void copy_utf8(char *dst, size_t size, const char *s)
{
    memset(dst, 0, size);
    if (!s)
        return;
    size_t n = strlen(s);
    if (n > size) {
        n = size;
        /* Back up over continuation bytes (10xxxxxx) to a lead byte and drop it. */
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, s, n);
}

/* Loudness in 1/100 units as bext v2 stores it; 0x7FFF when unknown. */
static int16_t centi(double v)
{
    if (isnan(v))
        return 0x7FFF;
    double c = floor(v * 100 + 0.5);
    if (c > 32766)
        c = 32766;
    if (c < -32768)
        c = -32768;
    return (int16_t)c;
}

/* The time to stamp: SOURCE_DATE_EPOCH (UTC) or now (local time). */
static int stamp_time(const char *path, struct tm *tm, mq_error *err)
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *end;
        errno = 0;
        long long v = strtoll(sde, &end, 10);
        if (errno || *end || v < 0 || (long long)(time_t)v != v)
            return mq_error_set(err, MQ_EINPUT,
                                "%s: SOURCE_DATE_EPOCH=\"%s\" is not a number of seconds "
                                "since 1970", path, sde);
        time_t t = (time_t)v;
        if (!gmtime_r(&t, tm))
            return mq_error_set(err, MQ_EINPUT, "%s: SOURCE_DATE_EPOCH=%s is out of range",
                                path, sde);
        return 1;
    }
    time_t now = time(NULL);
    if (!localtime_r(&now, tm))
        memset(tm, 0, sizeof *tm);
    return 0;
}

static void format_stamp(const struct tm *tm, char date[MQ_STAMP_DATE],
                         char tod[MQ_STAMP_TIME])
{
    char d[32], t[32];
    snprintf(d, sizeof d, "%04d-%02d-%02d", (tm->tm_year + 1900) % 10000,
             (tm->tm_mon + 1) % 100, tm->tm_mday % 100);
    snprintf(t, sizeof t, "%02d:%02d:%02d", tm->tm_hour % 100, tm->tm_min % 100,
             tm->tm_sec % 100);
    snprintf(date, MQ_STAMP_DATE, "%.10s", d);
    snprintf(tod, MQ_STAMP_TIME, "%.8s", t);
}

int mq_outfile_stamp(char date[MQ_STAMP_DATE], char tod[MQ_STAMP_TIME], mq_error *err)
{
    struct tm tm;
    int rc = stamp_time("SOURCE_DATE_EPOCH", &tm, err);
    if (rc < 0)
        return rc;
    format_stamp(&tm, date, tod);
    return MQ_OK;
}

static int write_bext(mq_outfile *f, const mq_outfile_meta *meta, const struct tm *tm,
                      mq_error *err)
{
    SF_BROADCAST_INFO bi;
    memset(&bi, 0, sizeof bi);
    copy_utf8(bi.description, sizeof bi.description, meta->title);
    copy_utf8(bi.originator, sizeof bi.originator,
              meta->originator ? meta->originator : "muqir");
    char date[MQ_STAMP_DATE], tod[MQ_STAMP_TIME];
    format_stamp(tm, date, tod);
    memcpy(bi.origination_date, date, sizeof bi.origination_date);
    memcpy(bi.origination_time, tod, sizeof bi.origination_time);
    bi.version = 2;
    bi.loudness_value = centi(meta->loudness);
    bi.loudness_range = centi(meta->loudness_range);
    bi.max_true_peak_level = centi(meta->true_peak);
    bi.max_momentary_loudness = centi(meta->max_momentary);
    bi.max_shortterm_loudness = centi(meta->max_short_term);
    bi.coding_history_size = 0;
    if (sf_command(f->sf, SFC_SET_BROADCAST_INFO, &bi, (int)sizeof bi) != SF_TRUE)
        return mq_error_set(err, MQ_EIO, "%s: cannot write the bext chunk: %s", f->path,
                            sf_strerror(f->sf));
    return MQ_OK;
}

int mq_outfile_update_meta(mq_outfile *f, const mq_outfile_meta *meta, mq_error *err)
{
    if (!f->bext)
        return MQ_OK;
    /* libsndfile accepts new broadcast info after audio only when a bext
     * chunk was set before it; the chunk keeps its size (same coding
     * history), and the header is rewritten when the file is closed. */
    mq_outfile_meta m = *meta;
    m.title = f->title;
    return write_bext(f, &m, &f->tm, err);
}

int mq_outfile_open(const char *path, int rate, int channels, mq_sample_format fmt,
                    mq_outfile **out, mq_error *err)
{
    return mq_outfile_open_meta(path, rate, channels, fmt, NULL, out, err);
}

int mq_outfile_open_meta(const char *path, int rate, int channels, mq_sample_format fmt,
                         const mq_outfile_meta *meta, mq_outfile **out, mq_error *err)
{
    *out = NULL;
    if (rate < 8000 || rate > 192000 || channels < 1 || channels > 8)
        return mq_error_set(err, MQ_EINVAL, "%s: unsupported rate %d Hz or %d channels",
                            path, rate, channels);
    enum kind k;
    if (kind_for(path, &k))
        return mq_error_set(err, MQ_EUNSUPPORTED,
                            "%s: unknown output format; use a name ending in .wav, .flac, "
                            ".ogg, .opus or .mp3", path);
    int sf_format = 0, rc;
    if ((rc = sf_format_for(path, k, fmt, rate, channels, meta ? meta->expected_frames : 0,
                            &sf_format, err)) != MQ_OK)
        return rc;
    struct tm tm;
    int fixed_date = 0;
    /* A malformed SOURCE_DATE_EPOCH matters only when a date is written. */
    if ((fixed_date = stamp_time(path, &tm, meta ? err : NULL)) < 0) {
        if (meta)
            return fixed_date;
        fixed_date = 0;
    }
    mq_outfile *f = calloc(1, sizeof *f);
    if (!f)
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    snprintf(f->path, sizeof f->path, "%s", path);
    snprintf(f->tmp, sizeof f->tmp, "%.*s.%s.XXXXXX", dirlen, path, slash ? slash + 1 : path);
    f->fd = mkstemp(f->tmp);
    if (f->fd < 0) {
        int e = errno;
        free(f);
        return mq_error_set(err, MQ_EIO, "%s: cannot write there: %s", path, strerror(e));
    }
    SF_INFO info = { .samplerate = rate, .channels = channels, .format = sf_format };
    f->sf = sf_open_fd(f->fd, SFM_WRITE, &info, 0);
    if (!f->sf) {
        rc = mq_error_set(err, MQ_EIO, "%s: %s", path, sf_strerror(NULL));
        goto fail;
    }
    int major = sf_format & SF_FORMAT_TYPEMASK;
    if (major == SF_FORMAT_WAV)
        f->max_frames = (size_t)(WAV_DATA_LIMIT / ((unsigned long long)channels *
                                                   (unsigned)bytes_per_sample(fmt)));
    if (major == SF_FORMAT_RF64)
        sf_command(f->sf, SFC_RF64_AUTO_DOWNGRADE, NULL, SF_TRUE);
    if (k == K_OGG) {
        double q = 0.5;
        sf_command(f->sf, SFC_SET_VBR_ENCODING_QUALITY, &q, (int)sizeof q);
    }
    /* libsndfile stamps a float WAV's PEAK chunk with the current time: leave
     * it out when the output must be reproducible. */
    if (fixed_date && (major == SF_FORMAT_WAV || major == SF_FORMAT_RF64))
        sf_command(f->sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    if (meta && (major == SF_FORMAT_WAV || major == SF_FORMAT_RF64) &&
        (rc = write_bext(f, meta, &tm, err)) != MQ_OK)
        goto fail;
    if (meta && k == K_WAV) {
        f->bext = 1;
        f->tm = tm;
        snprintf(f->title, sizeof f->title, "%s", meta->title ? meta->title : "");
    }
    if (meta && meta->title && *meta->title &&
        sf_set_string(f->sf, SF_STR_TITLE, meta->title) != 0) {
        rc = mq_error_set(err, MQ_EIO, "%s: cannot write the title: %s", path,
                          sf_strerror(f->sf));
        goto fail;
    }
    /* Clip instead of wrapping around when a float sample exceeds 1.0. */
    sf_command(f->sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
    f->channels = channels;
    if ((major == SF_FORMAT_WAV || major == SF_FORMAT_RF64) &&
        (sf_format & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_16) {
        if (!(f->conv = malloc((size_t)CONV_FRAMES * (size_t)channels * sizeof *f->conv))) {
            rc = mq_error_set(err, MQ_ENOMEM, "out of memory");
            goto fail;
        }
        f->pcm16 = 1;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* libsndfile writes these samples as they are (little-endian WAV),
         * so their checksum is that of the data chunk: the output cache then
         * need not read the file back to checksum it (mq_outcache_put). */
        if ((f->sum = XXH3_createState()))
            XXH3_64bits_reset(f->sum);
#endif
    }
    *out = f;
    return MQ_OK;
fail:
    if (f->sf)
        sf_close(f->sf);
    close(f->fd);
    unlink(f->tmp);
    free(f->conv);
    XXH3_freeState(f->sum);
    free(f);
    return rc;
}

void mq_float_to_pcm16(const float *x, short *out, size_t n)
{
    /* x * 1.0f is x, bit for bit (NaN and -0.0 included). */
    mq_float_to_pcm16_gain(x, 1.0f, out, n);
}

void mq_float_to_pcm16_gain(const float *x, float gain, short *out, size_t n)
{
    /* libsndfile's own conversion with clipping on (SFC_SET_CLIPPING),
     * bit for bit (libsndfile 1.2.0, checked over 4 million values): the
     * sample times 2^31 (exact: a power of two), rounded to the nearest
     * integer, its top 16 bits (so -1.0 is -32768, +1.0 clips to 32767, and
     * NaN becomes -32768). libsndfile does it one sample at a time through
     * lrintf (6 % of a first render's CPU in a profile); here four at a
     * time. The gain is applied first, as its own float product. */
    const float k = 2147483648.0f;
    size_t i = 0;
#if defined(__SSE2__)
    const __m128 vk = _mm_set1_ps(k), vg = _mm_set1_ps(gain);
    const __m128i top = _mm_set1_epi32(0x7FFFFFFF);
    for (; i + 8 <= n; i += 8) {
        __m128i v[2];
        for (int h = 0; h < 2; h++) {
            __m128 s = _mm_mul_ps(_mm_mul_ps(_mm_loadu_ps(x + i + 4 * (size_t)h), vg), vk);
            /* cvtps2dq rounds to nearest even, and turns NaN and anything
             * out of range into INT32_MIN: positive overflow clips to top. */
            __m128i over = _mm_castps_si128(_mm_cmpge_ps(s, vk));
            __m128i r = _mm_cvtps_epi32(s);
            r = _mm_or_si128(_mm_andnot_si128(over, r), _mm_and_si128(over, top));
            v[h] = _mm_srai_epi32(r, 16);
        }
        _mm_storeu_si128((__m128i *)(out + i), _mm_packs_epi32(v[0], v[1]));
    }
#endif
    for (; i < n; i++) {
        float s = x[i] * gain;
        s *= k;
        if (s >= k)
            out[i] = 32767;
        else if (!(s > -k))
            out[i] = -32768;        /* -1.0 and below, and NaN */
        else
            out[i] = (short)(lrintf(s) >> 16);
    }
}

/* Refuses (MQ_EUNSUPPORTED) FRAMES more frames where a plain WAV would pass 4 GB. */
static int check_room(const mq_outfile *f, size_t frames, mq_error *err)
{
    if (f->max_frames && frames > f->max_frames - f->frames)
        return mq_error_set(err, MQ_EUNSUPPORTED,
                            "%s: a WAV file cannot hold more than 4 GB of audio; announce "
                            "the length (expected_frames) so that RF64 is used", f->path);
    return MQ_OK;
}

/* Counts FRAMES written and, every few MB, asks the disk to start writing
 * (not waited for): the fsync at commit then waits for the last few MB, not
 * the whole file. */
static void wrote(mq_outfile *f, size_t frames)
{
    f->frames += frames;
    f->unsynced += frames;
    if (f->unsynced >= SYNC_EVERY_FRAMES) {
        f->unsynced = 0;
        sync_file_range(f->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    }
}

static int write_failed(const mq_outfile *f, mq_error *err)
{
    const char *why = sf_strerror(f->sf);
    return mq_error_set(err, MQ_EIO, "%s: write failed: %s", f->path,
                        errno ? strerror(errno) : why);
}

/* The 16-bit samples of K frames at X: written and summed. K frames or fewer. */
static sf_count_t put_pcm16(mq_outfile *f, const short *x, size_t k)
{
    sf_count_t w = sf_writef_short(f->sf, x, (sf_count_t)k);
    if (f->sum && w > 0)
        XXH3_64bits_update(f->sum, x, (size_t)w * (size_t)f->channels * sizeof *x);
    return w;
}

int mq_outfile_write(mq_outfile *f, const float *data, size_t frames, mq_error *err)
{
    int rc = check_room(f, frames, err);
    if (rc != MQ_OK)
        return rc;
    sf_count_t n = 0;
    if (f->pcm16) {
        size_t ch = (size_t)f->channels;
        while ((size_t)n < frames) {
            size_t k = frames - (size_t)n < CONV_FRAMES ? frames - (size_t)n : CONV_FRAMES;
            mq_float_to_pcm16(data + (size_t)n * ch, f->conv, k * ch);
            sf_count_t w = put_pcm16(f, f->conv, k);
            n += w;
            if (w != (sf_count_t)k)
                break;
        }
    } else {
        n = sf_writef_float(f->sf, data, (sf_count_t)frames);
    }
    if (n != (sf_count_t)frames)
        return write_failed(f, err);
    wrote(f, frames);
    return MQ_OK;
}

int mq_outfile_is_pcm16(const mq_outfile *f) { return f && f->pcm16; }

int mq_outfile_write_pcm16(mq_outfile *f, const short *data, size_t frames, mq_error *err)
{
    if (!f->pcm16)
        return mq_error_set(err, MQ_EINVAL, "%s: not a 16-bit file", f->path);
    int rc = check_room(f, frames, err);
    if (rc != MQ_OK)
        return rc;
    if (put_pcm16(f, data, frames) != (sf_count_t)frames)
        return write_failed(f, err);
    wrote(f, frames);
    return MQ_OK;
}

size_t mq_outfile_frames(const mq_outfile *f) { return f->frames; }

int mq_outfile_data_sum(const mq_outfile *f, uint64_t *sum, uint64_t *bytes)
{
    if (!f || !f->sum)
        return 0;
    *sum = XXH3_64bits_digest(f->sum);
    /* Every frame counted was summed (a short write fails the export). */
    *bytes = (uint64_t)f->frames * (uint64_t)f->channels * sizeof *f->conv;
    return 1;
}
const char *mq_outfile_temp_path(const mq_outfile *f) { return f->tmp; }

/* The regular file of at least MQ_RELEASE_MIN_BYTES at PATH, opened, or -1
 * (none, smaller, a symbolic link: rename replaces the link, not its
 * target). */
static int open_replaced(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
                    (long long)st.st_size < MQ_RELEASE_MIN_BYTES)) {
        close(fd);
        fd = -1;
    }
    return fd;
}

int mq_outfile_commit(mq_outfile *f, mq_error *err)
{
    int rc = MQ_OK;
    errno = 0;
    sf_write_sync(f->sf);
    if (sf_error(f->sf))
        rc = mq_error_set(err, MQ_EIO, "%s: %s", f->path, sf_strerror(f->sf));
    if (sf_close(f->sf) && rc == MQ_OK)
        rc = mq_error_set(err, MQ_EIO, "%s: finishing the file failed", f->path);
    f->sf = NULL;
    /* sf_open_fd was not given close_desc, so the descriptor is still ours. */
    if (rc == MQ_OK && fsync(f->fd))
        rc = mq_error_set(err, MQ_EIO, "%s: %s", f->path, strerror(errno));
    /* Temp files from mkstemp are 0600; an export should be readable like any file. */
    if (rc == MQ_OK) {
        mode_t mask = umask(0);
        umask(mask);
        fchmod(f->fd, 0666 & ~mask);
    }
    if (close(f->fd) && rc == MQ_OK)
        rc = mq_error_set(err, MQ_EIO, "%s: %s", f->path, strerror(errno));
    /* The file replaced stays open across the rename, so that it is freed
     * in mq_release's holder after this process, not inside rename (68-85
     * ms for the 192 MB benchmark bulletin). */
    int old = rc == MQ_OK ? open_replaced(f->path) : -1;
    if (rc == MQ_OK && rename(f->tmp, f->path))
        rc = mq_error_set(err, MQ_EIO, "%s: %s", f->path, strerror(errno));
    if (rc != MQ_OK)
        unlink(f->tmp);
    if (old >= 0 && rc == MQ_OK)
        mq_release_fd(old);
    else if (old >= 0)
        close(old);
    free(f->conv);
    XXH3_freeState(f->sum);
    free(f);
    return rc;
}

void mq_outfile_abort(mq_outfile *f)
{
    if (!f)
        return;
    if (f->sf)
        sf_close(f->sf);
    close(f->fd);
    unlink(f->tmp);
    free(f->conv);
    XXH3_freeState(f->sum);
    free(f);
}
