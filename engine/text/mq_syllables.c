/*
 * mq_syllables.c — the syllables of Mandarin in Hanyu Pinyin, for checking
 * readings typed by hand (inline fixes, program lexicon entries).
 *
 * eSpeak NG's cmn-latn-pinyin voice reads anything it is given: a typo such
 * as "zhogn1" is spelled out in English, "qqq1" comes out as noise. So a
 * reading must be one of these, with a tone digit. The table is every
 * syllable of the committed lexicon (voices/lexicon, from pinyin-pro's data:
 * see its SOURCES.md), ü written v as there; test_text checks that each
 * syllable in those files is in it. "lue" and "nue" (for lüe, nüe) are taken
 * too: eSpeak NG reads them as lve and nve.
 */
#include "mq_text_int.h"
#include "../util/mq_suggest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const syllables[] = {
    "a", "ai", "an", "ang", "ao", "ba", "bai", "ban", "bang", "bao",
    "bei", "ben", "beng", "bi", "bian", "biao", "bie", "bin", "bing", "bo",
    "bu", "ca", "cai", "can", "cang", "cao", "ce", "cen", "ceng", "cha",
    "chai", "chan", "chang", "chao", "che", "chen", "cheng", "chi", "chong", "chou",
    "chu", "chua", "chuai", "chuan", "chuang", "chui", "chun", "chuo", "ci", "cong",
    "cou", "cu", "cuan", "cui", "cun", "cuo", "da", "dai", "dan", "dang",
    "dao", "de", "dei", "den", "deng", "di", "dia", "dian", "diao", "die",
    "ding", "diu", "dong", "dou", "du", "duan", "dui", "dun", "duo", "e",
    "ei", "en", "eng", "er", "fa", "fan", "fang", "fei", "fen", "feng",
    "fo", "fou", "fu", "ga", "gai", "gan", "gang", "gao", "ge", "gei",
    "gen", "geng", "gong", "gou", "gu", "gua", "guai", "guan", "guang", "gui",
    "gun", "guo", "ha", "hai", "han", "hang", "hao", "he", "hei", "hen",
    "heng", "hng", "hong", "hou", "hu", "hua", "huai", "huan", "huang", "hui",
    "hun", "huo", "ji", "jia", "jian", "jiang", "jiao", "jie", "jin", "jing",
    "jiong", "jiu", "ju", "juan", "jue", "jun", "ka", "kai", "kan", "kang",
    "kao", "ke", "kei", "ken", "keng", "kong", "kou", "ku", "kua", "kuai",
    "kuan", "kuang", "kui", "kun", "kuo", "la", "lai", "lan", "lang", "lao",
    "le", "lei", "leng", "li", "lia", "lian", "liang", "liao", "lie", "lin",
    "ling", "liu", "lo", "long", "lou", "lu", "luan", "lun", "luo", "lv",
    "lve", "m", "ma", "mai", "man", "mang", "mao", "me", "mei", "men",
    "meng", "mi", "mian", "miao", "mie", "min", "ming", "miu", "mo", "mou",
    "mu", "n", "na", "nai", "nan", "nang", "nao", "ne", "nei", "nen",
    "neng", "ng", "ni", "nian", "niang", "niao", "nie", "nin", "ning", "niu",
    "nong", "nou", "nu", "nuan", "nuo", "nv", "nve", "o", "ou", "pa",
    "pai", "pan", "pang", "pao", "pei", "pen", "peng", "pi", "pian", "piao",
    "pie", "pin", "ping", "po", "pou", "pu", "qi", "qia", "qian", "qiang",
    "qiao", "qie", "qin", "qing", "qiong", "qiu", "qu", "quan", "que", "qun",
    "ran", "rang", "rao", "re", "ren", "reng", "ri", "rong", "rou", "ru",
    "rua", "ruan", "rui", "run", "ruo", "sa", "sai", "san", "sang", "sao",
    "se", "sen", "seng", "sha", "shai", "shan", "shang", "shao", "she", "shei",
    "shen", "sheng", "shi", "shou", "shu", "shua", "shuai", "shuan", "shuang", "shui",
    "shun", "shuo", "si", "song", "sou", "su", "suan", "sui", "sun", "suo",
    "ta", "tai", "tan", "tang", "tao", "te", "tei", "teng", "ti", "tian",
    "tiao", "tie", "ting", "tong", "tou", "tu", "tuan", "tui", "tun", "tuo",
    "wa", "wai", "wan", "wang", "wei", "wen", "weng", "wo", "wu", "xi",
    "xia", "xian", "xiang", "xiao", "xie", "xin", "xing", "xiong", "xiu", "xu",
    "xuan", "xue", "xun", "ya", "yan", "yang", "yao", "ye", "yi", "yin",
    "ying", "yo", "yong", "you", "yu", "yuan", "yue", "yun", "za", "zai",
    "zan", "zang", "zao", "ze", "zei", "zen", "zeng", "zha", "zhai", "zhan",
    "zhang", "zhao", "zhe", "zhei", "zhen", "zheng", "zhi", "zhong", "zhou", "zhu",
    "zhua", "zhuai", "zhuan", "zhuang", "zhui", "zhun", "zhuo", "zi", "zong", "zou",
    "zu", "zuan", "zui", "zun", "zuo",
    "lue", "nue",
};
#define NSYL (sizeof syllables / sizeof syllables[0])

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int mq_syllable_check(const char *s, size_t len, char *why, size_t size)
{
    char base[16], shown[64];
    size_t n = 0;
    snprintf(shown, sizeof shown, "%.*s", (int)(len < 48 ? len : 48), s);
    if (!why)
        size = 0;
    /* The letters, ü as v (as the lexicon writes it). */
    size_t i = 0;
    while (i < len && n + 1 < sizeof base) {
        if (s[i] >= 'a' && s[i] <= 'z')
            base[n++] = s[i++];
        else if (i + 1 < len && (unsigned char)s[i] == 0xC3 && (unsigned char)s[i + 1] == 0xBC)
            base[n++] = 'v', i += 2;
        else
            break;
    }
    base[n] = '\0';
    if (n == 0 || (i < len && (s[i] < '0' || s[i] > '9')) || n + 1 >= sizeof base) {
        if (size)
            snprintf(why, size, "'%s' is not pinyin: lower-case letters (ü or v for ü) "
                     "then a tone digit 1-5", shown);
        return 0;
    }
    const char *key = base;
    int known = bsearch(&key, syllables, NSYL - 2, sizeof *syllables, by_name) ||
                !strcmp(base, "lue") || !strcmp(base, "nue");
    if (i == len) {
        if (size)
            snprintf(why, size, known ? "'%s' has no tone digit: write %s1 .. %s5 (5: neutral)"
                                      : "'%s' has no tone digit 1-5", shown, shown, shown);
        return 0;
    }
    if (i + 1 != len || s[i] < '1' || s[i] > '5') {
        if (size)
            snprintf(why, size, "'%s': the tone is one digit 1-5 (5: neutral)", shown);
        return 0;
    }
    if (!known) {
        const char *near = mq_suggest(base, syllables, NSYL);
        if (size && near)
            snprintf(why, size, "'%s' is not a Mandarin syllable; did you mean %s%c?", shown,
                     near, s[i]);
        else if (size)
            snprintf(why, size, "'%s' is not a Mandarin syllable", shown);
        return 0;
    }
    return 1;
}

int mq_syllable_ok(const char *s, size_t len)
{
    return mq_syllable_check(s, len, NULL, 0);
}
