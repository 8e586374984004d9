/* settle_describe.c: what a wait is still waiting for, in one line.
 *
 * At the timeout, and for -v, the wait says what kept the directory from
 * settling, in the terms of the settle rule (settle.c): the count against
 * --expect, a trigger still running, the files still being written (open
 * for writing, a writer alive or kept, a busy check, or not checked since
 * they changed) and those failing their check (with what is known of a
 * writer whose pid proved nothing), DESCRIBE_NAMES of each named and the
 * rest counted, the processes born with the writers still running, and
 * when the last change was. It reads the table through settle.h only. */
#include "settle_describe.h"
#include "parse.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#define DESCRIBE_NAMES 4

/* Append "name (why)" items to buf, DESCRIBE_NAMES at most. */
static void
list_files(const struct settle *s, char *buf, size_t len, const char *label,
	   bool (*pick)(const struct sfile *),
	   void (*why)(const struct sfile *, char *, size_t))
{
	char item[REASONLEN + 192];
	size_t i, n = 0, used = strlen(buf);

	for (i = 0; i < settle_nfiles(s); i++) {
		const struct sfile *f = settle_file(s, i);

		if (!settle_here(f) || !pick(f))
			continue;
		if (n < DESCRIBE_NAMES) {
			why(f, item, sizeof(item));
			if (n == 0)
				snprintf(buf + used, len - used, "; %s %s (%s)",
					 label, f->name, item);
			else
				snprintf(buf + used, len - used, ", %s (%s)",
					 f->name, item);
		}
		n++;
		used = strlen(buf);
	}
	if (n > DESCRIBE_NAMES)
		snprintf(buf + used, len - used, " and %zu more",
			 n - DESCRIBE_NAMES);
}

/* Is f still being written, or changed and not checked yet? */
static bool
pick_writing(const struct sfile *f)
{
	return settle_busy(f) || !f->checked;
}

/* Is f failing its check (or an unfinished save) with no writer at work? */
static bool
pick_failing(const struct sfile *f)
{
	return f->checked && !settle_busy(f) &&
	       (f->check.verdict != V_OK || f->unfinished);
}

/* Why f is still being written: what its writer test or check found. */
static void
why_writing(const struct sfile *f, char *buf, size_t len)
{
	if (f->writer == WR_WRITING)
		snprintf(buf, len, "open for writing");
	else if (f->writer == WR_ALIVE)
		snprintf(buf, len, "writer pid %d%s%s%s alive", (int)f->pid,
			 f->comm[0] ? " (" : "", f->comm,
			 f->comm[0] ? ")" : "");
	else if (f->writer == WR_KEPT)
		snprintf(buf, len, "%s", f->evidence);
	else if (f->check.verdict == V_BUSY) /* retried: checked is false */
		snprintf(buf, len, "%s: %s", verdict_name(V_BUSY),
			 f->check.reason);
	else
		snprintf(buf, len, "changed, not checked yet");
}

/* A failing file's verdict, and what is known of its writer when its pid
 * proved nothing (what keeps the file waiting rather than final). */
static void
why_failing(const struct sfile *f, char *buf, size_t len)
{
	size_t used;

	if (f->check.verdict == V_OK) /* unfinished */
		snprintf(buf, len, "%s: %s", verdict_name(V_INCOMPLETE),
			 CHECK_UNFINISHED);
	else
		snprintf(buf, len, "%s: %s", verdict_name(f->check.verdict),
			 f->check.reason);
	used = strlen(buf);
	if (f->writer == WR_UNKNOWN && f->evidence[0] != '\0')
		snprintf(buf + used, len - used, "; %s", f->evidence);
}

void
settle_describe(const struct settle *s, msec_t now, char *buf, size_t len)
{
	char ago[32];
	size_t used;
	long peers;
	pid_t peer;

	assert(len > 0);
	snprintf(buf, len, "%ld of %ld expected data file%s", settle_counted(s),
		 settle_expect(s), settle_expect(s) == 1 ? "" : "s");
	if (settle_trigger_running(s)) {
		used = strlen(buf);
		snprintf(buf + used, len - used, "; trigger still running");
	}
	list_files(s, buf, len, "still being written:", pick_writing,
		   why_writing);
	list_files(s, buf, len, "failing their check:", pick_failing,
		   why_failing);
	used = strlen(buf);
	if ((peers = settle_peers(s, &peer)) > 0) {
		snprintf(buf + used, len - used,
			 "; %ld process%s born with the writers still "
			 "running (pid %d)",
			 peers, peers == 1 ? "" : "es", (int)peer);
		used = strlen(buf);
	}
	if (settle_last_change(s) == INT64_MIN) {
		snprintf(buf + used, len - used, "; no change seen");
	} else {
		format_duration(now - settle_last_change(s), ago, sizeof(ago));
		snprintf(buf + used, len - used, "; last change %s ago", ago);
	}
}
