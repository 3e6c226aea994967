/*
 * cmd_bundle.c — `muqir bundle PROGRAM -o DIR`: every item pre-rendered to
 * its own file for field teams, with a playlist, a manifest and captions.
 *
 * Each item is mixed alone (its bed and fades included), brought to the
 * program's loudness target, and written as NN-title.ext. manifest.json
 * records each file's SHA-256 and the key of what made it; running bundle
 * again re-renders only the items whose key changed (or whose file is gone or
 * altered) and removes files of items that no longer exist.
 */
#include "cli.h"
#include "../output/mq_captions.h"
#include "../output/mq_export.h"
#include "../util/mq_atomic.h"
#include "../util/mq_hash.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUNDLE_FORMAT "muqir-bundle-1"

typedef struct bitem {
    int skip;               /* a pause: not a clip */
    char key[MQ_HASH_HEX];  /* what makes this item's file */
    char file[512];         /* NN-title.ext */
    char sha[MQ_HASH_HEX];
    double seconds;
    char *text;             /* spoken text, or NULL */
} bitem;

/* A file-name-safe title: the item's name, else the start of its text, else
 * the audio file's name; no slashes, no control characters, at most ~40 bytes. */
static void title_of(const mq_item *it, size_t i, char *buf, size_t size)
{
    const char *src = it->name ? it->name : it->text ? it->text
                    : it->source ? it->source : mq_item_kind_name(it->kind);
    if (!it->name && it->source) {
        const char *slash = strrchr(src, '/');
        src = slash ? slash + 1 : src;
    }
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)src; *p && w + 5 < size && w < 40;) {
        size_t len = *p < 0x80 ? 1 : *p < 0xE0 ? 2 : *p < 0xF0 ? 3 : 4;
        int bad = *p < 0x20 || *p == '/' || *p == '\\' || *p == ':' || *p == '"' ||
                  *p == '*' || *p == '?' || *p == '<' || *p == '>' || *p == '|';
        if (*p == '\n' || (len == 3 && !memcmp(p, "\xEF\xBC\x8C", 3)) ||   /* ， */
            (len == 3 && !memcmp(p, "\xE3\x80\x82", 3)))                 /* 。 */
            break;
        if (bad) {
            buf[w++] = '_';
            p++;
            continue;
        }
        for (size_t k = 0; k < len && p[k]; k++)
            buf[w++] = (char)p[k];
        p += len;
    }
    buf[w] = '\0';
    if (!w)
        snprintf(buf, size, "item-%zu", i + 1);
}

/* The files bundle writes into DIR: slot I < N is item I's clip (SRT 1: the
 * captions beside it), N and N + 1 the manifest and the playlist. Writes
 * the path into BUF; 0 when the slot has no such file (a pause, or captions
 * of the manifest or the playlist). */
static int bundle_path(const char *dir, const bitem *items, size_t n, size_t i, int srt,
                       char *buf, size_t size)
{
    static const char *const own[] = { "manifest.json", "playlist.m3u" };
    if ((i < n && items[i].skip) || (i >= n && srt))
        return 0;
    const char *f = i < n ? items[i].file : own[i - n];
    int stem = srt ? (int)(strrchr(f, '.') - f) : (int)strlen(f);
    snprintf(buf, size, "%s/%.*s%s", dir, stem, f, srt ? ".srt" : "");
    return 1;
}

/* The key of item I: everything that shapes its file. */
static int item_key(cli_env *e, mq_render *r, size_t i, const char *ext, double target,
                    char key[MQ_HASH_HEX])
{
    const mq_item *it = mq_program_item(e->program, i);
    const mq_output_opts *oo = mq_program_output(e->program);
    mq_hash h;
    char buf[512], hex[MQ_HASH_HEX];
    mq_error err = { 0 };
    mq_hash_init(&h);
    mq_hash_str(&h, BUNDLE_FORMAT);
    snprintf(buf, sizeof buf, "%s|%d|%d|%.3f|%.3f|%d|%.6f|%.6f|%.6f|%.6f|%.6f|%.6f", ext,
             oo->rate, oo->channels, target, oo->true_peak, (int)it->kind, it->gain,
             it->fade_in, it->fade_out, it->start, it->length, it->duck);
    mq_hash_str(&h, buf);
    if (!mq_render_key(r, i, hex))
        mq_hash_str(&h, hex);
    const char *files[2] = { it->kind == MQ_ITEM_MUSIC || it->kind == MQ_ITEM_CLIP ? it->path
                                                                                 : NULL, it->bed };
    for (int k = 0; k < 2; k++) {
        if (!files[k])
            continue;
        if (mq_hash_file(files[k], hex, &err)) {
            cli_error("%s", err.msg);
            return -1;
        }
        mq_hash_str(&h, hex);
    }
    mq_hash_hex(&h, key);
    return 0;
}

