/*
 * mq_numbers.c — numbers, dates, times, units and Latin letters read the way
 * a Mandarin broadcaster reads them; see mq_numbers_read in mq_text_int.h.
 *
 * eSpeak NG reads every digit string as a plain cardinal with 二 and without
 * 零 (design.md), so the reader never hands it digits: this file writes the
 * Chinese reading itself, choosing by context — 两 before measure words
 * (两个, 两千), 零 for inner zeros (三千零八十), years and phone numbers digit
 * by digit (with 幺 for 1 in phone numbers), 百分之 for %, 点 for decimals.
 */
#include "mq_text_int.h"

#include <string.h>

typedef struct numtok {
    const char *s;   /* digits, possibly with , or space group separators removed */
    char digits[64];
    size_t nd;       /* integer digits */
    char frac[32];
    size_t nf;       /* fraction digits (after '.') */
    size_t end;      /* byte offset just past the number */
} numtok;

static const char *const digit_han[] = { "零", "一", "二", "三", "四", "五", "六", "七", "八", "九" };
static const char *const digit_syl[] = { "ling2", "yi1", "er4", "san1", "si4",
                                         "wu3", "liu4", "qi1", "ba1", "jiu3" };

static int push(mq_units *us, const char *han, const char *syl, int forced, size_t src)
{
    uint32_t cp;
    mq_utf8_next(han, strlen(han), &cp);
    return mq_units_push(us, cp, syl, forced, src);
}

