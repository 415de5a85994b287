/*
 * import_csv.c -- parsing and checking one CSV text of the /export.csv
 * format for `spamtrendd import`, and reporting its problems.
 *
 * Owns the rules a file must meet before anything is written (see
 * import_parse in import.h): the header's categories, rows at one constant
 * spacing that is a multiple of the step, iso8601 cells that match their
 * time, count cells all empty or all whole numbers, an optional coverage
 * column, nothing in the future.  Every problem is reported, as
 * "path:line: ...", up to a limit.  Pure but for writing the problems to
 * the stream it is given: it reads no file and no clock (import.c does).
 */
#include "import.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/number.h"
#include "csv.h"

#define IMPORT_MAX_ERRORS 20
#define IMPORT_MAX_CELL	  1000000000000000ULL

/* Report one problem at line (0: the file as a whole); counts every call. */
void
import_problem(
    FILE *errs, size_t *n, const char *path, size_t line, const char *fmt, ...)
{
	va_list ap;

	if (++*n > IMPORT_MAX_ERRORS || errs == NULL)
		return;
	if (line > 0)
		fprintf(errs, "%s:%zu: ", path, line);
	else
		fprintf(errs, "%s: ", path);
	va_start(ap, fmt);
	vfprintf(errs, fmt, ap);
	va_end(ap);
	fputc('\n', errs);
}

/* Split line[0..len) at commas into at most max cells (NUL-terminated in place). */
static size_t
import_split(char *line, char **cells, size_t max)
{
	size_t n = 0;
	char  *p = line;

	for (;;) {
		if (n == max)
			return max + 1;
		cells[n++] = p;
		if ((p = strchr(p, ',')) == NULL)
			break;
		*p++ = '\0';
	}
	return n;
}

/*
 * The fraction of a known row that was reported, from its coverage cell
 * when the file has that column (given); NAN (all of it) otherwise.  0, or
 * -1 on a cell that is not a finite fraction in [0, 1000000].
 */
static int
import_cover(const char *cell, int given, double *out)
{
	char  *end;
	double v;

	*out = NAN;
	if (!given || cell[0] == '\0')
		return 0;
	errno = 0;
	v = strtod(cell, &end);
	if (errno != 0 || *end != '\0' || end == cell || !(v >= 0) || v > 1e6)
		return -1;
	*out = v;
	return 0;
}

/* Grow the row arrays of f to hold cap rows. */
static int
import_grow(struct import_file *f, size_t cap, unsigned ncat)
{
	void *k, *c, *l, *v;

	if ((k = realloc(f->known, cap)) != NULL)
		f->known = k;
	if ((c = realloc(f->counts, cap * ncat * sizeof(uint64_t))) != NULL)
		f->counts = c;
	if ((v = realloc(f->cover, cap * sizeof(double))) != NULL)
		f->cover = v;
	if ((l = realloc(f->lines, cap * sizeof(size_t))) != NULL)
		f->lines = l;
	return k == NULL || c == NULL || l == NULL || v == NULL ? -1 : 0;
}

/* Free the rows of f. */
void
import_file_clear(struct import_file *f)
{
	free(f->known);
	free(f->counts);
	free(f->cover);
	free(f->lines);
	f->known = NULL;
	f->counts = NULL;
	f->cover = NULL;
	f->lines = NULL;
	f->nrows = 0;
}

