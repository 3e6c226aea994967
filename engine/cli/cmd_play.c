/* cmd_play.c — `muqir play PROGRAM` and `muqir devices`; `muqir play DIR`
 * (a bundle) is in cmd_play_bundle.c. */
#include "cli.h"
#include "../live/mq_bundle.h"
#include "../live/mq_player.h"

#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

int cmd_devices(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        cli_error("devices: takes no arguments");
        return CLI_USAGE;
    }
    mq_device_info *v;
    size_t n;
    mq_error err = { 0 };
    if (mq_device_list(&v, &n, &err) != MQ_OK) {
        cli_error("%s", err.msg);
        return CLI_FAIL;
    }
    if (!n)
        printf("no output devices\n");
    else
        printf("%5s  %-40s %-8s %8s %3s\n", "index", "name", "host", "rate", "ch");
    for (size_t i = 0; i < n; i++)
        printf("%4d%c  %-40s %-8s %8.0f %3d\n", v[i].index, v[i].is_default ? '*' : ' ',
               v[i].name, v[i].host, v[i].rate, v[i].channels);
    if (n)
        printf("(* the default; choose one with --device NAME|INDEX)\n");
    free(v);
    return CLI_OK;
}

void cli_device_opts(mq_device_opts *o, const char *name, int rate, int channels)
{
    memset(o, 0, sizeof *o);
    o->name = name;
    o->rate = rate;
    o->channels = channels;
    /* Tests record through ALSA's clockless null device; see mq_device.h. */
    const char *clock = getenv("MUQIR_DEVICE_CLOCK");
    o->paced = clock && !strcmp(clock, "system");
}

/* ---- the terminal: raw keys while playing, restored whatever happens ---- */

static struct termios saved_tio;
static int tio_saved;

void cli_term_restore(void)
{
    if (tio_saved)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
    tio_saved = 0;
}

int cli_term_raw(void)
{
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio))
        return 0;
    struct termios t = saved_tio;
    t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    tio_saved = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
    if (tio_saved)
        atexit(cli_term_restore);
    return tio_saved;
}

/* A key from stdin within MS milliseconds, or -1. */
static int read_key(int ms)
{
    struct pollfd pf = { .fd = STDIN_FILENO, .events = POLLIN };
    if (poll(&pf, 1, ms) <= 0)
        return -1;
    unsigned char c;
    return read(STDIN_FILENO, &c, 1) == 1 ? c : -1;
}

static double now_s(void)
{
    return mq_device_now_ns() / 1e9;
}

/* The program's mixer as the player's source. */
static long mix_source(void *user, float *out, size_t n, uint64_t frame, mq_error *err)
{
    (void)frame;
    return mq_mix_read(user, out, n, err);
}

