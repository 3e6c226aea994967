/*
 * mq_program_items.c — checking the running order: each item is a mapping
 * with exactly one kind key (announce, read, music, clip, pause) and the
 * common keys that apply to that kind.
 */
#include "mq_program_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/mq_suggest.h"

enum {
    K_ANNOUNCE = 1 << MQ_ITEM_ANNOUNCE,
    K_READ = 1 << MQ_ITEM_READ,
    K_MUSIC = 1 << MQ_ITEM_MUSIC,
    K_CLIP = 1 << MQ_ITEM_CLIP,
    K_PAUSE = 1 << MQ_ITEM_PAUSE,
    K_SPEECH = K_ANNOUNCE | K_READ,
    K_AUDIO = K_MUSIC | K_CLIP,
    K_SOUND = K_SPEECH | K_AUDIO,
    K_ALL = K_SOUND | K_PAUSE
};

typedef enum vtype { V_STRING, V_VOICE, V_NUMBER, V_LEVEL, V_DURATION, V_PATH, V_FOLLOW } vtype;

typedef struct key_info {
    const char *name;
    unsigned kinds;     /* the kinds the key applies to */
    vtype type;
    double lo, hi;      /* accepted range */
    const char *range;  /* the range in words, for messages */
} key_info;

/* The kind keys come first, in mq_item_kind order. */
static const char *const kind_keys[] = { "announce", "read", "music", "clip", "pause", NULL };
#define N_KINDS 5

static const key_info common_keys[] = {
    { "name", K_ALL, V_STRING, 0, 0, NULL },
    { "follow", K_ALL, V_FOLLOW, 0, 0, NULL },
    { "voice", K_SPEECH, V_VOICE, 0, 0, NULL },
    { "rate", K_SPEECH, V_NUMBER, 80, 450, "from 80 to 450 words per minute" },
    { "pitch", K_SPEECH, V_NUMBER, 0, 100, "from 0 to 100" },
    { "gain", K_SOUND, V_LEVEL, -60, 24, "from -60 to +24 dB" },
    { "fade_in", K_SOUND, V_DURATION, 0, 600, "from 0 to 600 seconds" },
    { "fade_out", K_SOUND, V_DURATION, 0, 600, "from 0 to 600 seconds" },
    { "start", K_AUDIO, V_DURATION, 0, 86400, "from 0 to 24 hours" },
    { "length", K_AUDIO, V_DURATION, 1e-9, 86400, "longer than 0 seconds" },
    { "overlap", K_SOUND, V_DURATION, 0, 86400, "from 0 to 24 hours" },
    { "bed", K_SPEECH, V_PATH, 0, 0, NULL },
    { "duck", K_SPEECH, V_LEVEL, -60, 0, "from -60 to 0 dB" },
};
#define N_COMMON (sizeof common_keys / sizeof common_keys[0])

static const char *type_what(vtype t)
{
    switch (t) {
    case V_STRING: return "a string";
    case V_VOICE: return "a voice name such as announcer";
    case V_NUMBER: return "a number";
    case V_LEVEL: return "a level such as -3 dB";
    case V_DURATION: return "a duration such as 1.5s, 500ms or 1:30";
    case V_PATH: return "a file path";
    case V_FOLLOW: return "manual or auto";
    }
    return "a value";
}

/* "announce and read" for a kinds mask. */
static const char *kinds_words(unsigned mask, char *buf, size_t size)
{
    const char *names[N_KINDS];
    size_t n = 0, used = 0;
    for (int k = 0; k < N_KINDS; k++)
        if (mask & (1u << k))
            names[n++] = kind_keys[k];
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " and " : ", ";
        int w = snprintf(buf + used, size - used, "%s%s", sep, names[i]);
        if (w < 0 || (size_t)w >= size - used)
            break;
        used += (size_t)w;
    }
    return buf;
}

static int kind_of(const mq_node *k)
{
    for (int i = 0; i < N_KINDS; i++)
        if (strcmp(k->str, kind_keys[i]) == 0)
            return i;
    return -1;
}

static const key_info *common_of(const mq_node *k)
{
    for (size_t i = 0; i < N_COMMON; i++)
        if (strcmp(k->str, common_keys[i].name) == 0)
            return &common_keys[i];
    return NULL;
}