/* Parse and check one CSV text; see import.h. */
size_t
import_parse(const char *text, size_t len, const char *path,
    const char (*categories)[ST_CATEGORY_MAX + 1], unsigned ncat, unsigned step,
    int64_t now, struct import_file *f, FILE *errs)
{
	char	*buf = NULL, *line, *next, *cells[ST_MAX_CATEGORIES + 4];
	char	 iso[32];
	int	 col[ST_MAX_CATEGORIES + 3]; /* file column -> category, -1 */
	size_t	 nerr = 0, lineno = 0, ncells, ncols = 0, cap = 0, i, empty;
	uint64_t t, v, prev = 0, lost = 0;
	unsigned c, k;
	int	 header = 1, seen = 0;

	f->first_end = 0;
	f->res = 0;
	f->nrows = 0;
	f->known = NULL;
	f->counts = NULL;
	f->cover = NULL;
	f->lines = NULL;
	f->path = path;
	if ((buf = malloc(len + 1)) == NULL) {
		import_problem(errs, &nerr, path, 0, "out of memory");
		return nerr;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		import_problem(
		    errs, &nerr, path, 0, "a NUL byte: not a CSV text");
		goto done;
	}
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		i = strlen(line);
		if (i > 0 && line[i - 1] == '\r')
			line[--i] = '\0';
		if (i == 0) {
			if (next != NULL && *next != '\0')
				import_problem(
				    errs, &nerr, path, lineno, "an empty line");
			continue;
		}
		ncells = import_split(line, cells, ST_MAX_CATEGORIES + 3);
		if (header) {
			header = 0;
			if (ncells > ST_MAX_CATEGORIES + 3 || ncells < 3 ||
			    strcmp(cells[0], "time") != 0 ||
			    strcmp(cells[1], "iso8601") != 0) {
				import_problem(errs, &nerr, path, lineno,
				    "the header must be time,iso8601,"
				    "<category>...");
				goto done;
			}
			ncols = ncells;
			for (i = 2; i < ncells; i++) {
				col[i] = -1;
				/* An export's coverage column: rows read as reported. */
				if (i == ncells - 1 &&
				    strcmp(cells[i], IMPORT_COVERAGE) == 0) {
					col[i] = -2;
					continue;
				}
				for (c = 0; c < ncat; c++)
					if (strcmp(cells[i], categories[c]) ==
					    0)
						col[i] = (int)c;
				if (col[i] < 0) {
					import_problem(errs, &nerr, path,
					    lineno,
					    "unknown category '%.*s' (known: "
					    "see --categories)",
					    ST_CATEGORY_MAX, cells[i]);
					continue;
				}
				for (k = 2; k < i; k++)
					if (col[k] == col[i])
						import_problem(errs, &nerr,
						    path, lineno,
						    "category '%s' "
						    "appears twice",
						    cells[i]);
			}
			if (nerr > 0)
				goto done;
			continue;
		}
		/*
		 * The time first: a row with a good time keeps the spacing
		 * check going even when its other cells are bad, so one bad
		 * row is reported once.
		 */
		if (number_parse_str(cells[0], 1, INT64_MAX / 2, &t) == -1 ||
		    t % step != 0) {
			import_problem(errs, &nerr, path, lineno,
			    "time '%.20s' "
			    "is not a positive multiple of the %u s step",
			    cells[0], step);
			lost++;
			continue;
		}
		if (seen && t <= prev) {
			import_problem(errs, &nerr, path, lineno,
			    "time %llu "
			    "is not after the previous row's",
			    (unsigned long long)t);
			continue;
		}
		if (seen && f->res == 0 && (t - prev) % (lost + 1) == 0 &&
		    (t - prev) / (lost + 1) <= 366ULL * 86400)
			f->res = (unsigned)((t - prev) / (lost + 1));
		if (seen && (f->res == 0 || t - prev != f->res * (lost + 1))) {
			import_problem(errs, &nerr, path, lineno,
			    "rows are %llu "
			    "s apart here and %u s before: the spacing must "
			    "be constant (fill gaps with empty rows)",
			    (unsigned long long)(t - prev), f->res);
			prev = t;
			lost = 0;
			continue;
		}
		seen = 1;
		prev = t;
		lost = 0;
		if (ncells != ncols) {
			import_problem(errs, &nerr, path, lineno,
			    "%zu cells, the "
			    "header has %zu",
			    ncells > ncols + 1 ? ncols + 1 : ncells, ncols);
			continue;
		}
		csv_iso8601((int64_t)t, iso, sizeof(iso));
		if (cells[1][0] != '\0' && strcmp(cells[1], iso) != 0) {
			import_problem(errs, &nerr, path, lineno,
			    "iso8601 "
			    "'%.32s' does not match time %llu (%s)",
			    cells[1], (unsigned long long)t, iso);
			continue;
		}
		if (f->nrows == cap) {
			cap = cap ? cap * 2 : 1024;
			if (import_grow(f, cap, ncat) == -1) {
				import_problem(
				    errs, &nerr, path, lineno, "out of memory");
				goto done;
			}
		}
		if (f->nrows == 0)
			f->first_end = (int64_t)t;
		memset(&f->counts[f->nrows * ncat], 0, ncat * sizeof(uint64_t));
		f->cover[f->nrows] = NAN;
		f->lines[f->nrows] = lineno;
		for (empty = 0, i = 2; i < ncells; i++)
			empty += col[i] != -2 && cells[i][0] == '\0';
		if (empty == ncells - 2 - (col[ncells - 1] == -2)) {
			f->known[f->nrows++] = 0;
			continue;
		}
		if (empty > 0) {
			import_problem(errs, &nerr, path, lineno,
			    "some count "
			    "cells are empty and some are not: a step is "
			    "known or unknown for every category at once");
			continue;
		}
		for (i = 2; i < ncells; i++) {
			if (col[i] == -2)
				continue;
			if (number_parse_str(
				cells[i], 0, IMPORT_MAX_CELL, &v) == -1) {
				import_problem(errs, &nerr, path, lineno,
				    "'%.24s' is not a whole number of messages "
				    "(column %s)",
				    cells[i], categories[col[i]]);
				break;
			}
			f->counts[f->nrows * ncat + (unsigned)col[i]] = v;
		}
		if (i < ncells)
			continue;
		if (import_cover(cells[ncells - 1], col[ncells - 1] == -2,
			&f->cover[f->nrows]) == -1) {
			import_problem(errs, &nerr, path, lineno,
			    "coverage '%.24s' is not a fraction of the row "
			    "between 0 and 1000000",
			    cells[ncells - 1]);
			continue;
		}
		if ((int64_t)t > now + (int64_t)step) {
			import_problem(errs, &nerr, path, lineno,
			    "time %llu "
			    "is in the future",
			    (unsigned long long)t);
			continue;
		}
		f->known[f->nrows++] = 1;
	}
	if (header)
		import_problem(errs, &nerr, path, 0, "empty file");
	if (f->res == 0)
		f->res = step;
	if (f->res % step != 0 || f->res > 366U * 86400)
		import_problem(errs, &nerr, path, 0,
		    "rows are %u s apart: not "
		    "a multiple of the %u s step",
		    f->res, step);
done:
	if (nerr > IMPORT_MAX_ERRORS && errs != NULL)
		fprintf(errs, "%s: %zu more problems not shown\n", path,
		    nerr - IMPORT_MAX_ERRORS);
	free(buf);
	if (nerr > 0)
		import_file_clear(f);
	return nerr;
}
