/*
 * mq_bundle.h — the running order of a field bundle (what `muqir bundle`
 * writes), for playing it: the files in order, with a title and a length for
 * each.
 *
 * The order comes from DIR/manifest.json (muqir's own: a "title" and an
 * "items" list whose entries have "file" and optionally "name", "text",
 * "kind", "seconds"; other keys are ignored), else from DIR/playlist.m3u
 * (#EXTINF:SECONDS,TITLE before each file; #PLAYLIST:TITLE). A damaged
 * manifest beside a playlist falls back to the playlist, and says so
 * (mq_bundle_note). Nothing else is checked here: not the files' checksums,
 * not even that they exist — a player reports a file it cannot play when it
 * comes to it, and plays the rest.
 *
 * File names are relative to the list's folder (absolute ones are kept).
 */
#ifndef MQ_BUNDLE_H
#define MQ_BUNDLE_H

#include <stddef.h>
#include "../util/mq_error.h"

typedef struct mq_bundle_item {
    const char *path;    /* the file to open: the list's folder joined with `file` */
    const char *file;    /* as the list names it */
    const char *title;   /* the item's name, else the start of its text, else the file's name */
    const char *kind;    /* "announce", "music", ... or "" when the list does not say */
    double seconds;      /* the length the list gives; -1 when it gives none */
} mq_bundle_item;

typedef struct mq_bundle mq_bundle;

/* 1 when PATH names a bundle rather than a program: an existing folder, a
 * path ending in '/', a file named manifest.json, or an .m3u / .m3u8 file. */
int mq_bundle_is_path(const char *path);

/*
 * Reads the bundle PATH names: a folder (its manifest.json, else its
 * playlist.m3u), or one of those two files itself (then no fallback). MQ_OK;
 * MQ_EIO (PATH or the list cannot be read: the message names it and says
 * why); MQ_EINPUT (a folder with neither list: "not a muqir bundle"; a list
 * with no items; a manifest that is not valid JSON or not a bundle's, with
 * FILE:LINE:COLUMN where it goes wrong); MQ_ENOMEM.
 */
int mq_bundle_open(const char *path, mq_bundle **out, mq_error *err);
void mq_bundle_free(mq_bundle *b);

/* The bundle's title: the manifest's "title", the playlist's #PLAYLIST, else
 * the folder's name. */
const char *mq_bundle_title(const mq_bundle *b);
/* The list that was read (DIR/manifest.json or DIR/playlist.m3u). */
const char *mq_bundle_list(const mq_bundle *b);
/* Why the manifest was not used though it is there (damaged; the playlist
 * was read instead), or NULL. */
const char *mq_bundle_note(const mq_bundle *b);

size_t mq_bundle_count(const mq_bundle *b);
/* Item I (0-based, < count). */
const mq_bundle_item *mq_bundle_get(const mq_bundle *b, size_t i);

#endif
