/* cmd_render.c — `muqir render PROGRAM -o OUT` and `muqir say TEXT -o OUT`. */
#include "cli.h"
#include "../output/mq_outfile.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct render_opts {
    const char *out;
    int quiet;
    mq_sample_format fmt;
} render_opts;

/* Parses the options render and say share; returns -1 to go on, else a status. */
static int parse_opts(int argc, char **argv, render_opts *o, const char **voice,
                      const char *usage)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' }, { "quiet", no_argument, NULL, 'q' },
        { "bits", required_argument, NULL, 'b' }, { "voice", required_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' }, { 0 } };
    int c;
    while ((c = getopt_long(argc, argv, "o:qv:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': o->out = optarg; break;
        case 'q': o->quiet = 1; break;
        case 'v':
            if (!voice) {
                cli_error("--voice applies to 'say' only; set voices in the program");
                return CLI_USAGE;
            }
            *voice = optarg;
            break;
        case 'b':
            if (!strcmp(optarg, "16")) o->fmt = MQ_PCM_16;
            else if (!strcmp(optarg, "24")) o->fmt = MQ_PCM_24;
            else if (!strcmp(optarg, "32f") || !strcmp(optarg, "float")) o->fmt = MQ_FLOAT_32;
            else {
                cli_error("--bits: expected 16, 24 or float, not '%s'", optarg);
                return CLI_USAGE;
            }
            break;
        case 'h': printf("usage: %s\n", usage); return CLI_OK;
        default: fprintf(stderr, "usage: %s\n", usage); return CLI_USAGE;
        }
    }
    if (!o->out) {
        cli_error("-o OUT is required (usage: %s)", usage);
        return CLI_USAGE;
    }
    return -1;
}

/* Renders every item of R into OUT; removes the temporary file on any failure
 * or Ctrl-C. */
static int write_items(mq_render *r, size_t n_items, const char **names,
                       const mq_output_opts *oo, const render_opts *o)
{
    mq_error err = { 0 };
    mq_outfile *f;
    if (mq_outfile_open(o->out, oo->rate, oo->channels, o->fmt, &f, &err) != MQ_OK) {
        cli_error("%s", err.msg);
        return err.code == MQ_EUNSUPPORTED ? CLI_USAGE : CLI_FAIL;
    }
    cli_progress pr;
    cli_progress_init(&pr, o->quiet);
    pr.total = n_items;
    mq_buf buf = { .channels = oo->channels };
    int rc = MQ_OK;
    for (size_t i = 0; i < n_items && rc == MQ_OK; i++) {
        pr.done = i;
        cli_progress_show(&pr, names[i], (double)i / n_items);
        buf.frames = 0;
        rc = mq_render_item(r, i, &buf, &err);
        if (rc == MQ_OK)
            rc = mq_outfile_write(f, buf.data, buf.frames, &err);
        if (rc == MQ_OK && cli_stop)
            rc = mq_error_set(&err, MQ_EINTERRUPTED, "interrupted");
    }
    cli_progress_end(&pr);
    mq_buf_free(&buf);
    if (rc == MQ_OK) {
        size_t frames = mq_outfile_frames(f);
        rc = mq_outfile_commit(f, &err);
        if (rc == MQ_OK && !o->quiet)
            fprintf(stderr, "%s: wrote %s (%.1f s, %d Hz, %d channel%s)\n", cli_prog, o->out,
                    (double)frames / oo->rate, oo->rate, oo->channels,
                    oo->channels == 1 ? "" : "s");
    } else {
        mq_outfile_abort(f);
    }
    if (rc == MQ_EINTERRUPTED) {
        cli_error("interrupted; %s was not written", o->out);
        return 130;
    }
    if (rc != MQ_OK) {
        cli_error("%s", err.msg);
        return cli_status(rc == MQ_EINPUT ? MQ_EIO : rc);
    }
    return CLI_OK;
}

int cmd_render(int argc, char **argv)
{
    render_opts o = { 0 };
    const char *usage = "muqir render PROGRAM -o OUT.wav [--bits 16|24|float] [--quiet]";
    int st = parse_opts(argc, argv, &o, NULL, usage);
    if (st >= 0)
        return st;
    if (optind + 1 != argc) {
        cli_error("render: expected one PROGRAM (usage: %s)", usage);
        return CLI_USAGE;
    }
    cli_catch_signals();
    cli_env e = { 0 };
    st = cli_open_voices(&e);
    if (st == CLI_OK)
        st = cli_load_program(&e, argv[optind]);
    mq_render *r = NULL;
    if (st == CLI_OK)
        st = cli_prepare(&e, 0, &r);
    const mq_output_opts *oo = st == CLI_OK ? mq_program_output(e.program) : NULL;
    if (st == CLI_OK) {
        size_t n = mq_program_item_count(e.program);
        const char **names = calloc(n ? n : 1, sizeof *names);
        if (!names) {
            cli_error("out of memory");
            st = CLI_FAIL;
        } else {
            for (size_t i = 0; i < n; i++) {
                const mq_item *it = mq_program_item(e.program, i);
                names[i] = it->name ? it->name : mq_item_kind_name(it->kind);
            }
            st = write_items(r, n, names, oo, &o);
            free(names);
        }
    }
    mq_render_free(r);
    cli_env_free(&e);
    return st;
}

int cmd_say(int argc, char **argv)
{
    render_opts o = { 0 };
    const char *voice = "announcer";
    const char *usage = "muqir say TEXT -o OUT.wav [--voice NAME] [--quiet]";
    int st = parse_opts(argc, argv, &o, &voice, usage);
    if (st >= 0)
        return st;
    if (optind >= argc) {
        cli_error("say: expected TEXT (usage: %s)", usage);
        return CLI_USAGE;
    }
    /* The words after the options are the text, as `echo` takes them. */
    size_t len = 1;
    for (int i = optind; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *text = malloc(len);
    if (!text) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    text[0] = '\0';
    for (int i = optind; i < argc; i++) {
        if (i > optind)
            strcat(text, " ");
        strcat(text, argv[i]);
    }
    /* A one-item program built in memory goes through the same path as render. */
    size_t ylen = strlen(text) * 2 + strlen(voice) + 128;
    char *yaml = malloc(ylen);
    if (!yaml) {
        free(text);
        cli_error("out of memory");
        return CLI_FAIL;
    }
    size_t w = (size_t)snprintf(yaml, ylen, "title: say\nvoice: \"%s\"\nitems:\n  - announce: \"",
                                voice);
    for (const char *p = text; *p && w + 8 < ylen; p++) {
        if (*p == '"' || *p == '\\')
            yaml[w++] = '\\';
        yaml[w++] = *p == '\n' ? ' ' : *p;
    }
    snprintf(yaml + w, ylen - w, "\"\n");
    free(text);
    cli_catch_signals();
    cli_env e = { 0 };
    st = cli_open_voices(&e);
    if (st == CLI_OK) {
        mq_diags *d = mq_diags_create();
        mq_error err = { 0 };
        mq_program_opts po = { .voices = mq_voiceset_names(e.voices),
                               .n_voices = mq_voiceset_count(e.voices) };
        if (!d || mq_program_load_buffer(yaml, strlen(yaml), "say", ".", &po, &e.program, d,
                                         &err) != MQ_OK) {
            for (size_t i = 0; d && i < mq_diags_stored(d); i++)
                cli_error("%s", mq_diags_get(d, i)->message);
            st = CLI_USAGE;
        }
        mq_diags_free(d);
    }
    free(yaml);
    mq_render *r = NULL;
    if (st == CLI_OK)
        st = cli_prepare(&e, 0, &r);
    if (st == CLI_OK) {
        const mq_output_opts *oo = mq_program_output(e.program);
        const char *names[] = { "say" };
        st = write_items(r, 1, names, oo, &o);
    }
    mq_render_free(r);
    cli_env_free(&e);
    return st;
}
