/* mq_bundle.c — a bundle's running order from manifest.json or playlist.m3u;
 * see mq_bundle.h. The manifest is read with a small JSON parser of its own
 * (strict JSON, errors located by line and column); only the keys a player
 * needs are kept. */
#include "mq_bundle.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define LIST_MAX (32u << 20)   /* a list bigger than this is not a bundle's */
#define JSON_DEPTH 64
#define TITLE_CHARS 24         /* a title made from the text: its first characters */

typedef struct bitem {
    char *file, *name, *text, *kind;
    double seconds;
    char *path, *title;   /* made by finish() */
} bitem;

struct mq_bundle {
    char *title, *list, *note, *dir;
    bitem *raw;
    mq_bundle_item *items;
    size_t n, cap;
};

/* ---- small helpers ---- */

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && !strcasecmp(s + a - b, tail);
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int mq_bundle_is_path(const char *path)
{
    struct stat st;
    if (!path || !*path)
        return 0;
    if (path[strlen(path) - 1] == '/' || (stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
        return 1;
    return !strcmp(base_name(path), "manifest.json") || ends_with(path, ".m3u") ||
           ends_with(path, ".m3u8");
}

/* Reads PATH whole into *OUT (NUL-terminated). */
static int slurp(const char *path, char **out, size_t *len, mq_error *err)
{
    struct stat st;
    if (stat(path, &st))
        return mq_error_set(err, MQ_EIO, "%s: cannot read: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return mq_error_set(err, MQ_EINPUT, "%s: is not a file", path);
    if ((unsigned long long)st.st_size > LIST_MAX)
        return mq_error_set(err, MQ_EINPUT, "%s: too large for a bundle's list (%lld bytes)",
                            path, (long long)st.st_size);
    FILE *f = fopen(path, "rb");
    if (!f)
        return mq_error_set(err, MQ_EIO, "%s: cannot read: %s", path, strerror(errno));
    char *s = malloc((size_t)st.st_size + 1);
    if (!s) {
        fclose(f);
        return mq_error_set(err, MQ_ENOMEM, "%s: out of memory", path);
    }
    size_t n = fread(s, 1, (size_t)st.st_size, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(s);
        return mq_error_set(err, MQ_EIO, "%s: cannot read: %s", path, strerror(errno));
    }
    s[n] = '\0';
    *out = s;
    *len = n;
    return MQ_OK;
}

static int add_item(mq_bundle *b, bitem *it, mq_error *err)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        bitem *r = realloc(b->raw, cap * sizeof *r);
        if (!r)
            return mq_error_set(err, MQ_ENOMEM, "out of memory");
        b->raw = r;
        b->cap = cap;
    }
    b->raw[b->n++] = *it;
    memset(it, 0, sizeof *it);
    return MQ_OK;
}

static void free_item(bitem *it)
{
    free(it->file);
    free(it->name);
    free(it->text);
    free(it->kind);
    free(it->path);
    free(it->title);
}

/* ---- manifest.json ---- */

typedef struct jp {
    const char *s, *p, *end, *file;
    mq_error *err;
    int depth;
} jp;

static int jerr(jp *j, const char *what)
{
    int line = 1, col = 1;
    for (const char *q = j->s; q < j->p && q < j->end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)*q & 0xC0) != 0x80) {
            col++;
        }
    }
    return mq_error_set(j->err, MQ_EINPUT, "%s:%d:%d: %s", j->file, line, col, what);
}

