/* test_settle_loss.c: unit tests of which vanished data files are losses
 * (settle.c, struct vanished in settle.h): a file written since the wait's
 * own time began (settle_opts.since) that vanishes is coverage lost; a file
 * quiet since before that, removed by another program, is old data. Time is
 * a number the test passes in; no I/O. */
#include <criterion/criterion.h>

#include "fsig.h"
#include "settle.h"

#define A ".coverage.h.11.111111"
#define B ".coverage.h.22.222222"

static struct settle *
mk(bool new_only)
{
	/* The wait began at 10000 with a 500 ms window. */
	struct settle_opts o = { .expect = 1,
				 .debounce = 500,
				 .new_only = new_only,
				 .since = 9500 };

	return settle_new(&o);
}

static void
seen(struct settle *s, const char *name, ino_t ino, enum origin origin,
     msec_t when)
{
	struct fsig g = fsig_of(ino, 4096, 0);

	settle_seen(s, name, &g, origin, when);
}

Test(settle_loss, old_data_removed_is_no_loss)
{
	struct settle *s = mk(false);

	seen(s, A, 1, SEEN_INITIAL, 1000); /* written long before */
	settle_deleted(s, A, 10100);
	cr_assert_eq(settle_nvanished(s), 1);
	cr_assert(!settle_vanished(s, 0)->loss);
	cr_assert_eq(settle_nlost(s), 0);
	settle_free(s);
}

Test(settle_loss, file_written_just_before_the_wait_is_lost)
{
	struct settle *s = mk(false);

	seen(s, A, 1, SEEN_INITIAL, 9600); /* within the window before */
	settle_gone(s, A, 10100);
	cr_assert_eq(settle_nlost(s), 1);
	cr_assert(settle_vanished(s, 0)->loss);
	settle_free(s);
}

Test(settle_loss, file_written_during_the_wait_is_lost)
{
	struct settle *s = mk(false);

	seen(s, A, 1, SEEN_EVENT, 10200);
	settle_deleted(s, A, 10300);
	seen(s, B, 2, SEEN_INITIAL, 100);
	settle_deleted(s, B, 10400);
	cr_assert_eq(settle_nvanished(s), 2);
	cr_assert_eq(settle_nlost(s), 1);
	cr_assert_str_eq(settle_vanished(s, 0)->name, A);
	cr_assert(settle_vanished(s, 0)->loss);
	settle_free(s);
}

Test(settle_loss, file_created_and_deleted_between_two_looks_is_lost)
{
	struct settle *s = mk(true);

	settle_deleted(s, A, 10300); /* never stat'ed */
	cr_assert_eq(settle_nlost(s), 1);
	settle_free(s);
}

/* A rename (the same inode under a new name), and with --new-only a file
 * that was there before the wait (it never counted): neither vanished. */
Test(settle_loss, rename_and_uncounted_file_are_nothing)
{
	struct settle *s = mk(false), *n = mk(true);

	seen(s, A, 7, SEEN_EVENT, 10200);
	settle_gone(s, A, 10300);
	seen(s, B, 7, SEEN_EVENT, 10300);
	seen(n, A, 1, SEEN_INITIAL, 9900);
	settle_deleted(n, A, 10100);
	cr_assert_eq(settle_nvanished(s) + settle_nvanished(n), 0);
	cr_assert_eq(settle_nlost(s) + settle_nlost(n), 0);
	settle_free(s);
	settle_free(n);
}
