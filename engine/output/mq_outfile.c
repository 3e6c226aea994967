/* mq_outfile.c — safe audio export with libsndfile; see mq_outfile.h. */
#include "mq_outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct mq_outfile {
    SNDFILE *sf;
    int fd;
    size_t frames;
    char path[PATH_MAX];
    char tmp[PATH_MAX];
};

static int format_for(const char *path, mq_sample_format fmt, int *sf_format)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return -1;
    int sub = fmt == MQ_PCM_24 ? SF_FORMAT_PCM_24 : fmt == MQ_FLOAT_32 ? SF_FORMAT_FLOAT
                                                                       : SF_FORMAT_PCM_16;
    if (!strcasecmp(dot, ".wav")) {
        *sf_format = SF_FORMAT_WAV | sub;
        return 0;
    }
    return -1;
}

int mq_outfile_open(const char *path, int rate, int channels, mq_sample_format fmt,
                    mq_outfile **out, mq_error *err)
{
    *out = NULL;
    if (rate < 8000 || rate > 192000 || channels < 1 || channels > 8)
        return mq_error_set(err, MQ_EINVAL, "%s: unsupported rate %d Hz or %d channels",
                            path, rate, channels);
    int sf_format;
    if (format_for(path, fmt, &sf_format))
        return mq_error_set(err, MQ_EUNSUPPORTED,
                            "%s: unknown output format; use a name ending in .wav", path);
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
        mq_error_set(err, MQ_EIO, "%s: %s", path, sf_strerror(NULL));
        close(f->fd);
        unlink(f->tmp);
        free(f);
        return MQ_EIO;
    }
    /* Clip instead of wrapping around when a float sample exceeds 1.0. */
    sf_command(f->sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
    *out = f;
    return MQ_OK;
}

int mq_outfile_write(mq_outfile *f, const float *data, size_t frames, mq_error *err)
{
    sf_count_t n = sf_writef_float(f->sf, data, (sf_count_t)frames);
    if (n != (sf_count_t)frames) {
        const char *why = sf_strerror(f->sf);
        return mq_error_set(err, MQ_EIO, "%s: write failed: %s", f->path,
                            errno ? strerror(errno) : why);
    }
    f->frames += frames;
    return MQ_OK;
}

size_t mq_outfile_frames(const mq_outfile *f) { return f->frames; }
const char *mq_outfile_temp_path(const mq_outfile *f) { return f->tmp; }

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
    if (rc == MQ_OK && rename(f->tmp, f->path))
        rc = mq_error_set(err, MQ_EIO, "%s: %s", f->path, strerror(errno));
    if (rc != MQ_OK)
        unlink(f->tmp);
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
    free(f);
}