static void ws(jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int expect(jp *j, char c, const char *what)
{
    ws(j);
    if (j->p >= j->end || *j->p != c)
        return jerr(j, what);
    j->p++;
    return MQ_OK;
}

static int hex4(const char *p, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        int c = p[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        *v = *v * 16 + (unsigned)d;
    }
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A string at P into *OUT (malloc'd; NULL: skipped). Escapes are decoded;
 * \u0000 and unpaired surrogates become U+FFFD. */
static int jstring(jp *j, char **out)
{
    ws(j);
    if (j->p >= j->end || *j->p != '"')
        return jerr(j, "expected a string");
    const char *q = ++j->p;
    /* The decoded string is never longer than the source text. */
    char *o = out ? malloc((size_t)(j->end - q) + 1) : NULL, *w = o;
    if (out && !o)
        return mq_error_set(j->err, MQ_ENOMEM, "out of memory");
    while (q < j->end && *q != '"') {
        unsigned char c = (unsigned char)*q;
        if (c < 0x20) {
            j->p = q;
            free(o);
            return jerr(j, "a control character inside a string (write it as \\n, \\t or \\u)");
        }
        if (c != '\\') {
            if (w)
                *w++ = (char)c;
            q++;
            continue;
        }
        char e = q + 1 < j->end ? q[1] : 0, lit = 0;
        unsigned cp = 0, lo;
        switch (e) {
        case '"': case '\\': case '/': lit = e; break;
        case 'b': lit = '\b'; break;
        case 'f': lit = '\f'; break;
        case 'n': lit = '\n'; break;
        case 'r': lit = '\r'; break;
        case 't': lit = '\t'; break;
        case 'u':
            if (j->end - q < 6 || hex4(q + 2, &cp)) {
                j->p = q;
                free(o);
                return jerr(j, "\\u must be followed by four hexadecimal digits");
            }
            q += 6;
            if (cp >= 0xD800 && cp < 0xDC00 && j->end - q >= 6 && q[0] == '\\' && q[1] == 'u' &&
                !hex4(q + 2, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                q += 6;
            } else if (cp == 0 || (cp >= 0xD800 && cp < 0xE000)) {
                cp = 0xFFFD;
            }
            if (w)
                w += put_utf8(w, cp);
            continue;
        default:
            j->p = q;
            free(o);
            return jerr(j, "unknown escape in a string");
        }
        if (w)
            *w++ = lit;
        q += 2;
    }
    if (q >= j->end) {
        free(o);
        return jerr(j, "a string is not closed by '\"'");
    }
    j->p = q + 1;
    if (out) {
        *w = '\0';
        *out = o;
    }
    return MQ_OK;
}

static int jnumber(jp *j, double *v)
{
    ws(j);
    const char *q = j->p;
    if (q < j->end && *q == '-')
        q++;
    if (q >= j->end || *q < '0' || *q > '9')
        return jerr(j, "expected a number");
    if (*q == '0')
        q++;
    else
        while (q < j->end && *q >= '0' && *q <= '9')
            q++;
    if (q < j->end && *q == '.') {
        if (++q >= j->end || *q < '0' || *q > '9')
            return jerr(j, "expected digits after the decimal point");
        while (q < j->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < j->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < j->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= j->end || *q < '0' || *q > '9')
            return jerr(j, "expected digits in the exponent");
        while (q < j->end && *q >= '0' && *q <= '9')
            q++;
    }
    char buf[64];
    size_t n = (size_t)(q - j->p);
    if (n >= sizeof buf)
        return jerr(j, "a number too long");
    memcpy(buf, j->p, n);
    buf[n] = '\0';
    *v = strtod(buf, NULL);
    j->p = q;
    return MQ_OK;
}

static int jliteral(jp *j, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n))
        return jerr(j, "expected a value (a string, number, object, list, true, false or null)");
    j->p += n;
    return MQ_OK;
}

static int jskip(jp *j);

/* Skips an object or a list, checking its syntax. */
static int jskip_container(jp *j, char open)
{
    char close = open == '{' ? '}' : ']';
    if (++j->depth > JSON_DEPTH)
        return jerr(j, "nested too deeply");
    j->p++;
    ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        j->depth--;
        return MQ_OK;
    }
    for (;;) {
        int rc;
        if (open == '{' && ((rc = jstring(j, NULL)) || (rc = expect(j, ':', "expected ':' after a key"))))
            return rc;
        if ((rc = jskip(j)))
            return rc;
        ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            j->depth--;
            return MQ_OK;
        }
        return jerr(j, open == '{' ? "expected ',' or '}' in an object" : "expected ',' or ']' in a list");
    }
}

