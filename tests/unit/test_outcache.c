/* test_outcache.c — the output cache: a hit gives the stored files byte for
 * byte (restamped as a render now would stamp them, into a copy of their own;
 * by hard link when the stamps are the stored ones), the key changes with a
 * content file, an option, a voice or the lexicon, damage anywhere (also
 * through an output sharing the entry's file) is caught and never delivered,
 * a write failure is named, trimming takes an entry whole and oldest first. */
#include "mq_test.h"
#include "output/mq_outcache.h"
#include "output/mq_outfile.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

static char dir[] = "/tmp/muqir-test-outcache.XXXXXX";

/* NAME in the test folder; each call has its own buffer (at most 128 calls). */
static char *at(const char *name)
{
    static char buf[128][512];
    static int k;
    if (k == 128)
        abort();
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k++];
}

static void put_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

/* A 48 kHz stereo WAV with a bext chunk, as render writes it, FRAMES long. */
static int write_wav(const char *path, mq_sample_format fmt, size_t frames, float level)
{
    mq_outfile *f;
    mq_error err = { 0 };
    mq_outfile_meta meta = MQ_OUTFILE_META_INIT;
    meta.title = "测试";
    meta.loudness = -23;
    if (mq_outfile_open_meta(path, 48000, 2, fmt, &meta, &f, &err) != MQ_OK)
        return -1;
    float buf[2 * 1000];
    for (size_t done = 0; done < frames;) {
        size_t n = frames - done < 1000 ? frames - done : 1000;
        for (size_t i = 0; i < 2 * n; i++)
            buf[i] = level * (float)((done * 2 + i) % 97) / 97.0f;
        if (mq_outfile_write(f, buf, n, &err) != MQ_OK) {
            mq_outfile_abort(f);
            return -1;
        }
        done += n;
    }
    return mq_outfile_commit(f, &err);
}

static int same_files(const char *a, const char *b)
{
    FILE *x = fopen(a, "rb"), *y = fopen(b, "rb");
    int same = x && y;
    while (same) {
        int c = fgetc(x), d = fgetc(y);
        same = c == d;
        if (c == EOF || d == EOF)
            break;
    }
    if (x)
        fclose(x);
    if (y)
        fclose(y);
    return same;
}

static void poke(const char *path, long where)
{
    FILE *f = fopen(path, "r+b");
    fseek(f, where, SEEK_SET);
    int c = fgetc(f);
    fseek(f, where, SEEK_SET);
    fputc(c ^ 0x10, f);
    fclose(f);
}

static void copy_file(const char *from, const char *to)
{
    FILE *x = fopen(from, "rb"), *y = fopen(to, "wb");
    char buf[65536];
    for (size_t n; x && y && (n = fread(buf, 1, sizeof buf, x)) > 0;)
        fwrite(buf, 1, n, y);
    if (x)
        fclose(x);
    if (y)
        fclose(y);
}

/* PATH's inode (ino_of) and link count (links_of); 0 when it cannot be read. */
static ino_t ino_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_ino : 0;
}

static nlink_t links_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_nlink : 0;
}

/* Temporary files (".NAME.XXXXXX") left in the test folder. */
static int temps_left(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d)
        closedir(d);
    return n;
}

/* The first line of PATH ("" when it cannot be read). */
static void first_line(const char *path, char *line, int size)
{
    FILE *f = fopen(path, "rb");
    line[0] = '\0';
    if (f) {
        if (!fgets(line, size, f))
            line[0] = '\0';
        fclose(f);
    }
}

static char *entry(const char *key, const char *what)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/cache/%.2s/%s.%s", dir, key, key, what);
    return buf;
}

static mq_program *load(const char *yaml, const mq_voiceset *vs)
{
    mq_diags *d = mq_diags_create();
    mq_error err = { 0 };
    mq_program *p = NULL;
    mq_program_opts o = { .voices = mq_voiceset_names(vs), .n_voices = mq_voiceset_count(vs) };
    mq_program_load_buffer(yaml, strlen(yaml), "t.yaml", dir, &o, &p, d, &err);
    mq_diags_free(d);
    return p;
}

