/* main.c: covsettle's entry point: picks the command, handles --help and
 * --version, and returns the command's exit status. */
#include "cmd_check.h"
#include "cmd_gather.h"
#include "cmd_wait.h"
#include "exitcode.h"
#include "help.h"
#include "output.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: covsettle wait   [OPTIONS] DIR      block until DIR's data "
	"files have settled\n"
	"       covsettle check  [OPTIONS] PATH...  verify coverage.py data "
	"files\n"
	"       covsettle gather [OPTIONS] DIR      wait, check, combine and "
	"report\n"
	"       covsettle --help | --version\n"
	"Run 'covsettle COMMAND --help' for a command's options; see "
	"covsettle(1).\n";

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		help_version(stdout);
		return 0;
	}
	if (strcmp(argv[1], "wait") == 0)
		return cmd_wait(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "gather") == 0)
		return cmd_gather(argc - 1, argv + 1);
	out_error("unknown command '%s'", argv[1]);
	fputs(usage, stderr);
	return EXIT_USAGE;
}
