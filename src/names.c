/* names.c: data file names. Matching against --pattern, telling side files
 * apart, and reading the writer's host and pid out of a parallel name. */
#include "names.h"

#include <ctype.h>
#include <fnmatch.h>
#include <string.h>

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

/* True when s[0..n) is all digits (n >= 1). */
static bool
all_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* Is the dot-separated field s[0..n) a coverage.py random suffix? */
static bool
is_random_field(const char *s, size_t n)
{
	size_t i;

	if (n == 6 && all_digits(s, n))
		return true;
	if (n != 8 || s[0] != 'X' || s[7] != 'x')
		return false;
	for (i = 1; i < 7; i++)
		if (!isalpha((unsigned char)s[i]))
			return false;
	return true;
}

/* Start of the last dot-separated field of s[0..n), or NULL. */
static const char *
last_field(const char *s, size_t n)
{
	while (n > 0 && s[n - 1] != '.')
		n--;
	return n > 0 ? s + n : NULL;
}

bool
name_writer(const char *name, pid_t *pid, size_t *head_len)
{
	size_t n = strlen(name);
	const char *f;
	long v = 0;
	size_t i, k;

	/* Optional .H<hash>h added by coverage.py 7.13 and later. */
	f = last_field(name, n);
	if (f != NULL && f[0] == 'H' && name[n - 1] == 'h' &&
	    (size_t)(name + n - f) >= 3)
		n = (size_t)(f - name) - 1;
	f = last_field(name, n);
	if (f == NULL || !is_random_field(f, (size_t)(name + n - f)))
		return false;
	n = (size_t)(f - name) - 1;
	f = last_field(name, n);
	k = f ? (size_t)(name + n - f) : 0;
	if (f == NULL || k > 9 || !all_digits(f, k))
		return false;
	for (i = 0; i < k; i++)
		v = v * 10 + (f[i] - '0');
	if (v <= 0)
		return false;
	*pid = (pid_t)v;
	*head_len = (size_t)(f - name) - 1;
	return *head_len > 0;
}

bool
name_host_is(const char *name, size_t head_len, const char *prefix,
	     const char *host)
{
	size_t p = strlen(prefix), h = strlen(host);

	if (h == 0)
		return false;
	if (p > 0 && p <= head_len && strncmp(name, prefix, p) == 0)
		return head_len - p == h && memcmp(name + p, host, h) == 0;
	return head_len > h && name[head_len - h - 1] == '.' &&
	       memcmp(name + head_len - h, host, h) == 0;
}

void
name_glob_prefix(const char *pattern, char *buf, size_t len)
{
	size_t n = strcspn(pattern, "*?[\\");

	if (len == 0)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(buf, pattern, n);
	buf[n] = '\0';
}
