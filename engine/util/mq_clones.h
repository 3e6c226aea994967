/*
 * mq_clones.h — MQ_VECTOR_CLONES before a function with a hot loop builds it
 * twice, for AVX2 and for any x86-64, and the one this processor runs is
 * chosen when the program starts (GCC's target_clones, through an ifunc).
 * Only for loops whose every lane does the same IEEE operations either way
 * (no FMA: "avx2" alone does not enable it, and ISO C mode does not contract
 * a * b + c): the bytes out are the same on any machine. MQ_NO_VECTOR_CLONES
 * builds the plain form alone (the sanitizer build does, so that the tests
 * run it too on a machine that would choose AVX2).
 */
#ifndef MQ_CLONES_H
#define MQ_CLONES_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__) && \
    !defined(MQ_NO_VECTOR_CLONES)
#define MQ_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define MQ_VECTOR_CLONES
#endif

#endif