/* JSON string with escapes (UTF-8 passes through). */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* From an earlier manifest: the key and file recorded for item I, if any.
 * The manifest is our own output, so a simple scan for our keys suffices. */
static int old_entry(const char *manifest, size_t i, char *key, char *file, char *sha)
{
    char tag[64];
    snprintf(tag, sizeof tag, "\"index\": %zu,", i + 1);
    const char *p = manifest ? strstr(manifest, tag) : NULL;
    if (!p)
        return 0;
    const char *end = strchr(p, '}');
    struct { const char *name; char *out; size_t size; } f[] = {
        { "\"key\": \"", key, MQ_HASH_HEX }, { "\"file\": \"", file, 512 },
        { "\"sha256\": \"", sha, MQ_HASH_HEX } };
    for (int k = 0; k < 3; k++) {
        const char *q = strstr(p, f[k].name);
        if (!q || (end && q > end))
            return 0;
        q += strlen(f[k].name);
        const char *z = strchr(q, '"');
        if (!z || (size_t)(z - q) >= f[k].size)
            return 0;
        memcpy(f[k].out, q, (size_t)(z - q));
        f[k].out[z - q] = '\0';
    }
    return 1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *s = NULL;
    size_t n = 0, cap = 0;
    char buf[8192];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) {
        if (n + k + 1 > cap) {
            cap = (n + k + 1) * 2;
            char *t = realloc(s, cap);
            if (!t) {
                free(s);
                fclose(f);
                return NULL;
            }
            s = t;
        }
        memcpy(s + n, buf, k);
        n += k;
    }
    fclose(f);
    if (s)
        s[n] = '\0';
    return s;
}

/* The spoken text of item I (its sentences), for the manifest. */
static char *spoken_text(mq_render *r, size_t i)
{
    const mq_reading *rd = mq_render_reading(r, i);
    if (!rd)
        return NULL;
    size_t n = 1;
    for (size_t s = 0; s < mq_reading_sentence_count(rd); s++)
        n += strlen(mq_reading_sentence(rd, s)->text);
    char *t = malloc(n);
    if (!t)
        return NULL;
    t[0] = '\0';
    for (size_t s = 0; s < mq_reading_sentence_count(rd); s++)
        strcat(t, mq_reading_sentence(rd, s)->text);
    return t;
}

static int render_item(cli_env *e, mq_render *r, size_t i, const char *dir, bitem *b,
                       double target, int quiet)
{
    const mq_output_opts *oo = mq_program_output(e->program);
    mq_mix_env env = { .program = e->program, .speak = mq_render_speech, .speak_ctx = r,
                       .loudness = mq_render_speech_loudness,
                       .rate = oo->rate, .channels = oo->channels, .balance = 1,
                       .stop = &cli_stop, .first = i, .count = 1 };
    mq_mix *mix = NULL;
    mq_error err = { 0 };
    char path[4096], srt[4096];
    snprintf(path, sizeof path, "%s/%s", dir, b->file);
    int rc = mq_mix_create(&env, &mix, NULL, &err);
    mq_export_report rep;
    memset(&rep, 0, sizeof rep);
    if (rc == MQ_OK) {
        mq_export_opts xo = { .path = path, .format = MQ_PCM_16, .loudness = target,
                              .true_peak = oo->true_peak,
                              .title = b->text ? b->text : b->file };
        rc = mq_export(mix, &xo, &rep, &err);
    }
    if (rc == MQ_OK && mq_mix_captions(mix)) {
        snprintf(srt, sizeof srt, "%s/%.*s.srt", dir, (int)(strrchr(b->file, '.') - b->file),
                 b->file);
        rc = mq_captions_write_srt(mix, srt, &err);
    }
    if (rc == MQ_OK)
        rc = mq_hash_file(path, b->sha, &err);
    b->seconds = (double)rep.frames / oo->rate;
    free(rep.curve);
    mq_mix_free(mix);
    if (rc != MQ_OK) {
        cli_error("item %zu: %s", i + 1, err.msg);
        return rc == MQ_EINTERRUPTED ? cli_stopped_status() : cli_status(rc);
    }
    if (!quiet)
        fprintf(stderr, "%s: %s (%.1f s)\n", cli_prog, path, b->seconds);
    return CLI_OK;
}

