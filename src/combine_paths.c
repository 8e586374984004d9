/* combine_paths.c: the distinct file paths of the inputs, for the caller
 * to ask the combining coverage.py how it stores each ([paths],
 * relative_files, its own rewriting: choice.c), before the combine.
 *
 * Only each input's file table is read (combine_read.c), on the pool's
 * threads, COMBINE_WINDOW inputs in flight; the calling thread adds each
 * input's paths in the inputs' order, so a path comes in the order
 * coverage.py first meets it. An input that cannot be read fails the
 * whole, naming the first such input. */
#include "combine_paths.h"
#include "combine_read.h"
#include "pool.h"

#include <stdlib.h>
#include <string.h>

/* combine_paths()'s inputs in flight: each read on the pool's threads,
 * merged by the calling thread in their order. */
struct paths_run {
	const char *const *inputs;
	struct text *slot[COMBINE_WINDOW]; /* input i's paths in slot i %
					      COMBINE_WINDOW */
	size_t nslot[COMBINE_WINDOW];
	char slot_err[COMBINE_WINDOW]
		     [ERRLEN]; /* why the slot's input was not read */
	bool failed;	       /* an input was not read: err says */
	char err[ERRLEN];
	struct hashtab t;
	struct text *v;
	size_t cap;
};

/* pool's work: the file table of input i (any thread). An input that
 * cannot be read leaves its slot empty and says so. */
static void
paths_read(void *ctx, size_t i)
{
	struct paths_run *pr = ctx;
	struct input in;
	size_t k = i % COMBINE_WINDOW;

	memset(&in, 0, sizeof(in));
	in.path = pr->inputs[i];
	in.mapped = true;
	combine_read_files(&in);
	pr->slot[k] = in.files;
	pr->nslot[k] = in.nfiles;
	pr->slot_err[k][0] = '\0';
	if (in.s != COMBINE_OK)
		memcpy(pr->slot_err[k], in.err, ERRLEN);
	free(in.fileid.to);
}

/* pool's done: add input i's new paths (the calling thread, in order). */
static void
paths_merge(void *ctx, size_t i)
{
	struct paths_run *pr = ctx;
	size_t k = i % COMBINE_WINDOW, j;

	if (pr->slot_err[k][0] != '\0' && !pr->failed) {
		pr->failed = true;
		memcpy(pr->err, pr->slot_err[k], ERRLEN);
	}
	for (j = 0; j < pr->nslot[k]; j++) {
		const struct text *t = &pr->slot[k][j];

		if (!pr->failed)
			(void)hashtab_text(&pr->t, &pr->v, &pr->cap, t->s,
					   t->len);
		free(t->s);
	}
	free(pr->slot[k]);
	pr->slot[k] = NULL;
	pr->nslot[k] = 0;
}

int
combine_paths(const char *const *inputs, size_t n, char ***paths,
	      size_t *npaths, char *err)
{
	struct paths_run *pr = xcalloc(1, sizeof(*pr));
	int threads = sqlite_setup() ? pool_threads(n) : 1;
	size_t i;

	pr->inputs = inputs;
	pool_run(n, COMBINE_WINDOW, threads, paths_read, paths_merge, pr);
	*paths = xcalloc(pr->t.n + 1, sizeof(char *));
	*npaths = pr->t.n;
	for (i = 0; i < pr->t.n; i++)
		(*paths)[i] = pr->v[i].s; /* theirs now */
	free(pr->v);
	hashtab_free(&pr->t);
	if (pr->failed) {
		seterr(err, "%s", pr->err);
		for (i = 0; i < *npaths; i++)
			free((*paths)[i]);
		free(*paths);
		*paths = NULL;
		*npaths = 0;
		free(pr);
		return -1;
	}
	free(pr);
	return 0;
}
