/* mq_voice.c — voice presets; see mq_voice.h. */
#include "mq_voice.h"
#include "../program/mq_program.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static const char *const voice_keys[] = {
    "description", "variant", "rate", "pitch", "range", "volume", "word_gap", "pause", NULL
};

void mq_voice_free(mq_voice *v)
{
    if (!v)
        return;
    free(v->name);
    free(v->description);
    free(v->variant);
    free(v);
}

/* Reports a problem at MARK (libyaml marks are 0-based). Returns MQ_EINPUT. */
static int bad(mq_diags *diags, mq_error *err, const char *path, const yaml_mark_t *m,
               const char *msg, const char *arg)
{
    char buf[512];
    snprintf(buf, sizeof buf, msg, arg);
    int line = m ? (int)m->line + 1 : 0, col = m ? (int)m->column + 1 : 0;
    if (diags)
        mq_diags_add(diags, path, line, col, "%s", buf);
    if (err && err->code == MQ_OK)
        mq_error_set(err, MQ_EINPUT, "%s:%d:%d: %s", path, line, col, buf);
    return MQ_EINPUT;
}

static int int_value(const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static int set_pause(mq_voice *v, yaml_document_t *doc, yaml_node_t *map, const char *path,
                     mq_diags *diags, mq_error *err)
{
    int rc = MQ_OK;
    if (map->type != YAML_MAPPING_NODE)
        return bad(diags, err, path, &map->start_mark,
                   "'pause' must be a mapping such as { comma: 250ms, sentence: 600ms }%s", "");
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        yaml_node_t *val = yaml_document_get_node(doc, p->value);
        if (!k || !val || k->type != YAML_SCALAR_NODE || val->type != YAML_SCALAR_NODE) {
            rc = bad(diags, err, path, k ? &k->start_mark : NULL, "bad entry in 'pause'%s", "");
            continue;
        }
        const char *key = (const char *)k->data.scalar.value;
        double *slot = !strcmp(key, "comma") ? &v->pause_comma
                     : !strcmp(key, "sentence") ? &v->pause_sentence
                     : !strcmp(key, "paragraph") ? &v->pause_paragraph : NULL;
        double secs;
        if (!slot)
            rc = bad(diags, err, path, &k->start_mark,
                     "unknown pause '%s'; expected comma, sentence or paragraph", key);
        else if (mq_parse_duration((const char *)val->data.scalar.value, &secs, NULL) != MQ_OK ||
                 secs > 10)
            rc = bad(diags, err, path, &val->start_mark,
                     "pause '%s' must be a duration from 0 to 10 s", key);
        else
            *slot = secs;
    }
    return rc;
}

static int set_key(mq_voice *v, const char *key, yaml_document_t *doc, yaml_node_t *val,
                   const char *path, mq_diags *diags, mq_error *err)
{
    if (!strcmp(key, "pause"))
        return set_pause(v, doc, val, path, diags, err);
    if (val->type != YAML_SCALAR_NODE)
        return bad(diags, err, path, &val->start_mark, "'%s' must be a single value", key);
    const char *s = (const char *)val->data.scalar.value;
    struct { const char *key; int *slot; long lo, hi; } ints[] = {
        { "rate", &v->rate, 80, 450 }, { "pitch", &v->pitch, 0, 100 },
        { "range", &v->range, 0, 100 }, { "volume", &v->volume, 0, 200 },
        { "word_gap", &v->word_gap, 0, 100 },
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (strcmp(key, ints[i].key))
            continue;
        if (int_value(s, ints[i].lo, ints[i].hi, ints[i].slot)) {
            char msg[160];
            snprintf(msg, sizeof msg, "'%s' must be a whole number from %ld to %ld, not '%%s'",
                     key, ints[i].lo, ints[i].hi);
            return bad(diags, err, path, &val->start_mark, msg, s);
        }
        return MQ_OK;
    }
    char **slot = !strcmp(key, "description") ? &v->description : &v->variant;
    free(*slot);
    *slot = (!strcmp(key, "variant") && !strcmp(s, "none")) ? NULL : strdup(s);
    return MQ_OK;
}

static char *name_from_path(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && !strcmp(base + n - 5, ".yaml"))
        n -= 5;
    return strndup(base, n);
}

