/* test_lexicon.c — the pronunciation lexicon: the real voices/lexicon data and
 * the loader's error handling. Run from the repository root. */
#include "text/mq_lexicon.h"
#include "mq_test.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char buf[256];
static double freq;

static const char *look(const mq_lexicon *lx, const char *w)
{
    if (mq_lexicon_lookup(lx, w, strlen(w), buf, sizeof buf, &freq) <= 0)
        return NULL;
    return buf;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

static void remove_dir(const char *dir)
{
    const char *names[] = { "words.tsv", "places.tsv", "chars.tsv" };
    char path[512];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void test_real_data(void)
{
    mq_lexicon *lx = NULL;
    mq_error err = { 0 };
    int rc = mq_lexicon_open("voices/lexicon", &lx, &err);
    CHECK_INT(rc, MQ_OK, "open voices/lexicon");
    if (rc) {
        printf("  %s\n", err.msg);
        return;
    }
    CHECK(mq_lexicon_count(lx) > 300000, "hundreds of thousands of entries");

    /* The polyphones eSpeak NG gets wrong. */
    CHECK_STR(look(lx, "银行"), "yin2 hang2", "银行");
    CHECK_STR(look(lx, "增长"), "zeng1 zhang3", "增长");
    CHECK_STR(look(lx, "干部"), "gan4 bu4", "干部");
    CHECK_STR(look(lx, "作为"), "zuo4 wei2", "作为");
    CHECK_STR(look(lx, "表率"), "biao3 shuai4", "表率");
    CHECK_STR(look(lx, "处长"), "chu4 zhang3", "处长");
    CHECK(look(lx, "增长") && freq > 1000, "增长 has a corpus frequency");

    /* Neutral tones, 一/不 with their sandhi inside words, ü as v, erhua not merged. */
    CHECK_STR(look(lx, "孩子"), "hai2 zi5", "孩子 neutral");
    CHECK_STR(look(lx, "东西"), "dong1 xi5", "东西 'thing'");
    CHECK_STR(look(lx, "知道"), "zhi1 dao5", "知道 neutral");
    CHECK_STR(look(lx, "时候"), "shi2 hou5", "时候 neutral");
    CHECK_STR(look(lx, "我们"), "wo3 men5", "我们 neutral");
    CHECK_STR(look(lx, "一定"), "yi2 ding4", "一定 with 一 sandhi");
    CHECK_STR(look(lx, "不要"), "bu2 yao4", "不要 with 不 sandhi");
    CHECK_STR(look(lx, "一线"), "yi1 xian4", "一线 keeps yi1 (first line)");
    CHECK_STR(look(lx, "统一"), "tong3 yi1", "word-final 一 is yi1");
    CHECK_STR(look(lx, "效率"), "xiao4 lv4", "效率 v for ü");
    CHECK_STR(look(lx, "一点儿"), "yi4 dian3 er5", "一点儿 erhua as its own syllable");
    CHECK_STR(look(lx, "所以"), "suo3 yi3", "所以 3-3 kept in the data");

    /* Places (hand-written gazetteer) and herder-life words. */
    CHECK_STR(look(lx, "呼伦贝尔"), "hu1 lun2 bei4 er3", "呼伦贝尔");
    CHECK_STR(look(lx, "准格尔旗"), "zhun3 ge2 er3 qi2", "准格尔旗");
    CHECK(freq >= 1000000, "a place name has a high frequency");
    CHECK_STR(look(lx, "乌拉特后旗"), "wu1 la1 te4 hou4 qi2", "乌拉特后旗");
    CHECK_STR(look(lx, "阿拉善右旗"), "a1 la1 shan4 you4 qi2", "阿拉善右旗");
    CHECK_STR(look(lx, "鄂尔多斯"), "e4 er3 duo1 si1", "鄂尔多斯");
    CHECK_STR(look(lx, "嘎查"), "ga1 cha2", "嘎查");
    CHECK_STR(look(lx, "苏木"), "su1 mu4", "苏木");
    CHECK_STR(look(lx, "乌兰牧骑"), "wu1 lan2 mu4 qi2", "乌兰牧骑");
    CHECK_STR(look(lx, "乌拉特"), "wu1 la1 te4", "乌拉特 (words.tsv had wu4; places win)");

    /* Characters: all readings, default first; single-character lookup. */
    char rb[128];
    int n = mq_lexicon_char(lx, 0x957F /* 长 */, rb, sizeof rb);
    CHECK(n >= 2, "长 has several readings");
    CHECK(strncmp(rb, "chang2,", 7) == 0, "长 defaults to chang2");
    CHECK_HAS(rb, "zhang3", "长 can be zhang3");
    CHECK_STR(look(lx, "长"), "chang2", "a single character looks up its default reading");
    CHECK(freq > 1000, "a single character has a frequency");
    CHECK_INT(mq_lexicon_char(lx, 0x4E00 /* 一 */, rb, sizeof rb), 1, "一 has one reading");
    CHECK_STR(rb, "yi1", "一 is yi1");
    CHECK_INT(mq_lexicon_char(lx, 'A', rb, sizeof rb), 0, "a Latin letter has no reading");
    CHECK_INT(mq_lexicon_char(lx, 0x957F, rb, 4), 0, "too small a buffer: 0");
    CHECK_STR(rb, "", "too small a buffer: empty string");

    /* Unknown words. */
    CHECK_INT(mq_lexicon_lookup(lx, "银行乌兰牧骑", strlen("银行乌兰牧骑"), buf, sizeof buf,
                                &freq), 0, "unknown word returns 0");
    CHECK_INT(mq_lexicon_lookup(lx, "银", 1, buf, sizeof buf, &freq), 0,
              "a partial UTF-8 sequence returns 0");
    CHECK_INT(mq_lexicon_lookup(lx, "银行", strlen("银行"), buf, 5, &freq), 0,
              "too small a buffer returns 0");
    CHECK_INT(mq_lexicon_lookup(lx, "银行", strlen("银行"), NULL, 0, &freq), 1,
              "existence check without a buffer");

    /* Limits and totals. */
    CHECK(mq_lexicon_max_word_bytes(lx) >= strlen("莫力达瓦达斡尔族自治旗"), "max key bytes");
    CHECK(mq_lexicon_total_freq(lx) > 5e7, "total frequency is a corpus size");
    CHECK(mq_lexicon_memory(lx) > 1000000, "memory counts the mapped data");

    /* User entries win over everything built in. */
    size_t before = mq_lexicon_count(lx);
    CHECK_INT(mq_lexicon_add(lx, "银行", "yin2 xing2", &err), MQ_OK, "add a user entry");
    CHECK_STR(look(lx, "银行"), "yin2 xing2", "a user entry overrides words.tsv");
    CHECK(freq >= 7000, "a user entry keeps at least the built-in frequency");
    CHECK_INT(mq_lexicon_add(lx, "准格尔旗", "ZHUN3  GE2 ER3 QI2", &err), MQ_OK,
              "add over a place, upper case and extra spaces");
    CHECK_STR(look(lx, "准格尔旗"), "zhun3 ge2 er3 qi2", "user pinyin normalized");
    CHECK_INT(mq_lexicon_add(lx, "绿洲", "lü4 zhou1", &err), MQ_OK, "ü accepted");
    CHECK_STR(look(lx, "绿洲"), "lv4 zhou1", "ü stored as v");
    CHECK_INT(mq_lexicon_add(lx, "重", "chong2", &err), MQ_OK, "a single-character user entry");
    n = mq_lexicon_char(lx, 0x91CD /* 重 */, rb, sizeof rb);
    CHECK(strncmp(rb, "chong2", 6) == 0, "a user reading of a character comes first");
    CHECK_HAS(rb, "zhong4", "the built-in readings follow");
    CHECK(strstr(rb + 6, "chong2") == NULL, "and are not repeated");
    CHECK_INT(mq_lexicon_add(lx, "银行", "yin2 hang2", &err), MQ_OK, "replace a user entry");
    CHECK_STR(look(lx, "银行"), "yin2 hang2", "the later user entry wins");
    CHECK_INT(mq_lexicon_count(lx), before + 4, "replacing does not add an entry");
    CHECK_INT(mq_lexicon_add(lx, "巴特尔山", "ba1 te4 er3", &err), MQ_EINPUT,
              "syllable count must match");
    CHECK_HAS(err.msg, "巴特尔山", "the message names the text");
    CHECK_INT(mq_lexicon_add(lx, "草原", "cao yuan", &err), MQ_EINPUT, "tone digits required");
    CHECK_INT(mq_lexicon_add(lx, "草原", "cao3 yuan6", &err), MQ_EINPUT, "tone 6 rejected");
    CHECK_INT(mq_lexicon_add(lx, "", "a1", &err), MQ_EINPUT, "empty text rejected");
    CHECK_INT(mq_lexicon_add(lx, "\xff\xfe", "a1 a1", &err), MQ_EINPUT, "bad UTF-8 rejected");
    CHECK(mq_lexicon_max_word_bytes(lx) >= strlen("莫力达瓦达斡尔族自治旗"), "max still there");

    mq_lexicon_free(lx);
}

static void test_errors(void)
{
    mq_lexicon *lx = (mq_lexicon *)1;
    mq_error err = { 0 };
    CHECK_INT(mq_lexicon_open("/nonexistent/lexicon", &lx, &err), MQ_EIO, "missing dir: EIO");
    CHECK(lx == NULL, "*out is NULL on failure");
    CHECK_HAS(err.msg, "/nonexistent/lexicon/words.tsv", "EIO names the file");

    char dir[] = "/tmp/mq_test_lexicon_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(2);
    }
    const char *chars = "# comment\n中\tzhong1,zhong4\t100\n国\tguo2\n";
    const char *places = "呼和浩特\thu1 he2 hao4 te4\t1000000\n";
    write_file(dir, "chars.tsv", chars);
    write_file(dir, "places.tsv", places);

    write_file(dir, "words.tsv", "# header\n# more\n中国\tzhong1 guo2\t50\n国家\tguo2 jia1\t40\n");
    int rc = mq_lexicon_open(dir, &lx, &err);
    CHECK_INT(rc, MQ_OK, "a small valid lexicon opens");
    if (rc == MQ_OK) {
        CHECK_STR(look(lx, "中国"), "zhong1 guo2", "small: word");
        CHECK_STR(look(lx, "国"), "guo2", "small: char without FREQ column");
        CHECK(freq == 0.0, "small: char without FREQ has 0");
        CHECK_NEAR(mq_lexicon_total_freq(lx), 50 + 40 + 100, 0.5, "small: total (places not counted)");
        CHECK_INT(mq_lexicon_max_word_bytes(lx), strlen("呼和浩特"), "small: max key");
        mq_lexicon_free(lx);
    }

    struct {
        const char *words, *want, *desc;
    } bad[] = {
        { "# h\n中国\tzhong1 guo2\t50\n国家 guo2 jia1 40\n", "words.tsv:3:", "no TAB" },
        { "中国\tzhong1 guo\t50\n", "words.tsv:1:", "missing tone digit" },
        { "中国\tzhong1 guo2\n", "words.tsv:1:", "missing FREQ" },
        { "中国\tzhong1 guo2\t5x\n", "words.tsv:1:", "bad FREQ" },
        { "中国\tzhong1\t5\n", "words.tsv:1:", "syllable count" },
        { "国家\tguo2 jia1\t40\n中国\tzhong1 guo2\t50\n", "words.tsv:2:", "out of order" },
        { "中国\tzhong1 guo2\t50\n中国\tzhong1 guo2\t50\n", "words.tsv:2:", "duplicate" },
        { "中国\tzhong1 guo2\t50\r\n", "words.tsv:1:", "CRLF" },
        { "中国\tzhong1 guo2\t50\n\n", "words.tsv:2:", "blank line" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(dir, "words.tsv", bad[i].words);
        lx = NULL;
        rc = mq_lexicon_open(dir, &lx, &err);
        char desc[128];
        snprintf(desc, sizeof desc, "malformed (%s): MQ_EINPUT", bad[i].desc);
        CHECK_INT(rc, MQ_EINPUT, desc);
        snprintf(desc, sizeof desc, "malformed (%s): names file:line", bad[i].desc);
        CHECK_HAS(err.msg, bad[i].want, desc);
        mq_lexicon_free(lx);
    }
    write_file(dir, "words.tsv", "中国\tzhong1 guo2\t50\n");
    write_file(dir, "chars.tsv", "中国\tzhong1\n");
    CHECK_INT(mq_lexicon_open(dir, &lx, &err), MQ_EINPUT, "chars.tsv key of two characters");
    CHECK_HAS(err.msg, "chars.tsv:1:", "names chars.tsv:1");
    write_file(dir, "chars.tsv", "# x\n\xe4\xb8\tzhong1\n");
    CHECK_INT(mq_lexicon_open(dir, &lx, &err), MQ_EINPUT, "chars.tsv key not UTF-8");
    CHECK_HAS(err.msg, "chars.tsv:2:", "names chars.tsv:2");
    write_file(dir, "chars.tsv", chars);
    write_file(dir, "places.tsv", "");
    rc = mq_lexicon_open(dir, &lx, &err);
    CHECK_INT(rc, MQ_OK, "an empty places.tsv is fine");
    if (rc == MQ_OK) {
        CHECK_INT(mq_lexicon_lookup(lx, "呼和浩特", strlen("呼和浩特"), buf, sizeof buf, &freq),
                  0, "empty places: not found");
        mq_lexicon_free(lx);
    }
    remove_dir(dir);
}

/* A words.tsv of N lines of equal length (two-character keys in byte
 * order, frequency 7), with line SWAP and SWAP + 1 exchanged (0: none) and
 * line BAD given a tone 6 (0: none), into DIR. */
static void write_big(const char *dir, size_t n, size_t swap, size_t bad)
{
    char path[512];
    snprintf(path, sizeof path, "%s/words.tsv", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        exit(2);
    char line[64], held[64] = "";
    for (size_t i = 1; i <= n; i++) {
        unsigned a = 0x4E00 + (unsigned)((i - 1) / 400), b = 0x4E00 + (unsigned)((i - 1) % 400);
        snprintf(line, sizeof line, "%c%c%c%c%c%c\ta1 a%c\t7\n", 0xE0 | (a >> 12),
                 0x80 | ((a >> 6) & 0x3F), 0x80 | (a & 0x3F), 0xE0 | (b >> 12),
                 0x80 | ((b >> 6) & 0x3F), 0x80 | (b & 0x3F), i == bad ? '6' : '1');
        if (i == swap) {
            memcpy(held, line, sizeof line);
            continue;
        }
        fputs(line, f);
        if (i == swap + 1)
            fputs(held, f);
    }
    fclose(f);
}

/* words.tsv from 1 MB up is checked in two halves on two threads: the same
 * entries, total and errors (with the right line numbers) as in one pass. */
static void test_big(void)
{
    char dir[] = "/tmp/mq_test_lexicon_big_XXXXXX";
    if (!mkdtemp(dir))
        exit(2);
    write_file(dir, "chars.tsv", "中\tzhong1\n");
    write_file(dir, "places.tsv", "");
    const size_t n = 90000;  /* 15-byte lines: 1.35 MB */
    mq_lexicon *lx = NULL;
    mq_error err = { 0 };
    write_big(dir, n, 0, 0);
    int rc = mq_lexicon_open(dir, &lx, &err);
    CHECK_INT(rc, MQ_OK, "big: opens");
    if (rc == MQ_OK) {
        CHECK_INT(mq_lexicon_count(lx), n + 1, "big: every line indexed (and the char)");
        CHECK_NEAR(mq_lexicon_total_freq(lx), 7.0 * n, 0.5, "big: total of both halves");
        /* Line 1 and line N: one in each half. */
        CHECK_INT(mq_lexicon_lookup(lx, "\xe4\xb8\x80\xe4\xb8\x80", 6, buf, sizeof buf, &freq),
                  1, "big: first entry found");
        unsigned a = 0x4E00 + (unsigned)((n - 1) / 400), b = 0x4E00 + (unsigned)((n - 1) % 400);
        char last[7] = { (char)(0xE0 | (a >> 12)), (char)(0x80 | ((a >> 6) & 0x3F)),
                         (char)(0x80 | (a & 0x3F)), (char)(0xE0 | (b >> 12)),
                         (char)(0x80 | ((b >> 6) & 0x3F)), (char)(0x80 | (b & 0x3F)), 0 };
        CHECK_INT(mq_lexicon_lookup(lx, last, 6, buf, sizeof buf, &freq), 1,
                  "big: last entry found");
        mq_lexicon_free(lx);
    }
    struct { size_t swap, bad; const char *want, *what; } cases[] = {
        { 0, 80000, "words.tsv:80000: bad pinyin", "a bad line in the second half" },
        { 0, 100, "words.tsv:100: bad pinyin", "a bad line in the first half" },
        { 70000, 0, "words.tsv:70001: '", "out of order in the second half" },
        /* 15-byte lines: the second half starts after the newline that ends
         * line 45001 (the first at or after byte 675000). */
        { 45001, 0, "words.tsv:45002: '", "out of order where the halves meet" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_big(dir, n, cases[i].swap, cases[i].bad);
        lx = NULL;
        CHECK_INT(mq_lexicon_open(dir, &lx, &err), MQ_EINPUT, cases[i].what);
        CHECK_HAS(err.msg, cases[i].want, cases[i].what);
        mq_lexicon_free(lx);
    }
    remove_dir(dir);
}

/* A lexicon of three small files in DIR: 中国 and 国家, 中 and 国, 呼和浩特. */
static void write_small(const char *lex)
{
    write_file(lex, "chars.tsv", "中\tzhong1,zhong4\t100\n国\tguo2\n");
    write_file(lex, "places.tsv", "呼和浩特\thu1 he2 hao4 te4\t1000000\n");
    write_file(lex, "words.tsv", "中国\tzhong1 guo2\t50\n国家\tguo2 jia1\t40\n");
}

/* The inode of the only lexicon index in DIR, or 0. */
static unsigned long index_inode(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "stat -c %%i %s/lexicon-*.mqx 2>/dev/null", dir);
    FILE *p = popen(cmd, "r");
    unsigned long ino = 0;
    if (p) {
        if (fscanf(p, "%lu", &ino) != 1)
            ino = 0;
        pclose(p);
    }
    return ino;
}

/* mq_lexicon_open_indexed: the index made by a first open serves the next
 * ones while the files stay as they were; a changed file or a damaged index
 * is checked again. The readings are the same either way. */
static void test_index(void)
{
    char dir[] = "/tmp/mq_test_lexicon_idx_XXXXXX";
    if (!mkdtemp(dir))
        exit(2);
    char lex[600], idx[600];
    snprintf(lex, sizeof lex, "%s/lexicon", dir);
    snprintf(idx, sizeof idx, "%s/cache/muqir", dir);
    mkdir(lex, 0755);
    write_small(lex);
    mq_lexicon *lx = NULL;
    mq_error err = { 0 };
    CHECK_INT(mq_lexicon_open_indexed(lex, idx, &lx, &err), MQ_OK, "index: first open");
    unsigned long ino = index_inode(idx);
    CHECK(ino != 0, "index: written by the first open (folders made)");
    mq_lexicon_free(lx);
    lx = NULL;
    CHECK_INT(mq_lexicon_open_indexed(lex, idx, &lx, &err), MQ_OK, "index: second open");
    CHECK(index_inode(idx) == ino, "index: read, not written again");
    if (lx) {
        CHECK_STR(look(lx, "国家"), "guo2 jia1", "index: a word");
        CHECK_STR(look(lx, "中"), "zhong1", "index: a character");
        CHECK_STR(look(lx, "呼和浩特"), "hu1 he2 hao4 te4", "index: a place");
        CHECK_NEAR(mq_lexicon_total_freq(lx), 50 + 40 + 100, 0.5, "index: total kept");
        CHECK_INT(mq_lexicon_max_word_bytes(lx), strlen("呼和浩特"), "index: max key kept");
        mq_lexicon_free(lx);
        lx = NULL;
    }
    /* A changed file: its index is stale (another size and time). */
    write_file(lex, "words.tsv", "中国\tzhong1 guo2\t50\n国家\tguo2 jia1\t40\n家\tjia1\t3\n");
    CHECK_INT(mq_lexicon_open_indexed(lex, idx, &lx, &err), MQ_OK, "index: after an edit");
    if (lx) {
        CHECK_STR(look(lx, "家"), "jia1", "index: the edit is read");
        mq_lexicon_free(lx);
        lx = NULL;
    }
    CHECK(index_inode(idx) != ino, "index: rebuilt after the edit");
    /* A damaged index: found by its checksum, rebuilt, never used. */
    char cmd[700];
    /* (The head is 152 bytes; the offsets follow it.) */
    snprintf(cmd, sizeof cmd, "printf 'XX' | dd of=$(ls %s/lexicon-*.mqx) bs=1 seek=156 "
             "conv=notrunc status=none", idx);
    CHECK(system(cmd) == 0, "index: damaged on purpose");
    ino = index_inode(idx);
    CHECK_INT(mq_lexicon_open_indexed(lex, idx, &lx, &err), MQ_OK, "index: damaged one");
    if (lx) {
        CHECK_STR(look(lx, "国家"), "guo2 jia1", "index: damaged, readings right");
        mq_lexicon_free(lx);
        lx = NULL;
    }
    CHECK(index_inode(idx) != ino, "index: a damaged one is rebuilt");
    /* A bad line is still refused, and no index is written for it. */
    write_file(lex, "words.tsv", "国家\tguo2 jia1\t40\n中国\tzhong1 guo2\t50\n");
    CHECK_INT(mq_lexicon_open_indexed(lex, idx, &lx, &err), MQ_EINPUT, "index: bad file refused");
    CHECK_HAS(err.msg, "words.tsv:2:", "index: the bad line named");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "index: cleaned up");
}

/* mq_lexicon_write_index: the index shipped beside the files serves an open
 * with no index folder of its own, in a copy of the folder too (it goes by
 * the contents); an edited file or a damaged index is checked again. */
static void test_shipped_index(void)
{
    char dir[] = "/tmp/mq_test_lexicon_ship_XXXXXX";
    if (!mkdtemp(dir))
        exit(2);
    char lex[600], copy[600], cmd[1400];
    snprintf(lex, sizeof lex, "%s/lexicon", dir);
    snprintf(copy, sizeof copy, "%s/copy", dir);
    mkdir(lex, 0755);
    write_small(lex);
    mq_error err = { 0 };
    mq_lexicon *lx = NULL;
    CHECK_INT(mq_lexicon_open(lex, &lx, &err), MQ_OK, "shipped: open before any index");
    CHECK_INT(mq_lexicon_checked(lx), 1, "shipped: without one, the lines are checked");
    mq_lexicon_free(lx);
    lx = NULL;
    CHECK_INT(mq_lexicon_write_index(lex, &err), MQ_OK, "shipped: index written");
    CHECK_INT(mq_lexicon_open(lex, &lx, &err), MQ_OK, "shipped: open with it");
    CHECK_INT(mq_lexicon_checked(lx), 0, "shipped: it serves, nothing checked");
    if (lx) {
        CHECK_STR(look(lx, "国家"), "guo2 jia1", "shipped: a word");
        CHECK_STR(look(lx, "中"), "zhong1", "shipped: a character");
        CHECK_STR(look(lx, "呼和浩特"), "hu1 he2 hao4 te4", "shipped: a place");
        CHECK_NEAR(mq_lexicon_total_freq(lx), 50 + 40 + 100, 0.5, "shipped: total kept");
        mq_lexicon_free(lx);
        lx = NULL;
    }
    /* Copied (as `make install` does): other inodes and times, same contents. */
    snprintf(cmd, sizeof cmd, "cp -R %s %s", lex, copy);
    CHECK(system(cmd) == 0, "shipped: folder copied");
    CHECK_INT(mq_lexicon_open(copy, &lx, &err), MQ_OK, "shipped: open the copy");
    CHECK_INT(mq_lexicon_checked(lx), 0, "shipped: the index serves the copy too");
    mq_lexicon_free(lx);
    lx = NULL;
    /* Edited, same size: stale by its contents, so checked, and the bad line found. */
    write_file(copy, "words.tsv", "国家\tguo2 jia1\t50\n中国\tzhong1 guo2\t40\n");
    CHECK_INT(mq_lexicon_open(copy, &lx, &err), MQ_EINPUT, "shipped: an edited file is checked");
    CHECK_HAS(err.msg, "words.tsv:2:", "shipped: and its bad line named");
    /* Damaged: found by its checksum, never used. */
    snprintf(cmd, sizeof cmd, "printf 'XX' | dd of=%s/.index.mqx bs=1 seek=156 "
             "conv=notrunc status=none", lex);
    CHECK(system(cmd) == 0, "shipped: damaged on purpose");
    CHECK_INT(mq_lexicon_open(lex, &lx, &err), MQ_OK, "shipped: open with a damaged index");
    CHECK_INT(mq_lexicon_checked(lx), 1, "shipped: a damaged index is not used");
    if (lx)
        CHECK_STR(look(lx, "国家"), "guo2 jia1", "shipped: damaged, readings right");
    mq_lexicon_free(lx);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "shipped: cleaned up");
}

int main(void)
{
    test_real_data();
    test_errors();
    test_big();
    test_index();
    test_shipped_index();
    MQ_TEST_END();
}
