/* cmd_render.c — `muqir render PROGRAM -o OUT` and `muqir say TEXT -o OUT`. */
#include "cli.h"
#include "../output/mq_captions.h"
#include "../output/mq_export.h"
#include "../output/mq_outcache.h"
#include "../output/mq_timeline.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The options naming files render writes, in render_opts' order. */
static const char *const dest_flags[] = { "-o", "--srt", "--lrc", "--cue", "--timeline" };

typedef struct render_opts {
    const char *out, *srt, *lrc, *cue, *timeline;
    int quiet;
    mq_sample_format fmt;
    int loudness_set;
    double loudness;          /* NAN = off */
} render_opts;

/* Whether PATH can be written: its folder exists and is writable, and PATH is
 * not a folder or a read-only file. Checked before any work, so that a typo
 * in a caption path does not cost a long render (or leave the audio written
 * and the captions not). Returns CLI_OK or CLI_FAIL with the message printed. */
static int check_dest(const char *path)
{
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) {
        cli_error("%s: is a folder; give a file name", path);
        return CLI_FAIL;
    }
    /* The new file is renamed over the old one, which needs only the
     * folder's permission; a file someone made read-only is not replaced
     * behind their back (root included: no write bit at all counts). */
    if (exists && (access(path, W_OK) != 0 || !(st.st_mode & 0222))) {
        cli_error("%s: is read-only; muqir does not replace it (make it writable, or give "
                  "another name)", path);
        return CLI_FAIL;
    }
    char dir[PATH_MAX];
    cli_dir_of(path, dir, sizeof dir);
    if (access(dir, W_OK) != 0) {
        cli_error("%s: cannot write there: %s", path, strerror(errno));
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* Two of the files render writes would be one: the second would replace the
 * first. Returns CLI_OK or CLI_USAGE with the message printed. */
static int check_dests_differ(const char *const *dest, const char *const *flag, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (dest[i] && *dest[i] && dest[j] && *dest[j] && cli_same_file(dest[i], dest[j])) {
                cli_error("%s: given to both %s and %s; each output needs a file of its own",
                          dest[j], flag[i], flag[j]);
                return CLI_USAGE;
            }
    return CLI_OK;
}

/* No output may replace a file the program uses (cli_refuse_input). */
static int check_not_input(const mq_program *p, const char *const *dest,
                           const char *const *flag, size_t n)
{
    for (size_t d = 0; d < n; d++)
        if (dest[d] && *dest[d] && cli_refuse_input(p, dest[d], flag[d]) != CLI_OK)
            return CLI_USAGE;
    return CLI_OK;
}

/* Parses the options render and say share; returns -1 to go on, else a status. */
static int parse_opts(int argc, char **argv, render_opts *o, const char **voice,
                      const char *usage, cli_env *e)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' }, { "quiet", no_argument, NULL, 'q' },
        { "bits", required_argument, NULL, 'b' }, { "voice", required_argument, NULL, 'v' },
        { "loudness", required_argument, NULL, 'L' }, { "srt", required_argument, NULL, 'S' },
        { "lrc", required_argument, NULL, 'R' }, { "cue", required_argument, NULL, 'C' },
        { "timeline", required_argument, NULL, 'T' }, { "no-cache", no_argument, NULL, 'N' },
        { "jobs", required_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' }, { 0 } };
    int c;
    while ((c = getopt_long(argc, argv, "o:qv:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': o->out = optarg; break;
        case 'q': o->quiet = 1; break;
        case 'S': o->srt = optarg; break;
        case 'R': o->lrc = optarg; break;
        case 'C': o->cue = optarg; break;
        case 'T': o->timeline = optarg; break;
        case 'N':
        case 'j':
            if (cli_speech_option(e, c, optarg))
                return CLI_USAGE;
            break;
        case 'v':
            if (!voice) {
                cli_error("--voice applies to 'say' only; set voices in the program");
                return CLI_USAGE;
            }
            *voice = optarg;
            break;
        case 'L': {
            char *end;
            o->loudness_set = 1;
            if (!strcmp(optarg, "off")) {
                o->loudness = NAN;
                break;
            }
            o->loudness = strtod(optarg, &end);
            if (end == optarg || *end || !(o->loudness >= -40 && o->loudness <= -5)) {
                cli_error("--loudness: expected a target from -40 to -5 LUFS (-23, -24, -16) "
                          "or off, not '%s'", optarg);
                return CLI_USAGE;
            }
            break;
        }
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
    const char *dest[] = { o->out, o->srt, o->lrc, o->cue, o->timeline };
    for (size_t i = 0; i < sizeof dest / sizeof dest[0]; i++)
        if (dest[i] && *dest[i] && check_dest(dest[i]) != CLI_OK)
            return CLI_FAIL;
    if (check_dests_differ(dest, dest_flags, sizeof dest / sizeof dest[0]) != CLI_OK)
        return CLI_USAGE;
    return -1;
}

typedef struct progress_ctx {
    cli_progress pr;
    mq_mix *mix;
    const mq_program *program;
    time_t started;
    double shown;           /* when the line was last drawn, s */
    int pass;
} progress_ctx;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int show_progress(void *user, int pass, double fraction)
{
    progress_ctx *p = user;
    if (cli_stop)
        return 1;
    if (!p->pr.enabled)
        return 0;
    /* Ten updates a second are plenty for a person, and cheap. */
    double t = now_s();
    if (pass == p->pass && t - p->shown < 0.1)
        return 0;
    p->pass = pass;
    p->shown = t;
    /* Rendering is most of the work; writing the rest. */
    double whole = pass == 1 ? 0.8 * fraction : 0.8 + 0.2 * fraction;
    char what[160];
    if (pass == 1) {
        size_t i = mq_mix_current_item(p->mix);
        const mq_item *it = mq_program_item(p->program, i);
        snprintf(what, sizeof what, "item %zu/%zu %s", i + 1, mq_program_item_count(p->program),
                 it && it->name ? it->name : it ? mq_item_kind_name(it->kind) : "");
    } else {
        snprintf(what, sizeof what, "normalizing and writing");
    }
    double spent = difftime(time(NULL), p->started);
    char left[32] = "";
    if (whole > 0.05 && spent >= 2)
        snprintf(left, sizeof left, ", %.0f s left", spent / whole - spent);
    fprintf(stderr, "\r\033[K%3d%% %s%s", (int)(whole * 100), what, left);
    fflush(stderr);
    return 0;
}

static void report_written(const render_opts *o, const mq_output_opts *oo,
                           const mq_export_report *rep);

/* Renders the program in E through the mixer and exports it with captions;
 * the export's figures into *KEEP when KEEP is not NULL. */
static int export_program(cli_env *e, mq_render *r, const render_opts *o,
                          mq_export_report *keep)
{
    mq_mix *mix = NULL;
    int st = cli_mix(e, r, &mix);
    if (st != CLI_OK)
        return st;
    const mq_output_opts *oo = mq_program_output(e->program);
    progress_ctx pc = { .mix = mix, .program = e->program, .started = time(NULL) };
    cli_progress_init(&pc.pr, o->quiet);
    mq_export_opts xo = { .path = o->out, .format = o->fmt,
                          .loudness = o->loudness_set ? o->loudness : oo->loudness,
                          .true_peak = oo->true_peak, .title = mq_program_title(e->program),
                          .curve_step = o->timeline ? 0.5 : 0,
                          .progress = show_progress, .user = &pc };
    mq_export_report rep;
    mq_error err = { 0 };
    int rc = mq_export(mix, &xo, &rep, &err);
    cli_progress_end(&pc.pr);
    if (rc == MQ_OK && o->srt)
        rc = mq_captions_write_srt(mix, o->srt, &err);
    if (rc == MQ_OK && o->lrc)
        rc = mq_captions_write_lrc(mix, mq_program_title(e->program), o->lrc, &err);
    if (rc == MQ_OK && o->cue)
        rc = mq_captions_write_cue(mix, e->program, o->out, o->cue, &err);
    if (rc == MQ_OK && o->timeline) {
        mq_curve curve = { rep.curve, rep.ncurve, 0.5, xo.loudness };
        rc = mq_timeline_write_svg(mix, e->program, &curve, o->timeline, &err);
    }
    free(rep.curve);
    rep.curve = NULL;
    if (keep)
        *keep = rep;
    if (rc == MQ_OK && !o->quiet) {
        const mq_render_stats *rs = mq_render_get_stats(r);
        fprintf(stderr, "%s: speech: %zu item%s synthesized", cli_prog, rs->synthesized,
                rs->synthesized == 1 ? "" : "s");
        if (rs->workers > 1)
            fprintf(stderr, " by %d processes", rs->workers);
        fprintf(stderr, ", %zu from the cache", rs->cached);
        if (rs->damaged)
            fprintf(stderr, " (%zu damaged entr%s found and replaced)", rs->damaged,
                    rs->damaged == 1 ? "y" : "ies");
        if (rs->uncached)
            fprintf(stderr, " (%zu not kept by the cache: synthesized here)", rs->uncached);
        fputc('\n', stderr);
        report_written(o, oo, &rep);
    }
    mq_mix_free(mix);
    if (rc == MQ_EINTERRUPTED) {
        cli_error("interrupted; %s was not written", o->out);
        return cli_stopped_status();
    }
    if (rc != MQ_OK) {
        cli_error("%s", err.msg);
        return rc == MQ_EUNSUPPORTED ? CLI_USAGE : rc == MQ_EINPUT ? CLI_USAGE : CLI_FAIL;
    }
    return CLI_OK;
}

/* The output cache (mq_outcache.h): a render of an unchanged program is the
 * files an earlier render wrote, delivered from the cache (linked or copied). */
typedef struct out_cache {
    mq_cache *cache;                    /* NULL: not used */
    char key[MQ_HASH_HEX];
    const char *paths[MQ_OUTCACHE_MAX_FILES];
    size_t n;
} out_cache;

static void report_written(const render_opts *o, const mq_output_opts *oo,
                           const mq_export_report *rep)
{
    fprintf(stderr, "%s: wrote %s (%.1f s, %d Hz, %d channel%s, %.1f LUFS, %.1f dBTP)\n",
            cli_prog, o->out, (double)rep->frames / oo->rate, oo->rate, oo->channels,
            oo->channels == 1 ? "" : "s", rep->loudness, rep->true_peak);
}

/* Everything besides the program that shapes the files render writes. */
static void options_string(const render_opts *o, char *buf, size_t size)
{
    const char *base = strrchr(o->out, '/');
    base = base ? base + 1 : o->out;
    const char *dot = strrchr(base, '.');
    char ext[16] = "";
    for (size_t i = 0; dot && dot[i + 1] && i + 1 < sizeof ext; i++)
        ext[i] = (char)tolower((unsigned char)dot[i + 1]);
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    /* The cue sheet names the audio file; nothing else names a path. */
    snprintf(buf, size, "ext=%s|bits=%d|loudness=%d:%a|srt=%d|lrc=%d|cue=%d:%s|timeline=%d|"
             "sde=%s", ext, (int)o->fmt, o->loudness_set, o->loudness, !!o->srt, !!o->lrc,
             !!o->cue, o->cue ? base : "", !!o->timeline, sde ? sde : "(unset)");
}

/* Opens the user's cache and looks the render up. Returns -1 to render (OC
 * set up to store the result when it can be kept), else the exit status of
 * a render done from the cache. */
static int out_cache_lookup(cli_env *e, const render_opts *o, out_cache *oc)
{
    char dir[4096], exe[MQ_HASH_HEX], lexicon[PATH_MAX], opts[512];
    mq_error err = { 0 };
    const char *path = mq_cache_default_dir(dir, sizeof dir);
    /* This very build is part of the key: any change to the engine misses. */
    if (!path || mq_hash_file_fast("/proc/self/exe", exe, &err) != MQ_OK ||
        mq_cache_open(path, 0, &oc->cache, &err) != MQ_OK)
        return -1;   /* cli_prepare warns about an unusable cache */
    snprintf(lexicon, sizeof lexicon, "%s/lexicon", cli_voices_dir());
    options_string(o, opts, sizeof opts);
    mq_outcache_inputs in = { .program = e->program, .voices = e->voices,
                              .lexicon_dir = lexicon, .engine = exe, .options = opts };
    if (mq_outcache_key(&in, oc->key, &err) != MQ_OK) {
        /* A file the program uses cannot be read: the render says so. */
        mq_cache_free(oc->cache);
        oc->cache = NULL;
        return -1;
    }
    const char *side[] = { o->srt, o->lrc, o->cue, o->timeline };
    oc->paths[oc->n++] = o->out;
    for (size_t i = 0; i < sizeof side / sizeof side[0]; i++)
        if (side[i])
            oc->paths[oc->n++] = side[i];
    mq_export_report rep;
    int hit = mq_outcache_get(oc->cache, oc->key, oc->paths, oc->n, &rep, &err);
    if (hit == 1) {
        if (!o->quiet) {
            fprintf(stderr, "%s: output reused from the cache (the same program, content "
                    "and options were rendered before): nothing synthesized or mixed\n",
                    cli_prog);
            report_written(o, mq_program_output(e->program), &rep);
        }
        return CLI_OK;
    }
    if (hit == MQ_EIO) {
        cli_error("%s", err.msg);
        return CLI_FAIL;
    }
    if (hit < 0 && !o->quiet)
        fprintf(stderr, "%s: %s; rendering again\n", cli_prog, err.msg);
    return -1;
}

int cmd_render(int argc, char **argv)
{
    render_opts o = { .loudness = NAN };
    const char *usage = "muqir render PROGRAM -o OUT.wav|.flac|.ogg|.opus|.mp3 [--bits 16|24|float] "
                        "[--loudness -23|-24|-16|off] [--srt F] [--lrc F] [--cue F] [--timeline F.svg] "
                        "[--no-cache] [--jobs N] [--quiet]";
    cli_env e = { .ahead = CLI_AHEAD_OVERLAP };
    int st = parse_opts(argc, argv, &o, NULL, usage, &e);
    if (st >= 0)
        return st;
    if (optind + 1 != argc) {
        cli_error("render: expected one PROGRAM (usage: %s)", usage);
        return CLI_USAGE;
    }
    cli_catch_signals_writing();
    mq_render *r = NULL;
    out_cache oc = { 0 };
    st = cli_open_voices(&e);
    if (st == CLI_OK)
        st = cli_load_program(&e, argv[optind]);
    const char *dest[] = { o.out, o.srt, o.lrc, o.cue, o.timeline };
    if (st == CLI_OK)
        st = check_not_input(e.program, dest, dest_flags, sizeof dest / sizeof dest[0]);
    int done = st == CLI_OK && !e.no_cache ? out_cache_lookup(&e, &o, &oc) : -1;
    if (done >= 0) {
        st = done;
    } else {
        mq_export_report rep;
        if (st == CLI_OK)
            st = cli_prepare(&e, 0, &r);
        if (st == CLI_OK)
            st = export_program(&e, r, &o, &rep);
        mq_error err = { 0 };
        if (st == CLI_OK && oc.cache &&
            mq_outcache_put(oc.cache, oc.key, oc.paths, oc.n, &rep, &err) != MQ_OK &&
            !o.quiet)
            fprintf(stderr, "%s: warning: the output was not kept in the cache: %s\n",
                    cli_prog, err.msg);
    }
    mq_cache_free(oc.cache);
    mq_render_free(r);
    cli_env_free(&e);
    for (size_t i = 0; st == CLI_OK && i < sizeof dest / sizeof dest[0]; i++)
        if (dest[i] && *dest[i])
            cli_clean_stale(dest[i]);
    return st;
}

int cmd_say(int argc, char **argv)
{
    render_opts o = { .loudness = NAN };
    const char *voice = "announcer";
    const char *usage = "muqir say TEXT -o OUT.wav [--voice NAME] [--quiet]";
    cli_env e = { .ahead = CLI_AHEAD_ALL };
    int st = parse_opts(argc, argv, &o, &voice, usage, &e);
    if (st >= 0)
        return st;
    if (optind >= argc) {
        cli_error("say: expected TEXT (usage: %s)", usage);
        return CLI_USAGE;
    }
    /* A one-item program built in memory goes through the same path as render;
     * the words after the options are the text, as `echo` takes them. */
    size_t len = strlen(voice) + 128;
    for (int i = optind; i < argc; i++)
        len += 2 * strlen(argv[i]) + 1;
    char *yaml = malloc(len);
    if (!yaml) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    size_t w = (size_t)snprintf(yaml, len, "title: say\nvoice: \"%s\"\nitems:\n  - announce: \"",
                                voice);
    for (int i = optind; i < argc; i++) {
        if (i > optind)
            yaml[w++] = ' ';
        for (const char *p = argv[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                yaml[w++] = '\\';
            yaml[w++] = *p == '\n' ? ' ' : *p;
        }
    }
    snprintf(yaml + w, len - w, "\"\n");
    cli_catch_signals_writing();
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
    if (st == CLI_OK)
        st = export_program(&e, r, &o, NULL);
    mq_render_free(r);
    cli_env_free(&e);
    if (st == CLI_OK)
        cli_clean_stale(o.out);
    return st;
}
