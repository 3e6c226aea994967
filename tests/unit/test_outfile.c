/* test_outfile.c — exports appear only when complete; failures leave nothing
 * behind and never damage an earlier file. Read back with libsndfile. */
#include "mq_test.h"
#include "output/mq_outfile.h"

#include <dirent.h>
#include <sndfile.h>
#include <stdlib.h>
#include <unistd.h>

static int count_files(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.' || (e->d_name[1] && e->d_name[1] != '.');
    if (d)
        closedir(d);
    return n;
}

int main(void)
{
    char dir[] = "/tmp/mq_test_outfile_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "temp dir");
    char path[256];
    snprintf(path, sizeof path, "%s/a.wav", dir);
    mq_error err = { 0 };
    mq_outfile *f;
    CHECK_INT(mq_outfile_open(path, 48000, 2, MQ_PCM_16, &f, &err), MQ_OK, "open");
    CHECK(access(path, F_OK) != 0, "nothing at the destination while writing");
    float data[2 * 480];
    for (int i = 0; i < 960; i++)
        data[i] = (i % 2) ? -0.25f : 0.25f;
    CHECK_INT(mq_outfile_write(f, data, 480, &err), MQ_OK, "write");
    CHECK_INT(mq_outfile_frames(f), 480, "frames counted");
    CHECK_INT(mq_outfile_commit(f, &err), MQ_OK, "commit");
    SF_INFO info = { 0 };
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    CHECK(sf != NULL, "the file reads back");
    CHECK_INT(info.samplerate, 48000, "rate");
    CHECK_INT(info.channels, 2, "channels");
    CHECK_INT(info.frames, 480, "frames");
    float back[4];
    sf_readf_float(sf, back, 2);
    CHECK_NEAR(back[0], 0.25, 1.0 / 32768, "left value");
    CHECK_NEAR(back[1], -0.25, 1.0 / 32768, "right value");
    sf_close(sf);
    CHECK_INT(count_files(dir), 1, "only the finished file is in the folder");

    /* An abandoned export leaves the earlier file as it was. */
    CHECK_INT(mq_outfile_open(path, 48000, 1, MQ_PCM_24, &f, &err), MQ_OK, "reopen");
    mq_outfile_write(f, data, 100, &err);
    mq_outfile_abort(f);
    info = (SF_INFO){ 0 };
    sf = sf_open(path, SFM_READ, &info);
    CHECK_INT(info.channels, 2, "abort kept the earlier file");
    CHECK_INT(info.frames, 480, "abort kept the earlier file's length");
    sf_close(sf);
    CHECK_INT(count_files(dir), 1, "abort removed its temporary file");

    CHECK_INT(mq_outfile_open("/nonexistent-dir/x.wav", 48000, 2, MQ_PCM_16, &f, &err), MQ_EIO,
              "a missing folder is an I/O error");
    CHECK_HAS(err.msg, "/nonexistent-dir/x.wav", "naming the path");
    CHECK_INT(mq_outfile_open("x.xyz", 48000, 2, MQ_PCM_16, &f, &err), MQ_EUNSUPPORTED,
              "an unknown extension is refused");
    CHECK_INT(mq_outfile_open("x.wav", 100, 2, MQ_PCM_16, &f, &err), MQ_EINVAL,
              "an absurd rate is refused");

    unlink(path);
    rmdir(dir);
    MQ_TEST_END();
}
