/*
 * tools/lexicon-index.c — writes DIR/index.mqx, the checked index of the
 * pronunciation lexicon in DIR (voices/lexicon), made for the files'
 * contents. The build runs it (Makefile) so that a first `muqir` command,
 * one with --no-cache, and an installed copy need not check the lexicon's
 * 460 000 lines (16 ms on two threads) before the first word: like eSpeak
 * NG, whose dictionaries are compiled at build time.
 *
 *   build/lexicon-index voices/lexicon
 */
#include <stdio.h>

#include "text/mq_lexicon.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s LEXICON_DIR\n", argv[0]);
        return 2;
    }
    mq_error err = { 0 };
    if (mq_lexicon_write_index(argv[1], &err) != MQ_OK) {
        fprintf(stderr, "%s: %s\n", argv[0], err.msg);
        return 1;
    }
    return 0;
}