static int jskip(jp *j)
{
    ws(j);
    if (j->p >= j->end)
        return jerr(j, "the file ends where a value should be");
    double d;
    switch (*j->p) {
    case '"': return jstring(j, NULL);
    case '{': case '[': return jskip_container(j, *j->p);
    case 't': return jliteral(j, "true");
    case 'f': return jliteral(j, "false");
    case 'n': return jliteral(j, "null");
    default: return jnumber(j, &d);
    }
}

/* A string or null into *OUT (replacing what was there). */
static int jstring_or_null(jp *j, char **out)
{
    ws(j);
    free(*out);
    *out = NULL;
    if (j->p < j->end && *j->p == 'n')
        return jliteral(j, "null");
    return jstring(j, out);
}

/* Calls FIELD(J, KEY, CTX) for each key of the object at P; FIELD parses the value. */
static int jobject(jp *j, int (*field)(jp *, const char *, void *), void *ctx)
{
    int rc = expect(j, '{', "expected an object ('{')");
    if (rc)
        return rc;
    ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        return MQ_OK;
    }
    for (;;) {
        char *key = NULL;
        if ((rc = jstring(j, &key)) || (rc = expect(j, ':', "expected ':' after a key"))) {
            free(key);
            return rc;
        }
        rc = field(j, key, ctx);
        free(key);
        if (rc)
            return rc;
        ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == '}') {
            j->p++;
            return MQ_OK;
        }
        return jerr(j, "expected ',' or '}' in an object");
    }
}

static int item_field(jp *j, const char *key, void *ctx)
{
    bitem *it = ctx;
    if (!strcmp(key, "file")) {
        free(it->file);
        it->file = NULL;
        return jstring(j, &it->file);
    }
    if (!strcmp(key, "name"))
        return jstring_or_null(j, &it->name);
    if (!strcmp(key, "text"))
        return jstring_or_null(j, &it->text);
    if (!strcmp(key, "kind"))
        return jstring_or_null(j, &it->kind);
    if (!strcmp(key, "seconds")) {
        ws(j);
        if (j->p < j->end && *j->p == 'n') {
            it->seconds = -1;
            return jliteral(j, "null");
        }
        return jnumber(j, &it->seconds);
    }
    return jskip(j);
}

typedef struct top {
    mq_bundle *b;
    int have_items;
} top;

static int top_field(jp *j, const char *key, void *ctx)
{
    top *t = ctx;
    if (!strcmp(key, "title"))
        return jstring_or_null(j, &t->b->title);
    if (strcmp(key, "items"))
        return jskip(j);
    int rc = expect(j, '[', "\"items\" must be a list ('[')");
    if (rc)
        return rc;
    t->have_items = 1;
    ws(j);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        return MQ_OK;
    }
    for (;;) {
        const char *at = (ws(j), j->p);
        bitem it = { .seconds = -1 };
        if ((rc = jobject(j, item_field, &it)) == MQ_OK && (!it.file || !*it.file)) {
            char what[64];
            snprintf(what, sizeof what, "item %zu has no \"file\"", t->b->n + 1);
            j->p = at;   /* located at the item's '{' */
            rc = jerr(j, what);
        }
        if (rc == MQ_OK)
            rc = add_item(t->b, &it, j->err);
        free_item(&it);
        if (rc)
            return rc;
        ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == ']') {
            j->p++;
            return MQ_OK;
        }
        return jerr(j, "expected ',' or ']' in the items list");
    }
}