/* Pushes a run of Chinese characters with their syllables ("摄氏度", "she4 shi4 du4"). */
static int push_word(mq_units *us, const char *han, const char *syls, size_t src)
{
    size_t hi = 0, hn = strlen(han);
    const char *p = syls;
    while (hi < hn && *p) {
        uint32_t cp;
        hi += mq_utf8_next(han + hi, hn - hi, &cp);
        char syl[8];
        size_t k = strcspn(p, " ");
        if (k >= sizeof syl)
            k = sizeof syl - 1;
        memcpy(syl, p, k);
        syl[k] = '\0';
        p += k;
        while (*p == ' ')
            p++;
        if (mq_units_push(us, cp, syl, 1, src))
            return MQ_ENOMEM;
    }
    return MQ_OK;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Matches UTF-8 literal LIT at S+P. */
static int at(const char *s, size_t len, size_t p, const char *lit)
{
    size_t n = strlen(lit);
    return p + n <= len && !memcmp(s + p, lit, n);
}

/* Parses digits with optional thousands separators ("20,000", "20 000") and a
 * decimal part. Returns 0 when S+P is not a digit. */
static int scan_number(const char *s, size_t len, size_t p, numtok *t)
{
    if (p >= len || !is_digit(s[p]))
        return 0;
    memset(t, 0, sizeof *t);
    size_t q = p;
    while (q < len && t->nd < sizeof t->digits - 1) {
        if (is_digit(s[q])) {
            t->digits[t->nd++] = s[q++];
            continue;
        }
        /* A separator counts only when exactly three digits follow it. */
        if ((s[q] == ',' || s[q] == ' ') && q + 3 < len + 1 && t->nd <= 3 + (t->nd / 4) * 3) {
            size_t r = q + 1;
            while (r < len && is_digit(s[r]))
                r++;
            if (r - q - 1 == 3 && (q + 1 < len) && (s[q] == ',' || t->nd <= 3 ||
                                                    (q >= 4 && s[q - 4] == ' '))) {
                q++;
                continue;
            }
        }
        break;
    }
    while (q < len && is_digit(s[q]))
        q++; /* absurdly long: the rest is dropped from digits, read by digit */
    if (q + 1 < len && (s[q] == '.' || at(s, len, q, "．")) ) {
        size_t dot = s[q] == '.' ? 1 : 3;
        if (q + dot < len && is_digit(s[q + dot])) {
            q += dot;
            while (q < len && is_digit(s[q])) {
                if (t->nf < sizeof t->frac - 1)
                    t->frac[t->nf++] = s[q];
                q++;
            }
        }
    }
    t->end = q;
    return 1;
}

static int read_digits(mq_units *us, const char *d, size_t n, int yao, size_t src)
{
    for (size_t i = 0; i < n; i++) {
        int v = d[i] - '0';
        int r = (yao && v == 1) ? push(us, "幺", "yao1", 1, src)
                                : push(us, digit_han[v], digit_syl[v], 1, src);
        if (r)
            return r;
    }
    return MQ_OK;
}

/* One section of up to four digits (0..9999), value V, with 零 inside it. */
static int read_section(mq_units *us, int v, int leading, int liang, size_t src)
{
    static const char *const uh[] = { "千", "百", "十", "" };
    static const char *const us_[] = { "qian1", "bai3", "shi2", "" };
    int d[4] = { v / 1000, v / 100 % 10, v / 10 % 10, v % 10 };
    int printed = 0, zero = 0;
    for (int i = 0; i < 4; i++) {
        if (d[i] == 0) {
            if (printed)
                zero = 1;
            continue;
        }
        if (zero && push(us, "零", "ling2", 1, src))
            return MQ_ENOMEM;
        zero = 0;
        /* 十五, not 一十五, at the head of a number. */
        int skip_one = leading && !printed && i == 2 && d[i] == 1;
        if (!skip_one) {
            const char *han = digit_han[d[i]], *syl = digit_syl[d[i]];
            /* 两千 anywhere (三万两千), 两百 only at the head (but 一千二百). */
            if (d[i] == 2 && (i == 0 || (liang && i == 1 && leading && !printed)))
                han = "两", syl = "liang3";
            /* 一 before 百 and 千 is yì (tone sandhi before tones 3 and 1). */
            if (d[i] == 1 && (i == 0 || i == 1))
                syl = "yi4";
            if (push(us, han, syl, 1, src))
                return MQ_ENOMEM;
        }
        if (i < 3 && push(us, uh[i], us_[i], 1, src))
            return MQ_ENOMEM;
        printed = 1;
    }
    return MQ_OK;
}

/*
 * A cardinal from a digit string of up to 16 digits. LIANG: a lone 2 reads 两
 * (before measure words). Returns MQ_OK, MQ_ENOMEM.
 */
static int read_cardinal(mq_units *us, const char *d, size_t n, int liang, size_t src)
{
    while (n > 1 && d[0] == '0')
        d++, n--;
    if (n > 16)
        return read_digits(us, d, n, 0, src);
    if (n == 1) {
        int v = d[0] - '0';
        if (v == 2 && liang)
            return push(us, "两", "liang3", 1, src);
        /* A lone 1 is left to the sandhi of 一 (一个 yí gè, 一天 yì tiān). */
        return v == 1 ? mq_units_push(us, 0x4E00, "yi1", 0, src)
                      : push(us, digit_han[v], digit_syl[v], 1, src);
    }
    static const char *const gh[] = { "", "万", "亿", "万" };
    static const char *const gs[] = { "", "wan4", "yi4", "wan4" };
    int groups[4] = { 0 }, ng = 0;
    for (size_t end = n; end > 0 && ng < 4;) {
        size_t b = end >= 4 ? end - 4 : 0;
        int v = 0;
        for (size_t i = b; i < end; i++)
            v = v * 10 + (d[i] - '0');
        groups[ng++] = v;
        end = b;
    }
    int started = 0, zero = 0;
    for (int g = ng - 1; g >= 0; g--) {
        int v = groups[g];
        if (v == 0) {
            if (started)
                zero = 1;
            /* 一亿零五万: a group of 万 under 亿 keeps its name only when non-zero. */
            continue;
        }
        if (started && (zero || v < 1000) && push(us, "零", "ling2", 1, src))
            return MQ_ENOMEM;
        zero = 0;
        /* 两万, 两亿: a section that is exactly 2 before 万/亿 reads 两. */
        if (g > 0 && v == 2) {
            if (push(us, "两", "liang3", 1, src))
                return MQ_ENOMEM;
        } else if (g > 0 && v == 1 && !started) {
            if (push(us, "一", "yi2", 1, src)) /* 一万 yí wàn */
                return MQ_ENOMEM;
        } else if (read_section(us, v, !started, 1, src)) {
            return MQ_ENOMEM;
        }
        if (g > 0 && push(us, gh[g], gs[g], 1, src))
            return MQ_ENOMEM;
        if (g == 3 && push(us, "亿", "yi4", 1, src))  /* 万亿 */
            return MQ_ENOMEM;
        started = 1;
    }
    if (!started)
        return push(us, "零", "ling2", 1, src);
    /* A final 一 (十一, 二十一) keeps tone 1. */
    return MQ_OK;
}

static int read_number(mq_units *us, const numtok *t, int liang, size_t src)
{
    int has_frac = t->nf > 0;
    if (read_cardinal(us, t->digits, t->nd, liang && !has_frac, src))
        return MQ_ENOMEM;
    if (has_frac) {
        /* The lone 1 of "1.5" must not be left to sandhi: 一点五 yī diǎn wǔ. */
        if (us->n && us->u[us->n - 1].cp == 0x4E00)
            us->u[us->n - 1].forced = 1;
        if (push(us, "点", "dian3", 1, src) || read_digits(us, t->frac, t->nf, 0, src))
            return MQ_ENOMEM;
    }
    return MQ_OK;
}

/* Measure words and units after which a lone 2 reads 两. */
static const char *const measures[] = {
    "个", "本", "只", "位", "名", "条", "张", "件", "次", "天", "年", "岁", "倍", "种", "项",
    "类", "户", "家", "所", "台", "辆", "架", "头", "匹", "棵", "顶", "座", "间", "层", "批",
    "块", "元", "角", "公里", "千米", "米", "斤", "吨", "亩", "小时", "分钟", "秒", "周", "点",
    "百", "千", "万", "亿", "份", "部", "片", "杯", "碗", "包", "套", "场", "届", "支", "队",
    "组", "代", "轮", "句", "首", "篇", "段", "门", "道", "排", "封", "趟", "遍", "回", "声",
    "口", "股", "群", "双", "对", "副", "把", "根", "枝", "朵", "颗", "粒", "盏", "栋", "幢",
    "笔", "例", "起", "宗", "尺", "寸", "克", "千克", "公斤", "升", "度", "成", "分", "种",
    "样", "方", "人", "国", "省", "市", "县", "旗", "大", "些", "下", "毛", "辈", "扇", "床",
    "拨", "期", "周年", "星期", "礼拜", "码", "里", "亿元", "万元", "节", "课", "场", "堂",
    "船", "车", "季", "盘", "局", "杆", "名", "员", "座", "架", "张", "份", "笔", "户", "枚",
    "轮", "匹", "尾", "只", "根", "顶", "件", "所", "间", NULL
};

static int measure_follows(const char *s, size_t len, size_t p)
{
    for (int i = 0; measures[i]; i++)
        if (at(s, len, p, measures[i]))
            return 1;
    /* A range's second number decides for the first: 2-4天 两到四天. */
    return 0;
}

/* Latin unit symbols after a number, longest first. */
static const struct { const char *sym, *han, *syl; } units[] = {
    { "km²", "平方公里", "ping2 fang1 gong1 li3" }, { "km2", "平方公里", "ping2 fang1 gong1 li3" },
    { "m²", "平方米", "ping2 fang1 mi3" }, { "m2", "平方米", "ping2 fang1 mi3" },
    { "㎡", "平方米", "ping2 fang1 mi3" }, { "m³", "立方米", "li4 fang1 mi3" },
    { "m3", "立方米", "li4 fang1 mi3" }, { "km/h", "公里每小时", "gong1 li3 mei3 xiao3 shi2" },
    { "kWh", "千瓦时", "qian1 wa3 shi2" }, { "kW", "千瓦", "qian1 wa3" },
    { "km", "公里", "gong1 li3" }, { "kg", "公斤", "gong1 jin1" }, { "cm", "厘米", "li2 mi3" },
    { "mm", "毫米", "hao2 mi3" }, { "ml", "毫升", "hao2 sheng1" }, { "mL", "毫升", "hao2 sheng1" },
    { "℃", "摄氏度", "she4 shi4 du4" }, { "°C", "摄氏度", "she4 shi4 du4" },
    { "°", "度", "du4" }, { "m", "米", "mi3" }, { "g", "克", "ke4" }, { "t", "吨", "dun1" },
    { "L", "升", "sheng1" }, { "h", "小时", "xiao3 shi2" }, { "min", "分钟", "fen1 zhong1" },
    { "s", "秒", "miao3" }, { "mg", "毫克", "hao2 ke4" }, { "ha", "公顷", "gong1 qing3" },
    { NULL, NULL, NULL }
};

static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* A unit symbol at S+P not followed by more letters; returns its index or -1. */
static int unit_at(const char *s, size_t len, size_t p)
{
    for (int i = 0; units[i].sym; i++) {
        size_t n = strlen(units[i].sym);
        if (at(s, len, p, units[i].sym) && !(p + n < len && is_alpha(s[p + n])))
            return i;
    }
    return -1;
}

/* Latin letters as Chinese broadcasters say them. */
static const char *const letters[26] = {
    "ei1", "bi4", "xi1", "di4", "yi4", "ai2 fu5", "ji4", "ai1 qi1", "ai4", "jie4", "kai4",
    "ai2 lu5", "ai2 mu5", "en1", "ou1", "pi4", "qiu1", "a1 er5", "ai2 si5", "ti4", "you1",
    "wei1", "da2 bu5 liu5", "ai2 ke4 si5", "wai4", "zei4"
};

static int read_letters(const char *s, size_t len, size_t *pos, mq_units *us)
{
    size_t p = *pos;
    while (p < len && is_alpha(s[p])) {
        const char *syl = letters[(s[p] | 32) - 'a'];
        while (*syl) {
            char one[8];
            size_t k = strcspn(syl, " ");
            memcpy(one, syl, k);
            one[k] = '\0';
            if (mq_units_push(us, (unsigned char)s[p], one, 1, *pos))
                return MQ_ENOMEM;
            syl += k;
            while (*syl == ' ')
                syl++;
        }
        p++;
    }
    *pos = p;
    return 1;
}

/* Words just before P that announce a phone number. */
static int phone_context(const char *s, size_t p)
{
    static const char *const cues[] = { "拨打", "电话", "热线", "号码", "致电", "手机", "拨",
                                        "报警", "求助", NULL };
    for (int i = 0; cues[i]; i++) {
        size_t n = strlen(cues[i]);
        for (size_t back = 0; back <= 6 && back + n <= p; back++)
            if (!memcmp(s + p - back - n, cues[i], n))
                return 1;
    }
    return 0;
}

static int is_hotline(const numtok *t)
{
    static const char *const lines[] = { "110", "119", "120", "122", "114", "12315", "12345",
                                         "12320", "12348", "12366", "12369", "12351", "12333",
                                         "12358", "12123", "12306", "95119", "12110", NULL };
    if (t->nf)
        return 0;
    for (int i = 0; lines[i]; i++)
        if (!strcmp(t->digits, lines[i]))
            return 1;
    return 0;
}

static int read_time(const char *s, size_t len, size_t *pos, const numtok *h, mq_units *us)
{
    /* H:MM[:SS] with a valid clock time; anything else with ':' is a ratio. */
    size_t p = h->end + (s[h->end] == ':' ? 1 : 3);
    if (!(p + 1 < len + 0 && is_digit(s[p]) && is_digit(s[p + 1]) &&
          !(p + 2 < len && is_digit(s[p + 2]))))
        return 0;
    if (h->nf || h->nd > 2) /* before adding up the digits: 99999999999:30 is no time */
        return 0;
    int hh = 0;
    for (size_t i = 0; i < h->nd; i++)
        hh = hh * 10 + (h->digits[i] - '0');
    int mm = (s[p] - '0') * 10 + (s[p + 1] - '0');
    if (hh > 24 || mm > 59)
        return 0;
    size_t src = *pos;
    if (read_cardinal(us, h->digits, h->nd, 1, src) || push(us, "点", "dian3", 1, src))
        return MQ_ENOMEM;
    p += 2;
    if (mm) {
        char md[3] = { s[p - 2], s[p - 1], 0 };
        if (md[0] == '0' && push(us, "零", "ling2", 1, src))
            return MQ_ENOMEM;
        if (read_cardinal(us, md[0] == '0' ? md + 1 : md, md[0] == '0' ? 1 : 2, 0, src) ||
            push(us, "分", "fen1", 1, src))
            return MQ_ENOMEM;
        if (us->u[us->n - 2].cp == 0x4E00)
            us->u[us->n - 2].forced = 1;
    }
    if (p + 2 < len && (s[p] == ':') && is_digit(s[p + 1]) && is_digit(s[p + 2])) {
        char sd[3] = { s[p + 1], s[p + 2], 0 };
        int ss = (sd[0] - '0') * 10 + sd[1] - '0';
        if (ss < 60) {
            if (ss && (read_cardinal(us, sd[0] == '0' ? sd + 1 : sd, sd[0] == '0' ? 1 : 2, 0,
                                     src) || push(us, "秒", "miao3", 1, src)))
                return MQ_ENOMEM;
            if (ss && us->u[us->n - 2].cp == 0x4E00)
                us->u[us->n - 2].forced = 1;
            p += 3;
        }
    }
    *pos = p;
    return 1;
}

int mq_numbers_read(const char *s, size_t len, size_t *pos, mq_units *us)
{
    size_t p = *pos, src = p;
    char c = s[p];
    if (is_alpha(c))
        return read_letters(s, len, pos, us);
    /* Arithmetic as it is read aloud: 3×4=12 is san1 cheng2 si4 deng3 yu2 shi2 er4. */
    if (c == '+' || at(s, len, p, "＋")) {
        *pos = p + (c == '+' ? 1 : 3);
        return push(us, "加", "jia1", 1, src) ? MQ_ENOMEM : 1;
    }
    if (at(s, len, p, "×")) {
        *pos = p + 2;
        return push(us, "乘", "cheng2", 1, src) ? MQ_ENOMEM : 1;
    }
    if (at(s, len, p, "÷")) {
        *pos = p + 2;
        return push_word(us, "除以", "chu2 yi3", src) ? MQ_ENOMEM : 1;
    }
    if (c == '=' || at(s, len, p, "＝")) {
        *pos = p + (c == '=' ? 1 : 3);
        return push_word(us, "等于", "deng3 yu2", src) ? MQ_ENOMEM : 1;
    }
    if (c == '@' || at(s, len, p, "＠")) { /* a heading marker: not read */
        *pos = p + (c == '@' ? 1 : 3);
        return 1;
    }
    int neg = 0, money = 0;
    if ((c == '-' || at(s, len, p, "−")) && !(p > 0 && is_digit(s[p - 1]))) {
        size_t k = c == '-' ? 1 : 3;
        if (p + k < len && is_digit(s[p + k])) {
            neg = 1;
            p += k;
        }
    } else if (at(s, len, p, "¥") || at(s, len, p, "￥")) {
        size_t k = at(s, len, p, "¥") ? 2 : 3;
        if (p + k < len && is_digit(s[p + k])) {
            money = 1;
            p += k;
        }
    }
    numtok t;
    if (!scan_number(s, len, p, &t))
        return 0;
    size_t e = t.end;
    /* Whatever follows decides how the number is read. */
    if (!neg && !money && !t.nf && t.nd == 4 && at(s, len, e, "年")) {
        /* 2021年: a year, digit by digit (20年, a duration, stays a cardinal). */
        if (read_digits(us, t.digits, t.nd, 0, src))
            return MQ_ENOMEM;
        *pos = e;
        return 1;
    }
    if (!neg && !money && !t.nf && t.nd == 4 && e + 2 < len && (s[e] == '-' || s[e] == '/')) {
        /* 2024-05-04 */
        numtok m, d;
        if (scan_number(s, len, e + 1, &m) && m.nd <= 2 && !m.nf && s[m.end] == s[e] &&
            scan_number(s, len, m.end + 1, &d) && d.nd <= 2 && !d.nf) {
            if (read_digits(us, t.digits, t.nd, 0, src) || push(us, "年", "nian2", 1, src) ||
                read_cardinal(us, m.digits, m.nd, 0, src) || push(us, "月", "yue4", 1, src) ||
                read_cardinal(us, d.digits, d.nd, 0, src) || push(us, "日", "ri4", 1, src))
                return MQ_ENOMEM;
            for (size_t i = 0; i < us->n; i++)
                us->u[i].forced |= us->u[i].src == src;
            *pos = d.end;
            return 1;
        }
    }
    if (!neg && !money && !t.nf && t.nd == 2 && at(s, len, e, "后")) {
        /* 90后, 00后: the generation, digit by digit. */
        if (read_digits(us, t.digits, 2, 0, src))
            return MQ_ENOMEM;
        *pos = e;
        return 1;
    }
    if (!neg && !money && (s[e] == ':' || at(s, len, e, "："))) {
        int r = read_time(s, len, pos, &t, us);
        if (r)
            return r;
        numtok b;
        size_t k = s[e] == ':' ? 1 : 3;
        if (scan_number(s, len, e + k, &b)) { /* 4:1 四比一 */
            if (read_number(us, &t, 0, src) || push(us, "比", "bi3", 1, src) ||
                read_number(us, &b, 0, src))
                return MQ_ENOMEM;
            for (size_t i = 0; i < us->n; i++)
                us->u[i].forced |= us->u[i].src == src;
            *pos = b.end;
            return 1;
        }
    }
    /* Phone, hotline, room and train numbers: digit by digit, 1 as 幺. */
    int counted = measure_follows(s, len, e) || unit_at(s, len, e) >= 0;
    int phone = !neg && !money && !t.nf &&
                ((t.nd >= 3 && t.digits[0] == '0' && e < len && s[e] == '-') ||
                 (t.nd == 11 && t.digits[0] == '1') || (t.nd >= 5 && t.digits[0] == '0') ||
                 (is_hotline(&t) && !counted) || (t.nd >= 3 && phone_context(s, src)) ||
                 (t.nd >= 3 && (at(s, len, e, "室") || at(s, len, e, "次"))) ||
                 (t.nd >= 3 && src > 0 && is_alpha(s[src - 1])));
    if (phone) {
        if (read_digits(us, t.digits, t.nd, 1, src))
            return MQ_ENOMEM;
        numtok b;
        while (e < len && s[e] == '-' && scan_number(s, len, e + 1, &b) && !b.nf) {
            if (read_digits(us, b.digits, b.nd, 1, src))
                return MQ_ENOMEM;
            e = b.end;
        }
        *pos = e;
        return 1;
    }
    if (!neg && !money && e < len && (s[e] == '/') ) {
        numtok b;
        if (scan_number(s, len, e + 1, &b) && !b.nf && !t.nf) { /* 2/5 五分之二 */
            if (read_number(us, &b, 0, src) || push(us, "分", "fen1", 1, src) ||
                push(us, "之", "zhi1", 1, src) || read_number(us, &t, 0, src))
                return MQ_ENOMEM;
            us->u[us->n - 1].forced = 1;
            *pos = b.end;
            return 1;
        }
    }
    if (neg) {
        int temp = unit_at(s, len, e) >= 0 &&
                   (at(s, len, e, "℃") || at(s, len, e, "°C") || at(s, len, e, "°"));
        if (temp ? push_word(us, "零下", "ling2 xia4", src) : push(us, "负", "fu4", 1, src))
            return MQ_ENOMEM;
    }
    if (e < len && (s[e] == '%' || at(s, len, e, "‰"))) {
        int permille = s[e] != '%';
        if (push_word(us, permille ? "千分之" : "百分之", permille ? "qian1 fen1 zhi1" : "bai3 fen1 zhi1", src) ||
            read_number(us, &t, 0, src))
            return MQ_ENOMEM;
        us->u[us->n - 1].forced = 1;
        e += permille ? 3 : 1;
        /* 3%-5%: the range's second half is read by the caller's next call. */
        *pos = e;
        return 1;
    }
    /* A range: 2-4天, 6~8 → 二到四 (or 两到四 before a measure word). */
    size_t rk = (s[e] == '-' || s[e] == '~') ? 1 : at(s, len, e, "～") ? 3 : at(s, len, e, "—") ? 3 : 0;
    numtok b;
    if (!neg && rk && scan_number(s, len, e + rk, &b)) {
        /* Ranges are read with 二: 2-4天 二到四天. */
        if (read_number(us, &t, 0, src) || push(us, "到", "dao4", 1, src) ||
            read_number(us, &b, 0, src))
            return MQ_ENOMEM;
        e = b.end;
    } else {
        int ordinal = (src >= 3 && at(s, len, src - 3, "第")) || at(s, len, e, "月") ||
                      at(s, len, e, "日") || at(s, len, e, "号") || at(s, len, e, "楼") ||
                      at(s, len, e, "级") || at(s, len, e, "届") || at(s, len, e, "排");
        int liang = !ordinal && (measure_follows(s, len, e) || unit_at(s, len, e) >= 0);
        if (read_number(us, &t, liang, src))
            return MQ_ENOMEM;
        if (ordinal && us->n && us->u[us->n - 1].cp == 0x4E00)
            us->u[us->n - 1].forced = 1; /* 第一, 一月, 一号: yī */
    }
    int u = unit_at(s, len, e);
    if (u >= 0) {
        if (push_word(us, units[u].han, units[u].syl, src))
            return MQ_ENOMEM;
        e += strlen(units[u].sym);
    }
    if (money) {
        if (at(s, len, e, "万") || at(s, len, e, "亿")) {
            if (push_word(us, at(s, len, e, "万") ? "万" : "亿",
                          at(s, len, e, "万") ? "wan4" : "yi4", src))
                return MQ_ENOMEM;
            e += 3;
        }
        if (push(us, "元", "yuan2", 1, src))
            return MQ_ENOMEM;
    }
    *pos = e;
    return 1;
}
