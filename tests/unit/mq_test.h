/*
 * mq_test.h — the whole unit-test harness: each check prints one
 * "PASS: ..." or "FAIL: file:line: ..." line; MQ_TEST_END prints the counts and
 * returns non-zero when anything failed. tests/run adds up the PASS/FAIL lines
 * of every test program into the final "N passed, M failed".
 */
#ifndef MQ_TEST_H
#define MQ_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int mq_test_passed, mq_test_failed;

#define MQ_CHECK_(cond, desc, ...)                                              \
    do {                                                                        \
        if (cond) {                                                             \
            mq_test_passed++;                                                   \
            printf("PASS: %s\n", desc);                                         \
        } else {                                                                \
            mq_test_failed++;                                                   \
            printf("FAIL: %s:%d: %s: ", __FILE__, __LINE__, desc);              \
            printf(__VA_ARGS__);                                                \
            printf("\n");                                                       \
        }                                                                       \
    } while (0)

/* CHECK(cond, desc): a boolean. */
#define CHECK(cond, desc) MQ_CHECK_((cond), (desc), "%s is false", #cond)
/* CHECK_INT(got, want, desc) */
#define CHECK_INT(got, want, desc)                                              \
    do {                                                                        \
        long long g_ = (long long)(got), w_ = (long long)(want);                \
        MQ_CHECK_(g_ == w_, (desc), "got %lld, want %lld", g_, w_);             \
    } while (0)
/* CHECK_STR(got, want, desc): NULL-safe string equality. */
#define CHECK_STR(got, want, desc)                                              \
    do {                                                                        \
        const char *g_ = (got), *w_ = (want);                                   \
        MQ_CHECK_(g_ && w_ ? strcmp(g_, w_) == 0 : g_ == w_, (desc),            \
                  "got \"%s\", want \"%s\"", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
    } while (0)
/* CHECK_HAS(haystack, needle, desc): NEEDLE occurs in HAYSTACK. */
#define CHECK_HAS(hay, needle, desc)                                            \
    do {                                                                        \
        const char *h_ = (hay), *n_ = (needle);                                 \
        MQ_CHECK_(h_ && strstr(h_, n_), (desc), "\"%s\" not in \"%s\"", n_,     \
                  h_ ? h_ : "(null)");                                          \
    } while (0)
/* CHECK_NEAR(got, want, tol, desc): |got - want| <= tol. */
#define CHECK_NEAR(got, want, tol, desc)                                        \
    do {                                                                        \
        double g_ = (got), w_ = (want), t_ = (tol);                             \
        MQ_CHECK_(fabs(g_ - w_) <= t_, (desc), "got %g, want %g +- %g", g_, w_, t_); \
    } while (0)

#define MQ_TEST_END()                                                           \
    do {                                                                        \
        printf("%d passed, %d failed\n", mq_test_passed, mq_test_failed);       \
        return mq_test_failed ? 1 : 0;                                          \
    } while (0)

#endif