static int read_manifest(mq_bundle *b, const char *path, mq_error *err)
{
    char *s;
    size_t n;
    int rc = slurp(path, &s, &n, err);
    if (rc)
        return rc;
    jp j = { .s = s, .p = s, .end = s + n, .file = path, .err = err };
    if (n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
        j.p += 3;
    top t = { .b = b };
    rc = jobject(&j, top_field, &t);
    if (rc == MQ_OK) {
        ws(&j);
        if (j.p < j.end)
            rc = jerr(&j, "unexpected text after the manifest's closing '}'");
    }
    if (rc == MQ_OK && !t.have_items)
        rc = mq_error_set(err, MQ_EINPUT, "%s: not a bundle's manifest: it has no \"items\" list",
                          path);
    free(s);
    return rc;
}

/* ---- playlist.m3u ---- */

static int read_m3u(mq_bundle *b, const char *path, mq_error *err)
{
    char *s;
    size_t n;
    int rc = slurp(path, &s, &n, err);
    if (rc)
        return rc;
    bitem it = { .seconds = -1 };
    char *line = s;
    if (n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
        line += 3;
    while (rc == MQ_OK && line && *line) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
            line[--len] = '\0';
        if (!strncmp(line, "#EXTINF:", 8)) {
            char *comma = strchr(line + 8, ',');
            it.seconds = strtod(line + 8, NULL);
            free(it.name);
            it.name = comma && comma[1] ? strdup(comma + 1) : NULL;
            if (comma && comma[1] && !it.name)
                rc = mq_error_set(err, MQ_ENOMEM, "out of memory");
        } else if (!strncmp(line, "#PLAYLIST:", 10)) {
            free(b->title);
            if (!(b->title = strdup(line + 10)))
                rc = mq_error_set(err, MQ_ENOMEM, "out of memory");
        } else if (*line && *line != '#') {
            const char *f = !strncmp(line, "file://", 7) ? line + 7 : line;
            if (!(it.file = strdup(f)))
                rc = mq_error_set(err, MQ_ENOMEM, "out of memory");
            else
                rc = add_item(b, &it, err);
            it.seconds = -1;
        }
        line = next;
    }
    free_item(&it);
    free(s);
    return rc;
}

/* ---- the bundle ---- */

/* A title from a text: its first line's first TITLE_CHARS characters. */
static char *title_from_text(const char *t)
{
    size_t i = 0, chars = 0;
    while (t[i] && t[i] != '\n' && chars < TITLE_CHARS) {
        i++;
        while (((unsigned char)t[i] & 0xC0) == 0x80)
            i++;
        chars++;
    }
    int cut = t[i] && t[i] != '\n';
    char *s = malloc(i + 4);
    if (s) {
        memcpy(s, t, i);
        strcpy(s + i, cut ? "\xE2\x80\xA6" : "");   /* … */
    }
    return s;
}

/* Fills b->items from b->raw: paths joined, titles chosen, control
 * characters in titles made spaces (they go to a terminal). */
static int finish(mq_bundle *b, mq_error *err)
{
    b->items = calloc(b->n ? b->n : 1, sizeof *b->items);
    if (!b->items)
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    for (size_t i = 0; i < b->n; i++) {
        bitem *r = &b->raw[i];
        mq_bundle_item *it = &b->items[i];
        it->file = r->file;
        it->kind = r->kind ? r->kind : "";
        it->seconds = r->seconds >= 0 ? r->seconds : -1;
        size_t need = strlen(b->dir) + strlen(r->file) + 2;
        char *path = malloc(need);
        char *title = r->name && *r->name ? strdup(r->name)
                    : r->text && *r->text ? title_from_text(r->text) : strdup(base_name(r->file));
        if (!path || !title) {
            free(path);
            free(title);
            return mq_error_set(err, MQ_ENOMEM, "out of memory");
        }
        if (r->file[0] == '/')
            snprintf(path, need, "%s", r->file);
        else
            snprintf(path, need, "%s/%s", b->dir, r->file);
        for (char *c = title; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = ' ';
        it->title = r->title = title;
        it->path = r->path = path;
    }
    if (!b->title || !*b->title) {
        free(b->title);
        char real[PATH_MAX];
        const char *d = realpath(b->dir, real) ? real : b->dir;
        b->title = strdup(*base_name(d) ? base_name(d) : d);
        if (!b->title)
            return mq_error_set(err, MQ_ENOMEM, "out of memory");
    }
    return MQ_OK;
}

static void clear(mq_bundle *b)
{
    for (size_t i = 0; i < b->n; i++)
        free_item(&b->raw[i]);
    b->n = 0;
    free(b->title);
    b->title = NULL;
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int folder_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int empty = 1;
    while (d && empty && (e = readdir(d)))
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    if (d)
        closedir(d);
    return empty;
}

int mq_bundle_open(const char *path, mq_bundle **out, mq_error *err)
{
    if (!out || !path || !*path)
        return mq_error_set(err, MQ_EINVAL, "mq_bundle_open: no path");
    *out = NULL;
    mq_bundle *b = calloc(1, sizeof *b);
    if (!b)
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    struct stat st;
    int rc = MQ_OK, folder = 0;
    size_t plen = strlen(path);
    if (stat(path, &st)) {
        rc = errno == ENOENT ? mq_error_set(err, MQ_EIO, "%s: no such folder or file", path)
                             : mq_error_set(err, MQ_EIO, "%s: %s", path, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        folder = 1;
        while (plen > 1 && path[plen - 1] == '/')
            plen--;
        b->dir = dupn(path, plen);
    } else {
        const char *slash = strrchr(path, '/');
        b->dir = slash ? dupn(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    }
    if (rc == MQ_OK && !b->dir)
        rc = mq_error_set(err, MQ_ENOMEM, "out of memory");
    char *manifest = NULL, *playlist = NULL;
    if (rc == MQ_OK && folder) {
        size_t n = strlen(b->dir) + 16;
        manifest = malloc(n);
        playlist = malloc(n);
        if (!manifest || !playlist) {
            rc = mq_error_set(err, MQ_ENOMEM, "out of memory");
        } else {
            snprintf(manifest, n, "%s%smanifest.json", b->dir, strcmp(b->dir, "/") ? "/" : "");
            snprintf(playlist, n, "%s%splaylist.m3u", b->dir, strcmp(b->dir, "/") ? "/" : "");
            if (!is_file(manifest) && !is_file(playlist))
                rc = mq_error_set(err, MQ_EINPUT, "%s: not a muqir bundle: %s", path,
                                  folder_is_empty(path) ? "the folder is empty"
                                  : "it has no manifest.json or playlist.m3u");
        }
    }
    if (rc == MQ_OK) {
        const char *list = folder ? (is_file(manifest) ? manifest : playlist) : path;
        int json = folder ? list == manifest : ends_with(path, ".json");
        rc = json ? read_manifest(b, list, err) : read_m3u(b, list, err);
        if (rc != MQ_OK && rc != MQ_ENOMEM && folder && json && is_file(playlist)) {
            /* A damaged manifest: the playlist beside it gives the order. */
            b->note = strdup(err->msg);
            clear(b);
            list = playlist;
            rc = b->note ? read_m3u(b, list, err) : mq_error_set(err, MQ_ENOMEM, "out of memory");
            if (rc == MQ_OK && !b->n)
                rc = MQ_EINPUT;
            if (rc != MQ_OK && rc != MQ_ENOMEM) {   /* the manifest's problem is the one to say */
                mq_error_set(err, MQ_EINPUT, "%s", b->note);
                rc = MQ_EINPUT;
            }
        }
        if (rc == MQ_OK && !b->n)
            rc = mq_error_set(err, MQ_EINPUT, "%s: the bundle lists no items", list);
        if (rc == MQ_OK && !(b->list = strdup(list)))
            rc = mq_error_set(err, MQ_ENOMEM, "out of memory");
    }
    free(manifest);
    free(playlist);
    if (rc == MQ_OK)
        rc = finish(b, err);
    if (rc != MQ_OK) {
        mq_bundle_free(b);
        return rc;
    }
    *out = b;
    return MQ_OK;
}

void mq_bundle_free(mq_bundle *b)
{
    if (!b)
        return;
    clear(b);
    free(b->raw);
    free(b->items);
    free(b->list);
    free(b->note);
    free(b->dir);
    free(b);
}

const char *mq_bundle_title(const mq_bundle *b) { return b->title; }
const char *mq_bundle_list(const mq_bundle *b) { return b->list; }
const char *mq_bundle_note(const mq_bundle *b) { return b->note; }
size_t mq_bundle_count(const mq_bundle *b) { return b->n; }

const mq_bundle_item *mq_bundle_get(const mq_bundle *b, size_t i)
{
    return i < b->n ? &b->items[i] : NULL;
}