/* HEX: 1200 bytes (a key, or why there is none). */
static void key_of(const char *yaml, const mq_voiceset *vs, const char *opts, char *hex)
{
    static char lexicon[512];
    snprintf(lexicon, sizeof lexicon, "%s/lexicon", dir);
    mq_program *p = load(yaml, vs);
    mq_error err = { 0 };
    mq_outcache_inputs in = { .program = p, .voices = vs, .lexicon_dir = lexicon,
                              .engine = "test-engine", .options = opts };
    if (!p || mq_outcache_key(&in, hex, &err) != MQ_OK)
        snprintf(hex, 1200, "(no key: %s)", err.msg);
    mq_program_free(p);
}

static void test_key(void)
{
    mq_voiceset *vs;
    mq_error err = { 0 };
    CHECK_INT(mq_voiceset_open("voices", &vs, NULL, &err), MQ_OK, "the shipped presets load");
    mkdir(at("lexicon"), 0755);
    put_text(at("lexicon/words.tsv"), "乌兰\twu1 lan2\n");
    put_text(at("text.txt"), "第一段。\n");
    CHECK(write_wav(at("bed.wav"), MQ_PCM_16, 4800, 0.1f) == MQ_OK, "a bed file");
    const char *prog = "title: t\nitems:\n  - read: text.txt\n    bed: bed.wav\n"
                       "  - announce: 你好\n    voice: narrator\n";
    char k1[1200], k2[1200];
    key_of(prog, vs, "ext=wav", k1);
    key_of(prog, vs, "ext=wav", k2);
    CHECK_INT((int)strlen(k1), 64, "a key is made");
    CHECK_STR(k2, k1, "the same inputs give the same key");

    key_of(prog, vs, "ext=flac", k2);
    CHECK(strcmp(k1, k2) != 0, "another option: another key");

    CHECK(write_wav(at("bed.wav"), MQ_PCM_16, 4800, 0.2f) == MQ_OK, "the bed rewritten");
    key_of(prog, vs, "ext=wav", k2);
    CHECK(strcmp(k1, k2) != 0, "a changed music file: another key");
    CHECK(write_wav(at("bed.wav"), MQ_PCM_16, 4800, 0.1f) == MQ_OK, "the bed as it was");
    key_of(prog, vs, "ext=wav", k2);
    CHECK_STR(k2, k1, "the bed as it was: the key as it was");

    put_text(at("text.txt"), "第一段！\n");
    key_of(prog, vs, "ext=wav", k2);
    CHECK(strcmp(k1, k2) != 0, "one character of a read text: another key");
    put_text(at("text.txt"), "第一段。\n");

    put_text(at("lexicon/words.tsv"), "乌兰\twu1 lan4\n");
    key_of(prog, vs, "ext=wav", k2);
    CHECK(strcmp(k1, k2) != 0, "a changed lexicon file: another key");
    put_text(at("lexicon/words.tsv"), "乌兰\twu1 lan2\n");

    key_of("title: t\nitems:\n  - read: text.txt\n    bed: bed.wav\n"
           "  - announce: 你好\n    voice: elder-slow\n", vs, "ext=wav", k2);
    CHECK(strcmp(k1, k2) != 0, "another voice: another key");
    key_of("title: t\nitems:\n  - read: text.txt\n    bed: bed.wav\n    duck: -12 dB\n"
           "  - announce: 你好\n    voice: narrator\n", vs, "ext=wav", k2);
    CHECK(strcmp(k1, k2) != 0, "another duck level: another key");
    key_of("title: t\noutput: { loudness: -24 }\nitems:\n  - read: text.txt\n    bed: bed.wav\n"
           "  - announce: 你好\n    voice: narrator\n", vs, "ext=wav", k2);
    CHECK(strcmp(k1, k2) != 0, "another loudness target: another key");

    /* A file gone after the program was loaded. */
    mq_program *p = load(prog, vs);
    CHECK(p != NULL, "loaded");
    unlink(at("bed.wav"));
    mq_outcache_inputs in = { .program = p, .voices = vs, .lexicon_dir = at("lexicon"),
                              .engine = "test-engine", .options = "ext=wav" };
    CHECK_INT(mq_outcache_key(&in, k2, &err), MQ_EIO, "a missing file: no key");
    CHECK_HAS(err.msg, "bed.wav", "the file is named");
    mq_program_free(p);
    mq_voiceset_free(vs);
}

