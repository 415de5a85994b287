/*
 * fault.c -- reading the fault file of SPAMTRENDD_FAULTS (see fault.h).
 *
 * Owns nothing but the parsing of that file; the modules that can fail call
 * fault_at() at the point where the real failure would happen.  Compiled to
 * almost nothing without --enable-fault-injection.
 */
#include "fault.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef ST_FAULT_INJECTION
/* Errno names a test may use. */
static const struct {
	const char *name;
	int	    value;
} fault_errnos[] = {
    {"ENOSPC", ENOSPC},
    {"EIO", EIO},
    {"EDQUOT", EDQUOT},
    {"EACCES", EACCES},
    {"ENAMETOOLONG", ENAMETOOLONG},
};

/*
 * Find the first line of the file whose first word is point (and whose
 * third word, when present, is name); copy its second word to word.
 */
static int
fault_find(const char *point, const char *name, char *word, size_t len)
{
	const char *path = getenv("SPAMTRENDD_FAULTS");
	char	    line[512], p[64], w[64], n[300];
	FILE	   *fp;
	int	    found = 0, k;

	if (path == NULL || *path == '\0' || (fp = fopen(path, "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), fp) != NULL) {
		k = sscanf(line, "%63s %63s %299s", p, w, n);
		if (k < 2 || strcmp(p, point) != 0)
			continue;
		if (k == 3 && (name == NULL || strcmp(n, name) != 0))
			continue;
		snprintf(word, len, "%s", w);
		found = 1;
	}
	fclose(fp);
	return found;
}

/* The errno point should fail with for name, or 0. */
int
fault_at(const char *point, const char *name)
{
	char   w[64];
	size_t i;

	if (!fault_find(point, name, w, sizeof(w)))
		return 0;
	for (i = 0; i < sizeof(fault_errnos) / sizeof(fault_errnos[0]); i++)
		if (strcmp(fault_errnos[i].name, w) == 0)
			return fault_errnos[i].value;
	return EIO;
}

/* A number for point from the file. */
int
fault_value(const char *point, long long *v)
{
	char	  w[64], *end;
	long long x;

	if (!fault_find(point, NULL, w, sizeof(w)))
		return 0;
	x = strtoll(w, &end, 10);
	if (*end != '\0')
		return 0;
	*v = x;
	return 1;
}

/* The file's clock, or the system's. */
static int64_t
fault_clock_now(void *arg)
{
	long long t;

	if (fault_value("clock", &t))
		return (int64_t)t;
	return clock_now(&clock_system);
}

static const struct st_clock fault_file_clock = {fault_clock_now, NULL};

/* The clock tests can set. */
const struct st_clock *
fault_clock(void)
{
	const char *path = getenv("SPAMTRENDD_FAULTS");

	return path != NULL && *path != '\0' ? &fault_file_clock
					     : &clock_system;
}
#else
/* Without fault injection: the system clock. */
const struct st_clock *
fault_clock(void)
{
	return &clock_system;
}
#endif
