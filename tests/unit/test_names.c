/* test_names.c: unit tests of names.c: which names are data files, which
 * are SQLite side files, and what a name says: era, writer, save state. */
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

/* ---- name_parse ---- */

static const struct {
	const char *name;
	enum name_era era;
	pid_t pid;
	const char *head; /* BASE.HOST */
	const char *host; /* era 3: the host field */
	const char *base; /* the name less .H...h */
	bool unfinished;
} parsed[] = {
	/* era 1: coverage.py 6.x to 7.3.2 */
	{ ".coverage.web1.4711.123456", ERA_DIGITS, 4711, ".coverage.web1",
	  NULL, ".coverage.web1.4711.123456", false },
	{ ".coverage.web.example.com.12.654321", ERA_DIGITS, 12,
	  ".coverage.web.example.com", NULL,
	  ".coverage.web.example.com.12.654321", false },
	{ ".coverage.h.1.000000", ERA_DIGITS, 1, ".coverage.h", NULL,
	  ".coverage.h.1.000000", false },
	{ ".coverage.h.999999999.123456", ERA_DIGITS, 999999999, ".coverage.h",
	  NULL, ".coverage.h.999999999.123456", false },
	/* era 2: 7.3.3 to 7.13.0 */
	{ ".coverage.host.99.XabcDEFx", ERA_LETTERS, 99, ".coverage.host", NULL,
	  ".coverage.host.99.XabcDEFx", false },
	{ ".coverage.host.99.XZZZZZZx", ERA_LETTERS, 99, ".coverage.host", NULL,
	  ".coverage.host.99.XZZZZZZx", false },
	{ ".coverage.a.b.c.31337.XqwErtYx", ERA_LETTERS, 31337,
	  ".coverage.a.b.c", NULL, ".coverage.a.b.c.31337.XqwErtYx", false },
	/* era 3: 7.13.1 and later, during the save and after the rename */
	{ ".coverage.host.pid99.Xa1B2c3x", ERA_RENAME, 99, ".coverage.host",
	  "host", ".coverage.host.pid99.Xa1B2c3x", true },
	{ ".coverage.host.pid99.Xa1B2c3x.H0123456789h", ERA_RENAME, 99,
	  ".coverage.host", "host", ".coverage.host.pid99.Xa1B2c3x", false },
	{ ".coverage.host.pid7.XabcDEFx.HAbCdEfGhIjh", ERA_RENAME, 7,
	  ".coverage.host", "host", ".coverage.host.pid7.XabcDEFx", false },
	{ ".coverage.host.pid7.X123456x", ERA_RENAME, 7, ".coverage.host",
	  "host", ".coverage.host.pid7.X123456x", true },
	/* an FQDN host, its dots written as _ */
	{ ".coverage.web_example_com.pid12.Xq1w2e3x.H9z8y7x6w5vh", ERA_RENAME,
	  12, ".coverage.web_example_com", "web_example_com",
	  ".coverage.web_example_com.pid12.Xq1w2e3x", false },
	{ ".coverage.web-1.pid12.Xq1w2e3x", ERA_RENAME, 12, ".coverage.web-1",
	  "web-1", ".coverage.web-1.pid12.Xq1w2e3x", true },
	/* a base name with a dot (data_file = .coverage.api) */
	{ ".coverage.api.web.12.123456", ERA_DIGITS, 12, ".coverage.api.web",
	  NULL, ".coverage.api.web.12.123456", false },
	{ ".coverage.api.web.12.XabcDEFx", ERA_LETTERS, 12, ".coverage.api.web",
	  NULL, ".coverage.api.web.12.XabcDEFx", false },
	{ ".coverage.api.web.pid12.Xab12CDx", ERA_RENAME, 12,
	  ".coverage.api.web", "web", ".coverage.api.web.pid12.Xab12CDx",
	  true },
	{ ".coverage.api.web.pid12.Xab12CDx.H0000000000h", ERA_RENAME, 12,
	  ".coverage.api.web", "web", ".coverage.api.web.pid12.Xab12CDx",
	  false },
	/* another data file name, and a host named like a pid field */
	{ "cov.web.5.123456", ERA_DIGITS, 5, "cov.web", NULL,
	  "cov.web.5.123456", false },
	{ "cov.pid3.pid5.Xabcdefx", ERA_RENAME, 5, "cov.pid3", "pid3",
	  "cov.pid3.pid5.Xabcdefx", true },
};

