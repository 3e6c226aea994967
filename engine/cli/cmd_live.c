/* cmd_live.c — `muqir live PROGRAM`: cues prepared, then the console on a
 * terminal, or one command a line from stdin with one JSON event a line on
 * stdout (tests, automation, remote control over ssh). */
#include "cmd_live.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int live_say(live_session *s, const char *text, mq_error *err)
{
    while (*text == ' ')
        text++;
    if (!*text)
        return mq_error_set(err, MQ_EINPUT, "say: nothing to say");
    /* The cues may all have come from the speech cache, so the synthesizer
     * may not be running yet: it starts here, on this thread. */
    if (!s->env->speech) {
        int rc = mq_speech_create(NULL, &s->env->speech, err);
        if (rc != MQ_OK)
            return rc;
    }
    /* A one-item program in memory, read and spoken like any other. */
    const char *voice = mq_program_voice(s->env->program);
    size_t len = 2 * strlen(text) + strlen(voice ? voice : "") + 160, w;
    char *yaml = malloc(len);
    if (!yaml)
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    w = (size_t)snprintf(yaml, len, "title: say\nvoice: \"%s\"\nitems:\n  - announce: \"",
                         voice ? voice : "announcer");
    for (const char *p = text; *p; p++) {
        if (*p == '"' || *p == '\\')
            yaml[w++] = '\\';
        yaml[w++] = *p == '\n' || *p == '\r' ? ' ' : *p;
    }
    snprintf(yaml + w, len - w, "\"\n");
    mq_diags *d = mq_diags_create();
    mq_program_opts po = { .voices = mq_voiceset_names(s->env->voices),
                           .n_voices = mq_voiceset_count(s->env->voices) };
    mq_program *prog = NULL;
    mq_render *r = NULL;
    mq_cues *c = NULL;
    int rc = d ? mq_program_load_buffer(yaml, strlen(yaml), "say", ".", &po, &prog, d, err)
               : mq_error_set(err, MQ_ENOMEM, "out of memory");
    free(yaml);
    if (rc == MQ_OK) {
        mq_render_env re = { .program = prog, .voices = s->env->voices, .reader = s->env->reader,
                             .speech = s->env->speech, .rate = s->rate, .channels = s->channels,
                             .stop = &cli_stop };
        rc = mq_render_prepare(&re, &r, d, err);
    }
    if (rc == MQ_EINPUT && mq_diags_stored(d))
        mq_error_set(err, MQ_EINPUT, "say: %s", mq_diags_get(d, 0)->message);
    if (rc == MQ_OK) {
        mq_render_set_speech(r, s->env->speech);
        mq_mix_env me = { .program = prog, .speak = mq_render_speech, .speak_ctx = r,
                          .loudness = mq_render_speech_loudness,
                          .rate = s->rate, .channels = s->channels, .balance = 1,
                          .stop = &cli_stop };
        rc = mq_cues_prepare(&me, NULL, NULL, &c, err);
    }
    /* Ad-libs the engine has let go (their say_end is out) are freed one by
     * one: with one every few seconds they overlap, and waiting for a moment
     * when none sounds kept an evening's worth (each a mapped file). */
    if (rc == MQ_OK) {
        size_t k = 0;
        for (size_t i = 0; i < s->n_said; i++) {
            if (mq_live_holds(s->live, mq_cues_get(s->said[i], 0)->data))
                s->said[k++] = s->said[i];
            else
                mq_cues_free(s->said[i]);
        }
        s->n_said = k;
    }
    mq_cues **grown = NULL;
    if (rc == MQ_OK && !(grown = realloc(s->said, (s->n_said + 1) * sizeof *grown)))
        rc = mq_error_set(err, MQ_ENOMEM, "out of memory");
    if (rc == MQ_OK) {
        s->said = grown;
        s->said[s->n_said++] = c;
        const mq_cue *q = mq_cues_get(c, 0);
        rc = mq_live_say(s->live, q->data, q->frames, err);
    } else {
        mq_cues_free(c);
    }
    mq_render_free(r);
    mq_program_free(prog);
    mq_diags_free(d);
    return rc;
}

/* ---- stdin commands, JSON events ---- */

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static const char *event_name(mq_live_event_type t)
{
    static const char *names[] = { "cue_start", "cue_end", "cue_faded", "say_start", "say_end",
                                   "go_ignored", "latency", "underrun", "device_error",
                                   "device_ok" };
    return names[t];
}

static void print_event(live_session *s, const mq_live_event *e)
{
    printf("{\"event\":\"%s\",\"t\":%.3f,\"frame\":%llu", event_name(e->type), e->time,
           (unsigned long long)e->frame);
    const mq_cue *q = e->cue >= 0 ? mq_cues_get(s->cues, (size_t)e->cue) : NULL;
    if (q) {
        printf(",\"cue\":%ld,\"label\":", e->cue + 1);
        json_str(q->label);
    }
    if (e->type == MQ_EV_CUE_START)
        printf(",\"auto\":%s", e->auto_follow ? "true" : "false");
    if (e->type == MQ_EV_LATENCY)
        printf(",\"latency_ms\":%.1f", e->latency_ms);
    if (e->type == MQ_EV_UNDERRUN)
        printf(",\"underruns\":%lu", e->count);
    if (e->type == MQ_EV_DEVICE_ERROR) {
        printf(",\"message\":");
        json_str(e->text);
    }
    printf("}\n");
}

