/* help.h: what `covsettle COMMAND --help` and `covsettle --version` say:
 * every option of a command with a line on what it does and its default,
 * and the libraries covsettle runs with. */
#ifndef COVSETTLE_HELP_H
#define COVSETTLE_HELP_H

#include <stdio.h>

/* Print the help of cmd ("wait", "check" or "gather") to f. */
void help_command(FILE *f, const char *cmd);

/* Print covsettle's version and those of libinotifytools and SQLite. */
void help_version(FILE *f);

#endif
