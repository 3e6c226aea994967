/*
 * mq_program_files.c — the loader's memory and file helpers: the arena the
 * program's strings live in, UTF-8 checking with positions, and resolving
 * and reading the files a program names.
 */
#include "mq_program_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- arena ---- */

#define MQ_ARENA_BLOCK 65536
#define MQ_ARENA_ALIGN 16

struct mq_arena {
    struct mq_arena *next;
    size_t used, cap;
    _Alignas(MQ_ARENA_ALIGN) unsigned char data[];
};

void *mq_arena_alloc(mq_arena **a, size_t n)
{
    if (n > SIZE_MAX / 2)
        return NULL;
    n = (n + MQ_ARENA_ALIGN - 1) & ~(size_t)(MQ_ARENA_ALIGN - 1);
    if (n == 0)
        n = MQ_ARENA_ALIGN;
    mq_arena *h = *a;
    if (h && h->cap - h->used >= n) {
        void *p = h->data + h->used;
        h->used += n;
        return p;
    }
    /* A large request gets a block of its own behind the head, so the head's
     * free space is not thrown away. */
    size_t cap = n > MQ_ARENA_BLOCK / 4 ? n : MQ_ARENA_BLOCK;
    mq_arena *b = malloc(sizeof *b + cap);
    if (!b)
        return NULL;
    b->cap = cap;
    b->used = n;
    if (h && cap == n) {
        b->next = h->next;
        h->next = b;
    } else {
        b->next = h;
        *a = b;
    }
    return b->data;
}

