/* names.h: which directory entries are coverage.py data files, what a
 * data file's name says about its writer (era, host, pid, and whether its
 * save has ended), and which names are a Python interpreter's. */
#ifndef COVSETTLE_NAMES_H
#define COVSETTLE_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define DEFAULT_PATTERN ".coverage.*"

/* Does name (a path or a command word) name a Python interpreter: python
 * or pypy, then a version (digits and dots) and ABI flags (d, m, u), as
 * python3, python3.11, python3.11d, pypy3? The one rule for both
 * questions: is this command coverage.py run by a Python (coverage.c), and
 * is this process a Python (writer.c, where a name can only say yes). */
bool names_python(const char *name);

/* True when name matches the glob and is not an SQLite side file
 * (-journal, -wal, -shm), a temporary file (*.tmp, *~) or one of
 * covsettle's own (.covsettle*: the gather lock and staging). */
bool name_is_datafile(const char *pattern, const char *name);

/* True when name is an SQLite side file of a data file matching pattern:
 * its changes count as changes of the data file. */
bool name_is_sidefile(const char *pattern, const char *name);

/* The three eras of names coverage.py gives parallel data files. */
enum name_era {
	ERA_NONE,    /* no writer fields: an explicit suffix, or another name */
	ERA_DIGITS,  /* BASE.HOST.PID.NNNNNN (6.x to 7.3.2) */
	ERA_LETTERS, /* BASE.HOST.PID.X<6 letters>x (7.3.3 to 7.13.0) */
	ERA_RENAME,  /* BASE.HOST_.pid<PID>.X<6 alnum>x, renamed to
			...x.H<10 alnum>h when the save ends (7.13.1 and on) */
};

/* What a data file name says, read from the right. */
struct name_fields {
	enum name_era era;
	pid_t pid;	 /* the writer's pid (era != ERA_NONE) */
	size_t head_len; /* BASE.HOST: the host may hold dots (eras 1, 2) */
	size_t host_off; /* era 3: the host field, dots written as '_' */
	size_t host_len; /* era 3 only, else 0 */
	size_t base_len; /* the name less .H...h: one save's two names share
			    it (the whole name in eras 1 and 2) */
	bool unfinished; /* era 3 without .H...h: its save has not ended */
};

/* Parse name; false (and era ERA_NONE, base_len the whole name) when it
 * has no writer fields of any era. The base before the host may hold
 * dots (data_file = .coverage.api): fields are read from the right. */
bool name_parse(const char *name, struct name_fields *nf);

/* True when name is an era-3 name without its .H...h part. */
bool name_unfinished(const char *name);

/* True when the writer named in a parsed name ran on host: in eras 1 and 2
 * the head ends with ".HOST"; in era 3 the host field is host with every
 * '.' written as '_'. */
bool name_host_is(const char *name, const struct name_fields *nf,
		  const char *host);

#endif