/* The samples' checksum taken while writing (mq_outfile_data_sum) is that of
 * the file's data chunk, read back independently; storing with it reads only
 * the header, and a hit still checks every byte against it: a wrong one is
 * caught as damage, a length that does not match the chunk is not used. */
static void test_data_sum(mq_cache *c)
{
    mq_outfile *f;
    mq_error err = { 0 };
    mq_outfile_meta meta = MQ_OUTFILE_META_INIT;
    meta.title = "数据";
    CHECK_INT(mq_outfile_open_meta(at("d.wav"), 48000, 2, MQ_PCM_16, &meta, &f, &err), MQ_OK,
              "data sum: a 16-bit WAV");
    float buf[2 * 999];
    for (int round = 0; round < 7; round++) {
        for (size_t i = 0; i < 2 * 999; i++)
            buf[i] = 0.4f * (float)((i * 7 + (size_t)round) % 101) / 101.0f - 0.2f;
        mq_outfile_write(f, buf, 999 - (size_t)round * 10, &err);
    }
    mq_export_report rep = { .loudness = -23, .frames = mq_outfile_frames(f) };
    rep.data_summed = mq_outfile_data_sum(f, &rep.data_sum, &rep.data_bytes);
    CHECK_INT(mq_outfile_commit(f, &err), MQ_OK, "data sum: written");
    CHECK(rep.data_summed, "data sum: known for 16-bit WAV");
    /* The data chunk, found by hand. */
    FILE *fp = fopen(at("d.wav"), "rb");
    static unsigned char file[1 << 16];
    size_t len = fp ? fread(file, 1, sizeof file, fp) : 0;
    if (fp)
        fclose(fp);
    size_t off = 12, data = 0, dlen = 0;
    while (off + 8 <= len) {
        size_t n = file[off + 4] | file[off + 5] << 8 | (size_t)file[off + 6] << 16 |
                   (size_t)file[off + 7] << 24;
        if (!memcmp(file + off, "data", 4)) {
            data = off + 8;
            dlen = n;
            break;
        }
        off += 8 + n + (n & 1);
    }
    CHECK(data && data + dlen <= len && dlen == rep.data_bytes,
          "data sum: the byte count is the data chunk's");
    CHECK(data && XXH3_64bits(file + data, dlen) == rep.data_sum,
          "data sum: the checksum is the data chunk's, read back");

    const char *src[] = { at("d.wav") }, *dst[] = { at("e.wav") };
    const char *key = "2123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    mq_export_report got;
    CHECK_INT(mq_outcache_put(c, key, src, 1, &rep, &err), MQ_OK, "data sum: stored with it");
    CHECK_INT(mq_outcache_get(c, key, dst, 1, &got, &err), 1, "data sum: a hit checks out");
    CHECK(same_files(at("d.wav"), at("e.wav")), "data sum: the same bytes");
    mq_export_report wrong = rep;
    wrong.data_sum ^= 1;
    CHECK_INT(mq_outcache_put(c, key, src, 1, &wrong, &err), MQ_OK, "data sum: a wrong one stored");
    CHECK_INT(mq_outcache_get(c, key, dst, 1, &got, &err), MQ_EINPUT,
              "data sum: the hit finds the entry damaged");
    wrong = rep;
    wrong.data_sum ^= 1;
    wrong.data_bytes += 2;
    CHECK_INT(mq_outcache_put(c, key, src, 1, &wrong, &err), MQ_OK,
              "data sum: a count that is not the chunk's");
    CHECK_INT(mq_outcache_get(c, key, dst, 1, &got, &err), 1,
              "data sum: is not used (the file was read)");
}

