/*
 * mq_program_yaml.c — libyaml events to a tree of located nodes.
 *
 * The tree is built from the event API rather than yaml_document_t so that we
 * can stop early: aliases are refused outright (a "billion laughs" file
 * expands a few hundred bytes into gigabytes), and depth, node count and
 * value length are capped while parsing. libyaml does not notice duplicate
 * keys, which in a program are nearly always a mistake, so we check them here.
 */
#include "mq_program_internal.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct builder {
    mq_loader *ld;
    const char *data;
    size_t len;
    mq_node *stack[MQ_MAX_DEPTH + 1];
    int depth;
    size_t nodes;
    mq_node *root;
    int documents;
    size_t cur;                 /* src_at's place: byte offset, line and column */
    int cur_line, cur_col;
} builder;

static mq_node *new_node(builder *b, mq_node_type type, const yaml_mark_t *m)
{
    mq_node *n = mq_arena_alloc(&b->ld->tree, sizeof *n);
    if (!n) {
        b->ld->nomem = 1;
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->type = type;
    n->line = (int)m->line + 1;
    n->column = (int)m->column + 1;
    return n;
}

/* The byte in the program text at the 0-based LINE and COLUMN of a libyaml
 * mark (columns in characters, as mq_text_position counts them), or NULL.
 * Scalars come in the order they are written, so the walk goes on from the
 * last place asked for: the whole text is walked once. */
static const char *src_at(builder *b, size_t line, size_t column)
{
    const int l = (int)line + 1, c = (int)column + 1;
    if (l < b->cur_line || (l == b->cur_line && c < b->cur_col) || !b->cur_line) {
        b->cur = b->len >= 3 && !memcmp(b->data, "\xEF\xBB\xBF", 3) ? 3 : 0;
        b->cur_line = b->cur_col = 1;
    }
    while (b->cur < b->len && (b->cur_line < l || (b->cur_line == l && b->cur_col < c))) {
        if (b->data[b->cur] == '\n') {
            b->cur_line++;
            b->cur_col = 1;
        } else {
            b->cur_col++;
        }
        b->cur++;
        while (b->cur < b->len && ((unsigned char)b->data[b->cur] & 0xC0) == 0x80)
            b->cur++;
    }
    return b->cur_line == l && b->cur_col == c ? b->data + b->cur : NULL;
}

static const char *type_name(const mq_node *n)
{
    return n->type == MQ_NODE_SEQ ? "a list" : "a mapping";
}

/* Attaches N to the open container (or makes it the root). */
static int attach(builder *b, mq_node *n)
{
    if (++b->nodes > MQ_MAX_NODES) {
        mq_ld_error(b->ld, n, "too many values in the program (more than %d)", MQ_MAX_NODES);
        return -1;
    }
    if (b->depth == 0) {
        b->root = n;
        return 0;
    }
    mq_node *p = b->stack[b->depth - 1];
    if (p->type == MQ_NODE_MAP && p->n_kids % 2 == 0 && n->type != MQ_NODE_SCALAR) {
        mq_ld_error(b->ld, n, "a key must be a plain name, not %s", type_name(n));
        return -1;
    }
    if (p->n_kids == p->cap_kids) {
        size_t cap = p->cap_kids ? p->cap_kids * 2 : 8;
        mq_node **k = mq_arena_alloc(&b->ld->tree, cap * sizeof *k);
        if (!k) {
            b->ld->nomem = 1;
            return -1;
        }
        if (p->n_kids)
            memcpy(k, p->kids, p->n_kids * sizeof *k);
        p->kids = k;
        p->cap_kids = cap;
    }
    p->kids[p->n_kids++] = n;
    return 0;
}

static int cmp_keys(const void *a, const void *b)
{
    const mq_node *x = *(mq_node *const *)a, *y = *(mq_node *const *)b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    int c = memcmp(x->str, y->str, x->len);
    if (c)
        return c;
    /* Same key: the earlier one first, so it is the one we point back to. */
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return (x->column > y->column) - (x->column < y->column);
}

static void check_duplicates(builder *b, const mq_node *map)
{
    size_t n = map->n_kids / 2;
    if (n < 2)
        return;
    mq_node **keys = malloc(n * sizeof *keys);
    if (!keys) {
        b->ld->nomem = 1;
        return;
    }
    for (size_t i = 0; i < n; i++)
        keys[i] = map->kids[2 * i];
    qsort(keys, n, sizeof *keys, cmp_keys);
    size_t first = 0;
    for (size_t i = 1; i < n; i++) {
        if (keys[i]->len == keys[first]->len &&
            memcmp(keys[i]->str, keys[first]->str, keys[i]->len) == 0) {
            char q[96];
            mq_ld_error(b->ld, keys[i], "duplicate key '%s' (first given at line %d)",
                        mq_quote(keys[i]->str, keys[i]->len, q, sizeof q), keys[first]->line);
        } else {
            first = i;
        }
    }
    free(keys);
}

/* libyaml reports a tab in indentation as "found character that cannot start
 * any token" (or a confused mapping error on a later line); say what is wrong
 * when a line near the error starts with whitespace that holds a tab. */
static int report_tab(builder *b, size_t line0)
{
    size_t line = 0, i = 0;
    while (i < b->len && line < line0) {
        if (b->data[i++] == '\n')
            line++;
    }
    if (line != line0)
        return 0;
    for (size_t j = i; j < b->len && (b->data[j] == ' ' || b->data[j] == '\t'); j++) {
        if (b->data[j] == '\t') {
            int l, c;
            mq_text_position(b->data, j, &l, &c);
            mq_ld_error_at(b->ld, b->ld->name, l, c,
                           "tab characters cannot be used for indentation; indent with spaces");
            return 1;
        }
    }
    return 0;
}

static void report_syntax(builder *b, const yaml_parser_t *p)
{
    if (p->error == YAML_MEMORY_ERROR) {
        b->ld->nomem = 1;
        return;
    }
    if (p->error == YAML_SCANNER_ERROR || p->error == YAML_PARSER_ERROR) {
        if (report_tab(b, p->problem_mark.line))
            return;
        if (p->context && p->context_mark.line != p->problem_mark.line &&
            report_tab(b, p->context_mark.line))
            return;
    }
    const char *problem = p->problem ? p->problem : "cannot be parsed";
    int line = 0, col = 0;
    if (p->error == YAML_READER_ERROR) {
        if (p->problem_offset <= b->len)
            mq_text_position(b->data, p->problem_offset, &line, &col);
    } else {
        line = (int)p->problem_mark.line + 1;
        col = (int)p->problem_mark.column + 1;
    }
    if (p->context)
        mq_ld_error_at(b->ld, b->ld->name, line, col,
                       "YAML syntax error: %s (%s at line %d, column %d)", problem, p->context,
                       (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    else
        mq_ld_error_at(b->ld, b->ld->name, line, col, "YAML syntax error: %s", problem);
}

static int is_null_scalar(const yaml_event_t *ev)
{
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    const char *v = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    return n == 0 || (n == 1 && v[0] == '~') ||
           (n == 4 && (!memcmp(v, "null", 4) || !memcmp(v, "Null", 4) || !memcmp(v, "NULL", 4)));
}

/* Handles one event; returns 1 to go on, 0 at the end, -1 on error. */
static int on_event(builder *b, const yaml_event_t *ev)
{
    mq_node *n;
    switch (ev->type) {
    case YAML_STREAM_END_EVENT:
        return 0;
    case YAML_DOCUMENT_START_EVENT:
        if (++b->documents > 1) {
            yaml_mark_t m = ev->start_mark;
            mq_ld_error_at(b->ld, b->ld->name, (int)m.line + 1, (int)m.column + 1,
                           "a program is a single YAML document; found a second one");
            return -1;
        }
        return 1;
    case YAML_ALIAS_EVENT:
        mq_ld_error_at(b->ld, b->ld->name, (int)ev->start_mark.line + 1,
                       (int)ev->start_mark.column + 1,
                       "aliases (*%s) are not allowed in a program; write the value out",
                       (const char *)ev->data.alias.anchor);
        return -1;
    case YAML_SCALAR_EVENT:
        if (!(n = new_node(b, MQ_NODE_SCALAR, &ev->start_mark)))
            return -1;
        if (ev->data.scalar.length > MQ_SCALAR_MAX_BYTES) {
            mq_ld_error(b->ld, n, "value is longer than %u MB", MQ_SCALAR_MAX_BYTES >> 20);
            return -1;
        }
        n->len = ev->data.scalar.length;
        n->str = mq_arena_strndup(&b->ld->tree, (const char *)ev->data.scalar.value, n->len);
        if (!n->str) {
            b->ld->nomem = 1;
            return -1;
        }
        n->is_null = is_null_scalar(ev);
        n->src = src_at(b, ev->start_mark.line, ev->start_mark.column);
        if (n->src) {
            const char *end = src_at(b, ev->end_mark.line, ev->end_mark.column);
            n->src_len = end && end >= n->src ? (size_t)(end - n->src) : 0;
            if (!end)
                n->src = NULL;
        }
        return attach(b, n) < 0 ? -1 : 1;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        n = new_node(b, ev->type == YAML_SEQUENCE_START_EVENT ? MQ_NODE_SEQ : MQ_NODE_MAP,
                     &ev->start_mark);
        if (!n || attach(b, n) < 0)
            return -1;
        if (b->depth == MQ_MAX_DEPTH) {
            mq_ld_error(b->ld, n, "lists and mappings are nested too deeply (more than %d levels)",
                        MQ_MAX_DEPTH);
            return -1;
        }
        b->stack[b->depth++] = n;
        return 1;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (b->depth == 0)
            return -1;
        n = b->stack[--b->depth];
        if (n->type == MQ_NODE_MAP)
            check_duplicates(b, n);
        return b->ld->nomem ? -1 : 1;
    default:
        return 1;
    }
}

int mq_yaml_build(mq_loader *ld, const char *data, size_t len, mq_node **root)
{
    builder b;
    memset(&b, 0, sizeof b);
    b.ld = ld;
    b.data = data;
    b.len = len;
    *root = NULL;

    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        ld->nomem = 1;
        return -1;
    }
    /* The encoding is left for libyaml to detect so that it skips a BOM; the
     * caller has already checked that the text is UTF-8. */
    yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
    int r;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            report_syntax(&b, &p);
            r = -1;
            break;
        }
        r = on_event(&b, &ev);
        yaml_event_delete(&ev);
        if (r <= 0)
            break;
    }
    yaml_parser_delete(&p);
    if (r < 0)
        return -1;
    *root = b.root;
    return 0;
}