/* A preset is a few hundred bytes; anything near these is not a preset. */
#define MQ_VOICE_MAX_BYTES (1u << 20)
#define MQ_VOICE_MAX_DEPTH 8
#define MQ_VOICE_MAX_VALUES 10000

/* A preset is a flat mapping with one small mapping in it. Before libyaml
 * builds a document (which takes time quadratic in the nesting depth: 11 s
 * for 50,000 nested lists), the events are walked to refuse deep nesting and
 * floods of values. Returns MQ_OK, or MQ_EINPUT reported at the place; a
 * syntax error is left for the loader to report. */
static int voice_shape(const char *data, size_t len, const char *path, mq_diags *diags,
                       mq_error *err)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return mq_error_set(err, MQ_ENOMEM, "%s: out of memory", path);
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    int depth = 0, rc = MQ_OK;
    long events = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev))
            break;
        yaml_event_type_t t = ev.type;
        yaml_mark_t m = ev.start_mark;
        yaml_event_delete(&ev);
        if (t == YAML_STREAM_END_EVENT)
            break;
        if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
            if (++depth > MQ_VOICE_MAX_DEPTH) {
                rc = bad(diags, err, path, &m,
                         "lists and mappings are nested too deeply for a voice preset%s", "");
                break;
            }
        } else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
            depth--;
        }
        if (++events > MQ_VOICE_MAX_VALUES) {
            rc = bad(diags, err, path, &m, "too many values for a voice preset%s", "");
            break;
        }
    }
    yaml_parser_delete(&parser);
    return rc;
}

static int voice_parse(const char *data, size_t len, const char *path, mq_voice **out,
                       mq_diags *diags, mq_error *err)
{
    *out = NULL;
    if (len > MQ_VOICE_MAX_BYTES)
        return bad(diags, err, path, NULL, "a voice preset is at most 1 MB%s", "");
    int shape = voice_shape(data, len, path, diags, err);
    if (shape != MQ_OK)
        return shape;
    mq_voice *v = calloc(1, sizeof *v);
    if (!v)
        return mq_error_set(err, MQ_ENOMEM, "%s: out of memory", path);
    *v = (mq_voice){ .name = name_from_path(path), .description = strdup(""), .rate = 175,
                     .pitch = 50, .range = 50, .volume = 100, .pause_comma = 0.25,
                     .pause_sentence = 0.6, .pause_paragraph = 1.0 };
    yaml_parser_t parser;
    yaml_document_t doc;
    int rc = MQ_OK;
    if (!yaml_parser_initialize(&parser)) {
        mq_voice_free(v);
        return mq_error_set(err, MQ_ENOMEM, "%s: out of memory", path);
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = bad(diags, err, path, &parser.problem_mark, "%s",
                 parser.problem ? parser.problem : "YAML syntax error");
        yaml_parser_delete(&parser);
        mq_voice_free(v);
        return rc;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root || root->type != YAML_MAPPING_NODE) {
        rc = bad(diags, err, path, root ? &root->start_mark : NULL,
                 "a voice preset must be a mapping of keys such as rate: and pitch:%s", "");
    } else {
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
             p < root->data.mapping.pairs.top; p++) {
            yaml_node_t *k = yaml_document_get_node(&doc, p->key);
            yaml_node_t *val = yaml_document_get_node(&doc, p->value);
            if (!k || !val || k->type != YAML_SCALAR_NODE) {
                rc = bad(diags, err, path, k ? &k->start_mark : NULL, "bad key%s", "");
                continue;
            }
            const char *key = (const char *)k->data.scalar.value;
            size_t i = 0;
            while (voice_keys[i] && strcmp(voice_keys[i], key))
                i++;
            int r = voice_keys[i] ? set_key(v, key, &doc, val, path, diags, err)
                                  : bad(diags, err, path, &k->start_mark,
                                        "unknown key '%s' in a voice preset", key);
            if (r != MQ_OK)
                rc = r;
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc == MQ_OK && (!v->name || !v->description))
        rc = mq_error_set(err, MQ_ENOMEM, "%s: out of memory", path);
    if (rc != MQ_OK) {
        mq_voice_free(v);
        return rc;
    }
    *out = v;
    return MQ_OK;
}

int mq_voice_load_buffer(const char *data, size_t len, const char *name, mq_voice **out,
                         mq_diags *diags, mq_error *err)
{
    mq_error_clear(err);
    return voice_parse(data, len, name, out, diags, err);
}

