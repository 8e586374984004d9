/* names.h: which directory entries are coverage.py data files, and what a
 * data file's name says about its writer (host and pid). */
#ifndef COVSETTLE_NAMES_H
#define COVSETTLE_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define DEFAULT_PATTERN ".coverage.*"

/* True when name matches the glob and is not an SQLite side file
 * (-journal, -wal, -shm), a temporary file (*.tmp, *~) or one of
 * covsettle's own (.covsettle*: the gather lock and staging). */
bool name_is_datafile(const char *pattern, const char *name);

/* True when name is an SQLite side file of a data file matching pattern:
 * its changes count as changes of the data file. */
bool name_is_sidefile(const char *pattern, const char *name);

/* Parse the writer out of a parallel data file name, from the right:
 * PREFIX.<host>.<pid>.<6 digits> (coverage.py 6.x to 7.3.2) or
 * PREFIX.<host>.<pid>.X<6 letters>x (7.3.3 and later), each optionally
 * followed by .H<hash>h (7.13 and later). The host may contain dots.
 * On success stores the pid and the offset and length of everything
 * before ".<pid>" (PREFIX.<host>) and returns true. */
bool name_writer(const char *name, pid_t *pid, size_t *head_len);

/* True when the data file's host field is host. prefix is the literal
 * start of the pattern (".coverage." by default); when the name does not
 * start with it, the host field is compared as a dotted suffix. */
bool name_host_is(const char *name, size_t head_len, const char *prefix,
		  const char *host);

/* The literal prefix of a glob, up to its first wildcard, into buf. */
void name_glob_prefix(const char *pattern, char *buf, size_t len);

#endif
