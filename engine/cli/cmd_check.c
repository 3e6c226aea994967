/* cmd_check.c — `muqir check PROGRAM`: validate, then print the running order
 * with the length of every item, measured by rendering its speech (eSpeak NG
 * synthesizes a minute of speech in well under a second), so that the total
 * is the length `render` will write. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
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
    static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            printf("usage: %s check PROGRAM\n", cli_prog);
            return CLI_OK;
        }
        return CLI_USAGE;
    }
    if (optind + 1 != argc) {
        cli_error("check: expected one PROGRAM (usage: %s check PROGRAM)", cli_prog);
        return CLI_USAGE;
    }
    const char *path = argv[optind];
    cli_env e = { 0 };
    int st = cli_open_voices(&e);
    if (st == CLI_OK)
        st = cli_load_program(&e, path);
    mq_render *r = NULL;
    if (st == CLI_OK)
        st = cli_prepare(&e, 1, &r);
    if (st != CLI_OK) {
        mq_render_free(r);
        cli_env_free(&e);
        return st;
    }
    const mq_output_opts *out = mq_program_output(e.program);
    mq_error err = { 0 };
    printf("%s\n", mq_program_title(e.program));
    printf(" #  kind      name                voice         length   start\n");
    double total = 0;
    mq_buf buf = { .channels = 1 };
    for (size_t i = 0; i < mq_program_item_count(e.program) && st == CLI_OK; i++) {
        const mq_item *it = mq_program_item(e.program, i);
        buf.frames = 0;
        if (mq_render_item(r, i, &buf, &err) != MQ_OK) {
            cli_error("%s", err.msg);
            st = cli_status(err.code);
            break;
        }
        double len = (double)buf.frames / out->rate;
        char t1[32], t2[32];
        printf("%2zu  %-8s  ", i + 1, mq_item_kind_name(it->kind));
        print_padded(it->name ? it->name : "-", 20);
        printf("%-12s  %7s  %7s\n", it->voice ? it->voice : "-",
               fmt_time(len, t1, sizeof t1), fmt_time(total, t2, sizeof t2));
        total += len;
    }
    mq_buf_free(&buf);
    if (st == CLI_OK) {
        char t[32];
        printf("total %s (%.2f s), %zu items, %d Hz, %d channel%s\n", fmt_time(total, t, sizeof t),
               total, mq_program_item_count(e.program), out->rate, out->channels,
               out->channels == 1 ? "" : "s");
    }
    mq_render_free(r);
    cli_env_free(&e);
    return st;
}
