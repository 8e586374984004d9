/* combine_tool.c: the native combine (combine*.c) alone, for the oracle
 * tests and the bench.
 * combine-tool [-m KEY=VALUE]... [-e] [-s SCHEMAFILE] OUT IN...
 * Exit 0 (combined), 3 (left to coverage.py), 1 (error); the reason on
 * stderr. -e: empty tracer rows, as coverage.py before 7.10.5. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "combine.h"

int
main(int argc, char **argv)
{
	struct combine_meta meta[8];
	struct combine_opts o = { .meta = meta };
	char err[ERRLEN] = "", *schema = NULL, *eq;
	enum combine_status s;
	size_t len = 0;
	FILE *f;
	int c;

	while ((c = getopt(argc, argv, "m:es:")) != -1) {
		switch (c) {
		case 'm':
			if ((eq = strchr(optarg, '=')) == NULL || o.nmeta == 8)
				return 2;
			*eq = '\0';
			meta[o.nmeta].key = optarg;
			meta[o.nmeta++].value = eq + 1;
			break;
		case 'e':
			o.empty_tracers = true;
			break;
		case 's':
			if ((f = fopen(optarg, "r")) == NULL ||
			    getdelim(&schema, &len, '\0', f) < 0)
				return 2;
			fclose(f);
			o.schema = schema;
			break;
		default:
			return 2;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: combine-tool [-m K=V] [-e] [-s SCHEMA] "
				"OUT IN...\n");
		return 2;
	}
	o.output = argv[optind];
	o.inputs = (const char *const *)argv + optind + 1;
	o.ninputs = (size_t)(argc - optind - 1);
	s = combine_run(&o, err);
	free(schema);
	if (s != COMBINE_OK)
		fprintf(stderr, "combine-tool: %s\n", err);
	return s == COMBINE_OK ? 0 : s == COMBINE_FALLBACK ? 3 : 1;
}
