/*
 * mq_release.h — dropping a large file without waiting for the kernel to
 * free it.
 *
 * When the last name and the last descriptor of a file go, the kernel frees
 * its cached pages and its disk blocks there and then, in the call that
 * dropped them. For a render's big files that is the last thing it does and
 * nothing overlaps it. Measured with strace on this machine's ext4: renaming
 * the finished 192 MB export of the benchmark bulletin over the previous one
 * took 68-85 ms (the old file freed inside rename), unlinking the 384 MB
 * temporary mix 23 ms.
 *
 * mq_release_fd hands such a descriptor to a small holder process, which
 * keeps it open until the calling process has exited (or called
 * mq_release_end) and only then lets it go: the freeing happens after the
 * command has returned. The holder is started at the first call, by a double
 * fork (it is nobody's child: a waitpid(-1) elsewhere never reaps it), closes
 * every descriptor it inherited, and receives each file over a socket
 * (SCM_RIGHTS, unix(7)). It does nothing else; if it dies, the files are
 * freed at once, which is all that would have happened without it.
 *
 * Not for files whose contents still matter: a file released is one the
 * caller has finished with (already renamed away or unlinked).
 */
#ifndef MQ_RELEASE_H
#define MQ_RELEASE_H

/* Files smaller than this are cheap to free: callers close them directly. */
#define MQ_RELEASE_MIN_BYTES ((long long)16 << 20)

/*
 * Gives FD to the holder process (starting it at the first call) and closes
 * it here. Always consumes FD. 0 when handed over; -1 when it could not be
 * (no process or socket could be made; errno says why): FD is then simply
 * closed here, the slow way, with the same result.
 */
int mq_release_fd(int fd);

/*
 * Closes the socket to the holder: it lets every file go and exits. The
 * next mq_release_fd starts a new holder. For tests, and for a long-running
 * caller that wants the space back now.
 */
void mq_release_end(void);

#endif
