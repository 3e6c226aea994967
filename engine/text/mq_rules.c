/*
 * mq_rules.c — context rules for polyphones that stand alone, and tone
 * sandhi; see mq_rules_apply in mq_text_int.h.
 *
 * Inside a lexicon word a polyphone already has the word's reading (银行
 * yin2 hang2); these rules decide only characters the segmenter left as
 * single-character words, from their neighbours — the way a reader decides
 * 为 in 以人民为中心 (wéi) against 为人民服务 (wèi). Each rule is written for
 * the usage of news and announcements; the default is the reading that
 * usage makes most frequent as a free word.
 */
#include "mq_text_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The unit at I when it is a syllable (not a break); else NULL. */
static const mq_unit *at(const mq_units *us, size_t i)
{
    return i < us->n && us->u[i].cp ? &us->u[i] : NULL;
}

/* CP is one of the characters of the UTF-8 string SET. */
static int in(uint32_t cp, const char *set)
{
    size_t n = strlen(set);
    for (size_t i = 0; i < n;) {
        uint32_t c;
        i += mq_utf8_next(set + i, n - i, &c);
        if (c == cp)
            return 1;
    }
    return 0;
}

static void set_syl(mq_unit *u, const char *syl)
{
    snprintf(u->syl, sizeof u->syl, "%s", syl);
}

/* A numeral, written in Chinese or read from digits. */
static int numeral(const mq_unit *u)
{
    return u && in(u->cp, "零一二两三四五六七八九十百千万亿幺");
}

/* A numeral or a word that counts (一 两 几 这 每 ...), or a digit read by
 * the number reader: what comes before a measure word. */
static int counts(const mq_unit *u)
{
    return u && (numeral(u) || in(u->cp, "几多每各这那哪某此该半"));
}

/* Is there a single 以 before I in the same sentence, with something between? */
static int yi_before(const mq_units *us, size_t i)
{
    for (size_t k = i >= 2 ? i - 2 : 0, steps = 0; k < i && steps < 30; k--, steps++) {
        const mq_unit *u = &us->u[k];
        if (!u->cp && u->brk >= MQ_BREAK_SENTENCE)
            return 0;
        if (u->cp == 0x4EE5 /* 以 */ && u->word == MQ_W_SINGLE)
            return 1;
        if (k == 0)
            break;
    }
    return 0;
}