static void print_status(live_session *s)
{
    mq_live_status st;
    mq_live_status_get(s->live, &st);
    printf("{\"event\":\"status\",\"t\":%.3f,\"frame\":%llu,\"next\":%ld,\"current\":%ld,"
           "\"elapsed\":%.2f,\"remaining\":%.2f,\"playing\":[", st.time,
           (unsigned long long)st.frame, st.next + 1, st.current + 1, st.elapsed, st.remaining);
    for (int i = 0; i < st.n_playing_cues; i++)
        printf("%s%ld", i ? "," : "", st.playing_cues[i] + 1);
    printf("],\"saying\":%s,\"paused\":%s,\"peak_db\":%.1f,\"underruns\":%lu,",
           st.saying ? "true" : "false", st.paused ? "true" : "false",
           isfinite(st.peak_db) ? st.peak_db : -120.0, st.underruns);
    if (st.last_latency_ms >= 0)
        printf("\"latency_ms\":%.1f,", st.last_latency_ms);
    else
        printf("\"latency_ms\":null,");
    printf("\"device_latency_ms\":%.1f,\"device_ok\":%s,\"realtime\":%s,\"device\":",
           st.device_latency_ms, st.device_ok ? "true" : "false",
           st.realtime ? "true" : "false");
    json_str(st.device);
    printf("}\n");
}

static void print_error(const char *msg)
{
    printf("{\"event\":\"error\",\"message\":");
    json_str(msg);
    printf("}\n");
}

static void drain(live_session *s)
{
    mq_live_event e;
    mq_live_poll(s->live);
    while (mq_live_next_event(s->live, &e))
        print_event(s, &e);
    fflush(stdout);
}

/* One command; returns 1 for quit. */
static int command(live_session *s, char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
        line[--n] = '\0';
    while (*line == ' ')
        line++;
    char *arg = strchr(line, ' ');
    if (arg) {
        *arg++ = '\0';
        while (*arg == ' ')
            arg++;
    }
    mq_error err = { 0 };
    char *end;
    if (!*line || *line == '#')
        return 0;
    if (!strcmp(line, "go")) {
        long c = -1;
        if (arg && *arg) {
            c = strtol(arg, &end, 10) - 1;
            if (*end || c < 0) {
                print_error("go: expected a cue number");
                return 0;
            }
        }
        if (mq_live_go(s->live, c, &err) < 0)
            print_error(err.msg);
    } else if (!strcmp(line, "stop")) {
        mq_live_stop(s->live);
    } else if (!strcmp(line, "fade")) {
        double secs = arg ? strtod(arg, &end) : 0;
        if (!arg || *end || !(secs > 0 && secs <= 600))
            print_error("fade: expected seconds, e.g. fade 5");
        else
            mq_live_fade(s->live, secs);
    } else if (!strcmp(line, "panic")) {
        mq_live_panic(s->live);
    } else if (!strcmp(line, "pause") || !strcmp(line, "resume")) {
        mq_live_pause(s->live, line[0] == 'p');
    } else if (!strcmp(line, "say")) {
        if (live_say(s, arg ? arg : "", &err) != MQ_OK)
            print_error(err.msg);
    } else if (!strcmp(line, "status")) {
        mq_live_poll(s->live);
        print_status(s);
    } else if (!strcmp(line, "reopen")) {
        mq_live_reopen(s->live, &err);
    } else if (!strcmp(line, "quit")) {
        return 1;
    } else {
        char msg[400];
        snprintf(msg, sizeof msg, "unknown command '%.200s' (go, go N, stop, fade SECONDS, panic, "
                 "pause, resume, say TEXT, status, reopen, quit)", line);
        print_error(msg);
    }
    return 0;
}

static int live_lines(live_session *s)
{
    char buf[8192];
    size_t have = 0;
    int eof = 0;
    for (;;) {
        drain(s);
        if (cli_stop)
            return cli_stopped_status();
        if (eof) {
            /* Input ended without quit: let what plays finish. */
            mq_live_status st;
            mq_live_status_get(s->live, &st);
            if (!st.playing)
                break;
            poll(NULL, 0, 20);
            continue;
        }
        struct pollfd pf = { .fd = STDIN_FILENO, .events = POLLIN };
        if (poll(&pf, 1, 10) <= 0)
            continue;
        ssize_t got = read(STDIN_FILENO, buf + have, sizeof buf - 1 - have);
        if (got <= 0) {
            if (got < 0 && errno == EINTR)
                continue;
            eof = 1;
            if (have) {
                buf[have] = '\0';
                if (command(s, buf))
                    break;
            }
            continue;
        }
        have += (size_t)got;
        buf[have] = '\0';
        char *nl;
        int quit = 0;
        while (!quit && (nl = memchr(buf, '\n', have))) {
            *nl = '\0';
            size_t used = (size_t)(nl - buf) + 1;
            quit = command(s, buf);
            drain(s);
            memmove(buf, buf + used, have - used);
            have -= used;
        }
        if (quit)
            break;
        if (have == sizeof buf - 1)
            have = 0;   /* a line too long for any command */
    }
    mq_live_status st;
    mq_live_status_get(s->live, &st);
    printf("{\"event\":\"quit\",\"t\":%.3f,\"frame\":%llu}\n", st.time,
           (unsigned long long)st.frame);
    fflush(stdout);
    return CLI_OK;
}

