/* sqlfile.c: a table's rows straight from an SQLite file's pages.
 *
 * SQLite's own row loop is most of the native combine's time on branch
 * data (3 million arc rows at 1,000 data files); reading the table's
 * b-tree here costs a fraction of it. The layout is SQLite's documented,
 * stable file format (https://www.sqlite.org/fileformat2.html):
 *
 * - the 100-byte header of page 1 gives the page size (offset 16, 1 for
 *   65536) and the bytes reserved at the end of each page (offset 20);
 * - a table b-tree page starts with its type (5 interior, 13 leaf), the
 *   number of cells at offset 3 and, on an interior page, the right-most
 *   child at offset 8; after that header (12 bytes interior, 8 leaf), an
 *   array of 2-byte cell offsets;
 * - an interior cell is a 4-byte child page and a varint key; a leaf cell
 *   is a varint payload size, a varint rowid and the payload, a record: a
 *   varint header size, a varint serial type per column, then the values
 *   (types 1 to 6: big-endian integers of 1, 2, 3, 4, 6 and 8 bytes; 8 and
 *   9: the constants 0 and 1).
 *
 * A payload larger than fits in its page (it would go on in overflow
 * pages), any other serial type, a page that is not a table b-tree page,
 * an offset out of its page, a page out of the file, or a tree deeper or
 * larger than the file can hold: SQLFILE_OTHER, and SQLite reads it. The
 * rows are read in rowid order, as a scan of the table returns them. */
#include "sqlfile.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* Deeper than any real table: 2^32 pages of 512 bytes fill 5 levels. */
#define MAX_DEPTH 32

#define PAGE_INTERIOR 5
#define PAGE_LEAF     13

struct reader {
	int fd;
	uint32_t pagesize, usable, npages;
	uint32_t visited; /* pages read: at most npages, or it loops */
	unsigned char *buf[MAX_DEPTH]; /* a page per level */
	int ncols;
	int (*row)(void *, const int64_t *);
	void *arg;
};

static uint32_t
be16(const unsigned char *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* The varint at *p, not past end; false when it runs past it. */
static bool
varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	const unsigned char *q = *p;
	int i;

	*v = 0;
	for (i = 0; i < 8; i++) {
		if (q >= end)
			return false;
		*v = *v << 7 | (*q & 0x7f);
		if (!(*q++ & 0x80)) {
			*p = q;
			return true;
		}
	}
	if (q >= end)
		return false;
	*v = *v << 8 | *q++;
	*p = q;
	return true;
}

/* The integer of serial type t at p (its size already checked). */
static int64_t
integer(uint64_t t, const unsigned char *p)
{
	static const int size[] = { 0, 1, 2, 3, 4, 6, 8 };
	uint64_t u;
	int i, n;

	if (t == 8 || t == 9)
		return (int64_t)(t - 8);
	n = size[t];
	u = p[0] & 0x80 ? UINT64_MAX : 0; /* sign-extended */
	for (i = 0; i < n; i++)
		u = u << 8 | p[i];
	return (int64_t)u;
}

/* The record in [p, end): row() with its values, or SQLFILE_OTHER. */
static enum sqlfile_status
record(struct reader *r, const unsigned char *p, const unsigned char *end)
{
	static const int size[] = { 0, 1, 2, 3, 4, 6, 8 };
	const unsigned char *h = p, *hend, *body;
	uint64_t hsize, t[8];
	int64_t v[8];
	int k;

	if (!varint(&h, end, &hsize) || hsize > (uint64_t)(end - p))
		return SQLFILE_OTHER;
	hend = body = p + hsize;
	for (k = 0; k < r->ncols; k++) {
		if (h >= hend || !varint(&h, hend, &t[k]) ||
		    !((t[k] >= 1 && t[k] <= 6) || t[k] == 8 || t[k] == 9))
			return SQLFILE_OTHER;
	}
	if (h != hend)
		return SQLFILE_OTHER; /* more columns than asked for */
	for (k = 0; k < r->ncols; k++) {
		int n = t[k] <= 6 ? size[t[k]] : 0;

		if (n > end - body)
			return SQLFILE_OTHER;
		v[k] = integer(t[k], body);
		body += n;
	}
	if (body != end)
		return SQLFILE_OTHER;
	return r->row(r->arg, v) == 0 ? SQLFILE_OK : SQLFILE_STOPPED;
}

