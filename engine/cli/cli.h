/*
 * cli.h — what the command-line front end shares. Only cli/ prints and
 * chooses exit statuses: 0 success, 1 failure while working, 2 bad usage or
 * bad input (design.md, "Command line").
 */
#ifndef MQ_CLI_H
#define MQ_CLI_H

#include <signal.h>
#include "../audio/mq_mix.h"
#include "../output/mq_render.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

extern const char *cli_prog;           /* "muqir" */
extern volatile sig_atomic_t cli_stop; /* the signal (SIGINT/SIGTERM) that asked to stop; 0 */

/* The exit status of a command stopped by cli_stop's signal: 130 for Ctrl-C
 * (SIGINT), 143 for SIGTERM, as a shell reports a process the signal killed. */
int cli_stopped_status(void);

/* The folder holding voices/NAME.yaml and voices/lexicon: $MUQIR_VOICES, else
 * ../voices next to the executable (a build tree), else the installed one. */
const char *cli_voices_dir(void);

/* Prints "muqir: MESSAGE" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints every diagnostic, one per line, and "N errors" when more were cut. */
void cli_print_diags(const mq_diags *d);
/* Maps a library error to an exit status (bad input 2, anything else 1). */
int cli_status(int code);

/* Everything a command that speaks needs, opened in order. */
enum { CLI_AHEAD_ALL = 1, CLI_AHEAD_OVERLAP = 2 };

typedef struct cli_env {
    mq_voiceset *voices;
    mq_reader *reader;
    mq_speech *speech;
    mq_program *program;
    /* Set by the command line before cli_prepare: */
    int no_cache;           /* --no-cache: a private cache, removed afterwards */
    int jobs;               /* --jobs N: synthesis processes; 0 = one per core */
    int ahead;              /* CLI_AHEAD_ALL: synthesize every item up front, in
                               parallel (check, bundle); CLI_AHEAD_OVERLAP: the same in
                               the background while the mix runs (render); 0: play —
                               this process speaks the first item at once, the rest
                               in the background */
    /* Opened by cli_prepare: */
    mq_cache *cache;
    char private_cache[4096];   /* the --no-cache folder to remove, or "" */
} cli_env;

/* cli_open_voices, cli_load_program (PATH) and cli_prepare in one. */
int cli_open_program(cli_env *e, const char *path, int channels, mq_render **r);

/* Parses "--jobs N" / "--no-cache" values shared by the commands that speak:
 * sets E from OPT (the getopt_long return: 'j' or 'N') and OPTARG. Returns 0,
 * or CLI_USAGE after printing why. */
int cli_speech_option(cli_env *e, int opt, const char *optarg);

/* Each opens one part and prints its own error; they return a CLI_ status. */
int cli_open_voices(cli_env *e);
int cli_open_reader(cli_env *e);
int cli_open_speech(cli_env *e);
/* Loads PATH (voices must be open); prints diagnostics on failure. */
int cli_load_program(cli_env *e, const char *path);
/* Adds the entries of a lexicon file (TEXT<TAB>pinyin a line) to the reader;
 * prints located errors. */
int cli_load_lexicon_file(cli_env *e, const char *path);
/* Adds the program's lexicon entries to the reader; diagnostics on failure. */
int cli_apply_lexicon(cli_env *e);
void cli_env_free(cli_env *e);
/* With the program loaded: opens the reader, applies the program's lexicon,
 * reads and checks every item (printing every problem), synthesizes the
 * speech the cache lacks in parallel worker processes, then starts this
 * process's synthesizer. *R renders CHANNELS channels (0 = the program's). */
int cli_prepare(cli_env *e, int channels, mq_render **r);

/* Creates the mixer over a prepared program (every audio file is opened and
 * checked; problems printed). */
int cli_mix(cli_env *e, mq_render *r, mq_mix **mix);

/* Whether A and B name the same file: the same inode when both exist, else
 * the same name once the folders are resolved (symbolic links, ".."). */
int cli_same_file(const char *a, const char *b);

/* CLI_OK when DEST (written for option FLAG, e.g. "--srt") is not a file
 * program P uses; else CLI_USAGE, with the message naming which file and
 * where the program names it. */
int cli_refuse_input(const mq_program *p, const char *dest, const char *flag);

/* Removes what a killed earlier run left beside PATH: its temporary files
 * (".NAME.XXXXXX") when untouched for 10 minutes. */
void cli_clean_stale(const char *path);

/* Installs SIGINT/SIGTERM/SIGHUP handlers that set cli_stop. */
void cli_catch_signals(void);
/* The same, for a command that writes files (render, say, bundle): SIGPIPE
 * is ignored as well. */
void cli_catch_signals_writing(void);

/* Writes PATH's folder into DIR ("." without a slash, "/" at the root) and
 * returns its last part. */
const char *cli_dir_of(const char *path, char *dir, size_t size);

/* Progress on stderr when it is a terminal: "\r[3/7] item name  42%". */
typedef struct cli_progress {
    int enabled;
    size_t total, done;
} cli_progress;
void cli_progress_init(cli_progress *p, int quiet);
void cli_progress_show(cli_progress *p, const char *what, double fraction);
void cli_progress_end(cli_progress *p);

/* Live playback (cmd_play.c): device options from --device and the
 * environment (MUQIR_DEVICE_CLOCK=system paces a clockless test device), and
 * the terminal in raw mode for single keys, restored at exit. */
struct mq_device_opts;
void cli_device_opts(struct mq_device_opts *o, const char *name, int rate, int channels);
int cli_term_raw(void);
void cli_term_restore(void);

/* `muqir play DIR` (cmd_play_bundle.c): plays a field bundle; PATH is one
 * that mq_bundle_is_path accepts. Returns the exit status. */
int cli_play_bundle(const char *path, const char *device, int quiet);

int cmd_check(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_say(int argc, char **argv);
int cmd_pinyin(int argc, char **argv);
int cmd_voices(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_play(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_live(int argc, char **argv);

#endif
