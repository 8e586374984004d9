/* names.c: data file names. Matching against --pattern, telling side files
 * apart, and reading a parallel name's era, writer and save state.
 *
 * coverage.py names a parallel data file BASE.SUFFIX, BASE being the data
 * file (".coverage", or any name, dots allowed) and SUFFIX, when coverage.py
 * chose it (data_suffix = True), one of (checked in coverage.py's
 * filename_suffix() and CoverageData.write()):
 *   era 1, 6.x to 7.3.2:    HOST.PID.NNNNNN     (%06d of a random number)
 *   era 2, 7.3.3 to 7.13.0: HOST.PID.XabcDEFx   (6 ASCII letters)
 *   era 3, 7.13.1 and on:   HOST_.pidPID.Xa1B2c3x, renamed by write() to
 *                           HOST_.pidPID.Xa1B2c3x.H<10>h once the save is
 *                           complete (hash row in meta, database closed);
 *                           HOST_ is the host name with '.' made '_', the
 *                           random and the hash are letters and digits.
 * In eras 1 and 2 HOST is socket.gethostname() as it is, dots included,
 * and BASE may hold dots too: the fields are read from the right, and
 * the host is compared as the tail of everything before the pid. A suffix
 * given explicitly is used as it is: no writer fields, no rename. */
#include "names.h"

#include <ctype.h>
#include <fnmatch.h>
#include <string.h>

#define NRAND  6  /* random characters in the X...x field */
#define NHASH  10 /* hash characters in the H...h field */
#define MAXPID 9  /* digits of a pid, at most */

static const char *const side_suffixes[] = { "-journal", "-wal", "-shm" };
static const char *const temp_suffixes[] = { ".tmp", "~" };

static bool
ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* Length of name without a side-file suffix, or 0 when it has none. */
static size_t
side_base_len(const char *name)
{
	size_t n = strlen(name), i;

	for (i = 0; i < sizeof(side_suffixes) / sizeof(side_suffixes[0]); i++)
		if (ends_with(name, n, side_suffixes[i]))
			return n - strlen(side_suffixes[i]);
	return 0;
}

bool
name_is_datafile(const char *pattern, const char *name)
{
	size_t n = strlen(name), i;

	/* covsettle's own lock and staging directory, whatever --pattern. */
	if (strncmp(name, ".covsettle", 10) == 0)
		return false;
	if (side_base_len(name) != 0)
		return false;
	for (i = 0; i < sizeof(temp_suffixes) / sizeof(temp_suffixes[0]); i++)
		if (ends_with(name, n, temp_suffixes[i]))
			return false;
	return fnmatch(pattern, name, 0) == 0;
}

bool
name_is_sidefile(const char *pattern, const char *name)
{
	char base[256];
	size_t k = side_base_len(name);

	if (k == 0 || k >= sizeof(base))
		return false;
	memcpy(base, name, k);
	base[k] = '\0';
	return name_is_datafile(pattern, base);
}

/* Is every byte of s[0..n) one that isok() accepts (n >= 1)? */
static bool
all_of(const char *s, size_t n, int (*isok)(int))
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!isok((unsigned char)s[i]))
			return false;
	return true;
}

/* Is s[0..n) open, then k characters isok() accepts, then close? */
static bool
framed(const char *s, size_t n, char open, size_t k, int (*isok)(int),
       char close)
{
	return n == k + 2 && s[0] == open && s[n - 1] == close &&
	       all_of(s + 1, k, isok);
}

/* The last dot-separated field of s[0..*n): its start, with *n cut to
 * the length before its dot; NULL when there is no dot. */
static const char *
pop_field(const char *s, size_t *n, size_t *len)
{
	size_t end = *n, i = end;

	while (i > 0 && s[i - 1] != '.')
		i--;
	if (i == 0)
		return NULL;
	*len = end - i;
	*n = i - 1;
	return s + i;
}

/* The pid in digits s[0..n): > 0 and MAXPID digits at most, else 0. */
static pid_t
pid_of(const char *s, size_t n)
{
	long v = 0;
	size_t i;

	if (n > MAXPID || !all_of(s, n, isdigit))
		return 0;
	for (i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return (pid_t)v;
}

/* A name of no era: its own base, no writer fields. */
static bool
no_era(const char *name, struct name_fields *nf)
{
	memset(nf, 0, sizeof(*nf));
	nf->base_len = strlen(name);
	return false;
}

bool
name_parse(const char *name, struct name_fields *nf)
{
	size_t n = strlen(name), len, rlen, plen, all = n;
	const char *f, *rnd, *pid;

	no_era(name, nf);
	/* .H<hash>h: era 3, its save complete. */
	f = pop_field(name, &n, &len);
	if (f == NULL)
		return false;
	if (framed(f, len, 'H', NHASH, isalnum, 'h')) {
		nf->base_len = n;
		rnd = pop_field(name, &n, &rlen);
	} else {
		rnd = f;
		rlen = len;
	}
	pid = rnd != NULL ? pop_field(name, &n, &plen) : NULL;
	if (pid == NULL || n == 0)
		return no_era(name, nf);
	nf->head_len = n;
	if (plen > 3 && strncmp(pid, "pid", 3) == 0 &&
	    framed(rnd, rlen, 'X', NRAND, isalnum, 'x')) {
		/* Era 3: the host is one field, and a base precedes it. */
		f = pop_field(name, &n, &len);
		if (f == NULL || len == 0 || n == 0)
			return no_era(name, nf);
		nf->era = ERA_RENAME;
		nf->pid = pid_of(pid + 3, plen - 3);
		nf->host_off = (size_t)(f - name);
		nf->host_len = len;
		nf->unfinished = nf->base_len == all;
	} else if (nf->base_len != all) {
		return no_era(name, nf); /* only era 3 has a hash */
	} else if (rlen == NRAND && all_of(rnd, rlen, isdigit)) {
		nf->era = ERA_DIGITS;
		nf->pid = pid_of(pid, plen);
	} else if (framed(rnd, rlen, 'X', NRAND, isalpha, 'x')) {
		nf->era = ERA_LETTERS;
		nf->pid = pid_of(pid, plen);
	}
	if (nf->era == ERA_NONE || nf->pid <= 0)
		return no_era(name, nf);
	return true;
}

bool
name_unfinished(const char *name)
{
	struct name_fields nf;

	return name_parse(name, &nf) && nf.unfinished;
}

bool
name_host_is(const char *name, const struct name_fields *nf, const char *host)
{
	size_t h = strlen(host), i;

	if (h == 0 || nf->era == ERA_NONE)
		return false;
	if (nf->era == ERA_RENAME) {
		if (nf->host_len != h)
			return false;
		for (i = 0; i < h; i++)
			if (name[nf->host_off + i] !=
			    (host[i] == '.' ? '_' : host[i]))
				return false;
		return true;
	}
	/* Eras 1 and 2: BASE.HOST, both possibly dotted; ours is the tail. */
	return nf->head_len > h && name[nf->head_len - h - 1] == '.' &&
	       memcmp(name + nf->head_len - h, host, h) == 0;
}

bool
names_python(const char *name)
{
	const char *base = strrchr(name, '/');
	size_t n;

	base = base != NULL ? base + 1 : name;
	if (strncmp(base, "python", 6) == 0)
		base += 6;
	else if (strncmp(base, "pypy", 4) == 0)
		base += 4;
	else
		return false;
	n = strspn(base, "0123456789.");
	return strspn(base + n, "dmu") == strlen(base + n);
}