static void polyphone(mq_units *us, size_t i)
{
    mq_unit *u = &us->u[i];
    const mq_unit *pv = i ? at(us, i - 1) : NULL, *nx = at(us, i + 1);
    uint32_t p = pv ? pv->cp : 0, n = nx ? nx->cp : 0;
    switch (u->cp) {
    case 0x5E72: /* 干: free, it is the verb "do" */
        set_syl(u, "gan4");
        break;
    case 0x4E3A: /* 为: wéi "be, as" after 以…, before numbers, after 约/被/改…; else wèi "for" */
        if ((nx && nx->forced && numeral(nx)) ||
            in(p, "约被改变分化转评选视定列均即成作认封划立推聘任称") ||
            (pv && pv->word == MQ_W_END && in(p, "间积话点题准标量额价值度级率数期址码名")) ||
            yi_before(us, i))
            set_syl(u, "wei2");
        else
            set_syl(u, "wei4");
        break;
    case 0x5730: /* 地: the adverbial particle between a modifier and a verb */
        /* The particle follows an adverbial: a word of two or more syllables
         * (认真地, 积极地), a doubled syllable (稳稳地) or one of a few
         * single adjectives (更好地); after any other single syllable 地
         * is "place, ground" (就地, 各地, 多地). */
        {
            int adverbial = pv && (pv->word == MQ_W_END ||
                                   (i >= 2 && us->u[i - 2].cp == p) ||
                                   in(p, "好快慢早高深真实稳狠紧"));
            set_syl(u, adverbial && nx && !counts(pv) && !in(p, "块片亩处种耕土草田荒")
                           ? "de5" : "di4");
        }
        break;
    case 0x5F97: /* 得: děi "must" after a subject */
        if (in(p, "们我你他她家就还都也总可非") && nx)
            set_syl(u, "dei3");
        break;
    case 0x79CD: /* 种: zhǒng after a numeral; zhòng "plant" before an object */
        set_syl(u, counts(pv) || !nx ? "zhong3" : "zhong4");
        break;
    case 0x6570: /* 数: shǔ "count" after 地 or at a phrase end */
        set_syl(u, p == 0x5730 || !nx || in(n, "一不着了过清") ? "shu3" : "shu4");
        break;
    case 0x6559: /* 教: jiāo "teach" when free */
        set_syl(u, "jiao1");
        break;
    case 0x5904: /* 处: chǔ "get along" before 得 */
        set_syl(u, n == 0x5F97 ? "chu3" : "chu4");
        break;
    case 0x755C: /* 畜: xù after 养 "raise" */
        set_syl(u, p == 0x517B ? "xu4" : "chu4");
        break;
    case 0x957F: /* 长: zhǎng "grow" before 得/大/高/出… */
        set_syl(u, in(n, "得了出成大高起着") ? "zhang3" : "chang2");
        break;
    case 0x8FD8: /* 还: huán "return" before money words */
        set_syl(u, in(n, "钱款贷债给清回本") ? "huan2" : "hai2");
        break;
    case 0x53EA: /* 只: zhī after a numeral (a measure word), else zhǐ "only" */
        set_syl(u, counts(pv) ? "zhi1" : "zhi3");
        break;
    case 0x884C: /* 行: háng "row" after a numeral */
        set_syl(u, counts(pv) ? "hang2" : "xing2");
        break;
    case 0x91CD: /* 重: chóng "again" */
        set_syl(u, in(n, "新复建返申回逢组演温") ? "chong2" : "zhong4");
        break;
    case 0x7387: /* 率: shuài "lead" before its object, lǜ "rate" at the end */
        set_syl(u, nx ? "shuai4" : "lv4");
        break;
    case 0x4F9B: /* 供: gōng "supply" */
        set_syl(u, "gong1");
        break;
    case 0x5E94: /* 应: yīng "should" before a verb */
        set_syl(u, nx ? "ying1" : "ying4");
        break;
    case 0x5377: /* 卷: juǎn "roll" before a direction */
        set_syl(u, in(n, "起入走进成") ? "juan3" : "juan4");
        break;
    case 0x8F7D: /* 载: zài "carry" */
        set_syl(u, "zai4");
        break;
    case 0x8C03: /* 调: diào "transfer" */
        set_syl(u, "diao4");
        break;
    case 0x8FC7: /* 过: the aspect particle after a verb (去过) is neutral */
        if (pv && nx && (!numeral(nx) || pv->word == MQ_W_END) && !in(n, "去来年节个"))
            set_syl(u, "guo5");
        break;
    case 0x5B50: /* 子: a noun suffix after a syllable (羔子, 营子) */
        if (pv)
            set_syl(u, "zi5");
        break;
    case 0x671D: /* 朝: cháo "toward" */
        set_syl(u, "chao2");
        break;
    default:
        break;
    }
}

/* 起来, 回来, 过来 ... after a verb: the 来 of a direction complement is
 * neutral. */
static void complement(mq_units *us, size_t i)
{
    mq_unit *u = &us->u[i];
    if (u->cp != 0x6765 /* 来 */ || u->forced || i < 2 || !at(us, i - 1) || !at(us, i - 2))
        return;
    const mq_unit *d = &us->u[i - 1];
    /* 站起来 (起来 a word after a verb) or 留下 + 来 (来 alone after 留下). */
    if (in(d->cp, "起回过下出进上") &&
        ((u->word == MQ_W_END && d->word == MQ_W_BEGIN) ||
         (u->word == MQ_W_SINGLE && (d->word == MQ_W_END || d->word == MQ_W_SINGLE))))
        set_syl(u, "lai5");
}

/* 精神 "vigour" (jīng·shen) before 很/真/挺/特别/不错/饱满: the adjective. */
static void vigour(mq_units *us, size_t i)
{
    mq_unit *u = &us->u[i];
    if (u->cp != 0x7CBE || u->word != MQ_W_BEGIN || i + 2 >= us->n || us->u[i + 1].cp != 0x795E ||
        us->u[i + 1].word != MQ_W_END || us->u[i + 1].forced)
        return;
    if (in(us->u[i + 2].cp, "很真挺特不饱头好"))
        set_syl(&us->u[i + 1], "shen5");
}

/* 地方: dì·fang "place" after 的/这/那/个/有/什么, dìfāng "local" elsewhere
 * (地方政府). */
static void place_word(mq_units *us, size_t i)
{
    mq_unit *u = &us->u[i];
    if (u->cp != 0x5730 || u->word != MQ_W_BEGIN || i + 1 >= us->n ||
        us->u[i + 1].cp != 0x65B9 || us->u[i + 1].word != MQ_W_END || us->u[i + 1].forced)
        return;
    const mq_unit *pv = i ? at(us, i - 1) : NULL;
    if (pv && in(pv->cp, "的这那个有么些"))
        set_syl(&us->u[i + 1], "fang5");
}

