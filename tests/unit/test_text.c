/* test_text.c — the text stage: cleaning pasted text, numbers by context,
 * segmentation, sandhi of 一 and 不, inline fixes, phrases and sentences. */
#include "mq_test.h"
#include "text/mq_text.h"
#include "text/mq_text_int.h"

#include <stdio.h>
#include <stdlib.h>

static mq_reader *rd;

/* The reading of TEXT after cleaning, as `muqir pinyin` prints it. */
static char *reading(const char *text)
{
    static char buf[4096];
    mq_error err = { 0 };
    char *clean = mq_text_clean(text, strlen(text), &err);
    mq_reading *r = NULL;
    if (!clean || mq_reader_read(rd, clean, strlen(clean), &r, &err) != MQ_OK) {
        snprintf(buf, sizeof buf, "ERROR %s", err.msg);
    } else {
        char *s = mq_reading_format(r);
        snprintf(buf, sizeof buf, "%s", s);
        free(s);
    }
    mq_reading_free(r);
    free(clean);
    return buf;
}

static void test_clean(void)
{
    mq_error err = { 0 };
    const char *in = "新时代画卷气吞山河,新征程篇章气 势恢宏。连日来\n专栏报道\n\n带头实干\n从“准点下班”";
    char *out = mq_text_clean(in, strlen(in), &err);
    CHECK_STR(out, "新时代画卷气吞山河,新征程篇章气势恢宏。连日来专栏报道\n带头实干\n从“准点下班”",
              "column-break spaces go, lines join, blank lines and headings end paragraphs");
    free(out);
    const char *fw = "ＣＣＴＶ　播出１２３４５，20 000人";
    out = mq_text_clean(fw, strlen(fw), &err);
    CHECK_STR(out, "CCTV播出12345，20 000人", "full-width letters and digits become ASCII");
    free(out);
    const char *en = "The quick brown fox jumps over\nthe lazy dog";
    out = mq_text_clean(en, strlen(en), &err);
    CHECK_STR(out, "The quick brown fox jumps over the lazy dog",
              "Latin words across a line break keep a space");
    free(out);
    out = mq_text_clean("好\xE4\xBD", 5, &err);
    CHECK(out == NULL, "invalid UTF-8 is refused");
    CHECK_INT(err.code, MQ_EINPUT, "invalid UTF-8 is bad input");
    CHECK_HAS(err.msg, "1:2: invalid UTF-8", "the message gives line:column");
    out = mq_text_clean("\xEF\xBB\xBF你好", 9, &err);
    CHECK_STR(out, "你好", "a BOM is dropped");
    free(out);
}

/* The place in the input of byte P of the clean text, as "LINE:COLUMN". */
static const char *place(const mq_text_pos *at, size_t p)
{
    static char buf[32];
    snprintf(buf, sizeof buf, "%d:%d", at[p].line, at[p].column);
    return buf;
}

static void test_clean_map(void)
{
    mq_error err = { 0 };
    mq_text_pos *at = NULL;
    /* BOM, CRLF, blank lines, a full-width space, an indented line, a joined line. */
    const char *in = "\xEF\xBB\xBF甲乙。\r\n\r\n丙　丁，\r\n戊己。\r\n\r\n  庚{x";
    char *out = mq_text_clean_mapped(in, strlen(in), &at, &err);
    CHECK_STR(out, "甲乙。\n丙丁，戊己。\n庚{x", "the mapped clean text is the plain one's");
    if (!out || !at) {
        free(out);
        free(at);
        return;
    }
    CHECK_STR(place(at, 0), "1:1", "the first character after the BOM is 1:1");
    CHECK_STR(place(at, 1), "1:1", "every byte of a character has its place");
    CHECK_STR(place(at, 3), "1:2", "the second character");
    const char *p = strstr(out, "丙");
    CHECK_STR(place(at, (size_t)(p - out)), "3:1", "after a CRLF and a blank line: line 3");
    CHECK_STR(place(at, (size_t)(p - out) - 1), "3:1",
              "the paragraph break stands where the next line starts");
    p = strstr(out, "丁");
    CHECK_STR(place(at, (size_t)(p - out)), "3:3", "the dropped full-width space still counts");
    p = strstr(out, "戊");
    CHECK_STR(place(at, (size_t)(p - out)), "4:1", "a joined line keeps its own line");
    p = strstr(out, "{");
    CHECK_STR(place(at, (size_t)(p - out)), "6:4", "the indent counts, and the blank line before it");
    CHECK_STR(place(at, strlen(out)), "6:6", "the end is where the input ends");
    mq_reading *r = NULL;
    CHECK_INT(mq_reader_read_mapped(rd, out, strlen(out), at, &r, &err), MQ_EINPUT,
              "an unclosed fix is refused");
    CHECK_HAS(err.msg, "6:4: inline reading", "the reader names the place in the input");
    CHECK_INT(mq_reader_read(rd, out, strlen(out), &r, &err), MQ_EINPUT, "also unmapped");
    CHECK_HAS(err.msg, "3:2: inline reading", "unmapped, it names the place in the clean text");
    CHECK_INT(mq_reader_read_text(rd, in, strlen(in), &r, &err), MQ_EINPUT,
              "cleaning and reading in one call: refused too");
    CHECK_HAS(err.msg, "6:4: inline reading", "and named at its place in the input");
    const char *good = "\xEF\xBB\xBF甲乙。\r\n";
    CHECK_INT(mq_reader_read_text(rd, good, strlen(good), &r, &err), MQ_OK,
              "a good text is read in one call");
    mq_reading_free(r);
    free(out);
    free(at);
    at = (mq_text_pos *)&err;
    CHECK(mq_text_clean_mapped("\xE4", 1, &at, &err) == NULL && at == NULL,
          "on failure no map is given");
}

