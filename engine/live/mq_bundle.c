/* mq_bundle.c — a bundle's running order from manifest.json (read with
 * jansson) or playlist.m3u; see mq_bundle.h. */
#include "mq_bundle.h"

#include <dirent.h>
#include <jansson.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define LIST_MAX (32u << 20)   /* a list bigger than this is not a bundle's */
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

/* ---- manifest.json (jansson) ---- */

/* Member KEY of the object O, a string or null, into *OUT (replacing what was
 * there; NULL for null or absent). WHERE prefixes the message ("item 3: "). */
static int member_string(json_t *o, const char *key, char **out, const char *path,
                         const char *where, mq_error *err)
{
    json_t *v = json_object_get(o, key);
    free(*out);
    *out = NULL;
    if (!v || json_is_null(v))
        return MQ_OK;
    if (!json_is_string(v))
        return mq_error_set(err, MQ_EINPUT, "%s: %s\"%s\" must be a string", path, where, key);
    if (!(*out = dupn(json_string_value(v), json_string_length(v))))
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    return MQ_OK;
}

/* One entry of "items" into IT. */
static int read_item(json_t *o, size_t i, bitem *it, const char *path, mq_error *err)
{
    char where[48];
    snprintf(where, sizeof where, "item %zu: ", i + 1);
    if (!json_is_object(o))
        return mq_error_set(err, MQ_EINPUT, "%s: item %zu is not an object ('{')", path, i + 1);
    int rc = member_string(o, "file", &it->file, path, where, err);
    if (rc == MQ_OK && (!it->file || !*it->file))
        rc = mq_error_set(err, MQ_EINPUT, "%s: item %zu has no \"file\"", path, i + 1);
    if (rc == MQ_OK)
        rc = member_string(o, "name", &it->name, path, where, err);
    if (rc == MQ_OK)
        rc = member_string(o, "text", &it->text, path, where, err);
    if (rc == MQ_OK)
        rc = member_string(o, "kind", &it->kind, path, where, err);
    json_t *sec = json_object_get(o, "seconds");
    if (rc == MQ_OK && sec && !json_is_null(sec)) {
        if (!json_is_number(sec))
            rc = mq_error_set(err, MQ_EINPUT, "%s: item %zu: \"seconds\" must be a number",
                              path, i + 1);
        else
            it->seconds = json_number_value(sec);
    }
    return rc;
}

/* Reads the manifest with jansson (strict JSON; syntax errors located by line
 * and column; duplicate keys refused; nesting bounded by the library). Only
 * the keys a player needs are kept. */
static int read_manifest(mq_bundle *b, const char *path, mq_error *err)
{
    char *s;
    size_t n;
    int rc = slurp(path, &s, &n, err);
    if (rc)
        return rc;
    size_t bom = n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3) ? 3 : 0;
    json_error_t je;
    json_t *root = json_loadb(s + bom, n - bom, JSON_REJECT_DUPLICATES, &je);
    free(s);
    if (!root)
        return mq_error_set(err, MQ_EINPUT, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    json_t *items = json_is_object(root) ? json_object_get(root, "items") : NULL;
    if (!json_is_object(root))
        rc = mq_error_set(err, MQ_EINPUT, "%s: not a bundle's manifest: expected an object ('{')",
                          path);
    else if (!items)
        rc = mq_error_set(err, MQ_EINPUT,
                          "%s: not a bundle's manifest: it has no \"items\" list", path);
    else if (!json_is_array(items))
        rc = mq_error_set(err, MQ_EINPUT, "%s: \"items\" must be a list ('[')", path);
    else
        rc = member_string(root, "title", &b->title, path, "", err);
    for (size_t i = 0; rc == MQ_OK && i < json_array_size(items); i++) {
        bitem it = { .seconds = -1 };
        rc = read_item(json_array_get(items, i), i, &it, path, err);
        if (rc == MQ_OK)
            rc = add_item(b, &it, err);
        free_item(&it);
    }
    json_decref(root);
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
        rc = errno == ENOENT ? mq_error_set(err, MQ_EINPUT, "%s: no such folder or file", path)
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
