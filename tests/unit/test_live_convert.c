/* test_live_convert.c — play's float-to-16-bit conversion is the one the WAV
 * export uses (libsndfile), value for value: the claim `play` = `render
 * --loudness off --bits 16` rests on it. A million random values over
 * -1.2..1.2, small ones near the rounding edges, and the extremes. */
#include "mq_test.h"
#include "live/mq_player.h"

#include <sndfile.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define N 1000000

int main(void)
{
    static float v[N];
    static int16_t mine[N];
    static short theirs[N];
    uint32_t seed = 12345;
    for (int k = 0; k < N; k++) {
        seed = seed * 1103515245u + 12345u;
        float r = (float)((seed >> 8) & 0xffffff) / 16777216.0f * 2.4f - 1.2f;
        v[k] = k % 3 == 0 ? r * 1e-6f : k % 3 == 1 ? r * 1e-3f : r;
    }
    float edges[] = { 0.0f, -0.0f, 1.0f, -1.0f, 0.999999f, -0.999999f, 1.5f / 32768, -1.5f / 32768,
                      0.5f / 32768, -0.5f / 32768, -1e-10f, 1e-10f, 2.0f, -2.0f };
    for (size_t k = 0; k < sizeof edges / sizeof *edges; k++)
        v[k] = edges[k];
    char path[] = "/tmp/mq_test_convert_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    SF_INFO info = { .samplerate = 48000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    sf_command(f, SFC_SET_CLIPPING, NULL, SF_TRUE);   /* as mq_outfile does */
    sf_writef_float(f, v, N);
    sf_close(f);
    f = sf_open(path, SFM_READ, &info);
    CHECK_INT(sf_readf_short(f, theirs, N), N, "libsndfile wrote every value");
    sf_close(f);
    unlink(path);
    mq_player_to_s16(v, mine, N);
    int diff = 0;
    for (int k = 0; k < N; k++)
        if (mine[k] != theirs[k] && diff++ < 5)
            printf("value %.9g: muqir %d, libsndfile %d\n", v[k], mine[k], theirs[k]);
    CHECK_INT(diff, 0, "float to 16 bits: muqir and libsndfile agree on a million values");
    CHECK_INT(mine[2], 32767, "1.0 clips to 32767");
    CHECK_INT(mine[3], -32768, "-1.0 is -32768");
    CHECK_INT(mine[10], 0, "a tiny negative value is 0, not -1");
    MQ_TEST_END();
}
