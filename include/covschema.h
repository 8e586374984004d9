/* covschema.h: the one version of coverage.py's SQLite schema that
 * covsettle reads and writes (coverage.py 5.4 to 7.x): check.c refuses
 * others, the native combine reads and writes only it. */
#ifndef COVSETTLE_COVSCHEMA_H
#define COVSETTLE_COVSCHEMA_H

#define COVERAGE_SCHEMA_VERSION 7

/* The same number as text, for SQL and messages. */
#define COVERAGE_SCHEMA_TEXT COVSCHEMA_STR(COVERAGE_SCHEMA_VERSION)
#define COVSCHEMA_STR(x)     COVSCHEMA_STR_(x)
#define COVSCHEMA_STR_(x)    #x

#endif