static int write_outputs(cli_env *e, const char *dir, const char *ext, bitem *items, size_t n,
                         double target)
{
    char path[4096];
    mq_atomic a;
    mq_error err = { 0 };
    snprintf(path, sizeof path, "%s/playlist.m3u", dir);
    if (mq_atomic_open(&a, path, &err) == MQ_OK) {
        fprintf(a.f, "#EXTM3U\n#PLAYLIST:%s\n", mq_program_title(e->program));
        for (size_t i = 0; i < n; i++)
            if (!items[i].skip)
                fprintf(a.f, "#EXTINF:%.0f,%s\n%s\n", ceil(items[i].seconds),
                        items[i].file + 3, items[i].file);
        mq_atomic_commit(&a, &err);
    }
    if (err.code) {
        cli_error("%s", err.msg);
        return CLI_FAIL;
    }
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    if (mq_atomic_open(&a, path, &err) == MQ_OK) {
        FILE *f = a.f;
        fprintf(f, "{\n  \"format\": \"%s\",\n  \"title\": ", BUNDLE_FORMAT);
        json_str(f, mq_program_title(e->program));
        fprintf(f, ",\n  \"program\": ");
        json_str(f, mq_program_file(e->program));
        fprintf(f, ",\n  \"audio\": \"%s\",\n  \"loudness\": %.1f,\n  \"items\": [", ext,
                isnan(target) ? 0.0 : target);
        int first = 1;
        for (size_t i = 0; i < n; i++) {
            const mq_item *it = mq_program_item(e->program, i);
            if (items[i].skip)
                continue;
            fprintf(f, "%s\n    {\"index\": %zu, \"kind\": \"%s\", \"name\": ", first ? "" : ",",
                    i + 1, mq_item_kind_name(it->kind));
            json_str(f, it->name);
            fprintf(f, ", \"file\": ");
            json_str(f, items[i].file);
            fprintf(f, ", \"seconds\": %.3f, \"text\": ", items[i].seconds);
            if (items[i].text)
                json_str(f, items[i].text);
            else
                fputs("null", f);
            fprintf(f, ", \"sha256\": \"%s\", \"key\": \"%s\"}", items[i].sha, items[i].key);
            first = 0;
        }
        fprintf(f, "\n  ]\n}\n");
        mq_atomic_commit(&a, &err);
    }
    if (err.code) {
        cli_error("%s", err.msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cmd_bundle(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' }, { "format", required_argument, NULL, 'f' },
        { "quiet", no_argument, NULL, 'q' }, { "no-cache", no_argument, NULL, 'N' },
        { "jobs", required_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { 0 } };
    const char *usage = "muqir bundle PROGRAM -o DIR [--format mp3|ogg|opus|wav] [--quiet]";
    const char *dir = NULL, *ext = "mp3";
    int quiet = 0, c;
    cli_env e = { .ahead = CLI_AHEAD_ALL };
    while ((c = getopt_long(argc, argv, "o:f:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': dir = optarg; break;
        case 'f':
            if (strcmp(optarg, "mp3") && strcmp(optarg, "ogg") && strcmp(optarg, "opus") &&
                strcmp(optarg, "wav")) {
                cli_error("--format: expected mp3, ogg, opus or wav, not '%s'", optarg);
                return CLI_USAGE;
            }
            ext = optarg;
            break;
        case 'q': quiet = 1; break;
        case 'N':
        case 'j':
            if (cli_speech_option(&e, c, optarg))
                return CLI_USAGE;
            break;
        case 'h': printf("usage: %s\n", usage); return CLI_OK;
        default: fprintf(stderr, "usage: %s\n", usage); return CLI_USAGE;
        }
    }
    if (!dir || optind + 1 != argc) {
        cli_error("bundle: expected PROGRAM and -o DIR (usage: %s)", usage);
        return CLI_USAGE;
    }
    if (mkdir(dir, 0755) && errno != EEXIST) {
        cli_error("%s: cannot create the folder: %s", dir, strerror(errno));
        return CLI_FAIL;
    }
    cli_catch_signals_writing();
    mq_render *r = NULL;
    int st = cli_open_program(&e, argv[optind], 0, &r);
    size_t n = st == CLI_OK ? mq_program_item_count(e.program) : 0;
    bitem *items = st == CLI_OK ? calloc(n ? n : 1, sizeof *items) : NULL;
    if (st == CLI_OK && !items) {
        cli_error("out of memory");
        st = CLI_FAIL;
    }
    char mpath[4096];
    snprintf(mpath, sizeof mpath, "%s/manifest.json", dir);
    char *old = st == CLI_OK ? slurp(mpath) : NULL;
    /* A bundle meant for phones has a target even when the program has none. */
    double target = st == CLI_OK ? mq_program_output(e.program)->loudness : NAN;
    if (isnan(target))
        target = -23.0;
    /* Nothing the bundle writes may be a file the program uses (a bundle
     * written into the folder that holds its music), nor, unless the folder
     * is already a muqir bundle (its manifest says so), a file that is there:
     * a folder of the user's own, with a playlist.m3u of theirs, is not
     * written over. */
    for (size_t i = 0; i < n && st == CLI_OK; i++) {
        const mq_item *it = mq_program_item(e.program, i);
        char title[256];
        items[i].skip = it->kind == MQ_ITEM_PAUSE;
        title_of(it, i, title, sizeof title);
        snprintf(items[i].file, sizeof items[i].file, "%02zu-%s.%s", i + 1, title, ext);
    }
    int ours = old && strstr(old, "\"format\": \"muqir-bundle-") != NULL;
    for (size_t i = 0; i < n + 2 && st == CLI_OK; i++) {
        char f[4096];
        for (int srt = 0; srt < 2 && st == CLI_OK; srt++) {
            if (!bundle_path(dir, items, n, i, srt, f, sizeof f))
                continue;
            st = cli_refuse_input(e.program, f, "-o");
            struct stat sb;
            if (st == CLI_OK && !ours && lstat(f, &sb) == 0) {
                cli_error("%s: already there, and %s is not a muqir bundle (no manifest.json of "
                          "one): give a new or empty folder, or an earlier bundle's", f, dir);
                st = CLI_USAGE;
            }
        }
    }
    /* A folder new to bundles is marked as one before the first clip is
     * written (a manifest with no items yet, completed at the end): a bundle
     * interrupted half-way can then be run again into the same folder. */
    if (st == CLI_OK && !ours)
        st = write_outputs(&e, dir, ext, items, 0, target);
    size_t rendered = 0, kept = 0;
    for (size_t i = 0; i < n && st == CLI_OK; i++) {
        bitem *b = &items[i];
        if (b->skip)
            continue;
        b->text = spoken_text(r, i);
        if (item_key(&e, r, i, ext, target, b->key)) {
            st = CLI_USAGE;
            break;
        }
        char okey[MQ_HASH_HEX], ofile[512], osha[MQ_HASH_HEX], cur[MQ_HASH_HEX], path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, b->file);
        mq_error err = { 0 };
        if (old_entry(old, i, okey, ofile, osha) && !strcmp(okey, b->key) &&
            !strcmp(ofile, b->file) && mq_hash_file(path, cur, &err) == MQ_OK &&
            !strcmp(cur, osha)) {
            /* Unchanged: keep the file; its length comes from the file itself. */
            memcpy(b->sha, osha, sizeof b->sha);
            char tag[600];
            snprintf(tag, sizeof tag, "\"file\": \"%s\", \"seconds\": ", b->file);
            const char *p = strstr(old, tag);
            b->seconds = p ? strtod(p + strlen(tag), NULL) : 0;
            kept++;
            continue;
        }
        st = render_item(&e, r, i, dir, b, target, quiet);
        rendered++;
    }
    if (st == CLI_OK)
        st = write_outputs(&e, dir, ext, items, n, target);
    /* Files of the earlier bundle that this one no longer has. */
    for (const char *p = old; st == CLI_OK && p && (p = strstr(p, "\"file\": \"")); ) {
        p += 9;
        const char *z = strchr(p, '"');
        if (!z)
            break;
        char f[512];
        snprintf(f, sizeof f, "%.*s", (int)(z - p), p);
        int used = 0;
        for (size_t i = 0; i < n; i++)
            used |= !items[i].skip && !strcmp(items[i].file, f);
        if (!used && !strchr(f, '/')) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, f);
            unlink(path);
            char *dot = strrchr(path, '.');
            if (dot) {
                strcpy(dot, ".srt");
                unlink(path);
            }
        }
        p = z;
    }
    if (st == CLI_OK && !quiet)
        fprintf(stderr, "%s: bundle %s: %zu item%s rendered, %zu unchanged\n", cli_prog, dir,
                rendered, rendered == 1 ? "" : "s", kept);
    for (size_t i = 0; st == CLI_OK && i < n + 2; i++) {
        char f[4096];
        for (int srt = 0; srt < 2; srt++)
            if (bundle_path(dir, items, n, i, srt, f, sizeof f))
                cli_clean_stale(f);
    }
    for (size_t i = 0; i < n && items; i++)
        free(items[i].text);
    free(items);
    free(old);
    mq_render_free(r);
    cli_env_free(&e);
    return st;
}
