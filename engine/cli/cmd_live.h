/* cmd_live.h — what the two faces of `muqir live` share: the line commands
 * (stdin, cmd_live.c) and the full-screen console (cmd_live_tui.c). */
#ifndef MQ_CMD_LIVE_H
#define MQ_CMD_LIVE_H

#include "cli.h"
#include "../live/mq_live.h"

typedef struct live_session {
    cli_env *env;
    mq_cues *cues;
    mq_live *live;
    mq_cues **said;           /* ad-libs the engine may still read
                                 (mq_live_holds; see live_say) */
    size_t n_said;
    int rate, channels;
} live_session;

/* Synthesizes TEXT with the program's voice on this thread (the only one
 * that calls eSpeak NG) and speaks it over the show. MQ_OK or an error with
 * ERR set (an empty text is MQ_EINPUT). */
int live_say(live_session *s, const char *text, mq_error *err);

/* The full-screen console; returns the exit status. */
int live_tui(live_session *s);

#endif
