/* main.c — the muqir command: dispatch to the subcommands (design.md). */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#ifndef MQ_VERSION
#define MQ_VERSION "0.1"
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "muqir %s — Mandarin text-to-speech for broadcast and live shows\n\n"
            "usage:\n"
            "  muqir check  PROGRAM            validate; print the running order with lengths\n"
            "  muqir render PROGRAM -o OUT     export (.wav .flac .ogg .opus .mp3; --srt --cue --timeline)\n"
            "  muqir say    TEXT -o OUT        speak one line into a file\n"
            "  muqir pinyin TEXT | -f FILE     show how text will be read (--phonemes: eSpeak NG's)\n"
            "  muqir voices                    list voice presets\n"
            "  muqir play   PROGRAM | DIR      play through the sound device (--device NAME|INDEX);\n"
            "                                  DIR: a bundle, no synthesis (keys n p r space q)\n"
            "  muqir live   PROGRAM            cue-by-cue live console (commands on stdin when not a tty)\n"
            "  muqir devices                   list sound outputs\n"
            "  muqir bundle PROGRAM -o DIR     every item as its own file + playlist + manifest\n\n"
            "exit status: 0 success, 1 failure while working, 2 bad usage or bad input,\n"
            "             130 stopped by Ctrl-C, 143 stopped by SIGTERM\n",
            MQ_VERSION);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("muqir %s\n", MQ_VERSION);
        return CLI_OK;
    }
    static const struct { const char *name; int (*fn)(int, char **); } cmds[] = {
        { "check", cmd_check }, { "render", cmd_render }, { "say", cmd_say },
        { "pinyin", cmd_pinyin }, { "voices", cmd_voices }, { "play", cmd_play },
        { "devices", cmd_devices }, { "live", cmd_live }, { "bundle", cmd_bundle },
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(cmd, cmds[i].name))
            continue;
        optind = 1;
        return cmds[i].fn(argc - 1, argv + 1);
    }
    cli_error("unknown command '%s' (see 'muqir --help')", cmd);
    return CLI_USAGE;
}
