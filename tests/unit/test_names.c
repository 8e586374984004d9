/* test_names.c: unit tests of names.c: which names are data files, which
 * are SQLite side files, and the writer's host and pid in a name. */
#include <criterion/criterion.h>
#include <string.h>

#include "names.h"

/* ---- name_is_datafile ---- */

static const struct {
	const char *pattern;
	const char *name;
	bool yes;
} datafiles[] = {
	{ DEFAULT_PATTERN, ".coverage.host.12.345678", true },
	{ DEFAULT_PATTERN, ".coverage.host.12.XabcDEFx", true },
	{ DEFAULT_PATTERN, ".coverage.host.12.XabcDEFx.H1a2b3c4dh", true },
	{ DEFAULT_PATTERN, ".coverage.web.example.com.4711.123456", true },
	{ DEFAULT_PATTERN, ".coverage.x", true },
	/* the combined file */
	{ DEFAULT_PATTERN, ".coverage", false },
	/* SQLite side files */
	{ DEFAULT_PATTERN, ".coverage.host.12.345678-journal", false },
	{ DEFAULT_PATTERN, ".coverage.host.12.345678-wal", false },
	{ DEFAULT_PATTERN, ".coverage.host.12.345678-shm", false },
	{ DEFAULT_PATTERN, ".coverage-journal", false },
	/* temporary files */
	{ DEFAULT_PATTERN, ".coverage.x.tmp", false },
	{ DEFAULT_PATTERN, ".coverage.x~", false },
	/* not the pattern */
	{ DEFAULT_PATTERN, "coverage.x", false },
	{ DEFAULT_PATTERN, ".coveragex", false },
	{ DEFAULT_PATTERN, "x.coverage.host.1.123456", false },
	{ DEFAULT_PATTERN, "", false },
	/* a custom pattern */
	{ "*.cov", "a.cov", true },
	{ "*.cov", "web.1.cov", true },
	{ "*.cov", ".hidden.cov", true },
	{ "*.cov", "a.cov-journal", false },
	/* covsettle's own files are never data files, whatever the pattern */
	{ "*", ".covsettle.lock", false },
	{ ".c*", ".covsettle-gather.abc123", false },
	{ "*", "x.lock", true },
	{ "*.cov", "a.cov-wal", false },
	{ "*.cov", "a.cov.tmp", false },
	{ "*.cov", "a.cov~", false },
	{ "*.cov", "a.covx", false },
	{ "*.cov", ".coverage.host.12.345678", false },
	{ "cov-?.db", "cov-1.db", true },
	{ "cov-?.db", "cov-12.db", false },
};

Test(names, is_datafile)
{
	size_t i;

	for (i = 0; i < sizeof(datafiles) / sizeof(datafiles[0]); i++)
		cr_expect_eq(name_is_datafile(datafiles[i].pattern,
					      datafiles[i].name),
			     datafiles[i].yes, "pattern '%s', name '%s': %s",
			     datafiles[i].pattern, datafiles[i].name,
			     datafiles[i].yes ? "should match"
					      : "should not match");
}

/* ---- name_is_sidefile ---- */

static const struct {
	const char *pattern;
	const char *name;
	bool yes;
} sidefiles[] = {
	{ DEFAULT_PATTERN, ".coverage.h.1.123456-journal", true },
	{ DEFAULT_PATTERN, ".coverage.h.1.123456-wal", true },
	{ DEFAULT_PATTERN, ".coverage.h.1.123456-shm", true },
	{ DEFAULT_PATTERN, ".coverage.h.1.XabcDEFx-journal", true },
	/* the combined file's journal is not a data file's */
	{ DEFAULT_PATTERN, ".coverage-journal", false },
	{ DEFAULT_PATTERN, ".coverage-wal", false },
	/* a data file itself */
	{ DEFAULT_PATTERN, ".coverage.h.1.123456", false },
	/* a side file of a temporary file */
	{ DEFAULT_PATTERN, ".coverage.x.tmp-journal", false },
	{ DEFAULT_PATTERN, "coverage.x-journal", false },
	{ DEFAULT_PATTERN, "-journal", false },
	{ DEFAULT_PATTERN, "", false },
	{ "*.cov", "a.cov-journal", true },
	{ "*.cov", "a.cov-wal", true },
	{ "*.cov", "a.cov", false },
	{ "*.cov", ".coverage.h.1.123456-journal", false },
};

