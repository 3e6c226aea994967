/* cli_common.c — shared pieces of the command line; see cli.h. */
#include "cli.h"
#include "../live/mq_device.h"
#include "../util/mq_fdio.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#ifndef MQ_DATADIR
#define MQ_DATADIR "/usr/local/share/muqir"
#endif

static int open_cache(cli_env *e, mq_render *r);

const char *cli_prog = "muqir";
volatile sig_atomic_t cli_stop;

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *cli_voices_dir(void)
{
    static char dir[PATH_MAX];
    if (dir[0])
        return dir;
    const char *env = getenv("MUQIR_VOICES");
    if (env && *env) {
        snprintf(dir, sizeof dir, "%s", env);
        return dir;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            /* build/muqir and build/asan/muqir both sit inside the source tree. */
            const char *ups[] = { "/../voices", "/../../voices" };
            for (int i = 0; i < 2; i++) {
                snprintf(dir, sizeof dir, "%s%s", exe, ups[i]);
                if (is_dir(dir))
                    return dir;
            }
        }
    }
    snprintf(dir, sizeof dir, "%s/voices", MQ_DATADIR);
    return dir;
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", cli_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_print_diags(const mq_diags *d)
{
    char buf[2048];
    for (size_t i = 0; i < mq_diags_stored(d); i++)
        fprintf(stderr, "%s\n", mq_diag_format(mq_diags_get(d, i), buf, sizeof buf));
    if (mq_diags_count(d) > mq_diags_stored(d))
        fprintf(stderr, "%s: %zu more errors not shown\n", cli_prog,
                mq_diags_count(d) - mq_diags_stored(d));
}

int cli_status(int code)
{
    return code == MQ_OK ? CLI_OK : code == MQ_EINPUT ? CLI_USAGE : CLI_FAIL;
}

/* Prints what went wrong — every diagnostic in D, else ERR's message — and
 * returns the exit status for it. */
static void print_problem(const mq_diags *d, const mq_error *err)
{
    if (d && mq_diags_count(d))
        cli_print_diags(d);
    else
        cli_error("%s", d ? err->msg : "out of memory");
}

static int report(const mq_diags *d, const mq_error *err)
{
    print_problem(d, err);
    return d && err->code == MQ_EINPUT ? CLI_USAGE : CLI_FAIL;
}

int cli_open_voices(cli_env *e)
{
    mq_diags *d = mq_diags_create();
    mq_error err = { 0 };
    if (!d) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    int rc = mq_voiceset_open(cli_voices_dir(), &e->voices, d, &err);
    if (rc != MQ_OK)
        print_problem(d, &err);
    mq_diags_free(d);
    return rc == MQ_OK ? CLI_OK : CLI_FAIL;
}

