/* mq_timeline.c — the SVG timeline; see mq_timeline.h. */
#include "mq_timeline.h"
#include "../util/mq_atomic.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define W 1200.0         /* picture width, px */
#define LEFT 70.0        /* room for lane names */
#define RIGHT 20.0
#define CURVE_TOP 50.0   /* loudness curve */
#define CURVE_H 110.0
#define ITEMS_TOP 180.0  /* item blocks */
#define ITEMS_H 56.0
#define BED_TOP 246.0    /* beds */
#define BED_H 22.0
#define AXIS_Y 290.0
#define H 320.0
#define LUFS_MIN (-50.0) /* curve range */
#define LUFS_MAX (-5.0)

static const char *colour(mq_item_kind k)
{
    switch (k) {
    case MQ_ITEM_ANNOUNCE: return "#3b7dd8";
    case MQ_ITEM_READ: return "#2a9d8f";
    case MQ_ITEM_MUSIC: return "#e9a23b";
    case MQ_ITEM_CLIP: return "#c8553d";
    default: return "#c9c9c9";
    }
}

/* XML-escapes S into F. */
static void esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* A tick interval that gives 6 to 15 ticks over TOTAL seconds. */
static double tick_step(double total)
{
    static const double steps[] = { 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600 };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (total / steps[i] <= 15)
            return steps[i];
    return 7200;
}

static double lufs_y(double l)
{
    if (!isfinite(l) || l < LUFS_MIN)
        l = LUFS_MIN;
    if (l > LUFS_MAX)
        l = LUFS_MAX;
    return CURVE_TOP + CURVE_H * (LUFS_MAX - l) / (LUFS_MAX - LUFS_MIN);
}

