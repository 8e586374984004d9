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
 * rows are read in rowid order, as a scan of the table returns them.
 * The values come in the order of the record, which is the order in which
 * the table declares its columns: the caller verifies that order first.
 * COVSETTLE_SQLFILE=0 in the environment turns this reader off. */
#include "sqlfile.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* Deeper than any real table: 2^32 pages of 512 bytes, 33 children or more
 * to an interior page, make fewer than 8 levels. */
#define MAX_DEPTH 32

#define PAGE_INTERIOR 5
#define PAGE_LEAF     13

/* The bytes of an integer of serial type 0 to 6 (0 takes none). */
static const int int_size[] = { 0, 1, 2, 3, 4, 6, 8 };

/* A page being read, at some depth of the tree. */
struct level {
	unsigned char *pg;
	uint32_t ncells, hdr;
	uint32_t next; /* the next cell; ncells: the right-most child */
	bool leaf;
};

struct reader {
	int fd;
	uint32_t pagesize, usable, npages;
	uint32_t visited; /* pages read: at most npages, or it loops */
	struct level lv[MAX_DEPTH];
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
	uint64_t u;
	int i, n;

	if (t == 8 || t == 9)
		return (int64_t)(t - 8);
	n = int_size[t];
	u = p[0] & 0x80 ? UINT64_MAX : 0; /* sign-extended */
	for (i = 0; i < n; i++)
		u = u << 8 | p[i];
	return (int64_t)u;
}

/* The record in [p, end): row() with its values, or SQLFILE_OTHER. */
static enum sqlfile_status
record(struct reader *r, const unsigned char *p, const unsigned char *end)
{
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
		int n = t[k] <= 6 ? int_size[t[k]] : 0;

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

/* Read page pgno as the tree's level depth. */
static enum sqlfile_status
load(struct reader *r, int depth, uint32_t pgno)
{
	struct level *l;

	if (depth >= MAX_DEPTH || pgno < 2 || pgno > r->npages ||
	    ++r->visited > r->npages)
		return SQLFILE_OTHER;
	l = &r->lv[depth];
	if (l->pg == NULL)
		l->pg = xmalloc(r->pagesize);
	if (pread(r->fd, l->pg, r->pagesize,
		  (off_t)(pgno - 1) * (off_t)r->pagesize) !=
	    (ssize_t)r->pagesize)
		return SQLFILE_OTHER;
	if (l->pg[0] != PAGE_INTERIOR && l->pg[0] != PAGE_LEAF)
		return SQLFILE_OTHER;
	l->leaf = l->pg[0] == PAGE_LEAF;
	l->hdr = l->leaf ? 8 : 12;
	l->ncells = be16(l->pg + 3);
	l->next = 0;
	if (l->hdr + 2 * l->ncells > r->usable)
		return SQLFILE_OTHER;
	return SQLFILE_OK;
}

/* The offset of cell i of level l, or 0 when out of its page. */
static uint32_t
cell(const struct reader *r, const struct level *l, uint32_t i)
{
	uint32_t off = be16(l->pg + l->hdr + (size_t)2 * i);

	return off < l->hdr + 2 * l->ncells || off + 4 > r->usable ? 0 : off;
}

/* Every row of the tree rooted at page root: depth first, each interior
 * page's children in order, its right-most last. */
static enum sqlfile_status
walk(struct reader *r, uint32_t root)
{
	enum sqlfile_status s = load(r, 0, root);
	int depth = 0;
	uint32_t i, off;

	while (s == SQLFILE_OK && depth >= 0) {
		struct level *l = &r->lv[depth];

		if (l->leaf) {
			for (i = 0; s == SQLFILE_OK && i < l->ncells; i++)
				s = (off = cell(r, l, i)) == 0
					    ? SQLFILE_OTHER
					    : leaf_cell(r, l->pg + off,
							l->pg + r->usable);
			depth--;
		} else if (l->next < l->ncells) {
			if ((off = cell(r, l, l->next++)) == 0)
				return SQLFILE_OTHER;
			s = load(r, ++depth, be32(l->pg + off));
		} else if (l->next++ == l->ncells) {
			s = load(r, ++depth, be32(l->pg + 8));
		} else {
			depth--;
		}
	}
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
	    memcmp(head, SQLFILE_MAGIC, sizeof(SQLFILE_MAGIC)) != 0)
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
	s = walk(&r, root);
	for (i = 0; i < MAX_DEPTH; i++)
		free(r.lv[i].pg);
	return s;
}

bool
sqlfile_wanted(void)
{
	const char *env = getenv("COVSETTLE_SQLFILE");

	return env == NULL || strcmp(env, "0") != 0;
}