static int tone_of(const mq_unit *u)
{
    size_t n = strlen(u->syl);
    return n ? u->syl[n - 1] - '0' : 0;
}

static void set_tone(mq_unit *u, int tone)
{
    size_t n = strlen(u->syl);
    if (n)
        u->syl[n - 1] = (char)('0' + tone);
}

/*
 * The sandhi of 一 and 不 where the lexicon has not decided it: a single
 * 一/不 takes tone 2 before a fourth tone and 一 takes tone 4 before the
 * others; 一 keeps tone 1 when counting (after or before a numeral) and at a
 * phrase end; between a repeated verb (看一看) it is neutral.
 */
static void sandhi(mq_units *us, size_t i)
{
    mq_unit *u = &us->u[i];
    const mq_unit *pv = i ? at(us, i - 1) : NULL, *nx = at(us, i + 1);
    if (u->cp == 0x4E00 && u->word == MQ_W_SINGLE && pv && nx && pv->cp == nx->cp &&
        pv->word == MQ_W_SINGLE) {
        set_tone(u, 5);
        return;
    }
    if (u->word != MQ_W_SINGLE || !nx)
        return;
    int t = tone_of(nx);
    if (u->cp == 0x4E0D) { /* 不 */
        /* V不V (对不对) and potential complements (拿不动) are read lightly;
         * the reading writes them bu4, without sandhi. */
        if (pv && pv->word != MQ_W_BEGIN && !in(pv->cp, "我你他她它们也都还就才又再很更最总可真并决从")
            && (nx->cp == pv->cp || (nx->word == MQ_W_SINGLE && in(nx->cp, "上下去来到了完起动开住清懂见"))))
            return;
        set_tone(u, t == 4 ? 2 : 4);
        return;
    }
    if ((pv && numeral(pv)) || (pv && pv->cp == 0x7B2C /* 第 */) ||
        (numeral(nx) && !in(nx->cp, "百千万亿")))
        return;
    /* A neutral syllable after 一 is nearly always 个 (ge4 underneath). */
    set_tone(u, (t == 4 || t == 5) ? 2 : 4);
}

void mq_rules_apply(mq_units *us)
{
    for (size_t i = 0; i < us->n; i++) {
        mq_unit *u = &us->u[i];
        if (!u->cp || u->forced)
            continue;
        if (u->word == MQ_W_SINGLE)
            polyphone(us, i);
        complement(us, i);
        place_word(us, i);
        vigour(us, i);
    }
    /* Sandhi last: it reads the tones the rules above settled. */
    for (size_t i = 0; i < us->n; i++)
        if (us->u[i].cp && !us->u[i].forced && (us->u[i].cp == 0x4E00 || us->u[i].cp == 0x4E0D))
            sandhi(us, i);
}

/* The first and one-past-last units of the word that unit I belongs to. */
static void word_span(const mq_units *us, size_t i, size_t *a, size_t *b)
{
    *a = i;
    while (*a > 0 && (us->u[*a].word == MQ_W_MID || us->u[*a].word == MQ_W_END) && us->u[*a - 1].cp)
        (*a)--;
    *b = i + 1;
    while (*b < us->n && (us->u[*b].word == MQ_W_MID || us->u[*b].word == MQ_W_END))
        (*b)++;
}

/*
 * Third-tone sandhi inside a word, for the synthesizer only: 3-3 becomes 2-3.
 * The spoken tone goes to eSpeak NG explicitly, because its own rule turns
 * every third tone before a third into a rising one up to the next pause —
 * right for 你好, wrong for 纸老虎 (zhǐ láohǔ, not zhí láohǔ). A word of three
 * third tones is read by its structure: 展览馆 [[展览]馆] zhán lán guǎn
 * (left to right), 纸老虎 [纸[老虎]] zhǐ láo hǔ (right to left), told apart
 * by which two-syllable part is itself a word (IS_WORD).
 */