static void draw(FILE *f, const mq_mix *mix, const mq_program *p, const mq_curve *c)
{
    double total = 0;
    for (size_t i = 0; i < mq_mix_items(mix); i++) {
        const mq_mix_item *mi = mq_mix_item_info(mix, i);
        if (mi->reached && mi->start + mi->length > total)
            total = mi->start + mi->length;
    }
    if (total <= 0)
        total = 1;
    double sx = (W - LEFT - RIGHT) / total;
#define X(t) (LEFT + (t) * sx)
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\" font-family=\"Noto Sans CJK SC, sans-serif\" "
               "font-size=\"12\">\n", W, H, W, H);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fbfaf7\"/>\n<text x=\"%.0f\" "
               "y=\"26\" font-size=\"17\" font-weight=\"bold\">", LEFT);
    esc(f, mq_program_title(p));
    fprintf(f, "</text>\n");
    /* Loudness: grid every 10 LU, the target, the curve. */
    fprintf(f, "<text x=\"8\" y=\"%.0f\" fill=\"#555\">LUFS</text>\n", CURVE_TOP - 8);
    for (double l = -50; l <= -10; l += 10)
        fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e1da\"/>"
                   "<text x=\"%.0f\" y=\"%.1f\" fill=\"#999\" font-size=\"10\" "
                   "text-anchor=\"end\">%.0f</text>\n",
                LEFT, W - RIGHT, lufs_y(l), lufs_y(l), LEFT - 4, lufs_y(l) + 3, l);
    if (c && !isnan(c->target))
        fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#d04040\" "
                   "stroke-dasharray=\"6 4\"/><text x=\"%.0f\" y=\"%.1f\" fill=\"#d04040\" "
                   "font-size=\"10\" text-anchor=\"end\">target %.0f LUFS</text>\n",
                LEFT, W - RIGHT, lufs_y(c->target), lufs_y(c->target), W - RIGHT,
                lufs_y(c->target) - 4, c->target);
    if (c && c->n) {
        fprintf(f, "<polyline fill=\"none\" stroke=\"#333\" stroke-width=\"1.4\" points=\"");
        for (size_t i = 0; i < c->n; i++)
            fprintf(f, "%.1f,%.1f ", X((i + 1) * c->step), lufs_y(c->lufs[i]));
        fprintf(f, "\"/>\n");
    }
    /* Items. */
    fprintf(f, "<text x=\"8\" y=\"%.0f\" fill=\"#555\">items</text>\n", ITEMS_TOP + 32);
    for (size_t i = 0; i < mq_mix_items(mix); i++) {
        const mq_mix_item *mi = mq_mix_item_info(mix, i);
        const mq_item *it = mq_program_item(p, i);
        if (!mi->reached)
            continue;
        double x = X(mi->start), w = fmax(1.0, mi->length * sx);
        fprintf(f, "<g><title>%zu %s ", i + 1, mq_item_kind_name(it->kind));
        esc(f, it->name ? it->name : "");
        fprintf(f, " %.1f s</title><rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\" "
                   "rx=\"3\" fill=\"%s\" stroke=\"#fff\"/>", mi->length, x, ITEMS_TOP, w,
                ITEMS_H, colour(it->kind));
        if (w > 24) {
            /* Clip the label to its block. */
            fprintf(f, "<svg x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\"><text x=\"4\" "
                       "y=\"20\" fill=\"#fff\">", x, ITEMS_TOP, w, ITEMS_H);
            esc(f, it->name ? it->name : mq_item_kind_name(it->kind));
            fprintf(f, "</text><text x=\"4\" y=\"40\" fill=\"#fff\" font-size=\"10\">%s</text>"
                       "</svg>", mq_item_kind_name(it->kind));
        }
        fprintf(f, "</g>\n");
        if (it->bed) {
            double bx = X(mi->start);
            fprintf(f, "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\" fill=\"%s\" "
                       "opacity=\"0.55\"/>\n", bx, BED_TOP, w, BED_H, colour(MQ_ITEM_MUSIC));
        }
    }
    /* Ducked stretches of the beds: the bed sinks while speech sounds. */
    fprintf(f, "<text x=\"8\" y=\"%.0f\" fill=\"#555\">beds</text>\n", BED_TOP + 15);
    for (size_t i = 0; i < mq_mix_ducks(mix); i++) {
        const mq_duck_span *d = mq_mix_duck(mix, i);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\" fill=\"#7a4d10\" "
                   "opacity=\"0.8\"><title>ducked %.1f–%.1f s</title></rect>\n",
                X(d->start), BED_TOP + BED_H / 2, fmax(1.0, (d->end - d->start) * sx), BED_H / 2,
                d->start, d->end);
    }
    /* Time axis. */
    double step = tick_step(total);
    fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"#555\"/>\n", LEFT,
            W - RIGHT, AXIS_Y, AXIS_Y);
    for (double t = 0; t <= total + 1e-9; t += step) {
        int s = (int)llround(t);
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"#555\"/>"
                   "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\" fill=\"#555\" "
                   "font-size=\"10\">%d:%02d</text>\n",
                X(t), X(t), AXIS_Y, AXIS_Y + 5, X(t), AXIS_Y + 17, s / 60, s % 60);
    }
    /* Legend. */
    static const mq_item_kind kinds[] = { MQ_ITEM_ANNOUNCE, MQ_ITEM_READ, MQ_ITEM_MUSIC,
                                          MQ_ITEM_CLIP, MQ_ITEM_PAUSE };
    for (int i = 0; i < 5; i++)
        fprintf(f, "<rect x=\"%.0f\" y=\"14\" width=\"10\" height=\"10\" fill=\"%s\"/><text "
                   "x=\"%.0f\" y=\"23\" font-size=\"11\">%s</text>\n", W - 430 + i * 82.0,
                colour(kinds[i]), W - 416 + i * 82.0, mq_item_kind_name(kinds[i]));
    fprintf(f, "</svg>\n");
#undef X
}

int mq_timeline_write_svg(const mq_mix *mix, const mq_program *program, const mq_curve *curve,
                          const char *path, mq_error *err)
{
    mq_atomic a;
    if (mq_atomic_open(&a, path, err))
        return MQ_EIO;
    draw(a.f, mix, program, curve);
    return mq_atomic_commit(&a, err);
}