/* ---- preparing the show ---- */

typedef struct prep_progress {
    cli_progress pr;
    const mq_program *program;
} prep_progress;

static int on_prepare(void *user, size_t i, size_t n)
{
    prep_progress *p = user;
    if (cli_stop)
        return 1;
    if (p->pr.enabled) {
        const mq_item *it = mq_program_item(p->program, i);
        fprintf(stderr, "\r\033[Kpreparing cue %zu/%zu %s", i + 1, n,
                it && it->name ? it->name : it ? mq_item_kind_name(it->kind) : "");
        fflush(stderr);
    }
    return 0;
}

int cmd_live(int argc, char **argv)
{
    static const struct option opts[] = {
        { "device", required_argument, NULL, 'd' }, { "go-guard", required_argument, NULL, 'g' },
        { "quiet", no_argument, NULL, 'q' }, { "help", no_argument, NULL, 'h' }, { 0 } };
    const char *usage = "muqir live PROGRAM [--device NAME|INDEX] [--go-guard SECONDS] [--quiet]";
    const char *device = NULL;
    double guard = MQ_LIVE_GO_GUARD;
    int quiet = 0, c;
    char *end;
    while ((c = getopt_long(argc, argv, "d:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'd': device = optarg; break;
        case 'q': quiet = 1; break;
        case 'g':
            guard = strtod(optarg, &end);
            if (end == optarg || *end || !(guard >= 0 && guard <= 5)) {
                cli_error("--go-guard: expected seconds from 0 to 5, not '%s'", optarg);
                return CLI_USAGE;
            }
            break;
        case 'h': printf("usage: %s\n", usage); return CLI_OK;
        default: fprintf(stderr, "usage: %s\n", usage); return CLI_USAGE;
        }
    }
    if (optind + 1 != argc) {
        cli_error("live: expected one PROGRAM (usage: %s)", usage);
        return CLI_USAGE;
    }
    cli_catch_signals();
    cli_env e = { 0 };
    mq_render *r = NULL;
    live_session s = { .env = &e };
    int st = cli_open_program(&e, argv[optind], 0, &r);
    mq_error err = { 0 };
    if (st == CLI_OK) {
        /* Every cue mixed before the session opens: GO never waits. */
        const mq_output_opts *oo = mq_program_output(e.program);
        s.rate = oo->rate;
        s.channels = oo->channels;
        mq_mix_env me = { .program = e.program, .speak = mq_render_speech, .speak_ctx = r,
                          .loudness = mq_render_speech_loudness,
                          .rate = oo->rate, .channels = oo->channels, .balance = 1,
                          .stop = &cli_stop };
        prep_progress pp = { .program = e.program };
        cli_progress_init(&pp.pr, quiet);
        int rc = mq_cues_prepare(&me, on_prepare, &pp, &s.cues, &err);
        cli_progress_end(&pp.pr);
        if (rc != MQ_OK) {
            cli_error("%s", err.msg);
            st = rc == MQ_EINTERRUPTED ? cli_stopped_status() : cli_status(rc);
        }
    }
    if (st == CLI_OK) {
        mq_live_opts lo = { .ceiling_dbtp = mq_program_output(e.program)->true_peak,
                            .go_guard = guard > 0 ? guard : -1 };
        cli_device_opts(&lo.device, device, s.rate, s.channels);
        int rc = mq_live_create(&lo, s.cues, &s.live, &err);
        if (rc == MQ_EDEVICE)
            cli_error("%s — the cues are ready; reopen the device with r (or 'reopen') "
                      "when it is back", err.msg);
        else if (rc != MQ_OK) {
            cli_error("%s", err.msg);
            st = CLI_FAIL;
        }
        if (!quiet && rc == MQ_OK && !isatty(STDIN_FILENO))
            fprintf(stderr, "%s: %zu cues ready on %s\n", cli_prog, mq_cues_count(s.cues),
                    device ? device : "the default output");
    }
    if (st == CLI_OK)
        st = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) ? live_tui(&s) : live_lines(&s);
    mq_live_free(s.live);
    for (size_t i = 0; i < s.n_said; i++)
        mq_cues_free(s.said[i]);
    free(s.said);
    mq_cues_free(s.cues);
    mq_render_free(r);
    cli_env_free(&e);
    return st;
}