static int play_program(cli_env *e, mq_mix *mix, const char *device, int quiet, double t0)
{
    const mq_output_opts *oo = mq_program_output(e->program);
    /* Twenty seconds may be queued: the mixer synthesizes a speech item
     * whole when the timeline reaches it (its level is balanced over the
     * whole item), about 30 times faster than real time here, so a long
     * reading is ready long before the queue runs dry. */
    mq_player_opts po = { .ceiling_dbtp = oo->true_peak, .block = 2048,
                          .ahead = (size_t)oo->rate * 20 };
    cli_device_opts(&po.device, device, oo->rate, oo->channels);
    mq_player *p;
    mq_error err = { 0 };
    if (mq_player_create(&po, mix_source, mix, &p, &err) != MQ_OK) {
        cli_error("%s", err.msg);
        return CLI_FAIL;
    }
    /* A tenth of a second queued (or the whole program, if shorter) before
     * the device starts, so it does not start on an underrun. */
    while (!cli_stop && !mq_player_ended(p) && mq_player_queued(p) < (size_t)oo->rate / 10) {
        struct timespec ts = { 0, 2000000 };
        nanosleep(&ts, NULL);
    }
    int st = CLI_OK, dev_ok = mq_player_open_device(p, &err) == MQ_OK;
    int keys = isatty(STDIN_FILENO), paused = 0;
    if (!dev_ok && !keys) {
        cli_error("%s", err.msg);
        mq_player_free(p);
        return CLI_FAIL;
    }
    if (!dev_ok)
        cli_error("%s; press r to try again, q to stop", err.msg);
    keys = cli_term_raw();
    if (!quiet && keys)
        fprintf(stderr, "%s: playing %s — space pauses, q stops\n", cli_prog,
                mq_program_title(e->program));
    double retry = now_s();
    while (!cli_stop && !mq_player_done(p)) {
        int c = keys ? read_key(20) : (poll(NULL, 0, 20), -1);
        if (c == 'q' || c == 'Q')
            break;
        if (c == ' ') {
            paused = !paused;
            mq_player_pause(p, paused);
            if (!quiet)
                fprintf(stderr, "%s\n", paused ? "paused (space resumes)" : "playing");
        }
        int rc = mq_player_check(p, &err);
        if (rc == MQ_EDEVICE) {
            if (dev_ok)
                cli_error("%s; press r to reopen it, q to stop", err.msg);
            dev_ok = 0;
            /* Without a keyboard, try again every two seconds. */
            if (c == 'r' || (!keys && now_s() - retry > 2)) {
                retry = now_s();
                dev_ok = mq_player_reopen(p, &err) == MQ_OK;
                if (!dev_ok && keys)
                    cli_error("%s", err.msg);
            }
        } else if (rc != MQ_OK) {
            cli_error("%s", err.msg);
            st = cli_status(rc);
            break;
        }
    }
    cli_term_restore();
    uint64_t first = mq_device_mark_time(mq_player_device(p));
    double secs = (double)mq_player_frames(p) / oo->rate;
    unsigned long under = mq_player_underruns(p);
    const char *name = mq_device_name(mq_player_device(p));
    char dev_name[160];
    snprintf(dev_name, sizeof dev_name, "%s", *name ? name : "no device");
    mq_player_free(p);   /* plays out what the device holds */
    if (cli_stop)
        st = cli_stopped_status();
    if (!quiet) {
        fprintf(stderr, "%s: played %.1f s on %s, %lu underrun%s", cli_prog, secs, dev_name,
                under, under == 1 ? "" : "s");
        if (first)
            fprintf(stderr, ", first sample %.0f ms after the command", (first / 1e9 - t0) * 1000);
        fprintf(stderr, "\n");
    }
    return st;
}

int cmd_play(int argc, char **argv)
{
    double t0 = now_s();
    static const struct option opts[] = {
        { "device", required_argument, NULL, 'd' }, { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' }, { 0 } };
    const char *usage = "muqir play PROGRAM|BUNDLE-DIR [--device NAME|INDEX] [--quiet]";
    const char *device = NULL;
    int quiet = 0, c;
    while ((c = getopt_long(argc, argv, "d:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'd': device = optarg; break;
        case 'q': quiet = 1; break;
        case 'h':
            printf("usage: %s\n"
                   "PROGRAM: synthesized and mixed as it plays; space pauses, q stops.\n"
                   "BUNDLE-DIR (what `muqir bundle` writes; or its manifest.json or\n"
                   "playlist.m3u): its files in order, no synthesis. Keys: n next, p previous\n"
                   "(or this item's start after 2 s), r replay, space pause, q stop; read from\n"
                   "stdin when it is not a terminal.\n", usage);
            return CLI_OK;
        default: fprintf(stderr, "usage: %s\n", usage); return CLI_USAGE;
        }
    }
    if (optind + 1 != argc) {
        cli_error("play: expected one PROGRAM or bundle folder (usage: %s)", usage);
        return CLI_USAGE;
    }
    /* A bundle plays without the speech side: no voices, lexicon or eSpeak NG. */
    if (mq_bundle_is_path(argv[optind]))
        return cli_play_bundle(argv[optind], device, quiet);
    cli_catch_signals();
    cli_env e = { 0 };
    mq_render *r = NULL;
    mq_mix *mix = NULL;
    int st = cli_open_voices(&e);
    if (st == CLI_OK)
        st = cli_load_program(&e, argv[optind]);
    /* The program is well formed: the sound system starts while the texts
     * are read and the first item is spoken (a bad path or program never
     * starts it). */
    if (st == CLI_OK)
        mq_device_prepare();
    if (st == CLI_OK)
        st = cli_prepare(&e, 0, &r);
    if (st == CLI_OK)
        st = cli_mix(&e, r, &mix);
    if (st == CLI_OK)
        st = play_program(&e, mix, device, quiet, t0);
    mq_mix_free(mix);
    mq_render_free(r);
    cli_env_free(&e);
    mq_device_unprepare();
    return st;
}
