/*
 * mq_program.c — loading a program: reading the file, checking it is UTF-8,
 * the top-level keys (title, voice, output, lexicon, items), and the
 * accessors. Items are checked in mq_program_items.c, the lexicon in
 * mq_program_lexicon.c, the YAML tree is built in mq_program_yaml.c.
 */
#include "mq_program_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../util/mq_suggest.h"

/* ---- reporting ---- */

static void vreport(mq_loader *ld, const char *file, int line, int column, const char *fmt,
                    va_list ap)
{
    char buf[MQ_ERROR_MSG_MAX];
    vsnprintf(buf, sizeof buf, fmt, ap);
    ld->errors++;
    if (mq_diags_add(ld->diags, file, line, column, "%s", buf) == MQ_ENOMEM)
        ld->nomem = 1;
}

void mq_ld_error(mq_loader *ld, const mq_node *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(ld, ld->name, node ? node->line : 0, node ? node->column : 0, fmt, ap);
    va_end(ap);
}

void mq_ld_error_at(mq_loader *ld, const char *file, int line, int column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(ld, file, line, column, fmt, ap);
    va_end(ap);
}

void mq_ld_unknown_key(mq_loader *ld, const mq_node *key, const char *const *keys)
{
    char q[96];
    const char *s = mq_suggest(key->str, keys, (size_t)-1);
    mq_quote(key->str, key->len, q, sizeof q);
    if (s)
        mq_ld_error(ld, key, "unknown key '%s'; did you mean '%s'?", q, s);
    else
        mq_ld_error(ld, key, "unknown key '%s'", q);
}

const char *mq_node_what(const mq_node *n)
{
    if (n->type == MQ_NODE_SEQ)
        return "a list";
    if (n->type == MQ_NODE_MAP)
        return "a mapping";
    return n->is_null ? "empty" : "a string";
}

const char *mq_ld_scalar(mq_loader *ld, const mq_node *v, const char *key, const char *what)
{
    if (v->type != MQ_NODE_SCALAR) {
        mq_ld_error(ld, v, "'%s' must be %s, not %s", key, what, mq_node_what(v));
        return NULL;
    }
    if (v->is_null) {
        mq_ld_error(ld, v, "'%s' has no value; expected %s", key, what);
        return NULL;
    }
    if (memchr(v->str, '\0', v->len)) {
        mq_ld_error(ld, v, "'%s' contains a NUL character", key);
        return NULL;
    }
    return v->str;
}

const char *mq_ld_string(mq_loader *ld, const mq_node *v, const char *key, const char *what)
{
    if (!mq_ld_scalar(ld, v, key, what))
        return NULL;
    char *s = mq_arena_strndup(&ld->prog->arena, v->str, v->len);
    if (!s)
        ld->nomem = 1;
    return s;
}

