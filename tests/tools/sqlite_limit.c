/* sqlite_limit.c: the bench's "physical limit" of a combine: the union of
 * coverage.py data files done by one SQLite session, with nothing of
 * covsettle: ATTACH each file, INSERT ... SELECT its files, contexts and
 * arcs by text, collect its numbits, and OR them at the end with a C
 * aggregate; a transaction per file (SQLite refuses ATTACH inside one),
 * the journal and syncs off.
 * sqlite-limit SCHEMAFILE OUT IN... */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_SETUP[] =
	"PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
	"PRAGMA locking_mode = EXCLUSIVE; "
	"CREATE TEMP TABLE lb (path text, context text, numbits blob)";
static const char SQL_ONE[] =
	"INSERT OR IGNORE INTO main.file (path) SELECT path FROM i.file; "
	"INSERT OR IGNORE INTO main.context (context) "
	"SELECT context FROM i.context; "
	"INSERT INTO temp.lb SELECT f.path, c.context, l.numbits "
	"FROM i.line_bits l JOIN i.file f ON f.id = l.file_id "
	"JOIN i.context c ON c.id = l.context_id; "
	"INSERT OR IGNORE INTO main.arc (file_id, context_id, fromno, tono) "
	"SELECT mf.id, mc.id, a.fromno, a.tono FROM i.arc a "
	"JOIN i.file f ON f.id = a.file_id JOIN main.file mf ON mf.path = "
	"f.path "
	"JOIN i.context c ON c.id = a.context_id "
	"JOIN main.context mc ON mc.context = c.context";
static const char SQL_END[] =
	"INSERT INTO main.line_bits (file_id, context_id, numbits) "
	"SELECT mf.id, mc.id, numbits_or(lb.numbits) FROM temp.lb lb "
	"JOIN main.file mf ON mf.path = lb.path "
	"JOIN main.context mc ON mc.context = lb.context GROUP BY mf.id, "
	"mc.id; "
	"INSERT INTO coverage_schema (version) VALUES (7); "
	"INSERT INTO meta (key, value) VALUES ('version', 'limit')";

struct acc {
	unsigned char *p;
	size_t n;
};

static void
or_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct acc *a = sqlite3_aggregate_context(ctx, sizeof(*a));
	const unsigned char *b = sqlite3_value_blob(argv[0]);
	size_t i, n = (size_t)sqlite3_value_bytes(argv[0]);

	(void)argc;
	if (a == NULL)
		return;
	if (n > a->n) {
		a->p = realloc(a->p, n);
		memset(a->p + a->n, 0, n - a->n);
		a->n = n;
	}
	for (i = 0; i < n; i++)
		a->p[i] |= b[i];
}

static void
or_final(sqlite3_context *ctx)
{
	struct acc *a = sqlite3_aggregate_context(ctx, 0);

	if (a == NULL || a->p == NULL) {
		sqlite3_result_zeroblob(ctx, 0);
		return;
	}
	sqlite3_result_blob(ctx, a->p, (int)a->n, free);
}

static int
run(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	fprintf(stderr, "sqlite-limit: %s\n", msg);
	sqlite3_free(msg);
	return -1;
}

int
main(int argc, char **argv)
{
	char *schema = NULL, att[4200];
	size_t len = 0;
	sqlite3 *db;
	FILE *f;
	int i;

	if (argc < 4 || (f = fopen(argv[1], "r")) == NULL ||
	    getdelim(&schema, &len, '\0', f) < 0)
		return 2;
	fclose(f);
	remove(argv[2]);
	if (sqlite3_open(argv[2], &db) != SQLITE_OK)
		return 1;
	sqlite3_create_function(db, "numbits_or", 1, SQLITE_UTF8, NULL, NULL,
				or_step, or_final);
	if (run(db, SQL_SETUP) < 0 || run(db, schema) < 0)
		return 1;
	for (i = 3; i < argc; i++) {
		snprintf(att, sizeof(att), "ATTACH 'file:%s?immutable=1' AS i",
			 argv[i]);
		/* ATTACH and DETACH are refused inside a transaction. */
		if (run(db, att) < 0 || run(db, "BEGIN") < 0 ||
		    run(db, SQL_ONE) < 0 || run(db, "COMMIT") < 0 ||
		    run(db, "DETACH i") < 0)
			return 1;
	}
	if (run(db, "BEGIN") < 0 || run(db, SQL_END) < 0 ||
	    run(db, "COMMIT") < 0)
		return 1;
	free(schema);
	return sqlite3_close(db) == SQLITE_OK ? 0 : 1;
}
