/* cmd_text.c — `muqir pinyin` (proofreading the reading) and `muqir voices`. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints the reading (or the phonemes) of one line; returns a CLI_ status. */
static int pinyin_line(cli_env *e, const mq_voice *v, const char *line, size_t len,
                       int phonemes, const char *where)
{
    mq_error err = { 0 };
    mq_reading *r = NULL;
    /* One input line gives one output line: paragraph breaks cannot occur.
     * Columns are the line's as written (spaces the cleaning drops count). */
    mq_reader_read_text(e->reader, line, len, &r, &err);
    if (!r) {
        putchar('\n');
        /* The text stage saw one line, so it says "1:COLUMN: ..."; in a file
         * that is FILE:LINE:COLUMN (WHERE is "FILE:LINE"). */
        int l, col, k = 0;
        if (strchr(where, ':') && sscanf(err.msg, "%d:%d: %n", &l, &col, &k) == 2 && k > 0 &&
            l == 1)
            fprintf(stderr, "%s:%d: %s\n", where, col, err.msg + k);
        else
            fprintf(stderr, "%s:%s\n", where, err.msg);
        return cli_status(err.code);
    }
    int st = CLI_OK;
    /* Characters the reading cannot read are left out: say so, where. */
    for (size_t k = 0; k < mq_reading_unread_count(r) && k < MQ_READING_UNREAD_KEPT; k++) {
        char ch[5];
        int l, col;
        mq_reading_unread(r, k, ch, &l, &col);
        /* As for errors: FILE:LINE:COLUMN, or argument:1:COLUMN. */
        if (strchr(where, ':'))
            fprintf(stderr, "%s:%d: ", where, col);
        else
            fprintf(stderr, "%s:%d:%d: ", where, l, col);
        fprintf(stderr, "warning: '%s' has no known reading and is not spoken; give it one, "
                "such as %s{pinyin}\n", ch, ch);
    }
    if (!phonemes) {
        char *s = mq_reading_format(r);
        printf("%s\n", s ? s : "");
        free(s);
    } else {
        for (size_t i = 0; i < mq_reading_phrase_count(r); i++) {
            char ph[8192];
            if (mq_speech_phonemes(e->speech, v, mq_reading_phrase(r, i)->spoken, ph, sizeof ph,
                                   &err) != MQ_OK) {
                cli_error("%s", err.msg);
                st = CLI_FAIL;
                break;
            }
            printf("%s%s", i ? " | " : "", ph);
        }
        putchar('\n');
    }
    mq_reading_free(r);
    return st;
}

int cmd_pinyin(int argc, char **argv)
{
    static const struct option opts[] = {
        { "file", required_argument, NULL, 'f' }, { "phonemes", no_argument, NULL, 'x' },
        { "voice", required_argument, NULL, 'v' }, { "lexicon", required_argument, NULL, 'l' },
        { "stats", no_argument, NULL, 's' }, { "help", no_argument, NULL, 'h' }, { 0 } };
    const char *usage = "muqir pinyin TEXT... | -f FILE|- [--phonemes] [--voice NAME] "
                        "[--lexicon FILE] [--stats]";
    const char *file = NULL, *voice = "announcer", *lexicon = NULL;
    int phonemes = 0, stats = 0, c;
    while ((c = getopt_long(argc, argv, "f:xv:l:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': file = optarg; break;
        case 'x': phonemes = 1; break;
        case 'l': lexicon = optarg; break;
        case 's': stats = 1; break;
        case 'v': voice = optarg; break;
        case 'h': printf("usage: %s\n", usage); return CLI_OK;
        default: fprintf(stderr, "usage: %s\n", usage); return CLI_USAGE;
        }
    }
    if ((file != NULL) == (optind < argc)) {
        cli_error("pinyin: give TEXT or -f FILE (usage: %s)", usage);
        return CLI_USAGE;
    }
    cli_env e = { 0 };
    int st = cli_open_reader(&e);
    if (st == CLI_OK && lexicon)
        st = cli_load_lexicon_file(&e, lexicon);
    if (st == CLI_OK && stats)
        fprintf(stderr, "%s: lexicon %s/lexicon: %.1f MB (mapped files and index)\n", cli_prog,
                cli_voices_dir(), mq_reader_memory(e.reader) / 1048576.0);
    const mq_voice *v = NULL;
    if (st == CLI_OK && phonemes) {
        st = cli_open_voices(&e);
        if (st == CLI_OK && !(v = mq_voiceset_find(e.voices, voice))) {
            cli_error("unknown voice '%s' (see 'muqir voices')", voice);
            st = CLI_USAGE;
        }
        if (st == CLI_OK)
            st = cli_open_speech(&e);
    }
    if (st != CLI_OK) {
        cli_env_free(&e);
        return st;
    }
    if (!file) {
        for (int i = optind; i < argc && st == CLI_OK; i++)
            st = pinyin_line(&e, v, argv[i], strlen(argv[i]), phonemes, "argument");
        cli_env_free(&e);
        return st;
    }
    FILE *f = strcmp(file, "-") ? fopen(file, "rb") : stdin;
    if (!f) {
        cli_error("%s: %s", file, strerror(errno));
        cli_env_free(&e);
        return CLI_USAGE;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        char where[512];
        snprintf(where, sizeof where, "%s:%d", strcmp(file, "-") ? file : "<stdin>", lineno);
        int s2 = pinyin_line(&e, v, line, (size_t)n, phonemes, where);
        if (s2 != CLI_OK)
            st = s2;
        fflush(stdout);
    }
    free(line);
    if (f != stdin)
        fclose(f);
    cli_env_free(&e);
    return st;
}

int cmd_voices(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        cli_error("voices takes no arguments");
        return CLI_USAGE;
    }
    cli_env e = { 0 };
    int st = cli_open_voices(&e);
    if (st != CLI_OK)
        return st;
    for (size_t i = 0; i < mq_voiceset_count(e.voices); i++) {
        const mq_voice *v = mq_voiceset_get(e.voices, i);
        printf("%-14s %s\n", v->name, v->description);
    }
    cli_env_free(&e);
    return CLI_OK;
}