static void test_numbers(void)
{
    static const struct { const char *text, *want; } cases[] = {
        { "2本", "liang3 ben3" }, { "2000", "liang3 qian1" },
        { "3080", "san1 qian1 ling2 ba1 shi2" }, { "105", "yi4 bai3 ling2 wu3" },
        { "20 000人", "liang3 wan4 ren2" }, { "20,000人", "liang3 wan4 ren2" },
        { "2019年", "er4 ling2 yi1 jiu3 nian2" }, { "12", "shi2 er4" },
        { "2060个", "liang3 qian1 ling2 liu4 shi2 ge4" },
        { "20万斤", "er4 shi2 wan4 jin1" }, { "2.5", "er4 dian3 wu3" },
        { "4.2%", "bai3 fen1 zhi1 si4 dian3 er4" }, { "2/5", "wu3 fen1 zhi1 er4" },
        { "8:45", "ba1 dian3 si4 shi2 wu3 fen1" }, { "4:1", "si4 bi3 yi1" },
        { "-12℃", "ling2 xia4 shi2 er4 she4 shi4 du4" }, { "第3", "di4 san1" },
        { "第2名", "di4 er4 ming2" }, { "119", "yao1 yao1 jiu3" },
        { "12315", "yao1 er4 san1 yao1 wu3" },
        { "0477-8123456", "ling2 si4 qi1 qi1 ba1 yao1 er4 san1 si4 wu3 liu4" },
        { "90后", "jiu3 ling2 hou4" }, { "00后", "ling2 ling2 hou4" },
        { "CCTV", "xi1 xi1 ti4 wei1" }, { "4G", "si4 ji4" },
        { "5月4日", "wu3 yue4 si4 ri4" }, { "2024-05-04", "er4 ling2 er4 si4 nian2 wu3 yue4 si4 ri4" },
        { "25km", "er4 shi2 wu3 gong1 li3" }, { "¥48", "si4 shi2 ba1 yuan2" },
        { "1个", "yi2 ge4" }, { "11个", "shi2 yi1 ge4" }, { "1月", "yi1 yue4" },
        { "10000", "yi2 wan4" }, { "100000", "shi2 wan4" }, { "100010", "shi2 wan4 ling2 yi1 shi2" },
        { "7排41号", "qi1 pai2 si4 shi2 yi1 hao4" },
        { "3×4=12", "san1 cheng2 si4 deng3 yu2 shi2 er4" },
        { "12÷4＝3", "shi2 er4 chu2 yi3 si4 deng3 yu2 san1" },
        { "演出＋宣讲", "yan3 chu1 jia1 xuan1 jiang3" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char desc[128];
        snprintf(desc, sizeof desc, "number: %s", cases[i].text);
        CHECK_STR(reading(cases[i].text), cases[i].want, desc);
    }
}

static void test_words_and_sandhi(void)
{
    CHECK_STR(reading("银行"), "yin2 hang2", "a polyphone inside a word takes the word's reading");
    CHECK_STR(reading("一个"), "yi2 ge4", "一 before tone 4 is yi2");
    CHECK_STR(reading("一天"), "yi4 tian1", "一 before tone 1 is yi4");
    CHECK_STR(reading("第一"), "di4 yi1", "ordinal 一 keeps tone 1");
    CHECK_STR(reading("统一"), "tong3 yi1", "word-final 一 keeps tone 1");
    CHECK_STR(reading("不要"), "bu2 yao4", "不 before tone 4 is bu2");
    CHECK_STR(reading("不好"), "bu4 hao3", "不 elsewhere is bu4");
    CHECK_STR(reading("你好"), "ni3 hao3", "3-3 sandhi is not written in the reading");
}

static void test_inline_and_phrases(void)
{
    CHECK_STR(reading("重{chong2}庆"), "chong2 qing4", "X{pinyin} fixes the character before");
    CHECK_STR(reading("{乌兰牧骑|wu1 lan2 mu4 qi2}"), "wu1 lan2 mu4 qi2", "{TEXT|pinyin}");
    CHECK_HAS(reading("重{chong}庆"), "tone digit", "a fix without tone is refused");
    CHECK_HAS(reading("{乌兰|wu1}"), "2 characters but 1 syllables", "count mismatch is refused");
    CHECK_HAS(reading("{chong2"), "not closed", "an unclosed brace is refused");

    mq_error err = { 0 };
    mq_reading *r = NULL;
    const char *t = "你好，世界。“再见！”\n新的一段";
    CHECK_INT(mq_reader_read(rd, t, strlen(t), &r, &err), MQ_OK, "reading a paragraph");
    CHECK_INT(mq_reading_sentence_count(r), 3, "three sentences");
    CHECK_STR(mq_reading_sentence(r, 0)->text, "你好，世界。", "sentence 1 text");
    CHECK_STR(mq_reading_sentence(r, 1)->text, "“再见！”", "closing quote stays with its sentence");
    CHECK_STR(mq_reading_sentence(r, 2)->text, "新的一段", "paragraph 2");
    CHECK_INT(mq_reading_phrase_count(r), 4, "four phrases");
    CHECK_INT(mq_reading_phrase(r, 0)->brk, MQ_BREAK_COMMA, "comma pause");
    CHECK_INT(mq_reading_phrase(r, 1)->brk, MQ_BREAK_SENTENCE, "sentence pause");
    CHECK_INT(mq_reading_phrase(r, 2)->brk, MQ_BREAK_PARAGRAPH, "paragraph pause after the line break");
    CHECK_INT(mq_reading_phrase(r, 2)->end, '!', "exclamation intonation");
    CHECK_INT(mq_reading_syllables(r), 10, "ten syllables");
    mq_reading_free(r);

    /* A long run without punctuation is split at word boundaries. */
    const char *longrun = "党的二十大报告提出坚持以人民为中心的创作导向推出更多增强人民精神力量的优秀作品"
                          "培育造就大批德艺双馨的文学艺术家和规模宏大的文化文艺人才队伍";
    CHECK_INT(mq_reader_read(rd, longrun, strlen(longrun), &r, &err), MQ_OK, "a long run");
    size_t longest = 0;
    for (size_t i = 0; i < mq_reading_phrase_count(r); i++) {
        const char *p = mq_reading_phrase(r, i)->pinyin;
        size_t n = 1;
        for (; *p; p++)
            n += *p == ' ';
        longest = n > longest ? n : longest;
    }
    CHECK(mq_reading_phrase_count(r) >= 4, "69 syllables become at least four phrases");
    CHECK(longest <= 20, "no phrase is longer than 20 syllables");
    CHECK_INT(mq_reading_phrase(r, 0)->brk, MQ_BREAK_PHRASE, "a breath break, not a comma");
    CHECK_INT(mq_reading_sentence_count(r), 1, "still one sentence");
    CHECK_INT(mq_reading_syllables(r), 69, "no syllable lost or added");
    mq_reading_free(r);

    /* The spoken tones carry 3-3 sandhi inside words only. */
    CHECK_INT(mq_reader_read(rd, "展览馆", strlen("展览馆"), &r, &err), MQ_OK, "展览馆");
    CHECK_STR(mq_reading_phrase(r, 0)->pinyin, "zhan3 lan3 guan3", "printed with third tones");
    CHECK_STR(mq_reading_phrase(r, 0)->spoken, "zhan2 lan2 guan3", "[[展览]馆] spoken 2 2 3");
    mq_reading_free(r);
    CHECK_INT(mq_reader_read(rd, "纸老虎", strlen("纸老虎"), &r, &err), MQ_OK, "纸老虎");
    CHECK_STR(mq_reading_phrase(r, 0)->spoken, "zhi3 lao2 hu3", "[纸[老虎]] spoken 3 2 3");
    mq_reading_free(r);

    CHECK_INT(mq_reader_add_entry(rd, "准格尔", "zhun3 ge2 er3", &err), MQ_OK, "user entry added");
    CHECK_INT(mq_reader_add_entry(rd, "准格尔", "zhun3 ge2", &err), MQ_EINPUT,
              "a user entry with the wrong syllable count is refused");
    CHECK_INT(mq_reader_add_entry(rd, "长", "chang", &err), MQ_EINPUT,
              "a user entry without tones is refused");
    CHECK_INT(mq_reader_add_entry(rd, "长", "zhang3", &err), MQ_OK, "user entry for one char");
    CHECK_STR(reading("长"), "zhang3", "a user entry wins over the built-in reading");
}

/* Every syllable in the committed lexicon's files passes mq_syllable_check:
 * its table was made from them, and must not fall behind a rebuilt lexicon. */
static void test_syllable_table(void)
{
    static const char *const files[] = { "chars.tsv", "words.tsv", "places.tsv",
                                         "overrides.tsv" };
    size_t checked = 0, bad = 0;
    char first_bad[64] = "";
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[256], line[4096];
        snprintf(path, sizeof path, "voices/lexicon/%s", files[f]);
        FILE *fp = fopen(path, "r");
        CHECK(fp != NULL, path);
        while (fp && fgets(line, sizeof line, fp)) {
            char *tab = strchr(line, '\t');
            if (line[0] == '#' || !tab)
                continue;
            char *py = tab + 1;
            py[strcspn(py, "\t\n")] = '\0';
            for (char *p = py; *p;) {
                size_t k = strcspn(p, " ,");
                if (k && !mq_syllable_ok(p, k) && bad++ == 0)
                    snprintf(first_bad, sizeof first_bad, "%.*s in %s", (int)k, p, files[f]);
                checked += k > 0;
                p += k + (p[k] != '\0');
            }
        }
        if (fp)
            fclose(fp);
    }
    CHECK(checked > 100000, "the lexicon's syllables were checked");
    CHECK_STR(first_bad, "", "every syllable of the lexicon is in the table");
    CHECK_INT(bad, 0, "no syllable of the lexicon is refused");

    char why[160];
    CHECK_INT(mq_syllable_check("zhong1", 6, why, sizeof why), 1, "zhong1 is a syllable");
    CHECK_INT(mq_syllable_check("lü4", 4, why, sizeof why), 1, "ü is taken as written");
    CHECK_INT(mq_syllable_check("lue4", 4, why, sizeof why), 1, "lue for lüe");
    CHECK_INT(mq_syllable_check("zhogn1", 6, why, sizeof why), 0, "a typo is refused");
    CHECK_HAS(why, "did you mean zhong1?", "with the syllable it is likely to be");
    CHECK_INT(mq_syllable_check("qqq1", 4, why, sizeof why), 0, "noise is refused");
    CHECK_HAS(why, "'qqq1' is not a Mandarin syllable", "and named");
    CHECK_INT(mq_syllable_check("huar1", 5, why, sizeof why), 0, "erhua is two syllables");
    CHECK_INT(mq_syllable_check("ma", 2, why, sizeof why), 0, "no tone digit");
    CHECK_HAS(why, "write ma1 .. ma5", "the tones a known syllable can take");
    CHECK_INT(mq_syllable_check("ma6", 3, why, sizeof why), 0, "tone 6");
    CHECK_INT(mq_syllable_check("Ma1", 3, why, sizeof why), 0, "upper case");
    CHECK_INT(mq_syllable_check("zhuangzhuangzhuang1", 18, why, sizeof why), 0,
              "a long run of letters");
    CHECK_STR(reading("{绿|lü4}"), "lv4", "an inline ü is read as the lexicon writes it");
    CHECK_HAS(reading("重{zhogn2}庆"), "did you mean zhong2?", "an inline typo is named");
    mq_error err = { 0 };
    CHECK_INT(mq_reader_add_entry(rd, "重庆", "chogn2 qing4", &err), MQ_EINPUT,
              "a lexicon entry with a typo is refused");
    CHECK_HAS(err.msg, "did you mean chong2?", "with the likely syllable");
}

