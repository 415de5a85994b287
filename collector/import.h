/*
 * import.h -- the `spamtrendd import` subcommand: history from CSV files
 * in the /export.csv format written into a data directory, all or nothing
 * (import.c), after each file is parsed and checked (import_csv.c).
 */
#ifndef ST_IMPORT_H
#define ST_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../lib/limits.h"

/* One parsed CSV file: rows of counts by configured category index. */
struct import_file {
	char	       source[ST_SOURCE_MAX + 1];
	const char    *path;
	int64_t	       first_end; /* label (end) of row 0 */
	unsigned       res;	  /* seconds per row, a multiple of the step */
	size_t	       nrows;
	unsigned char *known;  /* per row: 1 known, 0 unknown */
	uint64_t      *counts; /* nrows * ncategories; categories not
					   in the file are 0 */
	double	      *cover;  /* per row: the fraction reported (its
				  coverage cell; NAN without one: all of it) */
	size_t	      *lines;  /* per row: its line number */
};

/*
 * Parse and check the CSV text[0..len) named path: header
 * "time,iso8601,<category>...[,coverage]" (known categories, no repeats;
 * the coverage column of an export, a fraction of the row, is optional),
 * rows with a
 * time that is a multiple of step, rising by one constant multiple of the
 * step, an iso8601 cell matching the time (or empty), and count cells that
 * are all empty (an unknown row) or all whole numbers.  Rows with counts
 * may not end after now + step.  Each problem is printed to errs as
 * "path:line: ..." (at most 20 of them).  Returns the number of problems;
 * on 0, f is filled (free with import_file_clear).  No other I/O.
 */
size_t import_parse(const char *text, size_t len, const char *path,
    const char (*categories)[ST_CATEGORY_MAX + 1], unsigned ncat, unsigned step,
    int64_t now, struct import_file *f, FILE *errs);

/* Free the rows of f. */
void import_file_clear(struct import_file *f);

/*
 * Report one problem of path at line (0: the file as a whole) to errs as
 * "path:line: ..." and count it in *n; past 20 problems (or with errs NULL)
 * they are only counted.  For import_parse and import.c's checks against
 * the data directory.
 */
void import_problem(FILE *errs, size_t *n, const char *path, size_t line,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Run `spamtrendd import` with argv[0] = "import".  Returns the process
 * exit status: 0 imported, 1 refused or failed (nothing written), 2 usage.
 */
int import_main(int argc, char **argv);

/* The coverage column an export ends with; import reads past it. */
#define IMPORT_COVERAGE "coverage"

#endif
