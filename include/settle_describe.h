/* settle_describe.h: what a wait is still waiting for, in one line
 * (settle_describe.c), of the settle table (settle.h). */
#ifndef COVSETTLE_SETTLE_DESCRIBE_H
#define COVSETTLE_SETTLE_DESCRIBE_H

#include <stddef.h>

#include "settle.h"

/* One line saying what the directory is still waiting for at now. */
void settle_describe(const struct settle *s, msec_t now, char *buf, size_t len);

#endif
