/* cmd_live_tui.c — placeholder until the console lands. */
#include "cmd_live.h"

int live_tui(live_session *s)
{
    (void)s;
    cli_error("the console is not ready; pipe commands into stdin");
    return CLI_FAIL;
}