Test(names, parse)
{
	size_t i;

	for (i = 0; i < sizeof(parsed) / sizeof(parsed[0]); i++) {
		const char *name = parsed[i].name;
		struct name_fields nf;
		bool ok = name_parse(name, &nf);

		cr_expect(ok, "'%s' not parsed", name);
		if (!ok)
			continue;
		cr_expect_eq(nf.era, parsed[i].era, "'%s': era %d, expected %d",
			     name, nf.era, parsed[i].era);
		cr_expect_eq(nf.pid, parsed[i].pid, "'%s': pid %d, expected %d",
			     name, (int)nf.pid, (int)parsed[i].pid);
		cr_expect_eq(nf.head_len, strlen(parsed[i].head),
			     "'%s': head length %zu, expected %zu ('%s')", name,
			     nf.head_len, strlen(parsed[i].head),
			     parsed[i].head);
		cr_expect_eq(nf.base_len, strlen(parsed[i].base),
			     "'%s': base length %zu, expected %zu ('%s')", name,
			     nf.base_len, strlen(parsed[i].base),
			     parsed[i].base);
		cr_expect_eq(nf.unfinished, parsed[i].unfinished,
			     "'%s': unfinished %d", name, nf.unfinished);
		cr_expect_eq(name_unfinished(name), parsed[i].unfinished,
			     "'%s': name_unfinished", name);
		if (parsed[i].host == NULL) {
			cr_expect_eq(nf.host_len, 0, "'%s': a host field",
				     name);
			continue;
		}
		cr_expect_eq(nf.host_len, strlen(parsed[i].host),
			     "'%s': host length %zu", name, nf.host_len);
		cr_expect_eq(strncmp(name + nf.host_off, parsed[i].host,
				     nf.host_len),
			     0, "'%s': host at %zu", name, nf.host_off);
	}
}

/* Both names of one save share their base: the rename is one file. */
Test(names, one_save_one_base)
{
	const char *before = ".coverage.h_x.pid4.XaB3dE6x";
	const char *after = ".coverage.h_x.pid4.XaB3dE6x.Hq2W3e4R5t6h";
	struct name_fields a, b;

	cr_assert(name_parse(before, &a) && name_parse(after, &b));
	cr_expect(a.unfinished && !b.unfinished);
	cr_expect_eq(a.base_len, b.base_len);
	cr_expect_eq(strncmp(before, after, a.base_len), 0);
	cr_expect_eq(a.pid, b.pid);
}

