/*
 * cmd_play_bundle.c — `muqir play DIR`: a field bundle played in order on
 * the sound device, with keys to move about it.
 *
 * Nothing of the speech side is opened here — no voices, no lexicon, no
 * eSpeak NG: the bundle's files are decoded one at a time (mq_playlist) and
 * handed to the device by the player's thread (mq_player) without its
 * limiter, since the files were normalized and limited when they were made.
 *
 * Keys (single keys on a terminal; the same characters on stdin when it is
 * not one, newlines ignored):
 *   n  next item (→ too)       p  previous item, or the start of this one
 *   r  this item again            once it has played 2 s (← too)
 *   space  pause / resume      q  stop
 * A file that is missing or damaged is named and skipped; the rest plays,
 * and the exit status says so at the end.
 */
#include "cli.h"
#include "../live/mq_bundle.h"
#include "../live/mq_player.h"
#include "../live/mq_playlist.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* "previous" restarts the current item instead, once it has played this long. */
#define RESTART_AFTER_S 2.0

typedef struct keys {
    int tty;        /* raw terminal keys */
    int pipe;       /* characters from stdin that is not a terminal, until its end */
} keys;

/* A key within MS milliseconds, or -1. Arrow keys → and ← come as 'n' and 'p'. */
static int read_key(keys *k, int ms)
{
    struct pollfd pf = { .fd = STDIN_FILENO, .events = POLLIN };
    if (!k->tty && !k->pipe) {
        poll(NULL, 0, ms);
        return -1;
    }
    if (poll(&pf, 1, ms) <= 0)
        return -1;
    unsigned char c;
    ssize_t n = read(STDIN_FILENO, &c, 1);
    if (n <= 0) {
        if (n == 0 || errno != EINTR)
            k->pipe = 0;   /* stdin ended: play on without keys */
        return -1;
    }
    if (c == 27 && k->tty) {
        unsigned char seq[2];
        pf.revents = 0;
        if (poll(&pf, 1, 10) > 0 && read(STDIN_FILENO, seq, 2) == 2 && seq[0] == '[')
            return seq[1] == 'C' ? 'n' : seq[1] == 'D' ? 'p' : -1;
        return -1;
    }
    return c;
}