char *mq_arena_strndup(mq_arena **a, const char *s, size_t n)
{
    char *p = mq_arena_alloc(a, n + 1);
    if (p) {
        if (n)
            memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *mq_arena_strdup(mq_arena **a, const char *s)
{
    return mq_arena_strndup(a, s, strlen(s));
}

void mq_arena_free(mq_arena *a)
{
    while (a) {
        mq_arena *n = a->next;
        free(a);
        a = n;
    }
}

/* ---- UTF-8 ---- */

size_t mq_utf8_check(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        unsigned min, cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 2, min = 0x80, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 3, min = 0x800, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 4, min = 0x10000, cp = c & 0x07;
        } else {
            return i;
        }
        for (size_t k = 1; k < n; k++) {
            /* Point at the start of the broken sequence, not at the
             * (valid) byte that cut it short. */
            if (i + k >= len || (s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n;
    }
    return len;
}

void mq_text_position(const char *s, size_t off, int *line, int *column)
{
    int l = 1, c = 1;
    size_t i = 0;
    if (off >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    for (; i < off; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\n') {
            l++;
            c = 1;
        } else if ((ch & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *column = c;
}

const char *mq_quote(const char *v, size_t len, char *buf, size_t size)
{
    size_t max = size > 8 ? size - 5 : 0, n = len;
    if (max > 60)
        max = 60;
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = ((unsigned char)v[i] < 0x20 || v[i] == 0x7F) ? ' ' : v[i];
    if (n < len)
        memcpy(buf + n, "...", 4);
    else if (size)
        buf[n] = '\0';
    return buf;
}

/* ---- files ---- */

static char *join_path(mq_loader *ld, const char *source)
{
    const char *dir = ld->base_dir;
    if (source[0] == '/' || !dir || !dir[0] || strcmp(dir, ".") == 0)
        return mq_arena_strdup(&ld->prog->arena, source);
    size_t dl = strlen(dir), sl = strlen(source);
    int slash = dir[dl - 1] != '/';
    char *p = mq_arena_alloc(&ld->prog->arena, dl + slash + sl + 1);
    if (!p)
        return NULL;
    memcpy(p, dir, dl);
    if (slash)
        p[dl] = '/';
    memcpy(p + dl + slash, source, sl + 1);
    return p;
}

/* " (resolved to 'x')" when the resolved path differs from what was written. */
static const char *resolved_note(const char *source, const char *path, char *buf, size_t size)
{
    if (strcmp(source, path) == 0)
        return "";
    char q[96];
    snprintf(buf, size, " (resolved to '%s')", mq_quote(path, strlen(path), q, sizeof q));
    return buf;
}

/* Checks PATH names a readable regular file; reports at V otherwise. */
static int check_file(mq_loader *ld, const mq_node *v, const char *source, const char *path)
{
    struct stat st;
    char q[96], note[160];
    mq_quote(source, strlen(source), q, sizeof q);
    resolved_note(source, path, note, sizeof note);
    if (stat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            mq_ld_error(ld, v, "no such file '%s'%s", q, note);
        else
            mq_ld_error(ld, v, "cannot open '%s'%s: %s", q, note, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        mq_ld_error(ld, v, "'%s' is a directory, not a file%s", q, note);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        mq_ld_error(ld, v, "'%s' is not a regular file%s", q, note);
        return -1;
    }
    if (access(path, R_OK) != 0) {
        mq_ld_error(ld, v, "cannot read '%s'%s: %s", q, note, strerror(errno));
        return -1;
    }
    return 0;
}

const char *mq_ld_path(mq_loader *ld, const mq_node *v, const char *key, const char **source)
{
    const char *src = mq_ld_string(ld, v, key, "a file path");
    if (!src)
        return NULL;
    if (!src[0]) {
        mq_ld_error(ld, v, "'%s' needs a file path", key);
        return NULL;
    }
    char *path = join_path(ld, src);
    if (!path) {
        ld->nomem = 1;
        return NULL;
    }
    if (check_file(ld, v, src, path) < 0)
        return NULL;
    *source = src;
    return path;
}

char *mq_ld_text_file(mq_loader *ld, const mq_node *at, const char *path, const char *source,
                      size_t max, size_t *len)
{
    char q[96], note[160];
    mq_quote(source, strlen(source), q, sizeof q);
    resolved_note(source, path, note, sizeof note);
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        mq_ld_error(ld, at, "cannot read '%s'%s: %s", q, note, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (st.st_size < 0 || (uint64_t)st.st_size > max) {
        mq_ld_error(ld, at, "'%s' is larger than %zu MB", q, max >> 20);
        close(fd);
        return NULL;
    }
    /* Ten thousand items reading the same large file would otherwise hold
     * gigabytes. */
    if (ld->text_bytes + (size_t)st.st_size > MQ_TEXTS_MAX_BYTES) {
        mq_ld_error(ld, at, "'%s': the program's text files add up to more than %u MB", q,
                    MQ_TEXTS_MAX_BYTES >> 20);
        close(fd);
        return NULL;
    }
    ld->text_bytes += (size_t)st.st_size;
    char *buf = mq_arena_alloc(&ld->prog->arena, (size_t)st.st_size + 1);
    if (!buf) {
        ld->nomem = 1;
        close(fd);
        return NULL;
    }
    size_t n = 0;
    while (n < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            mq_ld_error(ld, at, "cannot read '%s'%s: %s", q, note, strerror(errno));
            close(fd);
            return NULL;
        }
        if (r == 0)
            break;  /* the file shrank while we read it: take what is there */
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';

    size_t bad = mq_utf8_check(buf, n);
    if (bad == n) {
        const char *z = memchr(buf, '\0', n);
        if (z)
            bad = (size_t)(z - buf);
    }
    if (bad < n) {
        int l, c;
        mq_text_position(buf, bad, &l, &c);
        if (buf[bad])
            mq_ld_error_at(ld, path, l, c, "invalid UTF-8 (byte 0x%02x); the file must be UTF-8 text",
                           (unsigned char)buf[bad]);
        else
            mq_ld_error_at(ld, path, l, c, "NUL byte in a text file");
        return NULL;
    }
    if (n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        buf += 3;
        n -= 3;
    }
    *len = n;
    return buf;
}
