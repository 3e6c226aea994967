/*
 * mq_outcache.h — the output cache: a finished render kept beside the speech
 * cache (mq_cache.h, same folder and size bound), so that rendering an
 * unchanged program again writes the same files without synthesizing,
 * mixing, metering or limiting anything.
 *
 * The key (mq_outcache_key) is a SHA-256 over everything that decides the
 * output's bytes: the loaded program (title, output settings, every item's
 * fields, the text of every item, the bytes of every audio file it uses, its
 * own lexicon entries, the parameters of every voice it uses), the bytes of
 * every file of the lexicon folder, the caller's options (output format,
 * sample format, loudness, the side files asked for), the engine's identity
 * and the eSpeak NG, libsndfile and soxr versions.
 *
 * An entry holds the files of one render (the audio, then any captions, cue
 * sheet or timeline), each with its checksum (XXH3-64 over the sums of its
 * parts: a WAV's samples are summed apart from its header, so that storing a
 * render takes the samples' sum made while they were written and reads back
 * only the header), and the export's figures for the report. A hit reads every file of the entry whole and
 * checks its checksum, and only when every file checked out renames the
 * prepared files over their destinations. A damaged entry is removed and
 * reported as a miss: its bytes are never delivered. A WAV's Broadcast
 * `bext` date and time (and a float WAV's PEAK time) are stamped as a render
 * now would stamp them (mq_outfile_stamp), so a hit is the file a render
 * would have written. Each file is prepared one of three ways:
 *
 *  - by hard link, when the entry already holds the bytes a render now would
 *    write (the stamps equal the stored ones: SOURCE_DATE_EPOCH fixed, or a
 *    file without stamps: captions, FLAC, ...) and the destination's folder
 *    is on the cache's file system: the entry is linked under a temporary
 *    name there. Copying a 200 MB WAV and fsyncing the copy made most of a
 *    hit's time; a link costs neither, and the check (reading the entry from
 *    the page cache) is most of what remains. No fsync: the
 *    entry's data is on disk already (the audio since mq_outfile_commit, a
 *    copied entry since mq_outcache_put), and side files are as durable as
 *    a render leaves them (mq_atomic); the rename is not fsynced, as
 *    mq_outfile's is not;
 *  - not at all, when the destination already is the entry's file (same
 *    device and inode) with those bytes: nothing needs replacing;
 *  - else by a copy, restamped while it is written and checked while it is
 *    read, fsynced before the rename as mq_outfile does. A file shared with
 *    the entry is never restamped in place: another output may be the same
 *    file.
 *
 * A file delivered by link, or left in place, has its modification time set
 * to now, as a freshly written file has (make and the like compare it with
 * its inputs). It is the entry's file, so every output sharing it shows that
 * time too: metadata only, and trimming goes by the index's time.
 *
 * Sharing: when the output and the cache are on one file system the entry is
 * a hard link to the render's output, and every output a hit delivers by
 * link is that same file (bytes, permissions, times). Another tool changing
 * one of them in place (rather than writing a new file and renaming it)
 * changes all of them and damages the entry; the checksum catches that on
 * the next hit, which then renders again.
 *
 * Files: DIR/ab/KEY.mqo (the index: sizes, checksums, figures; checksummed
 * itself) and DIR/ab/KEY.N.mqd (file N: a hard link to the output when it is
 * on the same file system, else a copy). mq_cache_trim counts both.
 */
#ifndef MQ_OUTCACHE_H
#define MQ_OUTCACHE_H

#include <stddef.h>
#include "../program/mq_program.h"
#include "../speech/mq_cache.h"
#include "../speech/mq_voice.h"
#include "../util/mq_hash.h"
#include "mq_export.h"

/* At most this many files in one entry (audio, srt, lrc, cue, timeline). */
#define MQ_OUTCACHE_MAX_FILES 8

typedef struct mq_outcache_inputs {
    const mq_program *program;
    const mq_voiceset *voices;
    const char *lexicon_dir;  /* the reader's lexicon folder; NULL = none */
    const char *engine;       /* the engine's identity (version, build); NULL = "" */
    const char *options;      /* every option that shapes the files, as one string */
} mq_outcache_inputs;

/*
 * The key of a render of IN as hex. MQ_OK; MQ_EIO when a file the program
 * uses cannot be read (the caller renders without the output cache and the
 * render reports the problem where it belongs).
 */
int mq_outcache_key(const mq_outcache_inputs *in, char hex[MQ_HASH_HEX], mq_error *err);

/*
 * Looks KEY up in C and, on a hit, writes its N files to PATHS (N must be the
 * count it was stored with; another count is a miss) and fills REPORT (curve
 * NULL). Returns 1 on a hit (every file written), 0 on a miss, MQ_EINPUT when
 * the entry was damaged (removed; nothing written: treat it as a miss),
 * MQ_EIO when a destination could not be written (the message names it as
 * mq_export would; earlier files of those names are intact).
 */
int mq_outcache_get(mq_cache *c, const char *key, const char *const *paths, size_t n,
                    mq_export_report *report, mq_error *err);

/* Stores the N finished files at PATHS and REPORT's figures under KEY; when
 * REPORT->data_summed, its data_sum stands for the first file's samples (a
 * hit checks them like every byte). MQ_OK or MQ_EIO (nothing half-stored is
 * left to be found). */
int mq_outcache_put(mq_cache *c, const char *key, const char *const *paths, size_t n,
                    const mq_export_report *report, mq_error *err);

#endif