static double now_s(void)
{
    return mq_device_now_ns() / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* A length as "4.2 s" or "12:05"; "?" when the list gives none. */
static void clock_str(double s, char *buf, size_t size)
{
    if (s < 0)
        snprintf(buf, size, "?");
    else if (s < 59.95)
        snprintf(buf, size, "%.1f s", s);
    else
        snprintf(buf, size, "%d:%02d", (int)(s + 0.5) / 60, (int)(s + 0.5) % 60);
}

typedef struct jump {
    mq_playlist *pl;
    size_t item;
    uint64_t frame;   /* where the item will sound (mq_player_position's clock) */
} jump;

static void do_jump(void *user, uint64_t frame)
{
    jump *j = user;
    mq_playlist_goto(j->pl, j->item, frame);
    j->frame = frame;
}

enum { HEARD = 1, REPORTED = 2 };

typedef struct session {
    mq_bundle *b;
    mq_playlist *pl;
    mq_player *p;
    int rate, show, status;
    size_t reported;          /* errors printed so far */
    unsigned char *heard;     /* per item: HEARD, REPORTED */
    uint64_t shown_start;     /* start of the item last announced */
    long shown;
    int jumped;               /* a jump whose item has not sounded yet: */
    size_t jump_item;
    uint64_t jump_frame;
} session;

/* Prints the errors of files that failed since the last call. */
static void report_errors(session *s)
{
    if (mq_playlist_errors(s->pl) == s->reported)
        return;
    for (size_t i = 0; i < mq_bundle_count(s->b); i++) {
        mq_error err = { 0 };
        int code = mq_playlist_error(s->pl, i, &err);
        if (code == MQ_OK || (s->heard[i] & REPORTED))
            continue;
        s->heard[i] |= REPORTED;
        s->reported++;
        cli_error("item %zu: %s; skipped", i + 1, err.msg);
        int st = cli_status(code);
        if (st > s->status)
            s->status = st;
    }
}

/* Announces the item that has started sounding, if it changed. */
static void follow(session *s, uint64_t pos)
{
    long i = mq_playlist_at(s->pl, pos);
    if (i < 0)
        return;
    uint64_t start = mq_playlist_started(s->pl, (size_t)i);
    if (s->jumped && start >= s->jump_frame)
        s->jumped = 0;
    if (i == s->shown && start == s->shown_start)
        return;
    s->shown = i;
    s->shown_start = start;
    s->heard[i] |= HEARD;
    if (!s->show)
        return;
    const mq_bundle_item *it = mq_bundle_get(s->b, (size_t)i);
    char len[16];
    clock_str(it->seconds, len, sizeof len);
    fprintf(stderr, "\xE2\x96\xB6 %ld/%zu  %s  (%s)\n", i + 1, mq_bundle_count(s->b), it->title,
            len);
}

/* The item the keys act on: the one a jump went to until it sounds, else the
 * one sounding (0 before anything has). */
static size_t current(session *s, uint64_t pos)
{
    if (s->jumped)
        return s->jump_item;
    long i = mq_playlist_at(s->pl, pos);
    return i < 0 ? 0 : (size_t)i;
}

static void go_to(session *s, size_t item)
{
    jump j = { .pl = s->pl, .item = item };
    mq_player_flush(s->p, do_jump, &j);
    s->jumped = 1;
    s->jump_item = item;
    s->jump_frame = j.frame;
}

/* Seconds of item CUR played at POS (0 while a jump to it is pending). */
static double elapsed(session *s, size_t cur, uint64_t pos)
{
    uint64_t st = mq_playlist_started(s->pl, cur);
    if (s->jumped || st == MQ_PLAYLIST_NEVER || pos < st)
        return 0;
    return (double)(pos - st) / s->rate;
}

/* Plays until the end, q or a signal. */
static int run(session *s, keys *k, int quiet, double t0)
{
    mq_error err = { 0 };
    int paused = 0, dev_ok = 1;
    double retry = now_s(), wall0 = now_s(), cpu0 = cpu_s();
    while (!cli_stop && !mq_player_done(s->p)) {
        int c = read_key(k, 50);
        uint64_t pos = mq_player_position(s->p);
        report_errors(s);
        follow(s, pos);
        size_t cur = current(s, pos), n = mq_bundle_count(s->b);
        if (c == 'q' || c == 'Q') {
            go_to(s, n);   /* drop what is queued: stop now */
            break;
        } else if (c == 'n' || c == 'N') {
            go_to(s, cur + 1);
        } else if (c == 'p' || c == 'P') {
            go_to(s, elapsed(s, cur, pos) > RESTART_AFTER_S || cur == 0 ? cur : cur - 1);
        } else if (c == 'r' || c == 'R') {
            go_to(s, cur);
        } else if (c == ' ') {
            paused = !paused;
            mq_player_pause(s->p, paused);
            if (s->show)
                fprintf(stderr, "%s\n", paused ? "paused (space resumes)" : "playing");
        }
        int rc = mq_player_check(s->p, &err);
        if (rc == MQ_EDEVICE) {
            if (dev_ok)
                cli_error("%s; trying again every 2 s (q stops)", err.msg);
            dev_ok = 0;
            if (now_s() - retry > 2) {
                retry = now_s();
                dev_ok = mq_player_reopen(s->p, &err) == MQ_OK;
            }
        } else if (rc != MQ_OK) {
            cli_error("%s", err.msg);
            s->status = cli_status(rc);
            break;
        }
    }
    double wall = now_s() - wall0, cpu = cpu_s() - cpu0;
    report_errors(s);
    follow(s, mq_player_position(s->p));
    cli_term_restore();
    if (cli_stop)
        go_to(s, mq_bundle_count(s->b));
    size_t played = 0;
    for (size_t i = 0; i < mq_bundle_count(s->b); i++)
        played += s->heard[i] & HEARD;
    double secs = (double)mq_player_frames(s->p) / s->rate;
    unsigned long under = mq_player_underruns(s->p);
    uint64_t first = mq_device_mark_time(mq_player_device(s->p));
    const char *name = mq_device_name(mq_player_device(s->p));
    char dev_name[160];
    snprintf(dev_name, sizeof dev_name, "%s", *name ? name : "no device");
    if (!quiet) {
        fprintf(stderr, "%s: played %zu of %zu item%s, %.1f s on %s, %lu underrun%s, "
                "CPU %.1f %% of one core", cli_prog, played, mq_bundle_count(s->b),
                mq_bundle_count(s->b) == 1 ? "" : "s", secs, dev_name, under,
                under == 1 ? "" : "s", wall > 0 ? 100 * cpu / wall : 0.0);
        if (first)
            fprintf(stderr, ", first sample %.0f ms after the command", (first / 1e9 - t0) * 1000);
        fprintf(stderr, "\n");
    }
    return cli_stop ? cli_stopped_status() : s->status;
}

int cli_play_bundle(const char *path, const char *device, int quiet)
{
    double t0 = now_s();
    session s = { .shown = -1, .status = CLI_OK };
    mq_error err = { 0 };
    int rc = mq_bundle_open(path, &s.b, &err);
    if (rc != MQ_OK) {
        cli_error("%s", err.msg);
        return cli_status(rc);
    }
    if (mq_bundle_note(s.b)) {
        cli_error("%s; playing %s instead", mq_bundle_note(s.b), mq_bundle_list(s.b));
        s.status = CLI_USAGE;
    }
    size_t n = mq_bundle_count(s.b);
    const char **paths = calloc(n, sizeof *paths);
    s.heard = calloc(n, 1);
    if (!paths || !s.heard) {
        cli_error("out of memory");
        free(paths);
        free(s.heard);
        mq_bundle_free(s.b);
        return CLI_FAIL;
    }
    for (size_t i = 0; i < n; i++)
        paths[i] = mq_bundle_get(s.b, i)->path;
    rc = mq_playlist_create(paths, n, 0, 0, &s.pl, &err);
    free(paths);
    int st = CLI_OK;
    /* The files are good: the sound system starts while the first is read. */
    if (rc == MQ_OK)
        mq_device_prepare();
    if (rc == MQ_OK) {
        s.rate = mq_playlist_rate(s.pl);
        /* Half a second queued: plenty for files on local storage, and the
         * thread need only wake every 20 ms to keep it so. */
        mq_player_opts po = { .no_limiter = 1, .block = 2048, .ahead = (size_t)s.rate / 2,
                              .poll_ms = 20 };
        if (po.ahead < po.block)
            po.ahead = po.block;
        cli_device_opts(&po.device, device, s.rate, mq_playlist_channels(s.pl));
        /* A 100 ms device buffer instead of the device's low default: a
         * third of the CPU here (fewer, larger callbacks), and keys still
         * act within a tenth of a second. */
        po.device.latency = 0.1;
        rc = mq_player_create(&po, mq_playlist_read, s.pl, &s.p, &err);
    }
    if (rc != MQ_OK) {
        cli_error("%s", err.msg);
        st = CLI_FAIL;
    }
    cli_catch_signals();
    while (st == CLI_OK && !cli_stop && !mq_player_ended(s.p) &&
           mq_player_queued(s.p) < (size_t)s.rate / 10) {
        struct timespec ts = { 0, 2000000 };
        nanosleep(&ts, NULL);
    }
    keys k = { 0 };
    if (st == CLI_OK && mq_player_open_device(s.p, &err) != MQ_OK) {
        cli_error("%s", err.msg);
        st = CLI_FAIL;
    }
    if (st == CLI_OK) {
        k.tty = cli_term_raw();
        k.pipe = !k.tty && !isatty(STDIN_FILENO);
        s.show = !quiet && isatty(STDERR_FILENO);
        if (s.show)
            fprintf(stderr, "%s: playing %s (%zu item%s)%s\n", cli_prog, mq_bundle_title(s.b), n,
                    n == 1 ? "" : "s",
                    k.tty ? " — n next, p previous, r replay, space pauses, q stops" : "");
        st = run(&s, &k, quiet, t0);
    }
    mq_player_free(s.p);   /* plays out what the device holds */
    mq_device_unprepare();
    mq_playlist_free(s.pl);
    mq_bundle_free(s.b);
    free(s.heard);
    return st;
}
