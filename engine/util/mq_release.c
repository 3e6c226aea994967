/* mq_release.c — a holder process for files slow to free; see mq_release.h. */
#include "mq_release.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_sock = -1;     /* our end of the socket to the holder */
static pid_t g_owner;       /* the process that started it (a fork has none) */

/* Closes every descriptor from FIRST up: close_range(2) where the kernel has
 * it, else one by one up to the descriptor limit. */
static void close_from(int first)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)first, ~0U, 0) == 0)
        return;
#endif
    struct rlimit rl;
    long top = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                   ? (long)rl.rlim_cur : 65536;
    if (top > 65536)
        top = 65536;
    for (long fd = first; fd < top; fd++)
        close((int)fd);
}

/* The holder: keeps what arrives on SOCK (now descriptor 0) until the other
 * end closes, then exits, and the kernel closes all of it. */
static void hold(int sock)
{
    if (sock != 0 && dup2(sock, 0) < 0)
        _exit(1);
    close_from(1);
    /* Ctrl-C in the terminal stops the holder too: the files are freed a
     * little sooner, nothing else happens. */
    for (;;) {
        char byte;
        union {
            struct cmsghdr h;
            char buf[CMSG_SPACE(sizeof(int))];
        } c;
        struct iovec iov = { &byte, 1 };
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
                            .msg_controllen = sizeof c.buf };
        ssize_t n = recvmsg(0, &m, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(0);
    }
}

/* Starts the holder; the caller holds g_lock. 0 or -1 (errno set). */
static int start(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
        return -1;
    pid_t mid = fork();
    if (mid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        errno = e;
        return -1;
    }
    if (mid == 0) {
        /* The middle process exits at once: the holder is adopted by init
         * (or the nearest subreaper) instead of being our child. */
        close(sv[0]);
        pid_t holder = fork();
        if (holder == 0)
            hold(sv[1]);
        _exit(holder < 0 ? 1 : 0);
    }
    close(sv[1]);
    int st = 0;
    while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        close(sv[0]);
        errno = ECHILD;
        return -1;
    }
    g_sock = sv[0];
    g_owner = getpid();
    return 0;
}

int mq_release_fd(int fd)
{
    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    int rc = -1, e = 0;
    pthread_mutex_lock(&g_lock);
    /* A child of the process that started the holder shares its socket; it
     * must not hand it files the holder would keep past the child's end. */
    if (g_sock >= 0 && g_owner != getpid())
        g_sock = -1;
    if (g_sock >= 0 || start() == 0) {
        char byte = 0;
        union {
            struct cmsghdr h;
            char buf[CMSG_SPACE(sizeof(int))];
        } c;
        memset(&c, 0, sizeof c);
        struct iovec iov = { &byte, 1 };
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
                            .msg_controllen = sizeof c.buf };
        struct cmsghdr *h = CMSG_FIRSTHDR(&m);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(h), &fd, sizeof fd);
        ssize_t n;
        /* MSG_NOSIGNAL: a dead holder is an error here, not a SIGPIPE. */
        while ((n = sendmsg(g_sock, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR)
            ;
        rc = n == 1 ? 0 : -1;
        e = errno;
    } else {
        e = errno;
    }
    pthread_mutex_unlock(&g_lock);
    close(fd);
    if (rc)
        errno = e;
    return rc;
}

void mq_release_end(void)
{
    pthread_mutex_lock(&g_lock);
    if (g_sock >= 0 && g_owner == getpid())
        close(g_sock);
    g_sock = -1;
    pthread_mutex_unlock(&g_lock);
}