/* As mq_voice_load, but ERR keeps a problem already in it (a voice set
 * reports its first one). */
static int voice_load(const char *path, mq_voice **out, mq_diags *diags, mq_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return mq_error_set(err, MQ_EIO, "%s: %s", path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *data = malloc(cap);
    while (data) {
        size_t got = fread(data + len, 1, cap - len, f);
        len += got;
        if (len < cap || len > MQ_VOICE_MAX_BYTES)
            break;
        char *nd = realloc(data, cap * 2);
        if (!nd) {
            free(data);
            data = NULL;
            break;
        }
        data = nd;
        cap *= 2;
    }
    int rerr = ferror(f);
    fclose(f);
    if (!data)
        return mq_error_set(err, MQ_ENOMEM, "%s: out of memory", path);
    if (rerr) {
        free(data);
        return mq_error_set(err, MQ_EIO, "%s: read error", path);
    }
    int rc = voice_parse(data, len, path, out, diags, err);
    free(data);
    return rc;
}

int mq_voice_load(const char *path, mq_voice **out, mq_diags *diags, mq_error *err)
{
    mq_error_clear(err);
    return voice_load(path, out, diags, err);
}

/* ---- the set of presets in a folder ---- */

struct mq_voiceset {
    mq_voice **voices;
    const char **names;
    size_t n;
};

void mq_voiceset_free(mq_voiceset *vs)
{
    if (!vs)
        return;
    for (size_t i = 0; i < vs->n; i++)
        mq_voice_free(vs->voices[i]);
    free(vs->voices);
    free(vs->names);
    free(vs);
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(mq_voice *const *)a)->name, (*(mq_voice *const *)b)->name);
}

int mq_voiceset_open(const char *dir, mq_voiceset **out, mq_diags *diags, mq_error *err)
{
    *out = NULL;
    mq_error_clear(err);
    DIR *d = opendir(dir);
    if (!d)
        return mq_error_set(err, MQ_EIO, "voice folder %s: %s", dir, strerror(errno));
    mq_voiceset *vs = calloc(1, sizeof *vs);
    int rc = vs ? MQ_OK : MQ_ENOMEM;
    size_t cap = 0;
    struct dirent *e;
    while (rc != MQ_ENOMEM && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n <= 5 || strcmp(e->d_name + n - 5, ".yaml") || e->d_name[0] == '.')
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        mq_voice *v;
        int r = voice_load(path, &v, diags, err);
        if (r != MQ_OK) {
            rc = r;
            continue;
        }
        if (vs->n == cap) {
            cap = cap ? cap * 2 : 8;
            mq_voice **nv = realloc(vs->voices, cap * sizeof *nv);
            if (!nv) {
                mq_voice_free(v);
                rc = MQ_ENOMEM;
                break;
            }
            vs->voices = nv;
        }
        vs->voices[vs->n++] = v;
    }
    closedir(d);
    if (rc == MQ_OK && vs->n == 0)
        rc = mq_error_set(err, MQ_EIO, "voice folder %s has no presets (*.yaml)", dir);
    if (rc == MQ_OK) {
        qsort(vs->voices, vs->n, sizeof *vs->voices, by_name);
        vs->names = malloc(vs->n * sizeof *vs->names);
        if (!vs->names)
            rc = MQ_ENOMEM;
        else
            for (size_t i = 0; i < vs->n; i++)
                vs->names[i] = vs->voices[i]->name;
    }
    if (rc != MQ_OK) {
        if (rc == MQ_ENOMEM)
            mq_error_set(err, MQ_ENOMEM, "voice folder %s: out of memory", dir);
        mq_voiceset_free(vs);
        return rc;
    }
    *out = vs;
    return MQ_OK;
}

size_t mq_voiceset_count(const mq_voiceset *vs) { return vs->n; }

const mq_voice *mq_voiceset_get(const mq_voiceset *vs, size_t i)
{
    return i < vs->n ? vs->voices[i] : NULL;
}

const mq_voice *mq_voiceset_find(const mq_voiceset *vs, const char *name)
{
    for (size_t i = 0; i < vs->n; i++)
        if (!strcmp(vs->voices[i]->name, name))
            return vs->voices[i];
    return NULL;
}

const char *const *mq_voiceset_names(const mq_voiceset *vs) { return vs->names; }
