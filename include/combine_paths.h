/* combine_paths.h: the distinct file paths of the native combine's inputs
 * (combine_paths.c), which the combining coverage.py is asked to map
 * before the combine. */
#ifndef COVSETTLE_COMBINE_PATHS_H
#define COVSETTLE_COMBINE_PATHS_H

#include <stddef.h>

/* The distinct file paths of inputs (n of them), in the order they first
 * appear: 0 with *paths (malloc'd, each path malloc'd) and *npaths, or
 * -1 with err. Only the file table is read. */
int combine_paths(const char *const *inputs, size_t n, char ***paths,
		  size_t *npaths, char *err);

#endif