Test(names, is_sidefile)
{
	size_t i;

	for (i = 0; i < sizeof(sidefiles) / sizeof(sidefiles[0]); i++)
		cr_expect_eq(name_is_sidefile(sidefiles[i].pattern,
					      sidefiles[i].name),
			     sidefiles[i].yes, "pattern '%s', name '%s': %s",
			     sidefiles[i].pattern, sidefiles[i].name,
			     sidefiles[i].yes ? "is a side file"
					      : "is not a side file");
}

/* ---- name_writer ---- */

static const struct {
	const char *name;
	pid_t pid;
	const char *head;
} writers[] = {
	/* coverage.py 6.x to 7.3.2 */
	{ ".coverage.web1.4711.123456", 4711, ".coverage.web1" },
	{ ".coverage.web.example.com.12.654321", 12,
	  ".coverage.web.example.com" },
	{ ".coverage.h.1.000000", 1, ".coverage.h" },
	{ ".coverage.h.999999999.123456", 999999999, ".coverage.h" },
	/* 7.3.3 and later */
	{ ".coverage.host.99.XabcDEFx", 99, ".coverage.host" },
	{ ".coverage.host.99.XZZZZZZx", 99, ".coverage.host" },
	/* 7.13 and later, after the rename */
	{ ".coverage.host.99.Xabcdefx.H1a2b3c4dh", 99, ".coverage.host" },
	{ ".coverage.host.7.123456.Hdeadbeefh", 7, ".coverage.host" },
	{ ".coverage.a.b.c.31337.XqwErtYx.H0123456789abcdefh", 31337,
	  ".coverage.a.b.c" },
	/* another data file name */
	{ "cov.web.5.123456", 5, "cov.web" },
};

Test(names, writer)
{
	size_t i;

	for (i = 0; i < sizeof(writers) / sizeof(writers[0]); i++) {
		pid_t pid = -1;
		size_t head = 9999;
		bool ok = name_writer(writers[i].name, &pid, &head);

		cr_expect(ok, "'%s' not parsed", writers[i].name);
		if (!ok)
			continue;
		cr_expect_eq(pid, writers[i].pid, "'%s': pid %d, expected %d",
			     writers[i].name, (int)pid, (int)writers[i].pid);
		cr_expect_eq(head, strlen(writers[i].head),
			     "'%s': head length %zu, expected %zu ('%s')",
			     writers[i].name, head, strlen(writers[i].head),
			     writers[i].head);
		cr_expect_eq(strncmp(writers[i].name, writers[i].head,
				     strlen(writers[i].head)),
			     0);
	}
}

static const char *const not_writers[] = {
	".coverage.host.12.12345",		/* 5 digits */
	".coverage.host.12.1234567",		/* 7 digits */
	".coverage.host.abc.123456",		/* pid not a number */
	".coverage.host.0.123456",		/* pid 0 */
	".coverage.host.00.123456",		/* pid 0 */
	".coverage.host.-1.123456",		/* negative */
	".coverage.host.1234567890.123456",	/* 10-digit pid */
	".coverage.host.12.X12345x",		/* digits in the letters */
	".coverage.host.12.XabcDEF",		/* no closing x */
	".coverage.host.12.abcDEFx",		/* no opening X */
	".coverage.host.12.XabcDEFgx",		/* 7 letters */
	".coverage.host.12.XabcDEx",		/* 5 letters */
	".coverage.host.12.123456.H",		/* hash not closed */
	".coverage.host.12.123456.Habch.Habch", /* two hashes */
	".coverage.host.12.123456-journal",
	".coverage.host..123456", /* empty pid */
	".coverage.12.123456.",	  /* empty last field */
	".12.123456",		  /* no head */
	"12.123456",
	"123456",
	".coverage",
	".coverage.host",
	"",
};

