/* cmd_check.c — `muqir check PROGRAM`: validate, then print the running order
 * with where every item starts and how long it lasts, measured by running the
 * mixer over the whole program (eSpeak NG synthesizes a minute of speech in
 * well under a second), so the total is the length `render` will write. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Formats SECONDS as M:SS.s or H:MM:SS. */
static const char *fmt_time(double s, char *buf, size_t n)
{
    long t = (long)(s * 10 + 0.5);
    if (t >= 36000)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 36000, t / 600 % 60, t / 10 % 60);
    else
        snprintf(buf, n, "%ld:%02ld.%ld", t / 600, t / 10 % 60, t % 10);
    return buf;
}

/* Display width of a UTF-8 string: CJK counts two columns. */
static int width(const char *s)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xC0) == 0x80)
            continue;
        w += *p >= 0xE0 ? 2 : 1;
    }
    return w;
}

static void print_padded(const char *s, int cols)
{
    fputs(s, stdout);
    for (int w = width(s); w < cols; w++)
        putchar(' ');
}

int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
                                          { "no-cache", no_argument, NULL, 'N' },
                                          { "jobs", required_argument, NULL, 'j' }, { 0 } };
    int c;
    cli_env e = { .ahead = CLI_AHEAD_ALL };
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            printf("usage: %s check PROGRAM [--no-cache] [--jobs N]\n", cli_prog);
            return CLI_OK;
        }
        if ((c == 'N' || c == 'j') && !cli_speech_option(&e, c, optarg))
            continue;
        return CLI_USAGE;
    }
    if (optind + 1 != argc) {
        cli_error("check: expected one PROGRAM (usage: %s check PROGRAM)", cli_prog);
        return CLI_USAGE;
    }
    cli_catch_signals();
    mq_render *r = NULL;
    mq_mix *mix = NULL;
    int st = cli_open_program(&e, argv[optind], 1, &r);
    if (st == CLI_OK)
        st = cli_mix(&e, r, &mix);
    const mq_output_opts *out = st == CLI_OK ? mq_program_output(e.program) : NULL;
    float *buf = st == CLI_OK ? malloc(4096 * sizeof *buf * (size_t)out->channels) : NULL;
    mq_error err = { 0 };
    long got = 1;
    size_t total = 0;
    while (st == CLI_OK && buf && (got = mq_mix_read(mix, buf, 4096, &err)) > 0)
        total += (size_t)got;
    if (st == CLI_OK && got < 0) {
        cli_error("%s", err.msg);
        st = err.code == MQ_EINTERRUPTED ? cli_stopped_status() : cli_status(err.code);
    }
    if (st == CLI_OK) {
        printf("%s\n", mq_program_title(e.program));
        printf(" #  kind      name                voice         start    length\n");
        for (size_t i = 0; i < mq_program_item_count(e.program); i++) {
            const mq_item *it = mq_program_item(e.program, i);
            const mq_mix_item *mi = mq_mix_item_info(mix, i);
            char t1[32], t2[32];
            printf("%2zu  %-8s  ", i + 1, mq_item_kind_name(it->kind));
            print_padded(it->name ? it->name : "-", 20);
            printf("%-12s  %7s  %7s%s\n", it->voice ? it->voice : "-",
                   fmt_time(mi->start, t1, sizeof t1), fmt_time(mi->length, t2, sizeof t2),
                   it->bed ? "  (over a bed)" : "");
        }
        char t[32];
        double secs = (double)total / out->rate;
        printf("total %s (%.2f s), %zu items, %d Hz, %d channel%s\n", fmt_time(secs, t, sizeof t),
               secs, mq_program_item_count(e.program), out->rate, out->channels,
               out->channels == 1 ? "" : "s");
    }
    free(buf);
    mq_mix_free(mix);
    mq_render_free(r);
    cli_env_free(&e);
    return st;
}