/* mq_text_places: an announcement's characters in the program file. */
static char *places_of(const char *text, const char *src, int line, int column)
{
    static char buf[512];
    mq_text_pos *at = NULL;
    if (mq_text_places(text, strlen(text), src, strlen(src), line, column, &at) != MQ_OK)
        return "none";
    size_t o = 0;
    for (size_t i = 0; i <= strlen(text) && o + 16 < sizeof buf; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%d:%d ", at[i].line, at[i].column);
    free(at);
    return buf;
}

static void test_places(void)
{
    CHECK_STR(places_of("重{x}", "重{x}\n", 3, 15), "3:15 3:16 3:17 3:18 3:19 ", "plain");
    CHECK_STR(places_of("It's 重", "'It''s 重'", 1, 5), "1:6 1:7 1:8 1:10 1:11 1:12 1:13 ",
              "single-quoted: '' is one quote");
    CHECK_STR(places_of("重", "\"\\u91cd\"", 1, 1), "none", "an escape: no places");
    CHECK_STR(places_of("甲\n乙{\n", "|\n    甲\n    乙{\n", 2, 13),
              "3:5 3:6 4:5 4:6 4:7 5:1 ", "a literal block, header line skipped");
    CHECK_STR(places_of("甲 乙", ">-\n  甲\n  乙\n", 1, 10), "2:3 3:1 3:3 3:4 ",
              "folded: the line break became a space (placed at the indent)");
    CHECK_STR(places_of("甲", "乙", 1, 1), "none", "not this value");

    /* Read with those places, a message names the program file's line. */
    const char *text = "第一行。\n重{chong庆";
    const char *src = "|\n      第一行。\n      重{chong庆\n";
    mq_text_pos *at = NULL;
    CHECK_INT(mq_text_places(text, strlen(text), src, strlen(src), 3, 15, &at), MQ_OK,
              "the block is found");
    mq_reading *r = NULL;
    mq_error err = { 0 };
    CHECK_INT(mq_reader_read_text_at(rd, text, strlen(text), at, &r, &err), MQ_EINPUT,
              "the unclosed fix is refused");
    CHECK_HAS(err.msg, "5:8: inline reading", "at its place in the program file");
    CHECK_INT(mq_reader_read_text(rd, text, strlen(text), &r, &err), MQ_EINPUT, "unplaced");
    CHECK_HAS(err.msg, "2:2: inline reading", "at its place in the text itself");
    free(at);
}

/* A Han character with no reading anywhere is left out of the speech, and
 * the reading says which and where; X{pinyin} gives it one in place. */
static void test_unread(void)
{
    mq_reading *r = NULL;
    mq_error err = { 0 };
    const char *t = "第一行\n你好𠀀朋友，㐀。";
    CHECK_INT(mq_reader_read_text(rd, t, strlen(t), &r, &err), MQ_OK, "unread: read");
    CHECK_INT(mq_reading_unread_count(r), 2, "unread: two characters without a reading");
    char ch[5];
    int line = 0, col = 0;
    CHECK_INT(mq_reading_unread(r, 0, ch, &line, &col), 1, "unread: the first");
    CHECK_STR(ch, "𠀀", "unread: which");
    CHECK_INT(line, 2, "unread: its line in the text as written");
    CHECK_INT(col, 3, "unread: its column");
    CHECK_INT(mq_reading_unread(r, 1, ch, &line, &col), 1, "unread: the second");
    CHECK_STR(ch, "㐀", "unread: which (2)");
    CHECK_INT(mq_reading_unread(r, 2, ch, &line, &col), 0, "unread: no third");
    mq_reading_free(r);
    CHECK_STR(reading("你好𠀀朋友"), "ni3 hao3 peng2 you5", "unread: not spoken");
    CHECK_STR(reading("你好𠀀{shang4}朋友"), "ni3 hao3 shang4 peng2 you5",
              "unread: X{pinyin} reads X, not the character before it");
    CHECK_STR(reading("你好{𠀀|shang4}朋友"), "ni3 hao3 shang4 peng2 you5",
              "unread: {X|pinyin} too");
    CHECK_STR(reading("你好{hao4}朋友"), "ni3 hao4 peng2 you5", "unread: others as before");
    t = "你好𠀀{shang4}朋友";
    CHECK_INT(mq_reader_read_text(rd, t, strlen(t), &r, &err), MQ_OK, "unread: fixed, read");
    CHECK_INT(mq_reading_unread_count(r), 0, "unread: fixed, none left");
    mq_reading_free(r);
}

int main(void)
{
    mq_error err = { 0 };
    if (mq_reader_create("voices/lexicon", &rd, &err) != MQ_OK) {
        printf("FAIL: cannot open the lexicon: %s\n", err.msg);
        return 1;
    }
    test_clean();
    test_clean_map();
    test_numbers();
    test_words_and_sandhi();
    test_inline_and_phrases();
    test_syllable_table();
    test_places();
    test_unread();
    CHECK(mq_reader_memory(rd) > 0, "the lexicon reports its memory");
    mq_reader_free(rd);
    MQ_TEST_END();
}