/* Parses a number, level or duration value and checks its range. */
static int numeric(mq_loader *ld, const mq_node *v, const key_info *ki, double *out)
{
    const char *s = mq_ld_scalar(ld, v, ki->name, type_what(ki->type));
    char q[96];
    mq_error e;
    double x;
    if (!s)
        return -1;
    mq_quote(v->str, v->len, q, sizeof q);
    if (ki->type == V_DURATION) {
        if (mq_parse_duration(s, &x, &e) != MQ_OK) {
            mq_ld_error(ld, v, "'%s': %s", ki->name, e.msg);
            return -1;
        }
    } else if (ki->type == V_LEVEL) {
        if (mq_parse_level(s, &x, &e) != MQ_OK) {
            mq_ld_error(ld, v, "'%s' must be %s, not '%s'", ki->name, type_what(ki->type), q);
            return -1;
        }
    } else if (mq_parse_number_unit(s, NULL, 1, &x) < 0) {
        mq_ld_error(ld, v, "'%s' must be a number %s, not '%s'", ki->name, ki->range, q);
        return -1;
    }
    if (x < ki->lo || x > ki->hi) {
        mq_ld_error(ld, v, "'%s' must be %s, not '%s'", ki->name, ki->range, q);
        return -1;
    }
    *out = x;
    return 0;
}

static void common_value(mq_loader *ld, mq_item *it, const key_info *ki, const mq_node *v,
                         int *has_bed)
{
    double x;
    const char *s;
    switch (ki->type) {
    case V_STRING:
        it->name = mq_ld_string(ld, v, ki->name, type_what(ki->type));
        return;
    case V_VOICE:
        it->voice = mq_ld_voice(ld, v, ki->name);
        return;
    case V_FOLLOW:
        if (!(s = mq_ld_scalar(ld, v, ki->name, type_what(ki->type))))
            return;
        if (strcmp(s, "manual") == 0) {
            it->follow = MQ_FOLLOW_MANUAL;
        } else if (strcmp(s, "auto") == 0) {
            it->follow = MQ_FOLLOW_AUTO;
        } else {
            char q[96];
            mq_ld_error(ld, v, "'follow' must be manual or auto, not '%s'",
                        mq_quote(v->str, v->len, q, sizeof q));
        }
        return;
    case V_PATH:
        *has_bed = 1;
        it->bed = mq_ld_path(ld, v, ki->name, &it->bed_source);
        return;
    default:
        break;
    }
    if (numeric(ld, v, ki, &x) < 0)
        return;
    double *field = NULL;
    const char *n = ki->name;
    if (!strcmp(n, "rate")) field = &it->rate;
    else if (!strcmp(n, "pitch")) field = &it->pitch;
    else if (!strcmp(n, "gain")) field = &it->gain;
    else if (!strcmp(n, "fade_in")) field = &it->fade_in;
    else if (!strcmp(n, "fade_out")) field = &it->fade_out;
    else if (!strcmp(n, "start")) field = &it->start;
    else if (!strcmp(n, "length")) field = &it->length;
    else if (!strcmp(n, "overlap")) field = &it->overlap;
    else if (!strcmp(n, "duck")) field = &it->duck;
    if (field)
        *field = x;
}

static void kind_value(mq_loader *ld, mq_item *it, const mq_node *v)
{
    const char *key = kind_keys[it->kind];
    switch (it->kind) {
    case MQ_ITEM_ANNOUNCE:
        it->text = mq_ld_string(ld, v, key, "the text to speak");
        if (it->text && !it->text[strspn(it->text, " \t\r\n")]) {
            mq_ld_error(ld, v, "'announce' text is empty");
            it->text = NULL;
        }
        if (it->text && v->src) {
            it->text_src = mq_arena_strndup(&ld->prog->arena, v->src, v->src_len);
            it->text_line = v->line;
            it->text_column = v->column;
            ld->nomem |= !it->text_src;
        }
        return;
    case MQ_ITEM_READ:
    case MQ_ITEM_MUSIC:
    case MQ_ITEM_CLIP:
        it->path = mq_ld_path(ld, v, key, &it->source);
        if (it->path && it->kind == MQ_ITEM_READ) {
            size_t len;
            char *t = mq_ld_text_file(ld, v, it->path, it->source, MQ_TEXT_MAX_BYTES, &len);
            if (t && !t[strspn(t, " \t\r\n")]) {
                char q[96];
                mq_ld_error(ld, v, "text file '%s' is empty",
                            mq_quote(it->source, strlen(it->source), q, sizeof q));
                t = NULL;
            }
            it->text = t;
        }
        return;
    case MQ_ITEM_PAUSE: {
        key_info ki = { "pause", K_PAUSE, V_DURATION, 1e-9, 86400,
                        "longer than 0 seconds and at most 24 hours" };
        double x;
        if (numeric(ld, v, &ki, &x) == 0)
            it->duration = x;
        return;
    }
    }
}

/* Lists all item keys valid for a kind (all of them when KIND < 0). */
static void valid_keys(int kind, const char **out)
{
    size_t n = 0;
    for (int k = 0; k < N_KINDS; k++)
        if (kind < 0)
            out[n++] = kind_keys[k];
    for (size_t i = 0; i < N_COMMON; i++)
        if (kind < 0 || (common_keys[i].kinds & (1u << kind)))
            out[n++] = common_keys[i].name;
    out[n] = NULL;
}

