/* reports.h: the reports gather writes from the combined file, each a
 * coverage.py command (or all of them in one process of its Python), and
 * the total that the text report gives. */
#ifndef COVSETTLE_REPORTS_H
#define COVSETTLE_REPORTS_H

#define MAX_REPORTS 16
/* --report-option words one report takes at most. */
#define MAX_REPORT_OPTS 16

enum report_format { RF_TEXT, RF_JSON, RF_HTML, RF_XML, RF_LCOV, RF_COUNT };

struct report {
	enum report_format format;
	const char *path; /* or NULL: coverage.py's default */
	/* --report-option words, passed to coverage.py after its own */
	const char *opts[MAX_REPORT_OPTS];
	int nopts;
};

struct covcmd;

/* The name of a report format ("text", "json", ...), as --report takes
 * it. */
const char *reports_format_name(enum report_format f);

/* Write the n reports reps[] from cc's combined file: every text report,
 * and the one fail_under (--fail-under as given, or NULL) needs, as one
 * `coverage report` whose total and text go into cc's result; then each
 * file report. stage is the staging directory, where the one-process
 * reports leave their statuses. 0, or -1 with the result's status set. */
int reports_run(const struct covcmd *cc, const struct report *reps, int n,
		const char *fail_under, const char *stage);

#endif