const char *mq_ld_voice(mq_loader *ld, const mq_node *v, const char *key)
{
    const char *name = mq_ld_string(ld, v, key, "a voice name such as announcer");
    const mq_program_opts *o = ld->opts;
    if (!name || !o || !o->voices)
        return name;
    for (size_t i = 0; i < o->n_voices; i++)
        if (o->voices[i] && strcmp(o->voices[i], name) == 0)
            return name;
    char q[96];
    mq_quote(name, strlen(name), q, sizeof q);
    const char *s = mq_suggest(name, (const char *const *)o->voices, o->n_voices);
    if (s) {
        mq_ld_error(ld, v, "unknown voice '%s'; did you mean '%s'?", q, s);
        return NULL;
    }
    char list[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < o->n_voices && used < sizeof list; i++) {
        if (!o->voices[i])
            continue;
        int w = snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "",
                         o->voices[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (o->n_voices)
        mq_ld_error(ld, v, "unknown voice '%s'; available voices: %s", q, list);
    else
        mq_ld_error(ld, v, "unknown voice '%s'; no voice presets are installed", q);
    return NULL;
}

/* ---- top level ---- */

static void check_range(mq_loader *ld, const mq_node *v, const char *key, double x, double lo,
                        double hi, const char *range, int *ok)
{
    if (x < lo || x > hi) {
        char q[96];
        mq_ld_error(ld, v, "'%s' must be %s, not '%s'", key, range,
                    mq_quote(v->str, v->len, q, sizeof q));
        *ok = 0;
    }
}

static void load_output(mq_loader *ld, const mq_node *m)
{
    static const char *const keys[] = { "rate", "channels", "loudness", "true_peak", NULL };
    static const char *const lufs[] = { "LUFS", "LKFS", "dB", NULL };
    static const char *const dbtp[] = { "dBTP", "dB", NULL };
    mq_output_opts *o = &ld->prog->output;
    if (m->type != MQ_NODE_MAP) {
        if (m->type == MQ_NODE_SCALAR && m->is_null)
            return;
        mq_ld_error(ld, m, "'output' must be a mapping such as { rate: 48000, channels: 2 }, "
                           "not %s", mq_node_what(m));
        return;
    }
    for (size_t i = 0; i + 1 < m->n_kids; i += 2) {
        const mq_node *k = m->kids[i], *v = m->kids[i + 1];
        const char *s;
        double x;
        int ok = 1;
        char q[96];
        if (strcmp(k->str, "rate") == 0) {
            if (!(s = mq_ld_scalar(ld, v, "rate", "a sample rate in Hz such as 48000")))
                continue;
            if (mq_parse_number_unit(s, (const char *const[]){ "Hz", NULL }, 0, &x) < 0 ||
                x != floor(x)) {
                mq_ld_error(ld, v, "'rate' must be a sample rate in Hz such as 48000, not '%s'",
                            mq_quote(v->str, v->len, q, sizeof q));
                continue;
            }
            check_range(ld, v, "rate", x, 8000, 192000, "from 8000 to 192000 Hz", &ok);
            if (ok)
                o->rate = (int)x;
        } else if (strcmp(k->str, "channels") == 0) {
            if (!(s = mq_ld_scalar(ld, v, "channels", "1 or 2")))
                continue;
            if (strcmp(s, "1") == 0 || strcmp(s, "mono") == 0)
                o->channels = 1;
            else if (strcmp(s, "2") == 0 || strcmp(s, "stereo") == 0)
                o->channels = 2;
            else
                mq_ld_error(ld, v, "'channels' must be 1 or 2, not '%s'",
                            mq_quote(v->str, v->len, q, sizeof q));
        } else if (strcmp(k->str, "loudness") == 0) {
            if (!(s = mq_ld_scalar(ld, v, "loudness", "a target such as -23 LUFS, or off")))
                continue;
            if (strcmp(s, "off") == 0) {
                o->loudness = NAN;
                continue;
            }
            if (mq_parse_number_unit(s, lufs, 1, &x) < 0) {
                mq_ld_error(ld, v, "'loudness' must be a target such as -23 LUFS, or off; "
                                   "not '%s'", mq_quote(v->str, v->len, q, sizeof q));
                continue;
            }
            check_range(ld, v, "loudness", x, -40, -5, "from -40 to -5 LUFS", &ok);
            if (ok)
                o->loudness = x;
        } else if (strcmp(k->str, "true_peak") == 0) {
            if (!(s = mq_ld_scalar(ld, v, "true_peak", "a ceiling such as -1 dBTP")))
                continue;
            if (mq_parse_number_unit(s, dbtp, 1, &x) < 0) {
                mq_ld_error(ld, v, "'true_peak' must be a ceiling such as -1 dBTP, not '%s'",
                            mq_quote(v->str, v->len, q, sizeof q));
                continue;
            }
            check_range(ld, v, "true_peak", x, -12, 0, "from -12 to 0 dBTP", &ok);
            if (ok)
                o->true_peak = x;
        } else {
            mq_ld_unknown_key(ld, k, keys);
        }
    }
}

static void load_top(mq_loader *ld, const mq_node *root)
{
    static const char *const keys[] = { "title", "voice", "output", "lexicon", "items", NULL };
    const mq_node *title = NULL, *items = NULL;
    mq_program *p = ld->prog;
    unsigned seen = 0;
    if (!root || (root->type == MQ_NODE_SCALAR && root->is_null)) {
        mq_ld_error_at(ld, ld->name, root ? root->line : 1, root ? root->column : 1,
                       "the program is empty; it needs a 'title' and 'items'");
        return;
    }
    if (root->type != MQ_NODE_MAP) {
        mq_ld_error(ld, root, "a program must be a mapping with 'title' and 'items', not %s",
                    mq_node_what(root));
        return;
    }
    for (size_t i = 0; i + 1 < root->n_kids; i += 2) {
        const mq_node *k = root->kids[i], *v = root->kids[i + 1];
        unsigned bit = 0;
        for (unsigned j = 0; keys[j] && !bit; j++)
            bit = strcmp(keys[j], k->str) == 0 ? 1u << j : 0;
        if (seen & bit)
            continue;   /* a duplicate key, already reported */
        seen |= bit;
        if (strcmp(k->str, "title") == 0) {
            title = k;
            p->title = mq_ld_string(ld, v, "title", "a string");
            if (p->title && !p->title[strspn(p->title, " \t\r\n")]) {
                mq_ld_error(ld, v, "'title' is empty");
                p->title = NULL;
            }
        } else if (strcmp(k->str, "voice") == 0) {
            p->voice = mq_ld_voice(ld, v, "voice");
        } else if (strcmp(k->str, "output") == 0) {
            load_output(ld, v);
        } else if (strcmp(k->str, "lexicon") == 0) {
            mq_ld_lexicon(ld, v);
        } else if (strcmp(k->str, "items") == 0) {
            items = k;
            mq_ld_items(ld, v);
        } else {
            mq_ld_unknown_key(ld, k, keys);
        }
    }
    if (!title)
        mq_ld_error(ld, root, "missing required key 'title'");
    if (!items)
        mq_ld_error(ld, root, "missing required key 'items' (the running order)");
}

/* Items without their own voice speak with the program's. */
static void apply_default_voice(mq_loader *ld)
{
    mq_program *p = ld->prog;
    if (!p->voice) {
        const char *d = ld->opts && ld->opts->default_voice ? ld->opts->default_voice
                                                            : "announcer";
        if (!(p->voice = mq_arena_strdup(&p->arena, d)))
            ld->nomem = 1;
    }
    for (size_t i = 0; i < p->n_items; i++) {
        mq_item *it = &p->items[i];
        if ((it->kind == MQ_ITEM_ANNOUNCE || it->kind == MQ_ITEM_READ) && !it->voice)
            it->voice = p->voice;
    }
}

void mq_program_free(mq_program *p)
{
    if (!p)
        return;
    free(p->items);
    free(p->lex);
    mq_arena_free(p->arena);
    free(p);
}

int mq_program_load_buffer(const char *data, size_t len, const char *name,
                           const char *base_dir, const mq_program_opts *opts,
                           mq_program **out, mq_diags *diags, mq_error *err)
{
    if (out)
        *out = NULL;
    if ((!data && len) || !out || !diags)
        return mq_error_set(err, MQ_EINVAL, "mq_program_load_buffer: NULL argument");
    if (!name)
        name = "<program>";
    mq_loader ld;
    memset(&ld, 0, sizeof ld);
    ld.name = name;
    ld.base_dir = base_dir;
    ld.opts = opts;
    ld.diags = diags;
    ld.prog = calloc(1, sizeof *ld.prog);
    if (!ld.prog)
        return mq_error_set(err, MQ_ENOMEM, "%s: out of memory", name);
    mq_program *p = ld.prog;
    p->output = (mq_output_opts){ .rate = 48000, .channels = 2, .loudness = -23,
                                  .true_peak = -1 };
    if (!(p->file = mq_arena_strdup(&p->arena, name)))
        ld.nomem = 1;

    size_t bad = len > MQ_PROGRAM_MAX_BYTES ? 0 : mq_utf8_check(data, len);
    if (len > MQ_PROGRAM_MAX_BYTES) {
        mq_ld_error_at(&ld, name, 0, 0, "the program is larger than %u MB",
                       MQ_PROGRAM_MAX_BYTES >> 20);
    } else if (bad < len) {
        int l, c;
        mq_text_position(data, bad, &l, &c);
        mq_ld_error_at(&ld, name, l, c,
                       "invalid UTF-8 (byte 0x%02x); a program must be UTF-8 text",
                       (unsigned char)data[bad]);
    } else if (!ld.nomem) {
        mq_node *root;
        /* Duplicate keys leave a complete tree: check the rest too. */
        if (mq_yaml_build(&ld, len ? data : "", len, &root) == 0 && !ld.nomem)
            load_top(&ld, root);
    }
    if (!ld.errors && !ld.nomem)
        apply_default_voice(&ld);
    mq_arena_free(ld.tree);

    if (ld.nomem) {
        mq_program_free(p);
        return mq_error_set(err, MQ_ENOMEM, "%s: out of memory", name);
    }
    if (ld.errors) {
        mq_program_free(p);
        return mq_error_set(err, MQ_EINPUT, "%s: %zu error%s", name, ld.errors,
                            ld.errors == 1 ? "" : "s");
    }
    *out = p;
    return MQ_OK;
}

int mq_program_load(const char *path, const mq_program_opts *opts, mq_program **out,
                    mq_diags *diags, mq_error *err)
{
    if (out)
        *out = NULL;
    if (!path || !out || !diags)
        return mq_error_set(err, MQ_EINVAL, "mq_program_load: NULL argument");
    FILE *f = fopen(path, "rb");
    struct stat st;
    /* A program that is not there (or a folder named instead) is bad input,
     * like a mistyped option: exit status 2. A file that is there but
     * cannot be read is a failure (MQ_EIO). */
    if (!f)
        return mq_error_set(err, errno == ENOENT || errno == ENOTDIR ? MQ_EINPUT : MQ_EIO,
                            "%s: %s", path,
                            errno == ENOENT ? "no such file" : strerror(errno));
    if (fstat(fileno(f), &st) != 0) {
        int e = errno;
        fclose(f);
        return mq_error_set(err, MQ_EIO, "%s: %s", path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        fclose(f);
        return mq_error_set(err, MQ_EINPUT, "%s: is a directory, not a file", path);
    }
    /* Read one byte past the limit so an oversized file is seen as such even
     * when its size is not known in advance (a pipe). */
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (len > MQ_PROGRAM_MAX_BYTES)
            break;
        if (len == cap) {
            size_t ncap = cap * 2 > MQ_PROGRAM_MAX_BYTES + 1 ? MQ_PROGRAM_MAX_BYTES + 1 : cap * 2;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0)
            break;
    }
    int read_error = ferror(f);
    fclose(f);
    if (!buf)
        return mq_error_set(err, MQ_ENOMEM, "%s: out of memory", path);
    if (read_error) {
        free(buf);
        return mq_error_set(err, MQ_EIO, "%s: read error", path);
    }
    /* Relative paths in the program resolve against its folder. */
    char *dir = strdup(path);
    if (!dir) {
        free(buf);
        return mq_error_set(err, MQ_ENOMEM, "%s: out of memory", path);
    }
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int r = mq_program_load_buffer(buf, len, path, dir, opts, out, diags, err);
    free(dir);
    free(buf);
    return r;
}

/* ---- accessors ---- */

const char *mq_program_title(const mq_program *p) { return p ? p->title : NULL; }
const char *mq_program_file(const mq_program *p) { return p ? p->file : NULL; }
const char *mq_program_voice(const mq_program *p) { return p ? p->voice : NULL; }
const mq_output_opts *mq_program_output(const mq_program *p) { return p ? &p->output : NULL; }
size_t mq_program_item_count(const mq_program *p) { return p ? p->n_items : 0; }
size_t mq_program_lexicon_count(const mq_program *p) { return p ? p->n_lex : 0; }

const mq_item *mq_program_item(const mq_program *p, size_t i)
{
    return p && i < p->n_items ? &p->items[i] : NULL;
}

const mq_lex_entry *mq_program_lexicon(const mq_program *p, size_t i)
{
    return p && i < p->n_lex ? &p->lex[i] : NULL;
}

const char *mq_item_kind_name(mq_item_kind kind)
{
    switch (kind) {
    case MQ_ITEM_ANNOUNCE: return "announce";
    case MQ_ITEM_READ: return "read";
    case MQ_ITEM_MUSIC: return "music";
    case MQ_ITEM_CLIP: return "clip";
    case MQ_ITEM_PAUSE: return "pause";
    }
    return "?";
}