static const char *const not_parsed[] = {
	/* explicit suffixes: no writer fields, no rename */
	".coverage.x",
	".coverage.worker1",
	".coverage.mine.Xabcdefx",
	".coverage.2024-01-01",
	".coverage.host.12", /* no random field */
	/* era 1 and 2 names that are not quite */
	".coverage.host.12.12345",	       /* 5 digits */
	".coverage.host.12.1234567",	       /* 7 digits */
	".coverage.host.abc.123456",	       /* pid not a number */
	".coverage.host.0.123456",	       /* pid 0 */
	".coverage.host.00.123456",	       /* pid 0 */
	".coverage.host.-1.123456",	       /* negative */
	".coverage.host.1234567890.123456",    /* 10-digit pid */
	".coverage.host.12.X12345x",	       /* digits: no pid prefix */
	".coverage.host.12.XabcDEF",	       /* no closing x */
	".coverage.host.12.abcDEFx",	       /* no opening X */
	".coverage.host.12.XabcDEFgx",	       /* 7 letters */
	".coverage.host.12.XabcDEx",	       /* 5 letters */
	".coverage.host.12.Xabc_EFx",	       /* not a letter */
	".coverage.host.12.123456.Hdeadbeefh", /* only era 3 renames */
	".coverage.host.12.XabcDEFx.H0123456789h",
	/* era 3 names that are not quite */
	".coverage.host.pid.Xabcdefx",		       /* no pid */
	".coverage.host.pid0.Xabcdefx",		       /* pid 0 */
	".coverage.host.pidx12.Xabcdefx",	       /* not a number */
	".coverage.host.pid1234567890.Xabcdefx",       /* 10-digit pid */
	".coverage.host.PID12.Xabcdefx",	       /* upper case */
	".coverage.host.pid12.123456",		       /* era-1 random */
	".coverage.host.pid12.Xab_defx",	       /* not alnum */
	".coverage.host.pid12.Xabcdex",		       /* 5 characters */
	".coverage.host.pid12.Xabcdefgx",	       /* 7 characters */
	".coverage.host.pid12.Xabcdefx.H012345678h",   /* 9 hash chars */
	".coverage.host.pid12.Xabcdefx.H0123456789Ah", /* 11 */
	".coverage.host.pid12.Xabcdefx.H01234_6789h",  /* not alnum */
	".coverage.host.pid12.Xabcdefx.H0123456789",   /* not closed */
	".coverage.host.pid12.Xabcdefx.H0123456789h.H0123456789h",
	".coverage.host.pid12.Xabcdefx.x",
	".host.pid12.Xabcdefx",	     /* no base before the host */
	"host.pid12.Xabcdefx",	     /* nor here */
	".coverage..pid12.Xabcdefx", /* empty host */
	/* no head, empty fields, side files */
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

Test(names, parse_rejects)
{
	size_t i;

	for (i = 0; i < sizeof(not_parsed) / sizeof(not_parsed[0]); i++) {
		struct name_fields nf;

		cr_expect_not(name_parse(not_parsed[i], &nf),
			      "'%s' parsed: era %d, pid %d, head %zu",
			      not_parsed[i], nf.era, (int)nf.pid, nf.head_len);
		cr_expect_eq(nf.era, ERA_NONE, "'%s'", not_parsed[i]);
		cr_expect_eq(nf.base_len, strlen(not_parsed[i]),
			     "'%s': a name of no era is its own base",
			     not_parsed[i]);
		cr_expect_not(nf.unfinished, "'%s'", not_parsed[i]);
		cr_expect_not(name_unfinished(not_parsed[i]), "'%s'",
			      not_parsed[i]);
	}
}

/* ---- name_host_is ---- */

static const struct {
	const char *name;
	const char *host;
	bool yes;
} hosts[] = {
	{ ".coverage.web.12.123456", "web", true },
	{ ".coverage.web.12.123456", "we", false },
	{ ".coverage.web.12.123456", "eb", false },
	{ ".coverage.web.12.123456", "webx", false },
	{ ".coverage.web.12.123456", "", false },
	/* a base with a dot: the host is read from the right */
	{ ".coverage.api.web.12.123456", "web", true },
	{ ".coverage.api.web.12.XabcDEFx", "web", true },
	{ ".coverage.a.web.12.123456", "a.web", true },
	{ ".coverage.a.web.12.123456", "a", false },
	{ ".coverage.a.web.12.123456", "eb", false },
	/* hosts with dots, as written in eras 1 and 2 */
	{ ".coverage.web.example.com.12.654321", "web.example.com", true },
	{ ".coverage.web.example.com.12.654321", "web", false },
	{ ".coverage.web.example.com.12.654321", "web.example", false },
	{ ".coverage.web.example.com.12.XabcDEFx", "web.example.com", true },
	/* another base name */
	{ "x.web.12.123456", "web", true },
	{ "x.web.12.123456", "eb", false },
	{ "x.web.12.123456", "x.web", false },
	{ "data.web.example.com.1.123456", "web.example.com", true },
	{ "data.web.example.com.1.123456", "b.example.com", false },
	/* era 3: one field, the host's dots written as _ */
	{ ".coverage.web.pid12.Xa1b2c3x", "web", true },
	{ ".coverage.web.pid12.Xa1b2c3x.H0123456789h", "web", true },
	{ ".coverage.web.pid12.Xa1b2c3x", "we", false },
	{ ".coverage.web.pid12.Xa1b2c3x", "webx", false },
	{ ".coverage.web.pid12.Xa1b2c3x", "", false },
	{ ".coverage.web_example_com.pid12.Xa1b2c3x", "web.example.com", true },
	{ ".coverage.web_example_com.pid12.Xa1b2c3x.HAAAAAAAAAAh",
	  "web.example.com", true },
	{ ".coverage.web_example_com.pid12.Xa1b2c3x", "web", false },
	{ ".coverage.web_example_com.pid12.Xa1b2c3x", "example.com", false },
	{ ".coverage.web_example_com.pid12.Xa1b2c3x", "web_example_com", true },
	{ ".coverage.api.web.pid12.Xa1b2c3x", "web", true },
	{ ".coverage.api.web.pid12.Xa1b2c3x", "api.web", false },
	{ ".coverage.api_web.pid12.Xa1b2c3x", "api.web", true },
};

Test(names, host_is)
{
	size_t i;

	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		struct name_fields nf;

		cr_assert(name_parse(hosts[i].name, &nf), "'%s' not parsed",
			  hosts[i].name);
		cr_expect_eq(name_host_is(hosts[i].name, &nf, hosts[i].host),
			     hosts[i].yes, "name '%s', host '%s': %s",
			     hosts[i].name, hosts[i].host,
			     hosts[i].yes ? "should be true"
					  : "should be false");
	}
}

Test(names, host_is_no_era)
{
	struct name_fields nf;

	cr_assert_not(name_parse(".coverage.web", &nf));
	cr_expect_not(name_host_is(".coverage.web", &nf, "web"));
}

Test(names, python_interpreters)
{
	static const char *const yes[] = {
		"python",     "python3", "/usr/bin/python3.11",	  "python3.11d",
		"python3.7m", "pypy3",	 "/opt/pypy/bin/pypy3.10"
	};
	static const char *const no[] = { "python3-coverage", "pythonista",
					  "coverage",	      "/usr/bin/env",
					  "gunicorn",	      "uwsgi",
					  "ipython3",	      "" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		cr_expect(names_python(yes[i]), "%s", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		cr_expect(!names_python(no[i]), "%s", no[i]);
}