int main(void)
{
    CHECK(mkdtemp(dir) != NULL, "temporary folder");
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    test_key();

    mq_cache *c;
    mq_error err = { 0 };
    CHECK_INT(mq_cache_open(at("cache"), 0, &c, &err), MQ_OK, "cache opened");
    CHECK(write_wav(at("a.wav"), MQ_PCM_16, 300000, 0.5f) == MQ_OK, "a render's audio");
    put_text(at("a.srt"), "1\n00:00:00,000 --> 00:00:01,000\n你好\n");
    const char *key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const char *src[] = { at("a.wav"), at("a.srt") };
    mq_export_report rep = { .mix_loudness = -30, .gain_db = 7, .loudness = -23,
                             .true_peak = -1.5, .loudness_range = 4, .frames = 300000 };
    CHECK_INT(mq_outcache_put(c, key, src, 2, &rep, &err), MQ_OK, "an entry stored");
    test_data_sum(c);
    struct stat st;
    CHECK(stat(entry(key, "mqo"), &st) == 0 && stat(entry(key, "1.mqd"), &st) == 0,
          "index and files in the cache folder");

    /* A hit: the same bytes, the figures back. */
    copy_file(at("a.wav"), at("ref.wav"));
    CHECK(ino_of(entry(key, "0.mqd")) == ino_of(at("a.wav")) && links_of(at("a.wav")) == 2,
          "(the entry is a hard link to the render's output)");
    /* Entry and output were written long ago. */
    struct timespec long_ago[2] = { { .tv_sec = time(NULL) - 5000 },
                                    { .tv_sec = time(NULL) - 5000 } };
    utimensat(AT_FDCWD, at("a.wav"), long_ago, 0);
    const char *dst[] = { at("b.wav"), at("b.srt") };
    mq_export_report got;
    time_t before = time(NULL);
    CHECK_INT(mq_outcache_get(c, key, dst, 2, &got, &err), 1, "a hit");
    CHECK(same_files(at("a.wav"), at("b.wav")), "the audio byte for byte");
    CHECK(same_files(at("a.srt"), at("b.srt")), "the captions byte for byte");
    /* The date stamped is the stored one (SOURCE_DATE_EPOCH is fixed): the
     * entry is delivered by hard link, not copied. */
    CHECK(ino_of(at("b.wav")) == ino_of(entry(key, "0.mqd")), "the audio is the entry's file");
    CHECK_INT(links_of(at("b.wav")), 3, "one more link to it (output, entry, this)");
    CHECK(ino_of(at("b.srt")) == ino_of(entry(key, "1.mqd")), "so are the captions");
    CHECK(stat(at("b.wav"), &st) == 0 && st.st_mtime >= before,
          "a linked file is dated now, as a render would date it");
    CHECK_INT(temps_left(), 0, "no temporary file is left");
    /* Delivered again where it already is: nothing to replace. */
    CHECK_INT(mq_outcache_get(c, key, dst, 2, &got, &err), 1, "a hit onto itself");
    CHECK(ino_of(at("b.wav")) == ino_of(entry(key, "0.mqd")) && links_of(at("b.wav")) == 3,
          "the destination that already is the entry stays as it is");
    CHECK(same_files(at("ref.wav"), at("b.wav")), "(its bytes unchanged)");
    const char *self[] = { at("a.wav"), at("a.srt") };
    CHECK_INT(mq_outcache_get(c, key, self, 2, &got, &err), 1, "a hit onto the render's output");
    CHECK(ino_of(at("a.wav")) == ino_of(entry(key, "0.mqd")) && links_of(at("a.wav")) == 3 &&
          same_files(at("ref.wav"), at("a.wav")), "it stays the same file");
    CHECK_INT(temps_left(), 0, "no temporary file is left");
    /* A destination on another file system (tmpfs) cannot be linked: copied. */
    char shm[] = "/dev/shm/muqir-test-outcache.XXXXXX";
    struct stat cst;
    if (mkdtemp(shm) && stat(shm, &st) == 0 && stat(dir, &cst) == 0 && st.st_dev != cst.st_dev) {
        char sw[64], ss[64];
        snprintf(sw, sizeof sw, "%s/x.wav", shm);
        snprintf(ss, sizeof ss, "%s/x.srt", shm);
        const char *far[] = { sw, ss };
        CHECK_INT(mq_outcache_get(c, key, far, 2, &got, &err), 1, "a hit on another file system");
        CHECK(same_files(at("ref.wav"), sw) && same_files(at("a.srt"), ss) && links_of(sw) == 1,
              "a copy, byte for byte");
        unlink(sw);
        unlink(ss);
        rmdir(shm);
    }
    CHECK(got.frames == 300000 && got.loudness == -23 && got.true_peak == -1.5 &&
          got.gain_db == 7 && got.curve == NULL, "the export's figures");
    CHECK_INT(mq_outcache_get(c, "ff", dst, 2, &got, &err), 0, "an unknown key is a miss");
    CHECK_INT(mq_outcache_get(c, key, dst, 1, &got, &err), 0, "another file count is a miss");

    /* Restamped as a render now would be: another SOURCE_DATE_EPOCH gives the
     * file written under it (bext date and time). */
    setenv("SOURCE_DATE_EPOCH", "1800000000", 1);
    CHECK(write_wav(at("later.wav"), MQ_PCM_16, 300000, 0.5f) == MQ_OK, "written later");
    CHECK_INT(mq_outcache_get(c, key, dst, 2, &got, &err), 1, "a hit, later");
    CHECK(!same_files(at("a.wav"), at("b.wav")), "its date is not the stored one");
    CHECK(same_files(at("later.wav"), at("b.wav")), "it is the file a render now writes");
    /* b.wav was the entry's file: restamping it in place would have changed
     * the entry and a.wav. It is a new file instead. */
    CHECK(ino_of(at("b.wav")) != ino_of(entry(key, "0.mqd")) && links_of(at("b.wav")) == 1,
          "a restamped file is a file of its own");
    CHECK(same_files(at("ref.wav"), entry(key, "0.mqd")) && same_files(at("ref.wav"), at("a.wav")),
          "the entry and the output linked to it keep their bytes");
    CHECK_INT(links_of(at("a.wav")), 2, "(the entry and a.wav)");
    /* A float WAV without SOURCE_DATE_EPOCH carries a PEAK chunk timestamped
     * when written: a hit is stamped now too. */
    unsetenv("SOURCE_DATE_EPOCH");
    CHECK(write_wav(at("f.wav"), MQ_FLOAT_32, 1000, 0.5f) == MQ_OK, "a float WAV, dated now");
    const char *fsrc[] = { at("f.wav") }, *fdst[] = { at("g.wav") };
    const char *fkey = "1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    CHECK_INT(mq_outcache_put(c, fkey, fsrc, 1, &rep, &err), MQ_OK, "stored");
    CHECK_INT(mq_outcache_get(c, fkey, fdst, 1, &got, &err), 1, "a hit");
    CHECK(write_wav(at("h.wav"), MQ_FLOAT_32, 1000, 0.5f) == MQ_OK, "written now");
    /* Both were stamped in the same second, nearly always: allow one retry. */
    int same = same_files(at("g.wav"), at("h.wav"));
    if (!same && mq_outcache_get(c, fkey, fdst, 1, &got, &err) == 1 &&
        write_wav(at("h.wav"), MQ_FLOAT_32, 1000, 0.5f) == MQ_OK)
        same = same_files(at("g.wav"), at("h.wav"));
    CHECK(same, "a float WAV reused now is the one written now (bext and PEAK time)");
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);

    /* A write that fails is named; an earlier file of that name is intact. */
    const char *bad[] = { at("no/such/dir/x.wav"), at("b.srt") };
    CHECK_INT(mq_outcache_get(c, key, bad, 2, &got, &err), MQ_EIO, "an unwritable destination");
    CHECK_HAS(err.msg, "no/such/dir/x.wav", "it is named");
    CHECK(stat(entry(key, "mqo"), &st) == 0, "the entry stays (it is not damaged)");

    /* Damage in the audio, the captions, the index, or a file cut short: caught,
     * removed, nothing delivered. */
    const char *damage[] = { "0.mqd", "1.mqd", "mqo", "cut" };
    for (int k = 0; k < 4; k++) {
        CHECK_INT(mq_outcache_put(c, key, src, 2, &rep, &err), MQ_OK, "stored again");
        if (k == 3)
            CHECK_INT(truncate(entry(key, "0.mqd"), 100000), 0, "an entry cut short");
        else
            poke(entry(key, damage[k]), k == 1 ? 5 : k == 2 ? 40 : 150000);
        put_text(at("c.wav"), "earlier take");
        put_text(at("c.srt"), "earlier captions");
        const char *cdst[] = { at("c.wav"), at("c.srt") };
        char desc[128];
        snprintf(desc, sizeof desc, "damage (%s) is caught", damage[k]);
        CHECK_INT(mq_outcache_get(c, key, cdst, 2, &got, &err), MQ_EINPUT, desc);
        CHECK_HAS(err.msg, "removed", "and the entry removed");
        char line[64];
        first_line(at("c.wav"), line, sizeof line);
        CHECK_STR(line, "earlier take", "the earlier audio file is intact");
        CHECK(stat(entry(key, "mqo"), &st) != 0 && stat(entry(key, "0.mqd"), &st) != 0,
              "index and files are gone");
        CHECK_INT(mq_outcache_get(c, key, cdst, 2, &got, &err), 0, "then it is a miss");
    }
    CHECK(access(at("b.wav"), F_OK) == 0, "(earlier hits untouched)");
    CHECK_INT(temps_left(), 0, "no temporary file is left by a damaged entry");

    /* An output delivered by link shares its bytes with the entry: another
     * tool changing it in place damages the entry, which is caught then. */
    CHECK(write_wav(at("a.wav"), MQ_PCM_16, 300000, 0.5f) == MQ_OK, "rendered again");
    CHECK_INT(mq_outcache_put(c, key, src, 2, &rep, &err), MQ_OK, "stored again");
    CHECK_INT(mq_outcache_get(c, key, dst, 2, &got, &err), 1, "delivered by link");
    CHECK(ino_of(at("b.wav")) == ino_of(entry(key, "0.mqd")), "(b.wav is the entry's file)");
    poke(at("b.wav"), 200000);
    put_text(at("c.wav"), "earlier take");
    const char *cdst[] = { at("c.wav"), at("c.srt") };
    CHECK_INT(mq_outcache_get(c, key, cdst, 2, &got, &err), MQ_EINPUT,
              "an output changed in place: the entry is caught as damaged");
    CHECK(stat(entry(key, "mqo"), &st) != 0 && stat(entry(key, "0.mqd"), &st) != 0,
          "and removed");
    char line[64];
    first_line(at("c.wav"), line, sizeof line);
    CHECK_STR(line, "earlier take", "nothing delivered");
    first_line(at("c.srt"), line, sizeof line);
    CHECK_STR(line, "earlier captions", "(nor the captions)");
    CHECK_INT(temps_left(), 0, "no temporary file is left");
    /* The same damage when the destination already is the damaged file. */
    CHECK(write_wav(at("a.wav"), MQ_PCM_16, 300000, 0.5f) == MQ_OK, "rendered again");
    CHECK_INT(mq_outcache_put(c, key, src, 2, &rep, &err), MQ_OK, "stored again");
    poke(at("a.wav"), 200000);
    CHECK_INT(mq_outcache_get(c, key, src, 2, &got, &err), MQ_EINPUT,
              "damage is caught when the destination is the entry's file too");
    CHECK(stat(entry(key, "mqo"), &st) != 0, "and the entry removed");
    mq_cache_free(c);

    /* Trimming: entries go whole, the least recently used first. */
    CHECK_INT(mq_cache_open(at("cache"), 2000000, &c, &err), MQ_OK, "a small cache");
    /* (The damage above reached a.wav itself: the entry was a link to it.) */
    CHECK(write_wav(at("a.wav"), MQ_PCM_16, 300000, 0.5f) == MQ_OK, "the audio again");
    const char *k2 = "2123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const char *k3 = "3123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    CHECK_INT(mq_outcache_put(c, k2, src, 2, &rep, &err), MQ_OK, "entry 2");
    CHECK_INT(mq_outcache_put(c, k3, src, 2, &rep, &err), MQ_OK, "entry 3");
    struct timespec old[2] = { { .tv_sec = time(NULL) - 1000 }, { .tv_sec = time(NULL) - 1000 } };
    utimensat(AT_FDCWD, entry(k3, "mqo"), old, 0);
    /* Used now: entry 3 becomes the newest although its files are older. */
    CHECK_INT(mq_outcache_get(c, k3, dst, 2, &got, &err), 1, "entry 3 used");
    utimensat(AT_FDCWD, entry(k2, "mqo"), old, 0);
    CHECK_INT(mq_cache_trim(c, &err), MQ_OK, "trimmed");
    CHECK(stat(entry(k2, "mqo"), &st) != 0 && stat(entry(k2, "0.mqd"), &st) != 0 &&
          stat(entry(k2, "1.mqd"), &st) != 0, "the least recently used entry went whole");
    CHECK(stat(entry(k3, "mqo"), &st) == 0 && stat(entry(k3, "0.mqd"), &st) == 0,
          "the one used last stays");
    mq_cache_free(c);

    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_INT(system(cmd), 0, "cleaned up");
    MQ_TEST_END();
}
