/* cmd_live_tui.c — the full-screen console of `muqir live` (ncursesw): the
 * cue list with the current and next cue, elapsed and remaining time, a
 * level meter, and the keys performers know from QLab and its kin. */
#include "cmd_live.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#define NCURSES_WIDECHAR 1
#include <curses.h>

typedef struct tui {
    live_session *s;
    long sel, top;
    double level;             /* shown level, dB: peaks held, falling 30 dB/s */
    char msg[512];
} tui;

static void fmt_time(char *out, size_t n, double s)
{
    if (s < 0)
        s = 0;
    snprintf(out, n, "%d:%04.1f", (int)(s / 60), fmod(s, 60));
}

static void say_msg(tui *t, const char *fmt, const char *a, long cue)
{
    snprintf(t->msg, sizeof t->msg, fmt, a, cue);
}

static void on_event(tui *t, const mq_live_event *e)
{
    const mq_cue *q = e->cue >= 0 ? mq_cues_get(t->s->cues, (size_t)e->cue) : NULL;
    const char *label = q ? q->label : "";
    switch (e->type) {
    case MQ_EV_CUE_START: say_msg(t, "GO: %s (cue %ld)", label, e->cue + 1); break;
    case MQ_EV_CUE_END: say_msg(t, "ended: %s (cue %ld)", label, e->cue + 1); break;
    case MQ_EV_CUE_FADED: say_msg(t, "faded out: %s (cue %ld)", label, e->cue + 1); break;
    case MQ_EV_SAY_START: snprintf(t->msg, sizeof t->msg, "ad-lib speaking"); break;
    case MQ_EV_SAY_END: snprintf(t->msg, sizeof t->msg, "ad-lib done"); break;
    case MQ_EV_GO_IGNORED: snprintf(t->msg, sizeof t->msg, "GO ignored: too soon after the last GO"); break;
    case MQ_EV_UNDERRUN: snprintf(t->msg, sizeof t->msg, "underrun (%lu so far)", e->count); break;
    case MQ_EV_DEVICE_ERROR:
        snprintf(t->msg, sizeof t->msg, "DEVICE: %.300s — cues kept; press r to reopen", e->text);
        break;
    case MQ_EV_DEVICE_OK: snprintf(t->msg, sizeof t->msg, "sound device open"); break;
    default: break;
    }
}

static void draw(tui *t)
{
    live_session *s = t->s;
    mq_live_status st;
    mq_live_status_get(s->live, &st);
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    erase();
    char lat[48] = "GO→sound –";
    if (st.last_latency_ms >= 0)
        snprintf(lat, sizeof lat, "GO→sound %.1f ms", st.last_latency_ms);
    attron(A_REVERSE);
    mvhline(0, 0, ' ', cols);
    mvprintw(0, 1, "muqir live — %s", mq_program_title(s->env->program));
    char right[256];
    snprintf(right, sizeof right, "%s %s  underruns %lu  %s ", st.device_ok ? "device" : "NO DEVICE",
             st.device_ok ? st.device : "", st.underruns, lat);
    mvprintw(0, cols - (int)strlen(right) > 0 ? cols - (int)strlen(right) : 0, "%s", right);
    attroff(A_REVERSE);
    long n = (long)mq_cues_count(s->cues);
    int list_rows = rows - 8 > 3 ? rows - 8 : 3;
    if (t->sel < t->top)
        t->top = t->sel;
    if (t->sel >= t->top + list_rows)
        t->top = t->sel - list_rows + 1;
    mvprintw(1, 1, "    #  cue");
    for (long i = t->top; i < n && i < t->top + list_rows; i++) {
        const mq_cue *q = mq_cues_get(s->cues, (size_t)i);
        int playing = 0;
        for (int k = 0; k < st.n_playing_cues; k++)
            playing |= st.playing_cues[k] == i;
        int y = 2 + (int)(i - t->top);
        if (i == t->sel)
            attron(A_REVERSE);
        char len[24];
        fmt_time(len, sizeof len, (double)q->frames / s->rate);
        mvprintw(y, 1, "%s %3ld  %-40s %8s %s", playing ? "▶" : i == st.next ? ">" : " ", i + 1,
                 q->label, len, q->follow_auto ? "auto" : "");
        if (i == t->sel)
            attroff(A_REVERSE);
    }
    int y = rows - 6;
    mvhline(y - 1, 0, ACS_HLINE, cols);
    if (st.current >= 0) {
        char el[24], rem[24];
        fmt_time(el, sizeof el, st.elapsed);
        fmt_time(rem, sizeof rem, st.remaining);
        mvprintw(y, 1, "NOW  %ld %s   elapsed %s   remaining %s", st.current + 1,
                 mq_cues_get(s->cues, (size_t)st.current)->label, el, rem);
    } else {
        mvprintw(y, 1, "NOW  —");
    }
    if (st.next >= 0)
        mvprintw(y + 1, 1, "NEXT %ld %s", st.next + 1, mq_cues_get(s->cues, (size_t)st.next)->label);
    else
        mvprintw(y + 1, 1, "NEXT — (end of the show)");
    /* Level: -60..0 dBFS over the meter's width. */
    int width = cols - 24 > 10 ? cols - 24 : 10;
    double db = isfinite(st.peak_db) ? st.peak_db : -120;
    t->level = db > t->level - 1.5 ? db : t->level - 1.5;
    db = t->level;
    int fill = (int)((db + 60) / 60 * width);
    mvprintw(y + 2, 1, "level [");
    for (int i = 0; i < width; i++)
        addch(i < fill ? (i > width * 55 / 60 ? '!' : '#') : '.');
    printw("] %5.1f dB%s", db < -99 ? -99.0 : db, st.paused ? "  PAUSED" : "");
    mvprintw(y + 3, 1, "%.*s", cols - 2, t->msg);
    attron(A_BOLD);
    mvprintw(y + 4, 1, "%.*s", cols - 2,
             "space GO  Enter GO selected  ↑↓ select  s stop  f fade  Esc panic  p pause  "
             "a ad-lib  r reopen  q quit");
    attroff(A_BOLD);
    refresh();
}