static void load_item(mq_loader *ld, const mq_node *m, mq_item *it)
{
    const mq_node *kind_key = NULL, *duck_key = NULL;
    int kinds = 0, has_bed = 0, reported_kind = 0;
    char q[96], words[96];
    const char *valid[N_KINDS + N_COMMON + 1];

    for (size_t i = 0; i + 1 < m->n_kids; i += 2) {
        int k = kind_of(m->kids[i]);
        if (k < 0)
            continue;
        if (!kinds++) {
            kind_key = m->kids[i];
            it->kind = (mq_item_kind)k;
        } else if (k == (int)it->kind) {
            kinds--;    /* the same kind twice: a duplicate key, reported as such */
        } else {
            mq_ld_error(ld, m->kids[i], "item has two kinds ('%s' and '%s'); an item is one thing",
                        kind_key->str, m->kids[i]->str);
        }
    }
    valid_keys(kinds ? (int)it->kind : -1, valid);

    for (size_t i = 0; i + 1 < m->n_kids; i += 2) {
        const mq_node *k = m->kids[i], *v = m->kids[i + 1];
        const key_info *ki;
        if (k == kind_key) {
            kind_value(ld, it, v);
        } else if (kind_of(k) >= 0) {
            continue;   /* a second kind: reported above */
        } else if ((ki = common_of(k))) {
            if (kinds == 1 && !(ki->kinds & (1u << it->kind))) {
                mq_ld_error(ld, k, "'%s' does not apply to %s %s item (only to %s)", ki->name,
                            it->kind == MQ_ITEM_ANNOUNCE ? "an" : "a", kind_keys[it->kind],
                            kinds_words(ki->kinds, words, sizeof words));
                continue;
            }
            if (!strcmp(ki->name, "duck"))
                duck_key = k;
            common_value(ld, it, ki, v, &has_bed);
        } else if (!kinds && !reported_kind && !mq_suggest(k->str, valid, (size_t)-1)) {
            /* The first unknown key of an item with no kind is most likely
             * meant as its kind. */
            reported_kind = 1;
            mq_ld_error(ld, k, "unknown item kind '%s'; expected one of announce, read, music, "
                               "clip, pause", mq_quote(k->str, k->len, q, sizeof q));
        } else {
            const char *s = mq_suggest(k->str, valid, (size_t)-1);
            if (s && kind_of(&(mq_node){ .str = s }) >= 0)
                reported_kind = 1;  /* "did you mean 'announce'?" says it all */
            mq_ld_unknown_key(ld, k, valid);
        }
    }
    if (!kinds && !reported_kind)
        mq_ld_error(ld, m, "item has no kind; expected one of announce, read, music, clip, pause");
    if (duck_key && !has_bed)
        mq_ld_error(ld, duck_key, "'duck' needs a 'bed' to apply to");
}

void mq_ld_items(mq_loader *ld, const mq_node *items)
{
    mq_program *p = ld->prog;
    if (items->type != MQ_NODE_SEQ) {
        if (items->type == MQ_NODE_SCALAR && items->is_null)
            mq_ld_error(ld, items, "'items' has no value; expected a list of items");
        else
            mq_ld_error(ld, items, "'items' must be a list of items, not %s",
                        mq_node_what(items));
        return;
    }
    if (items->n_kids == 0) {
        mq_ld_error(ld, items, "'items' is empty; a program needs at least one item");
        return;
    }
    if (items->n_kids > MQ_MAX_ITEMS) {
        mq_ld_error(ld, items, "too many items (%zu; at most %d)", items->n_kids, MQ_MAX_ITEMS);
        return;
    }
    if (p->items)
        return;     /* a second `items:`, reported as a duplicate key */
    p->items = calloc(items->n_kids, sizeof *p->items);
    if (!p->items) {
        ld->nomem = 1;
        return;
    }
    for (size_t i = 0; i < items->n_kids && !ld->nomem; i++) {
        const mq_node *m = items->kids[i];
        mq_item *it = &p->items[p->n_items++];
        *it = (mq_item){ .kind = MQ_ITEM_PAUSE, .line = m->line, .column = m->column,
                         .rate = NAN, .pitch = NAN, .gain = NAN, .fade_in = NAN,
                         .fade_out = NAN, .start = NAN, .length = NAN, .overlap = NAN,
                         .duration = NAN, .duck = NAN, .follow = MQ_FOLLOW_MANUAL };
        if (m->type == MQ_NODE_MAP) {
            load_item(ld, m, it);
        } else if (m->type == MQ_NODE_SCALAR && !m->is_null && kind_of(m) >= 0) {
            mq_ld_error(ld, m, "item '%s' needs a value ('- %s: ...')", m->str, m->str);
        } else {
            mq_ld_error(ld, m, "an item must be a mapping such as '- announce: TEXT', not %s",
                        mq_node_what(m));
        }
    }
}
