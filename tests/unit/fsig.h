/* fsig.h: the signature of a data file that the settle tests pass to
 * settle_seen(), on device 1: no file behind it. */
#ifndef COVSETTLE_TEST_FSIG_H
#define COVSETTLE_TEST_FSIG_H

#include <string.h>

#include "settle.h"

static inline struct fsig
fsig_of(ino_t ino, off_t size, time_t mtime)
{
	struct fsig g;

	memset(&g, 0, sizeof(g));
	g.dev = 1;
	g.ino = ino;
	g.size = size;
	g.mtime.tv_sec = mtime;
	g.ctime.tv_sec = mtime;
	return g;
}

#endif