void mq_rules_spoken(mq_units *us, int (*is_word)(void *ctx, size_t a, size_t b), void *ctx)
{
    for (size_t i = 0; i < us->n; i++)
        us->u[i].spoken = (unsigned char)tone_of(&us->u[i]);
    for (size_t i = 0; i < us->n;) {
        size_t a, b;
        if (!us->u[i].cp) {
            i++;
            continue;
        }
        word_span(us, i, &a, &b);
        i = b;
        if (b - a < 2)
            continue;
        int right_first = b - a == 3 && !is_word(ctx, a, a + 2) && is_word(ctx, a + 1, b);
        if (right_first) {
            for (size_t k = b - 1; k-- > a;)
                if (us->u[k].spoken == 3 && us->u[k + 1].spoken == 3)
                    us->u[k].spoken = 2;
        } else {
            /* Left to right, each pair judged on the citation tones (展览馆). */
            for (size_t k = a; k + 1 < b; k++)
                if (tone_of(&us->u[k]) == 3 && tone_of(&us->u[k + 1]) == 3)
                    us->u[k].spoken = 2;
        }
    }
}

/* A long run without punctuation gets a breath every ~14 syllables. */
#define MQ_BREATH_MAX 20     /* runs up to this many syllables stay whole */
#define MQ_BREATH_CHUNK 14   /* the length aimed at for each part */
#define MQ_BREATH_SLACK 4    /* how far from the aim a word boundary may be */
#define MQ_BREATH_HARD 48    /* a part never runs longer: absurd spelled runs
                                (ABCABC... for pages) are cut anyway */

/* How good a place the boundary before unit I is for a breath (higher is
 * better; 0 = inside a word, never). After a particle (的 地 得 了) or before a
 * conjunction (和 与 及 并 而 但) the phrase divides naturally. */
static int breath_score(const mq_units *us, size_t i)
{
    const mq_unit *u = &us->u[i];
    const mq_unit *pv = i > 0 ? &us->u[i - 1] : NULL;
    if (u->word == MQ_W_MID || u->word == MQ_W_END || !pv)
        return 0;
    /* Never inside a number, a date or a spelled word (one source position). */
    if (pv->cp && pv->src == u->src)
        return 0;
    /* Never between a preposition or a numeral and what it governs. */
    if (pv->word == MQ_W_SINGLE && in(pv->cp, "以在为对把被向从给跟将让使由于第每这那一两几个"))
        return 0;
    if (in(u->cp, "和与及并而但或"))
        return 4;
    if (in(pv->cp, "的地得了着过"))
        return 4;
    /* Between two words of two or more syllables, else next to a single one. */
    return pv->word == MQ_W_END && u->word == MQ_W_BEGIN ? 2 : 1;
}

int mq_rules_breath(mq_units *us)
{
    size_t extra = 0;
    size_t *cuts = NULL, ncuts = 0;
    for (size_t i = 0; i < us->n;) {
        size_t a = i;
        while (i < us->n && us->u[i].cp)
            i++;
        size_t n = i - a;  /* a run of syllables a..i-1 */
        if (i < us->n)
            i++;
        if (n <= MQ_BREATH_MAX)
            continue;
        size_t parts = (n + MQ_BREATH_CHUNK - 1) / MQ_BREATH_CHUNK, last = a;
        for (size_t p = 1; p < parts; p++) {
            size_t aim = a + n * p / parts, best = 0;
            int best_score = 0;
            for (size_t k = aim - MQ_BREATH_SLACK; k <= aim + MQ_BREATH_SLACK; k++) {
                if (k <= a + 3 || k + 3 >= a + n)
                    continue;
                /* Prefer the better place, then the one nearer the aim. */
                int sc = breath_score(us, k) * 16 - (int)(k > aim ? k - aim : aim - k);
                if (breath_score(us, k) && (!best || sc > best_score)) {
                    best = k;
                    best_score = sc;
                }
            }
            if (!best && aim - last >= MQ_BREATH_HARD)
                best = aim;
            if (!best)
                continue;
            last = best;
            size_t *nc = realloc(cuts, (ncuts + 1) * sizeof *nc);
            if (!nc) {
                free(cuts);
                return MQ_ENOMEM;
            }
            cuts = nc;
            cuts[ncuts++] = best;
        }
    }
    if (!ncuts)
        return MQ_OK;
    extra = ncuts;
    mq_unit *u = malloc((us->n + extra) * sizeof *u);
    if (!u) {
        free(cuts);
        return MQ_ENOMEM;
    }
    size_t w = 0, c = 0;
    for (size_t i = 0; i < us->n; i++) {
        if (c < ncuts && cuts[c] == i) {
            memset(&u[w], 0, sizeof u[w]);
            u[w].brk = MQ_BREAK_PHRASE;
            u[w].end = ',';
            u[w].forced = 1;
            u[w].src = us->u[i].src;
            w++;
            c++;
        }
        u[w++] = us->u[i];
    }
    free(us->u);
    free(cuts);
    us->u = u;
    us->n = us->cap = w;
    return MQ_OK;
}