/* A leaf cell at p of the page ending at end. */
static enum sqlfile_status
leaf_cell(struct reader *r, const unsigned char *p, const unsigned char *end)
{
	uint64_t payload, rowid;

	if (!varint(&p, end, &payload) || !varint(&p, end, &rowid))
		return SQLFILE_OTHER;
	/* Larger than usable - 35 goes on in overflow pages. */
	if (payload > r->usable - 35 || payload > (uint64_t)(end - p))
		return SQLFILE_OTHER;
	return record(r, p, p + payload);
}

/* Every row under page pgno, at depth. */
static enum sqlfile_status
walk(struct reader *r, uint32_t pgno, int depth)
{
	enum sqlfile_status s = SQLFILE_OK;
	unsigned char *pg;
	const unsigned char *end;
	uint32_t ncells, hdr, i, off;
	bool leaf;

	if (depth >= MAX_DEPTH || pgno < 2 || pgno > r->npages ||
	    ++r->visited > r->npages)
		return SQLFILE_OTHER;
	if (r->buf[depth] == NULL)
		r->buf[depth] = xmalloc(r->pagesize);
	pg = r->buf[depth];
	if (pread(r->fd, pg, r->pagesize,
		  (off_t)(pgno - 1) * (off_t)r->pagesize) !=
	    (ssize_t)r->pagesize)
		return SQLFILE_OTHER;
	end = pg + r->usable;
	if (pg[0] != PAGE_INTERIOR && pg[0] != PAGE_LEAF)
		return SQLFILE_OTHER;
	leaf = pg[0] == PAGE_LEAF;
	hdr = leaf ? 8 : 12;
	ncells = be16(pg + 3);
	if (hdr + 2 * ncells > r->usable)
		return SQLFILE_OTHER;
	for (i = 0; s == SQLFILE_OK && i < ncells; i++) {
		off = be16(pg + hdr + 2 * i);
		if (off < hdr + 2 * ncells || off + 4 > r->usable)
			return SQLFILE_OTHER;
		if (leaf)
			s = leaf_cell(r, pg + off, end);
		else
			s = walk(r, be32(pg + off), depth + 1);
		/* A deeper walk reused no buffer of this level: pg holds. */
	}
	if (s == SQLFILE_OK && !leaf)
		s = walk(r, be32(pg + 8), depth + 1);
	return s;
}

enum sqlfile_status
sqlfile_rows(int fd, uint32_t root, int ncols,
	     int (*row)(void *arg, const int64_t *v), void *arg)
{
	struct reader r = { .fd = fd, .ncols = ncols, .row = row, .arg = arg };
	unsigned char head[100];
	enum sqlfile_status s;
	struct stat st;
	uint32_t ps;
	int i;

	if (ncols < 1 || ncols > 8 || fstat(fd, &st) < 0 ||
	    pread(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head) ||
	    memcmp(head, "SQLite format 3", 16) != 0)
		return SQLFILE_OTHER;
	ps = be16(head + 16);
	ps = ps == 1 ? 65536 : ps;
	if (ps < 512 || ps > 65536 || (ps & (ps - 1)) != 0 ||
	    head[20] > ps - 480)
		return SQLFILE_OTHER;
	r.pagesize = ps;
	r.usable = ps - head[20];
	if (st.st_size / ps > UINT32_MAX)
		return SQLFILE_OTHER;
	r.npages = (uint32_t)(st.st_size / ps);
	s = walk(&r, root, 0);
	for (i = 0; i < MAX_DEPTH; i++)
		free(r.buf[i]);
	return s;
}