Test(names, writer_rejects)
{
	size_t i;

	for (i = 0; i < sizeof(not_writers) / sizeof(not_writers[0]); i++) {
		pid_t pid = -1;
		size_t head = 9999;

		cr_expect_not(name_writer(not_writers[i], &pid, &head),
			      "'%s' parsed: pid %d, head %zu", not_writers[i],
			      (int)pid, head);
	}
}

/* ---- name_host_is ---- */

static const struct {
	const char *name;
	const char *prefix;
	const char *host;
	bool yes;
} hosts[] = {
	{ ".coverage.web.12.123456", ".coverage.", "web", true },
	{ ".coverage.web.12.123456", ".coverage.", "we", false },
	{ ".coverage.web.12.123456", ".coverage.", "eb", false },
	{ ".coverage.web.12.123456", ".coverage.", "webx", false },
	{ ".coverage.web.12.123456", ".coverage.", "", false },
	/* a host that ends like ours is not ours */
	{ ".coverage.a.web.12.123456", ".coverage.", "web", false },
	{ ".coverage.a.web.12.123456", ".coverage.", "a.web", true },
	{ ".coverage.a.web.12.123456", ".coverage.", "a", false },
	/* hosts with dots */
	{ ".coverage.web.example.com.12.654321", ".coverage.",
	  "web.example.com", true },
	{ ".coverage.web.example.com.12.654321", ".coverage.", "web", false },
	{ ".coverage.web.example.com.12.654321", ".coverage.", "example.com",
	  false },
	{ ".coverage.web.example.com.12.XabcDEFx.Hdeadh", ".coverage.",
	  "web.example.com", true },
	/* an empty prefix (pattern "*..."): the host is a dotted suffix */
	{ "x.web.12.123456", "", "web", true },
	{ "x.web.12.123456", "", "eb", false },
	{ "x.web.12.123456", "", "x.web", false },
	{ "data.web.example.com.1.123456", "", "web.example.com", true },
	{ "data.web.example.com.1.123456", "", "example.com", true },
	{ "data.web.example.com.1.123456", "", "b.example.com", false },
	/* a name that does not start with the prefix */
	{ "other.web.12.123456", ".coverage.", "web", true },
	{ "other.web.12.123456", ".coverage.", "eb", false },
};

Test(names, host_is)
{
	size_t i;

	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		pid_t pid;
		size_t head;

		cr_assert(name_writer(hosts[i].name, &pid, &head),
			  "'%s' not parsed", hosts[i].name);
		cr_expect_eq(
			name_host_is(hosts[i].name, head, hosts[i].prefix,
				     hosts[i].host),
			hosts[i].yes, "name '%s', prefix '%s', host '%s': %s",
			hosts[i].name, hosts[i].prefix, hosts[i].host,
			hosts[i].yes ? "should be true" : "should be false");
	}
}

/* ---- name_glob_prefix ---- */

static const struct {
	const char *pattern;
	const char *prefix;
} prefixes[] = {
	{ ".coverage.*", ".coverage." },
	{ "*.cov", "" },
	{ "cov-?.db", "cov-" },
	{ "data[0-9]*", "data" },
	{ "a\\*b", "a" },
	{ "plain", "plain" },
	{ "", "" },
};

Test(names, glob_prefix)
{
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		char buf[64];

		memset(buf, 'Z', sizeof(buf));
		name_glob_prefix(prefixes[i].pattern, buf, sizeof(buf));
		cr_expect_str_eq(buf, prefixes[i].prefix,
				 "'%s': got '%s', expected '%s'",
				 prefixes[i].pattern, buf, prefixes[i].prefix);
	}
}

Test(names, glob_prefix_truncates)
{
	char buf[8];

	memset(buf, 'Z', sizeof(buf));
	name_glob_prefix(".coverage.*", buf, 5);
	cr_expect_str_eq(buf, ".cov");
	cr_expect_eq(buf[5], 'Z', "wrote past the buffer");
}
