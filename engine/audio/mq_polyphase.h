/*
 * mq_polyphase.h — the sums of a polyphase FIR interpolator, 8 points at a
 * time: what the meter's true peak (mq_loudness.c) and the limiter's
 * detector (mq_limiter.c) both compute (BS.1770-4 annex 2, 4x oversampling).
 *
 * Each point is the float sum over the taps in order, exactly what a scalar
 * loop "y = 0; for (j) y += h[j] * x[j]" gives: the lanes of a vector are
 * consecutive points, and IEEE arithmetic is exact per lane. (Nothing is
 * fused into a multiply-add: GCC does not contract a*b+c in ISO C mode,
 * -std=c11, and baseline x86-64 has no FMA instruction.) The 8 points of every
 * phase stay in registers over the taps: sums kept in arrays in memory cost
 * a load and a store per tap, and one point at a time in double was most of
 * a meter's cost. The vector type is GCC's and clang's: SSE2 (x86-64's
 * baseline) there, scalar code elsewhere.
 */
#ifndef MQ_POLYPHASE_H
#define MQ_POLYPHASE_H

#include <stddef.h>
#include <string.h>

#define MQ_PP_POINTS 8   /* points of each phase summed at once */

/* Four floats: a tap in every lane, or four consecutive samples or points. */
typedef float mq_pp_v4 __attribute__((vector_size(4 * sizeof(float))));

/* A tap as a vector of four copies of it. */
static inline mq_pp_v4 mq_pp_tap(double h)
{
    const float f = (float)h;
    return (mq_pp_v4){ f, f, f, f };
}

/*
 * The points k = 0..7 of PHASES (1 or 3) phases into Y[p][k]: the sum over
 * j < TAPS of H[p][j] * X[k + j]. X needs TAPS + 7 samples.
 */
static inline void mq_pp_points(const mq_pp_v4 *const h[3], int phases, int taps,
                                const float *x, float y[3][MQ_PP_POINTS])
{
    mq_pp_v4 s00 = { 0 }, s01 = { 0 }, s10 = { 0 }, s11 = { 0 }, s20 = { 0 }, s21 = { 0 };
    /* Named sums, not an array: GCC kept an array indexed in a loop in memory. */
    for (int j = 0; j < taps; j++) {
        mq_pp_v4 x0, x1;
        memcpy(&x0, x + j, sizeof x0);
        memcpy(&x1, x + j + 4, sizeof x1);
        s00 += h[0][j] * x0;
        s01 += h[0][j] * x1;
        if (phases == 3) {
            s10 += h[1][j] * x0;
            s11 += h[1][j] * x1;
            s20 += h[2][j] * x0;
            s21 += h[2][j] * x1;
        }
    }
    const mq_pp_v4 sums[] = { s00, s01, s10, s11, s20, s21 };
    memcpy(y, sums, (size_t)phases * 2 * sizeof *sums);
}

#endif
