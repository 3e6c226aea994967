/* test_release.c — mq_release: a file handed over stays open in the holder
 * until mq_release_end, and the holder keeps nothing else of ours open. */
#include "mq_test.h"
#include "util/mq_release.h"

#include <errno.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

/* 1 when FD (a pipe's read end) reaches end of file within MS milliseconds,
 * 0 when it does not, -1 on data or an error. */
static int eof_within(int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int n = poll(&p, 1, ms);
    if (n == 0)
        return 0;
    char c;
    return n > 0 && read(fd, &c, 1) == 0 ? 1 : -1;
}

int main(void)
{
    int held[2], other[2], later[2];
    CHECK(pipe(held) == 0 && pipe(other) == 0, "pipes");

    /* The write end of HELD goes to the holder: no end of file while it
     * keeps it, even though this process closed its own copy. */
    CHECK_INT(mq_release_fd(held[1]), 0, "handed over");
    CHECK_INT(eof_within(held[0], 200), 0, "the holder keeps the file open");

    /* OTHER existed when the holder started; it must not have kept a copy
     * (a holder keeping a caller's stdout would hang `$(muqir ...)`). */
    close(other[1]);
    CHECK_INT(eof_within(other[0], 2000), 1, "the holder closed what it inherited");

    /* The holder is not our child: nothing for a waitpid(-1) to reap. */
    errno = 0;
    CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "the holder is not our child");

    /* A second file goes to the same holder. */
    CHECK(pipe(later) == 0, "pipe");
    CHECK_INT(mq_release_fd(later[1]), 0, "second file handed over");
    CHECK_INT(eof_within(later[0], 200), 0, "the holder keeps the second file");

    /* Ending lets everything go. */
    mq_release_end();
    CHECK_INT(eof_within(held[0], 5000), 1, "released at the end");
    CHECK_INT(eof_within(later[0], 5000), 1, "second released at the end");

    /* After the end, a new holder starts. */
    int again[2];
    CHECK(pipe(again) == 0, "pipe");
    CHECK_INT(mq_release_fd(again[1]), 0, "a new holder");
    CHECK_INT(eof_within(again[0], 200), 0, "held by the new holder");
    mq_release_end();
    CHECK_INT(eof_within(again[0], 5000), 1, "released by the new holder");

    /* A bad descriptor is refused. */
    CHECK_INT(mq_release_fd(-1), -1, "a bad descriptor");
    MQ_TEST_END();
}