/* Reads a line at the bottom of the screen (UTF-8 into OUT); 0 on Esc. */
static int prompt(const char *question, char *out, size_t size)
{
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    (void)cols;
    move(rows - 2, 1);
    clrtoeol();
    printw("%s", question);
    echo();
    curs_set(1);
    timeout(-1);
    wchar_t w[256];
    int rc = getn_wstr((wint_t *)w, 255);
    noecho();
    curs_set(0);
    timeout(50);
    if (rc == ERR)
        return 0;
    w[255] = 0;
    size_t n = wcstombs(out, w, size - 1);
    if (n == (size_t)-1)
        return 0;
    out[n] = '\0';
    return 1;
}

int live_tui(live_session *s)
{
    setlocale(LC_ALL, "");
    if (!getenv("ESCDELAY"))
        setenv("ESCDELAY", "25", 1);   /* Esc is panic: it must not wait a second */
    if (!initscr()) {
        cli_error("cannot start the console on this terminal");
        return CLI_FAIL;
    }
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    timeout(50);
    tui t = { .s = s, .level = -120 };
    mq_live_status st;
    mq_live_status_get(s->live, &st);
    t.sel = st.next > 0 ? st.next : 0;
    snprintf(t.msg, sizeof t.msg, "%zu cues ready", mq_cues_count(s->cues));
    long n = (long)mq_cues_count(s->cues);
    int status = CLI_OK;
    for (;;) {
        mq_live_event e;
        mq_live_poll(s->live);
        while (mq_live_next_event(s->live, &e))
            on_event(&t, &e);
        mq_live_status_get(s->live, &st);
        draw(&t);
        if (cli_stop) {
            status = cli_stopped_status();
            break;
        }
        int c = getch();
        if (c == ERR)
            continue;
        mq_error err = { 0 };
        char line[1024];
        if (c == ' ' || c == '\n' || c == KEY_ENTER) {
            if (mq_live_go(s->live, c == ' ' ? -1 : t.sel, &err) < 0)
                snprintf(t.msg, sizeof t.msg, "%.500s", err.msg);
            mq_live_status_get(s->live, &st);
            if (st.next >= 0)
                t.sel = st.next;
        } else if (c == KEY_UP && t.sel > 0) {
            mq_live_set_next(s->live, --t.sel);
        } else if (c == KEY_DOWN && t.sel + 1 < n) {
            mq_live_set_next(s->live, ++t.sel);
        } else if (c == 's') {
            mq_live_stop(s->live);
        } else if (c == 27) {
            mq_live_panic(s->live);
            snprintf(t.msg, sizeof t.msg, "PANIC: everything fading out");
        } else if (c == 'p') {
            mq_live_pause(s->live, !st.paused);
        } else if (c == 'f') {
            if (prompt("fade everything out over how many seconds? [5] ", line, sizeof line)) {
                double secs = *line ? strtod(line, NULL) : 5;
                if (secs > 0 && secs <= 600)
                    mq_live_fade(s->live, secs);
                else
                    snprintf(t.msg, sizeof t.msg, "fade: give seconds, e.g. 5");
            }
        } else if (c == 'a') {
            if (prompt("ad-lib (Enter speaks it, Esc cancels): ", line, sizeof line) && *line) {
                snprintf(t.msg, sizeof t.msg, "speaking…");
                draw(&t);
                if (live_say(s, line, &err) != MQ_OK)
                    snprintf(t.msg, sizeof t.msg, "%.500s", err.msg);
            }
        } else if (c == 'r') {
            if (mq_live_reopen(s->live, &err) != MQ_OK)
                snprintf(t.msg, sizeof t.msg, "%.400s — press r to try again", err.msg);
        } else if (c == 'q') {
            if (!st.playing)
                break;
            if (prompt("sound is playing — quit anyway? (y/n) ", line, sizeof line) &&
                (line[0] == 'y' || line[0] == 'Y'))
                break;
        }
    }
    endwin();
    return status;
}