int cli_open_reader(cli_env *e)
{
    char dir[PATH_MAX];
    mq_error err = { 0 };
    snprintf(dir, sizeof dir, "%s/lexicon", cli_voices_dir());
    /* The lexicon's index is kept in the user's cache, except with
     * --no-cache, which leaves nothing behind. */
    char cache[4096];
    const char *index_dir = e->no_cache ? NULL : mq_cache_default_dir(cache, sizeof cache);
    if (mq_reader_create_indexed(dir, index_dir, &e->reader, &err) != MQ_OK) {
        cli_error("%s", err.msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_open_speech(cli_env *e)
{
    mq_error err = { 0 };
    if (mq_speech_create(NULL, &e->speech, &err) != MQ_OK) {
        cli_error("%s", err.msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_load_program(cli_env *e, const char *path)
{
    mq_diags *d = mq_diags_create();
    mq_error err = { 0 };
    if (!d) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    mq_program_opts opts = { .voices = mq_voiceset_names(e->voices),
                             .n_voices = mq_voiceset_count(e->voices) };
    int rc = mq_program_load(path, &opts, &e->program, d, &err);
    if (rc != MQ_OK)
        print_problem(d, &err);
    mq_diags_free(d);
    return rc == MQ_OK ? CLI_OK : rc == MQ_EINPUT ? CLI_USAGE : CLI_FAIL;
}

int cli_apply_lexicon(cli_env *e)
{
    int status = CLI_OK;
    for (size_t i = 0; i < mq_program_lexicon_count(e->program); i++) {
        const mq_lex_entry *le = mq_program_lexicon(e->program, i);
        mq_error err = { 0 };
        if (mq_reader_add_entry(e->reader, le->text, le->pinyin, &err) != MQ_OK) {
            fprintf(stderr, "%s:%d:%d: %s\n", le->file, le->line, le->column, err.msg);
            status = err.code == MQ_EINPUT ? CLI_USAGE : CLI_FAIL;
        }
    }
    return status;
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *ent;
    while (d && (ent = readdir(d))) {
        if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
            continue;
        char p[8192];
        snprintf(p, sizeof p, "%s/%s", dir, ent->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(p);
        else
            unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

void cli_env_free(cli_env *e)
{
    if (e->cache && !e->private_cache[0]) {
        /* Keep the user's cache within its bound. */
        mq_cache_trim(e->cache, NULL);
    }
    mq_cache_free(e->cache);
    if (e->private_cache[0])
        remove_tree(e->private_cache);
    mq_program_free(e->program);
    mq_speech_free(e->speech);
    mq_reader_free(e->reader);
    mq_voiceset_free(e->voices);
    memset(e, 0, sizeof *e);
}

static void on_signal(int sig)
{
    cli_stop = sig;
}

int cli_stopped_status(void)
{
    /* What a shell reports for a process the signal killed: 128 + its number. */
    return 128 + (cli_stop > 0 && cli_stop < 64 ? (int)cli_stop : SIGINT);
}

void cli_catch_signals_writing(void)
{
    cli_catch_signals();
    /* Files are what such a command is for: a reader of its messages that
     * goes away (`2>&1 | head -1`) must not kill it half-way; a failed
     * write to stderr is harmless. */
    signal(SIGPIPE, SIG_IGN);
}

void cli_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* The terminal went away (an ssh session dropped during a long render):
     * stop and clean up as for Ctrl-C. Killed outright, a render left its
     * private speech folder (179 MB for the benchmark bulletin with
     * --no-cache) in /tmp, and a half-written temporary file beside the
     * output when it was writing. */
    sigaction(SIGHUP, &sa, NULL);
    /* Over a file size limit (ulimit -f) write() must fail with EFBIG, which
     * is reported and cleaned up like a full disk, instead of the default
     * SIGXFSZ killing us with a partial temporary file left behind. */
    signal(SIGXFSZ, SIG_IGN);
}

void cli_progress_init(cli_progress *p, int quiet)
{
    memset(p, 0, sizeof *p);
    p->enabled = !quiet && isatty(STDERR_FILENO);
}

void cli_progress_show(cli_progress *p, const char *what, double fraction)
{
    if (!p->enabled)
        return;
    fprintf(stderr, "\r\033[K[%zu/%zu] %.40s %3d%%", p->done + 1, p->total, what,
            (int)(fraction * 100 + 0.5));
    fflush(stderr);
}

void cli_progress_end(cli_progress *p)
{
    if (p->enabled)
        fprintf(stderr, "\r\033[K");
}

int cli_prepare(cli_env *e, int channels, mq_render **r)
{
    *r = NULL;
    int st = cli_open_reader(e);
    if (st == CLI_OK)
        st = cli_apply_lexicon(e);
    if (st != CLI_OK)
        return st;
    const mq_output_opts *oo = mq_program_output(e->program);
    mq_diags *d = mq_diags_create(), *w = mq_diags_create();
    mq_error err = { 0 };
    mq_render_env env = { .program = e->program, .voices = e->voices, .reader = e->reader,
                          .rate = oo->rate, .channels = channels ? channels : oo->channels,
                          .stop = &cli_stop, .warnings = w };
    if (!d || mq_render_prepare(&env, r, d, &err) != MQ_OK)
        st = report(d, &err);
    else if (w)
        cli_print_diags(w);  /* "FILE:LINE:COLUMN: warning: ..." */
    mq_diags_free(d);
    mq_diags_free(w);
    if (st == CLI_OK)
        st = open_cache(e, *r);
    if (st == CLI_OK && e->cache) {
        /* The synthesis processes are forked: no other thread may be busy. */
        mq_device_settle();
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        int jobs = e->jobs ? e->jobs : cores > 0 ? (int)cores : 1;
        int rc = MQ_OK;
        if (e->ahead == CLI_AHEAD_ALL) {
            rc = mq_render_presynthesize(*r, jobs, &err);
        } else if (e->ahead == CLI_AHEAD_OVERLAP) {
            /* The mix takes each item as soon as its process has spoken it:
             * mixing and metering the first items overlap the synthesis of
             * the rest. */
            rc = mq_render_presynthesize_background(*r, jobs, 0, &err);
        } else {
            /* play: this process speaks the first item at once, the rest are
             * synthesized in the background meanwhile (forked first: a fork
             * must not inherit a running eSpeak NG). */
            rc = mq_render_presynthesize_background(*r, jobs, 1, &err);
            if (rc == MQ_OK && (st = cli_open_speech(e)) == CLI_OK)
                mq_render_set_speech(*r, e->speech);
        }
        if (rc != MQ_OK) {
            cli_error("%s", err.msg);
            st = err.code == MQ_EINTERRUPTED ? cli_stopped_status() : CLI_FAIL;
        }
    } else if (st == CLI_OK && !e->cache) {
        /* No cache at all: speak in this process. (With a cache, items the
         * mix reaches uncached are synthesized each in a fresh process, so
         * that `play` sounds exactly as `render` writes.) */
        st = cli_open_speech(e);
        if (st == CLI_OK)
            mq_render_set_speech(*r, e->speech);
    }
    return st;
}

int cli_speech_option(cli_env *e, int opt, const char *arg)
{
    if (opt == 'N') {
        e->no_cache = 1;
        return 0;
    }
    char *end;
    long n = strtol(arg, &end, 10);
    if (end == arg || *end || n < 1 || n > 64) {
        cli_error("--jobs: expected a number of processes from 1 to 64, not '%s'", arg);
        return CLI_USAGE;
    }
    e->jobs = (int)n;
    return 0;
}

/* The render cache: the user's, or with --no-cache a private one that only
 * carries the workers' results and is removed at the end. A cache that
 * cannot be used is not fatal: speech is synthesized as it is needed. */
static int open_cache(cli_env *e, mq_render *r)
{
    char dir[4096];
    mq_error err = { 0 };
    if (!e->no_cache) {
        const char *path = mq_cache_default_dir(dir, sizeof dir);
        if (path && mq_cache_open(path, 0, &e->cache, &err) == MQ_OK) {
            mq_render_set_cache(r, e->cache);
            return CLI_OK;
        }
        fprintf(stderr, "%s: warning: %s; going on without a cache\n", cli_prog,
                path ? err.msg : "no cache folder (HOME is not set)");
    }
    /* A private cache still carries each item from its own synthesis process,
     * which keeps the output the same with or without the user's cache. */
    const char *tmp = getenv("TMPDIR");
    snprintf(e->private_cache, sizeof e->private_cache, "%s/muqir-cache.XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(e->private_cache) && mq_cache_open(e->private_cache, 0, &e->cache, &err) == MQ_OK)
        mq_render_set_cache(r, e->cache);
    else if (e->private_cache[0] && access(e->private_cache, F_OK) == 0)
        rmdir(e->private_cache);
    if (!e->cache)
        e->private_cache[0] = '\0';
    return CLI_OK;
}

int cli_load_lexicon_file(cli_env *e, const char *path)
{
    /* The program loader owns the lexicon file format and its messages: a
     * one-line program that names the file reuses both. */
    size_t n = strlen(path) * 2 + 64;
    char *yaml = malloc(n);
    if (!yaml) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    size_t w = (size_t)snprintf(yaml, n, "title: t\nlexicon: \"");
    for (const char *p = path; *p && w + 4 < n; p++) {
        if (*p == '"' || *p == '\\')
            yaml[w++] = '\\';
        yaml[w++] = *p;
    }
    snprintf(yaml + w, n - w, "\"\nitems:\n  - pause: 1\n");
    mq_diags *d = mq_diags_create();
    mq_error err = { 0 };
    mq_program *p = NULL;
    int st = CLI_OK;
    if (!d || mq_program_load_buffer(yaml, strlen(yaml), "<lexicon>", ".", NULL, &p, d, &err) != MQ_OK) {
        for (size_t i = 0; d && i < mq_diags_stored(d); i++) {
            const mq_diag *dg = mq_diags_get(d, i);
            char buf[2048];
            /* Problems inside the file carry its own name; others are about the path. */
            if (strcmp(dg->file, "<lexicon>"))
                fprintf(stderr, "%s\n", mq_diag_format(dg, buf, sizeof buf));
            else
                cli_error("%s: %s", path, dg->message);
        }
        if (!d || !mq_diags_count(d))
            cli_error("%s", err.msg);
        st = CLI_USAGE;
    }
    free(yaml);
    mq_diags_free(d);
    if (st == CLI_OK) {
        mq_program *keep = e->program;
        e->program = p;
        st = cli_apply_lexicon(e);
        e->program = keep;
        mq_program_free(p);
    }
    return st;
}

int cli_mix(cli_env *e, mq_render *r, mq_mix **mix)
{
    const mq_output_opts *oo = mq_program_output(e->program);
    mq_mix_env env = { .program = e->program, .speak = mq_render_speech, .speak_ctx = r,
                       .loudness = mq_render_speech_loudness,
                       .rate = oo->rate, .channels = oo->channels, .balance = 1,
                       .stop = &cli_stop };
    mq_diags *d = mq_diags_create();
    mq_error err = { 0 };
    int st = CLI_OK;
    if (!d || mq_mix_create(&env, mix, d, &err) != MQ_OK)
        st = report(d, &err);
    mq_diags_free(d);
    return st;
}

int cli_open_program(cli_env *e, const char *path, int channels, mq_render **r)
{
    *r = NULL;
    int st = cli_open_voices(e);
    if (st == CLI_OK)
        st = cli_load_program(e, path);
    if (st == CLI_OK)
        st = cli_prepare(e, channels, r);
    return st;
}

const char *cli_dir_of(const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/');
    snprintf(dir, size, "%.*s", slash ? (slash == path ? 1 : (int)(slash - path)) : 1,
             slash ? path : ".");
    return slash ? slash + 1 : path;
}

/* PATH with its folder resolved (symbolic links, "..") into BUF: two names
 * of one place compare equal, whether or not the file exists yet. Returns
 * 0 when the folder cannot be resolved. */
static int resolved(const char *path, char *buf, size_t size)
{
    char dir[PATH_MAX], real[PATH_MAX];
    const char *base = cli_dir_of(path, dir, sizeof dir);
    if (!realpath(dir, real))
        return 0;
    return snprintf(buf, size, "%s/%s", real, base) < (int)size;
}

int cli_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    char ra[PATH_MAX], rb[PATH_MAX];
    return resolved(a, ra, sizeof ra) && resolved(b, rb, sizeof rb) && !strcmp(ra, rb);
}

/* Whether PATH is the file ST describes (PATH may not exist). */
static int is_file(const struct stat *st, const char *path)
{
    struct stat sp;
    return path && stat(path, &sp) == 0 && sp.st_dev == st->st_dev && sp.st_ino == st->st_ino;
}

/* An output that would replace a file the program itself uses — its own
 * YAML, a text it reads, a music, clip or bed file, a lexicon file — loses
 * the user's work the moment the command succeeds (`render --srt show.yaml`,
 * `render -o bed.ogg`, a bundle written into the music folder). */
int cli_refuse_input(const mq_program *p, const char *dest, const char *flag)
{
    struct stat st;
    if (stat(dest, &st) != 0)
        return CLI_OK;  /* a file that does not exist yet is nobody's input */
    const char *file = mq_program_file(p), *what = NULL;
    int line = 0, col = 0;
    if (is_file(&st, file))
        what = "the program itself";
    for (size_t i = 0; !what && i < mq_program_item_count(p); i++) {
        const mq_item *it = mq_program_item(p, i);
        if (is_file(&st, it->path))
            what = it->kind == MQ_ITEM_READ ? "a text the program reads"
                                            : "an audio file the program plays";
        else if (is_file(&st, it->bed))
            what = "a bed the program plays";
        if (what)
            line = it->line, col = it->column;
    }
    /* Entries of one lexicon file follow one another: each file is looked at once. */
    const char *seen = file;
    for (size_t i = 0; !what && i < mq_program_lexicon_count(p); i++) {
        const mq_lex_entry *le = mq_program_lexicon(p, i);
        if (le->file && (!seen || strcmp(le->file, seen)) && is_file(&st, le->file))
            what = "a lexicon the program uses";
        seen = le->file;
    }
    if (!what)
        return CLI_OK;
    if (line)
        cli_error("%s (%s): is %s (%s:%d:%d); writing it would destroy it, give another name",
                  dest, flag, what, file, line, col);
    else
        cli_error("%s (%s): is %s; writing it would destroy it, give another name", dest, flag,
                  what);
    return CLI_USAGE;
}

/* A file is written under ".NAME.XXXXXX" beside its destination and renamed
 * at the end (mq_outfile, mq_atomic); a process killed outright (SIGKILL,
 * a power cut) leaves that temporary file behind, hidden and as large as
 * the export (184 MB for the benchmark bulletin). One older than this is
 * no render's work in progress: an export writes its file continuously
 * from the moment it creates it. */
#define STALE_SECONDS 600

void cli_clean_stale(const char *path)
{
    char dir[PATH_MAX];
    const char *base = cli_dir_of(path, dir, sizeof dir);
    size_t blen = strlen(base);
    DIR *d = blen ? opendir(dir) : NULL;
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        /* Exactly ".BASE." and six letters or digits (mkstemp's suffix). */
        if (n[0] != '.' || strncmp(n + 1, base, blen) || n[1 + blen] != '.' ||
            strlen(n + 2 + blen) != 6)
            continue;
        int ok = 1;
        for (const char *q = n + 2 + blen; *q; q++)
            ok &= (*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9');
        if (ok)
            mq_unlink_stale(dir, n, STALE_SECONDS);
    }
    closedir(d);
}
