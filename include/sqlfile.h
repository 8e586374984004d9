/* sqlfile.h: the rows of one table read straight from the pages of an
 * SQLite database file, as its documented file format lays them out, for
 * the native combine's inputs: files that passed their check and do not
 * change. Only the simple case is read: every row small enough to sit in
 * its leaf page, every value an integer. Anything else ends the read with
 * SQLFILE_OTHER, and the caller reads the table through SQLite. */
#ifndef COVSETTLE_SQLFILE_H
#define COVSETTLE_SQLFILE_H

#include <stdbool.h>
#include <stdint.h>

/* The first 16 bytes of every SQLite database file, its NUL included
 * (the file format's "magic header string"). */
#define SQLFILE_MAGIC "SQLite format 3"

enum sqlfile_status {
	SQLFILE_OK,
	SQLFILE_OTHER,	/* outside the simple case: read it with SQLite */
	SQLFILE_STOPPED /* row() said stop */
};

/* Call row(arg, v) for every row of the table whose root is page root of
 * the database file open at fd, in rowid order, v its first ncols (1 to
 * 8) values; the row must have exactly ncols, all integers. row() returns
 * 0 to go on. Rows already passed to row() stay passed when the read ends
 * with SQLFILE_OTHER. */
enum sqlfile_status sqlfile_rows(int fd, uint32_t root, int ncols,
				 int (*row)(void *arg, const int64_t *v),
				 void *arg);

/* Should tables be read from their pages at all? Not when the environment
 * has COVSETTLE_SQLFILE=0: SQLite then reads every row, which is how a
 * difference between the two readers is triaged. */
bool sqlfile_wanted(void);

#endif
